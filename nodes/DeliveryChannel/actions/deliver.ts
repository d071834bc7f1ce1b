/**
 * One message through a session with what is shared beyond this execution: the account's daily caps
 * and per-minute window (waited for, bounded and cancellable), and the item's Idempotency Key (the
 * ledger's reserve → send → confirm, or the channel's own server where it keeps keys). Channels are
 * never named here: they say what they keep and what their limits are.
 */
import { sendOnce } from '../../../core/coordination/idempotent';
import {
	MAX_WAIT_FOR_TURN_MS,
	type Coordinator,
	type MessagePlace,
	type QuotaRefusal,
} from '../../../core/coordination';
import { DeliveryError } from '../../../core/errors';
import { allRecipients } from '../../../core/message/compose';
import type {
	Channel,
	ChannelOptions,
	ChannelSession,
	OutgoingMessage,
	SendResult,
} from '../channels/types';

export type Delivered =
	| { kind: 'sent'; result: SendResult }
	| { kind: 'duplicate'; messageId: string; sentAt?: string; deliveryId?: string };

export interface DeliverRequest {
	channel: Channel;
	session: ChannelSession;
	options?: ChannelOptions;
	message: OutgoingMessage;
	shared: { coordinator: Coordinator; account: string };
	signal?: AbortSignal;
}

export async function deliver(request: DeliverRequest): Promise<Delivered> {
	const { channel, session, message, shared } = request;
	checkRecipientsPerMessage(session, message);
	const send = async (): Promise<SendResult> => {
		const place = await respectLimits(request);
		try {
			return await session.send(message, request.options);
		} finally {
			// counted from when the request ended, as long as the service may count it
			await place?.restamp().catch(() => undefined);
		}
	};
	const key = message.idempotencyKey;
	if (!key || channel.keepsIdempotencyKeys) {
		const result = await send();
		return result.duplicate
			? { kind: 'duplicate', messageId: result.messageId, sentAt: result.duplicate.sentAt }
			: { kind: 'sent', result };
	}
	const outcome = await sendOnce({
		ledger: shared.coordinator,
		scope: shared.account,
		key,
		messageId: message.messageId,
		deliveryId: message.deliveryId,
		send,
		marksTransmit: channel.marksTransmit,
		findSent: session.findSent ? () => session.findSent!(message) : undefined,
		signal: request.signal,
	});
	if (outcome.kind === 'sent') return outcome;
	return {
		kind: 'duplicate',
		messageId: outcome.entry.messageId,
		sentAt: outcome.entry.sentAt,
		deliveryId: outcome.entry.deliveryId,
	};
}

/** A message over the account's recipients per message is refused before anything (key, limits, server). */
function checkRecipientsPerMessage(session: ChannelSession, message: OutgoingMessage): void {
	const cap = session.limits?.recipientsPerMessage;
	const count = allRecipients(message).length;
	if (!cap || count <= cap) return;
	throw new DeliveryError(
		`The message has ${count} recipients (To, CC and BCC together); this account takes at most ${cap} per message`,
		{
			code: 'EINPUT',
			field: 'to',
			hint:
				'Split the recipients over several items (one item per lead is usual), or raise Recipients per Message in ' +
				'the credential if the server allows more (Microsoft 365 allows 500).',
		},
	);
}

async function respectLimits({
	session,
	message,
	shared,
	signal,
}: DeliverRequest): Promise<MessagePlace | undefined> {
	const limits = session.limits;
	if (!limits) return undefined;
	if (limits.messagesPerDay || limits.recipientsPerDay) {
		const refusal = await shared.coordinator.countDaily(
			shared.account,
			allRecipients(message).length,
			limits,
		);
		if (refusal) throw quotaReached(refusal, shared.coordinator.where);
	}
	if (!limits.messagesPerMinute) return undefined;
	return await shared.coordinator.messageSlot(shared.account, limits.messagesPerMinute, {
		signal,
		maxWaitMs: MAX_WAIT_FOR_TURN_MS,
	});
}

const LIMIT_NAMES: Record<QuotaRefusal['limit'], string> = {
	messagesPerDay: 'Messages per Day',
	recipientsPerDay: 'Recipients per Day',
};

function quotaReached(refusal: QuotaRefusal, where: string): DeliveryError {
	const error = new DeliveryError(
		`Not sent: this account's ${LIMIT_NAMES[refusal.limit]} limit of ${refusal.cap} is reached ` +
			`(${refusal.used} used since ${new Date(refusal.resetsAt.getTime() - 86_400_000).toISOString()}); ` +
			`it resets at ${refusal.resetsAt.toISOString()}`,
		{
			code: 'EQUOTA',
			retryable: true,
			stopsBatch: true,
			hint: `Send the rest after ${refusal.resetsAt.toISOString()}. The count is kept in ${where}, for every workflow using this credential.`,
		},
	);
	error.context = {
		resetsAt: refusal.resetsAt.toISOString(),
		limit: refusal.limit,
		cap: refusal.cap,
	};
	return error;
}
