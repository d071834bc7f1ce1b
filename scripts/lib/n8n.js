'use strict';
// Helpers for driving a real, headless n8n (the pinned install made by scripts/install-n8n.sh):
// install, build, environment, import credentials/workflows, execute, parse run data, start the editor.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const http = require('node:http');
const { run, start, tail, onExit } = require('./proc');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const NODE_NAME = 'deliveryChannel';
const PACKAGE_NAME = require(path.join(REPO_ROOT, 'package.json')).name;
const NODE_TYPE_CUSTOM = `CUSTOM.${NODE_NAME}`;
const NODE_TYPE_PACKAGE = `${PACKAGE_NAME}.${NODE_NAME}`;
const BUILT_NODE = path.join(REPO_ROOT, 'dist', 'nodes', 'DeliveryChannel', 'DeliveryChannel.node.js');

const log = (msg) => process.stderr.write(`${msg}\n`);

/**
 * Everything every n8n process of this run printed: { folder, command, stdout, stderr }. The
 * seeded-secret check reads it after the run; a server's lines are appended as they arrive.
 */
const transcript = [];
/** Every n8n instance (user folder) this process configured. */
const instances = [];

/** Runs scripts/install-n8n.sh (cached after the first run) and returns the paths of the install. */
async function installN8n({ timeoutMs = 20 * 60 * 1000 } = {}) {
	const dir = expectedInstallDir();
	let release = () => {};
	if (!fs.existsSync(path.join(dir, '.complete'))) {
		// Two of our scripts started at once must not run two npm installs into the same folder.
		release = await acquireLock(`${dir}.install-lock`, timeoutMs);
		if (!fs.existsSync(path.join(dir, '.complete'))) log(`Installing n8n into ${dir} (first run only, takes a few minutes)...`);
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
		throw new Error(`scripts/install-n8n.sh failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${tail(r.stderr)}`);
	}
	const lines = r.stdout.trim().split('\n');
	return n8nPaths(lines[lines.length - 1].trim());
}

/** A lock file holding our pid; waits while a live process holds it. Returns the release function. */
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
		if (Date.now() > deadline) throw new Error(`waited too long for another n8n install (pid ${holder}, lock ${file})`);
		if (!told) log(`Another n8n install is running (pid ${holder}); waiting for it...`);
		told = true;
		await new Promise((r) => setTimeout(r, 2000));
	}
}

function expectedInstallDir() {
	const version = process.env.N8N_VERSION || '2.40.7';
	const cache = process.env.DELIVERY_CHANNEL_CACHE || path.join(os.homedir(), '.cache', 'n8n-nodes-delivery-channel');
	return path.join(cache, `n8n-${version}`);
}

function n8nPaths(dir) {
	const p = {
		dir,
		node: path.join(dir, 'node_modules', '.bin', 'node'),
		n8nBin: path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n'),
		nodeModules: path.join(dir, 'node_modules'),
		version: JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'n8n', 'package.json'), 'utf8')).version,
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
	if (!fs.existsSync(BUILT_NODE)) throw new Error(`build finished but ${path.relative(REPO_ROOT, BUILT_NODE)} is missing`);
	return path.join(REPO_ROOT, 'dist');
}

/**
 * Builds and copies the result (dist/ and the files npm pack adds) to `dest`, with the repository's
 * node_modules linked beside it, so what the test runs and packs cannot change under it when someone
 * else rebuilds the same checkout meanwhile (the build starts by removing dist/). Returns
 * { root, dist }: `root` for npm pack, `dist` for N8N_CUSTOM_EXTENSIONS and the MSC sandbox.
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
				if (fs.existsSync(path.join(REPO_ROOT, file))) fs.copyFileSync(path.join(REPO_ROOT, file), path.join(dest, file));
			}
			fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dest, 'node_modules'), 'dir');
			const missing = required.filter((file) => !fs.existsSync(path.join(dest, file)));
			if (missing.length) throw new Error(`the copied build lacks ${missing.join(', ')}`);
			return { root: dest, dist: path.join(dest, 'dist') };
		} catch (error) {
			// Another build in the same checkout removes dist/ as it starts: ours can fail or be copied
			// half-written. Wait for it and build again.
			if (attempt >= attempts) throw new Error(`no complete build after ${attempts} attempts: ${error.message}`);
			log(`Build attempt ${attempt} failed (${error.message.split('\n').slice(0, 3).join(' ')}); building again in ${waitMs / 1000} s...`);
			await new Promise((resolve) => setTimeout(resolve, waitMs));
		}
	}
}

/** A fresh temporary folder, removed when the process exits (unless KEEP_TMP=1). */
function makeTempDir(prefix) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
	if (!process.env.KEEP_TMP) onExit(() => fs.rmSync(dir, { recursive: true, force: true }));
	return dir;
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

