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

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { start, stop, run } = require('../scripts/lib/proc');
const n8nLib = require('../scripts/lib/n8n');

const { REPO_ROOT, N8n, NODE_TYPE_CUSTOM, nodeItems, nodeRuns, runError, freePort } = n8nLib;
const SMTP_SINK = '/usr/sbin/smtp-sink';
const FLOOR_LABEL = 'n8n expression floor (Set node, 3 expressions, sends nothing)';

function parseArgs(argv) {
	const a = { items: 1000, only: ['ours', 'computed', 'builtin', 'raw', 'floor'], rawRuns: 3, install: false, connections: 5, engine: null, build: true };
	for (let i = 0; i < argv.length; i++) {
		const k = argv[i];
		const v = () => argv[++i];
		if (k === '--items') a.items = Number(v());
		else if (k === '--only') a.only = v().split(',').map((s) => s.trim());
		else if (k === '--raw-runs') a.rawRuns = Number(v());
		else if (k === '--connections') a.connections = Number(v());
		else if (k === '--install') a.install = true;
		else if (k === '--expression-engine') a.engine = v();
		else if (k === '--no-build') a.build = false;
		else if (k === '--help' || k === '-h') {
			console.log('Usage: node bench/smtp-throughput.js [--items N] [--only ours,computed,builtin,raw,floor] [--raw-runs N] [--connections N] [--expression-engine vm|legacy|quickjs] [--no-build] [--install]');
			process.exit(0);
		} else throw new Error(`unknown argument ${k}`);
	}
	if (!Number.isInteger(a.items) || a.items < 1 || a.items > 100000) throw new Error('--items must be 1..100000');
	return a;
}

