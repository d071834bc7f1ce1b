/**
 * When a send under an idempotency key may have gone out. A reservation is made before the send
 * waits for its turn (a connection slot, a place in the minute window, quota pacing: minutes at
 * worst); only when those waits are over and the message is about to leave does its holder mark it
 * started. Until then the holder renews a lease, so a reservation that was never started and is no
 * longer renewed (its worker was killed while waiting) is known to have sent nothing: the next
 * attempt takes the key over and sends, instead of failing EUNKNOWN.
 *
 * Channels call `beforeTransmit()` right before the message leaves, after every wait. It reaches
 * the hook of the send it runs in (an AsyncLocalStorage scope set by `sendOnce`), so the hook needs
 * no parameter passed down through every layer of a channel; outside a keyed send it does nothing.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

import { DeliveryError } from '../errors';
import type { Ledger, LedgerEntry } from './types';

/**
 * How long an unstarted reservation holds without renewal: six missed renewals, so a busy event
 * loop or a slow store does not lose a live holder its key, while a killed worker's key is free
 * again within a minute.
 */
export const LEASE_MS = 60_000;
/** How often a holder that waits for its turn renews its lease. */
export const RENEW_EVERY_MS = 10_000;

/** Whether the entry's email may have gone out: confirmed, started, or from before leases. */
export function mayHaveGoneOut(entry: LedgerEntry): boolean {
	return entry.state === 'sent' || entry.startedAt !== undefined || entry.leaseUntil === undefined;
}

/** An unstarted reservation whose holder stopped renewing it: it sent nothing and never will. */
export function abandoned(entry: LedgerEntry, now: number): boolean {
	return !mayHaveGoneOut(entry) && entry.leaseUntil! <= now;
}

const current = new AsyncLocalStorage<() => Promise<void>>();

/** Runs `work` (a channel's send) with `hook` as the `beforeTransmit` it reaches. */
export function withBeforeTransmit<T>(
	hook: () => Promise<void>,
	work: () => Promise<T>,
): Promise<T> {
	return current.run(hook, work);
}

/**
 * Called by a channel right before its message leaves, after every wait, once or again on a retry
 * of the same message (then it does nothing more). Under an idempotency key it marks the
 * reservation started; when the reservation was taken over meanwhile it throws ENOTSENT, and the
 * message must not be sent.
 */
export async function beforeTransmit(): Promise<void> {
	await current.getStore()?.();
}

/** A reservation held by one send: renewed while it waits, marked started once. */
export class Hold {
	private started?: Promise<void>;
	private timer?: ReturnType<typeof setInterval>;

	constructor(
		private readonly ledger: Ledger,
		private readonly scope: string,
		private readonly key: string,
		private readonly token: string,
		private readonly lease: { leaseMs: number; renewEveryMs: number },
	) {
		this.timer = setInterval(() => void this.renew(), lease.renewEveryMs);
		this.timer.unref?.();
	}

	private async renew(): Promise<void> {
		// A failed renewal is tried again at the next tick; a lost key shows at the start.
		await this.ledger
			.renew(this.scope, this.key, this.token, this.lease.leaseMs)
			.catch(() => undefined);
	}

	/** Marks the reservation started (once); ENOTSENT when it is no longer ours. */
	start(): Promise<void> {
		this.stop();
		this.started ??= this.ledger.start(this.scope, this.key, this.token).then((ours) => {
			if (!ours) throw takenOver(this.key, this.lease.leaseMs);
		});
		return this.started;
	}

	/** Stops renewing (the send ended or started). */
	stop(): void {
		if (this.timer) clearInterval(this.timer);
		this.timer = undefined;
	}
}

function takenOver(key: string, leaseMs: number): DeliveryError {
	const error = new DeliveryError(
		`Not sent: this send's hold on Idempotency Key "${key}" lapsed while it waited for its turn ` +
			`(not renewed for ${Math.round(leaseMs / 1000)} s: a stalled process?) and another execution ` +
			'took the key over, so this one sends nothing',
		{
			code: 'ENOTSENT',
			hint: 'The execution that took the key over sends the email or reports why it could not.',
		},
	);
	error.context = { idempotencyKey: key };
	return error;
}
