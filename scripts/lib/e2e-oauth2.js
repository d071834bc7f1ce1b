'use strict';
// End-to-end part for Custom SMTP with Authentication OAuth2 in a real n8n: the fake Microsoft identity
// platform (test/fakes/microsoft-identity) signs the mailbox in and answers Dovecot's token
// introspection; the real Postfix + Dovecot take SASL XOAUTH2 for SMTP AUTH and IMAP. The credentials
// are imported as n8n stores them after Connect (the fields plus oauthTokenData, with n8n_expires_at),
// their endpoints pointed at the fake. `n8n execute` runs:
//   1. send: two items with a token good by n8n's clock, one to the sender's mailbox (arrives), one to a
//      local user that does not exist (Postfix returns a real report to the sender's mailbox);
//   2. refresh: a credential whose stored token expired (by n8n's record and at the fake) and, after
//      the fake expired every token issued so far, the first credential, whose token n8n still thinks
//      good: the node has n8n renew each once at the fake's token endpoint and sends; then Failed
//      Deliveries reads the report of step 1 over IMAP with XOAUTH2 (the renewed token, read back from
//      n8n's database); then `n8n export:credentials --decrypted` shows what n8n stored;
//   3. revoked: the third credential's grant revoked at the fake (its access tokens refused at once, a
//      refresh answered invalid_grant): EAUTH "reconnect" items under Continue, a node error under
//      Stop, nothing sent.
// The client secret is a marker of the seeded-secret check; every access and refresh token the fake
// issued becomes one when the part ends, and the sender's mailbox is copied into the run's folder.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startMicrosoftIdentity } = require('../../test/fakes/microsoft-identity');
const { startMailSystem } = require('../mailsystem/mailsystem');
const { createN8n, secs } = require('./e2e-common');
const {
	CREDENTIAL_TYPE,
	CONNECTED,
	EXPIRED,
	REVOKED,
	IDS,
	credentialData,
	workflows,
} = require('./e2e-oauth2-workflows');

/**
 * @typedef {import('./e2e-mailsystem-workflows').MailSystem} MailSystem
 * @typedef {import('../../test/fakes/microsoft-identity').MicrosoftIdentity} MicrosoftIdentity
 */

/** How long before the run the stored tokens were issued by n8n's record. */
const CONNECTED_AGO_MS = 60_000;
const EXPIRED_AGO_MS = 2 * 3_600_000;

/** @param {any} m  an envelope */
const isReport = (m = {}) =>
	/mailer-daemon/i.test((m.from && m.from[0] && m.from[0].address) || '');

/**
 * The refresh requests the fake answered since `from` (an index into its token requests).
 * @param {MicrosoftIdentity} idp
 * @param {number} from
 */
const refreshesSince = (idp, from) =>
	idp.tokenRequests.slice(from).filter((r) => r.grantType === 'refresh_token');

/**
 * Whether the fake's introspection endpoint (which Dovecot asks too) calls an access token active.
 * @param {MicrosoftIdentity} idp
 * @param {unknown} token
 */
async function isActive(idp, token) {
	const response = await fetch(idp.introspectionUrl, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ token: String(token || '') }).toString(),
	});
	const answer = /** @type {{ active?: boolean }} */ (await response.json());
	return answer.active === true;
}

/**
 * The decrypted credentials n8n holds, read with `n8n export:credentials --decrypted` into a private
 * folder that is removed at once; nothing of it is printed.
 * @param {import('./n8n').N8n} n8n
 * @returns {Promise<any[]>}
 */
