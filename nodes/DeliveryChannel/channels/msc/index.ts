/**
 * MSC servers: the managed sending service (the default channel). MSC sends from the account's
 * Email Identities, relays through its own servers (so recipients may see "via <sending domain>"),
 * and receives every bounce, so it can list every failed delivery.
 */
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	IDataObject,
	ILoadOptionsFunctions,
	INodeCredentialTestResult,
	INodeListSearchItems,
} from 'n8n-workflow';

import { matchesQuery } from '../../../../core/failures';
import { domainOf, formatAddress } from '../../../../core/message/addresses';
import { DeliveryError } from '../../../../core/errors';
import type {
	Channel,
	ChannelContext,
	ChannelSession,
	FailedDelivery,
	FailedDeliveryList,
	FailedDeliveryQuery,
	OpenOptions,
	OutgoingMessage,
	RecipientRejection,
	SendResult,
} from '../types';
import { testMscCredential } from './credentialTest';
import { DEFAULT_RETRY, MSC_CREDENTIAL, MscApi, type MscHttpContext, type RetryPolicy } from './transport';

/** Sends in flight at once per execution; the API's 429 answers slow it further when needed. */
const CONCURRENCY = 5;
const PAGE_SIZE = 100;
/** Most failures one listing in arrival order (a trigger poll) reads; the rest follow from its checkpoint. */
const ARRIVAL_CAP = 1_000;

interface ApiIdentity {
	id: string;
	name: string;
	address: string;
	verified: boolean;
}

interface ApiSendResult {
	id: string;
	status: 'sent' | 'partial' | 'failed';
	messageId: string;
	identity: ApiIdentity;
	from: string;
	sender: string;
	sendingDomain: string;
	envelopeFrom: string;
	accepted: string[];
	rejected: RecipientRejection[];
	upstreamResponse: string;
}

interface ApiFailurePage {
	data: ApiFailure[];
	nextCursor?: string | null;
	/** With order=asc: where a later listing resumes. */
	checkpoint?: string;
}

interface ApiFailure extends IDataObject {
	id: string;
	recipient: string;
	action: string;
	kind: FailedDelivery['kind'];
	hard: boolean;
	reason: string;
	status: string;
	replyCode: string;
	diagnostic: string;
	failedAt: string;
	message: IDataObject;
	link: FailedDelivery['link'];
	source: string;
}

/** Whether recipients' mail programs will show "via": the From domain and the sending domain are not aligned. */
function showsVia(identityDomain: string, sendingDomain: string): boolean {
	const a = identityDomain.toLowerCase();
	const b = sendingDomain.toLowerCase();
	return !(a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`));
}

export function sendWarnings(result: ApiSendResult): string[] {
	const warnings: string[] = [];
	const identityDomain = domainOf(result.identity.address);
	if (showsVia(identityDomain, result.sendingDomain)) {
		warnings.push(
			`Recipients may see "via ${result.sendingDomain}" next to ${result.identity.address}: MSC sends on its behalf (Sender: ${result.sender}).`,
			`${identityDomain}'s DMARC policy will not align with this message: it is authenticated for ${result.sendingDomain}, not ${identityDomain}. With p=quarantine or p=reject it may go to spam or be refused; use a channel that sends from ${identityDomain} itself if that matters.`,
		);
	}
	if (result.rejected.length) {
		warnings.push(
			`The receiving server refused ${result.rejected.length} of ${result.accepted.length + result.rejected.length} recipients: ${result.rejected.map((entry) => entry.address).join(', ')}. They are listed in Failed Deliveries.`,
		);
	}
	return warnings;
}

class MscSession implements ChannelSession {
	readonly concurrency = CONCURRENCY;

	constructor(private readonly api: MscApi) {}

