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
/** @param {number} x */
const at = (x) => [x * 220, 0];
const uuid = () => crypto.randomUUID();

/** @param {string[]} names */
function connections(...names) {
	/** @type {Record<string, unknown>} */
	const result = {};
	for (let i = 0; i < names.length - 1; i++)
		result[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
	return result;
}

/**
 * The part's workflows, built for this mail system.
 * @param {MailSystem} mail
 * @param {string[]} recipients
 */
function workflows(mail, recipients) {
	const manual = {
		id: uuid(),
		name: 'Start',
		type: 'n8n-nodes-base.manualTrigger',
		typeVersion: 1,
		position: at(0),
		parameters: {},
	};
	const send = {
		id: IDS.send,
		name: 'E2E mail system: send',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			manual,
			{
				id: uuid(),
				name: 'Recipients',
				type: 'n8n-nodes-base.code',
				typeVersion: 2,
				position: at(1),
				parameters: {
					jsCode: `return ${JSON.stringify(recipients.map((to) => ({ json: { to } })))};`,
				},
			},
			{
				id: uuid(),
				name: 'Send',
				type: NODE_TYPE_CUSTOM,
				typeVersion: 1,
				position: at(2),
				parameters: {
					channel: 'smtp',
					operation: 'send',
					identity: { __rl: true, mode: 'address', value: `Sales Team <${mail.sender.address}>` },
					to: '={{ $json.to }}',
					subject: '={{ "E2E offer for " + $json.to }}',
					emailFormat: 'text',
					text: 'Hello, here is our offer.',
				},
				credentials: credentialRef(),
			},
		],
		connections: connections('Start', 'Recipients', 'Send'),
	};
	const list = {
		id: IDS.list,
		name: 'E2E mail system: failed deliveries',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			{ ...manual, id: uuid() },
			{
				id: uuid(),
				name: 'Failed Deliveries',
				type: NODE_TYPE_CUSTOM,
				typeVersion: 1,
				position: at(1),
				parameters: {
					channel: 'smtp',
					operation: 'getFailedDeliveries',
					returnAll: true,
					filters: { includeDelays: true },
				},
				credentials: credentialRef(),
			},
		],
		connections: connections('Start', 'Failed Deliveries'),
	};
	const watch = {
		id: IDS.watch,
		name: 'E2E mail system: trigger',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			{
				id: uuid(),
				name: 'On Failed Delivery',
				type: TRIGGER_TYPE,
				typeVersion: 1,
				position: at(0),
				parameters: {
					channel: 'smtp',
					event: 'failedDelivery',
					filters: { includeDelays: true },
					pollTimes: { item: [{ mode: 'everyMinute' }] },
				},
				credentials: credentialRef(),
			},
			{
				id: uuid(),
				name: 'Alert',
				type: NODE_TYPE_CUSTOM,
				typeVersion: 1,
				position: at(1),
				parameters: {
					channel: 'smtp',
					operation: 'send',
					identity: { __rl: true, mode: 'address', value: mail.sender.address },
					to: mail.sender.address,
					subject:
						'={{ "E2E alert " + $json.kind + " " + $json.recipient + " " + $json.message.deliveryId + " " + ' +
						'$json.reason + " " + ($json.hard ? "hard" : "soft") }}',
					emailFormat: 'text',
					text: '={{ JSON.stringify($json) }}',
				},
				credentials: credentialRef(),
			},
		],
		connections: connections('On Failed Delivery', 'Alert'),
	};
	const failedDeliveries = (name, onError, x) => ({
		id: uuid(),
		name,
		type: NODE_TYPE_CUSTOM,
		typeVersion: 1,
		position: at(x),
		onError,
		parameters: { channel: 'smtp', operation: 'getFailedDeliveries', returnAll: true, filters: {} },
		credentials: credentialRef(WRONG_IMAP_CREDENTIAL),
	});
	const wrongImap = {
		id: IDS.wrongImap,
		name: 'E2E mail system: wrong IMAP password',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			{ ...manual, id: uuid() },
			failedDeliveries('Wrong IMAP Password (Continue)', 'continueRegularOutput', 1),
			failedDeliveries('Wrong IMAP Password (Stop)', 'stopWorkflow', 2),
		],
		connections: connections(
			'Start',
			'Wrong IMAP Password (Continue)',
			'Wrong IMAP Password (Stop)',
		),
	};
	const watchWrongImap = {
		id: IDS.watchWrongImap,
		name: 'E2E mail system: trigger with a wrong IMAP password',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			{ ...watch.nodes[0], id: uuid(), credentials: credentialRef(WRONG_IMAP_CREDENTIAL) },
			{
				id: uuid(),
				name: 'Nothing',
				type: 'n8n-nodes-base.noOp',
				typeVersion: 1,
				position: at(1),
				parameters: {},
			},
		],
		connections: connections('On Failed Delivery', 'Nothing'),
	};
	return { send, list, watch, wrongImap, watchWrongImap };
}

module.exports = { CREDENTIAL, WRONG_IMAP_CREDENTIAL, IDS, workflows };
