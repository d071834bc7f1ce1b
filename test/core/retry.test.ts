/** The shared waiting code: sleep and cancel, Retry-After, the backoff schedule, bounded concurrency. */
import { backoffMs, mapBounded, MAX_WAIT_MS, retryAfterMs, sleep } from '../../core/retry';

describe('sleep', () => {
	test('waits, and ends at once with the reason when the signal aborts', async () => {
		const started = Date.now();
		await sleep(20);
		expect(Date.now() - started).toBeGreaterThanOrEqual(15);

		const controller = new AbortController();
		const reason = new Error('cancelled');
		const waiting = sleep(60_000, controller.signal);
		controller.abort(reason);
		await expect(waiting).rejects.toBe(reason);
	});

	test('an aborted signal rejects before any wait', async () => {
		const controller = new AbortController();
		controller.abort(new Error('gone'));
		await expect(sleep(60_000, controller.signal)).rejects.toThrow('gone');
	});
});

test('Retry-After: seconds or an HTTP date, past dates are now, anything else unknown', () => {
	expect(retryAfterMs('3')).toBe(3000);
	expect(retryAfterMs(' 7 ', 0)).toBe(7000);
	expect(retryAfterMs('1.5')).toBe(1500);
	expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
	expect(retryAfterMs(new Date(1_000).toUTCString(), 4_000)).toBe(0);
	expect(retryAfterMs('soon')).toBeUndefined();
	expect(retryAfterMs('')).toBeUndefined();
	expect(retryAfterMs(undefined)).toBeUndefined();
	expect(retryAfterMs(null)).toBeUndefined();
	expect(MAX_WAIT_MS).toBe(60_000);
});

test('backoff doubles from the base, jitters on the upper half and stops at the cap', () => {
	const schedule = { baseMs: 1000, capMs: 32000 };
	expect(backoffMs(1, { ...schedule, random: () => 0 })).toBe(500);
	expect(backoffMs(1, { ...schedule, random: () => 1 })).toBe(1000);
	expect(backoffMs(3, { ...schedule, random: () => 1 })).toBe(4000);
	expect(backoffMs(20, { ...schedule, random: () => 1 })).toBe(32000);
	expect(backoffMs(20, { ...schedule, random: () => 0 })).toBe(16000);
});

test('mapBounded keeps at most `limit` tasks running and the results in order', async () => {
	let running = 0;
	let most = 0;
	const results = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (value, index) => {
		running++;
		most = Math.max(most, running);
		await new Promise((resolve) => setTimeout(resolve, value));
		running--;
		return `${index}:${value}`;
	});
	expect(most).toBe(2);
	expect(results).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3', '5:0']);
	expect(await mapBounded([], 3, async () => 1)).toEqual([]);
});
