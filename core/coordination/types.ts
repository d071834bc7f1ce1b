/**
 * What sends share beyond one execution: the idempotency ledger (a key never sends twice) and the
 * sending limits of an account (connections, messages per minute, recipients and messages per day).
 * One contract, two places it can live: this n8n process plus a SQLite file in the n8n user folder
 * (`local`), or Redis, the broker n8n queue mode already runs (`redis`), shared by every worker.
 */

/** A ledger entry: the state of one idempotency key. */
export interface LedgerEntry {
	/** `reserved`: a send started and has not confirmed; `sent`: the key's email went out. */
	state: 'reserved' | 'sent';
	/** The Message-ID the key's email has (or had when reserved), without angle brackets. */
	messageId: string;
	deliveryId: string;
	/** When the send was reserved (ISO 8601). */
	reservedAt: string;
	/** When the send was confirmed (ISO 8601), for `sent`. */
	sentAt?: string;
	/** Who holds a reservation: a random token of the attempt that made it. */
	token: string;
	/**
	 * When the holder began transmitting (ISO 8601), after all its waits: from then on the email may
	 * have gone out. A reservation without it never transmitted anything.
	 */
	startedAt?: string;
	/**
	 * Until when an unstarted reservation holds without its holder renewing it (ms since 1970, on the
	 * ledger's clock: Redis's in queue mode). Once it has passed, the holder is gone (a killed worker)
	 * and the next reservation takes the key over. An entry without it (written before leases, or
	 * reserved without one) counts as started: it may have gone out.
	 */
	leaseUntil?: number;
	/** Facts of the confirmed send worth repeating on a duplicate (accepted recipients, channel id). */
	details?: Record<string, unknown>;
}

/** What a reservation records about the send it makes room for. */
export type LedgerProposal = Omit<LedgerEntry, 'state' | 'token' | 'startedAt' | 'leaseUntil'>;

/** The answer to a reservation. */
export type Reservation =
	/**
	 * The key is ours: send, then `confirm` or `release`. `replaced`: the abandoned reservation this
	 * one took the key over from (its holder never started and stopped renewing its lease).
	 */
	| { kind: 'reserved'; token: string; replaced?: LedgerEntry }
	/** The key's email was sent before: do not send. */
	| { kind: 'sent'; entry: LedgerEntry }
	/**
	 * Another attempt holds the key and has not confirmed: still waiting for its turn (not started,
	 * lease alive), transmitting now, or crashed after it started (the outcome is unknown).
	 */
	| { kind: 'pending'; entry: LedgerEntry };

export interface Ledger {
	/**
	 * Claims `key` in `scope` for one send, unless it is claimed or used already. With `leaseMs` the
	 * reservation holds that long unless renewed or started. A reservation that never started and
	 * whose lease has passed is abandoned: this takes it over (in the same atomic step).
	 */
	reserve(
		scope: string,
		key: string,
		proposal: LedgerProposal,
		leaseMs?: number,
	): Promise<Reservation>;
	/**
	 * The holder begins transmitting: marks the reservation started, only while `token` still holds
	 * it (false when it was taken over or released). Started once, started: calling again is true.
	 */
	start(scope: string, key: string, token: string): Promise<boolean>;
	/**
	 * The holder is alive: its unstarted reservation holds `leaseMs` from now. False when `token`
	 * no longer holds it.
	 */
	renew(scope: string, key: string, token: string, leaseMs: number): Promise<boolean>;
	/** The reservation's email went out (or may have: confirmed with `sent` all the same). */
	confirm(
		scope: string,
		key: string,
		token: string,
		sent: Pick<LedgerEntry, 'messageId' | 'sentAt' | 'details'>,
	): Promise<void>;
	/** Nothing left for the reservation: the key is free again. Only its holder can release it. */
	release(scope: string, key: string, token: string): Promise<void>;
	/**
	 * Takes over another attempt's unconfirmed reservation after a look-up proved its email absent.
	 * Fails (false) when the entry changed meanwhile. `leaseMs` as for `reserve`.
	 */
	takeOver(
		scope: string,
		key: string,
		staleToken: string,
		proposal: LedgerProposal,
		leaseMs?: number,
	): Promise<string | false>;
}

/** An account's limits; a missing or 0 value is no limit. */
export interface SendingLimits {
	maxConnections?: number;
	messagesPerMinute?: number;
	messagesPerDay?: number;
	recipientsPerDay?: number;
	/** To, CC and BCC together in one message; a message over it is not sent (an input error). */
	recipientsPerMessage?: number;
}

/** A daily count that would pass its cap: not sent, and when the count starts again. */
export interface QuotaRefusal {
	limit: 'messagesPerDay' | 'recipientsPerDay';
	cap: number;
	used: number;
	resetsAt: Date;
}

export interface Limiter {
	/**
	 * Waits for one of `max` connection slots of `account`; resolves with the way to give it back.
	 * Gives up with ERATELIMIT after `maxWaitMs`; a cancel ends the wait at once.
	 */
	connectionSlot(account: string, max: number, wait: WaitOptions): Promise<() => Promise<void>>;
	/**
	 * Says that this process waits for one of `account`'s connection slots, until the returned
	 * function withdraws it, so a process keeping an idle connection of the account frees its slot.
	 * Only a coordinator shared by several processes has it: within one process a waiting pool is
	 * handed a kept connection directly.
	 */
	announceSlotWait?(account: string): () => void;
	/**
	 * Whether a process waits for one of `account`'s connection slots. Within one process a waiting
	 * pool is handed a kept connection directly, so a waiter seen here is one another process has.
	 */
	slotWanted?(account: string): Promise<boolean>;
	/**
	 * Waits until one more message keeps `account` within `perMinute` in any 60 seconds; resolves
	 * with the way to move the message's place to the moment it reached the server (`restamp`), so a
	 * message that left late (a busy event loop) is counted as long as the server counts it.
	 */
	messageSlot(account: string, perMinute: number, wait: WaitOptions): Promise<MessagePlace>;
	/**
	 * Counts one message to `recipients` against the daily caps, or refuses without counting. Days
	 * are 24-hour windows that start with the first message counted.
	 */
	countDaily(
		account: string,
		recipients: number,
		limits: SendingLimits,
	): Promise<QuotaRefusal | undefined>;
}

/** A message's place in its account's per-minute window. */
export interface MessagePlace {
	/** Counts the message from now on (after its transaction); a place already gone is left alone. */
	restamp(): Promise<void>;
}

export interface WaitOptions {
	signal?: AbortSignal;
	/** The longest wait before giving up. */
	maxWaitMs: number;
	/**
	 * For `messageSlot`: the window the count holds in (default 60 s). A little more than a minute
	 * leaves room for the time a message takes to reach a server that counts per minute itself.
	 */
	windowMs?: number;
}

export interface Coordinator extends Ledger, Limiter {
	/** Where the state lives, for messages: `this n8n process and <file>`, `Redis at host:port`. */
	readonly where: string;
	readonly kind: 'local' | 'redis';
	close(): Promise<void>;
}
