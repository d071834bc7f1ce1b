#!/usr/bin/env node
'use strict';
// n8n in queue mode on this machine (PostgreSQL + Redis from Debian packages, n8n main + workers with
// the packed package installed in each), one lead per webhook call against a counting SMTP server
// that enforces a provider's limits (scripts/lib/limited-smtp.js) or the fake Google with its per-user
// quota (fake-gmail.js). For each node (ours, the built-in Send Email) × server limits (× pass) it
// prints what the server received and how n8n's executions and items ended; optionally a worker is
// SIGKILLed mid-batch and every lead's outcome is accounted for.
//
// Usage and options: node scripts/queue/run.js --help (scripts/queue/options.js).
// KEEP_TMP=1 keeps the temporary folder (logs of every process, the database).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { onExit, running } = require('../lib/proc');
const { installN8n } = require('../lib/n8n');
const proc = require('./proc');
const services = require('./services');
const { buildAndPack, installInto, sourceDescription } = require('./package');
const { startCluster } = require('./cluster');
const fixtures = require('./fixtures');
const report = require('./report');
const { accountingTable } = require('./accounting');
const { startSmtpTarget, startGmailTarget } = require('./targets');
const { publish, warmUp, runPass } = require('./rows');
const { parseArgs, credentialLimits, describeKill, SCENARIOS, USAGE } = require('./options');

const log = (msg) => process.stderr.write(`${msg}\n`);

/** The rows' workflows and credentials: one per node × scenario the node can run. */
function planRows(a, targets) {
	const wfs = [];
	for (const scenario of a.scenarios) {
		const { target } = SCENARIOS[scenario];
		for (const key of a.nodes) {
			if (!fixtures.supports(target, key)) {
				log(`(${fixtures.NODES[key].label} has no ${target} workflow: no row for ${scenario})`);
				continue;
			}
			const limits = SCENARIOS[scenario].limits(a);
			const creds = key === 'ours' && target === 'smtp' ? credentialLimits(a, limits) : undefined;
			const f = fixtures.rowFixtures({
				node: key,
				target,
				scenario,
				index: wfs.length + 1,
				idempotencyKey: a.idempotencyKey,
				smtp: targets.smtp?.smtp,
				gmail: targets.gmail?.credential,
				limits: creds,
			});
			wfs.push({ ...f, key, scenario, target, limits, credentialLimits: creds });
		}
	}
	if (!wfs.length) throw new Error('no row to run: see --nodes and --scenarios');
	return wfs;
}

/** The settings lines above the table. */
function settingsLines(a, paths, source) {
	const kill = a.kill
		? `worker1 SIGKILLed in pass 1 of each row ${describeKill(a.kill)}, ` +
			(a.restartWorker >= 0
				? `started again ${a.restartWorker} s later`
				: 'not started again in that row')
		: '';
	return [
		`our package: ${source}`,
		a.mode === 'regular'
			? `n8n ${paths.version} regular mode: one process, PostgreSQL`
			: `n8n ${paths.version} queue mode: main + ${a.workers} workers (concurrency ${a.workerConcurrency} each), PostgreSQL, Redis`,
		`${a.count} webhook calls per row, ${a.concurrencies.join(' / ')} at a time, one lead each`,
		a.idempotencyKey ? `ours: idempotencyKey ${a.idempotencyKey}` : 'ours: no idempotency key',
		a.nodes.includes('ours') && a.scenarios.some((x) => SCENARIOS[x].target === 'smtp')
			? `our Custom SMTP credential: ${
					a.credentialLimits === 'server' ? "the server's limits" : 'automatic limits'
				}${a.credentialMaxConnections ? `, Max Connections ${a.credentialMaxConnections}` : ''}${
					a.credentialPerMinute ? `, Messages per Minute ${a.credentialPerMinute}` : ''
				}`
			: '',
		kill,
	].filter(Boolean);
}

/** How many keys our node left in Redis (evidence the workers shared n8n's Redis), by kind. */
async function redisKeys(redisServer, redis) {
	const cli = path.join(path.dirname(redisServer), 'redis-cli');
	if (!fs.existsSync(cli)) return null;
	const { run } = require('../lib/proc');
	const r = await run(
		cli,
		['-p', String(redis.port), '--no-auth-warning', '--scan', '--pattern', 'delivery-channel:*'],
		{
			env: { ...process.env, REDISCLI_AUTH: redis.password },
		},
	);
	const kinds = {};
	for (const key of r.stdout.split('\n').filter(Boolean)) {
		const kind = key.split(':')[1] || key;
		kinds[kind] = (kinds[kind] || 0) + 1;
	}
	return kinds;
}

