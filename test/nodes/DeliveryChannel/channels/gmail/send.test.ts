/**
 * Send via Delivery Channel on Gmail, through the real node in n8n's engine, against the fake Google
 * server (test/fakes/gmail): identities and the silent From rewrite, token refresh and revoked
 * grants, rate limits and the daily sending limit. Answers that leave a send's outcome open:
 * outcome.test.ts. Large messages: upload.test.ts.
 */
import type { IDataObject } from 'n8n-workflow';

import { startFakeGmail, type FakeGmail } from '../../../../fakes/gmail';
import { gmailCredential, NODE, runGmail, sendParameters } from './harness';

let fake: FakeGmail;

beforeEach(async () => {
	fake = await startFakeGmail({
		account: { email: 'jane@acme.example', displayName: 'Jane Doe' },
		aliases: [
			{
				sendAsEmail: 'sales@acme.example',
				displayName: 'Acme Sales',
				verificationStatus: 'accepted',
			},
			{
				sendAsEmail: 'pending@acme.example',
				displayName: 'Pending',
				verificationStatus: 'pending',
			},
		],
	});
});

afterEach(async () => {
	await fake.close();
});

const mail = (from: string, to = 'bob@example.net', subject = 'Hello') => ({
	from,
	to,
	subject,
	text: 'Hi Bob',
});

function json(items: Array<{ json: IDataObject }>): IDataObject[] {
	return items.map((item) => item.json);
}

function sentFrom(index: number): string | undefined {
	return fake.header(fake.sent()[index].headers, 'from');
}

describe('identity', () => {
	test('sends as the account and as a verified alias, unchanged by Gmail, and says it is in Sent', async () => {
		const run = await runGmail({
			items: [mail('jane@acme.example'), mail('Sales Team <sales@acme.example>')],
			parameters: sendParameters(),
			credential: gmailCredential(fake),
		});
		const [first, second] = json(run.output(NODE));
		expect(first).toMatchObject({
			status: 'sent',
			channel: 'gmail',
			inSent: true,
			identityVerified: true,
			warnings: [],
		});
		expect(first.identity).toEqual({
			requested: 'jane@acme.example',
			used: 'Jane Doe <jane@acme.example>',
		});
		expect(second.identity).toEqual({
			requested: 'Sales Team <sales@acme.example>',
			used: 'Sales Team <sales@acme.example>',
		});
		expect(fake.sent()).toHaveLength(2);
		const byId = new Map(fake.sent().map((message) => [message.id, message]));
		for (const item of [first, second]) {
			const stored = byId.get(item.gmailMessageId as string)!;
			expect(stored).toBeDefined();
			expect(item.gmailThreadId).toBe(stored.threadId);
			// What the recipients see is what the item says: Gmail did not rewrite the From.
			expect(fake.header(stored.headers, 'from')).toBe(item.from);
			expect(fake.header(stored.headers, 'message-id')).toBe(item.messageId);
		}
	});

	test('an unverified alias fails the item with EIDENTITY by default, and nothing is sent', async () => {
		const run = await runGmail({
			items: [
				mail('pending@acme.example'),
				mail('someone@other.example'),
				mail('jane@acme.example'),
			],
			parameters: sendParameters(),
			credential: gmailCredential(fake),
		});
		const items = json(run.output(NODE));
		expect(items.map((item) => [item.status, item.code])).toEqual([
			['failed', 'EIDENTITY'],
			['failed', 'EIDENTITY'],
			['sent', undefined],
		]);
		expect(items[0].error).toMatch(/pending@acme\.example is a send-as alias .* not verified/);
		expect(items[1].hint).toMatch(/sales@acme\.example/);
		expect(fake.sent()).toHaveLength(1);
	});

	test('"send as the connected account" sends from the account and warns, instead of the silent rewrite', async () => {
		const run = await runGmail({
			items: [mail('Bob Seller <someone@other.example>')],
			parameters: sendParameters({ options: { unverifiedIdentity: 'sendAsAccount' } }),
			credential: gmailCredential(fake),
		});
		const [item] = json(run.output(NODE));
		expect(item).toMatchObject({
			status: 'sent',
			identityVerified: false,
			from: 'Jane Doe <jane@acme.example>',
		});
		expect(item.identity).toEqual({
			requested: 'Bob Seller <someone@other.example>',
			used: 'Jane Doe <jane@acme.example>',
		});
		expect((item.warnings as string[])[0]).toMatch(
			/instead of Bob Seller <someone@other\.example>/,
		);
		expect(sentFrom(0)).toBe('Jane Doe <jane@acme.example>');
	});

	test('the fake does rewrite a From that is not verified (what the node protects against)', async () => {
		const tokens = fake.issueTokens();
		const raw = Buffer.from(
			'From: someone@other.example\r\nTo: bob@example.net\r\nSubject: x\r\n\r\nbody',
		).toString('base64url');
		const response = await fetch(`${fake.apiBaseUrl}/gmail/v1/users/me/messages/send`, {
			method: 'POST',
			headers: {
				Authorization: `Bearer ${tokens.access_token}`,
				'Content-Type': 'application/json',
			},
			body: JSON.stringify({ raw }),
		});
		expect(response.status).toBe(200);
		expect(sentFrom(0)).toBe('Jane Doe <jane@acme.example>');
	});
});

