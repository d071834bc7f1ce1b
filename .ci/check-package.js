// @ts-check
'use strict';
// Checks for what a user gets from npm, run by .ci/run:
//   node .ci/check-package.js anchors         every credential's documentationUrl anchor is a README heading
//   node .ci/check-package.js tarball FILE    the packed tarball holds what package.json's n8n field loads,
//                                             the core, every file a packed module requires, and each
//                                             bin command (the MSC server) as a node script

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');

/** The anchor GitHub and npm give a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading) {
	return heading
		.trim()
		.toLowerCase()
		.replace(/[^\p{L}\p{N}\s_-]/gu, '')
		.replace(/\s/g, '-');
}

function readmeAnchors() {
	const anchors = new Set();
	let inFence = false;
	for (const line of fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n')) {
		if (line.startsWith('```')) inFence = !inFence;
		const heading = !inFence && /^#{1,6}\s+(.+?)\s*#*$/.exec(line);
		if (!heading) continue;
		let anchor = slug(heading[1]);
		for (let n = 1; anchors.has(anchor); n++) anchor = `${slug(heading[1])}-${n}`;
		anchors.add(anchor);
	}
	return anchors;
}

function checkAnchors() {
	const anchors = readmeAnchors();
	const problems = [];
	const dir = path.join(ROOT, 'credentials');
	for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
		const source = fs.readFileSync(path.join(dir, file), 'utf8');
		const url = /documentationUrl\s*=\s*'([^']*)'/.exec(source);
		if (!url) problems.push(`${file}: no documentationUrl`);
		else if (!url[1].includes('#'))
			problems.push(`${file}: documentationUrl ${url[1]} has no anchor`);
		else if (!anchors.has(url[1].split('#')[1]))
			problems.push(`${file}: README has no heading for ${url[1]}`);
	}
	return problems;
}

/** Relative require() targets of a packed module that are not in the tarball. */
function missingRequires(entry, files, read) {
	const missing = [];
	for (const match of read(entry).matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
		const target = path.posix.join(path.posix.dirname(entry), match[1]);
		const candidates = [target, `${target}.js`, `${target}.json`, `${target}/index.js`];
		if (!candidates.some((candidate) => files.has(candidate)))
			missing.push(`${entry} requires ${match[1]}, not in the tarball`);
	}
	return missing;
}

function checkTarball(tarball) {
	if (!tarball || !fs.existsSync(tarball)) return [`no tarball at ${tarball}`];
	const list = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
	const files = new Set(list.map((name) => name.replace(/^package\//, '')));
	const read = (name) =>
		execFileSync('tar', ['-xzOf', tarball, `package/${name}`], { encoding: 'utf8' });
	const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
	const needed = [...pkg.n8n.nodes, ...pkg.n8n.credentials, 'package.json', 'README.md', 'LICENSE'];
	const problems = needed.filter((name) => !files.has(name)).map((name) => `missing ${name}`);
	if (![...files].some((name) => name.startsWith('dist/core/') && name.endsWith('.js')))
		problems.push('no dist/core/**/*.js');
	for (const [command, target] of Object.entries(pkg.bin ?? {})) {
		const file = String(target).replace(/^\.\//, '');
		if (!files.has(file)) problems.push(`bin ${command}: ${file} is not in the tarball`);
		else if (!read(file).startsWith('#!/usr/bin/env node\n'))
			problems.push(`bin ${command}: ${file} does not start with #!/usr/bin/env node`);
	}
	for (const name of files) {
		if (/\.ts$/.test(name) && !name.endsWith('.d.ts'))
			problems.push(`TypeScript source packed: ${name}`);
		if (name.startsWith('dist/') && name.endsWith('.js'))
			problems.push(...missingRequires(name, files, read));
	}
	console.log(
		`${path.basename(tarball)}: ${files.size} files, ${[...files].filter((name) => name.startsWith('dist/')).length} under dist/`,
	);
	return problems;
}

const [command, argument] = process.argv.slice(2);
const checks = { anchors: () => checkAnchors(), tarball: () => checkTarball(argument) };
const problems = Object.hasOwn(checks, command)
	? checks[command]()
	: [`usage: ${path.basename(__filename)} anchors | tarball FILE`];
if (problems.length) {
	console.error(problems.join('\n'));
	process.exit(1);
}
console.log(`${command}: ok`);
