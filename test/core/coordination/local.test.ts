import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { LocalCoordinator } from '../../../core/coordination/local';
import { SlidingWindows } from '../../../core/coordination/memory';
import { coordinatorContract } from './contract';

const dir = mkdtempSync(join(tmpdir(), 'dc-coord-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('LocalCoordinator: two handles on one SQLite file (two n8n processes, one user folder)', () => {
	// The ledger and the daily counts live in the file; connection slots and the minute window are
	// per process by design, so they are checked on one handle below.
	coordinatorContract(() => new LocalCoordinator(join(dir, 'shared.sqlite')), {
		sharedLimits: false,
	});
});

describe('LocalCoordinator: limits within one process', () => {
	coordinatorContract(
		(() => {
			const one = new LocalCoordinator(join(dir, 'one.sqlite'));
			return () => one;
		})(),
		{ sharedLimits: true },
	);
});

describe('LocalCoordinator: the ledger survives a restart and forgets keys after the retention period', () => {
	test('a confirmed key is still there for a new handle; after 45 days it is free', async () => {
		let now = Date.now();
		const file = join(dir, 'restart.sqlite');
		const first = new LocalCoordinator(file, () => now);
		const r = await first.reserve('s', 'k', {
			messageId: 'm@x',
			deliveryId: 'dc-1',
			reservedAt: 'then',
		});
		if (r.kind !== 'reserved') throw new Error('not reserved');
		await first.confirm('s', 'k', r.token, { messageId: 'm@x', sentAt: 'then' });
		await first.close();
		const second = new LocalCoordinator(file, () => now);
		expect(
			await second.reserve('s', 'k', { messageId: 'n@x', deliveryId: 'dc-2', reservedAt: 'now' }),
		).toMatchObject({
			kind: 'sent',
			entry: { messageId: 'm@x' },
		});
		now += 44 * 86_400_000;
		expect(
			(await second.reserve('s', 'k', { messageId: 'n@x', deliveryId: 'dc-2', reservedAt: 'now' }))
				.kind,
		).toBe('sent');
		now += 2 * 86_400_000;
		expect(
			(await second.reserve('s', 'k', { messageId: 'n@x', deliveryId: 'dc-2', reservedAt: 'now' }))
				.kind,
		).toBe('reserved');
		await second.close();
	});

	test('a daily window starts again 24 hours after its first message', async () => {
		let now = Date.now();
		const c = new LocalCoordinator(join(dir, 'daily.sqlite'), () => now);
		expect(await c.countDaily('a', 1, { messagesPerDay: 1 })).toBeUndefined();
		expect(await c.countDaily('a', 1, { messagesPerDay: 1 })).toMatchObject({
			resetsAt: new Date(now + 86_400_000),
		});
		now += 86_400_000;
		expect(await c.countDaily('a', 1, { messagesPerDay: 1 })).toBeUndefined();
		await c.close();
	});
});

describe('SlidingWindows', () => {
	test('no more than N starts in any 60 seconds: the N+1th waits for the oldest to leave the window', async () => {
		let now = 1_000_000;
		const windows = new SlidingWindows(() => now);
		await windows.take('a', 2, { maxWaitMs: 0 });
		now += 30_000;
		await windows.take('a', 2, { maxWaitMs: 0 });
		now += 29_000;
		await expect(windows.take('a', 2, { maxWaitMs: 500 })).rejects.toMatchObject({
			code: 'ERATELIMIT',
		});
		now += 1_001;
		await windows.take('a', 2, { maxWaitMs: 0 });
		await windows.take('b', 2, { maxWaitMs: 0 });
	});

	test('a longer window (room for the trip to a server that counts itself) holds starts longer', async () => {
		let now = 1_000_000;
		const windows = new SlidingWindows(() => now);
		await windows.take('a', 1, { maxWaitMs: 0, windowMs: 61_000 });
		now += 60_500;
		await expect(windows.take('a', 1, { maxWaitMs: 0, windowMs: 61_000 })).rejects.toMatchObject({
			code: 'ERATELIMIT',
		});
		await windows.take('a', 1, { maxWaitMs: 0 });
	});
});
