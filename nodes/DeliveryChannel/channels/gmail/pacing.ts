/**
 * Pacing for Gmail's per-user quota: a token bucket in quota units (users.messages.send costs 100,
 * a list or get 5) shared by every request of one execution.
 * Pure timing code with injectable clock and sleep, so it is tested without waiting.
 */
import { sleep as realSleep, type Sleep } from '../../../../core/retry';

export class TokenBucket {
	private tokens: number;
	private last: number;
	/** Share of the configured rate in use: lowered on each rate-limit answer, raised again on success. */
	private factor = 1;
	private pausedUntil = 0;
	/** Takers are served in order, so a send is never starved by a stream of cheap reads. */
	private queue: Promise<void> = Promise.resolve();

	/**
	 * @param unitsPerMinute the steady rate
	 * @param capacity the largest burst, in units; at least one send
	 */
	constructor(
		readonly unitsPerMinute: number,
		readonly capacity: number,
		private readonly now: () => number = Date.now,
		private readonly sleep: Sleep = realSleep,
	) {
		this.tokens = capacity;
		this.last = now();
	}

	/** Resolves when `units` may be spent; rejects when `signal` aborts first. */
	take(units: number, signal?: AbortSignal): Promise<void> {
		const turn = this.queue.then(() => this.wait(Math.min(units, this.capacity), signal));
		this.queue = turn.catch(() => undefined);
		return turn;
	}

	/**
	 * Nothing goes out before `ms` from now (Google said "retry after"), and the bucket starts empty
	 * again then: the server's own count is what ran out.
	 */
	pause(ms: number): void {
		const until = this.now() + ms;
		if (until > this.pausedUntil) {
			this.pausedUntil = until;
			this.tokens = 0;
			this.last = until;
		}
	}

	/**
	 * Google said "rate limit" although we kept to the configured pace: someone else uses the same
	 * user's quota, or Google is strict right now. Slow down (by 10 % each time, down to 10 % of the rate), and
	 * give back the units of the refused request, which Google did not count.
	 */
	slowDown(refundUnits = 0): void {
		this.factor = Math.max(0.1, this.factor * 0.9);
		this.tokens = Math.min(this.capacity, this.tokens + refundUnits);
	}

	/** A request went through: recover towards the configured rate (additively). */
	speedUp(): void {
		if (this.factor < 1) this.factor = Math.min(1, this.factor + 0.02);
	}

	get currentUnitsPerMinute(): number {
		return this.unitsPerMinute * this.factor;
	}

	private refill(now: number): void {
		if (now > this.last) {
			this.tokens = Math.min(
				this.capacity,
				this.tokens + ((now - this.last) * this.currentUnitsPerMinute) / 60_000,
			);
			this.last = now;
		}
	}

	private async wait(units: number, signal?: AbortSignal): Promise<void> {
		for (;;) {
			if (signal?.aborted) throw signal.reason;
			const now = this.now();
			if (now < this.pausedUntil) {
				await this.sleep(this.pausedUntil - now, signal);
				continue;
			}
			this.refill(now);
			if (this.tokens >= units) {
				this.tokens -= units;
				return;
			}
			await this.sleep(
				Math.ceil(((units - this.tokens) * 60_000) / this.currentUnitsPerMinute),
				signal,
			);
		}
	}
}
