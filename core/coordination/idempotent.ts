/**
 * One send under an idempotency key, whichever channel carries it: reserve the key in the ledger,
 * send, confirm. A key already confirmed sends nothing (a duplicate). While the send waits for its
 * turn its reservation is unstarted and leased (renewed every 10 s, lapsing after 60 s without
 * renewal); right before the message leaves, the channel's `beforeTransmit` marks it started
 * (transmit.ts). A key held by another attempt:
 *
 * - unstarted, lease alive (it waits for its turn): wait for it;
 * - unstarted, lease passed (its worker died before sending): taken over at once, and sent;
 * - started and never confirmed (sending now, or crashed while sending): wait a little, then ask the
 *   sender's Sent folder where the channel can read it, and otherwise fail EUNKNOWN: never re-sent
 *   on a guess. An entry from before leases counts as started.
 *
 * Only EUNKNOWN keeps a reservation; every other failure means nothing left, so it frees the key
 * for the next attempt.
 */
import { DeliveryError } from '../errors';
import type { SendResult } from '../model';
import { sleep } from '../retry';
import { MAX_WAIT_FOR_TURN_MS } from './index';
import { Hold, LEASE_MS, mayHaveGoneOut, RENEW_EVERY_MS, withBeforeTransmit } from './transmit';
import type { Ledger, LedgerEntry, LedgerProposal } from './types';

export interface IdempotentSendRequest {
	ledger: Ledger;
	/** Where keys are unique: the channel and its credential. */
	scope: string;
	key: string;
	messageId: string;
	deliveryId: string;
	/**
	 * Sends the message; calls `beforeTransmit` (or `beforeTransmit()` of transmit.ts, which reaches
	 * the same hook) right before the message leaves, when `marksTransmit` says so.
	 */
	send(hooks: { beforeTransmit(): Promise<void> }): Promise<SendResult>;
	/**
	 * The send calls `beforeTransmit` itself after all its waits. Otherwise the reservation is
	 * marked started before `send` is called: safe, but a worker killed while that send waits for
	 * its turn leaves a key that ends EUNKNOWN.
	 */
	marksTransmit?: boolean;
	/**
	 * Whether the message (by its Message-ID) is in the sender's Sent folder; undefined where the
	 * channel cannot look. Asked only about an attempt that started and never confirmed.
	 */
	findSent?(): Promise<boolean | undefined>;
	signal?: AbortSignal;
	/** How long to wait for another attempt's started, unconfirmed send before looking further. */
	pendingWaitMs?: number;
	/** How long to wait for another attempt that holds the key and still waits for its turn. */
	turnWaitMs?: number;
	/** How long an unstarted reservation holds without renewal (default 60 s). */
	leaseMs?: number;
	/** How often the holder renews it while its send waits for its turn (default 10 s). */
	renewEveryMs?: number;
	now?: () => Date;
}

export type IdempotentOutcome =
	{ kind: 'sent'; result: SendResult } | { kind: 'duplicate'; entry: LedgerEntry };

const PENDING_POLL_MS = 500;
const DEFAULT_PENDING_WAIT_MS = 20_000;

export async function sendOnce(request: IdempotentSendRequest): Promise<IdempotentOutcome> {
	const { ledger, scope, key } = request;
	const now = request.now ?? (() => new Date());
	const leaseMs = request.leaseMs ?? LEASE_MS;
	const proposal = (): LedgerProposal => ({
		messageId: request.messageId,
		deliveryId: request.deliveryId,
		reservedAt: now().toISOString(),
	});
	const claim = await waitForKey(request, proposal, leaseMs);
	if ('outcome' in claim) return claim.outcome;
	const hold = new Hold(ledger, scope, key, claim.token, {
		leaseMs,
		renewEveryMs: request.renewEveryMs ?? RENEW_EVERY_MS,
	});
	let result: SendResult;
	try {
		if (!request.marksTransmit) await hold.start();
		const beforeTransmit = () => hold.start();
		result = await withBeforeTransmit(beforeTransmit, () => request.send({ beforeTransmit }));
	} catch (error) {
		// Only an unknown outcome may have sent the message: then the key stays taken.
		if (!(error instanceof DeliveryError && error.code === 'EUNKNOWN'))
			await ledger.release(scope, key, claim.token).catch(() => undefined);
		throw error;
	} finally {
		hold.stop();
	}
	await ledger.confirm(scope, key, claim.token, {
		messageId: result.messageId,
		sentAt: now().toISOString(),
		details: { accepted: result.accepted },
	});
	return { kind: 'sent', result };
}

