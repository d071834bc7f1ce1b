'use strict';
// The table of a queue-mode run: one row per node × server limits (× pass), and the check of the
// guarantees of issue 11 on our rows.

const { accounting } = require('./accounting');

/** Server limits in words: the SMTP server's, or the fake Gmail's (scenario options or its stats). */
function describeLimits(l) {
	const parts = [];
	const units = l.units ?? l.quotaUnits;
	const windowMs = l.windowMs ?? l.quotaWindowMs;
	const delay = l.delayMs ?? l.latencyMs;
	if (units) parts.push(`Gmail quota ${units} units per ${windowMs / 1000} s`);
	if (l.maxConnections) parts.push(`${l.maxConnections} connections`);
	if (delay) parts.push(`${delay} ms per ${units !== undefined ? 'answer' : 'reply'}`);
	if (l.perMinute) parts.push(`${l.perMinute} per minute`);
	return parts.length ? parts.join(' + ') : 'no limit';
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const counts = (o) =>
	Object.entries(o || {})
		.map(([k, v]) => `${k} ${v}`)
		.join(', ');
const failedOf = (e) => (e.error || 0) + (e.crashed || 0) + (e.canceled || 0);
const tagOf = (row) => (row.passes > 1 ? `${row.label}, pass ${row.pass}` : row.label);

/** Our Custom SMTP credential's limits in the row, or '-' where the node has none. */
function credentialCell(row) {
	const c = row.credential;
	if (!c) return '-';
	const parts = [
		c.maxConnections ? `${c.maxConnections} conn` : 'conn auto',
		c.messagesPerMinute ? `${c.messagesPerMinute}/min` : 'no /min',
	];
	return parts.join(', ');
}

/** One row's cells. */
function cells(row) {
	const s = row.smtp;
	const smtp = row.target !== 'gmail';
	const total = Object.values(row.executions).reduce((a, b) => a + b, 0);
	return [
		tagOf(row),
		String(row.concurrency ?? '-'),
		describeLimits(s.limits),
		credentialCell(row),
		`${s.messages}/${row.count}`,
		`${s.duplicateMessageIds}/${s.duplicateLeads}`,
		`${failedOf(row.executions)}/${total}`,
		counts(row.items),
		counts(row.calls.itemStatus),
		smtp ? `${s.socketsOpened} (${s.connectionsRefused} refused)` : '-',
		smtp ? String(s.peakOpen) : '-',
		smtp ? `${s.mailFromRefused} MAIL FROM` : `${s.quotaRefused} × 429`,
		`${s.maxCalendarMinute} / ${s.maxAny60s}`,
		seconds(row.wallMs),
		(s.messages / (row.wallMs / 1000)).toFixed(1),
		`${seconds(row.calls.p50)} / ${seconds(row.calls.p95)}`,
	];
}

const HEADER = [
	'node',
	'calls at a time',
	'server limits',
	'our credential',
	'delivered',
	'dup (Message-ID/lead)',
	'failed executions',
	'items (n8n data)',
	'webhook answers',
	'connections opened',
	'peak open',
	'refused by server',
	'max per minute (calendar / any 60 s)',
	'wall time',
	'delivered per s',
	'call p50 / p95',
];

/** A Markdown table of the rows. */
function table(rows) {
	const lines = [`| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => '---').join('|')}|`];
	for (const row of rows) lines.push(`| ${cells(row).join(' | ')} |`);
	return lines.join('\n');
}

/** The failure messages of each row that had failures (top 3 each). */
function failures(rows) {
	const out = [];
	for (const row of rows) {
		if (!row.failures.length) continue;
		out.push(
			`${row.label}, ${describeLimits(row.smtp.limits)}${row.passes > 1 ? `, pass ${row.pass}` : ''}:`,
		);
		for (const [message, n] of row.failures.slice(0, 3)) out.push(`  ${n} × ${message}`);
		if (row.failures.length > 3) out.push(`  (${row.failures.length - 3} more kinds)`);
	}
	return out.join('\n');
}

/**
 * When the SMTP server refused MAIL FROM for the rate, in bursts (refusals less than 5 s apart), from
 * the start of each row: `+61.2..63.0 s: 12 (60 accepted in the 60 s before, 0 in progress)`.
 */
function refusalTimes(rows) {
	const out = [];
	for (const row of rows) {
		const list = row.smtp.rateRefusals || [];
		if (!list.length) continue;
		const since = Date.parse(row.smtp.since);
		const bursts = [];
		for (const r of list) {
			const last = bursts[bursts.length - 1];
			if (last && r.at - last.to < 5000) Object.assign(last, { to: r.at, n: last.n + 1 });
			else
				bursts.push({ from: r.at, to: r.at, n: 1, accepted: r.accepted, inProgress: r.inProgress });
		}
		const at = (t) => ((t - since) / 1000).toFixed(1);
		out.push(
			`${tagOf(row)}: ${list.length} MAIL FROM refused for the rate, in ${bursts.length} bursts:`,
		);
		for (const b of bursts.slice(0, 12))
			out.push(
				`  +${at(b.from)}..${at(b.to)} s: ${b.n} (at the first: ${b.accepted} accepted in the 60 s before, ${b.inProgress} in progress)`,
			);
		if (bursts.length > 12) out.push(`  (${bursts.length - 12} more bursts)`);
	}
	return out.join('\n');
}

/** The server's limits held (peak connections, messages in any 60 s) and it refused nothing. */
function limitProblems(row, tag) {
	const s = row.smtp;
	const problems = [];
	if (s.limits.maxConnections && s.peakOpen > s.limits.maxConnections)
		problems.push(
			`${tag}: ${s.peakOpen} connections open at once (limit ${s.limits.maxConnections})`,
		);
	// refusals the server had to make mean the limit was not respected by the sender
	if (s.connectionsRefused)
		problems.push(
			`${tag}: the server refused ${s.connectionsRefused} connections (over the limit)`,
		);
	if (s.mailFromRefused)
		problems.push(`${tag}: the server refused ${s.mailFromRefused} messages (over the rate)`);
	if (s.quotaRefused)
		problems.push(
			`${tag}: Gmail answered ${s.quotaRefused} requests 429 (over the per-user quota)`,
		);
	if (s.limits.perMinute && s.maxAny60s > s.limits.perMinute)
		problems.push(`${tag}: ${s.maxAny60s} messages in 60 s (limit ${s.limits.perMinute})`);
	return problems;
}

/**
 * The guarantees the issue asks of our node, checked on its rows (--check): pass 1 delivers every lead
 * exactly once with no failed execution; a later pass sends nothing new and every item is
 * `duplicateStatus` (in n8n's execution data and in the webhook answers); the server's limits hold.
 * With a worker killed (`killed` rows): no lead twice and every lead accounted for (accounting.js).
 * Returns the failures, one line each.
 */
function check(rows, { duplicateStatus = 'duplicate', node = 'ours' } = {}) {
	const problems = [];
	const ours = rows.filter((r) => r.node === node);
	for (const row of ours) {
		const s = row.smtp;
		const tag = `${row.label}, ${describeLimits(s.limits)}, pass ${row.pass}`;
		problems.push(...limitProblems(row, tag));
		if (s.duplicateMessageIds || s.duplicateLeads) {
			problems.push(
				`${tag}: duplicates (${s.duplicateMessageIds} by Message-ID, ${s.duplicateLeads} by lead)`,
			);
		}
		if (row.killed || ours.some((r) => r.scenario === row.scenario && r.killed)) continue;
		const failed = failedOf(row.executions);
		if (failed) problems.push(`${tag}: ${failed} failed executions`);
		if (row.pass === 1 && s.messages !== row.count)
			problems.push(`${tag}: ${s.messages} of ${row.count} messages delivered`);
		if (row.pass > 1 && s.messages)
			problems.push(`${tag}: ${s.messages} new messages (expected none)`);
		const items = row.items[duplicateStatus] || 0;
		const answered = row.calls.itemStatus[duplicateStatus] || 0;
		if (row.pass > 1 && items !== row.count)
			problems.push(
				`${tag}: ${items} of ${row.count} items "${duplicateStatus}" in n8n's execution data`,
			);
		if (row.pass > 1 && answered !== row.count)
			problems.push(`${tag}: ${answered} of ${row.count} calls answered "${duplicateStatus}"`);
	}
	for (const scenario of new Set(ours.filter((r) => r.killed).map((r) => r.scenario))) {
		const passes = ours.filter((r) => r.scenario === scenario);
		problems.push(...accounting(passes, { duplicateStatus }).problems);
	}
	return problems;
}

module.exports = { describeLimits, table, failures, refusalTimes, check };