const INHERITED_N8N_VARS = /^(N8N_|DB_|EXECUTIONS_|QUEUE_|GENERIC_TIMEZONE|WEBHOOK_URL|NODE_FUNCTION_ALLOW|NODE_OPTIONS)/;

/**
 * Environment for an n8n process. The caller's N8N_* / DB_* variables are dropped so a developer's
 * own n8n settings cannot leak into tests.
 */
function n8nEnv(paths, { userFolder, encryptionKey, customExtensions, brokerPort, logLevel, extra = {} }) {
	const env = {};
	for (const [k, v] of Object.entries(process.env)) if (!INHERITED_N8N_VARS.test(k)) env[k] = v;
	Object.assign(env, {
		PATH: `${path.dirname(paths.node)}:${process.env.PATH || '/usr/bin:/bin'}`,
		N8N_USER_FOLDER: userFolder,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		// N8N_RUNNERS_ENABLED is not set: n8n 2.x always runs the (internal) task runner, which the
		// Code node needs, and flags the variable as deprecated.
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_RUNNERS_BROKER_PORT: String(brokerPort || 5679),
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		// 'info' at least: `n8n execute` prints the run JSON through its logger at level info.
		N8N_LOG_LEVEL: process.env.E2E_N8N_LOG_LEVEL || logLevel || 'info',
		N8N_LOG_OUTPUT: 'console',
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_SECURE_COOKIE: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_BLOCK_ENV_ACCESS_IN_NODE: 'true',
		NODE_ENV: 'production',
	});
	if (encryptionKey) env.N8N_ENCRYPTION_KEY = encryptionKey; // else n8n keeps its own in <folder>/.n8n/config
	if (customExtensions) env.N8N_CUSTOM_EXTENSIONS = customExtensions;
	Object.assign(env, extra);
	return env;
}

/** A configured n8n instance (one user folder). */
class N8n {
	constructor(paths, options) {
		this.paths = paths;
		this.userFolder = options.userFolder;
		this.options = options;
		this.env = n8nEnv(paths, options);
	}

	static async create(paths, options) {
		const brokerPort = options.brokerPort || (await freePort());
		const n8n = new N8n(paths, { ...options, brokerPort });
		instances.push(n8n);
		return n8n;
	}

	async cli(args, { timeoutMs = 3 * 60 * 1000, allowFailure = false } = {}) {
		const r = await run(this.paths.node, [this.paths.n8nBin, ...args], {
			cwd: this.userFolder,
			env: this.env,
			timeoutMs,
		});
		transcript.push({ folder: this.userFolder, command: `n8n ${args.join(' ')}`, stdout: r.stdout, stderr: r.stderr });
		if (!allowFailure && (r.code !== 0 || r.timedOut)) {
			throw new Error(
				`n8n ${args[0]} failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${tail(r.stdout, 30)}\n${tail(r.stderr, 30)}`,
			);
		}
		return r;
	}

	/** Imports credentials (an array of {id, name, type, data}); data is encrypted by n8n on import. */
	async importCredentials(credentials, name = 'credentials.json') {
		const file = path.join(this.userFolder, name);
		fs.writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
		try {
			return await this.cli(['import:credentials', `--input=${file}`]);
		} finally {
			fs.rmSync(file, { force: true }); // plain-text secrets do not stay on disk
		}
	}

	/** Imports one workflow object (or an array of them); n8n keeps the ids from the JSON. */
	async importWorkflow(workflow, name = 'workflow.json') {
		const file = path.join(this.userFolder, name);
		fs.writeFileSync(file, JSON.stringify(Array.isArray(workflow) ? workflow : [workflow], null, 2));
		return await this.cli(['import:workflow', `--input=${file}`]);
	}

