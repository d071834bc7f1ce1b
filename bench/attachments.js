#!/usr/bin/env node
'use strict';
// Attachment benchmark: N emails (300 by default) with a random 1 MiB attachment each, in ONE n8n
// execution, against Postfix's smtp-sink on 127.0.0.1, in a real n8n (`n8n execute`):
//  ours     our Delivery Channel node on the Custom SMTP channel,
//  builtin  n8n's built-in Send Email node (n8n-nodes-base.emailSend 2.1),
// each under each binary data mode asked for (filesystem: n8n 2.40's default in regular mode;
// default: the in-memory mode n8n 1.x used), each pair run --runs times (2) to see the noise.
// Per run: the email node's executionTime, the whole wall time, items sent, messages and bytes the
// sink got (one message's attachment compared with the file), n8n's peak resident memory (VmHWM)
// and its resident size when the email node started and at its highest while the node ran,
// sampled from /proc every 100 ms, and the peak of its children (the task runner).
// Usage: npm run bench:attachments [-- --items 300] [--mb 1] [--only ours,builtin]
//        [--modes filesystem,default] [--runs 2] [--connections 5] [--no-dump] [--no-build]
//        [--json FILE] [--install]
// Nothing is asserted. The parts are in bench/lib/attachments-*.js.

const fs = require('node:fs');
const os = require('node:os');
const { stop } = require('../scripts/lib/proc');
const n8nLib = require('../scripts/lib/n8n');
const { ensureSmtpSink } = require('./lib/smtp-sink');
const { startDumpingSink } = require('./lib/attachments-sink');
const { attachmentN8n } = require('./lib/attachments-workflows');
const { runAttachmentRow } = require('./lib/attachments-runs');
const { table, comparisons } = require('./lib/attachments-report');

const NODES = ['ours', 'builtin'];
const MODES = ['filesystem', 'default', 'database'];
const USAGE =
	'Usage: node bench/attachments.js [--items N] [--mb N] [--only ours,builtin] [--modes filesystem,default,database]\n' +
	'                                 [--runs N] [--connections N] [--no-dump] [--no-build] [--json FILE] [--install]';

/** @param {string} value */
const list = (value) => value.split(',').map((s) => s.trim());

function parseArgs(argv) {
	const a = {
		items: 300,
		mb: 1,
		only: NODES,
		modes: ['filesystem', 'default'],
		runs: 2,
		connections: 5,
		dump: true,
		build: true,
		json: null,
		install: false,
	};
	for (let i = 0; i < argv.length; i++) {
		const k = argv[i];
		const v = () => argv[++i];
		if (k === '--items') a.items = Number(v());
		else if (k === '--mb') a.mb = Number(v());
		else if (k === '--only') a.only = list(v());
		else if (k === '--modes') a.modes = list(v());
		else if (k === '--runs') a.runs = Number(v());
		else if (k === '--connections') a.connections = Number(v());
		else if (k === '--no-dump') a.dump = false;
		else if (k === '--no-build') a.build = false;
		else if (k === '--json') a.json = v();
		else if (k === '--install') a.install = true;
		else if (k === '--help' || k === '-h') {
			console.log(USAGE);
			process.exit(0);
		} else throw new Error(`unknown argument ${k}`);
	}
	if (!Number.isInteger(a.items) || a.items < 1 || a.items > 10000)
		throw new Error('--items must be 1..10000');
	if (!(a.mb > 0 && a.mb <= 20))
		throw new Error('--mb must be over 0 and at most 20 (the node allows 25 MB)');
	if (!Number.isInteger(a.runs) || a.runs < 1) throw new Error('--runs must be 1 or more');
	for (const key of a.only) if (!NODES.includes(key)) throw new Error(`--only: unknown row ${key}`);
	for (const mode of a.modes)
		if (!MODES.includes(mode)) throw new Error(`--modes: unknown mode ${mode}`);
	return a;
}

async function prepareN8n(args) {
	const paths = await n8nLib.installN8n();
	if (args.only.includes('ours')) {
		if (args.build) await n8nLib.buildPackage();
		else if (!fs.existsSync(n8nLib.BUILT_NODE))
			throw new Error('--no-build, but dist/ has no built node: run npm run build');
	}
	console.log(
		`n8n ${paths.version}; ${args.items} emails with ${args.mb} MiB of random bytes attached, in one execution; ` +
			`binary data modes ${args.modes.join(', ')}; ${args.runs} run(s) each; smtp-sink on 127.0.0.1; ` +
			`${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}`,
	);
	return paths;
}

/** Every run: per mode, per run, the nodes in turn (ours, built-in, ours, built-in, ...). */
async function allRows(paths, sink, args) {
	const { byMode, wfs, file } = await attachmentN8n(paths, sink.port, args, args.only);
	const rows = [];
	for (const mode of args.modes) {
		for (let run = 1; run <= args.runs; run++) {
			for (const key of args.only) {
				console.log(`  ${key}, ${mode}, run ${run} ...`);
				const row = await runAttachmentRow({
					n8n: byMode[mode],
					wf: wfs[key],
					sink,
					key,
					mode,
					run,
					items: args.items,
					file,
				});
				const mib = (/** @type {number} */ b) => (b / 1024 / 1024).toFixed(0);
				const parts = [
					`node ${row.nodeSeconds?.toFixed(2)} s (CPU ${row.cpuSeconds?.toFixed(1)} s)`,
					`wall ${row.wallSeconds.toFixed(1)} s`,
					`sent ${row.ok}, sink ${row.received}`,
					`VmHWM ${mib(row.mainHwm)} MiB, in node ${mib(row.rssAtStart ?? 0)} → ${mib(row.peakInNode)} MiB`,
				];
				if (row.error) parts.push(`error: ${row.error}`);
				console.log(`    ${parts.join(', ')}`);
				rows.push(row);
			}
		}
	}
	return rows;
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	await ensureSmtpSink(args.install);
	const paths = await prepareN8n(args);
	const sink = await startDumpingSink(args.dump);
	let rows = [];
	try {
		rows = await allRows(paths, sink, args);
	} finally {
		await stop(sink.handle, 1000);
	}
	const load = os
		.loadavg()
		.map((l) => l.toFixed(2))
		.join(', ');
	console.log(`\nload average after measuring: ${load} (1/5/15 min)`);
	console.log(table(rows));
	for (const line of comparisons(rows)) console.log(line);
	if (args.json) fs.writeFileSync(args.json, JSON.stringify(rows, null, 2));
}

main().catch((err) => {
	console.error(`bench failed: ${err && err.stack ? err.stack : err}`);
	process.exit(1);
});
