'use strict';
// Gmail section of the real-n8n end-to-end test: the built node in a real n8n sends through the fake
// Google (test/fakes/gmail) with credentials imported with the fake's endpoints and an expired access
// token, then lists the failed deliveries the fake reported as Gmail bounces; an access token Google
// keeps refusing (401 after a renewal) and a credential whose refresh token Google revoked fail
// clearly (EAUTH items under Continue, a node error under Stop).
// With `secrets` (scripts/lib/secret-scan.js) the client secret is a marker, and every access and
// refresh token the fake issued during the run becomes one after it.
//
// Hook (from scripts/e2e.js, with an N8n instance that has N8N_CUSTOM_EXTENSIONS set):
//   const gmail = require('./lib/e2e-gmail');
//   for (const check of await gmail.run({ n8n, log: console.log })) record(check.name, check.failures, check.details);
// Alone: node scripts/lib/e2e-gmail.js   (installs/builds like scripts/e2e.js, then runs only this part)

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { startFakeGmail } = require('../../test/fakes/gmail');
const n8nLib = require('./n8n');

const { REPO_ROOT, nodeItems, runError } = n8nLib;
const WORKFLOW = path.join(REPO_ROOT, 'test', 'e2e', 'gmail.workflow.json');
const REVOKED_WORKFLOW = path.join(REPO_ROOT, 'test', 'e2e', 'gmail-revoked.workflow.json');
const CREDENTIAL_ID = 'dcE2eGmailCred01';
const REVOKED_CREDENTIAL = { id: 'dcE2eGmailCred02', name: 'E2E fake Gmail, revoked' };
const CHECKS = 4;

/** The credential as n8n stores it after "Connect", with an access token that has already expired. */
function credentialData(fake) {
	return {
		clientId: fake.client.id,
		clientSecret: fake.client.secret,
		authUrl: fake.authUrl,
		accessTokenUrl: fake.tokenUrl,
		useCustomApiBaseUrl: true,
		apiBaseUrl: fake.apiBaseUrl,
		readMailbox: true,
		oauthTokenData: fake.expiredTokenData(),
	};
}

function credentialsFor(fake) {
	return [
		{
			id: CREDENTIAL_ID,
			name: 'E2E fake Gmail',
			type: 'deliveryChannelGmailOAuth2Api',
			data: credentialData(fake),
		},
	];
}

