/** Gmail: the company's Google account sends through the Gmail API (users.messages.send). */
import type { gmail_v1 } from '@googleapis/gmail';
import type { IDataObject, IExecuteFunctions, ILoadOptionsFunctions, INodeListSearchItems, INodeProperties } from 'n8n-workflow';

import { formatAddress } from '../../../../core/message/addresses';
import { allRecipients, formatBytes } from '../../../../core/message/compose';
import { buildMime } from '../../../../core/message/mime';
import { DeliveryError, inputError } from '../../../../core/errors';
import type { Channel, ChannelContext, ChannelSession, FailedDeliveryList, FailedDeliveryQuery, OpenOptions, OutgoingMessage, SendResult } from '../types';
import { DEFAULT_TIMEOUT_MS, GmailApi, UNITS } from './api';
import { apiBaseUrl, GMAIL_CREDENTIAL, N8nTokenAuth, READ_SCOPES, type GmailHost } from './auth';
import { GmailFailureFinder, READ_SCOPE_HINT } from './failures';
import { decideIdentity, sendAsIdentities, type SendAsIdentity, type UnverifiedIdentityPolicy } from './identity';
import { TokenBucket } from './pacing';
import { sendResumable } from './upload';

/** Gmail refuses messages over 35 MB (raw size, attachments encoded). */
export const MAX_MESSAGE_BYTES = 35 * 1024 * 1024;
/**
 * Above this the message goes through a resumable upload session (upload.ts) instead of base64 in a
 * JSON body: Google documents simple uploads for up to 5 MB.
 */
export const UPLOAD_THRESHOLD_BYTES = 5 * 1024 * 1024;
/** New Google Cloud projects get 6,000 quota units per user per minute; a send costs 100. */
export const DEFAULT_SENDS_PER_MINUTE = 60;

const SEND_SCOPE_HINT = 'Reconnect the Gmail credential so it holds the gmail.send scope.';
const ALIAS_SCOPE_HINT =
	'Reconnect the Gmail credential: it needs gmail.settings.basic (or gmail.readonly, with "Read Mailbox for Failed Deliveries" on) to read the send-as aliases.';

const properties: INodeProperties[] = [
	{
		displayName: 'If the Identity Is Not Verified',
		name: 'gmailUnverifiedIdentity',
		type: 'options',
		default: 'fail',
		description:
			'Gmail silently replaces a From that is not the account address or one of its verified send-as aliases. Choose what happens instead.',
		options: [
			{
				name: 'Fail the Item',
				value: 'fail',
				description: 'Nothing is sent for the item; it fails with code EIDENTITY',
			},
			{
				name: 'Send as the Connected Account and Warn',
				value: 'sendAsAccount',
				description: 'Send from the account address; the item shows the requested and the used identity and a warning',
			},
		],
		displayOptions: { show: { operation: ['send'] } },
	},
	{
		displayName: 'Gmail Options',
		name: 'gmailOptions',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: { show: { operation: ['send'] } },
		options: [
			{
				displayName: 'Sends per Minute',
				name: 'sendsPerMinute',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 10000 },
				default: DEFAULT_SENDS_PER_MINUTE,
				description:
					"Pace sends to the account's Gmail API quota: 6,000 units per user per minute by default, and a send costs 100 units. Raise it only if your Google Cloud project has a higher quota.",
			},
			{
				displayName: 'Timeout (Seconds)',
				name: 'timeoutSeconds',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 600 },
				default: 60,
				description:
					"How long to wait for Google's answer to each request. A send that gets no answer in time may still have gone out: the node then looks for it in Sent (with read access to the mailbox) and never sends it twice.",
			},
		],
	},
];

function isExecuteContext(context: GmailHost): context is IExecuteFunctions {
	return typeof (context as IExecuteFunctions).getInputData === 'function';
}

function nodeParameter(context: ChannelContext, name: string, itemIndex: number, fallback: unknown): unknown {
	if (isExecuteContext(context)) return context.getNodeParameter(name, itemIndex, fallback);
	return context.getNodeParameter(name, fallback);
}

