import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { sendOnce, type IdempotentSendRequest } from '../../../core/coordination/idempotent';
import { LocalCoordinator } from '../../../core/coordination/local';
import { beforeTransmit } from '../../../core/coordination/transmit';
import { DeliveryError } from '../../../core/errors';
import type { SendResult } from '../../../core/model';

const dir = mkdtempSync(join(tmpdir(), 'dc-once-'));
const ledger = new LocalCoordinator(join(dir, 'ledger.sqlite'));
afterAll(async () => {
	await ledger.close();
	rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function request(
	key: string,
	send: IdempotentSendRequest['send'],
	extra: Partial<IdempotentSendRequest> = {},
): IdempotentSendRequest {
	n += 1;
	return {
		ledger,
		scope: 'smtp:cred',
		key,
		messageId: `<dc-${n}@x>`,
		deliveryId: `dc-${n}`,
		send,
		pendingWaitMs: 0,
		...extra,
	};
}
const sent = (messageId = '<m@x>'): SendResult => ({
	messageId,
	accepted: ['a@b.c'],
	rejected: [],
	fromUsed: 'x',
	response: '250',
	warnings: [],
});

test('the second send with a key sends nothing and reports the first one', async () => {
	const send = jest.fn(async () => sent('<first@x>'));
	const first = await sendOnce(request('k1', send));
	expect(first.kind).toBe('sent');
	const second = await sendOnce(request('k1', send));
	expect(second).toMatchObject({
		kind: 'duplicate',
		entry: { state: 'sent', messageId: '<first@x>' },
	});
	expect(send).toHaveBeenCalledTimes(1);
});

test('a failure that sent nothing frees the key; the next attempt sends', async () => {
	const failing = jest.fn(async () => {
		throw new DeliveryError('refused', { code: 'EENVELOPE' });
	});
	await expect(sendOnce(request('k2', failing))).rejects.toMatchObject({ code: 'EENVELOPE' });
	const send = jest.fn(async () => sent());
	expect((await sendOnce(request('k2', send))).kind).toBe('sent');
	expect(send).toHaveBeenCalledTimes(1);
});

test('after an unknown outcome the key stays taken: EUNKNOWN without a look-up, a send only when Sent proves it absent', async () => {
	await expect(
		sendOnce(
			request('k3', async () => Promise.reject(new DeliveryError('lost', { code: 'EUNKNOWN' }))),
		),
	).rejects.toMatchObject({ code: 'EUNKNOWN' });
	const send = jest.fn(async () => sent());
	const error = await sendOnce(request('k3', send)).catch((e: unknown) => e);
	expect(error).toMatchObject({ code: 'EUNKNOWN', context: { idempotencyKey: 'k3' } });
	expect((error as Error).message).toMatch(/never confirmed/);
	expect(
		await sendOnce(request('k3', send, { findSent: async () => undefined })).catch(
			(e: DeliveryError) => e.code,
		),
	).toBe('EUNKNOWN');
	expect(send).not.toHaveBeenCalled();
	expect((await sendOnce(request('k3', send, { findSent: async () => false }))).kind).toBe('sent');
	expect(send).toHaveBeenCalledTimes(1);
	expect((await sendOnce(request('k3', send))).kind).toBe('duplicate');
});

test('found in Sent: a duplicate, recorded, not sent', async () => {
	await sendOnce(
		request('k4', async () => Promise.reject(new DeliveryError('lost', { code: 'EUNKNOWN' }))),
	).catch(() => undefined);
	const send = jest.fn(async () => sent());
	expect((await sendOnce(request('k4', send, { findSent: async () => true }))).kind).toBe(
		'duplicate',
	);
	expect((await sendOnce(request('k4', send))).kind).toBe('duplicate');
	expect(send).not.toHaveBeenCalled();
});

test('two executions with one key at the same time: one sends, the other waits for it and reports a duplicate', async () => {
	let calls = 0;
	const slow = async () => {
		calls += 1;
		await new Promise((r) => setTimeout(r, 700));
		return sent('<slow@x>');
	};
	const [a, b] = await Promise.all([
		sendOnce(request('k5', slow, { pendingWaitMs: 5_000 })),
		sendOnce(request('k5', slow, { pendingWaitMs: 5_000 })),
	]);
	expect(calls).toBe(1);
	expect([a.kind, b.kind].sort()).toEqual(['duplicate', 'sent']);
});

describe('leases: only a holder that may have transmitted leaves an unknown outcome', () => {
	const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
	const reservation = (n: number) => ({
		messageId: `<dead-${n}@x>`,
		deliveryId: `dead-${n}`,
		reservedAt: new Date().toISOString(),
	});
	/** A channel's send: waits for its turn, marks the transmit, then transmits (counted). */
	function channel(waitMs = 0) {
		const transmitted: string[] = [];
		const send = jest.fn(async ({ beforeTransmit }: { beforeTransmit(): Promise<void> }) => {
			await pause(waitMs);
			await beforeTransmit();
			transmitted.push('message');
			return sent('<live@x>');
		});
		return { send, transmitted };
	}

	test('a holder killed while it waited for its turn (never started, no longer renewing) is taken over: sent once, no EUNKNOWN', async () => {
		// What a worker killed before it transmitted leaves: an unstarted reservation, not renewed.
		expect((await ledger.reserve('smtp:cred', 'k6', reservation(6), 300)).kind).toBe('reserved');
		const { send, transmitted } = channel();
		const outcome = await sendOnce(
			request('k6', send, { marksTransmit: true, turnWaitMs: 5_000, leaseMs: 300 }),
		);
		expect(outcome.kind).toBe('sent');
		expect(transmitted).toHaveLength(1);
		expect((await sendOnce(request('k6', send, { marksTransmit: true }))).kind).toBe('duplicate');
		expect(send).toHaveBeenCalledTimes(1);
	});

	test('a holder that started and died: EUNKNOWN as before, nothing sent', async () => {
		const dead = await ledger.reserve('smtp:cred', 'k7', reservation(7), 100);
		if (dead.kind !== 'reserved') throw new Error('not reserved');
		expect(await ledger.start('smtp:cred', 'k7', dead.token)).toBe(true);
		await pause(200);
		const { send } = channel();
		const error = await sendOnce(request('k7', send, { marksTransmit: true })).catch(
			(e: unknown) => e,
		);
		expect(error).toMatchObject({
			code: 'EUNKNOWN',
			context: { idempotencyKey: 'k7', startedAt: expect.any(String) },
		});
		expect(send).not.toHaveBeenCalled();
	});

	test('a holder whose reservation was taken over (it stalled past its lease) gets ENOTSENT from beforeTransmit and transmits nothing', async () => {
		const stalled = jest.fn(async () => {
			await pause(700);
			// Reached through the send's scope, as a channel deep in its stack calls it.
			await beforeTransmit();
			return sent('<stalled@x>');
		});
		// Renewals far apart: the holder looks dead after 300 ms.
		const first = sendOnce(
			request('k8', stalled, { marksTransmit: true, leaseMs: 300, renewEveryMs: 60_000 }),
		).catch((e: unknown) => e);
		await pause(400);
		const { send, transmitted } = channel();
		expect((await sendOnce(request('k8', send, { marksTransmit: true }))).kind).toBe('sent');
		const error = await first;
		expect(error).toBeInstanceOf(DeliveryError);
		expect(error).toMatchObject({ code: 'ENOTSENT', context: { idempotencyKey: 'k8' } });
		expect((error as Error).message).toMatch(
			/lapsed .* took the key over, so this one sends nothing/,
		);
		expect(transmitted).toHaveLength(1);
		// The stalled holder's failure did not free the key the other one confirmed.
		expect((await sendOnce(request('k8', send))).kind).toBe('duplicate');
	});

	test('renewals keep a slow holder (waiting for its turn) its key: a second attempt waits and reports a duplicate', async () => {
		const renew = jest.spyOn(ledger, 'renew');
		const slow = channel(900);
		const first = sendOnce(
			request('k9', slow.send, { marksTransmit: true, leaseMs: 300, renewEveryMs: 50 }),
		);
		await pause(400);
		const other = channel();
		const second = await sendOnce(
			request('k9', other.send, { marksTransmit: true, pendingWaitMs: 5_000, turnWaitMs: 5_000 }),
		);
		expect((await first).kind).toBe('sent');
		expect(second.kind).toBe('duplicate');
		expect(slow.transmitted).toHaveLength(1);
		expect(other.send).not.toHaveBeenCalled();
		// Renewed while it waited; no renewal after it started or ended.
		const renewals = renew.mock.calls.length;
		expect(renewals).toBeGreaterThan(5);
		await pause(200);
		expect(renew.mock.calls.length).toBe(renewals);
		renew.mockRestore();
	});

	test('a send that does not mark its transmit is started before it is called; one that does, only at its mark', async () => {
		const peek = async (key: string) => {
			const seen = await ledger.reserve('smtp:cred', key, reservation(0));
			if (seen.kind !== 'pending') throw new Error(`not pending: ${seen.kind}`);
			return seen.entry;
		};
		const states: Array<string | undefined> = [];
		await sendOnce(
			request('k10', async () => {
				states.push((await peek('k10')).startedAt);
				return sent();
			}),
		);
		await sendOnce(
			request(
				'k11',
				async ({ beforeTransmit: mark }) => {
					states.push((await peek('k11')).startedAt);
					await mark();
					await mark();
					states.push((await peek('k11')).startedAt);
					return sent();
				},
				{ marksTransmit: true },
			),
		);
		expect(states).toEqual([expect.any(String), undefined, expect.any(String)]);
	});

	test('another attempt that still waits for its turn past the longest wait: ENOTSENT, not EUNKNOWN; nothing sent', async () => {
		const waiting = await ledger.reserve('smtp:cred', 'k12', reservation(12), 60_000);
		expect(waiting.kind).toBe('reserved');
		const { send } = channel();
		const error = await sendOnce(
			request('k12', send, { marksTransmit: true, turnWaitMs: 600 }),
		).catch((e: unknown) => e);
		expect(error).toMatchObject({ code: 'ENOTSENT', retryable: true });
		expect((error as Error).message).toMatch(/still waiting for its turn/);
		expect(send).not.toHaveBeenCalled();
	});
});
