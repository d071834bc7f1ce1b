/**
 * Sending on the Custom SMTP channel, session level, against a real SMTP server (smtp-server) that
 * injects one fault: where a broken connection leaves a message (before its last byte: safe to send
 * again; after it: unknown, never sent again), answers after the final dot, and n8n's cancel signal
 * (no new transaction, connections cut, waiters and back-off waits ended at once).
 */
import { randomUUID } from 'node:crypto';

import { DeliveryError } from '../../../../../core/errors';
import { smtpChannel } from '../../../../../nodes/DeliveryChannel/channels/smtp';
import { refusedForLoad } from '../../../../../nodes/DeliveryChannel/channels/smtp/send';
import type {
	ChannelContext,
	ChannelSession,
	OutgoingMessage,
} from '../../../../../nodes/DeliveryChannel/channels/types';
import {
	startSmtpServer,
	type TestSmtpOptions,
	type TestSmtpServer,
} from '../../../../helpers/smtp-server';

let server: TestSmtpServer | undefined;
let session: ChannelSession | undefined;

afterEach(async () => {
	await session?.close();
	await server?.close();
	session = undefined;
	server = undefined;
});

/** A message of about `size` bytes (text lines), so a big one cannot leave in one write. */
function message(index: number, size = 0): OutgoingMessage {
	const deliveryId = `dc-${randomUUID()}`;
	const line = `${'Offer details '.repeat(5)}\n`;
	return {
		deliveryId,
		messageId: `<${deliveryId}@example.com>`,
		identity: { name: 'Jane', address: 'jane@example.com' },
		to: [{ name: '', address: `lead${index}@example.org` }],
		cc: [],
		bcc: [],
		replyTo: [],
		subject: `Offer ${index}`,
		text: size ? line.repeat(Math.ceil(size / line.length)) : 'Hello',
		attachments: [],
		headers: [],
		references: [],
	};
}

async function open(
	options: TestSmtpOptions,
	extra: { signal?: AbortSignal; maxConnections?: number } = {},
) {
	server = await startSmtpServer(options);
	const credentials = {
		host: server.host,
		port: server.port,
		security: 'none',
		maxConnections: extra.maxConnections ?? 5,
	};
	const context = { getCredentials: async () => credentials } as unknown as ChannelContext;
	session = await smtpChannel.open(context, { signal: extra.signal });
	return { smtp: server, channel: session };
}

function receivedIds(smtp: TestSmtpServer): string[] {
	return smtp.received.map((entry) => entry.headers['message-id']);
}

/** Settles a send into what the item would say. */
async function outcome(pending: Promise<unknown>): Promise<{
	code?: string;
	retryable?: boolean;
	status: string;
	message?: string;
	attempts?: number;
}> {
	try {
		const result = (await pending) as { details?: { attempts?: number } };
		return { status: 'sent', attempts: result.details?.attempts };
	} catch (error) {
		const failure = error as { code?: string; retryable?: boolean; message: string };
		return {
			status: failure.code === 'ENOTSENT' ? 'not sent' : 'failed',
			code: failure.code,
			retryable: failure.retryable,
			message: failure.message,
		};
	}
}

describe('where a broken connection leaves a message', () => {
	it('a reset in the middle of a large message (its last bytes never left) is sent again, once', async () => {
		const { smtp, channel } = await open({
			duringData: (count) => (count === 1 ? 'reset' : undefined),
		});
		const big = message(1, 8 * 1024 * 1024);
		const result = await outcome(channel.send(big));
		expect(result).toMatchObject({ status: 'sent', attempts: 2 });
		expect(receivedIds(smtp)).toEqual([big.messageId]);
	}, 20_000);

	it('a reset after the final dot is EUNKNOWN and never sent again; the server has it once', async () => {
		const { smtp, channel } = await open({
			afterData: (count) => (count === 1 ? 'reset' : undefined),
		});
		const first = message(1);
		const result = await outcome(channel.send(first));
		expect(result).toMatchObject({ status: 'failed', code: 'EUNKNOWN', retryable: false });
		expect(smtp.attempts).toBe(1);
		expect(receivedIds(smtp)).toEqual([first.messageId]);
	});

	it('421 and 451 after the final dot are refusals: sent again later, the server keeps one copy', async () => {
		for (const fault of ['421', '451'] as const) {
			const { smtp, channel } = await open({
				afterData: (count) => (count === 1 ? fault : undefined),
			});
			const one = message(1);
			expect(await outcome(channel.send(one))).toMatchObject({ status: 'sent', attempts: 2 });
			expect(receivedIds(smtp)).toEqual([one.messageId]);
			await session!.close();
			await smtp.close();
		}
	}, 20_000);

	it('550 after the final dot is a refusal for good: not retried', async () => {
		const { smtp, channel } = await open({ afterData: () => '550' });
		expect(await outcome(channel.send(message(1)))).toMatchObject({
			status: 'failed',
			code: 'EMESSAGE',
			retryable: false,
		});
		expect(smtp.attempts).toBe(1);
	});
});

