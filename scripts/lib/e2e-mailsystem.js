'use strict';
// End-to-end part for Custom SMTP Failed Deliveries, in a real n8n against a real mail system
// (the throwaway Postfix + Dovecot of scripts/mailsystem, on 127.0.0.1):
//  1. `n8n execute`: the Delivery Channel node sends to a user that does not exist, to a mailbox
//     that refuses ("mailbox full") and to one whose delivery is deferred until Postfix gives up;
//     Postfix returns its own reports to the sender's mailbox; then the Failed Deliveries operation
//     returns those failures (recipients, reasons, hard/soft, links to the sent messages);
//  2. `n8n start` with an active workflow "Delivery Channel Trigger -> Delivery Channel (send an
//     alert to the sender's mailbox)": the trigger's polls (the activation poll and the scheduled
//     ones, every minute) emit each failure exactly once: one alert per failure, none repeated by
//     the next poll;
//  3. a wrong IMAP password: Failed Deliveries gives an EAUTH item under Continue and a node error
//     under Stop; an active trigger with it (beside the one of check 2) fails in n8n's log;
//  4. the mail system's logs are clean (no delivery agent crashed).
// The credential sets IMAP User and IMAP Password (the mailbox's own login), so both the SMTP and the
// IMAP password field carry the mailbox password; it and the wrong IMAP password are markers of the
// seeded-secret check, and the sender's mailbox is copied into the run's folder (which the check
// scans) before the mail system goes away.
// setupMailSystem does every `n8n execute` (one n8n process at a time per user folder), then starts
// `n8n start`; the checks (./e2e-mailsystem-checks.js) read and wait; teardownMailSystem stops it all.

const fs = require('node:fs');
const path = require('node:path');
const { stop } = require('./proc');
const { createN8n, secs } = require('./e2e-common');
const { startMailSystem } = require('../mailsystem/mailsystem');
const { CREDENTIAL, WRONG_IMAP_CREDENTIAL, IDS, workflows } = require('./e2e-mailsystem-workflows');

/**
 * @typedef {import('./e2e-mailsystem-workflows').MailSystem} MailSystem
 * @typedef {{ recipient: string, kind: string, action?: string, hard?: boolean, reason?: string, status?: string }} ExpectedFailure
 */

/**
 * Starts the mail system and an n8n with the built package; sends, waits for Postfix's reports, lists
 * the failed deliveries, runs the wrong-IMAP-password workflow, then activates both triggers and
 * starts `n8n start` (counting its polls and login failures as its lines arrive).
 * @param {{ run: import('./e2e-run').E2eRun, secrets: import('./secret-scan').SecretSet }} options
 */
async function setupMailSystem({ run, secrets }) {
	const mail = await startMailSystem();
	/** @type {{ mail: MailSystem, run: typeof run, server?: Awaited<ReturnType<import('./n8n').N8n['startServer']>> }} */
	const ctx = { mail, run };
	try {
		const wrongImapPassword = secrets.marker('IMAP password that Dovecot refuses');
		secrets.add('Postfix/Dovecot mailbox password (SMTP and IMAP)', mail.sender.password);
		const unknown = mail.unknownUser();
		const recipients = [unknown, mail.refusing, mail.deferring];
		/** @type {ExpectedFailure[]} */
		const expected = [
			{
				recipient: unknown,
				kind: 'failure',
				action: 'failed',
				hard: true,
				reason: 'userunknown',
				status: '5.1.1',
			},
			{
				recipient: mail.refusing,
				kind: 'failure',
				action: 'failed',
				hard: false,
				reason: 'mailboxfull',
				status: '5.2.2',
			},
			{ recipient: mail.deferring, kind: 'delay', action: 'delayed', hard: false },
			{ recipient: mail.deferring, kind: 'failure', action: 'failed', hard: false },
		];
		const n8n = await createN8n(run, 'mailsystem-n8n');
		const wfs = workflows(mail, recipients);
		const ownLogin = { imapUser: mail.sender.address, imapPassword: mail.sender.password };
		const type = 'deliveryChannelSmtpApi';
		const credentials = [
			{ ...CREDENTIAL, type, data: mail.smtpCredential(ownLogin) },
			{
				...WRONG_IMAP_CREDENTIAL,
				type,
				data: mail.smtpCredential({ ...ownLogin, imapPassword: wrongImapPassword }),
			},
		];
		await n8n.importCredentials(credentials, 'mailsystem-credentials.json');
		await n8n.importWorkflow(
			[wfs.send, wfs.list, wfs.watch, wfs.wrongImap, wfs.watchWrongImap],
			'mailsystem-workflows.json',
		);

		// send, and let Postfix report: two failures and a delay at once, the deferred message's
		// failure after the queue lifetime
		let t = Date.now();
		const { run: sendRun } = await n8n.execute(IDS.send);
		const sendTook = secs(t);
		t = Date.now();
		let reportError = '';
		const isReport = (/** @type {any} */ m = {}) =>
			/mailer-daemon/i.test((m.from && m.from[0] && m.from[0].address) || '');
		await mail
			.waitForMessages('INBOX', 4, (mail.queueLifetimeSeconds + 30) * 1000, isReport)
			.catch((error) => {
				reportError = `${error.message}\n${mail.logs(15)}`;
			});
		const reportTook = secs(t);
		t = Date.now();
		const { run: listRun } = await n8n.execute(IDS.list);
		const listTook = secs(t);
		// before n8n start: one n8n process at a time per user folder
		const { run: imapRun } = await n8n.execute(IDS.wrongImap);

		await n8n.cli(['publish:workflow', `--id=${IDS.watch}`]);
		// Active beside it, the same trigger with the wrong IMAP password: n8n logs its failures.
		await n8n.cli(['publish:workflow', `--id=${IDS.watchWrongImap}`]);
		const log = { polls: 0, wrongImapLines: 0 };
		t = Date.now();
		ctx.server = await n8n.startServer({
			extraEnv: { N8N_LOG_LEVEL: 'debug' },
			onLine: (line) => {
				if (line.includes(`Poll trigger initiated for workflow "${wfs.watch.name}"`))
					log.polls += 1;
				// Only the trigger with the wrong IMAP password can fail this way (n8n prints the error over several lines).
				if (/rejected the login/.test(line)) log.wrongImapLines += 1;
			},
		});
		const serverStarted = Date.now();
		const timings = [sendTook, reportTook, listTook, secs(t)];
		return {
			...ctx,
			n8n,
			wfs,
			expected,
			sendRun,
			reportError,
			listRun,
			imapRun,
			log,
			serverStarted,
			timings,
		};
	} catch (error) {
		await teardownMailSystem(ctx);
		throw error;
	}
}
/** @typedef {Awaited<ReturnType<typeof setupMailSystem>>} MailSystemPart */

/**
 * Stops n8n start; copies the sender's mailbox (what the node sent and the MTA returned, not the
 * servers' own files) into the run's folder for the seeded-secret check; stops the mail system.
 * @param {{ mail: MailSystem, run: import('./e2e-run').E2eRun, server?: { handle: import('./proc').Started } }} ctx
 */
async function teardownMailSystem({ mail, run, server }) {
	if (server) await stop(server.handle);
	const mailbox = path.join(mail.dir, 'mail');
	const copy = path.join(run.work, 'mailsystem-mailbox');
	try {
		fs.cpSync(mailbox, copy, {
			recursive: true,
			filter: (file) => {
				const stat = fs.lstatSync(file);
				return stat.isDirectory() || stat.isFile();
			},
		});
	} finally {
		await mail.stop().catch(() => undefined);
	}
}

module.exports = { setupMailSystem, teardownMailSystem };
