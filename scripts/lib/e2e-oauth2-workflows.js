'use strict';
// The credentials and workflows of the OAuth2 part of the real-n8n end-to-end test
// (scripts/lib/e2e-oauth2.js): Custom SMTP with Authentication OAuth2, signed in at the fake Microsoft
// identity platform (test/fakes/microsoft-identity), sending to and reading the real Postfix + Dovecot.

const crypto = require('node:crypto');
const { NODE_TYPE_CUSTOM } = require('./n8n');

const CREDENTIAL_TYPE = 'deliveryChannelSmtpOAuth2Api';
/** Connected a minute ago: the token is good for an hour by n8n's clock. */
const CONNECTED = { id: 'dcE2eOAuthConn01', name: 'E2E Microsoft 365 (connected)' };
/** Connected over an hour ago: n8n's record says the access token has expired. */
const EXPIRED = { id: 'dcE2eOAuthExpd01', name: 'E2E Microsoft 365 (token expired)' };
/** Its grant is revoked before the last workflow runs. */
const REVOKED = { id: 'dcE2eOAuthRevk01', name: 'E2E Microsoft 365 (grant revoked)' };
const IDS = {
	send: 'dcE2eOAuthSend01',
	refresh: 'dcE2eOAuthRfsh01',
	revoked: 'dcE2eOAuthRevk01',
};
/** The subjects the workflows send with (the checks look for them in the mailbox). */
const SUBJECTS = {
	send: 'E2E OAuth2 send',
	bounce: 'E2E OAuth2 to an unknown user',
	expired: 'E2E OAuth2 after the stored token expired',
	refused: 'E2E OAuth2 after the server refused the token',
	revoked: 'E2E OAuth2 with a revoked grant',
};

/**
 * @typedef {import('./e2e-mailsystem-workflows').MailSystem} MailSystem
 * @typedef {import('../../test/fakes/microsoft-identity').MicrosoftIdentity} MicrosoftIdentity
 * @typedef {import('../../test/fakes/microsoft-identity').TokenSet} TokenSet
 */

/**
 * The credential as n8n stores it after Connect: what the user entered (the Microsoft 365 preset, the
 * app's client, the mailbox and its servers), the endpoints pointed at the fake, and `oauthTokenData`:
 * the token endpoint's answer plus n8n_expires_at, as n8n's OAuth2 callback writes it.
 * @param {MicrosoftIdentity} idp
 * @param {MailSystem} mail
 * @param {TokenSet} tokens
 * @param {number} expiresAt  n8n_expires_at (ms)
 */
function credentialData(idp, mail, tokens, expiresAt) {
	const smtp = mail.smtpCredential();
	return {
		provider: 'microsoft365',
		tenant: 'organizations',
		authUrl: idp.authorizeUrl('organizations'),
		accessTokenUrl: idp.tokenUrl('organizations'),
		clientId: idp.client.clientId,
		clientSecret: idp.client.clientSecret,
		user: mail.sender.address,
		host: smtp.host,
		port: smtp.port,
		security: 'none',
		imapHost: smtp.imapHost,
		imapPort: smtp.imapPort,
		imapSecurity: 'none',
		imapFolders: 'INBOX, Junk',
		sentFolder: '',
		oauthTokenData: { ...tokens, n8n_expires_at: String(expiresAt) },
	};
}

/**
 * A node of a workflow, at column x.
 * @param {string} name
 * @param {string} type
 * @param {number} x
 * @param {Record<string, unknown>} parameters
 * @param {Record<string, unknown>} [more]
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
 * A Delivery Channel node: Custom SMTP, Authentication OAuth2, with the given credential.
 * @param {string} name
 * @param {number} x
 * @param {{ id: string, name: string }} credential
 * @param {Record<string, unknown>} parameters
 * @param {string} [onError]
 */
const deliveryChannel = (name, x, credential, parameters, onError = 'continueRegularOutput') =>
	node(
		name,
		NODE_TYPE_CUSTOM,
		x,
		{ channel: 'smtp', authentication: 'oAuth2', ...parameters },
		{ credentials: { [CREDENTIAL_TYPE]: { ...credential } }, onError },
	);

/**
 * Send parameters: to and subject as given (plain values or expressions).
 * @param {MailSystem} mail
 * @param {string} to
 * @param {string} subject
 */
const send = (mail, to, subject) => ({
	operation: 'send',
	identity: { __rl: true, mode: 'address', value: `Sales Team <${mail.sender.address}>` },
	to,
	subject,
	emailFormat: 'text',
	text: 'Sent by n8n with SMTP AUTH XOAUTH2.',
});

/**
 * A workflow whose nodes run one after the other.
 * @param {string} id
 * @param {string} name
 * @param {Array<{ name: string }>} nodes
 */
function workflow(id, name, nodes) {
	/** @type {Record<string, unknown>} */
	const connections = {};
	for (let i = 0; i < nodes.length - 1; i++)
		connections[nodes[i].name] = { main: [[{ node: nodes[i + 1].name, type: 'main', index: 0 }]] };
	return { id, name, active: false, settings: { executionOrder: 'v1' }, nodes, connections };
}

const manual = () => node('Start', 'n8n-nodes-base.manualTrigger', 0, {});

/**
 * Items of a Code node.
 * @param {string} name
 * @param {object[]} items
 */
const items = (name, items) =>
	node(
		name,
		'n8n-nodes-base.code',
		1,
		{ jsCode: `return ${JSON.stringify(items.map((json) => ({ json })))};` },
		{ typeVersion: 2 },
	);

/**
 * The part's three workflows, built for this mail system.
 * @param {MailSystem} mail
 * @param {string} unknown  a local user that does not exist (Postfix accepts, then bounces)
 */
function workflows(mail, unknown) {
	const own = mail.sender.address;
	return {
		// (a) and the bounce (d) reads: one to the sender's own mailbox, one to the unknown user
		send: workflow(IDS.send, 'E2E OAuth2: send', [
			manual(),
			items('Recipients', [
				{ to: own, subject: SUBJECTS.send },
				{ to: unknown, subject: SUBJECTS.bounce },
			]),
			deliveryChannel(
				'Send',
				2,
				CONNECTED,
				send(mail, '={{ $json.to }}', '={{ $json.subject }}'),
				'stopWorkflow',
			),
		]),
		// (b) and (d): a token expired by n8n's record, one the server refuses, then Failed Deliveries
		refresh: workflow(IDS.refresh, 'E2E OAuth2: renewed tokens, Failed Deliveries', [
			manual(),
			items('One', [{}]),
			deliveryChannel('Send (token expired)', 2, EXPIRED, send(mail, own, SUBJECTS.expired)),
			deliveryChannel('Send (token refused)', 3, CONNECTED, send(mail, own, SUBJECTS.refused)),
			deliveryChannel('Failed Deliveries', 4, CONNECTED, {
				operation: 'getFailedDeliveries',
				returnAll: true,
				filters: {},
			}),
		]),
		// (c): two items under Continue, then the same under Stop
		revoked: workflow(IDS.revoked, 'E2E OAuth2: revoked grant', [
			manual(),
			items('Two', [{}, {}]),
			deliveryChannel('Revoked (Continue)', 2, REVOKED, send(mail, own, SUBJECTS.revoked)),
			deliveryChannel(
				'Revoked (Stop)',
				3,
				REVOKED,
				send(mail, own, SUBJECTS.revoked),
				'stopWorkflow',
			),
		]),
	};
}

module.exports = {
	CREDENTIAL_TYPE,
	CONNECTED,
	EXPIRED,
	REVOKED,
	IDS,
	SUBJECTS,
	credentialData,
	workflows,
};