async function ensureSmtpSink(install) {
	if (fs.existsSync(SMTP_SINK)) return;
	const how = 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix';
	if (!install || process.getuid() !== 0) {
		console.error(`${SMTP_SINK} is missing. It comes with Debian's postfix package:\n  ${how}\n(as root), or run this benchmark with --install as root to do that for you.`);
		process.exit(2);
	}
	console.log('Installing postfix for smtp-sink ...');
	const r = await run('bash', ['-c', how], { timeoutMs: 10 * 60 * 1000, echo: true, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
	if (r.code !== 0 || !fs.existsSync(SMTP_SINK)) throw new Error('installing postfix failed');
}

/** Starts smtp-sink on 127.0.0.1:<port>; .count() is the number of messages it has received. */
async function startSink() {
	const port = await freePort();
	let last = 0;
	const handle = start(SMTP_SINK, ['-u', 'nobody', '-c', `127.0.0.1:${port}`, '1000'], {
		timeoutMs: 60 * 60 * 1000,
		keep: false,
		onLine: () => {},
	});
	// -c prints "sess=N quit=N mesg=N\r" counters; parse them as they stream.
	handle.child.stdout.on('data', (chunk) => {
		const m = [...chunk.toString().matchAll(/mesg=(\d+)/g)];
		if (m.length) last = Number(m[m.length - 1][1]);
	});
	const net = require('node:net');
	for (let i = 0; i < 50; i++) {
		const ok = await new Promise((resolve) => {
			const s = net.connect(port, '127.0.0.1', () => {
				s.destroy();
				resolve(true);
			});
			s.on('error', () => resolve(false));
		});
		if (ok) break;
		await new Promise((r) => setTimeout(r, 100));
	}
	return { port, handle, count: () => last };
}

async function waitForCount(sink, target, timeoutMs = 5000) {
	const deadline = Date.now() + timeoutMs;
	while (sink.count() < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
	return sink.count();
}

function workflow({ id, name, emailNode, items }) {
	return {
		id,
		name,
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			{ id: crypto.randomUUID(), name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: crypto.randomUUID(),
				name: 'Make items',
				type: 'n8n-nodes-base.code',
				typeVersion: 2,
				position: [220, 0],
				parameters: {
					jsCode: `return Array.from({ length: ${items} }, (_, i) => ({ json: { to: 'rcpt' + i + '@example.net', subject: 'Benchmark message ' + i, body: 'Hello number ' + i + ',\\n\\nthis is a benchmark message.\\n' } }));`,
				},
			},
			{ id: crypto.randomUUID(), position: [440, 0], ...emailNode, name: 'Email' },
		],
		connections: {
			Start: { main: [[{ node: 'Make items', type: 'main', index: 0 }]] },
			'Make items': { main: [[{ node: 'Email', type: 'main', index: 0 }]] },
		},
	};
}

async function benchN8n(paths, sinkPort, args, which) {
	const tmp = n8nLib.makeTempDir('delivery-channel-bench-');
	const n8n = await N8n.create(paths, {
		userFolder: tmp,
		encryptionKey: crypto.randomBytes(24).toString('hex'),
		customExtensions: path.join(REPO_ROOT, 'dist'),
		extra: args.engine ? { N8N_EXPRESSION_ENGINE: args.engine } : {},
	});
	await n8n.importCredentials([
		{
			id: 'benchOursCred001',
			name: 'Bench smtp-sink (Delivery Channel)',
			type: 'deliveryChannelSmtpApi',
			data: { host: '127.0.0.1', port: sinkPort, security: 'none', user: '', password: '', clientHostname: 'bench.localhost', maxConnections: args.connections, allowSelfSigned: false },
		},
		{
			id: 'benchBuiltinCr01',
			name: 'Bench smtp-sink (built-in)',
			type: 'smtp',
			data: { user: '', password: '', host: '127.0.0.1', port: sinkPort, secure: false, disableStartTls: true, hostName: 'bench.localhost' },
		},
	]);
	// Our node, with the given per-item fields (To, Subject, Text), same credential and identity.
	const ours = (id, name, fields) =>
		workflow({
			id,
			name,
			items: args.items,
			emailNode: {
				type: NODE_TYPE_CUSTOM,
				typeVersion: 1,
				parameters: {
					operation: 'send',
					channel: 'smtp',
					identity: { __rl: true, mode: 'address', value: 'Bench Sender <bench@example.com>' },
					emailFormat: 'text',
					options: {},
					...fields,
				},
				credentials: { deliveryChannelSmtpApi: { id: 'benchOursCred001', name: 'Bench smtp-sink (Delivery Channel)' } },
			},
		});
	const wfs = {
		ours: ours('benchOursWf00001', `Bench: Delivery Channel, ${args.items} items`, {
			to: '={{ $json.to }}',
			subject: '={{ $json.subject }}',
			text: '={{ $json.body }}',
		}),
		// The same node with computed expressions (method calls, concatenation). Like the plain field
		// references above, n8n's expression engine evaluates all three for every item.
		computed: ours('benchOursCWf0001', `Bench: Delivery Channel, computed expressions, ${args.items} items`, {
			to: '={{ $json.to.trim() }}',
			subject: "={{ 'Re: ' + $json.subject }}",
			text: '={{ $json.body.slice(0) }}',
		}),
		builtin: workflow({
			id: 'benchBuiltinWf01',
			name: `Bench: built-in Send Email, ${args.items} items`,
			items: args.items,
			emailNode: {
				type: 'n8n-nodes-base.emailSend',
				typeVersion: 2.1,
				webhookId: crypto.randomUUID(),
				parameters: {
					operation: 'send',
					fromEmail: 'Bench Sender <bench@example.com>',
					toEmail: '={{ $json.to }}',
					subject: '={{ $json.subject }}',
					emailFormat: 'text',
					text: '={{ $json.body }}',
					options: {},
				},
				credentials: { smtp: { id: 'benchBuiltinCr01', name: 'Bench smtp-sink (built-in)' } },
			},
		}),
		floor: workflow({
			id: 'benchFloorWf0001',
			name: `Bench: expression floor (Set node), ${args.items} items`,
			items: args.items,
			emailNode: {
				type: 'n8n-nodes-base.set',
				typeVersion: 3.4,
				parameters: {
					mode: 'manual',
					assignments: {
						assignments: [
							{ id: 'f1', name: 'to', value: '={{ $json.to }}', type: 'string' },
							{ id: 'f2', name: 'subject', value: '={{ $json.subject }}', type: 'string' },
							{ id: 'f3', name: 'body', value: '={{ $json.body }}', type: 'string' },
						],
					},
					options: {},
				},
			},
		}),
	};
	await n8n.importWorkflow(which.map((w) => wfs[w]));
	return { n8n, wfs };
}

async function runN8nMethod(n8n, wf, sink, items, label) {
	const before = sink.count();
	const t = Date.now();
	const { run: result } = await n8n.execute(wf.id, { timeoutMs: 20 * 60 * 1000 });
	const wallMs = Date.now() - t;
	const err = runError(result);
	const out = nodeItems(result, 'Email');
	const nodeRun = nodeRuns(result, 'Email')[0];
	const sends = label !== FLOOR_LABEL;
	const received = sends ? (await waitForCount(sink, before + items)) - before : 0;
	const ok = out.filter((i) => i.json && !i.json.error && (i.json.status === undefined || i.json.status === 'sent')).length;
	const nodeMs = nodeRun && typeof nodeRun.executionTime === 'number' ? nodeRun.executionTime : null;
	return {
		method: label,
		items,
		seconds: (nodeMs ?? wallMs) / 1000,
		timing: nodeMs !== null ? 'node executionTime' : 'whole n8n execute',
		wallSeconds: wallMs / 1000,
		ok: sends ? ok : out.length,
		received: sends ? received : 0,
		error: err,
		sends,
	};
}

async function runRaw(sinkPort, sink, items, connections) {
	const nodemailer = require(require.resolve('nodemailer', { paths: [REPO_ROOT] }));
	const version = require(require.resolve('nodemailer/package.json', { paths: [REPO_ROOT] })).version;
	const transport = nodemailer.createTransport({
		host: '127.0.0.1',
		port: sinkPort,
		secure: false,
		ignoreTLS: true,
		pool: true,
		maxConnections: connections,
		name: 'bench.localhost',
		connectionTimeout: 10000,
		socketTimeout: 30000,
	});
	const before = sink.count();
	const t = process.hrtime.bigint();
	const results = await Promise.allSettled(
		Array.from({ length: items }, (_, i) =>
			transport.sendMail({
				from: 'Bench Sender <bench@example.com>',
				to: `rcpt${i}@example.net`,
				subject: `Benchmark message ${i}`,
				text: `Hello number ${i},\n\nthis is a benchmark message.\n`,
			}),
		),
	);
	const ms = Number(process.hrtime.bigint() - t) / 1e6;
	transport.close();
	const received = (await waitForCount(sink, before + items)) - before;
	const ok = results.filter((r) => r.status === 'fulfilled').length;
	return { method: `raw nodemailer ${version} pooled (${connections})`, items, seconds: ms / 1000, timing: 'sendMail calls', ok, received, version };
}

function fmt(n, d = 2) {
	return n === null || n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d);
}

function table(rows) {
	const builtin = rows.find((r) => r.key === 'builtin');
	const raw = rows.find((r) => r.key === 'raw');
	const head = ['method', 'items', 'seconds', 'items/s', 'ratio to built-in', '% of raw ceiling', 'sent ok', 'sink got'];
	const body = rows.map((r) => {
		const rate = r.items / r.seconds;
		return [
			r.method,
			String(r.items),
			fmt(r.seconds, 3),
			fmt(rate, 1),
			builtin ? `${fmt(rate / (builtin.items / builtin.seconds), 1)}x` : '-',
			raw ? `${fmt((100 * rate) / (raw.items / raw.seconds), 0)} %` : '-',
			String(r.ok),
			r.sends === false ? '-' : String(r.received),
		];
	});
	const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
	const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
	return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	await ensureSmtpSink(args.install);
	const wantN8n = args.only.filter((m) => m === 'ours' || m === 'computed' || m === 'builtin' || m === 'floor');
	let paths;
	if (wantN8n.length) {
		paths = await n8nLib.installN8n();
		if (args.only.includes('ours') || args.only.includes('computed')) {
			if (args.build) await n8nLib.buildPackage();
			else if (!fs.existsSync(n8nLib.BUILT_NODE)) throw new Error('--no-build, but dist/ has no built node: run npm run build');
		}
		console.log(`n8n ${paths.version} (expression engine: ${args.engine || "n8n's default"}); ${args.items} items per method; smtp-sink on 127.0.0.1; ${require('node:os').cpus().length} CPUs`);
	}
	const sink = await startSink();
	const rows = [];
	try {
		if (args.only.includes('raw')) {
			let best = null;
			for (let i = 0; i < Math.max(1, args.rawRuns); i++) {
				const r = await runRaw(sink.port, sink, args.items, args.connections);
				console.log(`  raw run ${i + 1}: ${fmt(r.seconds, 3)} s (${fmt(r.items / r.seconds, 0)}/s), ok ${r.ok}, sink got ${r.received}`);
				if (!best || r.seconds < best.seconds) best = r;
			}
			rows.push({ key: 'raw', ...best, method: `${best.method}, best of ${args.rawRuns}` });
		}
		if (wantN8n.length) {
			const { n8n, wfs } = await benchN8n(paths, sink.port, args, wantN8n);
			for (const key of ['floor', 'ours', 'computed', 'builtin']) {
				if (!args.only.includes(key)) continue;
				const label = { ours: `Delivery Channel node (SMTP, ${args.connections} conns)`, computed: `Delivery Channel node, 3 computed expressions`, builtin: 'built-in Send Email 2.1', floor: FLOOR_LABEL }[key];
				console.log(`  running ${label} ...`);
				const r = await runN8nMethod(n8n, wfs[key], sink, args.items, label);
				console.log(`  ${label}: ${fmt(r.seconds, 3)} s (${r.timing}; n8n execute wall ${fmt(r.wallSeconds, 1)} s), ${r.sends ? `ok ${r.ok}, sink got ${r.received}` : `${r.ok} items out`}${r.error ? `, error: ${r.error}` : ''}`);
				rows.push({ key, ...r });
			}
		}
	} finally {
		await stop(sink.handle, 1000);
	}
	const order = { ours: 0, computed: 1, builtin: 2, raw: 3, floor: 4 };
	rows.sort((a, b) => order[a.key] - order[b.key]);
	console.log('');
	console.log(`load average while measuring: ${require('node:os').loadavg().map((l) => l.toFixed(2)).join(', ')} (1/5/15 min)`);
	console.log(table(rows));
	const ours = rows.find((r) => r.key === 'ours');
	const builtin = rows.find((r) => r.key === 'builtin');
	const raw = rows.find((r) => r.key === 'raw');
	if (ours && builtin) {
		const x = ours.items / ours.seconds / (builtin.items / builtin.seconds);
		console.log(`target: ours >= 20x built-in: ${fmt(x, 1)}x -> ${x >= 20 ? 'met' : 'NOT met'}`);
	}
	if (ours && raw) {
		const p = (100 * (ours.items / ours.seconds)) / (raw.items / raw.seconds);
		console.log(`target: ours >= 50 % of the raw ceiling: ${fmt(p, 1)} % -> ${p >= 50 ? 'met' : 'NOT met'}`);
	}
	const computed = rows.find((r) => r.key === 'computed');
	if (computed && raw) {
		const p = (100 * (computed.items / computed.seconds)) / (raw.items / raw.seconds);
		console.log(`same node with 3 computed expressions (evaluated by n8n): ${fmt(p, 1)} % of the raw ceiling`);
	}
	const floor = rows.find((r) => r.key === 'floor');
	if (floor) {
		console.log(`n8n's own evaluation of 3 per-item expressions takes about ${fmt(floor.seconds, 3)} s per ${floor.items} items (floor row); the node asks n8n for every per-item value, so this is part of its time`);
	}
	const incomplete = rows.filter((r) => r.sends !== false && (r.ok !== r.items || r.received !== r.items));
	for (const r of incomplete) console.log(`note: ${r.method}: ${r.ok}/${r.items} reported sent, smtp-sink counted ${r.received}`);
	if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(rows, null, 2));
}

main().catch((err) => {
	console.error(`bench failed: ${err && err.stack ? err.stack : err}`);
	process.exit(1);
});
