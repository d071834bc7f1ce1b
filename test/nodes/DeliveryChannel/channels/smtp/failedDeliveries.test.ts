/**
 * Custom SMTP Failed Deliveries over IMAP (channels/smtp/mailbox.ts and its parts). The settings, folder and
 * screening rules are checked directly; reading the mailbox runs against the real Dovecot of the
 * throwaway mail system (scripts/mailsystem), with reports put into its folders by IMAP APPEND so
 * each case (dates, folders, Sent copies, non-standard reports) is exact. The end-to-end path with
 * reports that Postfix itself produces is test/integration/mailsystem.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ImapFlow } from 'imapflow';
import type { ICredentialTestFunctions } from 'n8n-workflow';

import { smtpChannel } from '../../../../../nodes/DeliveryChannel/channels/smtp';
import { looksLikeReport } from '../../../../../nodes/DeliveryChannel/channels/smtp/imap/candidates';
import { resolveFolders } from '../../../../../nodes/DeliveryChannel/channels/smtp/imap/folders';
import { toMailboxError } from '../../../../../nodes/DeliveryChannel/channels/smtp/imap/errors';
import {
	mailboxSettings,
	type MailboxSettings,
} from '../../../../../nodes/DeliveryChannel/channels/smtp/imap/settings';
import { Mailbox } from '../../../../../nodes/DeliveryChannel/channels/smtp/failedDeliveries';
import { bounceReport } from './support/maildir';
import { ownDeliveryId } from '../../../../../nodes/DeliveryChannel/channels/smtp/imap/sent';
import type { FailedDeliveryQuery } from '../../../../../nodes/DeliveryChannel/channels/types';
import {
	describeWithMailSystem,
	startMailSystem,
	type MailSystem,
} from '../../../../support/mailsystem';

jest.setTimeout(60_000);

const CORPUS = join(__dirname, '../../../../fixtures/bounce-corpus/eml');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const OWN = 'dc-0b6f7c52-9a7e-4a8e-8f1e-2d7c9c1b5a10';

describe('mailboxSettings', () => {
	it('is undefined without an IMAP host: Failed Deliveries is not configured', () => {
		expect(
			mailboxSettings({ host: 'smtp.example.com', user: 'a@example.com', password: 'x' }),
		).toBeUndefined();
		expect(mailboxSettings({ imapHost: '  ' })).toBeUndefined();
	});

	it('reuses the SMTP login when the IMAP login is empty, and has sensible defaults', () => {
		expect(
			mailboxSettings({
				user: 'sales@example.com',
				password: 'smtp-pass',
				imapHost: 'imap.example.com',
			}),
		).toEqual({
			host: 'imap.example.com',
			port: 993,
			security: 'tls',
			user: 'sales@example.com',
			password: 'smtp-pass',
			folders: ['INBOX', 'Junk'],
			sentFolder: '',
			allowSelfSigned: false,
		});
	});

	it('uses its own login, port, security and folders when given', () => {
		const settings = mailboxSettings({
			user: 'smtp-user',
			password: 'smtp-pass',
			imapHost: 'imap.example.com',
			imapSecurity: 'starttls',
			imapUser: 'mailbox-user',
			imapPassword: 'mailbox-pass',
			imapFolders: 'INBOX, Bounces ,, Spam',
			sentFolder: 'Sent Items',
			allowSelfSigned: true,
		});
		expect(settings).toMatchObject({
			port: 143,
			security: 'starttls',
			user: 'mailbox-user',
			password: 'mailbox-pass',
			folders: ['INBOX', 'Bounces', 'Spam'],
			sentFolder: 'Sent Items',
			allowSelfSigned: true,
		});
		// An IMAP user of its own never falls back to the SMTP password.
		expect(
			mailboxSettings({ password: 'smtp-pass', imapHost: 'h', imapUser: 'other' })!.password,
		).toBe('');
	});

	it('refuses bad values with the field to fix', () => {
		expect(() => mailboxSettings({ imapHost: 'h', user: 'u', imapPort: 70000 })).toThrow(
			expect.objectContaining({ code: 'EINPUT', field: 'imapPort' }),
		);
		expect(() => mailboxSettings({ imapHost: 'h', user: 'u', imapSecurity: 'ssl3' })).toThrow(
			expect.objectContaining({ field: 'imapSecurity' }),
		);
		expect(() => mailboxSettings({ imapHost: 'h' })).toThrow(
			expect.objectContaining({ field: 'imapUser' }),
		);
	});

	it('refuses a port whose encryption contradicts IMAP Security, saying which port fits', () => {
		expect(() =>
			mailboxSettings({ imapHost: 'h', user: 'u', imapPort: 993, imapSecurity: 'starttls' }),
		).toThrow(
			expect.objectContaining({
				code: 'EINPUT',
				field: 'imapPort',
				message: expect.stringMatching(/IMAP Port 993 .*SSL\/TLS.*\(143\)/),
			}),
		);
		expect(() =>
			mailboxSettings({ imapHost: 'h', user: 'u', imapPort: 143, imapSecurity: 'tls' }),
		).toThrow(
			expect.objectContaining({ field: 'imapPort', message: expect.stringContaining('(993)') }),
		);
		expect(
			mailboxSettings({ imapHost: 'h', user: 'u', imapPort: 1143, imapSecurity: 'tls' })!.port,
		).toBe(1143);
		expect(
			mailboxSettings({ imapHost: 'h', user: 'u', imapPort: 143, imapSecurity: 'none' })!.port,
		).toBe(143);
	});
});

describe('resolveFolders', () => {
	const box = (path: string, specialUse?: string) => ({
		path,
		specialUse,
		flags: new Set<string>(),
	});

	it('finds the junk folder by special use when it has another name, and Sent by special use', () => {
		const list = [box('INBOX', '\\Inbox'), box('Spam', '\\Junk'), box('Gesendet', '\\Sent')];
		expect(resolveFolders({ folders: ['INBOX', 'Junk'], sentFolder: '' }, list)).toEqual({
			scan: ['INBOX', 'Spam'],
			sent: 'Gesendet',
			missing: [],
		});
	});

	it('tolerates a missing junk folder, reports other missing folders, and knows common Sent names', () => {
		const list = [box('INBOX'), box('Sent Items')];
		expect(resolveFolders({ folders: ['inbox', 'Junk', 'Bounces'], sentFolder: '' }, list)).toEqual(
			{ scan: ['INBOX'], sent: 'Sent Items', missing: ['Junk', 'Bounces'] },
		);
		expect(resolveFolders({ folders: ['INBOX'], sentFolder: 'Outbox' }, list)).toMatchObject({
			sent: undefined,
			missing: ['Outbox'],
		});
	});
});

describe('looksLikeReport', () => {
	const message = (
		from: { name?: string; address?: string },
		subject: string,
		headers = '',
		type = 'text/plain',
	) => ({
		envelope: { from: [from], subject } as never,
		headers: Buffer.from(headers),
		bodyStructure: { type, childNodes: [] } as never,
	});

	it('takes the usual and the unusual reports', () => {
		expect(looksLikeReport(message({ address: 'MAILER-DAEMON@mx.example.com' }, 'anything'))).toBe(
			true,
		);
		expect(looksLikeReport(message({ address: 'postmaster@example.com' }, 'x'))).toBe(true);
		expect(
			looksLikeReport(message({ name: 'Mail Delivery Subsystem', address: 'gw@example.com' }, 'x')),
		).toBe(true);
		expect(looksLikeReport(message({ address: 'gw@example.com' }, 'Unzustellbar: Angebot'))).toBe(
			true,
		);
		expect(
			looksLikeReport(message({ address: 'gw@example.com' }, 'Hello', 'Return-Path: <>\r\n')),
		).toBe(true);
		expect(
			looksLikeReport(
				message({ address: 'gw@example.com' }, 'Hello', 'X-Failed-Recipients: a@example.net\r\n'),
			),
		).toBe(true);
		expect(
			looksLikeReport(message({ address: 'gw@example.com' }, 'Hello', '', 'multipart/report')),
		).toBe(true);
		expect(
			looksLikeReport({
				...message({ address: 'gw@example.com' }, 'Hello'),
				bodyStructure: {
					type: 'multipart/mixed',
					childNodes: [{ type: 'message/delivery-status' }],
				} as never,
			}),
		).toBe(true);
	});

	it('skips ordinary mail', () => {
		expect(
			looksLikeReport(
				message(
					{ name: 'Jane', address: 'jane@example.net' },
					'Re: your offer',
					'Return-Path: <jane@example.net>\r\n',
				),
			),
		).toBe(false);
	});
});

describe('ownDeliveryId', () => {
	it('recognises our envelope ids and Message-IDs, nothing else', () => {
		expect(ownDeliveryId({ method: 'envelope-id', value: OWN })).toBe(OWN);
		expect(ownDeliveryId({ method: 'message-id', value: `<${OWN}@example.com>` })).toBe(OWN);
		expect(ownDeliveryId({ method: 'message-id', value: '<abc@example.com>' })).toBeUndefined();
		expect(ownDeliveryId({ method: 'envelope-id', value: 'dc-1' })).toBeUndefined();
	});
});

describe('toMailboxError', () => {
	it('says what failed and how to fix it', () => {
		const target = { host: 'imap.example.com', port: 993 };
		expect(
			toMailboxError(
				Object.assign(new Error('fail'), {
					authenticationFailed: true,
					responseText: 'Invalid credentials',
				}),
				target,
			),
		).toMatchObject({ code: 'EAUTH', hint: expect.stringMatching(/IMAP User/) });
		expect(
			toMailboxError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), target),
		).toMatchObject({ code: 'ECONNECTION', retryable: true });
		expect(
			toMailboxError(Object.assign(new Error('x'), { code: 'GREETING_TIMEOUT' }), target),
		).toMatchObject({ code: 'ETIMEDOUT' });
		expect(
			toMailboxError(
				Object.assign(new Error('self-signed certificate'), {
					code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
				}),
				target,
			),
		).toMatchObject({ code: 'ETLS' });
	});
});

/* ------------------------------------------------------------------------------------------------ */
/* Against the real Dovecot                                                                          */
/* ------------------------------------------------------------------------------------------------ */

