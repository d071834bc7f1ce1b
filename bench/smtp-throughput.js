#!/usr/bin/env node
'use strict';
// SMTP throughput benchmark against Postfix's smtp-sink on 127.0.0.1, in a real n8n:
//  (a) our Delivery Channel node on the SMTP channel,
//  (b) n8n's built-in Send Email node (n8n-nodes-base.emailSend 2.1),
//  (c) the raw library ceiling: nodemailer 10.6.0 pooled (5 connections), straight from Node.
//  (floor) for reference: n8n's own cost of evaluating the same three per-item expressions
//     ({{ $json.to }}, {{ $json.subject }}, {{ $json.body }}) in a Set node that sends nothing.
// Usage: npm run bench [-- --items 1000] [--only ours,computed,builtin,raw,floor] [--raw-runs 3]
//                      [--expression-engine vm|legacy|quickjs] [--connections 5] [--no-build] [--install]
// Nothing is asserted: the targets (ours >= 20x built-in, >= 50 % of the raw ceiling) are printed.
// The sink, the workflows, the runs and the table are in bench/lib/.

const fs = require('node:fs');
const os = require('node:os');
const { stop } = require('../scripts/lib/proc');
const n8nLib = require('../scripts/lib/n8n');
const { ensureSmtpSink, startSink } = require('./lib/smtp-sink');
const { benchN8n } = require('./lib/throughput-workflows');
const { runN8nMethod, runRaw } = require('./lib/throughput-runs');
const { fmt, table, printTargets } = require('./lib/throughput-report');

const ROWS = ['ours', 'computed', 'builtin', 'raw', 'floor'];
const N8N_ROWS = ['floor', 'ours', 'computed', 'builtin'];
const USAGE =
	'Usage: node bench/smtp-throughput.js [--items N] [--only ours,computed,builtin,raw,floor] [--raw-runs N] [--connections N]\n' +
	'                                     [--expression-engine vm|legacy|quickjs] [--no-build] [--install]';

function parseArgs(argv) {
	const a = {
		items: 1000,
		only: ROWS,
		rawRuns: 3,
		install: false,
		connections: 5,
		engine: null,
		build: true,
	};
	for (let i = 0; i < argv.length; i++) {
		const k = argv[i];
		const v = () => argv[++i];
		if (k === '--items') a.items = Number(v());
		else if (k === '--only')
			a.only = v()
				.split(',')
				.map((s) => s.trim());
		else if (k === '--raw-runs') a.rawRuns = Number(v());
		else if (k === '--connections') a.connections = Number(v());
		else if (k === '--install') a.install = true;
		else if (k === '--expression-engine') a.engine = v();
		else if (k === '--no-build') a.build = false;
		else if (k === '--help' || k === '-h') {
			console.log(USAGE);
			process.exit(0);
		} else throw new Error(`unknown argument ${k}`);
	}
	if (!Number.isInteger(a.items) || a.items < 1 || a.items > 100000)
		throw new Error('--items must be 1..100000');
	return a;
}

/** The cached n8n, and the build when a row runs our node. */
async function prepareN8n(args) {
	const paths = await n8nLib.installN8n();
	if (args.only.includes('ours') || args.only.includes('computed')) {
		if (args.build) await n8nLib.buildPackage();
		else if (!fs.existsSync(n8nLib.BUILT_NODE))
			throw new Error('--no-build, but dist/ has no built node: run npm run build');
	}
	const engine = args.engine || "n8n's default";
	console.log(
		`n8n ${paths.version} (expression engine: ${engine}); ${args.items} items per method; ` +
			`smtp-sink on 127.0.0.1; ${os.cpus().length} CPUs`,
	);
	return paths;
}

/** The raw row: the best of --raw-runs runs. */
async function rawRow(sink, args) {
	let best = null;
	for (let i = 0; i < Math.max(1, args.rawRuns); i++) {
		const r = await runRaw(sink, args.items, args.connections);
		console.log(
			`  raw run ${i + 1}: ${fmt(r.seconds, 3)} s (${fmt(r.items / r.seconds, 0)}/s), ok ${r.ok}, sink got ${r.received}`,
		);
		if (!best || r.seconds < best.seconds) best = r;
	}
	return { key: 'raw', ...best, method: `${best.method}, best of ${args.rawRuns}` };
}

/** The n8n rows asked for, one `n8n execute` each, in one fresh n8n. */
async function n8nRows(paths, sink, args, wanted) {
	const { n8n, wfs } = await benchN8n(paths, sink.port, args, wanted);
	const labels = {
		ours: `Delivery Channel node (SMTP, ${args.connections} conns)`,
		computed: 'Delivery Channel node, 3 computed expressions',
		builtin: 'built-in Send Email 2.1',
		floor: 'n8n expression floor (Set node, 3 expressions, sends nothing)',
	};
	const rows = [];
	for (const key of wanted) {
		const label = labels[key];
		console.log(`  running ${label} ...`);
		const r = await runN8nMethod(n8n, wfs[key], sink, args.items, label, key !== 'floor');
		const counts = r.sends ? `ok ${r.ok}, sink got ${r.received}` : `${r.ok} items out`;
		console.log(
			`  ${label}: ${fmt(r.seconds, 3)} s (${r.timing}; n8n execute wall ${fmt(r.wallSeconds, 1)} s), ${counts}` +
				`${r.error ? `, error: ${r.error}` : ''}`,
		);
		rows.push({ key, ...r });
	}
	return rows;
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	await ensureSmtpSink(args.install);
	const wantN8n = N8N_ROWS.filter((key) => args.only.includes(key));
	const paths = wantN8n.length ? await prepareN8n(args) : null;
	const sink = await startSink();
	const rows = [];
	try {
		if (args.only.includes('raw')) rows.push(await rawRow(sink, args));
		if (wantN8n.length) rows.push(...(await n8nRows(paths, sink, args, wantN8n)));
	} finally {
		await stop(sink.handle, 1000);
	}
	rows.sort((a, b) => ROWS.indexOf(a.key) - ROWS.indexOf(b.key));
	console.log('');
	console.log(
		`load average while measuring: ${os
			.loadavg()
			.map((l) => l.toFixed(2))
			.join(', ')} (1/5/15 min)`,
	);
	console.log(table(rows));
	printTargets(rows);
	if (process.env.BENCH_JSON)
		fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(rows, null, 2));
}

main().catch((err) => {
	console.error(`bench failed: ${err && err.stack ? err.stack : err}`);
	process.exit(1);
});
