/** The output item of a send: what went out, or the earlier email an Idempotency Key points to. */
import type { IDataObject } from 'n8n-workflow';

import type { OutgoingMessage, SendResult } from '../channels/types';
import type { Delivered } from './deliver';

export function sentItem(
	base: IDataObject,
	result: SendResult,
	message: OutgoingMessage,
	requested: string,
	warnings: string[],
): IDataObject {
	return {
		status: result.rejected.length ? 'partial' : 'sent',
		...base,
		messageId: result.messageId,
		deliveryId: message.deliveryId,
		identity: { requested, used: result.fromUsed },
		from: result.fromUsed,
		subject: message.subject,
		accepted: result.accepted,
		rejected: result.rejected as unknown as IDataObject[],
		response: result.response,
		sentAt: new Date().toISOString(),
		warnings: [...warnings, ...result.warnings],
		...result.details,
	};
}

/** An item whose key was used before: nothing sent, the first email named. */
export function duplicateItem(
	base: IDataObject,
	delivered: Extract<Delivered, { kind: 'duplicate' }>,
	message: OutgoingMessage,
	requested: string,
): IDataObject {
	const when = delivered.sentAt ? ` at ${delivered.sentAt}` : '';
	return {
		status: 'duplicate',
		...base,
		messageId: delivered.messageId,
		deliveryId: delivered.deliveryId ?? message.deliveryId,
		identity: { requested },
		subject: message.subject,
		sentAt: delivered.sentAt ?? null,
		warnings: [
			`Not sent: Idempotency Key "${message.idempotencyKey}" was already used for the email sent${when} ` +
				`(Message-ID ${delivered.messageId}).`,
		],
	};
}
