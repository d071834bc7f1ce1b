/**
 * One send under an idempotency key, whichever channel carries it: reserve the key in the ledger,
 * send, confirm. A key already confirmed sends nothing (a duplicate); a key reserved by an attempt
 * that never confirmed (one running now, or one that crashed) waits a little for it, then asks the
 * sender's Sent folder where the channel can read it, and otherwise fails EUNKNOWN: never re-sent on
 * a guess. Only EUNKNOWN keeps a reservation; every other failure means nothing left, so it frees the
 * key for the next attempt.
 */
import { DeliveryError } from '../errors';
import type { SendResult } from '../model';
import { sleep } from '../retry';
import type { Ledger, LedgerEntry } from './types';

export interface IdempotentSendRequest {
	ledger: Ledger;
	/** Where keys are unique: the channel and its credential. */
	scope: string;
	key: string;
	messageId: string;
	deliveryId: string;
	send(): Promise<SendResult>;
	/**
	 * Whether the message (by its Message-ID) is in the sender's Sent folder; undefined where the
	 * channel cannot look. Asked only about an attempt that never confirmed.
	 */
	findSent?(): Promise<boolean | undefined>;
	signal?: AbortSignal;
	/** How long to wait for another attempt's unconfirmed reservation before looking further. */
	pendingWaitMs?: number;
	now?: () => Date;
}

export type IdempotentOutcome =
	{ kind: 'sent'; result: SendResult } | { kind: 'duplicate'; entry: LedgerEntry };

const PENDING_POLL_MS = 500;
const DEFAULT_PENDING_WAIT_MS = 20_000;

export async function sendOnce(request: IdempotentSendRequest): Promise<IdempotentOutcome> {
	const now = request.now ?? (() => new Date());
	const proposal = () => ({
		messageId: request.messageId,
		deliveryId: request.deliveryId,
		reservedAt: now().toISOString(),
	});
	let reservation = await request.ledger.reserve(request.scope, request.key, proposal());
	const waitUntil = Date.now() + (request.pendingWaitMs ?? DEFAULT_PENDING_WAIT_MS);
	while (reservation.kind === 'pending' && Date.now() < waitUntil) {
		try {
			await sleep(PENDING_POLL_MS, request.signal);
		} catch {
			throw new DeliveryError('Not sent: the execution was cancelled', { code: 'ENOTSENT' });
		}
		reservation = await request.ledger.reserve(request.scope, request.key, proposal());
	}
	if (reservation.kind === 'sent') return { kind: 'duplicate', entry: reservation.entry };
	let token: string;
	if (reservation.kind === 'pending') {
		const stale = reservation.entry;
		const found = request.findSent ? await request.findSent() : undefined;
		if (found === true) {
			const taken = await request.ledger.takeOver(
				request.scope,
				request.key,
				stale.token,
				proposal(),
			);
			const sentAt = stale.reservedAt;
			if (taken)
				await request.ledger.confirm(request.scope, request.key, taken, {
					messageId: stale.messageId,
					sentAt,
				});
			return { kind: 'duplicate', entry: { ...stale, state: 'sent', sentAt } };
		}
		if (found === undefined) throw unconfirmed(request.key, stale);
		const taken = await request.ledger.takeOver(
			request.scope,
			request.key,
			stale.token,
			proposal(),
		);
		if (!taken) throw unconfirmed(request.key, stale);
		token = taken;
	} else {
		token = reservation.token;
	}
	let result: SendResult;
	try {
		result = await request.send();
	} catch (error) {
		// Only an unknown outcome may have sent the message: then the key stays taken.
		if (!(error instanceof DeliveryError && error.code === 'EUNKNOWN'))
			await request.ledger.release(request.scope, request.key, token).catch(() => undefined);
		throw error;
	}
	await request.ledger.confirm(request.scope, request.key, token, {
		messageId: result.messageId,
		sentAt: now().toISOString(),
		details: { accepted: result.accepted },
	});
	return { kind: 'sent', result };
}

function unconfirmed(key: string, entry: LedgerEntry): DeliveryError {
	const error = new DeliveryError(
		`Not sent: a send with Idempotency Key "${key}" started at ${entry.reservedAt} and never confirmed, ` +
			'so it may have gone out; it is not sent again',
		{
			code: 'EUNKNOWN',
			hint: "Look for the Message-ID in the sender's Sent folder or at the recipient. If it did not go out, send with a new Idempotency Key.",
		},
	);
	error.context = { messageId: entry.messageId, idempotencyKey: key, reservedAt: entry.reservedAt };
	return error;
}
