'use strict';
// n8n in queue mode (or, with mode 'regular', one n8n process that runs every execution itself): one
// main (`n8n start`: editor, REST API, webhooks; it puts each execution on the
// Bull queue in Redis) and N workers (`n8n worker`: they take executions off the queue and run them),
// all sharing one PostgreSQL database, one Redis and one encryption key. Each process has its own user
// folder with the package installed in <folder>/.n8n/nodes, as on separate machines.

const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const crypto = require('node:crypto');
const { run: runCommand, tail } = require('../lib/proc');
const { freePort } = require('../lib/ports');
const { startChild, stopChild } = require('./proc');

const log = (msg) => process.stderr.write(`${msg}\n`);

/** The caller's own n8n settings must not leak into the cluster. */
const INHERITED =
	/^(N8N_|DB_|EXECUTIONS_|QUEUE_|GENERIC_TIMEZONE|WEBHOOK_URL|NODE_FUNCTION_ALLOW|NODE_OPTIONS|OFFLOAD_)/;

/**
 * The environment every process of the cluster shares, plus its own user folder and task-runner port.
 * @param {{ db: any, redis: any, encryptionKey: string, mode?: string, logLevel?: string,
 *   extraEnv?: Record<string, string> }} shared
 * @param {{ userFolder?: string, brokerPort?: number, own?: Record<string, string> }} role
 */
function processEnv(paths, shared, role) {
	const { userFolder, brokerPort, own = {} } = role;
	const env = {};
	for (const [k, v] of Object.entries(process.env)) if (!INHERITED.test(k)) env[k] = v;
	Object.assign(env, {
		PATH: `${path.dirname(paths.node)}:${process.env.PATH || '/usr/bin:/bin'}`,
		NODE_ENV: 'production',
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: shared.encryptionKey,
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: '127.0.0.1',
		DB_POSTGRESDB_PORT: String(shared.db.port),
		DB_POSTGRESDB_DATABASE: shared.db.database,
		DB_POSTGRESDB_USER: shared.db.user,
		DB_POSTGRESDB_PASSWORD: shared.db.password,
		...(shared.mode === 'regular'
			? { EXECUTIONS_MODE: 'regular' }
			: {
					EXECUTIONS_MODE: 'queue',
					QUEUE_BULL_REDIS_HOST: '127.0.0.1',
					QUEUE_BULL_REDIS_PORT: String(shared.redis.port),
					QUEUE_BULL_REDIS_PASSWORD: shared.redis.password,
					// the default in queue mode; named here because 'filesystem' cannot work across machines
					N8N_DEFAULT_BINARY_DATA_MODE: 'database',
					OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
				}),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_DISABLED_MODULES: 'mcp-registry', // it polls api.n8n.io at start; this machine may be offline
		N8N_LOG_LEVEL: shared.logLevel || 'info',
		N8N_LOG_OUTPUT: 'console',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_BLOCK_ENV_ACCESS_IN_NODE: 'true',
		N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '15',
		N8N_SECURE_COOKIE: 'false',
	});
	return Object.assign(env, own, shared.extraEnv || {});
}

function httpStatus(url) {
	return new Promise((resolve) => {
		const req = http.get(url, { timeout: 3000 }, (res) => {
			res.resume();
			resolve(res.statusCode);
		});
		req.on('timeout', () => req.destroy());
		req.on('error', () => resolve(0));
	});
}

async function waitReady(handle, url, timeoutMs) {
	let exited = false;
	handle.done.then(() => (exited = true));
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline && !exited) {
		if ((await httpStatus(url)) === 200) return;
		await new Promise((r) => setTimeout(r, 500));
	}
	throw new Error(
		`${handle.name} ${exited ? 'exited' : `was not ready within ${timeoutMs / 1000} s`}:\n${handle.recent.slice(-25).join('\n')}`,
	);
}

/**
 * Prepares and starts the cluster. Returns { url, main, workers, cli(), stop() }.
 * @param {{ paths: any, dir: string, db: any, redis: any, workers: number, concurrency: number, mode?: string,
 *   install: (userFolder: string) => Promise<number>, setup: (cli: Function) => Promise<void>,
 *   logLevel?: string, extraEnv?: Record<string, string> }} o
 */
