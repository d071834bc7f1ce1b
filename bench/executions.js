#!/usr/bin/env node
'use strict';
// One-email executions, many at once, in a real n8n: a webhook workflow (Webhook → the email node)
// called once per lead, C calls at a time, in regular mode (one n8n process) and in queue mode
// (main + 2 workers, PostgreSQL, Redis), ours (the Delivery Channel node, Custom SMTP channel) against
// n8n's built-in Send Email node, on a server without limits and on one that allows 3 connections
// (Microsoft 365's limit). Each mode is one run of scripts/queue/run.js (--json); this prints one
// table of every row: delivered, failed executions, webhook call latency p50 / p95, delivered per
// second, and for each mode × server × concurrency whether ours met the targets of issue 11:
// faster than the built-in (p50, p95 and throughput) and no failure where the built-in fails.
// Nothing is asserted (the exit code is 0 whatever the figures).
//
// Usage: node bench/executions.js [--modes=regular,queue] [--scenarios=unlimited,conn3]
//   [--concurrency=1,10,30] [--count=150] [--package=FILE.tgz] [--json=FILE] [--help]
// Needs root (apt-get for postgresql/redis-server when missing, PostgreSQL runs as postgres).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { run } = require('../scripts/lib/proc');
const { buildAndPack } = require('../scripts/queue/package');

const RUN = path.join(__dirname, '..', 'scripts', 'queue', 'run.js');
const USAGE = `Usage: node bench/executions.js [options]
  --modes=regular,queue        n8n execution modes (one run of scripts/queue/run.js each)
  --scenarios=unlimited,conn3  server limits (scripts/queue/run.js --help lists them)
  --concurrency=1,10,30        webhook calls at a time (one row each)
  --count=150                  calls per row
  --package=FILE.tgz           our packed package (else the checkout is compiled and packed once)
  --json=FILE                  also write every row as JSON
  --help`;

function parseArgs(argv) {
	const a = {
		modes: 'regular,queue',
		scenarios: 'unlimited,conn3',
		concurrency: '1,10,30',
		count: '150',
		package: '',
		json: '',
		help: false,
	};
	for (const arg of argv) {
		const m = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
		if (!m || !(m[1] in a)) throw new Error(`unknown argument ${arg}\n${USAGE}`);
		a[m[1]] = m[1] === 'help' ? true : (m[2] ?? '');
	}
	return a;
}

const seconds = (ms) => (ms / 1000).toFixed(2);
const failedOf = (e) => (e.error || 0) + (e.crashed || 0) + (e.canceled || 0);
const rate = (row) => row.smtp.messages / (row.wallMs / 1000);

/** A row without its per-lead lists (what the server received, each answer and outcome). */
function summaryOf(row) {
	const summary = { ...row };
	for (const key of ['received', 'answers', 'outcomes', 'leads']) delete summary[key];
	return summary;
}

/** One table row. */
function cells(mode, row) {
	const total = Object.values(row.executions).reduce((x, y) => x + y, 0);
	return [
		mode,
		row.scenario,
		String(row.concurrency),
		row.label,
		`${row.smtp.messages}/${row.count}`,
		`${failedOf(row.executions)}/${total}`,
		row.smtp.peakOpen === undefined ? '-' : String(row.smtp.peakOpen),
		seconds(row.calls.p50),
		seconds(row.calls.p95),
		rate(row).toFixed(1),
	];
}

const HEADER = [
	'mode',
	'server',
	'calls at a time',
	'node',
	'delivered',
	'failed executions',
	'peak connections',
	'p50 (s)',
	'p95 (s)',
	'delivered per s',
];

/** Failed executions and undelivered leads of a row, in words. */
function losses(row) {
	const failed = failedOf(row.executions);
	const undelivered = row.count - row.smtp.messages;
	return failed || undelivered ? `${failed} failed, ${undelivered} undelivered` : 'none lost';
}

/** Whether ours met the targets against the built-in in one mode × server × concurrency. */
function verdict(ours, builtin) {
	if (!ours || !builtin) return 'one of the two rows is missing';
	const parts = [
		ours.calls.p50 <= builtin.calls.p50 ? 'p50 ahead' : 'p50 BEHIND',
		ours.calls.p95 <= builtin.calls.p95 ? 'p95 ahead' : 'p95 BEHIND',
		rate(ours) >= rate(builtin) ? 'delivered per s ahead' : 'delivered per s BEHIND',
		`ours ${losses(ours)}, built-in ${losses(builtin)}`,
	];
	return parts.join(', ');
}

async function main() {
	const a = parseArgs(process.argv.slice(2));
	if (a.help) {
		console.log(USAGE);
		return;
	}
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dc-bench-exec-'));
	try {
		const tgz = a.package ? path.resolve(a.package) : await buildAndPack(path.join(tmp, 'pack'));
		const results = [];
		for (const mode of a.modes.split(',').filter(Boolean)) {
			const json = path.join(tmp, `${mode}.json`);
			const args = [
				RUN,
				`--mode=${mode}`,
				`--scenarios=${a.scenarios}`,
				'--nodes=ours,builtin',
				`--concurrency=${a.concurrency}`,
				`--count=${a.count}`,
				`--package=${tgz}`,
				`--json=${json}`,
			];
			process.stderr.write(
				`\n== ${mode} mode: node ${args.map((x) => path.basename(x)).join(' ')}\n`,
			);
			const r = await run(process.execPath, args, {
				timeoutMs: 60 * 60 * 1000,
				onLine: (line, stream) => {
					if (stream === 'stderr') process.stderr.write(`${line}\n`);
				},
			});
			if (r.code !== 0 || !fs.existsSync(json))
				throw new Error(`the ${mode} run failed (exit ${r.code}):\n${r.stdout.slice(-3000)}`);
			const data = JSON.parse(fs.readFileSync(json, 'utf8'));
			results.push({ mode, settings: data.settings, rows: data.rows });
		}
		const lines = [`| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => '---').join('|')}|`];
		const verdicts = [];
		for (const { mode, rows } of results) {
			for (const row of rows) lines.push(`| ${cells(mode, row).join(' | ')} |`);
			for (const ours of rows.filter((r) => r.node === 'ours')) {
				const builtin = rows.find(
					(r) =>
						r.node === 'builtin' &&
						r.scenario === ours.scenario &&
						r.concurrency === ours.concurrency,
				);
				verdicts.push(
					`${mode}, ${ours.scenario}, ${ours.concurrency} at a time: ${verdict(ours, builtin)}`,
				);
			}
		}
		console.log(
			`\n${a.count} webhook calls per row, one lead each; latency is each call's, webhook to answer.`,
		);
		console.log(
			`queue mode: main + 2 workers (concurrency 10 each); regular mode: one n8n process.\n`,
		);
		console.log(lines.join('\n'));
		console.log(`\nOurs against the built-in:\n${verdicts.map((v) => `  ${v}`).join('\n')}`);
		if (a.json)
			fs.writeFileSync(
				path.resolve(a.json),
				JSON.stringify(
					results.map((x) => ({
						...x,
						rows: x.rows.map(summaryOf),
					})),
					null,
					2,
				),
			);
	} finally {
		fs.rmSync(tmp, { recursive: true, force: true });
	}
}

main().catch((error) => {
	process.stderr.write(`${error.stack || error.message}\n`);
	process.exit(1);
});
