'use strict';
// The workflows of the mail-system part of the real-n8n end-to-end test (scripts/lib/e2e-mailsystem.js),
// built for the mail system of the run: send to three recipients Postfix reports on, list the failed
// deliveries, the trigger that mails an alert per failure, and the same with a wrong IMAP password.

const crypto = require('node:crypto');
const { NODE_TYPE_CUSTOM } = require('./n8n');

const TRIGGER_TYPE = 'CUSTOM.deliveryChannelTrigger';
const CREDENTIAL = { id: 'dcE2eMailSysCred', name: 'E2E Postfix + Dovecot' };
const WRONG_IMAP_CREDENTIAL = {
	id: 'dcE2eMailBadImap',
	name: 'E2E Postfix + Dovecot, wrong IMAP password',
};
const IDS = {
	send: 'dcE2eMailSend001',
	list: 'dcE2eMailList001',
	watch: 'dcE2eMailWatch01',
	wrongImap: 'dcE2eMailBadImap',
	watchWrongImap: 'dcE2eMailBadWtch',
};

/** @typedef {Awaited<ReturnType<typeof import('../mailsystem/mailsystem').startMailSystem>>} MailSystem */

/** @param {{ id: string, name: string }} [credential] */
const credentialRef = (credential = CREDENTIAL) => ({
	deliveryChannelSmtpApi: { id: credential.id, name: credential.name },
});

/**
 * A node of a workflow, at column x.
 * @param {string} name
 * @param {string} type
 * @param {number} x
 * @param {Record<string, unknown>} parameters
 * @param {Record<string, unknown>} [more]  typeVersion (1 when not given), credentials, onError
 */
const node = (name, type, x, parameters, more = {}) => ({
	id: crypto.randomUUID(),
	name,
	type,
	typeVersion: 1,
	position: [x * 220, 0],
	parameters,
	...more,
});

/**
 * A Delivery Channel node (Custom SMTP) at column x.
 * @param {string} name
 * @param {number} x
 * @param {Record<string, unknown>} parameters
 * @param {Record<string, unknown>} [more]  onError; credentials (the mail system's login when not given)
 */
const deliveryChannel = (name, x, parameters, more = {}) =>
	node(
		name,
		NODE_TYPE_CUSTOM,
		x,
		{ channel: 'smtp', ...parameters },
		{
			credentials: credentialRef(),
			...more,
		},
	);

/**
 * An inactive workflow whose nodes run one after the other, in the order given.
 * @param {string} id
 * @param {string} name
 * @param {Array<{ name: string }>} nodes
 */
function workflow(id, name, nodes) {
	/** @type {Record<string, unknown>} */
	const connections = {};
	for (let i = 0; i < nodes.length - 1; i++) {
		const next = [[{ node: nodes[i + 1].name, type: 'main', index: 0 }]];
		connections[nodes[i].name] = { main: next };
	}
	return { id, name, active: false, settings: { executionOrder: 'v1' }, nodes, connections };
}

const manual = () => node('Start', 'n8n-nodes-base.manualTrigger', 0, {});

/** @param {{ id: string, name: string }} credential */
const trigger = (credential) =>
	node(
		'On Failed Delivery',
		TRIGGER_TYPE,
		0,
		{
			channel: 'smtp',
			event: 'failedDelivery',
			filters: { includeDelays: true },
			pollTimes: { item: [{ mode: 'everyMinute' }] },
		},
		{ credentials: credentialRef(credential) },
	);

/**
 * The part's workflows, built for this mail system.
 * @param {MailSystem} mail
 * @param {string[]} recipients
 */
function workflows(mail, recipients) {
	const items = recipients.map((to) => ({ json: { to } }));
	const send = workflow(IDS.send, 'E2E mail system: send', [
		manual(),
		node(
			'Recipients',
			'n8n-nodes-base.code',
			1,
			{ jsCode: `return ${JSON.stringify(items)};` },
			{
				typeVersion: 2,
			},
		),
		deliveryChannel('Send', 2, {
			operation: 'send',
			identity: { __rl: true, mode: 'address', value: `Sales Team <${mail.sender.address}>` },
			to: '={{ $json.to }}',
			subject: '={{ "E2E offer for " + $json.to }}',
			emailFormat: 'text',
			text: 'Hello, here is our offer.',
		}),
	]);
	const list = workflow(IDS.list, 'E2E mail system: failed deliveries', [
		manual(),
		deliveryChannel('Failed Deliveries', 1, {
			operation: 'getFailedDeliveries',
			returnAll: true,
			filters: { includeDelays: true },
		}),
	]);
	const watch = workflow(IDS.watch, 'E2E mail system: trigger', [
		trigger(CREDENTIAL),
		deliveryChannel('Alert', 1, {
			operation: 'send',
			identity: { __rl: true, mode: 'address', value: mail.sender.address },
			to: mail.sender.address,
			subject:
				'={{ "E2E alert " + $json.kind + " " + $json.recipient + " " + $json.message.deliveryId + " " + ' +
				'$json.reason + " " + ($json.hard ? "hard" : "soft") }}',
			emailFormat: 'text',
			text: '={{ JSON.stringify($json) }}',
		}),
	]);
	/** @param {string} name @param {string} onError @param {number} x */
	const wrongPassword = (name, onError, x) =>
		deliveryChannel(
			name,
			x,
			{ operation: 'getFailedDeliveries', returnAll: true, filters: {} },
			{ onError, credentials: credentialRef(WRONG_IMAP_CREDENTIAL) },
		);
	const wrongImap = workflow(IDS.wrongImap, 'E2E mail system: wrong IMAP password', [
		manual(),
		wrongPassword('Wrong IMAP Password (Continue)', 'continueRegularOutput', 1),
		wrongPassword('Wrong IMAP Password (Stop)', 'stopWorkflow', 2),
	]);
	const watchWrongImap = workflow(
		IDS.watchWrongImap,
		'E2E mail system: trigger with a wrong IMAP password',
		[trigger(WRONG_IMAP_CREDENTIAL), node('Nothing', 'n8n-nodes-base.noOp', 1, {})],
	);
	return { send, list, watch, wrongImap, watchWrongImap };
}

module.exports = { CREDENTIAL, WRONG_IMAP_CREDENTIAL, IDS, workflows };
