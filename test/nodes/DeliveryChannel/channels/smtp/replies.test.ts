/**
 * Replies and auto-replies for Custom SMTP, read over IMAP from the real Dovecot of the throwaway
 * mail system, with the answers (written for this test) put into its folders by IMAP APPEND: an
 * out-of-office, a moved notice, a ticket acknowledgement in Junk, a person's reply, a reply to a
 * message we did not send, and a bounce that must stay a bounce. Listed only with includeReplies.
 */
import { ImapFlow } from 'imapflow';

import { looksLikeAnswer } from '../../../../../nodes/DeliveryChannel/channels/smtp/imap/candidates';
import {
	mailboxSettings,
	type MailboxSettings,
} from '../../../../../nodes/DeliveryChannel/channels/smtp/imap/settings';
import { Mailbox } from '../../../../../nodes/DeliveryChannel/channels/smtp/failedDeliveries';
import type { FailedDeliveryQuery } from '../../../../../nodes/DeliveryChannel/channels/types';
import {
	bounceWithInReplyTo,
	humanReply,
	movedNotice,
	outOfOffice,
	ticketAcknowledgement,
} from '../../../../support/answers';
import {
	describeWithMailSystem,
	startMailSystem,
	type MailSystem,
} from '../../../../support/mailsystem';

jest.setTimeout(60_000);

const MINUTE = 60_000;
const id = (n: number) => `<dc-0b6f7c52-9a7e-4a8e-8f1e-2d7c9c1b5a1${n}@shop.example>`;

describe('looksLikeAnswer', () => {
	const message = (subject: string, headers: string) => ({
		envelope: { subject } as never,
		headers: Buffer.from(headers),
	});

	it('keeps answers to our messages and marked auto-replies, nothing else', () => {
		expect(looksLikeAnswer(message('Re: Offer', `In-Reply-To: ${id(1)}\r\n`))).toBe(true);
		expect(
			looksLikeAnswer(message('Re: Offer', `References: <a@x.example>\r\n ${id(1)}\r\n`)),
		).toBe(true);
		expect(looksLikeAnswer(message('Hello', 'Auto-Submitted: auto-replied\r\n'))).toBe(true);
		expect(looksLikeAnswer(message('Abwesenheitsnotiz: Angebot', ''))).toBe(true);
		expect(
			looksLikeAnswer(message('Re: Offer', 'In-Reply-To: <thread-9@elsewhere.example>\r\n')),
		).toBe(false);
		expect(looksLikeAnswer(message('Lunch?', ''))).toBe(false);
	});
});

function sentCopy(messageId: string, to: string, subject: string): string {
	return [
		`From: Sales <sales@shop.example>`,
		`To: ${to}`,
		`Subject: ${subject}`,
		`Message-ID: ${messageId}`,
		'',
		'Hello',
		'',
	].join('\r\n');
}

