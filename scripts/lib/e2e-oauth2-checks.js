'use strict';
// The checks of the OAuth2 part of the real-n8n end-to-end test (scripts/lib/e2e-oauth2.js runs the
// setup). No check prints a token or the client secret: they compare them and say what they saw.

const { nodeItems, runError } = require('./n8n');
const { short } = require('./e2e-common');
const { CONNECTED, EXPIRED, REVOKED, SUBJECTS } = require('./e2e-oauth2-workflows');

/**
 * @typedef {import('./e2e-common').Check} Check
 * @typedef {import('./e2e-oauth2').OAuth2Part} OAuth2Part
 */

const RECONNECT = /Open the credential and select Connect \(Reconnect\)/;

/** @param {import('./n8n-run-data').N8nRun} run @param {string} name */
const jsonOf = (run, name) => nodeItems(run, name).map((item) => item.json || {});

/**
 * The messages in the sender's INBOX with this subject, once they stopped arriving (count 0: a short look).
 * @param {OAuth2Part['mail']} mail
 * @param {string} subject
 * @param {number} count  how many to wait for
 */
async function arrived(mail, subject, count) {
	const match = (/** @type {any} */ m = {}) => m.subject === subject;
	if (count) await mail.waitForMessages('INBOX', count, 30_000, match).catch(() => undefined);
	await new Promise((resolve) => setTimeout(resolve, count ? 1_000 : 3_000));
	return (await mail.waitForMessages('INBOX', 0, 10_000, match)).length;
}

/**
 * (a) Send with Authentication OAuth2: the message arrives, SMTP AUTH was XOAUTH2, no renewal needed.
 * @param {OAuth2Part} ctx
 * @returns {Promise<Check>}
 */
async function checkSend({ mail, sendRun, sendRefreshes, reportError, timings }) {
	const f = [];
	if (runError(sendRun)) f.push(`execution failed: ${runError(sendRun)}`);
	const sent = jsonOf(sendRun, 'Send');
	if (sent.length !== 2 || sent.some((item) => item.status !== 'sent'))
		f.push(
			`send output: ${short(sent.map((item) => item.status || item.error))}, expected 2 x "sent"`,
		);
	const count = await arrived(mail, SUBJECTS.send, 1);
	if (count !== 1) f.push(`"${SUBJECTS.send}" is in the mailbox ${count} times, expected once`);
	if (reportError) f.push(`no bounce report for the unknown user: ${reportError}`);
	if (sendRefreshes.length)
		f.push(`${sendRefreshes.length} token refreshes with a token good for an hour, expected none`);
	const logins = (mail.logs(400).match(/sasl_method=XOAUTH2, sasl_username=\S+/g) || []).length;
	if (!logins) f.push(`Postfix logged no SMTP AUTH with XOAUTH2:\n${mail.logs(20)}`);
	const details = [
		`mail system with OAuth2 started in ${timings.mailStarted} s; n8n import ${timings.importTook} s; ` +
			`n8n execute (send 2) ${timings.sendTook} s; the bounce report ${timings.reportTook} s later`,
		`items: ${sent.map((item) => `${item.status} ${(item.accepted || []).join(',')}`).join('; ')}`,
		`Postfix: ${logins} SMTP AUTH logins with XOAUTH2`,
	];
	return { failures: f, details };
}

/**
 * The stored oauthTokenData of a credential, and what changed since it was imported (no values).
 * @param {OAuth2Part} ctx
 * @param {{ id: string, name: string }} credential
 * @param {any} imported
 * @param {string[]} f
 */
