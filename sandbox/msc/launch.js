#!/usr/bin/env node
'use strict';
// `npm run msc-sandbox`: builds the package when dist/sandbox is missing or older than its sources,
// then runs dist/sandbox/msc/cli.js (the package's `delivery-channel-msc`) with the given flags,
// keeping its state in .dev/msc-sandbox/ unless --data-dir, --db, MSC_DATA_DIR or MSC_DB say otherwise.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'sandbox', 'msc', 'cli.js');
const sources = [path.join(root, 'sandbox'), path.join(root, 'core')];

function newest(dir) {
	let latest = 0;
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) latest = Math.max(latest, newest(full));
		else if (entry.name.endsWith('.ts')) latest = Math.max(latest, fs.statSync(full).mtimeMs);
	}
	return latest;
}

const built = fs.existsSync(cli) ? fs.statSync(cli).mtimeMs : 0;
if (!built || sources.some((dir) => newest(dir) > built)) {
	process.stderr.write('[msc-sandbox] building (npm run build)...\n');
	const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
	if (result.status !== 0) process.exit(result.status ?? 1);
}
const args = process.argv.slice(2);
if (!process.env.MSC_DATA_DIR && !process.env.MSC_DB)
	args.unshift('--data-dir', path.join(root, '.dev', 'msc-sandbox'));
require(cli)
	.main(args)
	.catch((error) => {
		process.stderr.write(`MSC server failed to start: ${(error && error.message) || error}\n`);
		process.exit(1);
	});
