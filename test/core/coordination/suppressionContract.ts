/**
 * What every suppression store must do (memory, SQLite, Redis): the same cases run against each,
 * through two handles on the same place where the store is shared (two processes, two workers).
 */
import type { Suppression, SuppressionStore } from '../../../core/coordination';

export interface StorePair {
	/** Two handles on one list (the same handle twice for memory). */
	first: SuppressionStore;
	second: SuppressionStore;
}

function entry(address: string, extra: Partial<Suppression> = {}): Suppression {
	return {
		address,
		reason: 'hard-bounce',
		detail: 'userunknown 5.1.1',
		source: 'Failed Deliveries (smtp:cred-1)',
		recordedAt: '2026-11-30T00:00:00.000Z',
		failedAt: '2026-11-29T23:59:00.000Z',
		deliveryId: 'dc-1',
		messageId: '<dc-1@example.com>',
		...extra,
	};
}

export function suppressionContract(open: () => Promise<StorePair>, close: () => Promise<void>) {
	let stores: StorePair;
	beforeEach(async () => {
		stores = await open();
	});
	afterEach(close);

	it('records an address once, domain lower-cased, found in any case through the other handle', async () => {
		expect(await stores.first.record([entry('Jane.Doe@Example.ORG')])).toBe(1);
		expect(
			await stores.second.record([entry('jane.doe@example.org', { reason: 'complaint' })]),
		).toBe(0);
		const found = await stores.second.find(['JANE.DOE@EXAMPLE.ORG', 'other@example.org']);
		expect(found).toEqual([{ ...entry('Jane.Doe@example.org') }]);
	});

	it('lists the most recent first, with a limit', async () => {
		await stores.first.record([
			entry('a@example.org', { recordedAt: '2026-11-01T00:00:00.000Z' }),
			entry('b@example.org', { recordedAt: '2026-11-03T00:00:00.000Z', reason: 'unsubscribe' }),
			entry('c@example.org', { recordedAt: '2026-11-02T00:00:00.000Z', reason: 'manual' }),
		]);
		expect((await stores.second.list()).map((s) => s.address)).toEqual([
			'b@example.org',
			'c@example.org',
			'a@example.org',
		]);
		expect((await stores.second.list(1)).map((s) => s.reason)).toEqual(['unsubscribe']);
	});

	it('removes: no longer found or listed; an old failure listed again does not bring it back', async () => {
		await stores.first.record([entry('gone@example.org')]);
		const removed = await stores.second.remove(
			'GONE@example.org',
			new Date('2026-11-30T01:00:00Z'),
		);
		expect(removed).toMatchObject({ address: 'gone@example.org', reason: 'hard-bounce' });
		expect(await stores.first.remove('gone@example.org')).toBeUndefined();
		expect(await stores.first.find(['gone@example.org'])).toEqual([]);
		expect(await stores.first.list()).toEqual([]);
		// The same bounce, read again by the next Failed Deliveries run: still lifted.
		expect(await stores.first.record([entry('gone@example.org')])).toBe(0);
		// A failure after the removal, or the user's own word, suppresses it again.
		const later = entry('gone@example.org', { failedAt: '2026-11-30T02:00:00.000Z' });
		expect(await stores.second.record([later])).toBe(1);
		expect(await stores.first.find(['gone@example.org'])).toEqual([later]);
		await stores.first.remove('gone@example.org', new Date('2026-11-30T03:00:00Z'));
		expect(await stores.first.record([entry('gone@example.org', { reason: 'unsubscribe' })])).toBe(
			1,
		);
	});

	it('two handles recording the same addresses at once keep one record each', async () => {
		const addresses = Array.from({ length: 20 }, (_, i) => `lead${i}@example.org`);
		const counts = await Promise.all([
			stores.first.record(addresses.map((a) => entry(a, { source: 'first' }))),
			stores.second.record(addresses.map((a) => entry(a, { source: 'second' }))),
		]);
		expect(counts[0] + counts[1]).toBe(20);
		expect(await stores.first.list()).toHaveLength(20);
	});
}
