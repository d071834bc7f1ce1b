'use strict';
// End-to-end part for Custom SMTP Failed Deliveries, in a real n8n against a real mail system
// (the throwaway Postfix + Dovecot of scripts/mailsystem, on 127.0.0.1):
//  1. `n8n execute`: the Delivery Channel node sends to a user that does not exist, to a mailbox
//     that refuses ("mailbox full") and to one whose delivery is deferred until Postfix gives up;
//     Postfix returns its own reports to the sender's mailbox;
//  2. `n8n execute`: the Failed Deliveries operation returns those failures (recipients, reasons,
//     hard/soft, links to the sent messages);
//  3. `n8n start` with an active workflow "Delivery Channel Trigger -> Delivery Channel (send an
//     alert to the sender's mailbox)": the trigger's polls (the activation poll and the scheduled
//     ones, every minute) emit each failure exactly once: one alert per failure, none repeated by
//     the next poll;
//  4. a wrong IMAP password: Failed Deliveries gives an EAUTH item under Continue and a node error
//     under Stop; an active trigger with it (beside the one of check 3) fails in n8n's log.
// The credential sets IMAP User and IMAP Password (the mailbox's own login), so both the SMTP and the
// IMAP password field carry the mailbox password; with `secrets` (scripts/lib/secret-scan.js) it and
// the wrong IMAP password are markers of the seeded-secret check, and the sender's mailbox is scanned
// before the mail system goes away.
//
//   const { runMailSystemE2E } = require('./lib/e2e-mailsystem');
//   await runMailSystemE2E({ paths, tmp, record });   // paths from installN8n(), after buildPackage()
//
// record(name, failures[], details[]) is the runner's reporter; this records MAILSYSTEM_CHECKS checks.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const n8nLib = require('./n8n');
const { startMailSystem } = require('../mailsystem/mailsystem');

const { REPO_ROOT, N8n, NODE_TYPE_CUSTOM, nodeItems, runError } = n8nLib;
const TRIGGER_TYPE = 'CUSTOM.deliveryChannelTrigger';
const CREDENTIAL = { id: 'dcE2eMailSysCred', name: 'E2E Postfix + Dovecot' };
const WRONG_IMAP_CREDENTIAL = { id: 'dcE2eMailBadImap', name: 'E2E Postfix + Dovecot, wrong IMAP password' };
const IDS = { send: 'dcE2eMailSend001', list: 'dcE2eMailList001', watch: 'dcE2eMailWatch01', wrongImap: 'dcE2eMailBadImap', watchWrongImap: 'dcE2eMailBadWtch' };
const MAILSYSTEM_CHECKS = 4;

const credentialRef = (credential = CREDENTIAL) => ({ deliveryChannelSmtpApi: { id: credential.id, name: credential.name } });
const at = (x) => [x * 220, 0];
const uuid = () => crypto.randomUUID();

function connections(...names) {
	const result = {};
	for (let i = 0; i < names.length - 1; i++) result[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
	return result;
}

function workflows(mail, recipients) {
	const manual = { id: uuid(), name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: at(0), parameters: {} };
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
				parameters: { jsCode: `return ${JSON.stringify(recipients.map((to) => ({ json: { to } })))};` },
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
				parameters: { channel: 'smtp', operation: 'getFailedDeliveries', returnAll: true, filters: { includeDelays: true } },
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
				parameters: { channel: 'smtp', event: 'failedDelivery', filters: { includeDelays: true }, pollTimes: { item: [{ mode: 'everyMinute' }] } },
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
					subject: '={{ "E2E alert " + $json.kind + " " + $json.recipient + " " + $json.message.deliveryId + " " + $json.reason + " " + ($json.hard ? "hard" : "soft") }}',
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
		nodes: [{ ...manual, id: uuid() }, failedDeliveries('Wrong IMAP Password (Continue)', 'continueRegularOutput', 1), failedDeliveries('Wrong IMAP Password (Stop)', 'stopWorkflow', 2)],
		connections: connections('Start', 'Wrong IMAP Password (Continue)', 'Wrong IMAP Password (Stop)'),
	};
	const watchWrongImap = {
		id: IDS.watchWrongImap,
		name: 'E2E mail system: trigger with a wrong IMAP password',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			{ ...watch.nodes[0], id: uuid(), credentials: credentialRef(WRONG_IMAP_CREDENTIAL) },
			{ id: uuid(), name: 'Nothing', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: at(1), parameters: {} },
		],
		connections: connections('On Failed Delivery', 'Nothing'),
	};
	return { send, list, watch, wrongImap, watchWrongImap };
}