describe("n8n's cancel signal", () => {
	it('a send whose last bytes had not left is ENOTSENT, and the server never completes it', async () => {
		const cancel = new AbortController();
		const { smtp, channel } = await open({ duringData: () => 'hold' }, { signal: cancel.signal });
		smtp.onDataStarted = () => setTimeout(() => cancel.abort(), 200);
		const started = Date.now();
		const result = await outcome(channel.send(message(1, 8 * 1024 * 1024)));
		expect(result).toMatchObject({ status: 'not sent', code: 'ENOTSENT' });
		// The held DATA would never end by itself: returning at all means the cancel cut it.
		expect(Date.now() - started).toBeLessThan(20_000);
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(smtp.received).toHaveLength(0);
	});

	it('a send cut after its last byte is EUNKNOWN; queued sends and new ones are ENOTSENT at once; connections are cut', async () => {
		const cancel = new AbortController();
		const { smtp, channel } = await open(
			{ afterData: () => 'hold' },
			{ signal: cancel.signal, maxConnections: 1 },
		);
		const first = message(1);
		const pending = [first, message(2), message(3)].map((entry) => outcome(channel.send(entry)));
		while (smtp.received.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
		const cancelledAt = Date.now();
		cancel.abort();
		const results = await Promise.all(pending);
		// The held answer never comes by itself: ending well within a second means the cancel cut it.
		expect(Date.now() - cancelledAt).toBeLessThan(900);
		expect(results.map((result) => result.code)).toEqual(['EUNKNOWN', 'ENOTSENT', 'ENOTSENT']);
		expect(results[0].retryable).toBe(false);
		expect(receivedIds(smtp)).toEqual([first.messageId]);

		const connections = smtp.connections;
		expect(await outcome(channel.send(message(4)))).toMatchObject({
			status: 'not sent',
			code: 'ENOTSENT',
		});
		expect(smtp.connections).toBe(connections);
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(smtp.openConnections).toBe(0);
	});

	it('ends a back-off wait at once', async () => {
		const cancel = new AbortController();
		const { smtp, channel } = await open({ onMail: () => '451' }, { signal: cancel.signal });
		const pending = outcome(channel.send(message(1)));
		while (smtp.attempts < 1) await new Promise((resolve) => setTimeout(resolve, 10));
		await new Promise((resolve) => setTimeout(resolve, 50));
		const cancelledAt = Date.now();
		cancel.abort();
		expect(await pending).toMatchObject({ status: 'not sent', code: 'ENOTSENT' });
		// The back-off before the next attempt is at least a second.
		expect(Date.now() - cancelledAt).toBeLessThan(900);
		expect(smtp.attempts).toBe(1);
	});

	it('a signal already aborted at open sends nothing', async () => {
		const cancel = new AbortController();
		cancel.abort();
		const { smtp, channel } = await open({}, { signal: cancel.signal });
		expect(await outcome(channel.send(message(1)))).toMatchObject({
			status: 'not sent',
			code: 'ENOTSENT',
		});
		expect(smtp.connections).toBe(0);
	});
});

describe('refusedForLoad', () => {
	const refusal = (responseCode: number, response: string) =>
		new DeliveryError('refused', { code: 'ECONNECTION', responseCode, response, retryable: true });

	test('a busy server or an account over its rate: waited out, not retried within seconds', () => {
		expect(refusedForLoad(refusal(421, '4.3.2 Too many concurrent connections'))).toBe(true);
		expect(refusedForLoad(refusal(452, '4.5.127 Message rate limit exceeded'))).toBe(true);
		expect(refusedForLoad(refusal(451, '4.7.0 Rate limit reached, try later'))).toBe(true);
		expect(refusedForLoad(refusal(450, 'Too many messages, slow down'))).toBe(true);
	});

	test('other temporary refusals keep the quick retries', () => {
		expect(refusedForLoad(refusal(421, '4.3.2 Service shutting down, try again later'))).toBe(
			false,
		);
		expect(refusedForLoad(refusal(452, '4.5.3 Too many recipients'))).toBe(false);
		expect(refusedForLoad(refusal(550, '5.7.1 Rate limit exceeded'))).toBe(false);
		expect(refusedForLoad(new Error('Too many concurrent connections'))).toBe(false);
	});
});