	/**
	 * `n8n execute --id=ID --rawOutput`; returns { run, raw, ms } where run is the parsed execution
	 * (IRun: data.resultData.runData ...). A failed workflow run still returns the parsed run when
	 * n8n printed it, with run.status / run.data.resultData.error set.
	 */
	async execute(id, { timeoutMs = 5 * 60 * 1000 } = {}) {
		const r = await this.cli(['execute', `--id=${id}`, '--rawOutput'], { timeoutMs, allowFailure: true });
		const parsed = parseRunOutput(r.stdout) || parseRunOutput(r.stderr);
		if (!parsed) {
			throw new Error(
				`n8n execute printed no run data (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${tail(r.stdout, 30)}\n${tail(r.stderr, 30)}`,
			);
		}
		return { run: parsed, raw: r, ms: r.ms, exitCode: r.code };
	}

	/** Starts `n8n start` (the editor + REST API) on 127.0.0.1:port; resolves once /healthz answers. */
	async startServer({ port, timeoutMs = 120000, echo = false, extraEnv = {}, onLine } = {}) {
		port = port || (await freePort());
		const env = { ...this.env, N8N_PORT: String(port), ...extraEnv };
		const output = { folder: this.userFolder, command: 'n8n start', stdout: '', stderr: '' };
		transcript.push(output);
		const handle = start(this.paths.node, [this.paths.n8nBin, 'start'], {
			cwd: this.userFolder,
			env,
			timeoutMs: this.options.serverTimeoutMs || 24 * 60 * 60 * 1000,
			echo,
			onLine: (line, stream) => {
				output[stream] += `${line}\n`;
				if (onLine) onLine(line, stream);
			},
			keep: false,
		});
		const url = `http://127.0.0.1:${port}`;
		const deadline = Date.now() + timeoutMs;
		let exited = false;
		handle.done.then(() => {
			exited = true;
		});
		while (Date.now() < deadline && !exited) {
			const res = await httpGet(`${url}/healthz/readiness`).catch(() => null);
			if (res && res.status === 200) return { handle, url, port };
			await new Promise((r) => setTimeout(r, 500));
		}
		throw new Error(exited ? 'n8n start exited before it became ready' : `n8n start not ready within ${timeoutMs} ms`);
	}
}

function httpGet(url, timeoutMs = 3000, headers = {}) {
	return new Promise((resolve, reject) => {
		const req = http.get(url, { timeout: timeoutMs, headers }, (res) => {
			let body = '';
			res.on('data', (c) => (body += c));
			res.on('end', () => resolve({ status: res.statusCode, body, headers: res.headers }));
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', reject);
	});
}

/**
 * Finds the run JSON that `n8n execute --rawOutput` prints after its log lines:
 * JSON.stringify(data, null, 2) puts only the outermost braces in column 0. At log level info the
 * braces stand alone on their lines; at debug the logger prefixes the first line with
 * "<time> | info  | " and appends the log metadata ({"file":...}) to the last. Tries every
 * candidate, returns the last one that parses as a run.
 */
function parseRunOutput(text) {
	const lines = String(text || '').split('\n').map((line) => line.replace(/\r$/, ''));
	const opening = /^(?:\S+ \| \w+\s*\| )?\{$/;
	const closing = /^\}(?: \{.*\})?$/;
	let found = null;
	for (let i = 0; i < lines.length; i++) {
		if (!opening.test(lines[i])) continue;
		for (let j = i + 1; j < lines.length; j++) {
			if (!closing.test(lines[j])) continue;
			try {
				const obj = JSON.parse(['{', ...lines.slice(i + 1, j), '}'].join('\n'));
				if (obj && obj.data && obj.data.resultData) found = obj;
			} catch {
				// not JSON after all
			}
			i = j;
			break;
		}
	}
	return found;
}

/** The runs of one node in an execution (array of ITaskData), or []. */
function nodeRuns(runData, nodeName) {
	return (runData && runData.data && runData.data.resultData.runData[nodeName]) || [];
}

/** Output items of a node's first run, first output. */
function nodeItems(runData, nodeName, output = 0) {
	const r = nodeRuns(runData, nodeName)[0];
	return (r && r.data && r.data.main && r.data.main[output]) || [];
}

/** A short description of the execution's error, for FAIL lines. */
function runError(runData) {
	const e = runData && runData.data && runData.data.resultData.error;
	if (!e) return null;
	return [e.message, e.description].filter(Boolean).join(' - ');
}

/** Loads bcryptjs from the n8n install (for N8N_INSTANCE_OWNER_PASSWORD_HASH). */
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
	makeTempDir,
	freePort,
	n8nEnv,
	N8n,
	httpGet,
	parseRunOutput,
	nodeRuns,
	nodeItems,
	runError,
	bcryptFromN8n,
	log,
	transcript,
	instances,
};
