/**
 * The MSC send path: one POST /v1/messages per message, with our delivery id as its Idempotency-Key,
 * and the API's answer turned into the item's result (with the "via" and DMARC warnings).
 */
import type { IDataObject } from 'n8n-workflow';

import { DeliveryError } from '../../../../core/errors';
import { domainOf } from '../../../../core/message/addresses';
import type { SendResult as ApiSendResult } from '../../../../core/msc-api';
import type { OutgoingMessage, SendResult } from '../types';
import type { MscApi } from './transport';

export type { Identity as ApiIdentity } from '../../../../core/msc-api';

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
			`Recipients may see "via ${result.sendingDomain}" next to ${result.identity.address}: MSC sends ` +
				`on its behalf (Sender: ${result.sender}).`,
			`${identityDomain}'s DMARC policy will not align with this message: it is authenticated for ` +
				`${result.sendingDomain}, not ${identityDomain}. With p=quarantine or p=reject it may go to ` +
				`spam or be refused; use a channel that sends from ${identityDomain} itself if that matters.`,
		);
	}
	if (result.rejected.length) {
		warnings.push(
			`The receiving server refused ${result.rejected.length} of ${result.accepted.length + result.rejected.length} ` +
				`recipients: ${result.rejected.map((entry) => entry.address).join(', ')}. They are listed in ` +
				'Failed Deliveries.',
		);
	}
	return warnings;
}

export async function sendMessage(api: MscApi, message: OutgoingMessage): Promise<SendResult> {
	if (api.cancelled) {
		throw new DeliveryError('Not sent: the execution was cancelled before this message went out', {
			code: 'ENOTSENT',
			retryable: true,
			stopsBatch: true,
		});
	}
	let response: Awaited<ReturnType<typeof api.request<ApiSendResult>>>;
	try {
		response = await api.request<ApiSendResult>('POST', '/v1/messages', {
			body: toApiMessage(message),
			// The item's Idempotency Key, else our delivery id (unique per item and run): reused on every
			// retry, the API answers a repeated request with the first result instead of sending again.
			idempotencyKey: message.idempotencyKey ?? message.deliveryId,
		});
	} catch (error) {
		const original = (error as DeliveryError).context?.original as ApiOriginal | undefined;
		if (message.idempotencyKey && original?.messageId) return duplicateOf(original);
		throw error;
	}
	const result = response.body;
	if (
		!result ||
		!Array.isArray(result.accepted) ||
		!Array.isArray(result.rejected) ||
		!result.identity
	) {
		throw new DeliveryError('The MSC API answered the send request with something unexpected', {
			code: 'EPROTOCOL',
			response: JSON.stringify(result).slice(0, 300),
		});
	}
	if (result.accepted.length === 0) {
		const temporary =
			result.rejected.length > 0 && result.rejected.every((entry) => entry.retryable);
		throw new DeliveryError(
			`The receiving server refused every recipient: ${result.rejected.map((entry) => `${entry.address} (${entry.response})`).join('; ')}`,
			{
				code: 'EENVELOPE',
				retryable: temporary,
				recipients: result.rejected.map((entry) => entry.address),
				responseCode: result.rejected[0]?.code,
				response: result.rejected[0]?.response,
				hint: 'The refusals are listed in Failed Deliveries on the MSC channel.',
			},
		);
	}
	// The very first request answered from the key's record: the key sent its email before this run.
	const earlier = Boolean(message.idempotencyKey) && response.replayed && response.attempts === 1;
	return {
		...(earlier ? { duplicate: { sentAt: result.createdAt } } : {}),
		messageId: result.messageId,
		accepted: result.accepted,
		rejected: result.rejected,
		fromUsed: result.from,
		response: result.upstreamResponse ?? '',
		warnings: sendWarnings(result),
		details: {
			mscMessageId: result.id,
			mscIdentity: {
				id: result.identity.id,
				address: result.identity.address,
				verified: result.identity.verified,
			},
			sender: result.sender,
			via: result.sendingDomain,
			envelopeFrom: result.envelopeFrom,
			attempts: response.attempts,
			...(response.replayed ? { idempotentReplay: true } : {}),
		},
	};
}

type ApiOriginal = { id?: string; messageId?: string; createdAt?: string };

/** A key used before for other content: nothing sent, the first email named. */
function duplicateOf(original: ApiOriginal): SendResult {
	return {
		messageId: String(original.messageId),
		accepted: [],
		rejected: [],
		fromUsed: '',
		response: '',
		warnings: [],
		duplicate: { sentAt: original.createdAt },
		details: { mscMessageId: original.id },
	};
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
