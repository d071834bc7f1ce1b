'use strict';
// The services n8n queue mode needs, private to one run: a throwaway PostgreSQL cluster (initdb in a
// temporary folder, run as the `postgres` system user because the server refuses root) and a
// redis-server, each on a free port of 127.0.0.1, each a child process of this run.

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const { run: runCommand, tail } = require('../lib/proc');
const { freePort, waitForPort } = require('../lib/ports');
const { startChild, stopChild } = require('./proc');

const log = (msg) => process.stderr.write(`${msg}\n`);

/** The first folder of PATH or of `extra` that holds `binary`. */
function findBinary(binary, extra = []) {
	const dirs = [...(process.env.PATH || '').split(':'), ...extra].filter(Boolean);
	for (const dir of dirs) if (fs.existsSync(path.join(dir, binary))) return path.join(dir, binary);
	return null;
}

function pgBinDir() {
	const initdb = findBinary('initdb', fs.existsSync('/usr/lib/postgresql') ? listPgBins() : []);
	if (!initdb) return null;
	return path.dirname(fs.realpathSync(initdb));
}

function listPgBins() {
	return fs
		.readdirSync('/usr/lib/postgresql')
		.sort((a, b) => Number(b) - Number(a))
		.map((v) => `/usr/lib/postgresql/${v}/bin`);
}

/** Installs the Debian packages that are missing (root only); returns the binaries' folders. */
async function ensurePackages() {
	const missing = [];
	if (!findBinary('redis-server', ['/usr/bin', '/usr/sbin'])) missing.push('redis-server');
	if (!pgBinDir()) missing.push('postgresql');
	if (missing.length) {
		if (process.getuid && process.getuid() !== 0) {
			throw new Error(
				`missing ${missing.join(', ')}: install with apt-get install -y ${missing.join(' ')} (as root)`,
			);
		}
		log(`Installing ${missing.join(', ')} with apt-get...`);
		const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
		let r = await runCommand('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
			env,
		});
		if (r.code !== 0) {
			await runCommand('apt-get', ['update'], { env });
			r = await runCommand('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
				env,
			});
		}
		if (r.code !== 0)
			throw new Error(`apt-get install ${missing.join(' ')} failed:\n${tail(r.stderr)}`);
	}
	return { redisServer: findBinary('redis-server', ['/usr/bin', '/usr/sbin']), pgBin: pgBinDir() };
}

/**
 * uid/gid of the `postgres` system user (the server refuses to run as root); ours when not root.
 * @returns {{ uid?: number, gid?: number }}
 */
function postgresUser() {
	if (!process.getuid || process.getuid() !== 0) return {};
	try {
		const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
		const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
		return { uid, gid };
	} catch {
		throw new Error(
			'running as root and there is no `postgres` user to run PostgreSQL as (apt-get install postgresql creates it)',
		);
	}
}

/**
 * initdb + postgres in `dir` on a free port, a password login for `n8n`, database `n8n`.
 * Returns { port, user, password, database, handle, stop() }.
 */
async function startPostgres(dir, pgBin, { logDir = dir } = {}) {
	const owner = postgresUser();
	fs.mkdirSync(dir, { recursive: true });
	const data = path.join(dir, 'data');
	const password = crypto.randomBytes(18).toString('base64url');
	const pwfile = path.join(dir, 'pwfile');
	fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
	if (owner.uid !== undefined) {
		fs.chownSync(dir, owner.uid, owner.gid);
		fs.chownSync(pwfile, owner.uid, owner.gid);
	}
	const env = { PATH: `${pgBin}:/usr/bin:/bin`, LANG: 'C.UTF-8', HOME: dir };
	const init = await runCommand(
		path.join(pgBin, 'initdb'),
		[
			'-D',
			data,
			'-U',
			'n8n',
			'--pwfile',
			pwfile,
			'--auth-local=trust',
			'--auth-host=scram-sha-256',
			'-E',
			'UTF8',
			'--no-sync',
		],
		{ cwd: dir, env, ...owner, timeoutMs: 120_000 },
	);
	fs.rmSync(pwfile, { force: true });
	if (init.code !== 0)
		throw new Error(`initdb failed (exit ${init.code}):\n${tail(init.stdout + init.stderr)}`);
	const port = await freePort();
	const args = [
		'-D',
		data,
		'-p',
		String(port),
		'-c',
		'listen_addresses=127.0.0.1',
		'-c',
		`unix_socket_directories=${dir}`,
	];
	// a throwaway cluster: no fsync, fewer writes; enough connections for main + workers + our reads
	args.push(
		'-c',
		'fsync=off',
		'-c',
		'synchronous_commit=off',
		'-c',
		'full_page_writes=off',
		'-c',
		'max_connections=200',
	);
	const handle = startChild('postgres', path.join(pgBin, 'postgres'), args, {
		cwd: dir,
		env,
		...owner,
		log: path.join(logDir, 'postgres.log'),
	});
	const state = { exited: false };
	handle.done.then(() => (state.exited = true));
	await waitForPort(port, { exited: () => state.exited, what: 'postgres' });
	// The server listens before it accepts logins; createdb over the socket retries until it can.
	const deadline = Date.now() + 30_000;
	for (;;) {
		const r = await runCommand(
			path.join(pgBin, 'createdb'),
			['-h', dir, '-p', String(port), '-U', 'n8n', 'n8n'],
			{ env, ...owner },
		);
		if (r.code === 0) break;
		if (Date.now() > deadline)
			throw new Error(`createdb failed:\n${tail(r.stderr)}\n${handle.recent.join('\n')}`);
		await new Promise((res) => setTimeout(res, 500));
	}
	return {
		port,
		user: 'n8n',
		password,
		database: 'n8n',
		handle,
		// SIGINT: PostgreSQL's fast shutdown (rolls back open transactions, then exits)
		stop: () => stopChild(handle, { signal: 'SIGINT', graceMs: 20_000 }),
	};
}

/** redis-server on a free port, no persistence, a password. Returns { port, password, handle, stop() }. */
async function startRedis(dir, redisServer, { logDir = dir } = {}) {
	fs.mkdirSync(dir, { recursive: true });
	const port = await freePort();
	const password = crypto.randomBytes(18).toString('base64url');
	const conf = path.join(dir, 'redis.conf');
	const lines = [
		`port ${port}`,
		'bind 127.0.0.1',
		'save ""',
		'appendonly no',
		`dir ${dir}`,
		`requirepass ${password}`,
	];
	lines.push('daemonize no', 'loglevel notice', 'logfile ""');
	fs.writeFileSync(conf, `${lines.join('\n')}\n`, { mode: 0o600 });
	const handle = startChild('redis', redisServer, [conf], {
		cwd: dir,
		log: path.join(logDir, 'redis.log'),
	});
	const state = { exited: false };
	handle.done.then(() => (state.exited = true));
	await waitForPort(port, { exited: () => state.exited, what: 'redis-server' });
	return {
		port,
		password,
		handle,
		stop: () => stopChild(handle, { signal: 'SIGTERM', graceMs: 10_000 }),
	};
}

/** A pg client (the `pg` package of the n8n install) for reading what n8n stored. */
function pgClient(n8nNodeModules, db) {
	const { Client } = require(require.resolve('pg', { paths: [n8nNodeModules] }));
	const client = new Client({
		host: '127.0.0.1',
		port: db.port,
		user: db.user,
		password: db.password,
		database: db.database,
	});
	// the server going away (a stop, Ctrl-C) is an error event; the next query reports it
	client.on('error', () => undefined);
	return client;
}

module.exports = { ensurePackages, startPostgres, startRedis, pgClient };
