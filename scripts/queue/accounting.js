'use strict';
// The outcome of every lead of a row across its passes, for a run where a worker was killed mid-batch:
// what the server received for the lead (by X-Lead and Message-ID) against what n8n recorded for it
// in each pass. A lead is accounted for when what n8n said is true to the server: received once and
// some pass said sent, duplicate (naming the received Message-ID) or unknown (EUNKNOWN); or never
// received and no pass said sent or duplicate. Anything else is a problem: a lead received twice,
// one answered sent/duplicate that never arrived (silently lost), one received although every pass
// reported a plain failure, one with no execution and no answer at all.

const { answerOutcome } = require('./outcomes');

const bare = (id) => String(id || '').replace(/^<|>$/g, '');

/** An outcome in a few words: `sent`, `duplicate`, `failed EUNKNOWN`, `crashed`, `none`. */
function label(o) {
	if (!o) return 'none';
	if (o.answer) return `${label({ ...o, answer: false })} (webhook answer)`;
	if (o.item === 'sent' || o.item === 'duplicate' || o.item === 'partial') return o.item;
	const what = o.item || o.status;
	if (what === 'success') return 'ok';
	return o.code ? `${what} ${o.code}` : what;
}

const unknown = (o) => o && (o.code === 'EUNKNOWN' || o.code === 'unknown');

/**
 * The verdict on one lead from its outcome in each pass and what the server received for it:
 * undefined when accounted for, else why not.
 */
function verdict(outcomes, received, duplicateStatus) {
	const n = received.length;
	if (n > 1) return `received ${n} times`;
	const known = outcomes.filter(Boolean);
	if (!known.length) return 'no execution and no answer in any pass';
	// the built-in node's item has no status: a successful execution is its `sent`
	const sent = (o) => o.item === 'sent' || (!o.item && o.status === 'success');
	for (const o of known) {
		if (!sent(o) && o.item !== duplicateStatus) continue;
		if (n === 0) return `answered ${label(o)} but never received (lost)`;
		if (
			o.item === duplicateStatus &&
			o.messageId &&
			bare(o.messageId) !== bare(received[0].messageId)
		)
			return `duplicate names ${o.messageId}, the server received ${received[0].messageId}`;
	}
	if (n === 1 && !known.some((o) => sent(o) || o.item === duplicateStatus || unknown(o)))
		return 'every pass reported a failure although the server received it';
	return undefined;
}

/**
 * @param {any[]} passes the rows of one scenario and node, one per pass
 * @param {{ duplicateStatus?: string }} [o]
 * @returns {{ lines: { key: string, leads: number, ok: boolean, why?: string, examples: string[] }[],
 *   problems: string[] }}
 */
function accounting(passes, { duplicateStatus = 'duplicate' } = {}) {
	const sorted = [...passes].sort((a, b) => a.pass - b.pass);
	const leads = sorted[0].leads;
	const received = new Map(leads.map((l) => [l, []]));
	for (const row of sorted)
		for (const m of row.received) if (received.has(m.lead)) received.get(m.lead).push(m);
	/** per pass: lead → its last execution's outcome in that pass (else what the webhook answered) */
	const byPass = sorted.map((row) => {
		const map = new Map();
		for (const o of row.outcomes) if (o.lead) map.set(o.lead, o);
		for (const call of row.answers || [])
			if (!map.has(call.lead)) map.set(call.lead, { ...answerOutcome(call), answer: true });
		return map;
	});
	const groups = new Map();
	const problems = [];
	const tag = `${sorted[0].label}, ${sorted[0].scenario}`;
	for (const lead of leads) {
		const outcomes = byPass.map((m) => m.get(lead));
		const got = received.get(lead);
		const why = verdict(outcomes, got, duplicateStatus);
		const key = `${outcomes.map(label).join(' → ')} | received ${got.length}`;
		const g = groups.get(key) || { key, leads: 0, ok: !why, why, examples: [] };
		g.leads += 1;
		if (g.examples.length < 3) g.examples.push(lead);
		groups.set(key, g);
		if (why) problems.push(`${tag}: lead ${lead}: ${why}`);
	}
	const lines = [...groups.values()].sort((a, b) => b.leads - a.leads);
	return { lines, problems };
}

/** The accounting as a Markdown table, with the row it is for. */
function accountingTable(passes, o) {
	const { lines, problems } = accounting(passes, o);
	const head = passes.map((_, i) => `pass ${i + 1}`).join(' → ');
	const out = [
		`| outcome in n8n's data, else the webhook answer (${head}) | received by the server | leads | accounted for | examples |`,
		'|---|---|---|---|---|',
	];
	for (const g of lines) {
		const [outcomes, got] = g.key.split(' | ');
		out.push(
			`| ${outcomes} | ${got.replace('received ', '')} | ${g.leads} | ${g.ok ? 'yes' : `NO: ${g.why}`} | ${g.examples.join(', ')} |`,
		);
	}
	passes.forEach((row, i) => {
		const anonymous = row.outcomes.filter((o) => !o.lead);
		if (!anonymous.length) return;
		const kinds = {};
		for (const o of anonymous) kinds[label(o)] = (kinds[label(o)] || 0) + 1;
		const list = Object.entries(kinds).map(([k, n]) => `${k} ${n}`);
		out.push(
			'',
			`Pass ${i + 1}: ${anonymous.length} executions whose data names no lead (their webhook answer counts): ${list.join(', ')}.`,
		);
	});
	const total = lines.reduce((a, g) => a + g.leads, 0);
	const ok = lines.filter((g) => g.ok).reduce((a, g) => a + g.leads, 0);
	out.push('', `${ok} of ${total} leads accounted for; ${problems.length} problems.`);
	return out.join('\n');
}

module.exports = { accounting, accountingTable };
