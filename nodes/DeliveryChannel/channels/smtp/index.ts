/** Custom SMTP: the company's own server or Microsoft Exchange / 365, over nodemailer's SMTP client. */
import type { ICredentialDataDecryptedObject, ICredentialTestFunctions, ILoadOptionsFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { formatAddress, isValidAddress } from '../../../../core/message/addresses';
import { allRecipients } from '../../../../core/message/compose';
import { buildMime } from '../../../../core/message/mime';
import { DeliveryError } from '../../../../core/errors';
import { backoffMs, sleep } from '../../../../core/retry';
import type { Channel, ChannelContext, ChannelSession, FailedDeliveryList, FailedDeliveryQuery, OpenOptions, OutgoingMessage, SendResult } from '../types';
import { mailboxNotConfigured, mailboxSettings } from './imap';
import { Mailbox, type MailboxNotices } from './mailbox';
import { SmtpPool } from './pool';
import { smtpSettings, type SmtpSettings } from './settings';

export const SMTP_CREDENTIAL = 'deliveryChannelSmtpApi';

/** Attempts per message for failures that may pass (connection lost before the data, 421, 4xx). */
const ATTEMPTS = 3;
/** 1–2 s before the second attempt, 2–4 s before the third. */
const BACKOFF = { baseMs: 2_000, capMs: 4_000 };

function maxConnections(settings: SmtpSettings, credentials: ICredentialDataDecryptedObject): number {
	const configured = Number(credentials.maxConnections);
	if (Number.isInteger(configured) && configured > 0) return Math.min(configured, 50);
	// Exchange Online allows 3 concurrent connections per mailbox; more gets 4xx refusals.
	return /(^|\.)(office365\.com|outlook\.com)$/i.test(settings.host) ? 3 : 5;
}

function notSentCancelled(): DeliveryError {
	return new DeliveryError('Not sent: the execution was cancelled before this message went out', { code: 'ENOTSENT', retryable: true, stopsBatch: true });
}

class SmtpSession implements ChannelSession {
	readonly concurrency: number;

	/** The sender's mailbox, where the bounce reports arrive; opened on first use. */
	private mailbox?: Mailbox;

	private readonly onAbort = () => {
		this.pool.abort();
		this.mailbox?.abort();
	};

	constructor(
		private readonly pool: SmtpPool,
		/** Mailbox settings are read only when Failed Deliveries needs them, so they never hold up sending. */
		private readonly credentials: ICredentialDataDecryptedObject,
		private readonly signal?: AbortSignal,
		private readonly notices: MailboxNotices = {},
	) {
		this.concurrency = pool.size;
		if (signal?.aborted) this.onAbort();
		else signal?.addEventListener('abort', this.onAbort, { once: true });
	}

	async send(message: OutgoingMessage): Promise<SendResult> {
		if (this.signal?.aborted) throw notSentCancelled();
		const raw = await buildMime(message);
		const envelope = {
			from: message.identity.address,
			to: allRecipients(message),
			dsn: { envid: message.deliveryId, ret: 'HDRS' as const, notify: ['FAILURE', 'DELAY'] },
		};
		for (let attempt = 1; ; attempt++) {
			try {
				const delivery = await this.pool.deliver(envelope, raw);
				const warnings = delivery.rejected.length
					? [`The server refused ${delivery.rejected.length} of ${envelope.to.length} recipients: ${delivery.rejected.map((entry) => entry.address).join(', ')}`]
					: [];
				return {
					messageId: message.messageId,
					accepted: delivery.accepted,
					rejected: delivery.rejected,
					fromUsed: formatAddress(message.identity),
					response: delivery.response,
					warnings,
					details: { envelopeFrom: envelope.from, attempts: attempt, dsnRequested: delivery.dsnOffered },
				};
			} catch (error) {
				const failure = error as DeliveryError;
				// A failure that stops the batch (login, TLS, a cancel) or a message held back because of one
				// will not pass by waiting.
				if (!(failure instanceof DeliveryError) || !failure.retryable || failure.stopsBatch || failure.code === 'ENOTSENT' || attempt >= ATTEMPTS) throw failure;
				try {
					await sleep(backoffMs(attempt, BACKOFF), this.signal);
				} catch {
					throw notSentCancelled();
				}
			}
		}
	}

	async listFailedDeliveries(query: FailedDeliveryQuery): Promise<FailedDeliveryList> {
		if (!this.mailbox) {
			const settings = mailboxSettings(this.credentials);
			if (!settings) throw mailboxNotConfigured();
			this.mailbox = new Mailbox(settings, undefined, this.notices);
			if (this.signal?.aborted) this.mailbox.abort();
		}
		return await this.mailbox.listFailedDeliveries(query);
	}

	async close(): Promise<void> {
		this.signal?.removeEventListener('abort', this.onAbort);
		await Promise.all([this.pool.close(), this.mailbox?.close()]);
	}
}

export const smtpChannel: Channel = {
	key: 'smtp',
	displayName: 'Custom SMTP',
	description: 'Your own mail server or Microsoft Exchange / 365',
	credentialType: SMTP_CREDENTIAL,

	async open(context: ChannelContext, options: OpenOptions = {}): Promise<ChannelSession> {
		const credentials = await context.getCredentials(SMTP_CREDENTIAL);
		const settings = smtpSettings(credentials);
		const logger = (context as { logger?: { warn(message: string): void } }).logger;
		const notices: MailboxNotices = { warn: (message) => logger?.warn(`Delivery Channel (Custom SMTP): ${message}`) };
		return new SmtpSession(new SmtpPool(settings, maxConnections(settings, credentials)), credentials, options.signal, notices);
	},

	async testCredential(
		this: ICredentialTestFunctions,
		credentials: ICredentialDataDecryptedObject,
	): Promise<INodeCredentialTestResult> {
		try {
			await new SmtpPool(smtpSettings(credentials), 1).verify();
			const settings = mailboxSettings(credentials);
			if (!settings) return { status: 'OK', message: 'Connection successful' };
			// The mailbox for Failed Deliveries: log in and find the folders to scan.
			const mailbox = new Mailbox(settings);
			try {
				const folders = await mailbox.verify();
				const sent = folders.sent ? `, sent messages in ${folders.sent}` : ', no Sent folder found';
				return { status: 'OK', message: `Connection successful (SMTP, and the mailbox: reports read from ${folders.scan.join(', ')}${sent})` };
			} finally {
				await mailbox.close();
			}
		} catch (error) {
			const failure = error as DeliveryError;
			const message = failure.hint ? `${failure.message}. ${failure.hint}` : failure.message;
			return { status: 'Error', message };
		}
	},

	async listIdentities(this: ILoadOptionsFunctions) {
		const credentials = await this.getCredentials(SMTP_CREDENTIAL);
		const user = String(credentials.user ?? '').trim();
		return isValidAddress(user) ? [{ name: user, value: user }] : [];
	},
};
