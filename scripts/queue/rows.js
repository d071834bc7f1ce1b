'use strict';
// One row of the queue-mode run: N webhook calls for one workflow against one server's limits (one
// pass), and what the server received and n8n recorded; optionally a worker SIGKILLed while the
// row's sends are in flight. Also what comes before the rows: publishing, warm-up.

const services = require('./services');
const load = require('./load');
const report = require('./report');
const { executionOutcomes, itemCounts } = require('./outcomes');
const { describeKill } = require('./options');

const log = (msg) => process.stderr.write(`${msg}\n`);

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

/** A few calls per workflow with no limits on the server, so no row pays for loading the nodes. */
async function warmUp({ a, cluster, targets, wfs }) {
	for (const t of Object.values(targets)) await t.reset({});
	for (const wf of wfs) {
		const leads = Array.from({ length: a.warmup }, (_, i) => ({
			leadId: `warmup-${wf.key}-${wf.scenario}-${i + 1}`,
			email: `warmup-${i + 1}@leads.example.net`,
		}));
		const url = `${cluster.url}/webhook/${wf.webhookPath}`;
		// n8n answers ready (healthz/readiness) before it has registered the published workflows'
		// webhooks, which regular mode shows: 404 "not registered" for a while. Such calls ran nothing.
		const deadline = Date.now() + 120_000;
		let r = await load.runLoad({ url, leads, concurrency: a.warmup, timeoutMs: 120_000 });
		while (r.calls.every((c) => c.status === 404) && Date.now() < deadline) {
			await new Promise((res) => setTimeout(res, 1000));
			r = await load.runLoad({ url, leads, concurrency: a.warmup, timeoutMs: 120_000 });
		}
		const ok = r.calls.filter((c) => c.status === 200).length;
		log(
			`warm-up ${wf.label}, ${wf.scenario}: ${ok}/${a.warmup} calls answered 200 in ${(r.ms / 1000).toFixed(1)} s`,
		);
		if (!ok)
			throw new Error(
				`the warm-up of ${wf.label} failed: ${r.calls[0].status} ${r.calls[0].body.slice(0, 300)}`,
			);
	}
}

/**
 * While `until` runs: SIGKILL worker 1 once the server holds `kill.after` messages of this pass (or
 * `kill.after` seconds into it), and start it again `restartS` seconds later (restartS < 0: not now).
 * Resolves with what happened (killedAt null: the pass ended first).
 */
async function killDuringLoad({ cluster, target, kill, restartS, until }) {
	const event = { killedAt: null, messagesAtKill: null, restartedAt: null, restart: null };
	let done = false;
	until.finally(() => (done = true));
	const t0 = Date.now();
	while (!done && event.killedAt === null) {
		const s = await target.stats();
		const due =
			kill.unit === 'seconds' ? Date.now() - t0 >= kill.after * 1000 : s.messages >= kill.after;
		if (!due) {
			await new Promise((r) => setTimeout(r, 200));
			continue;
		}
		await cluster.killWorker(0);
		event.killedAt = Date.now() - t0;
		event.messagesAtKill = s.messages;
		log(`  SIGKILL worker1 at ${(event.killedAt / 1000).toFixed(1)} s, ${s.messages} messages in`);
		if (restartS >= 0) {
			event.restart = new Promise((r) => setTimeout(r, restartS * 1000))
				.then(() => cluster.restartWorker(0))
				.then(() => {
					event.restartedAt = Date.now() - t0;
					log(`  worker1 started again, ready at ${(event.restartedAt / 1000).toFixed(1)} s`);
				});
		}
	}
	if (event.killedAt === null) log(`  the pass ended before worker1 was due to be killed`);
	return event;
}

/** The leads of a row: the same ids in every pass, so a later pass repeats the first one's keys. */
function leadsOf(wf, count) {
	return Array.from({ length: count }, (_, i) => {
		const leadId = `${wf.scenario}-${wf.key}-${String(i + 1).padStart(4, '0')}`;
		return { leadId, email: `${leadId}@leads.example.net`, name: `Lead ${i + 1}` };
	});
}

/** One pass of one row. */
async function runPass({ a, cluster, pg, target, paths, wf, limits, pass }) {
	// pass 2 (and later): new counters, but the Message-IDs and leads of pass 1 still count as seen
	await target.reset({ ...limits, keepHistory: pass > 1 });
	if (pass === 1 && cluster.workers.length && !cluster.workerRunning(0)) {
		log('  worker1 is down since the last row: starting it again');
		await cluster.restartWorker(0);
	}
	const afterId = await load.lastExecutionId(pg);
	const leads = leadsOf(wf, a.count);
	const kill = a.kill && pass === 1;
	const passes = a.passes > 1 ? `, pass ${pass}` : '';
	const killing = kill ? `, worker1 killed ${describeKill(a.kill)}` : '';
	log(
		`${wf.label}, ${report.describeLimits(limits)}${passes}: ${a.count} calls, ${a.concurrency} at a time${killing}...`,
	);
	const loading = load.runLoad({
		url: `${cluster.url}/webhook/${wf.webhookPath}`,
		leads,
		concurrency: a.concurrency,
		timeoutMs: a.timeout * 1000,
	});
	const killer = kill
		? killDuringLoad({
				cluster,
				target,
				kill: a.kill,
				restartS: a.restartWorker,
				until: loading,
			})
		: undefined;
	const result = await loading;
	const killed = killer ? await killer : undefined;
	if (killed?.restart) await killed.restart;
	const executions = await load.executionCounts(pg, wf.id, afterId, {
		timeoutMs: a.kill ? 300_000 : 60_000,
	});
	await new Promise((r) => setTimeout(r, 1000)); // late messages and closing connections
	const outcomes = await executionOutcomes(pg, {
		workflowId: wf.id,
		afterId,
		nodeName: wf.nodeName,
		n8nNodeModules: paths.nodeModules,
	});
	const row = {
		scenario: wf.scenario,
		target: wf.target,
		node: wf.key,
		label: wf.label,
		pass,
		passes: a.passes,
		count: a.count,
		concurrency: a.concurrency,
		credential: wf.credentialLimits,
		wallMs: result.ms,
		calls: load.summarizeCalls(result.calls),
		executions,
		items: itemCounts(outcomes),
		failures: await load.failureMessages(pg, wf.id, afterId, paths.nodeModules),
		smtp: await target.stats(),
		killed: killed?.killedAt != null ? { ...killed, restart: undefined } : undefined,
		leads: leads.map((l) => l.leadId),
		answers: result.calls.map((c) => ({
			lead: c.leadId,
			http: c.status,
			body: c.body.slice(0, 600),
		})),
		outcomes,
		received: await target.messages(),
	};
	const failed = (executions.error || 0) + (executions.crashed || 0);
	const peak = row.smtp.peakOpen !== undefined ? `, peak ${row.smtp.peakOpen} open` : '';
	log(
		`  ${row.smtp.messages} delivered, ${failed} failed executions${peak}, ${(result.ms / 1000).toFixed(1)} s`,
	);
	return row;
}

module.exports = { publish, warmUp, runPass };