	async send(message: OutgoingMessage): Promise<SendResult> {
		if (this.api.cancelled) {
			throw new DeliveryError('Not sent: the execution was cancelled before this message went out', { code: 'ENOTSENT', retryable: true, stopsBatch: true });
		}
		const response = await this.api.request<ApiSendResult>('POST', '/v1/messages', {
			body: toApiMessage(message),
			// Our delivery id is unique per item and per run; reusing it on every retry of this request
			// makes the API answer a repeated request with the first result instead of sending again.
			idempotencyKey: message.deliveryId,
		});
		const result = response.body;
		if (!result || !Array.isArray(result.accepted) || !Array.isArray(result.rejected) || !result.identity) {
			throw new DeliveryError('The MSC API answered the send request with something unexpected', { code: 'EPROTOCOL', response: JSON.stringify(result).slice(0, 300) });
		}
		if (result.accepted.length === 0) {
			const temporary = result.rejected.length > 0 && result.rejected.every((entry) => entry.retryable);
			throw new DeliveryError(`The receiving server refused every recipient: ${result.rejected.map((entry) => `${entry.address} (${entry.response})`).join('; ')}`, {
				code: 'EENVELOPE',
				retryable: temporary,
				recipients: result.rejected.map((entry) => entry.address),
				responseCode: result.rejected[0]?.code,
				response: result.rejected[0]?.response,
				hint: 'The refusals are listed in Failed Deliveries on the MSC channel.',
			});
		}
		return {
			messageId: result.messageId,
			accepted: result.accepted,
			rejected: result.rejected,
			fromUsed: result.from,
			response: result.upstreamResponse,
			warnings: sendWarnings(result),
			details: {
				mscMessageId: result.id,
				mscIdentity: { id: result.identity.id, address: result.identity.address, verified: result.identity.verified },
				sender: result.sender,
				via: result.sendingDomain,
				envelopeFrom: result.envelopeFrom,
				attempts: response.attempts,
				...(response.replayed ? { idempotentReplay: true } : {}),
			},
		};
	}

	/**
	 * With a checkpoint or a received-since time (the trigger), the API is read in the order it
	 * recorded failures, from that point on, so a poll reads only what is new. Without (Failed
	 * Deliveries), newest first, as far as the limit.
	 */
	async listFailedDeliveries(query: FailedDeliveryQuery): Promise<FailedDeliveryList> {
		const start = checkpointCursor(query.checkpoint);
		if (start || query.receivedSince) return await this.listInArrivalOrder(query, start);
		return await this.listNewestFirst(query);
	}

	private async listNewestFirst(query: FailedDeliveryQuery): Promise<FailedDeliveryList> {
		const found: FailedDelivery[] = [];
		let cursor: string | undefined;
		do {
			const wanted = query.limit === undefined ? PAGE_SIZE : Math.min(PAGE_SIZE, query.limit - found.length);
			const page = await this.failurePage({ ...filterQs(query), limit: wanted, ...(cursor ? { cursor } : {}) });
			// The API applies the same filters; checking again keeps the result identical to other channels.
			found.push(...page.data.map(toFailedDelivery).filter((failure) => matchesQuery(failure, query)));
			cursor = page.nextCursor || undefined;
		} while (cursor && (query.limit === undefined || found.length < query.limit));
		// Pages go on until the user's limit or the end: no cap of the channel cuts this listing.
		return { failures: query.limit === undefined ? found : found.slice(0, query.limit), truncated: false };
	}

	private async listInArrivalOrder(query: FailedDeliveryQuery, start: string | undefined): Promise<FailedDeliveryList> {
		const cap = query.limit ?? ARRIVAL_CAP;
		const qs: IDataObject = { ...filterQs(query), order: 'asc' };
		// A checkpoint is exact; the time is only for a first poll. Applying the time as well could skip
		// failures a capped earlier poll left behind the checkpoint.
		if (!start) qs.receivedSince = query.receivedSince!.toISOString();
		const matching: FailedDeliveryQuery = start ? { ...query, receivedSince: undefined } : query;
		const found: FailedDelivery[] = [];
		let position = start;
		let cursor = start;
		let read = 0;
		let truncated = false;
		for (;;) {
			const page = await this.failurePage({ ...qs, limit: Math.min(PAGE_SIZE, cap - read), ...(cursor ? { cursor } : {}) });
			read += page.data.length;
			found.push(...page.data.map(toFailedDelivery).filter((failure) => matchesQuery(failure, matching)));
			// The API's checkpoint follows the last record it returned: never past one left unread.
			if (typeof page.checkpoint === 'string' && page.checkpoint) position = page.checkpoint;
			cursor = page.nextCursor || undefined;
			if (!cursor) break;
			if (read >= cap) {
				truncated = true;
				break;
			}
		}
		return {
			// Oldest first after a checkpoint; a first poll is ordered like any listing without one.
			failures: start ? found : found.reverse(),
			...(position ? { checkpoint: { after: position } } : {}),
			truncated,
			...(truncated ? { truncatedReason: `read ${read} failed deliveries, the most one listing reads; the rest follow in the next poll` } : {}),
		};
	}

	private async failurePage(qs: IDataObject): Promise<ApiFailurePage> {
		const page = await this.api.request<ApiFailurePage>('GET', '/v1/failed-deliveries', { qs });
		if (!page.body || !Array.isArray(page.body.data)) {
			throw new DeliveryError('The MSC API answered the failed-deliveries request with something unexpected', { code: 'EPROTOCOL' });
		}
		return page.body;
	}