function checkStoredToken({ afterRefresh, activeAfterRefresh }, credential, imported, f) {
	const found = afterRefresh.find((c) => c.id === credential.id);
	const data = (found && found.data) || {};
	const token = data.oauthTokenData || {};
	const before = imported.oauthTokenData;
	const minutesLeft = (Number(token.n8n_expires_at) - Date.now()) / 60_000;
	if (!found) f.push(`n8n export:credentials has no credential ${credential.id}`);
	else if (token.access_token === before.access_token)
		f.push(`${credential.name}: n8n still stores the access token that was imported`);
	else if (!token.access_token) f.push(`${credential.name}: no access token stored`);
	if (found && !activeAfterRefresh[credential.id])
		f.push(
			`${credential.name}: the stored access token is not one the identity platform calls active`,
		);
	if (found && !(minutesLeft > 50))
		f.push(
			`${credential.name}: n8n_expires_at ${short(token.n8n_expires_at)} is not about an hour ahead`,
		);
	if (found && (!token.refresh_token || token.token_type !== 'Bearer' || !token.scope))
		f.push(`${credential.name}: the stored token lacks refresh_token, token_type or scope`);
	if (found && data.clientSecret !== imported.clientSecret)
		f.push(`${credential.name}: the client secret changed when the token was stored`);
	const refreshKept = token.refresh_token === before.refresh_token ? 'kept' : 'rotated';
	return (
		`${credential.name}: a new access token, active at the fake, expiring in ${minutesLeft.toFixed(0)} min; ` +
		`refresh token ${refreshKept}`
	);
}

/**
 * (b) A token expired by n8n's record, and one the server refused: each renewed once through n8n at
 * the fake's token endpoint, both sends arrive, and n8n stored the renewed tokens.
 * @param {OAuth2Part} ctx
 * @returns {Promise<Check>}
 */
async function checkRenewed(ctx) {
	const { mail, refreshRun, refreshRefreshes, afterRefresh, imported, timings } = ctx;
	const f = [];
	if (runError(refreshRun)) f.push(`execution failed: ${runError(refreshRun)}`);
	for (const [name, subject] of [
		['Send (token expired)', SUBJECTS.expired],
		['Send (token refused)', SUBJECTS.refused],
	]) {
		const items = jsonOf(refreshRun, name);
		if (items.length !== 1 || items[0].status !== 'sent')
			f.push(
				`${name}: ${short(items.map((item) => [item.status, item.code, item.error]))}, expected sent`,
			);
		const count = await arrived(mail, subject, 1);
		if (count !== 1) f.push(`"${subject}" is in the mailbox ${count} times, expected once`);
	}
	const statuses = refreshRefreshes.map((r) => r.status);
	if (statuses.length !== 2 || statuses.some((status) => status !== 200))
		f.push(
			`token endpoint: ${statuses.length} refresh requests (${statuses.join(', ')}), expected 2 answered 200: ` +
				'one per credential (Failed Deliveries reads the renewed token back from n8n)',
		);
	const stored = [
		checkStoredToken(ctx, EXPIRED, imported.expired, f),
		checkStoredToken(ctx, CONNECTED, imported.connected, f),
	];
	const untouched = afterRefresh.find((c) => c.id === REVOKED.id);
	const untouchedToken = untouched && untouched.data && untouched.data.oauthTokenData;
	if (
		!untouchedToken ||
		untouchedToken.access_token !== imported.revoked.oauthTokenData.access_token
	)
		f.push(`${REVOKED.name}: its stored token changed although no workflow used it yet`);
	const details = [
		`n8n execute (2 sends + Failed Deliveries) ${timings.refreshTook} s; ` +
			`${statuses.length} refresh requests at the fake's token endpoint (${statuses.join(', ')})`,
		...stored,
		`n8n export:credentials --decrypted: ${afterRefresh.length} credentials, read and deleted at once`,
	];
	return { failures: f, details };
}

/**
 * (d) Failed Deliveries reads the real report over IMAP with XOAUTH2 and links it to the sent message.
 * @param {OAuth2Part} ctx
 * @returns {Check}
 */
