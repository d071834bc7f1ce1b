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