function sendsPerMinute(context: ChannelContext): number {
	const options = (nodeParameter(context, 'gmailOptions', 0, {}) ?? {}) as IDataObject;
	const value = options.sendsPerMinute === undefined ? DEFAULT_SENDS_PER_MINUTE : Number(options.sendsPerMinute);
	if (!Number.isFinite(value) || value <= 0 || value > 10_000) {
		throw new DeliveryError(`Sends per Minute must be between 1 and 10000, got ${JSON.stringify(options.sendsPerMinute)}`, {
			code: 'EINPUT',
			field: 'gmailOptions.sendsPerMinute',
			stopsBatch: true,
		});
	}
	return value;
}

function timeoutMs(context: ChannelContext): number {
	const options = (nodeParameter(context, 'gmailOptions', 0, {}) ?? {}) as IDataObject;
	if (options.timeoutSeconds === undefined) return DEFAULT_TIMEOUT_MS;
	const value = Number(options.timeoutSeconds);
	if (!Number.isFinite(value) || value < 1 || value > 600) {
		throw new DeliveryError(`Timeout (Seconds) must be between 1 and 600, got ${JSON.stringify(options.timeoutSeconds)}`, {
			code: 'EINPUT',
			field: 'gmailOptions.timeoutSeconds',
			stopsBatch: true,
		});
	}
	return Math.round(value * 1000);
}

function identityPolicy(context: ChannelContext, itemIndex: number): UnverifiedIdentityPolicy {
	const value = nodeParameter(context, 'gmailUnverifiedIdentity', itemIndex, 'fail');
	if (value !== 'fail' && value !== 'sendAsAccount') {
		throw inputError('gmailUnverifiedIdentity', `If the Identity Is Not Verified must be "fail" or "sendAsAccount", got ${JSON.stringify(value)}`);
	}
	return value;
}

export interface ConnectOptions {
	signal?: AbortSignal;
	timeoutMs?: number;
}

/** Connects to the account behind the credential, paced to `unitsPerMinute`. */
export async function connectGmail(host: GmailHost, unitsPerMinute: number, options: ConnectOptions = {}): Promise<GmailApi> {
	const credentials = await host.getCredentials(GMAIL_CREDENTIAL);
	const base = apiBaseUrl(credentials);
	const auth = new N8nTokenAuth(host, credentials.oauthTokenData as IDataObject | undefined);
	const bucket = new TokenBucket(unitsPerMinute, Math.max(UNITS.send, unitsPerMinute / 60));
	return new GmailApi(auth, base, { bucket, signal: options.signal, timeoutMs: options.timeoutMs });
}

async function loadIdentities(api: GmailApi): Promise<SendAsIdentity[]> {
	const { data } = await api.call(
		{ units: UNITS.sendAs, what: "read the account's send-as aliases", scopeHint: ALIAS_SCOPE_HINT },
		(options) => api.gmail.users.settings.sendAs.list({ userId: 'me' }, options),
	);
	return sendAsIdentities(data.sendAs);
}

function canReadMailbox(api: GmailApi): boolean {
	return Boolean(api.auth.grantedScopes?.some((scope) => READ_SCOPES.includes(scope)));
}

export class GmailSession implements ChannelSession {
	readonly concurrency: number;
	private identities?: Promise<SendAsIdentity[]>;

	constructor(
		readonly api: GmailApi,
		private readonly context: ChannelContext,
		sendsPerMinuteValue: number,
		/** Aborted by close(), so nothing of this session outlives it. */
		private readonly lifetime = new AbortController(),
	) {
		// Enough requests in flight to keep the pace with Google's latency, few enough to be polite.
		this.concurrency = Math.min(8, Math.max(2, Math.ceil(sendsPerMinuteValue / 60)));
	}