function checkFailedDeliveries({ mail, sendRun, refreshRun, unknown }) {
	const f = [];
	const listed = jsonOf(refreshRun, 'Failed Deliveries');
	const original = jsonOf(sendRun, 'Send').find((item) => (item.accepted || []).includes(unknown));
	if (listed.length !== 1)
		f.push(`Failed Deliveries returned ${listed.length} items, expected 1: ${short(listed)}`);
	const item = listed[0] || {};
	const expected = {
		recipient: unknown,
		kind: 'failure',
		hard: true,
		reason: 'userunknown',
		status: '5.1.1',
	};
	for (const [key, value] of Object.entries(expected)) {
		const got = key === 'recipient' ? String(item[key]).toLowerCase() : item[key];
		if (got !== value) f.push(`${key} is ${short(item[key])}, expected ${short(value)}`);
	}
	const message = item.message || {};
	if (!original) f.push(`no sent item for ${unknown} to compare with`);
	else if (message.deliveryId !== original.deliveryId || message.messageId !== original.messageId)
		f.push(`linked to ${short(message)}, sent as ${original.deliveryId} ${original.messageId}`);
	const imapLogins = (
		mail.logs(400).match(/imap-login: Info: Login: user=<[^>]+>, method=XOAUTH2/g) || []
	).length;
	if (!imapLogins) f.push(`Dovecot logged no IMAP login with XOAUTH2:\n${mail.logs(20)}`);
	const details = [
		`item: ${item.recipient} ${item.kind} ${item.reason} ${item.status} ${item.hard ? 'hard' : 'soft'} ` +
			`via ${item.link && item.link.method} (${item.link && item.link.confidence})`,
		`Dovecot: ${imapLogins} IMAP logins with XOAUTH2`,
	];
	return { failures: f, details };
}

/**
 * (c) A revoked grant: the refresh is answered invalid_grant; EAUTH "reconnect" under Continue (the
 * rest of the batch not sent), a node error under Stop, nothing in the mailbox, no token in the output.
 * @param {OAuth2Part} ctx
 * @returns {Promise<Check>}
 */
async function checkRevoked({ mail, revokedRun, revokedRefreshes, imported, timings }) {
	const f = [];
	const items = jsonOf(revokedRun, 'Revoked (Continue)');
	const first = items[0] || {};
	if (first.status !== 'failed' || first.code !== 'EAUTH')
		f.push(
			`under Continue the first item is ${short(first)}, expected status failed with code EAUTH`,
		);
	if (
		!/sign-in of this credential is no longer valid/.test(String(first.error)) ||
		!RECONNECT.test(String(first.hint))
	)
		f.push(
			`the item does not tell to reconnect the credential: ${short([first.error, first.hint])}`,
		);
	if (items.length !== 2 || (items[1] || {}).status !== 'not sent')
		f.push(`under Continue: ${short(items.map((item) => item.status))}, expected failed, not sent`);
	const e = revokedRun.data && revokedRun.data.resultData.error;
	const nodeError = e ? `${e.message} | ${e.description || ''}` : '';
	if (!e || !e.node || e.node.name !== 'Revoked (Stop)')
		f.push(`the execution did not stop at "Revoked (Stop)" (error: ${short(e && e.message)})`);
	else if (!/no longer valid/.test(nodeError) || !/Reconnect/.test(nodeError))
		f.push(`the node error does not tell to reconnect: ${short(nodeError)}`);
	const answers = revokedRefreshes.map((r) => `${r.status} ${r.error || ''}`.trim());
	if (!revokedRefreshes.length || revokedRefreshes.some((r) => r.error !== 'invalid_grant'))
		f.push(`token endpoint: ${short(answers)}, expected refreshes answered invalid_grant`);
	const count = await arrived(mail, SUBJECTS.revoked, 0);
	if (count) f.push(`${count} messages were sent with a revoked grant`);
	const output = JSON.stringify(revokedRun);
	const { access_token: access, refresh_token: refresh } = imported.revoked.oauthTokenData;
	if (output.includes(access) || output.includes(refresh))
		f.push('the run output holds a token of the revoked credential');
	const details = [
		`n8n execute ${timings.revokedTook} s; token endpoint answered: ${answers.join('; ')}`,
		`item: ${short(first.error)} (${short(first.hint)})`,
		`node error: ${short(nodeError)}`,
	];
	return { failures: f, details };
}

module.exports = { checkSend, checkRenewed, checkFailedDeliveries, checkRevoked };