/** Checks one Failed Deliveries item against what was sent. */
function checkFailure(items, expected, sentItems, failures) {
	const found = items.filter((item) => String(item.recipient).toLowerCase() === expected.recipient && item.kind === expected.kind);
	if (found.length !== 1) {
		failures.push(`${found.length} items for ${expected.recipient} (${expected.kind}), expected 1`);
		return;
	}
	const item = found[0];
	for (const key of ['action', 'hard', 'reason', 'status']) {
		if (expected[key] !== undefined && item[key] !== expected[key]) failures.push(`${expected.recipient}: ${key} is ${JSON.stringify(item[key])}, expected ${JSON.stringify(expected[key])}`);
	}
	const original = sentItems.find((sent) => (sent.accepted || []).includes(expected.recipient));
	const message = item.message || {};
	if (!original) failures.push(`${expected.recipient}: no sent item to compare with`);
	else {
		if (message.deliveryId !== original.deliveryId) failures.push(`${expected.recipient}: linked to deliveryId ${JSON.stringify(message.deliveryId)}, sent as ${original.deliveryId}`);
		if (message.messageId !== original.messageId) failures.push(`${expected.recipient}: messageId ${JSON.stringify(message.messageId)}, sent as ${original.messageId}`);
	}
	if (!item.link || item.link.method !== 'envelope-id' || item.link.confidence !== 'high') failures.push(`${expected.recipient}: link ${JSON.stringify(item.link)}, expected envelope-id / high`);
	if (message.sentFolder !== 'Sent') failures.push(`${expected.recipient}: the sent copy was not found in Sent (message: ${JSON.stringify(message)})`);
}

