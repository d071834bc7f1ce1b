#!/usr/bin/env node
/**
 * Gmail pacing benchmark: the real node (in n8n's engine, test/helpers/n8n.ts) sends through the fake
 * Gmail (test/fakes/gmail) that answers after a fixed latency and enforces a per-user quota as a
 * token bucket. Measures the sustained send rate against the quota-limited rate, with and without
 * injected rate-limit answers, and counts failed items (must be 0).
 *
 *   node bench/gmail-pacing.js [--sends 300] [--rate 30] [--latency 50]
 *     --rate: the quota in sends per second (the fake allows rate*100 units per second, burst of 1 s);
 *             the node is configured with the same rate (Sends per Minute = rate*60).
 * Runs from the TypeScript sources (transpiled on load); no build needed.
 */
'use strict';
const path = require('node:path');

require('./lib/load-ts');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const arg = (name, fallback) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SENDS = arg('sends', 300);
const RATE = arg('rate', 30);
const LATENCY = arg('latency', 50);

process.env.N8N_LOG_LEVEL = process.env.N8N_LOG_LEVEL || 'silent';
const { startFakeGmail } = require(path.join(root, 'test/fakes/gmail'));
const { runWorkflow, manualTrigger, itemsNode, node, chain } = require(
	path.join(root, 'test/helpers/n8n.ts'),
);
const { DeliveryChannel } = require(
	path.join(root, 'nodes/DeliveryChannel/DeliveryChannel.node.ts'),
);

const SCENARIOS = [
	{ name: 'no injected errors', inject: null },
	{
		name: '3% 429 rateLimitExceeded, Retry-After 1 s',
		inject: ['send', 'rateLimit429', 0.03, { retryAfterSec: 1 }],
	},
	{
		name: '5% 429 rateLimitExceeded, Retry-After 1 s',
		inject: ['send', 'rateLimit429', 0.05, { retryAfterSec: 1 }],
	},
	{
		name: '3% 403 userRateLimitExceeded (no Retry-After)',
		inject: ['send', 'userRateLimit403', 0.03, {}],
	},
	{ name: '2% 503 backendError', inject: ['send', 'unavailable503', 0.02, {}] },
];

async function scenario({ name, inject }) {
	const fake = await startFakeGmail({
		latencyMs: LATENCY,
		quota: { units: RATE * 100, windowMs: 1000 },
	});
	try {
		if (inject) fake.injectRandom(...inject);
		const items = Array.from({ length: SENDS }, (_, i) => ({
			to: `r${i}@example.net`,
			subject: `Bench ${i}`,
		}));
		const trigger = manualTrigger();
		const input = itemsNode('Items', items);
		const send = node(
			'Delivery Channel',
			'CUSTOM.deliveryChannel',
			{
				channel: 'gmail',
				operation: 'send',
				identity: { __rl: true, mode: 'address', value: 'jane@acme.example' },
				to: '={{ $json.to }}',
				subject: '={{ $json.subject }}',
				emailFormat: 'text',
				text: 'Benchmark message',
				options: { sendsPerMinute: RATE * 60 },
			},
			{ credentials: ['deliveryChannelGmailOAuth2Api'], onError: 'continueRegularOutput' },
		);
		const started = Date.now();
		const result = await runWorkflow({
			workflow: { nodes: [trigger, input, send], connections: chain(trigger, input, send) },
			nodeTypes: { 'CUSTOM.deliveryChannel': new DeliveryChannel() },
			credentials: {
				deliveryChannelGmailOAuth2Api: {
					grantType: 'authorizationCode',
					authentication: 'body',
					clientId: fake.client.id,
					clientSecret: fake.client.secret,
					accessTokenUrl: fake.tokenUrl,
					authUrl: fake.authUrl,
					useCustomApiBaseUrl: true,
					apiBaseUrl: fake.apiBaseUrl,
					oauthTokenData: fake.issueTokens(),
				},
			},
		});
		const wall = (Date.now() - started) / 1000;
		const out = result.output('Delivery Channel').map((item) => item.json);
		const failed = out.filter((item) => item.status !== 'sent').length;
		const sendRequests = fake.state.requests.filter((r) => r.method === 'send');
		const accepted = sendRequests.filter((r) => r.outcome === 'sent');
		const injected = sendRequests.filter((r) => r.injected).length;
		const quota429 = sendRequests.filter((r) => r.outcome === 'quota').length;
		// Sustained rate: sends accepted per second from the end of the first second (the node's and the
		// fake's 1 s bursts) until the last item sent at its first attempt (while fresh items kept the
		// pipeline full). The retried items' tail after that is in the wall-clock column.
		const times = out
			.filter((item) => item.status === 'sent')
			.map((item) => ({ at: Date.parse(item.sentAt), first: item.attempts === 1 }));
		const t0 = Math.min(...times.map((t) => t.at)) + 1000;
		const t1 = Math.max(...times.filter((t) => t.first).map((t) => t.at));
		const inWindow = times.filter((t) => t.at > t0 && t.at <= t1).length;
		const sustained = inWindow / ((t1 - t0) / 1000);
		// The best a client can do for this batch: the fake's 1 s burst, then the quota rate.
		const ideal = Math.max(0, (SENDS - RATE) / RATE) + LATENCY / 1000;
		return {
			name,
			sent: accepted.length,
			duplicates:
				accepted.length - new Set(fake.sent().map((m) => fake.header(m.headers, 'subject'))).size,
			failed,
			injected,
			quota429,
			wall,
			overall: accepted.length / wall,
			sustained,
			share: sustained / RATE,
			wallShare: ideal / wall,
		};
	} finally {
		await fake.close();
	}
}

async function main() {
	console.log(
		`Gmail pacing: ${SENDS} sends per scenario, quota ${RATE} sends/s (${RATE * 100} units/s), ` +
			`latency ${LATENCY} ms, node at ${RATE * 60} sends/min`,
	);
	const rows = [];
	for (const s of SCENARIOS) rows.push(await scenario(s));
	console.log('');
	const head = [
		'scenario',
		'sent',
		'failed items',
		'duplicates',
		'injected errors',
		'quota 429s',
		'wall s',
	];
	head.push('overall sends/s', 'sustained sends/s', 'sustained / quota', 'ideal wall / wall');
	const line = (cells) => `| ${cells.join(' | ')} |`;
	console.log(line(head));
	console.log(`|${head.map(() => '---').join('|')}|`);
	for (const r of rows) {
		const counts = [r.name, r.sent, r.failed, r.duplicates, r.injected, r.quota429];
		const rates = [r.wall.toFixed(1), r.overall.toFixed(1), r.sustained.toFixed(2)];
		console.log(
			line([
				...counts,
				...rates,
				`${(r.share * 100).toFixed(1)} %`,
				`${(r.wallShare * 100).toFixed(1)} %`,
			]),
		);
	}
	const ok = rows.every(
		(r) => r.failed === 0 && r.duplicates === 0 && r.sent === SENDS && r.share >= 0.95,
	);
	console.log('');
	const pass =
		'PASS: every scenario kept >= 95 % of the quota-limited rate with no failed or duplicate item';
	console.log(ok ? pass : 'FAIL: see the table');
	process.exitCode = ok ? 0 : 1;
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
