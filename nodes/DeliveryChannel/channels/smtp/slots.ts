/**
 * A Custom SMTP account's connection slots in the coordinator, shared with every execution and
 * worker: a pool waits for one before it opens a connection, and takes a connection another
 * execution parks for the same credential meanwhile instead (that one holds a slot already).
 */
import { MAX_WAIT_FOR_TURN_MS, type Coordinator } from '../../../../core/coordination';
import { beforeTransmit } from '../../../../core/coordination/transmit';
import type { PooledConnection } from './connection';
import { awaitParked } from './parking';

/** The account's connection slots in the coordinator, and the execution's cancel signal. */
export interface ConnectionSlots {
	coordinator: Coordinator;
	account: string;
	signal?: AbortSignal;
}

/**
 * Waits for the account's place in its per-minute window, on a connection already held, so the
 * count runs where the server counts: at the transaction; then marks a keyed send started (the
 * message leaves now). The window is 61 s, a second of room for a MAIL FROM that reaches the server
 * a little after its place was given. Resolves with `counted`, to call once the transaction is over
 * (whatever its outcome): it moves the place to that moment, so a message that left late (a busy
 * event loop) still counts as long as the server counts it.
 */
export async function paceMessage(shared: {
	slots?: ConnectionSlots;
	messagesPerMinute?: number;
}): Promise<() => Promise<void>> {
	const { slots, messagesPerMinute } = shared;
	if (!slots || !messagesPerMinute) {
		await beforeTransmit();
		return async () => {};
	}
	const place = await slots.coordinator.messageSlot(slots.account, messagesPerMinute, {
		signal: slots.signal,
		maxWaitMs: MAX_WAIT_FOR_TURN_MS,
		windowMs: 61_000,
	});
	await beforeTransmit();
	return async () => {
		await place.restamp().catch(() => undefined);
	};
}

/**
 * Whether another process waits for one of the account's connection slots (for parking); undefined
 * where the coordinator serves one process, so a kept connection has nothing to watch.
 */
export function slotWantedFor(slots?: ConnectionSlots): (() => Promise<boolean>) | undefined {
	const wanted = slots?.coordinator.slotWanted?.bind(slots.coordinator);
	return slots && wanted && (() => wanted(slots.account));
}

/** How long a pool waits for a connection slot before it says so to other processes. */
const SLOT_WAIT_ANNOUNCE_MS = 100;

/** A slot (and how to give it back), or a parked connection handed over while waiting for one. */
export async function slotOrParked(
	slots: ConnectionSlots,
	max: number,
	parkingKey?: string,
): Promise<{ giveBack: () => Promise<void> } | { entry: PooledConnection }> {
	const handOver = parkingKey ? awaitParked(parkingKey) : undefined;
	const stopWaiting = new AbortController();
	const slot = slots.coordinator.connectionSlot(slots.account, max, {
		signal: slots.signal ? AbortSignal.any([slots.signal, stopWaiting.signal]) : stopWaiting.signal,
		maxWaitMs: MAX_WAIT_FOR_TURN_MS,
	});
	// A wait longer than a moment is announced, so another process keeping an idle connection of
	// this account closes it and frees its slot (parking.ts).
	let withdraw: (() => void) | undefined;
	const announce = setTimeout(
		() => (withdraw = slots.coordinator.announceSlotWait?.(slots.account)),
		SLOT_WAIT_ANNOUNCE_MS,
	);
	const first = await Promise.race([
		slot.then(
			(giveBack) => ({ giveBack }),
			(error: unknown) => ({ error }),
		),
		...(handOver ? [handOver.connection.then((entry) => ({ entry }))] : []),
	]).finally(() => {
		clearTimeout(announce);
		withdraw?.();
	});
	if ('entry' in first) {
		stopWaiting.abort();
		void slot.then(
			(giveBack) => giveBack(),
			() => undefined,
		);
		return first;
	}
	if (handOver && !handOver.cancel()) {
		// A connection was handed over in the same moment: use it, give the slot back.
		if ('giveBack' in first) void first.giveBack();
		return { entry: await handOver.connection };
	}
	if ('error' in first) throw first.error;
	return first;
}
