'use strict';
// What the live part of the editor browser test (test/editor/live.editor.ts) talks to: a local SMTP
// server for Custom SMTP (it refuses REFUSED at RCPT TO), the MSC server we ship (its demo account,
// relaying to a second local SMTP server), the fake Google of test/fakes/gmail, and the three
// credentials pointed at them, as n8n stores them (Gmail: after "Connect").

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { startMailCatcher } = require('./mail-catcher');
const { fakeGmailCredential } = require('./fake-gmail-credential');
const { startFakeGmail } = require('../../test/fakes/gmail');

/** The address the local SMTP server refuses, as a server without that mailbox does. */
const REFUSED = 'refused@example.net';
const SMTP_USER = 'rep@example.com';
const SEND_AS = ['team@example.com', 'sales@example.com'];
const GMAIL = { email: 'jane@acme.example', displayName: 'Jane Doe' };
const GMAIL_ALIAS = 'sales@acme.example';

/** The ids the workflows of test/editor name. */
const CREDENTIALS = {
	msc: { id: 'edMscCredential1', name: 'MSC sandbox', type: 'deliveryChannelMscApi' },
	gmail: { id: 'edGmailCredent01', name: 'Fake Gmail', type: 'deliveryChannelGmailOAuth2Api' },
	smtp: { id: 'edSmtpCredenti01', name: 'Local SMTP', type: 'deliveryChannelSmtpApi' },
};

/**
 * Starts the servers; returns them, the credentials to import and `close()`.
 * @param {import('./e2e-run').E2eRun} run
 */
async function startEditorServices(run) {
	const opened = [];
	const close = async () => {
		for (const server of opened.reverse()) await server.close().catch(() => undefined);
	};
	try {
		const auth = { user: SMTP_USER, pass: crypto.randomBytes(12).toString('base64url') };
		const smtp = await startMailCatcher({ auth, refuse: [REFUSED] });
		opened.push(smtp);
		const upstream = await startMailCatcher({});
		opened.push(upstream);
		const sandbox = await startMsc(run, upstream);
		opened.push(sandbox);
		const gmail = await startFakeGmail({
			account: GMAIL,
			aliases: [
				{ sendAsEmail: GMAIL_ALIAS, displayName: 'Acme Sales', verificationStatus: 'accepted' },
			],
		});
		opened.push(gmail);
		const credentials = [
			{ ...CREDENTIALS.msc, data: { baseUrl: sandbox.apiUrl, apiKey: sandbox.apiKey } },
			{ ...CREDENTIALS.gmail, data: fakeGmailCredential(gmail, gmail.issueTokens()) },
			{
				...CREDENTIALS.smtp,
				data: {
					host: smtp.host,
					port: smtp.port,
					security: 'none',
					user: auth.user,
					password: auth.pass,
					sendAs: SEND_AS.join(', '),
					allowSelfSigned: false,
				},
			},
		];
		return { smtp, upstream, sandbox, gmail, credentials, close };
	} catch (error) {
		await close();
		throw error;
	}
}

/**
 * The MSC server of dist/sandbox with its demo account, relaying to `upstream`.
 * @param {import('./e2e-run').E2eRun} run
 * @param {{ host: string, port: number }} upstream
 */
async function startMsc(run, upstream) {
	const { startSandbox } = require(path.join(run.dist, 'sandbox', 'msc', 'server.js'));
	const folder = path.join(run.work, 'editor-msc');
	fs.mkdirSync(folder, { recursive: true });
	const apiKey = `msc_sk_${crypto.randomBytes(16).toString('hex')}`;
	const sandbox = await startSandbox({
		port: 0,
		smtpPort: 0,
		db: path.join(folder, 'sandbox.sqlite'),
		upstream: { host: upstream.host, port: upstream.port, security: 'none' },
		demo: { apiKey },
	});
	return Object.assign(sandbox, { apiKey });
}

module.exports = {
	REFUSED,
	SMTP_USER,
	SEND_AS,
	GMAIL,
	GMAIL_ALIAS,
	CREDENTIALS,
	startEditorServices,
};
