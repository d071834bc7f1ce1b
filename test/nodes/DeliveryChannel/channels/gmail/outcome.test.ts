/**
 * Sends whose outcome Google leaves open, through the real node in n8n's engine against the fake
 * Google: a 5xx or no answer after Google stored the message, with and without read access to look
 * in Sent, a look-up that fails, a search index that shows the message late, the resumable upload's
 * last chunk, Retry-After values far too long to sit out, and a base URL that redirects.
 * The rule under test: a message is sent again only when Sent positively does not have it.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import {
	apiBaseUrl,
	DEFAULT_API_BASE_URL,
} from '../../../../../nodes/DeliveryChannel/channels/gmail/auth';
import { startFakeGmail, type FakeGmail, type FakeGmailOptions } from '../../../../fakes/gmail';
import { gmailCredential, NODE, runGmail, sendParameters } from './harness';

let fake: FakeGmail;

async function start(options: FakeGmailOptions = {}): Promise<void> {
	fake = await startFakeGmail({
		account: { email: 'jane@acme.example', displayName: 'Jane Doe' },
		...options,
	});
}

afterEach(async () => {
	await fake?.close();
});

const mail = (subject = 'Hello') => ({
	from: 'jane@acme.example',
	to: 'bob@example.net',
	subject,
	text: 'Hi Bob',
});

async function sendOne(
	options: { readScope?: boolean; extra?: INodeParameters } = {},
): Promise<IDataObject> {
	const tokens =
		options.readScope === false
			? fake.issueTokens([fake.SCOPE.send, fake.SCOPE.settingsBasic])
			: fake.issueTokens();
	const run = await runGmail({
		items: [mail()],
		parameters: sendParameters(options.extra),
		credential: gmailCredential(fake, tokens),
	});
	return run.output(NODE)[0].json;
}

function sendRequests() {
	return fake.state.requests.filter((r) => r.method === 'send');
}

function sentLookUps() {
	return fake.state.requests.filter(
		(r) => r.method === 'list' && /rfc822msgid:/.test(r.query.q ?? ''),
	);
}

describe('a 5xx after Google stored the message', () => {
	test.each([
		['500', 'backend500' as const],
		['503', 'unavailable503' as const],
	])(
		'%s with read access: found in Sent, reported sent, stored once',
		async (_label, error) => {
			await start();
			fake.inject('send', error, { stored: true });
			const item = await sendOne();
			expect(item).toMatchObject({ status: 'sent', attempts: 1 });
			expect(item.response).toMatch(/found in Sent after an error/);
			expect(fake.storedMessageIds()).toEqual([item.messageId]);
			expect(sendRequests()).toHaveLength(1);
		},
		20_000,
	);

	test('503 without read access: EUNKNOWN, not retryable, with its Message-ID; stored once', async () => {
		await start();
		fake.inject('send', 'unavailable503', { stored: true });
		const item = await sendOne({ readScope: false });
		expect(item).toMatchObject({
			status: 'failed',
			code: 'EUNKNOWN',
			retryable: false,
			responseCode: 503,
		});
		expect(item.error).toMatch(/may have been sent.*may not read the mailbox/);
		expect(item.hint).toMatch(/Sent folder/);
		expect(fake.storedMessageIds()).toEqual([item.messageId]);
		expect(sendRequests()).toHaveLength(1);
		expect(sentLookUps()).toHaveLength(0);
	});

	test('the look-up in Sent fails too: EUNKNOWN, stored once (a failed look-up is no proof of absence)', async () => {
		await start();
		fake.inject('send', 'backend500', { stored: true });
		fake.inject('list', 'backend500', { times: 10 });
		const item = await sendOne();
		expect(item).toMatchObject({ status: 'failed', code: 'EUNKNOWN', retryable: false });
		expect(item.error).toMatch(/looking for it in Sent failed too/);
		expect(fake.storedMessageIds()).toEqual([item.messageId]);
		expect(sendRequests()).toHaveLength(1);
	}, 20_000);

	test('a search index that shows the message 3 s late: the second look-up finds it, nothing is sent twice', async () => {
		await start({ searchLagMs: 3_000 });
		fake.inject('send', 'backend500', { stored: true });
		const item = await sendOne();
		expect(item).toMatchObject({ status: 'sent' });
		expect(fake.storedMessageIds()).toEqual([item.messageId]);
		// The first look-up (1.5 s after the 500) saw nothing; the second (about 5 s after) found it.
		expect(sentLookUps()).toHaveLength(2);
		expect(sendRequests()).toHaveLength(1);
	}, 20_000);
});

describe('a 5xx before storing', () => {
	test('with read access: two look-ups find it absent, it is sent again, once', async () => {
		await start();
		fake.inject('send', 'backend500');
		const item = await sendOne();
		expect(item).toMatchObject({ status: 'sent', attempts: 2 });
		expect(sentLookUps()).toHaveLength(2);
		expect(fake.storedMessageIds()).toEqual([item.messageId]);
		expect(sendRequests().map((r) => r.injected ?? r.outcome)).toEqual(['backend500', 'sent']);
	}, 20_000);

	test('without read access: EUNKNOWN, nothing sent again (absence cannot be shown)', async () => {
		await start();
		fake.inject('send', 'backend500');
		const item = await sendOne({ readScope: false });
		expect(item).toMatchObject({ status: 'failed', code: 'EUNKNOWN', retryable: false });
		expect(fake.storedMessageIds()).toEqual([]);
		expect(sendRequests()).toHaveLength(1);
	});
});

describe('no answer after storing', () => {
	test('the request times out (Timeout 1 s): found in Sent, sent once', async () => {
		await start();
		fake.inject('send', 'noAnswer', { stored: true });
		const started = Date.now();
		const item = await sendOne({
			extra: { options: { sendsPerMinute: 6000, timeoutSeconds: 1 } },
		});
		expect(item).toMatchObject({ status: 'sent' });
		expect(fake.storedMessageIds()).toEqual([item.messageId]);
		expect(sendRequests()).toHaveLength(1);
		expect(Date.now() - started).toBeLessThan(10_000);
	}, 20_000);

	test('the connection is dropped without an answer and no read access: EUNKNOWN, stored once', async () => {
		await start();
		fake.inject('send', 'noAnswer', { stored: true, holdMs: 200 });
		const item = await sendOne({ readScope: false });
		expect(item).toMatchObject({ status: 'failed', code: 'EUNKNOWN', retryable: false });
		expect(item.error).toMatch(/connection to Gmail broke or timed out/);
		expect(fake.storedMessageIds()).toEqual([item.messageId]);
	});
});

describe('the resumable upload', () => {
	const MiB = 1024 * 1024;

	test('its last chunk answered 503 after Google sent the message: the session says so, sent once', async () => {
		await start();
		fake.failUploadChunk('unavailable503', { chunk: 'last', stored: true });
		const run = await runGmail({
			items: [mail('Large')],
			files: [
				{
					propertyName: 'data',
					fileName: 'big.bin',
					mimeType: 'application/octet-stream',
					content: 'A'.repeat(4.5 * MiB),
				},
			],
			parameters: sendParameters({
				options: { attachments: { attachment: [{ binaryPropertyName: 'data' }] } },
			}),
			credential: gmailCredential(fake),
		});
		const item = run.output(NODE)[0].json;
		expect(item).toMatchObject({ status: 'sent', uploadType: 'resumable' });
		expect(fake.state.uploadRequests.map((r) => [r.kind, r.status])).toEqual([
			['chunk', 503],
			['status', 200],
		]);
		expect(fake.storedMessageIds()).toEqual([item.messageId]);
	}, 30_000);
});

describe('Retry-After is never slept through when it is long', () => {
	test('a 503 with Retry-After: 86400 (a day) gives up at once, says how long Google asked, and nothing is sent', async () => {
		await start();
		fake.inject('send', 'unavailable503', { retryAfterSec: 86_400 });
		const started = Date.now();
		const item = await sendOne();
		expect(Date.now() - started).toBeLessThan(15_000);
		expect(item).toMatchObject({ status: 'failed', code: 'ECONNECTION', retryable: true });
		expect(item.error).toMatch(
			/Google asked to wait 86400 s .*gave up rather than wait more than 60 s; the message was not sent/,
		);
		expect(fake.storedMessageIds()).toEqual([]);
	}, 20_000);

	test('a 429 with Retry-After: 300 gives up with ERATELIMIT and holds back the rest of the batch', async () => {
		await start();
		fake.inject('send', 'rateLimit429', { retryAfterSec: 300 });
		const tokens = fake.issueTokens();
		const started = Date.now();
		const run = await runGmail({
			items: [mail('One'), mail('Two')],
			parameters: sendParameters({ options: { sendsPerMinute: 60 } }),
			credential: gmailCredential(fake, tokens),
		});
		const items = run.output(NODE).map((entry) => entry.json);
		expect(Date.now() - started).toBeLessThan(5_000);
		expect(items[0]).toMatchObject({ status: 'failed', code: 'ERATELIMIT', retryable: true });
		expect(items[0].error).toMatch(/Google asked to wait 300 s/);
		expect(items[1]).toMatchObject({ status: 'not sent', code: 'ENOTSENT' });
		expect(fake.storedMessageIds()).toEqual([]);
	});
});

describe('the API Base URL', () => {
	test('a redirect from it is reported with its target and never followed: no request reaches the target', async () => {
		await start();
		const target = fake.apiBaseUrl.replace('127.0.0.1', 'localhost');
		fake.redirectApi({ to: target });
		const tokens = fake.issueTokens();
		const run = await runGmail({
			items: [mail('One'), mail('Two')],
			parameters: sendParameters(),
			credential: gmailCredential(fake, tokens),
		});
		const items = run.output(NODE).map((entry) => entry.json);
		expect(items[0]).toMatchObject({ status: 'failed', code: 'EPROTOCOL', responseCode: 307 });
		expect(items[0].error).toContain(
			`redirect (HTTP 307) to ${target}/gmail/v1/users/me/settings/sendAs`,
		);
		expect(items[0].error).toMatch(/never redirected/);
		expect(['failed', 'not sent']).toContain(items[1].status);
		// What a follower would have sent there: the request (and the token on a same-origin hop).
		expect(fake.state.requests.filter((r) => r.host.startsWith('localhost'))).toEqual([]);
		expect(fake.state.redirected.length).toBeGreaterThanOrEqual(1);
		expect(fake.storedMessageIds()).toEqual([]);
		expect(JSON.stringify(items)).not.toContain(tokens.access_token);
	});

	test('http:// is refused unless the host is this machine; a custom URL is used only when its switch is on', () => {
		const credential = (fields: IDataObject) => ({ useCustomApiBaseUrl: true, ...fields });
		expect(() => apiBaseUrl(credential({ apiBaseUrl: 'http://gmail-proxy.example.com' }))).toThrow(
			/must start with https:\/\/, got "http:\/\/gmail-proxy\.example\.com"/,
		);
		expect(() => apiBaseUrl(credential({ apiBaseUrl: 'ftp://example.com' }))).toThrow(
			/must start with https:\/\//,
		);
		expect(() => apiBaseUrl(credential({ apiBaseUrl: 'https://user:pw@example.com' }))).toThrow(
			/user name or password/,
		);
		expect(() => apiBaseUrl(credential({ apiBaseUrl: 'not a url' }))).toThrow(
			/not a URL: "not a url"/,
		);
		expect(apiBaseUrl(credential({ apiBaseUrl: 'https://gmail-proxy.example.com/' }))).toBe(
			'https://gmail-proxy.example.com',
		);
		for (const local of ['http://127.0.0.1:8080', 'http://localhost:9000', 'http://[::1]:9000'])
			expect(apiBaseUrl(credential({ apiBaseUrl: local }))).toBe(local);
		// The field is hidden unless the switch is on; a value left in it is not used.
		expect(apiBaseUrl({ apiBaseUrl: 'http://attacker.example' })).toBe(DEFAULT_API_BASE_URL);
		expect(apiBaseUrl({ useCustomApiBaseUrl: false, apiBaseUrl: 'https://proxy.example' })).toBe(
			DEFAULT_API_BASE_URL,
		);
		try {
			apiBaseUrl(credential({ apiBaseUrl: 'http://gmail-proxy.example.com' }));
		} catch (error) {
			expect(error).toMatchObject({ code: 'EINPUT', field: 'apiBaseUrl' });
		}
	});
});
