'use strict';
// The table of a queue-mode run: one row per node × server limits (× pass).

/** The server limits of a scenario in words. */
function describeLimits(l) {
	const parts = [];
	if (l.maxConnections) parts.push(`${l.maxConnections} connections`);
	if (l.delayMs) parts.push(`${l.delayMs} ms per reply`);
	if (l.perMinute) parts.push(`${l.perMinute} per minute`);
	return parts.length ? parts.join(' + ') : 'no limit';
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** One row's cells. */
function cells(row) {
	const s = row.smtp;
	const failed =
		(row.executions.error || 0) + (row.executions.crashed || 0) + (row.executions.canceled || 0);
	const total = Object.values(row.executions).reduce((a, b) => a + b, 0);
	return [
		row.passes > 1 ? `${row.label}, pass ${row.pass}` : row.label,
		describeLimits(s.limits),
		`${s.messages}/${row.count}`,
		`${s.duplicateMessageIds}/${s.duplicateLeads}`,
		`${failed}/${total}`,
		Object.entries(row.calls.itemStatus)
			.map(([k, v]) => `${k} ${v}`)
			.join(', '),
		`${s.socketsOpened} (${s.connectionsRefused} refused)`,
		String(s.peakOpen),
		s.limits.perMinute || s.messages ? `${s.maxCalendarMinute} / ${s.maxAny60s}` : '0',
		seconds(row.wallMs),
		`${seconds(row.calls.p50)} / ${seconds(row.calls.p95)}`,
	];
}

const HEADER = [
	'node',
	'server limits',
	'delivered',
	'dup (Message-ID/lead)',
	'failed executions',
	'webhook answers',
	'connections opened',
	'peak open',
	'max per minute (calendar / any 60 s)',
	'wall time',
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

module.exports = { describeLimits, table, failures };

/**
 * The guarantees the issue asks of our node, checked on its rows (--check): pass 1 delivers every lead
 * exactly once with no failed execution; a later pass sends nothing new and answers every call with
 * `duplicateStatus`; the server's limits hold (peak open connections, messages in any 60 s).
 * Returns the failures, one line each.
 */
function check(rows, { duplicateStatus = 'duplicate', node = 'ours' } = {}) {
	const problems = [];
	for (const row of rows.filter((r) => r.node === node)) {
		const s = row.smtp;
		const tag = `${row.label}, ${describeLimits(s.limits)}, pass ${row.pass}`;
		const failed =
			(row.executions.error || 0) + (row.executions.crashed || 0) + (row.executions.canceled || 0);
		if (failed) problems.push(`${tag}: ${failed} failed executions`);
		if (s.duplicateMessageIds || s.duplicateLeads) {
			problems.push(
				`${tag}: duplicates (${s.duplicateMessageIds} by Message-ID, ${s.duplicateLeads} by lead)`,
			);
		}
		if (row.pass === 1 && s.messages !== row.count)
			problems.push(`${tag}: ${s.messages} of ${row.count} messages delivered`);
		if (row.pass > 1 && s.messages)
			problems.push(`${tag}: ${s.messages} new messages (expected none)`);
		const answered = row.calls.itemStatus[duplicateStatus] || 0;
		if (row.pass > 1 && answered !== row.count)
			problems.push(`${tag}: ${answered} of ${row.count} calls answered "${duplicateStatus}"`);
		if (s.limits.maxConnections && s.peakOpen > s.limits.maxConnections) {
			problems.push(
				`${tag}: ${s.peakOpen} connections open at once (limit ${s.limits.maxConnections})`,
			);
		}
		// refusals the server had to make mean the limit was not respected by the sender
		if (s.connectionsRefused)
			problems.push(
				`${tag}: the server refused ${s.connectionsRefused} connections (over the limit)`,
			);
		if (s.mailFromRefused)
			problems.push(`${tag}: the server refused ${s.mailFromRefused} messages (over the rate)`);
		if (s.limits.perMinute && s.maxAny60s > s.limits.perMinute) {
			problems.push(`${tag}: ${s.maxAny60s} messages in 60 s (limit ${s.limits.perMinute})`);
		}
	}
	return problems;
}

module.exports.check = check;
