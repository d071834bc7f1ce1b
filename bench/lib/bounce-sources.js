/**
 * The cross-source table of bench/bounce.js: the same rules scored on each source separately, so a
 * rule that only fits one corpus shows as a gap between the rows. Sources:
 * - corpus 1: test/fixtures/bounce-corpus (sisimai's set, expected.json per recipient);
 * - corpus 2: test/fixtures/bounce-corpus-2 (three other parsers' test suites, only what their
 *   tests state: a field not stated is not scored, contested labels are left out);
 * - ours: test/fixtures/generated-bounces (reports we wrote from RFCs and MTA documentation).
 */
'use strict';
const fs = require('fs');
const path = require('path');

/**
 * Corpus 2 names reasons in its source's coarse words; the one reason of ours each stands for.
 * "spam" covers every refusal of the sender or its content, so it is not scored.
 */
const SOURCE_REASON = {
	user_unknown: 'userunknown',
	over_quota: 'mailboxfull',
	domain_error: 'hostunknown',
};

function placeholder(status) {
	const m = /^\d\.\d{1,3}\.(\d{1,3})$/.exec(status || '');
	return !m || Number(m[1]) >= 900;
}

function emptyRow(name) {
	return {
		name,
		mails: 0,
		bounces: 0,
		detected: 0,
		recipTotal: 0,
		recips: 0,
		recipWord: 'count',
		statusTotal: 0,
		status: 0,
		hardTotal: 0,
		hard: 0,
		reasonTotal: 0,
		reason: 0,
		negatives: 0,
		flagged: 0,
		diffs: [],
	};
}

function emlFiles(dir) {
	return fs
		.readdirSync(path.join(dir, 'eml'))
		.filter((f) => f.endsWith('.eml'))
		.sort();
}

const detected = (r) => r.failures.length > 0 && (r.kind === 'failure' || r.kind === 'delay');
const failed = (r) => r.failures.some((f) => f.action === 'failed');

/** Corpus 1 and our own mails: one expected entry per failed recipient, in order. */
async function scorePerRecipient(parseBounce, name, dir, emlDir) {
	const row = emptyRow(name);
	const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
	const files = fs.readdirSync(emlDir).filter((f) => f.endsWith('.eml'));
	for (const f of files.sort()) {
		const r = await parseBounce(fs.readFileSync(path.join(emlDir, f)));
		const exp = expected[f];
		row.mails++;
		if (!exp || exp.length === 0) {
			row.negatives++;
			if (failed(r)) row.flagged++;
			continue;
		}
		// Complaints, auto-replies and success reports are read, but are no bounce to detect.
		const report = exp.some((e) => !['feedback', 'vacation', 'delivered'].includes(e.reason));
		if (report) {
			row.bounces++;
			if (detected(r)) row.detected++;
			else row.diffs.push(`${name} ${f}: not detected (${r.kind})`);
		}
		row.recipTotal++;
		if (r.failures.length === exp.length) row.recips++;
		exp.forEach((e, i) => {
			const g = r.failures[i];
			row.hardTotal++;
			row.reasonTotal++;
			if (!placeholder(e.status)) row.statusTotal++;
			if (!g) return;
			if (g.hard === e.hard) row.hard++;
			if (g.reason === e.reason) row.reason++;
			else row.diffs.push(`${name} ${f}#${i + 1}: reason ${g.reason}, expected ${e.reason}`);
			if (!placeholder(e.status) && g.status === e.status) row.status++;
		});
	}
	return row;
}