async function storedCredentials(n8n) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dc-e2e-oauth2-export-'));
	const file = path.join(dir, 'credentials.json');
	try {
		await n8n.cli(['export:credentials', '--all', '--decrypted', `--output=${file}`]);
		return JSON.parse(fs.readFileSync(file, 'utf8'));
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

/**
 * Starts the fake identity platform, the mail system with OAuth2 and an n8n with the built package;
 * runs the three workflows (see the top of this file) and records what the checks read.
 * @param {{ run: import('./e2e-run').E2eRun, secrets: import('./secret-scan').SecretSet }} options
 */
async function setupOAuth2({ run, secrets }) {
	const idp = await startMicrosoftIdentity({
		client: { clientSecret: secrets.marker('Custom SMTP OAuth2 client secret') },
	});
	/** @type {{ idp: MicrosoftIdentity, run: typeof run, secrets: typeof secrets, mail?: MailSystem }} */
	const ctx = { idp, run, secrets };
	try {
		let t = Date.now();
		const mail = await startMailSystem({ oauth2IntrospectionUrl: idp.introspectionUrl });
		ctx.mail = mail;
		const mailStarted = secs(t);
		secrets.add('Postfix/Dovecot mailbox password (not in any credential)', mail.sender.password);
		const user = mail.sender.address;
		idp.signInAs = user;
		// Three sign-ins (three grants), as three Connects would make. The first one's tokens have run
		// out at the fake too.
		const expiredTokens = await idp.signIn({ user });
		idp.expireAccessTokens({ user });
		const connectedTokens = await idp.signIn({ user });
		const revokedTokens = await idp.signIn({ user });
		const now = Date.now();
		const stored = (/** @type {any} */ tokens, /** @type {number} */ ago) =>
			credentialData(idp, mail, tokens, now - ago + tokens.expires_in * 1000);
		const imported = {
			connected: stored(connectedTokens, CONNECTED_AGO_MS),
			expired: stored(expiredTokens, EXPIRED_AGO_MS),
			revoked: stored(revokedTokens, CONNECTED_AGO_MS),
		};
		const unknown = mail.unknownUser();
		const wfs = workflows(mail, unknown);

		t = Date.now();
		const n8n = await createN8n(run, 'oauth2-n8n');
		await n8n.importCredentials(
			[
				{ ...CONNECTED, type: CREDENTIAL_TYPE, data: imported.connected },
				{ ...EXPIRED, type: CREDENTIAL_TYPE, data: imported.expired },
				{ ...REVOKED, type: CREDENTIAL_TYPE, data: imported.revoked },
			],
			'oauth2-credentials.json',
		);
		await n8n.importWorkflow([wfs.send, wfs.refresh, wfs.revoked], 'oauth2-workflows.json');
		const importTook = secs(t);

		// 1. send
		let mark = idp.tokenRequests.length;
		t = Date.now();
		const { run: sendRun } = await n8n.execute(IDS.send);
		const sendTook = secs(t);
		const sendRefreshes = refreshesSince(idp, mark);
		t = Date.now();
		let reportError = '';
		await mail.waitForMessages('INBOX', 1, 60_000, isReport).catch((error) => {
			reportError = `${error.message}\n${mail.logs(15)}`;
		});
		const reportTook = secs(t);

		// 2. refresh: every token issued so far runs out at the fake (the connected one too, which
		// n8n's record still gives an hour)
		idp.expireAccessTokens({ user });
		mark = idp.tokenRequests.length;
		t = Date.now();
		const { run: refreshRun } = await n8n.execute(IDS.refresh);
		const refreshTook = secs(t);
		const refreshRefreshes = refreshesSince(idp, mark);
		const afterRefresh = await storedCredentials(n8n);
		/** @type {Record<string, boolean>} whether each stored access token works, before the revocation */
		const activeAfterRefresh = {};
		for (const credential of afterRefresh) {
			const token = credential.data && credential.data.oauthTokenData;
			activeAfterRefresh[credential.id] = await isActive(idp, token && token.access_token);
		}

		// 3. revoked
		idp.revoke({ user });
		mark = idp.tokenRequests.length;
		t = Date.now();
		const { run: revokedRun } = await n8n.execute(IDS.revoked);
		const revokedTook = secs(t);
		const revokedRefreshes = refreshesSince(idp, mark);

		return {
			...ctx,
			mail,
			n8n,
			user,
			unknown,
			imported,
			sendRun,
			sendRefreshes,
			reportError,
			refreshRun,
			refreshRefreshes,
			afterRefresh,
			activeAfterRefresh,
			revokedRun,
			revokedRefreshes,
			timings: { mailStarted, importTook, sendTook, reportTook, refreshTook, revokedTook },
		};
	} catch (error) {
		await teardownOAuth2(ctx);
		throw error;
	}
}
/** @typedef {Awaited<ReturnType<typeof setupOAuth2>>} OAuth2Part */

/**
 * Hands every token the fake issued to the seeded-secret check, copies the sender's mailbox (what the
 * node sent and the MTA returned) into the run's folder, and stops the mail system and the fake.
 * @param {{ idp: MicrosoftIdentity, run: import('./e2e-run').E2eRun, secrets: import('./secret-scan').SecretSet, mail?: MailSystem }} ctx
 */
async function teardownOAuth2({ idp, run, secrets, mail }) {
	const { accessTokens, refreshTokens } = idp.issuedTokens();
	accessTokens.forEach((token, i) =>
		secrets.add(`Custom SMTP OAuth2 access token ${i + 1}`, token),
	);
	refreshTokens.forEach((token, i) =>
		secrets.add(`Custom SMTP OAuth2 refresh token ${i + 1}`, token),
	);
	try {
		if (mail) {
			fs.cpSync(path.join(mail.dir, 'mail'), path.join(run.work, 'oauth2-mailbox'), {
				recursive: true,
				filter: (file) => {
					const stat = fs.lstatSync(file);
					return stat.isDirectory() || stat.isFile();
				},
			});
		}
	} finally {
		if (mail) await mail.stop().catch(() => undefined);
		await idp.stop();
	}
}

module.exports = { setupOAuth2, teardownOAuth2, refreshesSince };
