/**
 * n8n's cancel signal on the Gmail channel (`open(context, { signal })`), against the fake Google:
 * a cancel stops the session at once wherever it is (waiting for quota, waiting to retry, a request
 * in flight, an upload), a send cut before its request left is ENOTSENT, one cut later EUNKNOWN, and
 * nothing is sent afterwards.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { DeliveryError } from '../../../../../core/errors';
import { gmailChannel } from '../../../../../nodes/DeliveryChannel/channels/gmail';
import type {
	ChannelSession,
	OutgoingMessage,
} from '../../../../../nodes/DeliveryChannel/channels/types';
import { startFakeGmail, type FakeGmail } from '../../../../fakes/gmail';
import { channelContext } from './harness';

let fake: FakeGmail;
let counter = 0;

beforeEach(async () => {
	fake = await startFakeGmail({ account: { email: 'jane@acme.example', displayName: 'Jane Doe' } });
});

afterEach(async () => {
	await fake.close();
});

function message(text = 'Hi', attachment?: Buffer): OutgoingMessage {
	counter++;
	return {
		deliveryId: `dc-${counter}`,
		messageId: `<cancel-${counter}-${Date.now()}@acme.example>`,
		identity: { name: '', address: 'jane@acme.example' },
		to: [{ name: '', address: 'bob@example.net' }],
		cc: [],
		bcc: [],
		replyTo: [],
		subject: `Cancel ${counter}`,
		text,
		attachments: attachment
			? [
					{
						filename: 'big.bin',
						contentType: 'application/octet-stream',
						content: attachment,
						inline: false,
					},
				]
			: [],
		headers: [],
		references: [],
	};
}

async function outcome(promise: Promise<unknown>): Promise<{ error?: DeliveryError; ms: number }> {
	const started = Date.now();
	try {
		await promise;
		return { ms: Date.now() - started };
	} catch (error) {
		return { error: error as DeliveryError, ms: Date.now() - started };
	}
}

async function openSession(
	gmailOptions: IDataObject,
	signal: AbortSignal,
	tokens?: ReturnType<FakeGmail['issueTokens']>,
): Promise<ChannelSession> {
	const context = channelContext(fake, { options: gmailOptions }, tokens);
	return await gmailChannel.open(context, {
		signal,
		options: gmailChannel.readOptions!(context as IExecuteFunctions, 0),
	});
}

test('a cancel while a send waits for quota ends it at once with ENOTSENT; nothing more is sent', async () => {
	const controller = new AbortController();
	// One send a minute: the second waits about a minute in the token bucket.
	const session = await openSession({ sendsPerMinute: 1 }, controller.signal);
	await session.send(message());
	const waiting = outcome(session.send(message()));
	setTimeout(() => controller.abort(), 300);
	const { error, ms } = await waiting;
	expect(ms).toBeLessThan(2_000);
	expect(error).toBeInstanceOf(DeliveryError);
	expect(error).toMatchObject({ code: 'ENOTSENT', retryable: true });
	expect(error!.message).toMatch(
		/cancelled before Gmail was asked to send the message; nothing was sent/,
	);
	const after = await outcome(session.send(message()));
	expect(after.error).toMatchObject({ code: 'ENOTSENT' });
	expect(fake.storedMessageIds()).toHaveLength(1);
	await session.close();
});

test('a cancel while the send request is in flight aborts it: EUNKNOWN (it may have been stored), not retried', async () => {
	const controller = new AbortController();
	const session = await openSession({ sendsPerMinute: 6000 }, controller.signal);
	fake.inject('send', 'noAnswer', { stored: true });
	const sending = outcome(session.send(message()));
	// Cut once Google has the request (not after a fixed time: a loaded machine may not have sent it yet).
	while (!fake.state.requests.some((r) => r.method === 'send')) {
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
	controller.abort();
	const { error, ms } = await sending;
	expect(ms).toBeLessThan(10_000);
	expect(error).toMatchObject({ code: 'EUNKNOWN', retryable: false });
	expect(error!.message).toMatch(/cancelled while the message was on its way/);
	expect(fake.storedMessageIds()).toHaveLength(1);
	expect(fake.state.requests.filter((r) => r.method === 'send')).toHaveLength(1);
	await session.close();
});

test('a cancel while a send in doubt waits to look in Sent: EUNKNOWN, no look-up, no second send', async () => {
	const controller = new AbortController();
	const session = await openSession({ sendsPerMinute: 6000 }, controller.signal);
	fake.inject('send', 'backend500');
	const sending = outcome(session.send(message()));
	setTimeout(() => controller.abort(), 500);
	const { error, ms } = await sending;
	// The look-up would come 1.5 s after the answer and a second one 5 s after: well before that.
	expect(ms).toBeLessThan(4_000);
	expect(error).toMatchObject({ code: 'EUNKNOWN', retryable: false });
	expect(fake.state.requests.filter((r) => r.method === 'send')).toHaveLength(1);
	expect(fake.state.requests.filter((r) => r.method === 'list')).toHaveLength(0);
	await session.close();
});

test('a cancel during the wait before retrying a rate-limited send: ENOTSENT (Google refused it, nothing went out)', async () => {
	const controller = new AbortController();
	const session = await openSession({ sendsPerMinute: 6000 }, controller.signal);
	fake.inject('send', 'rateLimit429', { retryAfterSec: 30 });
	const sending = outcome(session.send(message()));
	setTimeout(() => controller.abort(), 500);
	const { error, ms } = await sending;
	expect(ms).toBeLessThan(2_000);
	expect(error).toMatchObject({ code: 'ENOTSENT', retryable: true });
	expect(fake.storedMessageIds()).toHaveLength(0);
	await session.close();
});

test('an execution cancelled before the session opened sends nothing', async () => {
	const controller = new AbortController();
	controller.abort();
	const session = await openSession({ sendsPerMinute: 6000 }, controller.signal);
	const { error } = await outcome(session.send(message()));
	expect(error).toMatchObject({ code: 'ENOTSENT' });
	expect(fake.state.requests).toHaveLength(0);
	await session.close();
});

describe('the resumable upload', () => {
	const big = Buffer.alloc(12 * 1024 * 1024, 0x41);

	test('cut while an early chunk is on its way: ENOTSENT (Google sends only on the last byte), nothing sent', async () => {
		const controller = new AbortController();
		const session = await openSession({ sendsPerMinute: 6000 }, controller.signal);
		// The first chunk's answer never comes: the cancel cuts the upload there.
		fake.failUploadChunk('loseResponse', { chunk: 1 });
		const sending = outcome(session.send(message('big', big)));
		const waitForChunk = async () => {
			while (!fake.state.uploadRequests.length)
				await new Promise((resolve) => setTimeout(resolve, 20));
		};
		await waitForChunk();
		controller.abort();
		const { error } = await sending;
		expect(error).toMatchObject({ code: 'ENOTSENT' });
		expect(fake.storedMessageIds()).toHaveLength(0);
		await session.close();
	}, 20_000);

	test('cut while the last chunk is on its way: EUNKNOWN', async () => {
		const controller = new AbortController();
		const session = await openSession({ sendsPerMinute: 6000 }, controller.signal);
		fake.failUploadChunk('loseResponse', { chunk: 'last' });
		const sending = outcome(session.send(message('big', big)));
		while (!fake.state.uploadRequests.some((r) => r.fault === 'loseResponse'))
			await new Promise((resolve) => setTimeout(resolve, 20));
		controller.abort();
		const { error } = await sending;
		expect(error).toMatchObject({ code: 'EUNKNOWN', retryable: false });
		expect(fake.storedMessageIds()).toHaveLength(1);
		await session.close();
	}, 20_000);
});
