'use strict';
// The workflows and credentials of the queue-mode run (test/e2e/queue/), filled in for one run:
// the SMTP server's port and login, the credential's connection limit, the idempotency key.

const fs = require('node:fs');
const path = require('node:path');
const { REPO_ROOT } = require('./package');

const FIXTURES = path.join(REPO_ROOT, 'test', 'e2e', 'queue');
const read = (name) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));

/** The two nodes under test: the workflow file, the node's name in it, the webhook path. */
const NODES = {
	ours: { file: 'ours.workflow.json', node: 'Delivery Channel', label: 'ours (Delivery Channel)' },
	builtin: { file: 'builtin.workflow.json', node: 'Send Email', label: 'built-in Send Email' },
};

/** The default idempotency key expression (the webhook's body holds the lead). */
const DEFAULT_IDEMPOTENCY_KEY = '={{ $json.body.leadId }}-intro';

/**
 * @param {{ smtpPort: number, user: string, password: string, credentialMaxConnections?: number }} o
 */
function credentials(o) {
	const creds = read('credentials.json');
	for (const c of creds) {
		c.data.host = '127.0.0.1';
		c.data.port = o.smtpPort;
		c.data.user = o.user;
		c.data.password = o.password;
		if (c.type === 'deliveryChannelSmtpApi' && o.credentialMaxConnections)
			c.data.maxConnections = o.credentialMaxConnections;
	}
	return creds;
}

/**
 * The workflow of one node, with its webhook path. `idempotencyKey` (ours only): an expression for
 * the Send option idempotencyKey, or '' to leave the option out.
 * @param {string} which 'ours' or 'builtin'
 * @param {{ idempotencyKey?: string }} [o]
 */
function workflow(which, o = {}) {
	const wf = read(NODES[which].file);
	const webhook = wf.nodes.find((n) => n.type === 'n8n-nodes-base.webhook');
	const email = wf.nodes.find((n) => n.name === NODES[which].node);
	if (!webhook || !email)
		throw new Error(`${NODES[which].file}: no Webhook node or no node named ${NODES[which].node}`);
	if (which === 'ours' && o.idempotencyKey)
		email.parameters.options.idempotencyKey = o.idempotencyKey;
	return {
		workflow: wf,
		id: wf.id,
		webhookPath: webhook.parameters.path,
		label: NODES[which].label,
	};
}

module.exports = { NODES, DEFAULT_IDEMPOTENCY_KEY, credentials, workflow, FIXTURES };
