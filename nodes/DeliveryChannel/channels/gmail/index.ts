/** Gmail: the company's Google account sends through the Gmail API (users.messages.send). */
import type { IDataObject } from 'n8n-workflow';

import type { SendingLimits } from '../../../../core/coordination';
import { DeliveryError } from '../../../../core/errors';
import { defineChannel } from '../define';
import type {
	Channel,
	ChannelOptions,
	ChannelSession,
	FailedDeliveryQuery,
	OutgoingMessage,
} from '../types';
import { apiBaseUrl, GMAIL_CREDENTIAL, N8nTokenAuth, type GmailHost } from './auth';
import { GmailFailureFinder, READ_SCOPE_HINT } from './failedDeliveries';
import { sendAsIdentities, type SendAsIdentity } from './identity';
import {
	DEFAULT_SENDS_PER_MINUTE,
	gmailOptions,
	gmailSendOptions,
	readGmailOptions,
} from './options';
import { TokenBucket } from './pacing';
import { canReadMailbox, findInSent, sendMessage } from './send';
import { GmailApi, UNITS } from './transport';

const ALIAS_SCOPE_HINT =
	'Reconnect the Gmail credential: it needs gmail.settings.basic (or gmail.readonly, with "Read Mailbox for Failed Deliveries" on) ' +
	'to read the send-as aliases.';

/**
 * Google Workspace's documented sending limits per user and day (consumer Gmail accounts have lower
 * ones; Google's own refusal is then reported as EQUOTA).
 */
export const GMAIL_DAILY_LIMITS = { messagesPerDay: 2_000, recipientsPerDay: 10_000 };

export interface ConnectOptions {
	signal?: AbortSignal;
	timeoutMs?: number;
}

/** Connects to the account behind the credential, paced to `unitsPerMinute`. */
export async function connectGmail(
	host: GmailHost,
	unitsPerMinute: number,
	options: ConnectOptions = {},
): Promise<GmailApi> {
	const credentials = await host.getCredentials(GMAIL_CREDENTIAL);
	const base = apiBaseUrl(credentials);
	const auth = new N8nTokenAuth(host, credentials.oauthTokenData as IDataObject | undefined);
	const bucket = new TokenBucket(unitsPerMinute, Math.max(UNITS.send, unitsPerMinute / 60));
	return new GmailApi(auth, base, { bucket, signal: options.signal, timeoutMs: options.timeoutMs });
}

async function loadIdentities(api: GmailApi): Promise<SendAsIdentity[]> {
	const { data } = await api.call(
		{
			units: UNITS.sendAs,
			what: "read the account's send-as aliases",
			scopeHint: ALIAS_SCOPE_HINT,
		},
		(options) => api.gmail.users.settings.sendAs.list({ userId: 'me' }, options),
	);
	return sendAsIdentities(data.sendAs);
}

export class GmailSession implements ChannelSession {
	readonly concurrency: number;
	readonly limits: SendingLimits;
	private identities?: Promise<SendAsIdentity[]>;

	constructor(
		readonly api: GmailApi,
		sendsPerMinute: number,
		/** Aborted by close(), so nothing of this session outlives it. */
		private readonly lifetime = new AbortController(),
	) {
		// Enough requests in flight to keep the pace with Google's latency, few enough to be polite.
		this.concurrency = Math.min(8, Math.max(2, Math.ceil(sendsPerMinute / 60)));
		// The pace holds across executions too; the daily caps are Google Workspace's per user.
		this.limits = { messagesPerMinute: sendsPerMinute, ...GMAIL_DAILY_LIMITS };
	}

	/** Sent, searched by Message-ID; undefined without read access or when the search fails. */
	async findSent(message: OutgoingMessage): Promise<boolean | undefined> {
		if (!canReadMailbox(this.api)) return undefined;
		try {
			return (await findInSent(this.api, message.messageId)) !== undefined;
		} catch {
			return undefined;
		}
	}

	async send(message: OutgoingMessage, options?: ChannelOptions) {
		const { unverifiedIdentity } = gmailOptions(options);
		this.identities ??= loadIdentities(this.api);
		return await sendMessage(this.api, await this.identities, message, { unverifiedIdentity });
	}

	async listFailedDeliveries(query: FailedDeliveryQuery) {
		const granted = this.api.auth.grantedScopes;
		if (granted && !canReadMailbox(this.api)) {
			throw new DeliveryError(
				'The Gmail credential may not read the mailbox, so it cannot find bounce reports',
				{
					code: 'EAUTH',
					hint: READ_SCOPE_HINT,
					stopsBatch: true,
				},
			);
		}
		return await new GmailFailureFinder(this.api).list(query);
	}

	async close(): Promise<void> {
		// Requests use short-lived connections from fetch's pool; cutting the session's signal ends any
		// request or wait still running (after a cancel, or an item the router gave up on).
		this.lifetime.abort(new Error('The Gmail session was closed'));
	}
}

export const gmailChannel: Channel = defineChannel({
	key: 'gmail',
	displayName: 'Gmail',
	description: "Sends from the company's Google account, no 'via'",
	notice:
		'Gmail: sends from the company\'s Google account through the Gmail API, with no "via" and your ' +
		"domain's reputation; sent mail lands in Gmail's Sent folder. Gmail sends only as the account or" +
		' its verified send-as aliases. Failed Deliveries reads the bounce reports in the mailbox.',
	credentialType: GMAIL_CREDENTIAL,
	// A keyed send is marked started right before the send or upload request (send.ts).
	marksTransmit: true,
	sendOptions: gmailSendOptions,
	readOptions: readGmailOptions,

	async open(context, options) {
		const { sendsPerMinute, timeoutMs } = gmailOptions(options.options);
		const lifetime = new AbortController();
		const signal = options.signal
			? AbortSignal.any([options.signal, lifetime.signal])
			: lifetime.signal;
		const api = await connectGmail(context, sendsPerMinute * UNITS.send, { signal, timeoutMs });
		return new GmailSession(api, sendsPerMinute, lifetime);
	},

	async listIdentities(context) {
		const api = await connectGmail(context, DEFAULT_SENDS_PER_MINUTE * UNITS.send);
		const identities = await loadIdentities(api);
		return identities
			.filter((identity) => identity.usable)
			.sort((a, b) => Number(b.primary) - Number(a.primary) || a.address.localeCompare(b.address))
			.map((identity) => ({
				address: identity.address,
				name: identity.displayName,
				note: identity.primary ? 'account' : undefined,
			}));
	},
});
