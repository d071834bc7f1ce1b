'use strict';
// The table and the comparison lines the attachment benchmark prints.

/** @typedef {import('./attachments-runs').AttachmentRow} AttachmentRow */

const MB = 1024 * 1024;
const LABELS = { ours: 'Delivery Channel (SMTP)', builtin: 'built-in Send Email 2.1' };

/** @param {number | null | undefined} n */
function fmt(n, d = 1) {
	return n === null || n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d);
}

/** @param {number | null | undefined} bytes */
const mb = (bytes) => (bytes === null || bytes === undefined ? '-' : fmt(bytes / MB, 0));

/** @param {AttachmentRow} r */
function sinkBytes(r) {
	if (!r.dump) return '-';
	const check =
		r.dump.sampleMatches === null ? '' : r.dump.sampleMatches ? ', sample ok' : ', SAMPLE DIFFERS';
	return `${fmt(r.dump.bytes / MB, 0)} MiB (${fmt(r.dump.min / MB, 2)}–${fmt(r.dump.max / MB, 2)} each${check})`;
}

/**
 * A Markdown table, one row per run.
 * @param {AttachmentRow[]} rows
 */
function table(rows) {
	const head = [
		'node',
		'binary mode (stored as)',
		'run',
		'node s',
		'CPU s in node',
		'1st msg at s',
		'wall s',
		'sent',
		'sink got',
		'sink bytes',
		'n8n VmHWM MiB',
		'RSS at node start',
		'peak RSS in node',
		'growth in node',
		'children VmHWM MiB',
	];
	const body = rows.map((r) => [
		LABELS[r.key] || r.key,
		`${r.mode} (${r.stored})`,
		String(r.run),
		fmt(r.nodeSeconds, 2),
		fmt(r.cpuSeconds, 1),
		fmt(r.firstMessageSeconds, 2),
		fmt(r.wallSeconds, 1),
		String(r.ok),
		String(r.received),
		sinkBytes(r),
		mb(r.mainHwm),
		mb(r.rssAtStart),
		mb(r.peakInNode),
		r.rssAtStart === null ? '-' : mb(r.peakInNode - r.rssAtStart),
		mb(r.childrenHwm),
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

/** @param {number[]} values */
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
/** @param {number[]} values */
const spread = (values) => Math.max(...values) - Math.min(...values);

/**
 * Per binary data mode: ours − built-in in node seconds, CPU seconds, n8n VmHWM and growth inside
 * the node (means over the runs), next to the run-to-run spread of each, and any run where sent,
 * sink and dump disagree.
 * @param {AttachmentRow[]} rows
 */
function comparisons(rows) {
	const lines = [];
	/** @typedef {{ name: string, get: (r: AttachmentRow) => number, digits: number, unit: number }} Metric */
	/** @type {Metric[]} */
	const metrics = [
		{ name: 'node s', get: (r) => r.nodeSeconds, digits: 2, unit: 1 },
		{ name: 'CPU s in node', get: (r) => r.cpuSeconds, digits: 1, unit: 1 },
		{ name: 'n8n VmHWM MiB', get: (r) => r.mainHwm, digits: 0, unit: MB },
		{
			name: 'growth in node MiB',
			get: (r) => r.peakInNode - (r.rssAtStart ?? NaN),
			digits: 0,
			unit: MB,
		},
	];
	for (const mode of [...new Set(rows.map((r) => r.mode))]) {
		const ours = rows.filter((r) => r.mode === mode && r.key === 'ours');
		const builtin = rows.filter((r) => r.mode === mode && r.key === 'builtin');
		if (!ours.length || !builtin.length) continue;
		const parts = metrics.map(({ name, get, digits: d, unit }) => {
			const a = ours.map(get).map((v) => v / unit);
			const b = builtin.map(get).map((v) => v / unit);
			const noise = Math.max(spread(a), spread(b));
			return `${name} ${fmt(mean(a) - mean(b), d)} (spread ${fmt(noise, d)})`;
		});
		lines.push(
			`${mode}: ours − built-in, means of ${ours.length}/${builtin.length} runs: ${parts.join('; ')}`,
		);
	}
	for (const r of rows) {
		const dumped = r.dump ? r.dump.messages : r.received;
		if (
			r.ok !== r.items ||
			r.received !== r.items ||
			dumped !== r.items ||
			r.dump?.sampleMatches === false
		)
			lines.push(
				`note: ${LABELS[r.key]} (${r.mode}, run ${r.run}): ${r.ok}/${r.items} reported sent, ` +
					`smtp-sink counted ${r.received}, dumped ${dumped}${r.error ? `, error: ${r.error}` : ''}`,
			);
	}
	return lines;
}

module.exports = { table, comparisons };