	async close(): Promise<void> {}
}

function toApiMessage(message: OutgoingMessage): IDataObject {
	const body: IDataObject = {
		identity: { name: message.identity.name, address: message.identity.address },
		to: message.to as unknown as IDataObject[],
		cc: message.cc as unknown as IDataObject[],
		bcc: message.bcc as unknown as IDataObject[],
		replyTo: message.replyTo as unknown as IDataObject[],
		subject: message.subject,
		headers: message.headers as unknown as IDataObject[],
		references: message.references,
		messageId: message.messageId,
		deliveryId: message.deliveryId,
		attachments: message.attachments.map((attachment) => ({
			filename: attachment.filename,
			contentType: attachment.contentType,
			content: attachment.content.toString('base64'),
			inline: attachment.inline,
			...(attachment.contentId ? { contentId: attachment.contentId } : {}),
		})),
	};
	if (message.text !== undefined) body.text = message.text;
	if (message.html !== undefined) body.html = message.html;
	if (message.inReplyTo) body.inReplyTo = message.inReplyTo;
	return body;
}

/** The API filters that mirror the query's (the client checks them again). */
function filterQs(query: FailedDeliveryQuery): IDataObject {
	const types = ['failure', ...(query.includeDelays ? ['delay'] : []), ...(query.includeComplaints ? ['complaint'] : [])];
	const qs: IDataObject = { type: types.join(','), verdict: query.verdict };
	if (query.since) qs.since = query.since.toISOString();
	if (query.until) qs.until = query.until.toISOString();
	if (query.recipient) qs.recipient = query.recipient;
	return qs;
}

/** The API cursor a checkpoint of ours holds, or undefined for none (or one from something else). */
function checkpointCursor(checkpoint: IDataObject | undefined): string | undefined {
	const after = checkpoint?.after;
	return typeof after === 'string' && /^[A-Za-z0-9_-]{1,200}$/.test(after) ? after : undefined;
}

function toFailedDelivery(record: ApiFailure): FailedDelivery {
	const failure: FailedDelivery = {
		channel: 'msc',
		recipient: record.recipient,
		action: record.action,
		kind: record.kind,
		hard: record.hard,
		reason: record.reason,
		status: record.status,
		replyCode: record.replyCode,
		diagnostic: record.diagnostic,
		failedAt: record.failedAt,
		remoteMta: record.remoteMta as string | undefined,
		reportingMta: record.reportingMta as string | undefined,
		message: record.message ?? {},
		link: record.link ?? { method: 'none', confidence: 'none' },
		details: {
			failureId: record.id,
			source: record.source,
			reportId: record.reportId as string | undefined,
			// When MSC learnt of it: the report's arrival, or the refusal while relaying. A record
			// without either stays undated, and time filters leave it out.
			reportReceivedAt: (record.reportReceivedAt ?? record.receivedAt) as string | undefined,
			receivedAt: record.receivedAt as string | undefined,
		},
	};
	if (record.feedbackType) failure.feedbackType = record.feedbackType as string;
	return failure;
}

/** The MSC channel with a given retry timing (the registry uses DEFAULT_RETRY). */
export function mscChannelWithPolicy(policy: RetryPolicy): Channel {
	return {
		key: 'msc',
		displayName: 'MSC Servers',
		description: 'The managed sending service; knows every failed delivery',
		credentialType: MSC_CREDENTIAL,

		async open(context: ChannelContext, options: OpenOptions = {}): Promise<ChannelSession> {
			return new MscSession(await MscApi.fromContext(context as unknown as MscHttpContext, policy, options.signal));
		},

		async testCredential(this: ICredentialTestFunctions, credentials: ICredentialDataDecryptedObject): Promise<INodeCredentialTestResult> {
			return await testMscCredential(this, credentials, policy);
		},

		async listIdentities(this: ILoadOptionsFunctions): Promise<INodeListSearchItems[]> {
			const api = await MscApi.fromContext(this as unknown as MscHttpContext, policy);
			const response = await api.request<{ data: ApiIdentity[] }>('GET', '/v1/identities');
			return (response.body?.data ?? []).map((identity) => {
				const address = formatAddress({ name: identity.name, address: identity.address });
				return { name: identity.verified ? address : `${address} (not verified)`, value: address };
			});
		},
	};
}

export const mscChannel: Channel = mscChannelWithPolicy(DEFAULT_RETRY);