/** The key for this send (its token), or the outcome without sending. */
async function waitForKey(
	request: IdempotentSendRequest,
	proposal: () => LedgerProposal,
	leaseMs: number,
): Promise<{ token: string } | { outcome: IdempotentOutcome }> {
	const reserve = () => request.ledger.reserve(request.scope, request.key, proposal(), leaseMs);
	let reservation = await reserve();
	const began = Date.now();
	let startedSeen: number | undefined;
	while (reservation.kind === 'pending') {
		const entry = reservation.entry;
		if (mayHaveGoneOut(entry)) {
			startedSeen ??= Date.now();
			if (Date.now() - startedSeen >= (request.pendingWaitMs ?? DEFAULT_PENDING_WAIT_MS))
				return await afterUnconfirmed(request, entry, proposal, leaseMs);
		} else if (Date.now() - began >= (request.turnWaitMs ?? MAX_WAIT_FOR_TURN_MS))
			throw stillWaiting(request.key, entry);
		try {
			await sleep(PENDING_POLL_MS, request.signal);
		} catch {
			throw new DeliveryError('Not sent: the execution was cancelled', { code: 'ENOTSENT' });
		}
		reservation = await reserve();
	}
	if (reservation.kind === 'sent')
		return { outcome: { kind: 'duplicate', entry: reservation.entry } };
	return { token: reservation.token };
}

/**
 * Another attempt started and never confirmed: the Sent folder decides where the channel can read
 * it (found: a duplicate, recorded; absent: the key is taken over and sent); otherwise EUNKNOWN.
 */
async function afterUnconfirmed(
	request: IdempotentSendRequest,
	stale: LedgerEntry,
	proposal: () => LedgerProposal,
	leaseMs: number,
): Promise<{ token: string } | { outcome: IdempotentOutcome }> {
	const { ledger, scope, key } = request;
	const found = request.findSent ? await request.findSent() : undefined;
	if (found === undefined) throw unconfirmed(key, stale);
	const taken = await ledger.takeOver(scope, key, stale.token, proposal(), leaseMs);
	if (found) {
		const sentAt = stale.startedAt ?? stale.reservedAt;
		if (taken) await ledger.confirm(scope, key, taken, { messageId: stale.messageId, sentAt });
		return { outcome: { kind: 'duplicate', entry: { ...stale, state: 'sent', sentAt } } };
	}
	if (!taken) throw unconfirmed(key, stale);
	return { token: taken };
}

function unconfirmed(key: string, entry: LedgerEntry): DeliveryError {
	const started = entry.startedAt ?? entry.reservedAt;
	const error = new DeliveryError(
		`Not sent: a send with Idempotency Key "${key}" started at ${started} and never confirmed, ` +
			'so it may have gone out; it is not sent again',
		{
			code: 'EUNKNOWN',
			hint:
				"Look for the Message-ID in the sender's Sent folder or at the recipient. " +
				'If it did not go out, send with a new Idempotency Key.',
		},
	);
	error.context = {
		messageId: entry.messageId,
		idempotencyKey: key,
		reservedAt: entry.reservedAt,
		...(entry.startedAt ? { startedAt: entry.startedAt } : {}),
	};
	return error;
}

function stillWaiting(key: string, entry: LedgerEntry): DeliveryError {
	const error = new DeliveryError(
		`Not sent: another execution holds Idempotency Key "${key}" since ${entry.reservedAt} and is ` +
			'still waiting for its turn to send it; this one sends nothing',
		{
			code: 'ENOTSENT',
			retryable: true,
			hint: 'Run this item again later: it is then a duplicate of that email, or sent if that send failed.',
		},
	);
	error.context = { messageId: entry.messageId, idempotencyKey: key, reservedAt: entry.reservedAt };
	return error;
}
