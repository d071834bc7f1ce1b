'use strict';
// The table and the target lines the SMTP throughput benchmark prints.

/** @typedef {import('./throughput-runs').Row} Row */

function fmt(n, d = 2) {
	return n === null || n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d);
}

/** @param {Row} r */
const rate = (r) => r.items / r.seconds;

/**
 * A Markdown table of the rows, with each row's rate against the built-in and the raw rows.
 * @param {Row[]} rows
 */
function table(rows) {
	const builtin = rows.find((r) => r.key === 'builtin');
	const raw = rows.find((r) => r.key === 'raw');
	const head = [
		'method',
		'items',
		'seconds',
		'items/s',
		'ratio to built-in',
		'% of raw ceiling',
		'sent ok',
		'sink got',
	];
	const body = rows.map((r) => [
		r.method,
		String(r.items),
		fmt(r.seconds, 3),
		fmt(rate(r), 1),
		builtin ? `${fmt(rate(r) / rate(builtin), 1)}x` : '-',
		raw ? `${fmt((100 * rate(r)) / rate(raw), 0)} %` : '-',
		String(r.ok),
		r.sends === false ? '-' : String(r.received),
	]);
	const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
	/** @param {string[]} cells */
	const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
	return [
		line(head),
		`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
		...body.map(line),
	].join('\n');
}

/**
 * The targets (ours >= 20x built-in, ours >= 50 % of the raw ceiling), the computed row against the
 * ceiling, the floor, and any row where node output and sink disagree.
 * @param {Row[]} rows
 */
function printTargets(rows) {
	const [ours, computed, builtin, raw, floor] = ['ours', 'computed', 'builtin', 'raw', 'floor'].map(
		(key) => rows.find((r) => r.key === key),
	);
	if (ours && builtin) {
		const x = rate(ours) / rate(builtin);
		console.log(`target: ours >= 20x built-in: ${fmt(x, 1)}x -> ${x >= 20 ? 'met' : 'NOT met'}`);
	}
	if (ours && raw) {
		const p = (100 * rate(ours)) / rate(raw);
		console.log(
			`target: ours >= 50 % of the raw ceiling: ${fmt(p, 1)} % -> ${p >= 50 ? 'met' : 'NOT met'}`,
		);
	}
	if (computed && raw) {
		const p = (100 * rate(computed)) / rate(raw);
		console.log(
			`same node with 3 computed expressions (evaluated by n8n): ${fmt(p, 1)} % of the raw ceiling`,
		);
	}
	if (floor) {
		console.log(
			`n8n's own evaluation of 3 per-item expressions takes about ${fmt(floor.seconds, 3)} s per ${floor.items} items ` +
				'(floor row); the node asks n8n for every per-item value, so this is part of its time',
		);
	}
	const incomplete = rows.filter(
		(r) => r.sends !== false && (r.ok !== r.items || r.received !== r.items),
	);
	for (const r of incomplete)
		console.log(
			`note: ${r.method}: ${r.ok}/${r.items} reported sent, smtp-sink counted ${r.received}`,
		);
}

module.exports = { fmt, table, printTargets };
