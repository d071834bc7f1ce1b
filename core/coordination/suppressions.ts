/**
 * The suppression list: addresses never mailed again because they hard bounced, complained or
 * unsubscribed (or were added by hand). It lives next to the idempotency ledger (the same SQLite
 * file, or the same Redis) and is global to that store: a dead mailbox is dead for every account
 * and a complaint is about the sender's organisation, not one credential, so an address suppressed
 * through one credential is skipped by every workflow and credential of the n8n instance. Where it
 * came from is kept in `source`.
 *
 * Addresses are kept as given with the domain lower-cased and compared case-insensitively as a
 * whole (providers treat local parts case-insensitively in practice). A removed address leaves a
 * tombstone: a failure reported again by a later listing does not bring it back unless the failure
 * happened after the removal.
 */

export type SuppressionReason = 'hard-bounce' | 'complaint' | 'unsubscribe' | 'manual';

export const SUPPRESSION_REASONS: SuppressionReason[] = [
	'hard-bounce',
	'complaint',
	'unsubscribe',
	'manual',
];

export interface Suppression {
	/** The address: local part as recorded, domain lower-cased. */
	address: string;
	reason: SuppressionReason;
	/** The bounce reason and status (`userunknown 5.1.1`), the feedback type, or a note. */
	detail?: string;
	/** Who recorded it: `failed-deliveries smtp:<credential>`, `trigger ...`, `manual`. */
	source: string;
	/** When it was recorded (ISO 8601). */
	recordedAt: string;
	/** When the failure happened, as the report says (ISO 8601). */
	failedAt?: string;
	deliveryId?: string;
	messageId?: string;
}

/** What a store keeps: a removed suppression stays as a tombstone. */
export interface StoredSuppression extends Suppression {
	removedAt?: string;
}

export interface SuppressionStore {
	/** Where the list lives, for messages. */
	readonly where: string;
	/** Records suppressions; an address suppressed already keeps its first record. Returns how many are new. */
	record(entries: Suppression[]): Promise<number>;
	/** The active suppressions among `addresses` (any case). */
	find(addresses: string[]): Promise<Suppression[]>;
	/** Active suppressions, the most recently recorded first. */
	list(limit?: number): Promise<Suppression[]>;
	/** Lifts a suppression; returns what it was, undefined when the address was not suppressed. */
	remove(address: string, at?: Date): Promise<Suppression | undefined>;
	close(): Promise<void>;
}

/** The address as stored: trimmed, the domain lower-cased. */
export function normalAddress(address: string): string {
	const value = address.trim();
	const at = value.lastIndexOf('@');
	return at < 0 ? value : value.slice(0, at) + value.slice(at).toLowerCase();
}

/** The key an address is compared by: the whole address, lower-cased. */
export function suppressionKey(address: string): string {
	return address.trim().toLowerCase();
}

/**
 * What to store when `incoming` is recorded over `existing`; undefined: nothing changes. An active
 * suppression keeps its first record. Over a tombstone, what the user says (manual, unsubscribe)
 * counts again, a failure only if it happened after the removal.
 */
export function merged(
	existing: StoredSuppression | undefined,
	incoming: Suppression,
): StoredSuppression | undefined {
	const entry: Suppression = { ...incoming, address: normalAddress(incoming.address) };
	if (!existing) return entry;
	if (!existing.removedAt) return undefined;
	if (entry.reason === 'manual' || entry.reason === 'unsubscribe') return entry;
	const happened = Date.parse(entry.failedAt ?? '');
	return happened > Date.parse(existing.removedAt) ? entry : undefined;
}

/** The active entry without its tombstone field, or undefined for a tombstone. */
export function active(entry: StoredSuppression | undefined): Suppression | undefined {
	if (!entry || entry.removedAt) return undefined;
	const rest: StoredSuppression = { ...entry };
	delete rest.removedAt;
	return rest;
}

export function present(entries: Array<Suppression | undefined>): Suppression[] {
	return entries.filter((entry): entry is Suppression => entry !== undefined);
}

export function newestFirst(entries: Suppression[], limit?: number): Suppression[] {
	const sorted = [...entries].sort((a, b) => b.recordedAt.localeCompare(a.recordedAt));
	return limit === undefined ? sorted : sorted.slice(0, limit);
}

/** The suppression list in memory: for tests and for tools that need no persistence. */
export class MemorySuppressions implements SuppressionStore {
	readonly where = 'this process (memory)';
	private readonly entries = new Map<string, StoredSuppression>();

	async record(entries: Suppression[]): Promise<number> {
		let added = 0;
		for (const incoming of entries) {
			const key = suppressionKey(incoming.address);
			const next = merged(this.entries.get(key), incoming);
			if (!next) continue;
			this.entries.set(key, next);
			added++;
		}
		return added;
	}

	async find(addresses: string[]): Promise<Suppression[]> {
		const keys = [...new Set(addresses.map(suppressionKey))];
		return present(keys.map((key) => active(this.entries.get(key))));
	}

	async list(limit?: number): Promise<Suppression[]> {
		return newestFirst(present([...this.entries.values()].map(active)), limit);
	}

	async remove(address: string, at = new Date()): Promise<Suppression | undefined> {
		const key = suppressionKey(address);
		const was = active(this.entries.get(key));
		if (was) this.entries.set(key, { ...was, removedAt: at.toISOString() });
		return was;
	}

	async close(): Promise<void> {}
}
