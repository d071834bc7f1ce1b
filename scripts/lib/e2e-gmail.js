'use strict';
// Gmail section of the real-n8n end-to-end test: the built node in a real n8n sends through the fake
// Google (test/fakes/gmail) with credentials imported with the fake's endpoints and an expired access
// token, then lists the failed deliveries the fake reported as Gmail bounces; an access token Google
// keeps refusing (401 after a renewal) and a credential whose refresh token Google revoked fail
// clearly (EAUTH items under Continue, a node error under Stop).
// The client secret is a marker of the seeded-secret check, and every access and refresh token the
// fake issued during the run becomes one when the part ends (teardownGmail).
// setupGmail starts the fake and an n8n, imports, and runs the workflow once (checks 1 and 2 read it).

const { startFakeGmail } = require('../../test/fakes/gmail');
const { nodeItems, runError } = require('./n8n');
const { createN8n, readFixture } = require('./e2e-common');
const { fakeGmailCredential } = require('./fake-gmail-credential');

const CREDENTIAL_ID = 'dcE2eGmailCred01';
const REVOKED_CREDENTIAL = { id: 'dcE2eGmailCred02', name: 'E2E fake Gmail, revoked' };
const CREDENTIAL_TYPE = 'deliveryChannelGmailOAuth2Api';

/**
 * @typedef {import('./e2e-common').Check} Check
 * @typedef {Awaited<ReturnType<typeof startFakeGmail>>} FakeGmail
 * @typedef {{ accessTokens: Map<string, unknown>, refreshTokens: Map<string, { revoked?: boolean }> }} TokenState
 */

/**
 * The token maps of the fake's state (kept by the fake, not in its published types).
 * @param {FakeGmail} fake
 * @returns {TokenState}
 */
const tokens = (fake) => /** @type {any} */ (fake.state);

/**
 * The credential as n8n stores it after "Connect", with an access token that has already expired.
 * @param {FakeGmail} fake
 */
function credentialData(fake) {
	return fakeGmailCredential(fake, fake.expiredTokenData());
}

/**
 * Starts the fake Google and an n8n with the built package; imports and runs the Gmail workflow once.
 * @param {{ run: import('./e2e-run').E2eRun, secrets: import('./secret-scan').SecretSet }} options
 */
async function setupGmail({ run, secrets }) {
	const fake = await startFakeGmail({
		account: { email: 'jane@acme.example', displayName: 'Jane Doe' },
		clientSecret: secrets.marker('Gmail OAuth client secret'),
	});
	try {
		const n8n = await createN8n(run, 'gmail');
		const workflow = readFixture('gmail.workflow.json');
		const credential = {
			id: CREDENTIAL_ID,
			name: 'E2E fake Gmail',
			type: CREDENTIAL_TYPE,
			data: credentialData(fake),
		};
		await n8n.importCredentials([credential], 'gmail-credentials.json');
		await n8n.importWorkflow(workflow, 'gmail-workflow.json');
		const { run: first } = await n8n.execute(workflow.id);
		const sent = nodeItems(first, 'Send via Gmail').map((item) => item.json || {});
		const afterFirst = { tokenRequests: fake.state.tokenRequests.length, stored: fake.sent() };
		return { secrets, fake, n8n, workflow, first, sent, afterFirst };
	} catch (error) {
		await teardownGmail({ secrets, fake });
		throw error;
	}
}
/** @typedef {Awaited<ReturnType<typeof setupGmail>>} Gmail */

/**
 * Hands the fake's tokens and mailbox to the seeded-secret check, then stops the fake.
 * @param {{ secrets: import('./secret-scan').SecretSet, fake: FakeGmail }} ctx
 */
