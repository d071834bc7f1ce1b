'use strict';
// The workflows and credentials of the queue-mode run (test/e2e/queue/), filled in for one run: one
// workflow and one credential per row (node × scenario), so our Custom SMTP credential can carry the
// limits of its scenario's server; the SMTP server's port and login, the fake Gmail's endpoints and
// tokens, the idempotency key.

const fs = require('node:fs');
const path = require('node:path');
const { REPO_ROOT } = require('./package');

const FIXTURES = path.join(REPO_ROOT, 'test', 'e2e', 'queue');
const read = (name) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));

/** The two nodes under test: the node's name in its workflows, its label. */
const NODES = {
	ours: { node: 'Delivery Channel', label: 'ours (Delivery Channel)' },
	builtin: { node: 'Send Email', label: 'built-in Send Email' },
};

/** The workflow file and credential type of each node per kind of server; none: not comparable. */
const WORKFLOWS = {
	smtp: {
		ours: { file: 'ours.workflow.json', credentialType: 'deliveryChannelSmtpApi' },
		builtin: { file: 'builtin.workflow.json', credentialType: 'smtp' },
	},
	gmail: {
		ours: { file: 'gmail.workflow.json', credentialType: 'deliveryChannelGmailOAuth2Api' },
	},
};

/** The default idempotency key expression (the webhook's body holds the lead). */
const DEFAULT_IDEMPOTENCY_KEY = '={{ $json.body.leadId }}-intro';

/** Whether `node` can run against servers of `target`. */
const supports = (target, node) => Boolean(WORKFLOWS[target] && WORKFLOWS[target][node]);

/** An id of the same length with its last two characters replaced by the row number. */
const numbered = (id, index) => `${id.slice(0, -2)}${String(index).padStart(2, '0')}`;

/**
 * The workflow and credential of one row.
 * @param {{ node: string, target: string, scenario: string, index: number, idempotencyKey?: string,
 *   smtp?: { port: number, user: string, password: string }, gmail?: Record<string, unknown>,
 *   limits?: { maxConnections?: number, messagesPerMinute?: number } }} o
 *   limits: our Custom SMTP credential's Max Connections and Messages per Minute (0 or absent: automatic)
 */
function rowFixtures(o) {
	const spec = WORKFLOWS[o.target][o.node];
	const wf = read(spec.file);
	const template = read('credentials.json').find((c) => c.type === spec.credentialType);
	const webhook = wf.nodes.find((n) => n.type === 'n8n-nodes-base.webhook');
	const email = wf.nodes.find((n) => n.name === NODES[o.node].node);
	if (!webhook || !email || !template)
		throw new Error(
			`${spec.file}: no Webhook node, no node named ${NODES[o.node].node} or no credential`,
		);
	const credential = {
		...template,
		id: numbered(template.id, o.index),
		name: `${template.name}, ${o.scenario}`,
		data: { ...template.data },
	};
	if (o.target === 'smtp') {
		Object.assign(credential.data, { host: '127.0.0.1', port: o.smtp.port, user: o.smtp.user });
		credential.data.password = o.smtp.password;
	} else Object.assign(credential.data, o.gmail);
	if (spec.credentialType === 'deliveryChannelSmtpApi') {
		if (o.limits?.maxConnections) credential.data.maxConnections = o.limits.maxConnections;
		if (o.limits?.messagesPerMinute) credential.data.messagesPerMinute = o.limits.messagesPerMinute;
	}
	wf.id = numbered(wf.id, o.index);
	wf.name = `${wf.name}, ${o.scenario}`;
	webhook.parameters.path = `${webhook.parameters.path}-${o.scenario}`;
	// the row number before the last two characters: each node keeps its own webhook id
	for (const n of wf.nodes)
		if (n.webhookId)
			n.webhookId = `${numbered(n.webhookId.slice(0, -2), o.index)}${n.webhookId.slice(-2)}`;
	email.credentials = { [spec.credentialType]: { id: credential.id, name: credential.name } };
	if (o.node === 'ours' && o.idempotencyKey)
		email.parameters.options.idempotencyKey = o.idempotencyKey;
	return {
		workflow: wf,
		credential,
		id: wf.id,
		webhookPath: webhook.parameters.path,
		nodeName: NODES[o.node].node,
		label: NODES[o.node].label,
	};
}

module.exports = { NODES, DEFAULT_IDEMPOTENCY_KEY, supports, rowFixtures, FIXTURES };
