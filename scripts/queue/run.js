#!/usr/bin/env node
'use strict';
// n8n in queue mode on this machine (PostgreSQL + Redis from Debian packages, n8n main + workers with
// the packed package installed in each), one lead per webhook call against a counting SMTP server
// that enforces a provider's limits (scripts/lib/limited-smtp.js). For each node (ours, the built-in
// Send Email) × server limits it prints what the server received and how n8n's executions ended.
//
// Usage and options: scripts/queue/options.js.
// KEEP_TMP=1 keeps the temporary folder (logs of every process, the database).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { onExit, running } = require('../lib/proc');
const { installN8n } = require('../lib/n8n');
const proc = require('./proc');
const services = require('./services');
const { buildAndPack, installInto } = require('./package');
const { startCluster } = require('./cluster');
const fixtures = require('./fixtures');
const load = require('./load');
const report = require('./report');
const { parseArgs, SCENARIOS } = require('./options');

const log = (msg) => process.stderr.write(`${msg}\n`);
/** The limited SMTP server as a child process; resolves { smtpPort, httpPort, handle } once it listens. */
async function startSmtp(dir, auth) {
	let ready;
	const listening = new Promise((resolve) => (ready = resolve));
	const script = path.join(__dirname, '..', 'lib', 'limited-smtp.js');
	const handle = proc.startChild(
		'limited-smtp',
		process.execPath,
		[script, `--user=${auth.user}`],
		{
			env: { ...process.env, LIMITED_SMTP_PASSWORD: auth.pass },
			log: path.join(dir, 'limited-smtp.log'),
			onLine: (line) => {
				if (line.startsWith('{')) ready(JSON.parse(line));
			},
		},
	);
	const ports = await Promise.race([
		listening,
		handle.done.then(() =>
			Promise.reject(new Error(`limited-smtp exited:\n${handle.recent.join('\n')}`)),
		),
	]);
	return { ...ports, handle };
}

async function runOne({ a, cluster, pg, smtp, paths, wf, scenario, pass }) {
	const limits = SCENARIOS[scenario](a);
	// pass 2 (and later): new counters, but the Message-IDs and leads of pass 1 still count as seen
	await smtp.reset({ ...limits, keepHistory: pass > 1 });
	const afterId = await load.lastExecutionId(pg);
	const leads = Array.from({ length: a.count }, (_, i) => {
		const leadId = `${scenario}-${wf.key}-${String(i + 1).padStart(4, '0')}`;
		return { leadId, email: `${leadId}@leads.example.net`, name: `Lead ${i + 1}` };
	});
	log(
		`${wf.label}, ${report.describeLimits(limits)}${a.passes > 1 ? `, pass ${pass}` : ''}: ${a.count} calls, ${a.concurrency} at a time...`,
	);
	const result = await load.runLoad({
		url: `${cluster.url}/webhook/${wf.webhookPath}`,
		leads,
		concurrency: a.concurrency,
		timeoutMs: a.timeout * 1000,
	});
	const executions = await load.executionCounts(pg, wf.id, afterId);
	await new Promise((r) => setTimeout(r, 1000)); // late messages and closing connections
	const row = {
		scenario,
		node: wf.key,
		label: wf.label,
		pass,
		passes: a.passes,
		count: a.count,
		wallMs: result.ms,
		calls: load.summarizeCalls(result.calls),
		executions,
		failures: await load.failureMessages(pg, wf.id, afterId, paths.nodeModules),
		smtp: await smtp.stats(),
	};
	const failed = (executions.error || 0) + (executions.crashed || 0);
	log(
		`  ${row.smtp.messages} delivered, ${failed} failed executions, peak ${row.smtp.peakOpen} open, ${(result.ms / 1000).toFixed(1)} s`,
	);
	return row;
}

/**
 * Publishes the workflows (their webhooks go live when main starts): what `n8n publish:workflow` does
 * (active, activeVersionId = the current version, which must be in the history), as one SQL update
 * instead of one n8n start per workflow; the CLI when the schema is not the one expected.
 */
async function publish(db, paths, wfs, cli) {
	const pg = services.pgClient(paths.nodeModules, db);
	await pg.connect();
	try {
		const ids = wfs.map((w) => w.id);
		const r = await pg.query(
			`UPDATE workflow_entity w SET active = true, "activeVersionId" = w."versionId"
			 WHERE w.id = ANY($1) AND EXISTS (SELECT 1 FROM workflow_history h WHERE h."workflowId" = w.id AND h."versionId" = w."versionId")`,
			[ids],
		);
		if (r.rowCount === ids.length) return;
		log(
			`  publishing by SQL updated ${r.rowCount} of ${ids.length} workflows; using n8n publish:workflow`,
		);
	} catch (error) {
		log(`  publishing by SQL failed (${error.message}); using n8n publish:workflow`);
	} finally {
		await pg.end().catch(() => undefined);
	}
	for (const w of wfs) await cli(['publish:workflow', `--id=${w.id}`]);
}

