/**
 * Waiting between attempts, shared by every channel and the router: a sleep that a cancel ends at
 * once, the server's Retry-After read one way everywhere, one backoff schedule, and one way to run
 * tasks with a bounded number in flight. Pure timing code: the callers decide what to retry.
 */

/** Waits `ms`; rejects with the signal's reason as soon as `signal` aborts (a cancelled execution). */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) =>
	new Promise((resolve, reject) => {
		if (signal?.aborted) {
			reject(signal.reason);
			return;
		}
		const onAbort = () => {
			clearTimeout(timer);
			reject(signal!.reason);
		};
		const timer = setTimeout(
			() => {
				signal?.removeEventListener('abort', onAbort);
				resolve();
			},
			Math.max(0, ms),
		);
		signal?.addEventListener('abort', onAbort, { once: true });
	});

/**
 * The longest a workflow step sits out one wait a server asked for (Retry-After). A longer request
 * (a 503 with Retry-After: 86400, a rate limit minutes away) is not slept through: the call gives up
 * and says how long the server asked to wait.
 */
export const MAX_WAIT_MS = 60_000;

/**
 * A Retry-After header (seconds, or an HTTP date) in milliseconds from `now`; undefined when absent
 * or unreadable. A date in the past means "now" (0).
 */
export function retryAfterMs(
	header: string | null | undefined,
	now = Date.now(),
): number | undefined {
	const value = (header ?? '').trim();
	if (!value) return undefined;
	if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
	const at = Date.parse(value);
	return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface BackoffSchedule {
	/** The wait after the first failure, before jitter. */
	baseMs: number;
	/** The longest wait, before jitter; doubling stops here. */
	capMs: number;
	random?: () => number;
}

/**
 * Exponential backoff with jitter on the upper half: attempt 1 waits 0.5–1 × base, attempt 2
 * 1–2 × base, and so on up to the cap. The jitter keeps items that failed together from all
 * coming back at the same moment.
 */
export function backoffMs(
	attempt: number,
	{ baseMs, capMs, random = Math.random }: BackoffSchedule,
): number {
	const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
	return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Runs `task` for every value with at most `limit` running at once, taking the values in order;
 * the results keep the values' order.
 */
export async function mapBounded<T, R>(
	values: readonly T[],
	limit: number,
	task: (value: T, index: number) => Promise<R>,
): Promise<R[]> {
	const results: R[] = new Array(values.length);
	let next = 0;
	const worker = async () => {
		while (next < values.length) {
			const index = next++;
			results[index] = await task(values[index], index);
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, values.length) }, worker));
	return results;
}