async function startCluster(o) {
	const shared = {
		db: o.db,
		redis: o.redis,
		encryptionKey: crypto.randomBytes(24).toString('hex'),
		mode: o.mode,
		logLevel: o.logLevel,
		extraEnv: o.extraEnv,
	};
	/** @type {{ name: string, userFolder?: string, brokerPort?: number, healthPort?: number, handle?: any }[]} */
	const roles = [
		{ name: 'main' },
		...Array.from({ length: o.workers }, (_, i) => ({ name: `worker${i + 1}` })),
	];
	for (const role of roles) {
		role.userFolder = path.join(o.dir, role.name);
		fs.mkdirSync(role.userFolder, { recursive: true });
		role.brokerPort = await freePort();
	}
	// one install at a time: npm is CPU-bound and this machine is small
	for (const role of roles) {
		const ms = await o.install(role.userFolder);
		log(`  npm install of the package into ${role.name}/.n8n/nodes: ${(ms / 1000).toFixed(1)} s`);
	}
	const main = roles[0];
	const mainEnv = processEnv(o.paths, shared, main);
	const cli = async (args) => {
		const r = await runCommand(o.paths.node, [o.paths.n8nBin, ...args], {
			cwd: main.userFolder,
			env: mainEnv,
			timeoutMs: 5 * 60 * 1000,
		});
		if (r.code !== 0)
			throw new Error(
				`n8n ${args[0]} failed (exit ${r.code}):\n${tail(r.stdout, 20)}\n${tail(r.stderr, 20)}`,
			);
		return r;
	};
	let t = Date.now();
	await o.setup(cli);
	log(
		`  database migrated, credentials and workflows imported and published: ${((Date.now() - t) / 1000).toFixed(1)} s`,
	);

	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	t = Date.now();
	const own = {
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		WEBHOOK_URL: `${url}/`,
	};
	main.handle = startChild('n8n main', o.paths.node, [o.paths.n8nBin, 'start'], {
		cwd: main.userFolder,
		env: processEnv(o.paths, shared, { ...main, own }),
		log: path.join(o.dir, 'main.log'),
	});
	await waitReady(main.handle, `${url}/healthz/readiness`, 180_000);
	log(`  main ready on ${url}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
	t = Date.now();
	const workers = roles.slice(1);
	const startWorker = async (w) => {
		w.healthPort ??= await freePort();
		const env = processEnv(o.paths, shared, {
			...w,
			own: { QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(w.healthPort) },
		});
		w.handle = startChild(
			`n8n ${w.name}`,
			o.paths.node,
			[o.paths.n8nBin, 'worker', `--concurrency=${o.concurrency}`],
			{ cwd: w.userFolder, env, log: path.join(o.dir, `${w.name}.log`) },
		);
		await waitReady(w.handle, `http://127.0.0.1:${w.healthPort}/healthz/readiness`, 180_000);
	};
	await Promise.all(workers.map(startWorker));
	if (workers.length)
		log(
			`  ${workers.length} workers ready (concurrency ${o.concurrency} each): ${((Date.now() - t) / 1000).toFixed(1)} s`,
		);
	const worker = (i) => {
		if (!workers[i]) throw new Error(`there is no worker ${i + 1}`);
		return workers[i];
	};
	return {
		url,
		main: main.handle,
		get workers() {
			return workers.map((w) => w.handle);
		},
		cli,
		/** SIGKILL to worker i's process group (n8n and its task runner): no shutdown, jobs left as they are. */
		async killWorker(i) {
			await stopChild(worker(i).handle, { signal: 'SIGKILL', graceMs: 5_000 });
		},
		/** Whether worker i is running. */
		workerRunning: (i) =>
			worker(i).handle.child.exitCode === null && !worker(i).handle.child.signalCode,
		/** Starts worker i again (same user folder and health port); resolves when it is ready. */
		async restartWorker(i) {
			await startWorker(worker(i));
		},
		/** Workers first (they finish their running jobs), then main. */
		async stop() {
			await Promise.all(workers.map((w) => stopChild(w.handle, { graceMs: 20_000 })));
			await stopChild(main.handle, { graceMs: 20_000 });
		},
	};
}

module.exports = { startCluster };