async function teardownGmail({ secrets, fake }) {
	[...tokens(fake).accessTokens.keys()].forEach((token, i) =>
		secrets.add(`Gmail access token ${i + 1}`, token),
	);
	[...tokens(fake).refreshTokens.keys()].forEach((token, i) =>
		secrets.add(`Gmail refresh token ${i + 1}`, token),
	);
	for (const message of fake.state.messages) {
		secrets.texts.push({
			where: `message ${message.id} in the fake Gmail mailbox`,
			text: message.raw.toString('latin1'),
		});
	}
	await fake.close();
}

/**
 * Check 1: send, with identities and a token refresh through n8n.
 * @param {Gmail} ctx
 * @returns {Check}
 */
function checkSend({ fake, first, sent, afterFirst }) {
	const f = [];
	if (runError(first)) f.push(`execution failed: ${runError(first)}`);
	if (sent.length !== 3) f.push(`Send via Gmail output ${sent.length} items, expected 3`);
	sent.forEach((item, i) => {
		if (item.status !== 'sent')
			f.push(`item ${i}: status ${JSON.stringify(item.status)} (${item.error || ''})`);
		if (item.inSent !== true || !item.gmailMessageId)
			f.push(`item ${i}: no Gmail id / not in Sent`);
	});
	const { stored } = afterFirst;
	if (stored.length !== 3) f.push(`the fake received ${stored.length} messages, expected 3`);
	for (const item of sent) {
		const message = stored.find((m) => m.id === item.gmailMessageId);
		if (message && fake.header(message.headers, 'from') !== item.from) {
			f.push(
				`Gmail shows From ${fake.header(message.headers, 'from')} but the item says ${item.from}`,
			);
		}
	}
	if (sent[0] && sent[0].from !== 'Acme Sales <sales@acme.example>')
		f.push(`verified alias not used: ${sent[0].from}`);
	if (sent[2] && (sent[2].identityVerified !== false || !(sent[2].warnings || []).length)) {
		f.push('unverified identity did not produce a warning');
	}
	if (afterFirst.tokenRequests !== 1)
		f.push(`expected 1 token refresh, saw ${afterFirst.tokenRequests}`);
	const details = sent.map(
		(item) =>
			`${item.status} from=${item.from} gmailMessageId=${item.gmailMessageId} warnings=${(item.warnings || []).length}`,
	);
	return { failures: f, details };
}

/**
 * Check 2: Failed Deliveries finds the bounce and links it to the sent message.
 * @param {Gmail} ctx
 * @returns {Check}
 */
function checkFailedDeliveries({ first, sent }) {
	const f = [];
	const failed = nodeItems(first, 'Failed Deliveries').map((item) => item.json || {});
	if (failed.length !== 1) f.push(`Failed Deliveries output ${failed.length} items, expected 1`);
	const bounce = failed[0] || {};
	if (
		bounce.recipient !== 'nosuchuser@example.net' ||
		bounce.hard !== true ||
		bounce.status !== '5.1.1'
	) {
		f.push(`unexpected failure item: ${JSON.stringify(bounce).slice(0, 300)}`);
	}
	const linked = (bounce.message || {}).gmailMessageId;
	if (!sent[1] || linked !== sent[1].gmailMessageId)
		f.push(`not linked to the sent message (${linked} vs ${sent[1] && sent[1].gmailMessageId})`);
	return {
		failures: f,
		details: [
			`failure: ${bounce.recipient} ${bounce.status} ${bounce.reason} link=${JSON.stringify(bounce.link)}`,
		],
	};
}

/**
 * Check 3: n8n stored the refreshed token (a second run needs no refresh), and the address the first
 * run's Failed Deliveries found dead is suppressed in the second (Skip Suppressed Recipients is on
 * by default): two more messages, not three.
 * @param {Gmail} ctx
 * @returns {Promise<Check>}
 */
