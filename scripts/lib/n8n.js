'use strict';
// Helpers for driving a real, headless n8n (the pinned install made by scripts/install-n8n.sh):
// install, build, pack, install as a community package, temporary folders. The n8n instance (environment, import, execute, start)
// is in ./n8n-instance.js and reading its run data in ./n8n-run-data.js; both are exported here too.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { run, tail, onExit } = require('./proc');
const instance = require('./n8n-instance');
const runData = require('./n8n-run-data');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const NODE_NAME = 'deliveryChannel';
const PACKAGE_NAME = require(path.join(REPO_ROOT, 'package.json')).name;
const NODE_TYPE_CUSTOM = `CUSTOM.${NODE_NAME}`;
const NODE_TYPE_PACKAGE = `${PACKAGE_NAME}.${NODE_NAME}`;
const BUILT_NODE = path.join(
	REPO_ROOT,
	'dist',
	'nodes',
	'DeliveryChannel',
	'DeliveryChannel.node.js',
);

/** @param {string} msg */
const log = (msg) => process.stderr.write(`${msg}\n`);

/**
 * Runs scripts/install-n8n.sh (cached after the first run) and returns the paths of the install.
 * @returns {Promise<import('./n8n-instance').N8nPaths>}
 */
async function installN8n({ timeoutMs = 20 * 60 * 1000 } = {}) {
	const dir = expectedInstallDir();
	let release = () => {};
	if (!fs.existsSync(path.join(dir, '.complete'))) {
		// Two of our scripts started at once must not run two npm installs into the same folder.
		release = await acquireLock(`${dir}.install-lock`, timeoutMs);
		if (!fs.existsSync(path.join(dir, '.complete'))) {
			log(`Installing n8n into ${dir} (first run only, takes a few minutes)...`);
		}
	}
	let r;
	try {
		r = await run('bash', [path.join(REPO_ROOT, 'scripts', 'install-n8n.sh')], {
			cwd: REPO_ROOT,
			timeoutMs,
			echo: !fs.existsSync(path.join(dir, '.complete')),
		});
	} finally {
		release();
	}
	if (r.code !== 0) {
		const how = `exit ${r.code}${r.timedOut ? ', timed out' : ''}`;
		throw new Error(`scripts/install-n8n.sh failed (${how}):\n${tail(r.stderr)}`);
	}
	const lines = r.stdout.trim().split('\n');
	return n8nPaths(lines[lines.length - 1].trim());
}

/**
 * A lock file holding our pid; waits while a live process holds it. Returns the release function.
 * @param {string} file
 * @param {number} timeoutMs
 */
async function acquireLock(file, timeoutMs) {
	fs.mkdirSync(path.dirname(file), { recursive: true });
	const deadline = Date.now() + timeoutMs;
	let told = false;
	for (;;) {
		try {
			fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
			const release = () => fs.rmSync(file, { force: true });
			onExit(release);
			return release;
		} catch (err) {
			if (err.code !== 'EEXIST') throw err;
		}
		const holder = Number(fs.readFileSync(file, 'utf8').trim());
		let alive = false;
		try {
			process.kill(holder, 0);
			alive = holder > 0;
		} catch {
			alive = false;
		}
		if (!alive) {
			fs.rmSync(file, { force: true }); // stale lock from a process that died
			continue;
		}
		if (Date.now() > deadline) {
			throw new Error(`waited too long for another n8n install (pid ${holder}, lock ${file})`);
		}
		if (!told) log(`Another n8n install is running (pid ${holder}); waiting for it...`);
		told = true;
		await new Promise((r) => setTimeout(r, 2000));
	}
}

function expectedInstallDir() {
	const version = process.env.N8N_VERSION || '2.40.7';
	const cache =
		process.env.DELIVERY_CHANNEL_CACHE ||
		path.join(os.homedir(), '.cache', 'n8n-nodes-delivery-channel');
	return path.join(cache, `n8n-${version}`);
}

/**
 * @param {string} dir  the install folder
 * @returns {import('./n8n-instance').N8nPaths}
 */
function n8nPaths(dir) {
	const p = {
		dir,
		node: path.join(dir, 'node_modules', '.bin', 'node'),
		n8nBin: path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n'),
		nodeModules: path.join(dir, 'node_modules'),
		version: JSON.parse(
			fs.readFileSync(path.join(dir, 'node_modules', 'n8n', 'package.json'), 'utf8'),
		).version,
	};
	for (const f of [p.node, p.n8nBin]) {
		if (!fs.existsSync(f)) throw new Error(`n8n install at ${dir} is incomplete: ${f} is missing`);
	}
	return p;
}

