#!/usr/bin/env node
/**
 * Bounce engine benchmark: agreement with the fixture corpus and throughput on one core.
 * Uses the compiled engine in dist/ (run `npm run build` first).
 *   npm run -s bench:bounce [-- --corpus DIR] [-- --verbose]
 */
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const enginePath = process.env.BOUNCE_ENGINE || path.join(root, 'dist/nodes/DeliveryChannel/bounce/index.js');
const corpusIdx = args.indexOf('--corpus');
const corpus = corpusIdx >= 0 ? path.resolve(args[corpusIdx + 1]) : path.join(root, 'test/fixtures/bounce-corpus');
const verbose = args.includes('--verbose');

if (!fs.existsSync(enginePath)) {
	console.error(`Compiled engine not found at ${enginePath}. Run \`npm run build\` first.`);
	process.exit(2);
}
const { parseBounce } = require(enginePath);

function placeholder(status) {
	const m = /^\d\.\d{1,3}\.(\d{1,3})$/.exec(status || '');
	return !m || Number(m[1]) >= 900;
}

async function main() {
	const expected = JSON.parse(fs.readFileSync(path.join(corpus, 'expected.json'), 'utf8'));
	const files = fs.readdirSync(path.join(corpus, 'eml')).filter((f) => f.endsWith('.eml')).sort();
	const mails = files.map((f) => [f, fs.readFileSync(path.join(corpus, 'eml', f))]);
	const c = { files: 0, detected: 0, count: 0, recips: 0, reason: 0, hard: 0, statusN: 0, status: 0, neg: 0, negOk: 0, fp: 0 };
	const diffs = [];
	for (const [f, buf] of mails) {
		const exp = expected[f];
		const r = await parseBounce(buf);
		if (!exp) {
			c.neg++;
			if (r.failures.length === 0) c.negOk++;
			else {
				c.fp++;
				diffs.push(`${f}: negative sample gave ${r.failures.length} failures (${r.kind})`);
			}
			continue;
		}
		c.files++;
		if (r.failures.length > 0) c.detected++;
		else diffs.push(`${f}: not detected (${r.kind}) ${(r.problems || []).join('; ')}`);
		if (r.failures.length === exp.length) c.count++;
		else if (r.failures.length) diffs.push(`${f}: ${r.failures.length} recipients, expected ${exp.length}: ${r.failures.map((x) => x.recipient).join(' ')}`);
		for (let i = 0; i < exp.length; i++) {
			const e = exp[i];
			const g = r.failures[i];
			c.recips++;
			if (!placeholder(e.status)) c.statusN++;
			if (!g) continue;
			if (g.reason === e.reason) c.reason++;
			else diffs.push(`${f}#${i + 1}: reason ${g.reason}, expected ${e.reason} [${g.status} ${g.replyCode}] ${g.diagnostic.slice(0, 150)}`);
			if (g.hard === e.hard) c.hard++;
			if (!placeholder(e.status)) {
				if (g.status === e.status) c.status++;
				else diffs.push(`${f}#${i + 1}: status ${g.status || '-'}, expected ${e.status}`);
			}
		}
	}
	const pct = (a, b) => (b ? ((100 * a) / b).toFixed(1) + ' %' : 'n/a');
	const rows = [
		['report detected', c.detected, c.files],
		['recipient count', c.count, c.files],
		['status (real codes)', c.status, c.statusN],
		['reason', c.reason, c.recips],
		['hard/soft', c.hard, c.recips],
		['negatives without failures', c.negOk, c.neg],
	];
	console.log('metric                        agree / total   rate');
	for (const [name, a, b] of rows) console.log(`${name.padEnd(30)}${String(a).padStart(5)} / ${String(b).padEnd(7)}${pct(a, b).padStart(8)}`);
	console.log(`false positives (negatives)   ${c.fp}`);
	// Throughput: parse every mail repeatedly for about two seconds. Wall time is the headline;
	// the CPU time this process used is shown too, since other load on a shared machine slows
	// the wall-clock figure without saying anything about the engine.
	let n = 0;
	const t0 = process.hrtime.bigint();
	const cpu0 = process.cpuUsage();
	let elapsed = 0;
	while (elapsed < 2000) {
		for (const [, buf] of mails) await parseBounce(buf);
		n += mails.length;
		elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
	}
	const cpu = process.cpuUsage(cpu0);
	const cpuMs = (cpu.user + cpu.system) / 1000;
	console.log(`throughput                    ${Math.round((n * 1000) / elapsed)} mails/s (${n} mails in ${elapsed.toFixed(0)} ms, one core)`);
	console.log(`  per CPU time                ${Math.round((n * 1000) / cpuMs)} mails/s (${cpuMs.toFixed(0)} ms CPU incl. GC threads)`);
	if (verbose) for (const d of diffs) console.log('  ' + d);
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