describe('token', () => {
	test('an expired access token is refreshed once through n8n and the new token is stored in the credential', async () => {
		const expired = fake.expiredTokenData();
		const run = await runGmail({
			items: [mail('jane@acme.example'), mail('jane@acme.example'), mail('jane@acme.example')],
			parameters: sendParameters(),
			credential: gmailCredential(fake, expired),
		});
		expect(json(run.output(NODE)).map((item) => item.status)).toEqual(['sent', 'sent', 'sent']);
		expect(fake.state.tokenRequests).toEqual([
			expect.objectContaining({ grantType: 'refresh_token' }),
		]);
		const stored = run.credentials.deliveryChannelGmailOAuth2Api.oauthTokenData as IDataObject;
		expect(stored.access_token).not.toBe(expired.access_token);
		expect(stored.refresh_token).toBe(expired.refresh_token);
		expect(Number(stored.n8n_expires_at)).toBeGreaterThan(Date.now());
	});

	test('a token Google rejects with 401 before its recorded expiry is refreshed and the call repeated', async () => {
		const tokens = fake.issueTokens();
		fake.expireAccessTokens();
		const run = await runGmail({
			items: [mail('jane@acme.example')],
			parameters: sendParameters(),
			credential: gmailCredential(fake, {
				...tokens,
				n8n_expires_at: String(Date.now() + 3_000_000),
			}),
		});
		expect(json(run.output(NODE))[0].status).toBe('sent');
		expect(fake.state.tokenRequests).toHaveLength(1);
		expect(fake.sent()).toHaveLength(1);
	});

	test('a revoked grant stops the batch with a "reconnect" EAUTH error and no token in it', async () => {
		const tokens = fake.issueTokens();
		fake.revokeRefreshTokens();
		const run = await runGmail({
			items: [mail('jane@acme.example'), mail('jane@acme.example')],
			parameters: sendParameters(),
			credential: gmailCredential(fake, tokens),
		});
		const items = json(run.output(NODE));
		expect(items[0]).toMatchObject({ status: 'failed', code: 'EAUTH' });
		expect(items[0].error).toMatch(/needs to be reconnected/);
		expect(items[0].hint).toMatch(/Sign in with Google/);
		expect(['not sent', 'failed']).toContain(items[1].status);
		expect(fake.sent()).toHaveLength(0);
		const text = JSON.stringify(items);
		expect(text).not.toContain(tokens.access_token);
		expect(text).not.toContain(tokens.refresh_token);
	});

	test('without Continue On Fail a revoked grant fails the node with the reconnect message', async () => {
		const tokens = fake.issueTokens();
		fake.revokeRefreshTokens();
		const run = await runGmail({
			items: [mail('jane@acme.example')],
			parameters: sendParameters(),
			credential: gmailCredential(fake, tokens),
			continueOnFail: false,
		});
		expect(run.error?.message).toMatch(/Gmail credential needs to be reconnected/);
	});
});

describe('limits and retries', () => {
	test.each([
		['429 rateLimitExceeded with Retry-After', 'rateLimit429' as const],
		['403 userRateLimitExceeded', 'userRateLimit403' as const],
		['403 rateLimitExceeded', 'rateLimit403' as const],
	])('%s is retried and the message is sent exactly once', async (_label, error) => {
		fake.inject('send', error, {
			times: 2,
			retryAfterSec: error.startsWith('rate') ? 1 : undefined,
		});
		const run = await runGmail({
			items: [mail('jane@acme.example')],
			parameters: sendParameters(),
			credential: gmailCredential(fake),
		});
		const [item] = json(run.output(NODE));
		expect(item).toMatchObject({ status: 'sent', attempts: 3 });
		expect(fake.sent()).toHaveLength(1);
		expect(
			fake.state.requests.filter((r) => r.method === 'send').map((r) => r.injected ?? r.outcome),
		).toEqual([error, error, 'sent']);
	});

	// 5xx and lost answers on a send (the message may be stored): outcome.test.ts.

	test.each([
		['403', '403' as const],
		['429', '429' as const],
	])(
		'the daily sending limit (%s) stops the batch: later items are marked, none lost, none sent twice',
		async (_label, style) => {
			await fake.close();
			fake = await startFakeGmail({ dailyLimit: 2, dailyLimitStyle: style });
			const items = Array.from({ length: 12 }, (_, i) =>
				mail('jane@acme.example', `r${i}@example.net`, `Item ${i}`),
			);
			const run = await runGmail({
				items,
				parameters: sendParameters(),
				credential: gmailCredential(fake),
			});
			const out = json(run.output(NODE));
			expect(out).toHaveLength(12);
			const sent = out.filter((item) => item.status === 'sent');
			expect(sent).toHaveLength(2);
			expect(fake.sent()).toHaveLength(2);
			const quota = out.filter((item) => item.code === 'EQUOTA');
			expect(quota.length).toBeGreaterThanOrEqual(1);
			expect(quota[0].error).toMatch(/daily sending limit/);
			expect(quota[0].hint).toMatch(/not sent/);
			const held = out.filter((item) => item.code === 'ENOTSENT');
			expect(held.length).toBeGreaterThanOrEqual(1);
			expect(sent.length + quota.length + held.length).toBe(12);
			// Every subject that went out went out once.
			const subjects = fake.sent().map((m) => fake.header(m.headers, 'subject'));
			expect(new Set(subjects).size).toBe(subjects.length);
		},
	);

	test('a rate limit that never ends gives up with ERATELIMIT (retryable) after a bounded number of tries', async () => {
		fake.inject('send', 'rateLimit429', { times: 100, retryAfterSec: 0 });
		const run = await runGmail({
			items: [mail('jane@acme.example')],
			parameters: sendParameters(),
			credential: gmailCredential(fake),
		});
		const [item] = json(run.output(NODE));
		expect(item).toMatchObject({
			status: 'failed',
			code: 'ERATELIMIT',
			retryable: true,
			responseCode: 429,
		});
		expect(fake.state.requests.filter((r) => r.method === 'send')).toHaveLength(8);
		expect(fake.sent()).toHaveLength(0);
	}, 20_000);
});