/** @returns {Promise<Array<{ name: string, failures: string[], details: string[] }>>} */
async function run({ n8n, log = () => undefined, secrets }) {
	const checks = [];
	const fake = await startFakeGmail({
		account: { email: 'jane@acme.example', displayName: 'Jane Doe' },
		clientSecret: secrets ? secrets.marker('Gmail OAuth client secret') : undefined,
	});
	try {
		log(`     fake Gmail on ${fake.url}`);
		const workflow = JSON.parse(fs.readFileSync(WORKFLOW, 'utf8'));
		await n8n.importCredentials(credentialsFor(fake), 'gmail-credentials.json');
		await n8n.importWorkflow(workflow, 'gmail-workflow.json');

		// --- 1: send, with identities and a token refresh through n8n --------------------------
		const { run: first } = await n8n.execute(workflow.id);
		const f1 = [];
		const sent = nodeItems(first, 'Send via Gmail').map((item) => item.json || {});
		if (runError(first)) f1.push(`execution failed: ${runError(first)}`);
		if (sent.length !== 3) f1.push(`Send via Gmail output ${sent.length} items, expected 3`);
		sent.forEach((item, i) => {
			if (item.status !== 'sent') f1.push(`item ${i}: status ${JSON.stringify(item.status)} (${item.error || ''})`);
			if (item.inSent !== true || !item.gmailMessageId) f1.push(`item ${i}: no Gmail id / not in Sent`);
		});
		const stored = fake.sent();
		if (stored.length !== 3) f1.push(`the fake received ${stored.length} messages, expected 3`);
		for (const item of sent) {
			const message = stored.find((m) => m.id === item.gmailMessageId);
			if (message && fake.header(message.headers, 'from') !== item.from) {
				f1.push(`Gmail shows From ${fake.header(message.headers, 'from')} but the item says ${item.from}`);
			}
		}
		if (sent[0] && sent[0].from !== 'Acme Sales <sales@acme.example>') f1.push(`verified alias not used: ${sent[0].from}`);
		if (sent[2] && (sent[2].identityVerified !== false || !(sent[2].warnings || []).length)) f1.push('unverified identity did not produce a warning');
		if (fake.state.tokenRequests.length !== 1) f1.push(`expected 1 token refresh, saw ${fake.state.tokenRequests.length}`);
		checks.push({
			name: 'gmail: send 3 items via the fake Gmail (alias, account, unverified -> sent as account with warning), expired token refreshed',
			failures: f1,
			details: sent.map((item) => `${item.status} from=${item.from} gmailMessageId=${item.gmailMessageId} warnings=${(item.warnings || []).length}`),
		});

		// --- 2: failed deliveries end to end -------------------------------------------------
		const f2 = [];
		const failed = nodeItems(first, 'Failed Deliveries').map((item) => item.json || {});
		if (failed.length !== 1) f2.push(`Failed Deliveries output ${failed.length} items, expected 1`);
		const bounce = failed[0] || {};
		if (bounce.recipient !== 'nosuchuser@example.net' || bounce.hard !== true || bounce.status !== '5.1.1') {
			f2.push(`unexpected failure item: ${JSON.stringify(bounce).slice(0, 300)}`);
		}
		const linked = (bounce.message || {}).gmailMessageId;
		if (!sent[1] || linked !== sent[1].gmailMessageId) f2.push(`not linked to the sent message (${linked} vs ${sent[1] && sent[1].gmailMessageId})`);
		checks.push({
			name: 'gmail: Failed Deliveries finds the Gmail bounce report and links it to the message in Sent',
			failures: f2,
			details: [`failure: ${bounce.recipient} ${bounce.status} ${bounce.reason} link=${JSON.stringify(bounce.link)}`],
		});

		// --- 3: n8n stored the refreshed token ----------------------------------------------
		const f3 = [];
		const { run: second } = await n8n.execute(workflow.id);
		if (runError(second)) f3.push(`second execution failed: ${runError(second)}`);
		if (fake.state.tokenRequests.length !== 1) f3.push(`the second run refreshed again (${fake.state.tokenRequests.length} token requests): the token was not stored`);
		if (fake.sent().length !== 6) f3.push(`the fake has ${fake.sent().length} sent messages after two runs, expected 6`);
		checks.push({ name: 'gmail: the refreshed token was stored by n8n (second run needs no refresh)', failures: f3, details: [] });

		// --- 4: a refresh token Google revoked ------------------------------------------------
		const f4 = [];
		const revoked = credentialData(fake);
		fake.state.refreshTokens.get(revoked.oauthTokenData.refresh_token).revoked = true;
		const sentBefore = fake.sent().length;
		const tokenRequestsBefore = fake.state.tokenRequests.length;
		await n8n.importCredentials([{ ...REVOKED_CREDENTIAL, type: 'deliveryChannelGmailOAuth2Api', data: revoked }], 'gmail-revoked-credentials.json');
		const revokedWf = JSON.parse(fs.readFileSync(REVOKED_WORKFLOW, 'utf8'));
		await n8n.importWorkflow(revokedWf, 'gmail-revoked-workflow.json');
		// Google keeps refusing the (valid) access token of the first credential: a 401 after a renewal.
		fake.inject('send', 'unauthenticated', { times: 5 });
		const { run: revokedRun } = await n8n.execute(revokedWf.id);
		fake.clearInjections();
		const refusedItem = (nodeItems(revokedRun, 'Token Refused (Continue)')[0] || {}).json || {};
		if (refusedItem.status !== 'failed' || refusedItem.code !== 'EAUTH') f4.push(`with the access token refused the item is ${JSON.stringify(refusedItem).slice(0, 240)}, expected status failed with code EAUTH`);
		const itemError = (nodeItems(revokedRun, 'Revoked Token (Continue)')[0] || {}).json || {};
		if (itemError.status !== 'failed' || itemError.code !== 'EAUTH') f4.push(`under Continue the item is ${JSON.stringify(itemError).slice(0, 240)}, expected status failed with code EAUTH`);
		if (!/reconnect/i.test(`${itemError.error || ''} ${itemError.hint || ''}`)) f4.push(`the item does not tell to reconnect the credential: ${JSON.stringify(itemError.error)}`);
		const e4 = revokedRun.data && revokedRun.data.resultData.error;
		if (!e4 || !e4.node || e4.node.name !== 'Revoked Token (Stop)') f4.push(`the execution did not stop at "Revoked Token (Stop)" (error: ${JSON.stringify(e4 && e4.message)})`);
		if (fake.state.tokenRequests.length === tokenRequestsBefore) f4.push('no refresh was tried at the token endpoint');
		if (fake.sent().length !== sentBefore) f4.push(`${fake.sent().length - sentBefore} messages were sent with a revoked grant`);
		checks.push({
			name: 'gmail: an access token Google keeps refusing and a revoked refresh token give EAUTH items under Continue and a node error under Stop, nothing sent',
			failures: f4,
			details: [`token refused, item: ${JSON.stringify(refusedItem.error)}`, `revoked, item: ${JSON.stringify(itemError.error)}`, `node error: ${JSON.stringify(e4 ? `${e4.message} | ${e4.description || ''}` : 'none').slice(0, 300)}`],
		});
	} catch (error) {
		while (checks.length < CHECKS) checks.push({ name: 'gmail: could not complete', failures: [String(error && error.message ? error.message : error)], details: [] });
	} finally {
		if (secrets) {
			[...fake.state.accessTokens.keys()].forEach((token, i) => secrets.add(`Gmail access token ${i + 1}`, token));
			[...fake.state.refreshTokens.keys()].forEach((token, i) => secrets.add(`Gmail refresh token ${i + 1}`, token));
			for (const message of fake.state.messages) secrets.texts.push({ where: `message ${message.id} in the fake Gmail mailbox`, text: message.raw.toString('latin1') });
		}
		await fake.close();
	}
	return checks;
}

async function main() {
	const paths = await n8nLib.installN8n();
	const customExtensions = await n8nLib.buildPackage();
	const tmp = n8nLib.makeTempDir('delivery-channel-e2e-gmail-');
	const n8n = await n8nLib.N8n.create(paths, { userFolder: tmp, encryptionKey: crypto.randomBytes(24).toString('hex'), customExtensions });
	const checks = await run({ n8n, log: console.log });
	for (const c of checks) {
		console.log(`${c.failures.length ? 'FAIL' : 'PASS'} ${c.name}`);
		for (const d of c.details) console.log(`     ${d}`);
		for (const f of c.failures) console.log(`     - ${f}`);
	}
	const failed = checks.filter((c) => c.failures.length).length;
	console.log(`${checks.length - failed} passed, ${failed} failed`);
	process.exitCode = failed ? 1 : 0;
}

if (require.main === module) {
	main().catch((error) => {
		console.log(`FAIL unexpected error: ${error && error.stack ? error.stack : error}`);
		process.exit(1);
	});
}

module.exports = { run, CHECKS };
