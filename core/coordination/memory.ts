/**
 * In-process limits: connection slots (a counting semaphore per account, first come first served)
 * and the per-minute window (no more than N starts in any 60 seconds). Shared by every execution of
 * one n8n process because the coordinator that holds them is process-wide.
 */
import { DeliveryError } from '../errors';
import { sleep } from '../retry';
import type { MessagePlace, WaitOptions } from './types';

export const MINUTE_MS = 60_000;

/** The error for a wait that would take longer than the caller allows. */
export function waitTooLong(what: string, waitMs: number, maxWaitMs: number): DeliveryError {
	return new DeliveryError(
		`Not sent: waiting for ${what} would take ${Math.ceil(waitMs / 1000)} s, longer than the ${Math.round(maxWaitMs / 1000)} s ` +
			'a send may wait',
		{
			code: 'ERATELIMIT',
			retryable: true,
			hint: 'Other executions are using the same account at the limit. Send fewer at once or raise the limit if the provider allows it.',
		},
	);
}

export function cancelledWhileWaiting(): DeliveryError {
	return new DeliveryError(
		'Not sent: the execution was cancelled while the send waited for its turn',
		{
			code: 'ENOTSENT',
		},
	);
}

interface Waiter {
	grant: () => void;
	fail: (error: unknown) => void;
}

export class LocalSemaphores {
	private readonly held = new Map<string, number>();
	private readonly queues = new Map<string, Waiter[]>();

	acquire(account: string, max: number, wait: WaitOptions): Promise<() => Promise<void>> {
		if (wait.signal?.aborted) return Promise.reject(cancelledWhileWaiting());
		const release = this.releaser(account);
		if ((this.held.get(account) ?? 0) < max && !this.queues.get(account)?.length) {
			this.held.set(account, (this.held.get(account) ?? 0) + 1);
			return Promise.resolve(release);
		}
		return new Promise((resolve, reject) => {
			const queue = this.queues.get(account) ?? [];
			this.queues.set(account, queue);
			const done = () => {
				clearTimeout(timer);
				wait.signal?.removeEventListener('abort', onAbort);
				const index = queue.indexOf(waiter);
				if (index >= 0) queue.splice(index, 1);
			};
			const waiter: Waiter = {
				grant: () => {
					done();
					resolve(release);
				},
				fail: (error) => {
					done();
					reject(error);
				},
			};
			const onAbort = () => waiter.fail(cancelledWhileWaiting());
			const timer = setTimeout(
				() => waiter.fail(waitTooLong(`one of ${max} connections`, wait.maxWaitMs, wait.maxWaitMs)),
				wait.maxWaitMs,
			);
			wait.signal?.addEventListener('abort', onAbort, { once: true });
			queue.push(waiter);
		});
	}

	private releaser(account: string): () => Promise<void> {
		let released = false;
		return async () => {
			if (released) return;
			released = true;
			const next = this.queues.get(account)?.[0];
			// The slot passes straight to the next in line, so the count stays the same.
			if (next) next.grant();
			else this.held.set(account, Math.max(0, (this.held.get(account) ?? 1) - 1));
		};
	}
}

export class SlidingWindows {
	private readonly starts = new Map<string, Array<{ at: number }>>();

	constructor(private readonly now: () => number = Date.now) {}

	async take(account: string, perMinute: number, wait: WaitOptions): Promise<MessagePlace> {
		const deadline = this.now() + wait.maxWaitMs;
		for (;;) {
			if (wait.signal?.aborted) throw cancelledWhileWaiting();
			const now = this.now();
			const windowMs = wait.windowMs ?? MINUTE_MS;
			const recent = (this.starts.get(account) ?? []).filter((place) => place.at > now - windowMs);
			this.starts.set(account, recent);
			if (recent.length < perMinute) {
				const place = { at: now };
				recent.push(place);
				return {
					restamp: async () => {
						place.at = Math.max(place.at, this.now());
						// keep the list in time order: the oldest place is the one that leaves first
						this.starts.get(account)?.sort((x, y) => x.at - y.at);
					},
				};
			}
			const due = recent[recent.length - perMinute].at + windowMs;
			if (due > deadline)
				throw waitTooLong(
					`a free place among ${perMinute} messages per minute`,
					due - now,
					wait.maxWaitMs,
				);
			try {
				await sleep(due - now + 1, wait.signal);
			} catch {
				throw cancelledWhileWaiting();
			}
		}
	}
}