/** A few calls per workflow against the unlimited server, so no row pays for loading the nodes. */
async function warmUp({ a, cluster, smtp, wfs }) {
	await smtp.reset({});
	for (const wf of wfs) {
		const leads = Array.from({ length: a.warmup }, (_, i) => ({
			leadId: `warmup-${wf.key}-${i + 1}`,
			email: `warmup-${i + 1}@leads.example.net`,
		}));
		const r = await load.runLoad({
			url: `${cluster.url}/webhook/${wf.webhookPath}`,
			leads,
			concurrency: a.warmup,
			timeoutMs: 120_000,
		});
		const ok = r.calls.filter((c) => c.status === 200).length;
		log(
			`warm-up ${wf.label}: ${ok}/${a.warmup} calls answered 200 in ${(r.ms / 1000).toFixed(1)} s`,
		);
		if (!ok)
			throw new Error(
				`the warm-up of ${wf.label} failed: ${r.calls[0].status} ${r.calls[0].body.slice(0, 300)}`,
			);
	}
}

async function main() {
	const a = parseArgs(process.argv.slice(2));
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
	const tgz = a.package
		? path.resolve(a.package)
		: await step('build + pack', () =>
				buildAndPack(path.join(tmp, 'pack'), { fromHead: a.fromHead }),
			);

	const auth = { user: 'queue-user', pass: crypto.randomBytes(12).toString('base64url') };
	const smtpProc = await startSmtp(tmp, auth);
	const smtp = load.smtpControl(smtpProc.httpPort);
	const db = await step('postgres', () =>
		services.startPostgres(path.join(tmp, 'pg'), pgBin, { logDir: tmp }),
	);
	const redis = await step('redis', () =>
		services.startRedis(path.join(tmp, 'redis'), redisServer, { logDir: tmp }),
	);
	log(
		`limited SMTP on 127.0.0.1:${smtpProc.smtpPort} (control :${smtpProc.httpPort}), PostgreSQL :${db.port}, Redis :${redis.port}`,
	);

	const fill = (v) =>
		v.replace(/\{redisPort\}/g, String(redis.port)).replace(/\{redisPassword\}/g, redis.password);
	const extraEnv = Object.fromEntries(Object.entries(a.env).map(([k, v]) => [k, fill(v)]));
	const wfs = a.nodes.map((key) => ({
		key,
		...fixtures.workflow(key, { idempotencyKey: a.idempotencyKey }),
	}));
	const cluster = await step('cluster start', () =>
		startCluster({
			paths,
			dir: path.join(tmp, 'n8n'),
			db,
			redis,
			workers: a.workers,
			concurrency: a.workerConcurrency,
			logLevel: a.logLevel,
			extraEnv,
			install: (folder) => installInto(folder, tgz),
			setup: async (cli) => {
				const credFile = path.join(tmp, 'credentials.json');
				const creds = fixtures.credentials({
					smtpPort: smtpProc.smtpPort,
					user: auth.user,
					password: auth.pass,
					credentialMaxConnections: a.credentialMaxConnections,
				});
				fs.writeFileSync(credFile, JSON.stringify(creds), { mode: 0o600 });
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
	try {
		if (a.warmup) await warmUp({ a, cluster, smtp, wfs });
		for (const scenario of a.scenarios) {
			for (const wf of wfs) {
				for (let pass = 1; pass <= a.passes; pass++)
					rows.push(await runOne({ a, cluster, pg, smtp, paths, wf, scenario, pass }));
			}
		}
	} finally {
		timings.load = Date.now() - tLoad;
		await pg.end().catch(() => undefined);
		const tStop = Date.now();
		await cluster.stop();
		await redis.stop();
		await db.stop();
		await proc.stopChild(smtpProc.handle);
		timings.shutdown = Date.now() - tStop;
	}

	const settings = [
		`n8n ${paths.version} queue mode: main + ${a.workers} workers (concurrency ${a.workerConcurrency} each), PostgreSQL, Redis`,
		`${a.count} webhook calls per row, ${a.concurrency} at a time, one lead each`,
		a.idempotencyKey ? `ours: idempotencyKey ${a.idempotencyKey}` : 'ours: no idempotency key',
		a.credentialMaxConnections
			? `our credential: Max Connections ${a.credentialMaxConnections}`
			: "our credential: Max Connections at the credential's default",
	];
	console.log(`\n${settings.join('\n')}\n\n${report.table(rows)}\n`);
	const failures = report.failures(rows);
	if (failures) console.log(`Why executions failed:\n${failures}\n`);
	const secs = Object.entries(timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`);
	console.log(`Times: ${secs.join(', ')}; total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	if (a.json)
		fs.writeFileSync(path.resolve(a.json), JSON.stringify({ settings: a, timings, rows }, null, 2));
	if (a.check) {
		const problems = report.check(rows, { duplicateStatus: a.duplicateStatus });
		const lines = problems.map((p) => `  - ${p}`).join('\n');
		console.log(problems.length ? `CHECK FAILED:\n${lines}` : 'CHECK PASSED');
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