function sentCopy(messageId: string, to: string, subject: string, deliveryId?: string): string {
	return [
		'From: Sales <sales@example.test>',
		`To: ${to}`,
		`Subject: ${subject}`,
		`Message-ID: ${messageId}`,
		...(deliveryId ? [`X-Delivery-Id: ${deliveryId}`] : []),
		'Content-Type: text/plain',
		'',
		'Hello',
		'',
	].join('\r\n');
}

describeWithMailSystem('Mailbox against Dovecot', () => {
	let mail: MailSystem;
	let settings: MailboxSettings;
	const now = Date.now();
	const query = (extra: Partial<FailedDeliveryQuery> = {}): FailedDeliveryQuery => ({
		verdict: 'all',
		includeDelays: false,
		includeComplaints: false,
		...extra,
	});

	beforeAll(async () => {
		mail = await startMailSystem();
		settings = mailboxSettings(mail.smtpCredential())!;
		const client = new ImapFlow(mail.imapOptions() as never);
		await client.connect();
		const put = async (folder: string, raw: string | Buffer, at: number) => {
			await client.append(folder, raw, [], new Date(at));
		};
		// A standard report for a message found in Sent by its Message-ID (not one of ours).
		await put(
			'Sent',
			sentCopy('<offer-42@example.test>', 'bob@example.net', 'Offer 42'),
			now - 2 * HOUR,
		);
		await put(
			'INBOX',
			bounceReport({
				recipient: 'bob@example.net',
				status: '5.1.1',
				diagnostic: '550 5.1.1 <bob@example.net>: User unknown',
				messageId: '<offer-42@example.test>',
				subject: 'Offer 42',
			}),
			now - 1 * HOUR,
		);
		// Our own envelope id, no Sent copy: recognised by the id alone.
		await put(
			'INBOX',
			bounceReport({
				recipient: 'carol@example.net',
				status: '5.2.2',
				diagnostic: '552 5.2.2 Mailbox full',
				envid: OWN,
				messageId: `<${OWN}@example.test>`,
				subject: 'Offer 43',
			}),
			now - 30 * 60_000,
		);
		// A delay.
		await put(
			'INBOX',
			bounceReport({
				recipient: 'dave@example.net',
				action: 'delayed',
				status: '4.4.1',
				diagnostic: '421 4.4.1 Connection timed out',
				messageId: '<offer-44@example.test>',
				subject: 'Offer 44',
			}),
			now - 20 * 60_000,
		);
		// A plain-text Exim report (no multipart/report), in Junk.
		await put('Junk', readFileSync(join(CORPUS, 'lhost-exim-01.eml')), now - 10 * 60_000);
		// Ordinary mail, and a report from ten days ago.
		await put(
			'INBOX',
			sentCopy('<reply-1@example.net>', 'sales@example.test', 'Re: Offer 42'),
			now - 5 * 60_000,
		);
		await put(
			'INBOX',
			bounceReport({
				recipient: 'old@example.net',
				status: '5.1.1',
				diagnostic: '550 5.1.1 unknown',
				messageId: '<old@example.test>',
				subject: 'Old offer',
			}),
			now - 10 * DAY,
		);
		await client.logout();
	}, 240_000);

	afterAll(async () => {
		await mail?.stop();
	});

	async function list(q: FailedDeliveryQuery, extra: Partial<MailboxSettings> = {}) {
		const mailbox = new Mailbox({ ...settings, ...extra });
		try {
			return (await mailbox.listFailedDeliveries(q)).failures;
		} finally {
			await mailbox.close();
		}
	}

	it('finds the reports in INBOX and Junk, newest first, and leaves ordinary mail alone', async () => {
		const failures = await list(query());
		expect(failures.map((failure) => failure.recipient)).toEqual([
			'kijitora@example.ed.jp',
			'carol@example.net',
			'bob@example.net',
			'old@example.net',
		]);
		expect(failures[0]).toMatchObject({
			channel: 'smtp',
			kind: 'failure',
			status: '5.7.0',
			reason: 'blocked',
			hard: false,
		});
		expect(failures[0].details).toMatchObject({
			reportId: expect.stringMatching(/^Junk\/\d+$/),
			folder: 'Junk',
		});
	});

	it('links through the Sent folder by Message-ID', async () => {
		const [bob] = await list(query({ recipient: 'bob@example.net' }));
		expect(bob).toMatchObject({
			hard: true,
			reason: 'userunknown',
			status: '5.1.1',
			link: { method: 'message-id', confidence: 'high' },
		});
		expect(bob.message).toMatchObject({
			messageId: '<offer-42@example.test>',
			subject: 'Offer 42',
			sentFolder: 'Sent',
			sentUid: expect.any(Number),
			to: ['bob@example.net'],
		});
	});

	it('recognises our own envelope id without a Sent copy', async () => {
		const [carol] = await list(query({ recipient: 'carol@example.net' }));
		expect(carol).toMatchObject({
			hard: false,
			reason: 'mailboxfull',
			link: { method: 'envelope-id', confidence: 'high' },
		});
		expect(carol.message).toMatchObject({ deliveryId: OWN, envelopeId: OWN });
		expect(carol.message.sentFolder).toBeUndefined();
	});

	it('says "none" when nothing links a report to a sent message', async () => {
		const [dave] = await list(query({ includeDelays: true, recipient: 'dave@example.net' }), {
			sentFolder: 'Junk',
		});
		expect(dave).toMatchObject({
			kind: 'delay',
			action: 'delayed',
			link: { method: 'none', confidence: 'none' },
		});
		expect(dave.message).toMatchObject({
			messageId: '<offer-44@example.test>',
			subject: 'Offer 44',
		});
	});

	it('applies the time window, type and delay filters, and the limit', async () => {
		expect(
			(await list(query({ since: new Date(now - 2 * DAY) }))).map((failure) => failure.recipient),
		).not.toContain('old@example.net');
		expect(
			(await list(query({ receivedSince: new Date(now - 45 * 60_000) }))).map(
				(failure) => failure.recipient,
			),
		).toEqual(['kijitora@example.ed.jp', 'carol@example.net']);
		expect(
			(await list(query({ until: new Date(now - 5 * DAY) }))).map((failure) => failure.recipient),
		).toEqual(['old@example.net']);
		expect((await list(query({ verdict: 'hard' }))).map((failure) => failure.recipient)).toEqual([
			'bob@example.net',
			'old@example.net',
		]);
		expect(
			(await list(query({ includeDelays: true }))).map((failure) => failure.recipient),
		).toContain('dave@example.net');
		expect((await list(query({ limit: 2 }))).map((failure) => failure.recipient)).toEqual([
			'kijitora@example.ed.jp',
			'carol@example.net',
		]);
	});

	it('finds the junk folder by special use when it is configured under another name', async () => {
		const failures = await list(query(), { folders: ['Spam'] });
		expect(failures.map((failure) => failure.recipient)).toEqual(['kijitora@example.ed.jp']);
	});

	it('fails clearly on a folder that does not exist, a wrong password, a closed port', async () => {
		await expect(list(query(), { folders: ['INBOX', 'Bounces'] })).rejects.toMatchObject({
			code: 'EINPUT',
			field: 'imapFolders',
			message: expect.stringContaining('"Bounces"'),
			hint: expect.stringContaining('INBOX, Sent, Junk'),
		});
		await expect(list(query(), { password: 'wrong' })).rejects.toMatchObject({
			code: 'EAUTH',
			hint: expect.stringContaining('IMAP Password'),
		});
		await expect(list(query(), { port: 1 })).rejects.toMatchObject({
			code: 'ECONNECTION',
			message: expect.stringContaining('127.0.0.1:1'),
		});
	});

	it('logs out on close', async () => {
		const clients: ImapFlow[] = [];
		const mailbox = new Mailbox(settings, (options) => {
			const client = new ImapFlow(options);
			clients.push(client);
			return client;
		});
		await mailbox.listFailedDeliveries(query({ limit: 1 }));
		expect(clients).toHaveLength(1);
		expect(clients[0].usable).toBe(true);
		await mailbox.close();
		expect(clients[0].usable).toBe(false);
		await mailbox.close();
	});

	it('the credential test checks the mailbox too', async () => {
		const test = (data: Record<string, unknown>) =>
			smtpChannel.testCredential!.call(
				{} as ICredentialTestFunctions,
				mail.smtpCredential(data as never),
			);
		expect(await test({})).toEqual({
			status: 'OK',
			message:
				'Connection successful (SMTP, and the mailbox: reports read from INBOX, Junk, sent messages in Sent)',
		});
		const wrong = await test({ imapUser: mail.sender.address, imapPassword: 'wrong' });
		expect(wrong.status).toBe('Error');
		expect(wrong.message).toMatch(/mailbox server .* rejected the login/);
		expect(await test({ imapFolders: 'INBOX, Archive' })).toMatchObject({
			status: 'Error',
			message: expect.stringContaining('"Archive"'),
		});
		expect(await test({ imapHost: '' })).toEqual({
			status: 'OK',
			message: 'Connection successful',
		});
	});
});
