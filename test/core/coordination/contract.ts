/**
 * The coordinator contract, run against each place the shared state can live. `make()` gives a new
 * coordinator on the same shared state (a second n8n process, another worker): what one of them
 * records, the other must see.
 */
import { randomUUID } from 'node:crypto';

import { DeliveryError } from '../../../core/errors';
import type { Coordinator } from '../../../core/coordination/types';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const proposal = (n = 1) => ({
	messageId: `dc-${n}@example.com`,
	deliveryId: `dc-${n}`,
	reservedAt: new Date().toISOString(),
});

export function coordinatorContract(
	make: () => Coordinator,
	opts: { sharedLimits: boolean },
): void {
	const made: Coordinator[] = [];
	const fresh = () => {
		const c = make();
		made.push(c);
		return c;
	};
	afterAll(async () => {
		for (const c of made) await c.close();
	});
	let scope: string;
	beforeEach(() => {
		scope = `test:${randomUUID()}`;
	});

	test('a key is reserved once; the holder confirms; later reservations see it sent with its Message-ID', async () => {
		const [a, b] = [fresh(), fresh()];
		const first = await a.reserve(scope, 'lead-1', proposal(1));
		expect(first.kind).toBe('reserved');
		const again = await b.reserve(scope, 'lead-1', proposal(2));
		expect(again.kind).toBe('pending');
		if (first.kind !== 'reserved') return;
		await a.confirm(scope, 'lead-1', first.token, {
			messageId: 'dc-1@example.com',
			sentAt: '2026-11-29T18:00:00.000Z',
		});
		const later = await b.reserve(scope, 'lead-1', proposal(3));
		expect(later).toMatchObject({
			kind: 'sent',
			entry: { state: 'sent', messageId: 'dc-1@example.com', sentAt: '2026-11-29T18:00:00.000Z' },
		});
		expect((await b.reserve(scope, 'lead-2', proposal(4))).kind).toBe('reserved');
	});

	test('only the holder releases or confirms; a released key can be reserved again', async () => {
		const [a, b] = [fresh(), fresh()];
		const first = await a.reserve(scope, 'k', proposal());
		if (first.kind !== 'reserved') throw new Error('not reserved');
		await b.release(scope, 'k', 'someone-else');
		await b.confirm(scope, 'k', 'someone-else', { messageId: 'x@y', sentAt: 'now' });
		expect((await b.reserve(scope, 'k', proposal())).kind).toBe('pending');
		await a.release(scope, 'k', first.token);
		expect((await b.reserve(scope, 'k', proposal())).kind).toBe('reserved');
	});

	test('a stale reservation is taken over only with its token, and only once', async () => {
		const [a, b, c] = [fresh(), fresh(), fresh()];
		const first = await a.reserve(scope, 'k', proposal(1));
		if (first.kind !== 'reserved') throw new Error('not reserved');
		expect(await b.takeOver(scope, 'k', 'wrong', proposal(2))).toBe(false);
		const [x, y] = await Promise.all([
			b.takeOver(scope, 'k', first.token, proposal(2)),
			c.takeOver(scope, 'k', first.token, proposal(3)),
		]);
		expect([x, y].filter(Boolean)).toHaveLength(1);
		// The first holder lost it: its confirmation changes nothing.
		await a.confirm(scope, 'k', first.token, { messageId: 'late@x', sentAt: 'now' });
		expect((await a.reserve(scope, 'k', proposal())).kind).toBe('pending');
	});

	test('50 racing reservations of one key: exactly one wins', async () => {
		const coordinators = [fresh(), fresh(), fresh()];
		const answers = await Promise.all(
			Array.from({ length: 50 }, (_, i) => coordinators[i % 3].reserve(scope, 'race', proposal(i))),
		);
		expect(answers.filter((a) => a.kind === 'reserved')).toHaveLength(1);
	});

	test('start: only the holder marks its reservation started, once; a taken-over holder cannot', async () => {
		const [a, b] = [fresh(), fresh()];
		const first = await a.reserve(scope, 'k', proposal(1), 60_000);
		if (first.kind !== 'reserved') throw new Error('not reserved');
		const seen = await b.reserve(scope, 'k', proposal(2), 60_000);
		expect(seen).toMatchObject({ kind: 'pending', entry: { leaseUntil: expect.any(Number) } });
		expect(seen.kind === 'pending' && seen.entry.startedAt).toBeUndefined();
		expect(await b.start(scope, 'k', 'someone-else')).toBe(false);
		expect(await a.start(scope, 'k', first.token)).toBe(true);
		expect(await a.start(scope, 'k', first.token)).toBe(true);
		expect(await b.reserve(scope, 'k', proposal(3), 60_000)).toMatchObject({
			kind: 'pending',
			entry: { token: first.token, startedAt: expect.any(String) },
		});
		// Started, it confirms as before; a started key cannot be started by a new token.
		await a.confirm(scope, 'k', first.token, { messageId: 'dc-1@example.com', sentAt: 'then' });
		expect((await b.reserve(scope, 'k', proposal(4))).kind).toBe('sent');

		const held = await a.reserve(scope, 'j', proposal(5), 60_000);
		if (held.kind !== 'reserved') throw new Error('not reserved');
		const taken = await b.takeOver(scope, 'j', held.token, proposal(6), 60_000);
		expect(taken).toEqual(expect.any(String));
		expect(await a.start(scope, 'j', held.token)).toBe(false);
		expect(await a.renew(scope, 'j', held.token, 60_000)).toBe(false);
		expect(await b.start(scope, 'j', taken as string)).toBe(true);
		expect(await a.start(scope, 'missing', held.token)).toBe(false);
	});

	test('a lease renewed keeps an unstarted reservation; one not renewed is taken over by the next reservation', async () => {
		const [a, b] = [fresh(), fresh()];
		const first = await a.reserve(scope, 'k', proposal(1), 1_000);
		if (first.kind !== 'reserved') throw new Error('not reserved');
		await pause(500);
		expect(await a.renew(scope, 'k', first.token, 1_000)).toBe(true);
		await pause(600);
		// 1.1 s after the reservation, 0.6 s after the renewal: still held.
		expect((await b.reserve(scope, 'k', proposal(2), 1_000)).kind).toBe('pending');
		await pause(700);
		const next = await b.reserve(scope, 'k', proposal(3), 1_000);
		expect(next).toMatchObject({ kind: 'reserved', replaced: { token: first.token } });
		// The old holder lost it: it can neither start, renew, confirm nor release it.
		expect(await a.start(scope, 'k', first.token)).toBe(false);
		expect(await a.renew(scope, 'k', first.token, 1_000)).toBe(false);
		await a.release(scope, 'k', first.token);
		await a.confirm(scope, 'k', first.token, { messageId: 'late@x', sentAt: 'now' });
		expect(await a.reserve(scope, 'k', proposal(4), 1_000)).toMatchObject({
			kind: 'pending',
			entry: { token: next.kind === 'reserved' ? next.token : '', messageId: 'dc-3@example.com' },
		});
	});

	test('a started reservation, or one without a lease (written before leases), is never taken over by a reservation', async () => {
		const [a, b] = [fresh(), fresh()];
		const started = await a.reserve(scope, 'started', proposal(1), 200);
		if (started.kind !== 'reserved') throw new Error('not reserved');
		expect(await a.start(scope, 'started', started.token)).toBe(true);
		expect(await a.renew(scope, 'started', started.token, 200)).toBe(true);
		expect((await a.reserve(scope, 'old', proposal(2))).kind).toBe('reserved');
		await pause(400);
		expect(await b.reserve(scope, 'started', proposal(3), 200)).toMatchObject({
			kind: 'pending',
			entry: { token: started.token },
		});
		const old = await b.reserve(scope, 'old', proposal(4), 200);
		expect(old.kind).toBe('pending');
		expect(old.kind === 'pending' && old.entry.leaseUntil).toBeUndefined();
	});

	test('racing reservations of an abandoned key: exactly one takes it over', async () => {
		const coordinators = [fresh(), fresh(), fresh()];
		expect((await coordinators[0].reserve(scope, 'race', proposal(0), 100)).kind).toBe('reserved');
		await pause(300);
		const answers = await Promise.all(
			Array.from({ length: 30 }, (_, i) =>
				coordinators[i % 3].reserve(scope, 'race', proposal(i), 60_000),
			),
		);
		expect(answers.filter((a) => a.kind === 'reserved')).toHaveLength(1);
	});

	test('daily caps: messages and recipients counted together, a refusal counts nothing and says when the day resets', async () => {
		const [a, b] = [fresh(), fresh()];
		const account = `acct:${scope}`;
		const limits = { messagesPerDay: 3, recipientsPerDay: 5 };
		expect(await a.countDaily(account, 2, limits)).toBeUndefined();
		expect(await b.countDaily(account, 2, limits)).toBeUndefined();
		const refused = await a.countDaily(account, 2, limits);
		expect(refused).toMatchObject({ limit: 'recipientsPerDay', cap: 5, used: 4 });
		const hours = (refused!.resetsAt.getTime() - Date.now()) / 3_600_000;
		expect(hours).toBeGreaterThan(23.9);
		expect(hours).toBeLessThanOrEqual(24);
		expect(await b.countDaily(account, 1, limits)).toBeUndefined();
		expect(await a.countDaily(account, 0, limits)).toMatchObject({
			limit: 'messagesPerDay',
			cap: 3,
			used: 3,
		});
		expect(await a.countDaily(account, 9, {})).toBeUndefined();
	});

	// Connection slots and the minute window are per process in the local coordinator: its
	// two-handle run checks only what the file shares.
	if (!opts.sharedLimits) return;

	test('connection slots: at most max held across coordinators; a release lets the next in; waits end with ERATELIMIT or a cancel', async () => {
		const [a, b] = [fresh(), fresh()];
		const account = `acct:${scope}`;
		const wait = { maxWaitMs: 10_000 };
		const r1 = await a.connectionSlot(account, 2, wait);
		const r2 = await b.connectionSlot(account, 2, wait);
		let third = false;
		const pending = b.connectionSlot(account, 2, wait).then((release) => {
			third = true;
			return release;
		});
		await new Promise((r) => setTimeout(r, 300));
		expect(third).toBe(false);
		await r1();
		await (
			await pending
		)();
		expect(third).toBe(true);
		await expect(a.connectionSlot(account, 1, { maxWaitMs: 200 })).rejects.toMatchObject({
			code: 'ERATELIMIT',
		});
		const controller = new AbortController();
		const cancelled = a.connectionSlot(account, 1, {
			maxWaitMs: 10_000,
			signal: controller.signal,
		});
		setTimeout(() => controller.abort(), 100);
		await expect(cancelled).rejects.toMatchObject({ code: 'ENOTSENT' });
		await r2();
		await (
			await a.connectionSlot(account, 1, { maxWaitMs: 1_000 })
		)();
	});

	test('messages per minute: N start at once, the next waits; a wait beyond the bound is ERATELIMIT, not a send', async () => {
		const [a, b] = [fresh(), fresh()];
		const account = `acct:${scope}`;
		for (const c of [a, b, a]) await c.messageSlot(account, 3, { maxWaitMs: 1_000 });
		const error = await b.messageSlot(account, 3, { maxWaitMs: 1_000 }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(DeliveryError);
		expect(error).toMatchObject({ code: 'ERATELIMIT', retryable: true });
		expect((error as Error).message).toMatch(/3 messages per minute/);
	});

	test('messages per minute: a place restamped when its message reached the server counts from then on', async () => {
		const [a, b] = [fresh(), fresh()];
		const account = `acct-restamp:${scope}`;
		const wait = { maxWaitMs: 100, windowMs: 1_500 };
		const late = await a.messageSlot(account, 2, wait);
		await b.messageSlot(account, 2, wait);
		await new Promise((resolve) => setTimeout(resolve, 1_000));
		// the first message left a second late (a busy event loop): it counts until 2.5 s, not 1.5 s
		await late.restamp();
		await new Promise((resolve) => setTimeout(resolve, 700));
		// at 1.7 s only the second place has left the window: one more fits, a second does not
		await a.messageSlot(account, 2, wait);
		const error = await b.messageSlot(account, 2, wait).catch((e: unknown) => e);
		expect(error).toMatchObject({ code: 'ERATELIMIT' });
	});
}