async function runMailSystemE2E({ paths, tmp, record, customExtensions = path.join(REPO_ROOT, 'dist'), secrets, logLevel }) {
	const mail = await startMailSystem();
	let server;
	const wrongImapPassword = secrets ? secrets.marker('IMAP password that Dovecot refuses') : `wrong-${crypto.randomBytes(8).toString('hex')}`;
	if (secrets) secrets.add('Postfix/Dovecot mailbox password (SMTP and IMAP)', mail.sender.password);
	try {
		const unknown = mail.unknownUser();
		const recipients = [unknown, mail.refusing, mail.deferring];
		const expected = [
			{ recipient: unknown, kind: 'failure', action: 'failed', hard: true, reason: 'userunknown', status: '5.1.1' },
			{ recipient: mail.refusing, kind: 'failure', action: 'failed', hard: false, reason: 'mailboxfull', status: '5.2.2' },
			{ recipient: mail.deferring, kind: 'delay', action: 'delayed', hard: false },
			{ recipient: mail.deferring, kind: 'failure', action: 'failed', hard: false },
		];
		const userFolder = path.join(tmp, 'mailsystem-n8n');
		fs.mkdirSync(userFolder, { recursive: true });
		const n8n = await N8n.create(paths, {
			userFolder,
			encryptionKey: crypto.randomBytes(24).toString('hex'),
			customExtensions,
			logLevel,
		});
		const wfs = workflows(mail, recipients);
		const ownLogin = { imapUser: mail.sender.address, imapPassword: mail.sender.password };
		await n8n.importCredentials(
			[
				{ ...CREDENTIAL, type: 'deliveryChannelSmtpApi', data: mail.smtpCredential(ownLogin) },
				{ ...WRONG_IMAP_CREDENTIAL, type: 'deliveryChannelSmtpApi', data: mail.smtpCredential({ ...ownLogin, imapPassword: wrongImapPassword }) },
			],
			'mailsystem-credentials.json',
		);
		await n8n.importWorkflow([wfs.send, wfs.list, wfs.watch, wfs.wrongImap, wfs.watchWrongImap], 'mailsystem-workflows.json');

		// --- 1: send, and let Postfix report ---------------------------------------------------------
		const f1 = [];
		let t = Date.now();
		const { run: sendRun } = await n8n.execute(IDS.send);
		const sendSecs = ((Date.now() - t) / 1000).toFixed(1);
		const sentItems = nodeItems(sendRun, 'Send').map((item) => item.json || {});
		if (runError(sendRun)) f1.push(`execution failed: ${runError(sendRun)}`);
		if (sentItems.length !== 3 || sentItems.some((item) => item.status !== 'sent')) f1.push(`send output: ${JSON.stringify(sentItems.map((item) => item.status || item.error))}, expected 3 x "sent"`);
		if (sentItems.some((item) => item.dsnRequested !== true)) f1.push('DSN was not requested on every message');
		t = Date.now();
		let reports = [];
		try {
			// Two failures and a delay at once, the deferred message's failure after the queue lifetime.
			reports = await mail.waitForMessages('INBOX', 4, (mail.queueLifetimeSeconds + 30) * 1000, (m) => /mailer-daemon/i.test((m.from && m.from[0] && m.from[0].address) || ''));
		} catch (error) {
			f1.push(`${error.message}\n${mail.logs(15)}`);
		}
		const reportSecs = ((Date.now() - t) / 1000).toFixed(1);

		// --- 2: the Failed Deliveries operation ------------------------------------------------------
		t = Date.now();
		const { run: listRun } = await n8n.execute(IDS.list);
		const listSecs = ((Date.now() - t) / 1000).toFixed(1);
		const listed = nodeItems(listRun, 'Failed Deliveries').map((item) => item.json || {});
		if (runError(listRun)) f1.push(`Failed Deliveries execution failed: ${runError(listRun)}`);
		if (listed.length !== expected.length) f1.push(`Failed Deliveries returned ${listed.length} items, expected ${expected.length}: ${JSON.stringify(listed.map((item) => `${item.recipient} ${item.kind}`))}`);
		for (const entry of expected) checkFailure(listed, entry, sentItems, f1);
		record('real n8n + Postfix/Dovecot: Failed Deliveries returns the MTA\'s own reports (recipients, reasons, hard/soft, links)', f1, [
			`n8n execute (send 3) ${sendSecs} s; all 4 reports in the mailbox ${reportSecs} s later; n8n execute (Failed Deliveries) ${listSecs} s`,
			`items: ${listed.map((item) => `${item.recipient} ${item.kind} ${item.reason} ${item.hard ? 'hard' : 'soft'} via ${item.link && item.link.method}`).join('; ')}`,
		]);

		// --- 4: a wrong IMAP password (before n8n start: one n8n process at a time per user folder) ---
		const f4 = [];
		const { run: imapRun } = await n8n.execute(IDS.wrongImap);
		const imapItem = (nodeItems(imapRun, 'Wrong IMAP Password (Continue)')[0] || {}).json || {};
		if (imapItem.status !== 'failed' || imapItem.code !== 'EAUTH') f4.push(`under Continue the item is ${JSON.stringify(imapItem).slice(0, 240)}, expected status failed with code EAUTH`);
		const imapError = imapRun.data && imapRun.data.resultData.error;
		if (!imapError || !imapError.node || imapError.node.name !== 'Wrong IMAP Password (Stop)') f4.push(`the execution did not stop at "Wrong IMAP Password (Stop)" (error: ${JSON.stringify(imapError && imapError.message)})`);
		const imapCheck = ['real n8n + Postfix/Dovecot: a wrong IMAP password gives an EAUTH item under Continue, a node error under Stop, and a logged failure of an active trigger', f4, [
			`item: ${JSON.stringify(imapItem.error)}`,
			`node error: ${JSON.stringify(imapError ? `${imapError.message} | ${imapError.description || ''}` : 'none').slice(0, 300)}`,
		]];

		// --- 3: the trigger in an active workflow ----------------------------------------------------
		const f3 = [];
		const details = [];
		await n8n.cli(['publish:workflow', `--id=${IDS.watch}`]);
		// Active beside it, the same trigger with the wrong IMAP password: n8n logs its failures (check 4).
		await n8n.cli(['publish:workflow', `--id=${IDS.watchWrongImap}`]);
		let polls = 0;
		let wrongImapLines = 0;
		t = Date.now();
		server = await n8n.startServer({
			extraEnv: { N8N_LOG_LEVEL: 'debug' },
			onLine: (line) => {
				if (line.includes(`Poll trigger initiated for workflow "${wfs.watch.name}"`)) polls += 1;
				// Only the trigger with the wrong IMAP password can fail this way (n8n prints the error over several lines).
				if (/rejected the login/.test(line)) wrongImapLines += 1;
			},
		});
		details.push(`n8n start ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
		const isAlert = (m) => /^E2E alert /.test(m.subject || '');
		let alerts = [];
		try {
			alerts = await mail.waitForMessages('INBOX', expected.length, 150_000, isAlert);
			details.push(`${alerts.length} alerts ${((Date.now() - t) / 1000).toFixed(1)} s after n8n start (${polls} polls so far)`);
		} catch (error) {
			f3.push(`${error.message} (${polls} polls seen)`);
		}
		// Let at least one more scheduled poll run: it must not emit anything again.
		const pollsBefore = polls;
		const deadline = Date.now() + 130_000;
		while (polls < pollsBefore + 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
		if (polls < pollsBefore + 1) f3.push('no scheduled poll ran after the alerts within 130 s (is the debug log line "Poll trigger initiated" still printed?)');
		await new Promise((resolve) => setTimeout(resolve, 5_000));
		alerts = await mail.waitForMessages('INBOX', 0, 5_000, isAlert);
		details.push(`after ${polls} polls: ${alerts.length} alerts: ${alerts.map((m) => m.subject.replace(/^E2E alert /, '')).join(' | ')}`);
		for (const entry of expected) {
			const pattern = `E2E alert ${entry.kind} ${entry.recipient} `;
			const matching = alerts.filter((m) => m.subject.startsWith(pattern));
			if (matching.length !== 1) f3.push(`${matching.length} alerts for ${entry.recipient} (${entry.kind}), expected exactly 1`);
			const original = sentItems.find((sent) => (sent.accepted || []).includes(entry.recipient));
			if (matching[0] && original && !matching[0].subject.includes(original.deliveryId)) f3.push(`the alert for ${entry.recipient} lacks the deliveryId ${original.deliveryId}: ${matching[0].subject}`);
		}
		if (alerts.length !== expected.length) f3.push(`${alerts.length} alerts in total, expected ${expected.length}`);
		record('real n8n + Postfix/Dovecot: the active Delivery Channel Trigger emits each failure once across polls', f3, details);
		// n8n retries a failing activation for about half a minute before it logs the error.
		const failureDeadline = Date.now() + 90_000;
		while (!wrongImapLines && Date.now() < failureDeadline) await new Promise((resolve) => setTimeout(resolve, 500));

		if (!wrongImapLines) f4.push(`n8n start logged no login failure of "${wfs.watchWrongImap.name}": the trigger's failure path did not run`);
		imapCheck[2].push(`active trigger with the wrong IMAP password: ${wrongImapLines} lines of n8n start's log name its login failure`);
		record(...imapCheck);

		// --- the manual run ("Fetch Test Event") is the jest integration test's part -----------------
		record('real n8n + Postfix/Dovecot: mail system logs clean (no delivery agent crashes)', /fatal|panic|warning: process .* exit status/i.test(mail.logs(400)) ? [`suspicious lines in the logs:\n${mail.logs(30)}`] : [], []);
	} finally {
		if (server) await require('./proc').stop(server.handle);
		if (secrets) {
			// What the node sent and the MTA returned, in the sender's mailbox (not the servers' own files).
			const mailbox = path.join(mail.dir, 'mail');
			secrets.scans.push({ what: `mailbox ${mailbox}`, ...secrets.scanTree(mailbox) });
		}
		await mail.stop().catch(() => undefined);
	}
}

module.exports = { runMailSystemE2E, MAILSYSTEM_CHECKS };
