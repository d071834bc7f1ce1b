import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { sendOnce, type IdempotentSendRequest } from '../../../core/coordination/idempotent';
import { LocalCoordinator } from '../../../core/coordination/local';
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
	send: () => Promise<SendResult>,
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