function sameSet(a, b) {
	const x = a.map((s) => s.toLowerCase()).sort();
	const y = b.map((s) => s.toLowerCase()).sort();
	return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Corpus 2: only the fields its source states (README there). */
async function scoreStated(parseBounce, name, dir) {
	const row = emptyRow(name);
	row.recipWord = 'exact';
	const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
	for (const f of emlFiles(dir)) {
		const e = expected[f];
		if (!e || e.contested) continue;
		const r = await parseBounce(fs.readFileSync(path.join(dir, 'eml', f)));
		row.mails++;
		if (!e.isBounce) {
			row.negatives++;
			if (failed(r)) row.flagged++;
			continue;
		}
		row.bounces++;
		if (detected(r)) row.detected++;
		else row.diffs.push(`${name} ${f}: not detected (${r.kind})`);
		const g = r.failures[0];
		if (e.recipients) {
			row.recipTotal++;
			const got = r.failures.map((x) => x.recipient);
			if (sameSet(got, e.recipients)) row.recips++;
			else
				row.diffs.push(
					`${name} ${f}: recipients ${got.join(' ') || '-'}, expected ${e.recipients.join(' ')}`,
				);
		}
		if (e.status && e.statusLiteral) {
			row.statusTotal++;
			if (g && g.status === e.status) row.status++;
			else row.diffs.push(`${name} ${f}: status ${g ? g.status : '-'}, expected ${e.status}`);
		}
		if (e.hard !== undefined) {
			row.hardTotal++;
			if (g && g.hard === e.hard) row.hard++;
		}
		const want = SOURCE_REASON[e.srcReason];
		if (want) {
			row.reasonTotal++;
			// Hard/soft follows from these reasons: a dead address or not.
			row.hardTotal++;
			if (g && g.hard === (want !== 'mailboxfull')) row.hard++;
			if (g && g.reason === want) row.reason++;
			else
				row.diffs.push(
					`${name} ${f}: reason ${g ? g.reason : '-'}, expected ${want} (${e.srcReason})`,
				);
		}
	}
	return row;
}

const cell = (a, b) =>
	(b ? `${a}/${b} ${((100 * a) / b).toFixed(1).padStart(5)} %` : 'n/a').padStart(17);

/** Score every source and print one row each. Returns the disagreements for --verbose. */
async function crossSourceTable(parseBounce, root) {
	const fixtures = path.join(root, 'test/fixtures');
	const rows = [
		await scorePerRecipient(
			parseBounce,
			'corpus 1',
			path.join(fixtures, 'bounce-corpus'),
			path.join(fixtures, 'bounce-corpus/eml'),
		),
		await scoreStated(parseBounce, 'corpus 2', path.join(fixtures, 'bounce-corpus-2')),
		await scorePerRecipient(
			parseBounce,
			'ours',
			path.join(fixtures, 'generated-bounces'),
			path.join(fixtures, 'generated-bounces'),
		),
	];
	console.log('');
	console.log('cross-source: the same rules on each source (n/a: the source states nothing of it)');
	const head = ['detected', 'recipients', 'status', 'hard/soft', 'reason']
		.map((h) => h.padStart(17))
		.join('');
	console.log(`${'source'.padEnd(10)}${'mails'.padStart(6)}${head}  non-bounces flagged`);
	for (const r of rows) {
		const cells = [
			cell(r.detected, r.bounces),
			cell(r.recips, r.recipTotal),
			cell(r.status, r.statusTotal),
			cell(r.hard, r.hardTotal),
			cell(r.reason, r.reasonTotal),
		].join('');
		console.log(
			`${r.name.padEnd(10)}${String(r.mails).padStart(6)}${cells}  ${r.flagged}/${r.negatives}`,
		);
	}
	console.log(
		'recipients: corpus 1 and ours state the count per report, corpus 2 the exact set; corpus 2 ' +
			'reasons only where its source word names one reason (user_unknown, over_quota, domain_error).',
	);
	// Mail no rule was checked against is best predicted by the weakest source, not the average.
	const lowest = (a, b) => {
		const rates = rows.filter((r) => r[b]).map((r) => (100 * r[a]) / r[b]);
		return rates.length ? `${Math.min(...rates).toFixed(0)} %` : 'n/a';
	};
	console.log(
		`expected on unseen mail (the lowest row): detected ${lowest('detected', 'bounces')}, recipients ` +
			`${lowest('recips', 'recipTotal')}, status ${lowest('status', 'statusTotal')}, hard/soft ` +
			`${lowest('hard', 'hardTotal')}, reason ${lowest('reason', 'reasonTotal')}`,
	);
	return rows.flatMap((r) => r.diffs);
}

module.exports = { crossSourceTable };