async function checkTokenStored({ fake, n8n, workflow }) {
	const f = [];
	const { run: second } = await n8n.execute(workflow.id);
	if (runError(second)) f.push(`second execution failed: ${runError(second)}`);
	const refreshes = fake.state.tokenRequests.length;
	if (refreshes !== 1)
		f.push(
			`the second run refreshed again (${refreshes} token requests): the token was not stored`,
		);
	const items = nodeItems(second, 'Send via Gmail').map((item) => item.json || {});
	const statuses = items.map((item) => item.status);
	const held = items[1] || {};
	const reason = ((held.suppressed || [])[0] || {}).reason;
	if (statuses.join() !== 'sent,suppressed,sent' || reason !== 'hard-bounce')
		f.push(`second run: ${statuses.join()} (suppressed: ${JSON.stringify(held.suppressed)})`);
	if (fake.sent().length !== 5)
		f.push(`the fake has ${fake.sent().length} sent messages after two runs, expected 5`);
	return {
		failures: f,
		details: [`second run: ${statuses.join(', ')}; nosuchuser@example.net: ${reason}`],
	};
}

/**
 * Check 4: an access token Google keeps refusing, and a refresh token Google revoked.
 * @param {Gmail} ctx
 * @returns {Promise<Check>}
 */
async function checkRefusedAndRevoked({ fake, n8n }) {
	const f = [];
	const revoked = credentialData(fake);
	tokens(fake).refreshTokens.get(revoked.oauthTokenData.refresh_token).revoked = true;
	const sentBefore = fake.sent().length;
	const tokenRequestsBefore = fake.state.tokenRequests.length;
	await n8n.importCredentials(
		[{ ...REVOKED_CREDENTIAL, type: CREDENTIAL_TYPE, data: revoked }],
		'gmail-revoked-credentials.json',
	);
	const revokedWf = readFixture('gmail-revoked.workflow.json');
	await n8n.importWorkflow(revokedWf, 'gmail-revoked-workflow.json');
	// Google keeps refusing the (valid) access token of the first credential: a 401 after a renewal.
	fake.inject('send', 'unauthenticated', { times: 5 });
	const { run } = await n8n.execute(revokedWf.id);
	fake.clearInjections();
	const refusedItem = (nodeItems(run, 'Token Refused (Continue)')[0] || {}).json || {};
	if (refusedItem.status !== 'failed' || refusedItem.code !== 'EAUTH') {
		f.push(
			`with the access token refused the item is ${JSON.stringify(refusedItem).slice(0, 240)}, expected status failed with code EAUTH`,
		);
	}
	const itemError = (nodeItems(run, 'Revoked Token (Continue)')[0] || {}).json || {};
	if (itemError.status !== 'failed' || itemError.code !== 'EAUTH') {
		f.push(
			`under Continue the item is ${JSON.stringify(itemError).slice(0, 240)}, expected status failed with code EAUTH`,
		);
	}
	if (!/reconnect/i.test(`${itemError.error || ''} ${itemError.hint || ''}`)) {
		f.push(
			`the item does not tell to reconnect the credential: ${JSON.stringify(itemError.error)}`,
		);
	}
	const e = run.data && run.data.resultData.error;
	if (!e || !e.node || e.node.name !== 'Revoked Token (Stop)') {
		f.push(
			`the execution did not stop at "Revoked Token (Stop)" (error: ${JSON.stringify(e && e.message)})`,
		);
	}
	if (fake.state.tokenRequests.length === tokenRequestsBefore)
		f.push('no refresh was tried at the token endpoint');
	if (fake.sent().length !== sentBefore)
		f.push(`${fake.sent().length - sentBefore} messages were sent with a revoked grant`);
	const nodeError = e ? `${e.message} | ${e.description || ''}` : 'none';
	const details = [
		`token refused, item: ${JSON.stringify(refusedItem.error)}`,
		`revoked, item: ${JSON.stringify(itemError.error)}`,
		`node error: ${JSON.stringify(nodeError).slice(0, 300)}`,
	];
	return { failures: f, details };
}

module.exports = {
	setupGmail,
	teardownGmail,
	checkSend,
	checkFailedDeliveries,
	checkTokenStored,
	checkRefusedAndRevoked,
};
