/** Custom SMTP: the company's own server or Microsoft Exchange / 365, over nodemailer's SMTP client. */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import type { SendingLimits } from '../../../../core/coordination';
import { channelCredentialType } from '../authentication';
import { defineChannel } from '../define';
import type {
	Channel,
	ChannelAuthentication,
	ChannelSession,
	FailedDeliveryQuery,
	OutgoingMessage,
} from '../types';
import { testSmtpCredential } from './credentialTest';
import { Mailbox, type MailboxNotices } from './failedDeliveries';
import { mailboxNotConfigured, mailboxSettings } from './imap/settings';
import { AccessTokens, n8nRefresher, SMTP_OAUTH2_CREDENTIAL } from './oauth2';
import { sendMessage } from './send';
import { smtpSettings } from './settings';
import { checkIdentity, noIdentities, sendAsAddresses, smtpIdentities } from './identities';
import { isMicrosoft365, smtpLimits } from './limits';
import { SmtpPool } from './transport';

export const SMTP_CREDENTIAL = 'deliveryChannelSmtpApi';
export { SMTP_OAUTH2_CREDENTIAL };

/** Password (the default, so existing workflows keep theirs) or an OAuth2 sign-in. */
const AUTHENTICATIONS: ChannelAuthentication[] = [
	{ value: 'password', name: 'Password', credentialType: SMTP_CREDENTIAL },
	{
		value: 'oAuth2',
		name: 'OAuth2 (Microsoft 365, Google Workspace)',
		credentialType: SMTP_OAUTH2_CREDENTIAL,
	},
];

class SmtpSession implements ChannelSession {
	readonly concurrency: number;
	readonly limits: SendingLimits;

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
		private readonly tokens: AccessTokens | undefined,
		private readonly signal?: AbortSignal,
		private readonly notices: MailboxNotices = {},
		limits: SendingLimits = {},
		/** Whether the account is on Microsoft 365, which refuses identities it was not granted. */
		private readonly microsoft = false,
	) {
		this.concurrency = pool.size;
		this.limits = limits;
		if (signal?.aborted) this.onAbort();
		else signal?.addEventListener('abort', this.onAbort, { once: true });
	}

	async send(message: OutgoingMessage) {
		checkIdentity(message.identity, this.credentials, this.microsoft);
		return await sendMessage(this.pool, message, this.signal);
	}

	async listFailedDeliveries(query: FailedDeliveryQuery) {
		if (!this.mailbox) {
			const settings = mailboxSettings(this.credentials, this.tokens);
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

export const smtpChannel: Channel = defineChannel({
	key: 'smtp',
	displayName: 'Custom SMTP',
	description: 'Your own mail server or Microsoft Exchange / 365',
	notice:
		'Custom SMTP: sends through your own mail server or Microsoft Exchange / 365, with no "via" and ' +
		"your domain's reputation. Failed Deliveries reads the bounce reports in the mailbox over IMAP " +
		"(the credential's IMAP Host).",
	credentialType: SMTP_CREDENTIAL,
	// The pool marks a keyed send started right before MAIL FROM (transport.ts).
	marksTransmit: true,
	authentications: AUTHENTICATIONS,

	async open(context, { signal, shared }) {
		const type = channelCredentialType(smtpChannel, context);
		const credentials = await context.getCredentials(type);
		// One set of tokens for the session: SMTP and the mailbox renew together, once.
		const tokens =
			type === SMTP_OAUTH2_CREDENTIAL
				? new AccessTokens(credentials, n8nRefresher(context, type))
				: undefined;
		const settings = smtpSettings(credentials, tokens);
		// A wrong Send-As Addresses entry stops here, naming the field, rather than at the first item.
		sendAsAddresses(credentials);
		const logger = (context as { logger?: { warn(message: string): void } }).logger;
		const notices: MailboxNotices = {
			warn: (message) => logger?.warn(`Delivery Channel (Custom SMTP): ${message}`),
		};
		// The per-minute window is taken by the pool right before each transaction (see transport);
		// the router applies the daily caps.
		const { maxConnections, messagesPerMinute, ...daily } = smtpLimits(settings, credentials);
		return new SmtpSession(
			new SmtpPool(settings, maxConnections, {
				slots: shared && { ...shared, signal },
				messagesPerMinute,
			}),
			credentials,
			tokens,
			signal,
			notices,
			{ maxConnections, ...daily },
			isMicrosoft365(settings.host) || credentials.provider === 'microsoft365',
		);
	},

	async testCredential(credentials, _context, type) {
		// n8n names the type; without it, only the OAuth2 credential has a Provider.
		const oauth2 = type ? type === SMTP_OAUTH2_CREDENTIAL : credentials.provider !== undefined;
		return await testSmtpCredential(credentials, oauth2);
	},

	async listIdentities(context) {
		const credentials = await context.getCredentials(channelCredentialType(smtpChannel, context));
		const identities = smtpIdentities(credentials);
		if (identities.length === 0) throw noIdentities(credentials);
		const mailbox = String(credentials.user ?? '')
			.trim()
			.toLowerCase();
		return identities.map((address) => ({
			address,
			note: address.toLowerCase() === mailbox ? 'mailbox' : 'send as',
		}));
	},
});