describeWithMailSystem('replies and auto-replies against Dovecot', () => {
	let mail: MailSystem;
	let settings: MailboxSettings;
	const now = Date.now();
	const query = (extra: Partial<FailedDeliveryQuery> = {}): FailedDeliveryQuery => ({
		verdict: 'all',
		includeDelays: false,
		includeComplaints: false,
		...extra,
	});
	const answer = (n: number, name: string) => ({
		inReplyTo: id(n),
		from: `${name}@client.example`,
		subject: `Offer for ${name}`,
		date: new Date(now - (10 - n) * MINUTE),
	});

	beforeAll(async () => {
		mail = await startMailSystem();
		settings = mailboxSettings(mail.smtpCredential())!;
		const client = new ImapFlow(mail.imapOptions() as never);
		await client.connect();
		const put = async (folder: string, raw: string, at: number) => {
			await client.append(folder, raw, [], new Date(at));
		};
		for (const [n, name] of [
			[1, 'ann'],
			[3, 'cid'],
			[4, 'dee'],
		] as const)
			await put(
				'Sent',
				sentCopy(id(n), `${name}@client.example`, `Offer for ${name}`),
				now - 60 * MINUTE,
			);
		await put('INBOX', outOfOffice(answer(1, 'ann')), now - 9 * MINUTE);
		// No Sent copy: linked by our own Message-ID alone.
		await put(
			'INBOX',
			movedNotice({ ...answer(2, 'bob'), newAddress: 'bea@client.example' }),
			now - 8 * MINUTE,
		);
		await put('Junk', ticketAcknowledgement(answer(3, 'cid')), now - 7 * MINUTE);
		await put('INBOX', humanReply(answer(4, 'dee')), now - 6 * MINUTE);
		await put(
			'INBOX',
			humanReply({ inReplyTo: '<thread-9@elsewhere.example>', from: 'eve@client.example' }),
			now - 5 * MINUTE,
		);
		await put(
			'INBOX',
			bounceWithInReplyTo({ ...answer(1, 'ann'), failed: 'gone@client.example' }),
			now - 4 * MINUTE,
		);
		await client.logout();
	}, 240_000);

	afterAll(async () => {
		await mail?.stop();
	});

	async function list(q: FailedDeliveryQuery) {
		const mailbox = new Mailbox(settings);
		try {
			return await mailbox.listFailedDeliveries(q);
		} finally {
			await mailbox.close();
		}
	}

	it('without includeReplies: the bounce only, never an auto-reply', async () => {
		const listing = await list(query({ includeDelays: true, includeComplaints: true }));
		expect(listing.failures.map((failure) => `${failure.recipient} ${failure.kind}`)).toEqual([
			'gone@client.example failure',
		]);
		expect(listing.replies).toBeUndefined();
	});

	it('with includeReplies: each answer to our messages, its kind, linked like failures', async () => {
		const listing = await list(query({ includeReplies: true }));
		expect(listing.failures.map((failure) => failure.recipient)).toEqual(['gone@client.example']);
		const replies = listing.replies!;
		expect(
			replies.map((reply) => `${reply.from} ${reply.kind} ${reply.autoReplyKind ?? '-'}`),
		).toEqual([
			'dee@client.example reply -',
			'cid@client.example autoreply auto-acknowledgement',
			'bob@client.example autoreply moved',
			'ann@client.example autoreply out-of-office',
		]);
		const [dee, cid, bob, ann] = replies;
		expect(ann).toMatchObject({
			channel: 'smtp',
			recipient: 'ann@client.example',
			subject: 'Out of Office: Offer for ann',
			link: { method: 'in-reply-to', confidence: 'high' },
			message: { messageId: id(1), sentFolder: 'Sent', subject: 'Offer for ann' },
		});
		expect(bob).toMatchObject({
			newAddress: 'bea@client.example',
			link: { method: 'in-reply-to', confidence: 'high' },
			message: { messageId: id(2), deliveryId: 'dc-0b6f7c52-9a7e-4a8e-8f1e-2d7c9c1b5a12' },
		});
		expect(cid.details).toMatchObject({ folder: 'Junk' });
		expect(dee.excerpt).toMatch(/price list for 50 seats/);
		for (const reply of replies) {
			expect(reply).not.toHaveProperty('hard');
			expect(Date.parse(String(reply.receivedAt))).toBeGreaterThan(now - 11 * MINUTE);
		}
	});

	it('applies Recipient and Since to replies, and reads them after a checkpoint too', async () => {
		const bob = await list(query({ includeReplies: true, recipient: 'bob@client.example' }));
		expect(bob.replies!.map((reply) => reply.from)).toEqual(['bob@client.example']);
		const late = await list(query({ includeReplies: true, since: new Date(now - 6.5 * MINUTE) }));
		expect(late.replies!.map((reply) => reply.from)).toEqual(['dee@client.example']);
		// The trigger's way: from a checkpoint, oldest first.
		const first = await list(
			query({ includeReplies: true, receivedSince: new Date(now - 60 * MINUTE), checkpoint: {} }),
		);
		expect(first.replies!.map((reply) => reply.from)).toEqual([
			'ann@client.example',
			'bob@client.example',
			'cid@client.example',
			'dee@client.example',
		]);
		expect(first.checkpoint).toBeDefined();
	});
});
