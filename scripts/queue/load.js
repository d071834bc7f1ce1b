'use strict';
// The load and what it left behind: N webhook calls, C at a time, one lead each; n8n's executions of
// the workflow (from PostgreSQL).

const http = require('node:http');

/**
 * One HTTP request with a JSON body (or none); resolves { status, body, ms }, status 0 on a network error.
 * @param {string} method
 * @param {string} url
 * @param {any} [body]
 * @param {{ timeoutMs?: number, agent?: http.Agent }} [options]
 */
function request(method, url, body, { timeoutMs = 30_000, agent } = {}) {
	const t0 = Date.now();
	const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
	return new Promise((resolve) => {
		const headers = payload
			? { 'content-type': 'application/json', 'content-length': String(payload.length) }
			: {};
		const req = http.request(url, { method, headers, agent, timeout: timeoutMs }, (res) => {
			let text = '';
			res.on('data', (c) => (text += c));
			res.on('end', () => resolve({ status: res.statusCode, body: text, ms: Date.now() - t0 }));
		});
		req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
		req.on('error', (error) => resolve({ status: 0, body: error.message, ms: Date.now() - t0 }));
		req.end(payload);
	});
}

/**
 * Calls the webhook once per lead, `concurrency` at a time. Returns { calls: [{ leadId, status, ms,
 * body }], ms }.
 */
async function runLoad({ url, leads, concurrency, timeoutMs }) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
	const calls = new Array(leads.length);
	let next = 0;
	const t0 = Date.now();
	const worker = async () => {
		while (next < leads.length) {
			const i = next++;
			const r = await request('POST', url, leads[i], { timeoutMs, agent });
			calls[i] = { leadId: leads[i].leadId, status: r.status, ms: r.ms, body: r.body };
		}
	};
	await Promise.all(Array.from({ length: Math.min(concurrency, leads.length) }, worker));
	agent.destroy();
	return { calls, ms: Date.now() - t0 };
}

/** What the webhook answered: HTTP statuses, and the `status` field of our node's output items. */
function summarizeCalls(calls) {
	const http = {};
	const itemStatus = {};
	const ms = calls.map((c) => c.ms).sort((a, b) => a - b);
	for (const c of calls) {
		http[c.status] = (http[c.status] || 0) + 1;
		let status = c.status === 200 ? 'ok' : `HTTP ${c.status}`;
		try {
			const body = JSON.parse(c.body);
			if (c.status === 200 && body && typeof body.status === 'string') status = body.status;
		} catch {}
		itemStatus[status] = (itemStatus[status] || 0) + 1;
	}
	const pct = (p) =>
		ms.length ? ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))] : 0;
	return { http, itemStatus, p50: pct(50), p95: pct(95), max: ms[ms.length - 1] || 0 };
}

/** The highest execution id so far (executions of a load are those above it). */
async function lastExecutionId(pg) {
	const r = await pg.query('SELECT COALESCE(MAX(id), 0) AS id FROM execution_entity');
	return Number(r.rows[0].id);
}

/** Execution counts by status for the workflow since `afterId`; waits (up to timeoutMs) until none is still running. */
async function executionCounts(pg, workflowId, afterId, { timeoutMs = 60_000 } = {}) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const r = await pg.query(
			'SELECT status, COUNT(*)::int AS n FROM execution_entity WHERE "workflowId" = $1 AND id > $2 GROUP BY status',
			[workflowId, afterId],
		);
		const counts = Object.fromEntries(r.rows.map((row) => [row.status, row.n]));
		const busy = (counts.running || 0) + (counts.new || 0);
		if (!busy || Date.now() > deadline) return counts;
		await new Promise((res) => setTimeout(res, 1000));
	}
}

/**
 * The error messages of the failed executions (n8n stores run data in "flatted" form), counted.
 * Messages differ only in numbers (ports, ids) are counted together.
 */
async function failureMessages(pg, workflowId, afterId, n8nNodeModules) {
	const { parse } = require(require.resolve('flatted', { paths: [n8nNodeModules] }));
	const r = await pg.query(
		`SELECT d.data FROM execution_data d JOIN execution_entity e ON e.id = d."executionId"
		 WHERE e."workflowId" = $1 AND e.id > $2 AND e.status IN ('error', 'crashed')`,
		[workflowId, afterId],
	);
	const counts = {};
	for (const row of r.rows) {
		let message = '(no error recorded)';
		try {
			const error = parse(row.data).resultData.error || {};
			message = [error.message, error.description].filter(Boolean).join(' | ') || message;
		} catch {
			message = '(run data not readable)';
		}
		const key = message.replace(/\s+/g, ' ').slice(0, 300);
		counts[key] = (counts[key] || 0) + 1;
	}
	return Object.entries(counts).sort((a, b) => b[1] - a[1]);
}

module.exports = {
	request,
	runLoad,
	summarizeCalls,
	lastExecutionId,
	executionCounts,
	failureMessages,
};
