'use strict';
// The package as users get it: compiled into a private folder (not the checkout's dist/, which other
// builds remove and rewrite), packed once with npm pack, installed with npm into each n8n process's
// <user folder>/.n8n/nodes, the folder n8n loads community packages from.

const fs = require('node:fs');
const path = require('node:path');
const { run: runCommand, tail } = require('../lib/proc');
const { REPO_ROOT, PACKAGE_NAME, packPackage, installCommunityPackage } = require('../lib/n8n');

const log = (msg) => process.stderr.write(`${msg}\n`);

/** Copies the icons (png/svg) of `from` into `to`, keeping the folder layout (what gulp build:icons does). */
function copyIcons(from, to) {
	for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
		const src = path.join(from, entry.name);
		if (entry.isDirectory()) copyIcons(src, path.join(to, entry.name));
		else if (/\.(png|svg)$/.test(entry.name)) {
			fs.mkdirSync(to, { recursive: true });
			fs.copyFileSync(src, path.join(to, entry.name));
		}
	}
}

/**
 * Compiles the checkout (or, with fromHead, the last commit: `git archive HEAD`) into `dir` and packs
 * it. Returns the path of the .tgz.
 */
async function buildAndPack(dir, { fromHead = false } = {}) {
	fs.mkdirSync(dir, { recursive: true });
	let source = REPO_ROOT;
	if (fromHead) {
		source = path.join(dir, 'source');
		fs.mkdirSync(source);
		const archive = path.join(dir, 'head.tar');
		const r = await runCommand('git', ['archive', '--format=tar', '-o', archive, 'HEAD'], {
			cwd: REPO_ROOT,
		});
		if (r.code !== 0) throw new Error(`git archive failed:\n${tail(r.stderr)}`);
		const x = await runCommand('tar', ['-xf', archive, '-C', source]);
		if (x.code !== 0) throw new Error(`tar -x failed:\n${tail(x.stderr)}`);
		fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(source, 'node_modules'), 'dir');
	}
	const root = path.join(dir, 'package');
	fs.mkdirSync(root);
	const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
	const t0 = Date.now();
	const built = await runCommand(
		process.execPath,
		[tsc, '-p', path.join(source, 'tsconfig.build.json'), '--outDir', path.join(root, 'dist')],
		{
			cwd: source,
			timeoutMs: 10 * 60 * 1000,
		},
	);
	if (built.code !== 0)
		throw new Error(`tsc failed (exit ${built.code}):\n${tail(built.stdout + built.stderr)}`);
	for (const sub of ['nodes', 'credentials'])
		copyIcons(path.join(source, sub), path.join(root, 'dist', sub));
	for (const file of ['package.json', 'README.md', 'LICENSE']) {
		if (fs.existsSync(path.join(source, file)))
			fs.copyFileSync(path.join(source, file), path.join(root, file));
	}
	const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
	const missing = [...pkg.n8n.nodes, ...pkg.n8n.credentials].filter(
		(f) => !fs.existsSync(path.join(root, f)),
	);
	if (missing.length) throw new Error(`the build lacks ${missing.join(', ')}`);
	const info = await packPackage(root, dir);
	const size = `${info.entryCount} files, ${(info.size / 1024).toFixed(0)} KiB`;
	const took = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
	log(`Built and packed ${path.basename(info.file)} (${size}) in ${took}`);
	return info.file;
}

/**
 * What the package is built from, in words: `commit abc1234` (--from-head), or `checkout at abc1234`
 * plus how many of the package's source files differ from that commit (others may be editing them).
 */
async function sourceDescription({ fromHead = false } = {}) {
	const head = await runCommand('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT });
	const sha = head.code === 0 ? head.stdout.trim() : 'unknown';
	if (fromHead) return `commit ${sha}`;
	const dirty = await runCommand(
		'git',
		['status', '--porcelain', '--', 'core', 'nodes', 'credentials', 'package.json'],
		{ cwd: REPO_ROOT },
	);
	const changed = dirty.stdout.split('\n').filter(Boolean).length;
	return `checkout at ${sha}${changed ? ` with ${changed} changed source files` : ''}`;
}

/** npm install <tgz> into <userFolder>/.n8n/nodes, as n8n's community-package install does. */
async function installInto(userFolder, tgz) {
	const { nodesDir, ms } = await installCommunityPackage(userFolder, tgz);
	const node = path.join(
		nodesDir,
		'node_modules',
		PACKAGE_NAME,
		'dist',
		'nodes',
		'DeliveryChannel',
		'DeliveryChannel.node.js',
	);
	if (!fs.existsSync(node)) throw new Error(`after npm install, ${node} is missing`);
	return ms;
}

module.exports = { REPO_ROOT, buildAndPack, installInto, sourceDescription };
