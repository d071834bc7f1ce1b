'use strict';
// One configured n8n (a user folder and its environment): CLI commands (import, execute) and
// `n8n start`. Every command's output is kept in `transcript` for the seeded-secret check.

const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { run, start, tail } = require('./proc');
const { freePort } = require('./ports');
const { parseRunOutput } = require('./n8n-run-data');

/**
 * The pinned n8n install (scripts/install-n8n.sh).
 * @typedef {{ dir: string, node: string, n8nBin: string, nodeModules: string, version: string }} N8nPaths
 */
/**
 * @typedef {object} N8nOptions
 * @property {string} userFolder  N8N_USER_FOLDER
 * @property {string} [encryptionKey]  else n8n keeps its own in <folder>/.n8n/config
 * @property {string} [customExtensions]  N8N_CUSTOM_EXTENSIONS (the built dist/ folder)
 * @property {number} [brokerPort]  the task runner broker's port (a free one when not set)
 * @property {string} [logLevel]  N8N_LOG_LEVEL ('info' at least)
 * @property {Record<string, string>} [extra]  more environment variables
 * @property {number} [serverTimeoutMs]  how long `n8n start` may run
 */
/**
 * What one n8n command printed.
 * @typedef {{ folder: string, command: string, stdout: string, stderr: string }} TranscriptEntry
 */

/** @type {TranscriptEntry[]} Everything every n8n process of this run printed; a server's lines are appended as they arrive. */
const transcript = [];
/** @type {N8n[]} Every n8n instance (user folder) this process configured. */
const instances = [];

const INHERITED_N8N_VARS =
	/^(N8N_|DB_|EXECUTIONS_|QUEUE_|GENERIC_TIMEZONE|WEBHOOK_URL|NODE_FUNCTION_ALLOW|NODE_OPTIONS)/;

/**
 * Environment for an n8n process. The caller's N8N_* / DB_* variables are dropped so a developer's
 * own n8n settings cannot leak into tests.
 * @param {N8nPaths} paths
 * @param {N8nOptions} options
 * @returns {Record<string, string>}
 */
function n8nEnv(
	paths,
	{ userFolder, encryptionKey, customExtensions, brokerPort, logLevel, extra = {} },
) {
	/** @type {Record<string, string>} */
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
	if (encryptionKey) env.N8N_ENCRYPTION_KEY = encryptionKey;
	if (customExtensions) env.N8N_CUSTOM_EXTENSIONS = customExtensions;
	Object.assign(env, extra);
	return env;
}

/** A configured n8n instance (one user folder). */
class N8n {
	/**
	 * @param {N8nPaths} paths
	 * @param {N8nOptions} options
	 */
	constructor(paths, options) {
		this.paths = paths;
		this.userFolder = options.userFolder;
		this.options = options;
		this.env = n8nEnv(paths, options);
	}

	/**
	 * @param {N8nPaths} paths
	 * @param {N8nOptions} options
	 */
	static async create(paths, options) {
		const brokerPort = options.brokerPort || (await freePort());
		const n8n = new N8n(paths, { ...options, brokerPort });
		instances.push(n8n);
		return n8n;
	}

	/**
	 * Runs one n8n CLI command; throws when it fails, unless allowFailure.
	 * @param {string[]} args
	 * @param {{ timeoutMs?: number, allowFailure?: boolean }} [options]
	 */
	async cli(args, { timeoutMs = 3 * 60 * 1000, allowFailure = false } = {}) {
		const r = await run(this.paths.node, [this.paths.n8nBin, ...args], {
			cwd: this.userFolder,
			env: this.env,
			timeoutMs,
		});
		transcript.push({
			folder: this.userFolder,
			command: `n8n ${args.join(' ')}`,
			stdout: r.stdout,
			stderr: r.stderr,
		});
		if (!allowFailure && (r.code !== 0 || r.timedOut)) {
			throw new Error(
				`n8n ${args[0]} failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n` +
					`${tail(r.stdout, 30)}\n${tail(r.stderr, 30)}`,
			);
		}
		return r;
	}

	/**
	 * Imports credentials (an array of {id, name, type, data}); data is encrypted by n8n on import.
	 * @param {object[]} credentials
	 */
	async importCredentials(credentials, name = 'credentials.json') {
		const file = path.join(this.userFolder, name);
		fs.writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
		try {
			return await this.cli(['import:credentials', `--input=${file}`]);
		} finally {
			fs.rmSync(file, { force: true }); // plain-text secrets do not stay on disk
		}
	}

	/**
	 * Imports one workflow object (or an array of them); n8n keeps the ids from the JSON.
	 * @param {object | object[]} workflow
	 */
	async importWorkflow(workflow, name = 'workflow.json') {
		const file = path.join(this.userFolder, name);
		fs.writeFileSync(
			file,
			JSON.stringify(Array.isArray(workflow) ? workflow : [workflow], null, 2),
		);
		return await this.cli(['import:workflow', `--input=${file}`]);
	}

	/**
	 * `n8n execute --id=ID --rawOutput`; returns { run, raw, ms, exitCode } where run is the parsed
	 * execution (IRun: data.resultData.runData ...). A failed workflow run still returns the parsed
	 * run when n8n printed it, with run.status / run.data.resultData.error set.
	 * @param {string} id
	 */
	async execute(id, { timeoutMs = 5 * 60 * 1000 } = {}) {
		const r = await this.cli(['execute', `--id=${id}`, '--rawOutput'], {
			timeoutMs,
			allowFailure: true,
		});
		const parsed = parseRunOutput(r.stdout) || parseRunOutput(r.stderr);
		if (!parsed) {
			throw new Error(
				`n8n execute printed no run data (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n` +
					`${tail(r.stdout, 30)}\n${tail(r.stderr, 30)}`,
			);
		}
		return { run: parsed, raw: r, ms: r.ms, exitCode: r.code };
	}

	/**
	 * Starts `n8n start` (the editor + REST API) on 127.0.0.1:port; resolves once /healthz answers.
	 * @param {object} [options]
	 * @param {number} [options.port]  a free one when not set
	 * @param {number} [options.timeoutMs]  how long to wait for readiness
	 * @param {boolean} [options.echo]  copy its output to our stderr
	 * @param {Record<string, string>} [options.extraEnv]
	 * @param {(line: string, stream: 'stdout' | 'stderr') => void} [options.onLine]
	 */
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
		throw new Error(
			exited
				? 'n8n start exited before it became ready'
				: `n8n start not ready within ${timeoutMs} ms`,
		);
	}
}

/**
 * A GET request; resolves with { status, body, headers } (also for error statuses).
 * @param {string} url
 * @param {number} [timeoutMs]
 * @param {http.OutgoingHttpHeaders} [headers]
 * @returns {Promise<{ status: number, body: string, headers: http.IncomingHttpHeaders }>}
 */
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

module.exports = { N8n, n8nEnv, freePort, httpGet, transcript, instances };