async function main() {
	const a = parseArgs(process.argv.slice(2));
	if (a.help) {
		console.log(USAGE);
		return;
	}
	const t0 = Date.now();
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dc-queue-'));
	fs.chmodSync(tmp, 0o711); // the postgres user must reach its folder inside
	onExit(() => {
		if (process.env.KEEP_TMP)
			process.stderr.write(`Kept ${tmp} (KEEP_TMP=1): logs of every process, the database.\n`);
		else fs.rmSync(tmp, { recursive: true, force: true });
	});
	const timings = {};
	const step = async (name, fn) => {
		const t = Date.now();
		const value = await fn();
		timings[name] = Date.now() - t;
		return value;
	};

	const { redisServer, pgBin } = await step('packages', () => services.ensurePackages());
	const paths = await step('n8n install', () => installN8n({ timeoutMs: 30 * 60 * 1000 }));
	log(`n8n ${paths.version} from ${paths.dir}; PostgreSQL from ${pgBin}; ${redisServer}`);
	const source = a.package ? `package ${path.basename(a.package)}` : await sourceDescription(a);
	const tgz = a.package
		? path.resolve(a.package)
		: await step('build + pack', () =>
				buildAndPack(path.join(tmp, 'pack'), { fromHead: a.fromHead }),
			);

	const kinds = new Set(a.scenarios.map((s) => SCENARIOS[s].target));
	const targets = {};
	if (kinds.has('smtp')) {
		const auth = { user: 'queue-user', pass: crypto.randomBytes(12).toString('base64url') };
		targets.smtp = await startSmtpTarget(tmp, auth);
	}
	if (kinds.has('gmail')) targets.gmail = await startGmailTarget(tmp, SCENARIOS.gmail.limits(a));
	const db = await step('postgres', () =>
		services.startPostgres(path.join(tmp, 'pg'), pgBin, { logDir: tmp }),
	);
	const redis = await step('redis', () =>
		services.startRedis(path.join(tmp, 'redis'), redisServer, { logDir: tmp }),
	);
	const where = Object.values(targets).map((t) => t.where);
	log(`${where.join(', ')}, PostgreSQL :${db.port}, Redis :${redis.port}`);

	const fill = (v) =>
		v.replace(/\{redisPort\}/g, String(redis.port)).replace(/\{redisPassword\}/g, redis.password);
	const extraEnv = Object.fromEntries(Object.entries(a.env).map(([k, v]) => [k, fill(v)]));
	const wfs = planRows(a, targets);
	const cluster = await step('cluster start', () =>
		startCluster({
			paths,
			dir: path.join(tmp, 'n8n'),
			db,
			redis,
			workers: a.workers,
			concurrency: a.workerConcurrency,
			mode: a.mode,
			logLevel: a.logLevel,
			extraEnv,
			install: (folder) => installInto(folder, tgz),
			setup: async (cli) => {
				const credFile = path.join(tmp, 'credentials.json');
				fs.writeFileSync(credFile, JSON.stringify(wfs.map((w) => w.credential)), { mode: 0o600 });
				await cli(['import:credentials', `--input=${credFile}`]);
				fs.rmSync(credFile);
				const wfFile = path.join(tmp, 'workflows.json');
				fs.writeFileSync(wfFile, JSON.stringify(wfs.map((w) => w.workflow)));
				await cli(['import:workflow', `--input=${wfFile}`]);
				await publish(db, paths, wfs, cli);
			},
		}),
	);

	const pg = services.pgClient(paths.nodeModules, db);
	await pg.connect();
	const rows = [];
	const tLoad = Date.now();
	let keys = null;
	try {
		if (a.warmup) await warmUp({ a, cluster, targets, wfs });
		for (const wf of wfs) {
			const target = targets[wf.target];
			for (const concurrency of a.concurrencies) {
				const at = { ...a, concurrency };
				for (let pass = 1; pass <= a.passes; pass++)
					rows.push(
						await runPass({ a: at, cluster, pg, target, paths, wf, limits: wf.limits, pass }),
					);
			}
		}
		keys = await redisKeys(redisServer, redis).catch(() => null);
	} finally {
		timings.load = Date.now() - tLoad;
		await pg.end().catch(() => undefined);
		const tStop = Date.now();
		await cluster.stop();
		await redis.stop();
		await db.stop();
		for (const t of Object.values(targets)) await proc.stopChild(t.handle);
		timings.shutdown = Date.now() - tStop;
	}

	console.log(`\n${settingsLines(a, paths, source).join('\n')}\n\n${report.table(rows)}\n`);
	if (keys)
		console.log(`Our keys in n8n's Redis (shared by main and workers): ${JSON.stringify(keys)}\n`);
	for (const wf of wfs) {
		const passes = rows.filter((r) => r.scenario === wf.scenario && r.node === wf.key);
		if (!passes.some((r) => r.killed)) continue;
		const k = passes.find((r) => r.killed).killed;
		console.log(
			`Accounting, ${wf.label}, ${wf.scenario} (worker1 killed at ${(k.killedAt / 1000).toFixed(1)} s, ` +
				`${k.messagesAtKill} messages in${k.restartedAt ? `; running again at ${(k.restartedAt / 1000).toFixed(1)} s` : ''}):`,
		);
		console.log(`${accountingTable(passes, { duplicateStatus: a.duplicateStatus })}\n`);
	}
	const refusals = report.refusalTimes(rows);
	if (refusals) console.log(`When the server refused for the rate:\n${refusals}\n`);
	const failures = report.failures(rows);
	if (failures) console.log(`Why executions failed:\n${failures}\n`);
	const secs = Object.entries(timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`);
	console.log(`Times: ${secs.join(', ')}; total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	if (a.json)
		fs.writeFileSync(
			path.resolve(a.json),
			JSON.stringify({ settings: a, timings, keys, rows }, null, 2),
		);
	if (a.check) {
		const problems = report.check(rows, { duplicateStatus: a.duplicateStatus });
		const shown = problems.slice(0, 40).map((p) => `  - ${p}`);
		if (problems.length > 40) shown.push(`  (${problems.length - 40} more)`);
		console.log(problems.length ? `CHECK FAILED:\n${shown.join('\n')}` : 'CHECK PASSED');
		if (problems.length) process.exitCode = 1;
	}
	if (running())
		log(`warning: ${running()} child process(es) still running at the end; they are killed now`);
}

main().then(
	() => process.exit(process.exitCode || 0),
	(error) => {
		log(`\nqueue run failed: ${error.stack || error.message}`);
		proc.stopAll().finally(() => process.exit(1));
	},
);