	async send(message: OutgoingMessage, itemIndex: number): Promise<SendResult> {
		const policy = identityPolicy(this.context, itemIndex);
		this.identities ??= loadIdentities(this.api);
		const decision = decideIdentity(message.identity, await this.identities, policy);
		const raw = await buildMime(message, { from: decision.from });
		if (raw.length > MAX_MESSAGE_BYTES) {
			throw new DeliveryError(`The message is ${formatBytes(raw.length)}, over Gmail's limit of 35 MB`, {
				code: 'EINPUT',
				field: 'options.attachments',
				hint: 'Attachments grow by about a third when encoded; send smaller files or share a link instead.',
			});
		}
		const resumable = raw.length > UPLOAD_THRESHOLD_BYTES;
		// When the message may have gone out without an answer (a 5xx, a timeout or a broken connection
		// on a simple send, an upload session lost after its last byte), it is sent again only if Sent
		// positively does not have it; without read access to the mailbox the item ends EUNKNOWN.
		const lookUp = canReadMailbox(this.api) ? () => this.findInSent(message.messageId) : undefined;
		const upload = resumable ? await sendResumable(this.api, raw, { scopeHint: SEND_SCOPE_HINT, findSent: lookUp }) : undefined;
		const result =
			upload ??
			(await this.api.call<gmail_v1.Schema$Message>(
				{ units: UNITS.send, what: 'send the message', send: { lookUp }, scopeHint: SEND_SCOPE_HINT },
				(options) => this.api.gmail.users.messages.send({ userId: 'me', requestBody: { raw: raw.toString('base64url') } }, options),
			));
		const sent = result.data;
		const labelIds = sent.labelIds ?? [];
		return {
			messageId: message.messageId,
			accepted: allRecipients(message),
			rejected: [],
			fromUsed: formatAddress(decision.from),
			response: `Gmail accepted the message as ${sent.id}${result.recovered ? ' (found in Sent after an error)' : ''}`,
			warnings: decision.warning ? [decision.warning] : [],
			details: {
				gmailMessageId: sent.id ?? undefined,
				gmailThreadId: sent.threadId ?? undefined,
				gmailLabelIds: labelIds,
				inSent: labelIds.includes('SENT'),
				identityVerified: decision.asRequested,
				sizeBytes: raw.length,
				uploadType: resumable ? 'resumable' : 'raw',
				attempts: result.attempts,
				...(upload ? { uploadChunks: upload.chunks, uploadResumes: upload.resumes } : {}),
			},
		};
	}

	async listFailedDeliveries(query: FailedDeliveryQuery): Promise<FailedDeliveryList> {
		const granted = this.api.auth.grantedScopes;
		if (granted && !canReadMailbox(this.api)) {
			throw new DeliveryError('The Gmail credential may not read the mailbox, so it cannot find bounce reports', {
				code: 'EAUTH',
				hint: READ_SCOPE_HINT,
				stopsBatch: true,
			});
		}
		return await new GmailFailureFinder(this.api).list(query);
	}

	async close(): Promise<void> {
		// Requests use short-lived connections from fetch's pool; cutting the session's signal ends any
		// request or wait still running (after a cancel, or an item the router gave up on).
		this.lifetime.abort(new Error('The Gmail session was closed'));
	}

	private async findInSent(messageId: string): Promise<gmail_v1.Schema$Message | undefined> {
		const { data } = await this.api.call(
			{ units: UNITS.list, what: 'look for the message in Sent', scopeHint: READ_SCOPE_HINT, lookUp: true },
			(options) => this.api.gmail.users.messages.list({ userId: 'me', q: `in:sent rfc822msgid:${messageId.replace(/^<|>$/g, '')}`, maxResults: 1 }, options),
		);
		const found = data.messages?.[0];
		return found?.id ? { id: found.id, threadId: found.threadId, labelIds: ['SENT'] } : undefined;
	}
}

export const gmailChannel: Channel = {
	key: 'gmail',
	displayName: 'Gmail',
	description: "Sends from the company's Google account, no 'via'",
	credentialType: GMAIL_CREDENTIAL,
	properties,

	async open(context: ChannelContext, options: OpenOptions = {}): Promise<ChannelSession> {
		const rate = sendsPerMinute(context);
		const lifetime = new AbortController();
		const signal = options.signal ? AbortSignal.any([options.signal, lifetime.signal]) : lifetime.signal;
		const api = await connectGmail(context, rate * UNITS.send, { signal, timeoutMs: timeoutMs(context) });
		return new GmailSession(api, context, rate, lifetime);
	},

	async listIdentities(this: ILoadOptionsFunctions): Promise<INodeListSearchItems[]> {
		const api = await connectGmail(this, DEFAULT_SENDS_PER_MINUTE * UNITS.send);
		const identities = await loadIdentities(api);
		return identities
			.filter((identity) => identity.usable)
			.sort((a, b) => Number(b.primary) - Number(a.primary) || a.address.localeCompare(b.address))
			.map((identity) => {
				const value = formatAddress({ name: identity.displayName, address: identity.address });
				return { name: identity.primary ? `${value} (account)` : value, value };
			});
	},
};
