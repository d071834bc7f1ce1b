#!/usr/bin/env bash
# Installs a real n8n (pinned) into a cache folder outside the repository, for end-to-end tests,
# benchmarks and `npm run dev`. Idempotent: a complete install is reused.
# Prints the n8n install folder on its last line.
set -euo pipefail
N8N_VERSION="${N8N_VERSION:-2.40.7}"
NODE_MAJOR=24
CACHE="${DELIVERY_CHANNEL_CACHE:-$HOME/.cache/n8n-nodes-delivery-channel}"
DIR="$CACHE/n8n-$N8N_VERSION"
if [ -f "$DIR/.complete" ]; then echo "$DIR"; exit 0; fi
# Node 24 (n8n >= 2.36 needs it) comes from the npm registry as the package built for this machine
# (its binary ships inside), the same choice as scripts/node24.sh.
source "$(dirname "${BASH_SOURCE[0]}")/node-package.sh"
node_package=$(node_package) || {
	echo "install-n8n: no Node $NODE_MAJOR package for $(uname -s) $(uname -m)" >&2
	exit 1
}
mkdir -p "$DIR"
cd "$DIR"
[ -f package.json ] || echo '{"name":"n8n-runtime","private":true}' > package.json
# --ignore-scripts: a Kafka client's native build would try to download zlib (no internet here).
npm install --no-audit --no-fund --loglevel=error --ignore-scripts "$node_package@$NODE_MAJOR" "n8n@$N8N_VERSION" >&2
export PATH="$DIR/node_modules/.bin:$PATH"
# Native modules build against the headers of that Node.
export npm_config_nodedir="$DIR/node_modules/$node_package"
# The only native module n8n needs for its default SQLite database. Run from an npm script of this
# repository, npm_config_ignore_scripts=true (our .npmrc) is in the environment and would turn the
# rebuild into a no-op: ask for the build scripts explicitly.
npm_config_ignore_scripts=false npm rebuild sqlite3 --ignore-scripts=false --loglevel=error >&2
node -e "require('sqlite3')" >&2
touch .complete
echo "$DIR"
