'use strict';
// The n8n workflows of the SMTP throughput benchmark: Manual Trigger → Code node making the items →
// the email node, for our node (plain field references and computed expressions), the built-in
// Send Email node, and the expression floor (a Set node that sends nothing).

const crypto = require('node:crypto');
const path = require('node:path');
const n8nLib = require('../../scripts/lib/n8n');

const { REPO_ROOT, N8n, NODE_TYPE_CUSTOM } = n8nLib;
const OURS_CREDENTIAL = { id: 'benchOursCred001', name: 'Bench smtp-sink (Delivery Channel)' };
const BUILTIN_CREDENTIAL = { id: 'benchBuiltinCr01', name: 'Bench smtp-sink (built-in)' };

/** The code of the Code node: `items` items of { to, subject, body }. */
function makeItemsCode(items) {
	const item = [
		"to: 'rcpt' + i + '@example.net'",
		"subject: 'Benchmark message ' + i",
		"body: 'Hello number ' + i + ',\\n\\nthis is a benchmark message.\\n'",
	].join(', ');
	return `return Array.from({ length: ${items} }, (_, i) => ({ json: { ${item} } }));`;
}

function workflow({ id, name, emailNode, items }) {
	const trigger = {
		name: 'Start',
		type: 'n8n-nodes-base.manualTrigger',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const code = {
		name: 'Make items',
		type: 'n8n-nodes-base.code',
		typeVersion: 2,
		position: [220, 0],
		parameters: { jsCode: makeItemsCode(items) },
	};
	return {
		id,
		name,
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			{ id: crypto.randomUUID(), ...trigger },
			{ id: crypto.randomUUID(), ...code },
			{ id: crypto.randomUUID(), position: [440, 0], ...emailNode, name: 'Email' },
		],
		connections: {
			Start: { main: [[{ node: 'Make items', type: 'main', index: 0 }]] },
			'Make items': { main: [[{ node: 'Email', type: 'main', index: 0 }]] },
		},
	};
}

/**
 * Both credentials point at the sink; ours with the benchmark's connection count. `names` gives each
 * its id and name ({ id, name }).
 */
function sinkCredentials(
	sinkPort,
	connections,
	names = { ours: OURS_CREDENTIAL, builtin: BUILTIN_CREDENTIAL },
) {
	const ours = {
		host: '127.0.0.1',
		port: sinkPort,
		security: 'none',
		user: '',
		password: '',
		clientHostname: 'bench.localhost',
		maxConnections: connections,
		allowSelfSigned: false,
	};
	const builtin = {
		user: '',
		password: '',
		host: '127.0.0.1',
		port: sinkPort,
		secure: false,
		disableStartTls: true,
		hostName: 'bench.localhost',
	};
	return [
		{ ...names.ours, type: 'deliveryChannelSmtpApi', data: ours },
		{ ...names.builtin, type: 'smtp', data: builtin },
	];
}

/** Our node, with the given per-item fields (To, Subject, Text), same credential and identity. */
function oursWorkflow(id, name, items, fields) {
	const parameters = {
		operation: 'send',
		channel: 'smtp',
		identity: { __rl: true, mode: 'address', value: 'Bench Sender <bench@example.com>' },
		emailFormat: 'text',
		options: {},
		...fields,
	};
	const credentials = { deliveryChannelSmtpApi: OURS_CREDENTIAL };
	return workflow({
		id,
		name,
		items,
		emailNode: { type: NODE_TYPE_CUSTOM, typeVersion: 1, parameters, credentials },
	});
}

function builtinWorkflow(items) {
	const emailNode = {
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
		credentials: { smtp: BUILTIN_CREDENTIAL },
	};
	return workflow({
		id: 'benchBuiltinWf01',
		name: `Bench: built-in Send Email, ${items} items`,
		items,
		emailNode,
	});
}

function floorWorkflow(items) {
	const assignments = [
		{ id: 'f1', name: 'to', value: '={{ $json.to }}', type: 'string' },
		{ id: 'f2', name: 'subject', value: '={{ $json.subject }}', type: 'string' },
		{ id: 'f3', name: 'body', value: '={{ $json.body }}', type: 'string' },
	];
	const emailNode = {
		type: 'n8n-nodes-base.set',
		typeVersion: 3.4,
		parameters: { mode: 'manual', assignments: { assignments }, options: {} },
	};
	return workflow({
		id: 'benchFloorWf0001',
		name: `Bench: expression floor (Set node), ${items} items`,
		items,
		emailNode,
	});
}

/** Every workflow of the benchmark, by row key. */
function benchWorkflows(items) {
	return {
		ours: oursWorkflow('benchOursWf00001', `Bench: Delivery Channel, ${items} items`, items, {
			to: '={{ $json.to }}',
			subject: '={{ $json.subject }}',
			text: '={{ $json.body }}',
		}),
		// The same node with computed expressions (method calls, concatenation). Like the plain field
		// references above, n8n's expression engine evaluates all three for every item.
		computed: oursWorkflow(
			'benchOursCWf0001',
			`Bench: Delivery Channel, computed expressions, ${items} items`,
			items,
			{
				to: '={{ $json.to.trim() }}',
				subject: "={{ 'Re: ' + $json.subject }}",
				text: '={{ $json.body.slice(0) }}',
			},
		),
		builtin: builtinWorkflow(items),
		floor: floorWorkflow(items),
	};
}

/**
 * A fresh n8n (temporary user folder, the given expression engine) with the credentials and the
 * workflows of the rows in `which` imported.
 * @param {{ items: number, connections: number, engine: string | null }} args
 * @param {string[]} which
 */
async function benchN8n(paths, sinkPort, args, which) {
	const n8n = await N8n.create(paths, {
		userFolder: n8nLib.makeTempDir('delivery-channel-bench-'),
		encryptionKey: crypto.randomBytes(24).toString('hex'),
		customExtensions: path.join(REPO_ROOT, 'dist'),
		extra: args.engine ? { N8N_EXPRESSION_ENGINE: args.engine } : {},
	});
	await n8n.importCredentials(sinkCredentials(sinkPort, args.connections));
	const wfs = benchWorkflows(args.items);
	await n8n.importWorkflow(which.map((w) => wfs[w]));
	return { n8n, wfs };
}

module.exports = { benchN8n, sinkCredentials };