/** `npm run build` in the repository; returns the folder to use as N8N_CUSTOM_EXTENSIONS. */
async function buildPackage({ timeoutMs = 5 * 60 * 1000 } = {}) {
	const r = await run('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, timeoutMs });
	if (r.code !== 0) {
		throw new Error(`npm run build failed (exit ${r.code}):\n${tail(r.stdout + r.stderr)}`);
	}
	if (!fs.existsSync(BUILT_NODE)) {
		throw new Error(`build finished but ${path.relative(REPO_ROOT, BUILT_NODE)} is missing`);
	}
	return path.join(REPO_ROOT, 'dist');
}

/**
 * Builds and copies the result (dist/ and the files npm pack adds) to `dest`, with the repository's
 * node_modules linked beside it, so what the test runs and packs cannot change under it when someone
 * else rebuilds the same checkout meanwhile (the build starts by removing dist/). Returns
 * { root, dist }: `root` for npm pack, `dist` for N8N_CUSTOM_EXTENSIONS and the MSC sandbox.
 * @param {string} dest
 * @returns {Promise<{ root: string, dist: string }>}
 */
async function buildSnapshot(dest, { attempts = 4, waitMs = 15_000 } = {}) {
	const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
	const required = ['dist/sandbox/msc/server.js', ...pkg.n8n.nodes, ...pkg.n8n.credentials];
	for (let attempt = 1; ; attempt++) {
		try {
			await buildPackage();
			fs.rmSync(dest, { recursive: true, force: true });
			fs.mkdirSync(dest, { recursive: true });
			fs.cpSync(path.join(REPO_ROOT, 'dist'), path.join(dest, 'dist'), { recursive: true });
			for (const file of ['package.json', 'README.md', 'LICENSE']) {
				if (fs.existsSync(path.join(REPO_ROOT, file)))
					fs.copyFileSync(path.join(REPO_ROOT, file), path.join(dest, file));
			}
			fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dest, 'node_modules'), 'dir');
			const missing = required.filter((file) => !fs.existsSync(path.join(dest, file)));
			if (missing.length) throw new Error(`the copied build lacks ${missing.join(', ')}`);
			return { root: dest, dist: path.join(dest, 'dist') };
		} catch (error) {
			// Another build in the same checkout removes dist/ as it starts: ours can fail or be copied
			// half-written. Wait for it and build again.
			if (attempt >= attempts)
				throw new Error(`no complete build after ${attempts} attempts: ${error.message}`);
			const reason = error.message.split('\n').slice(0, 3).join(' ');
			log(`Build attempt ${attempt} failed (${reason}); building again in ${waitMs / 1000} s...`);
			await new Promise((resolve) => setTimeout(resolve, waitMs));
		}
	}
}

/**
 * `npm pack` of a built package folder into `dest` (--ignore-scripts: prepack would build again).
 * @param {string} root  the folder holding package.json and dist/
 * @param {string} dest
 * @returns {Promise<{ file: string, entryCount: number, size: number }>}
 */
async function packPackage(root, dest) {
	fs.mkdirSync(dest, { recursive: true });
	const args = ['pack', '--json', '--ignore-scripts', `--pack-destination=${dest}`];
	const pack = await run('npm', args, { cwd: root, timeoutMs: 120000 });
	if (pack.code !== 0) throw new Error(`npm pack failed:\n${tail(pack.stderr)}`);
	const info = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')))[0];
	return { file: path.join(dest, info.filename), entryCount: info.entryCount, size: info.size };
}

/**
 * `npm install <tarball>` into <userFolder>/.n8n/nodes, as n8n installs a community package.
 * Returns the folder and how long npm took.
 * @param {string} userFolder
 * @param {string} tarball
 * @returns {Promise<{ nodesDir: string, ms: number }>}
 */
async function installCommunityPackage(userFolder, tarball) {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	fs.mkdirSync(nodesDir, { recursive: true });
	const manifest = { name: 'installed-nodes', private: true, dependencies: {} };
	fs.writeFileSync(path.join(nodesDir, 'package.json'), JSON.stringify(manifest, null, 2));
	const options = [
		'--ignore-scripts',
		'--omit=peer',
		'--omit=dev',
		'--prefer-offline',
		'--no-audit',
		'--no-fund',
		'--no-package-lock',
		'--loglevel=error',
	];
	const r = await run('npm', ['install', tarball, ...options], {
		cwd: nodesDir,
		timeoutMs: 5 * 60 * 1000,
	});
	if (r.code !== 0) {
		const what = `npm install ${path.basename(tarball)} into ${nodesDir}`;
		throw new Error(`${what} failed:\n${tail(r.stderr)}`);
	}
	return { nodesDir, ms: r.ms };
}

/**
 * A fresh temporary folder, removed when the process exits (unless KEEP_TMP=1).
 * @param {string} prefix
 */
function makeTempDir(prefix) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
	if (!process.env.KEEP_TMP) onExit(() => fs.rmSync(dir, { recursive: true, force: true }));
	return dir;
}

/**
 * Loads bcryptjs from the n8n install (for N8N_INSTANCE_OWNER_PASSWORD_HASH).
 * @param {import('./n8n-instance').N8nPaths} paths
 */
function bcryptFromN8n(paths) {
	return require(require.resolve('bcryptjs', { paths: [paths.nodeModules] }));
}

module.exports = {
	REPO_ROOT,
	PACKAGE_NAME,
	NODE_NAME,
	NODE_TYPE_CUSTOM,
	NODE_TYPE_PACKAGE,
	BUILT_NODE,
	installN8n,
	acquireLock,
	expectedInstallDir,
	n8nPaths,
	buildPackage,
	buildSnapshot,
	packPackage,
	installCommunityPackage,
	makeTempDir,
	bcryptFromN8n,
	log,
	...instance,
	...runData,
};
