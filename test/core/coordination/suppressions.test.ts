/** The suppression list's rules (normalising, merging) and the in-memory store against the contract. */
import {
	MemorySuppressions,
	merged,
	normalAddress,
	suppressionKey,
} from '../../../core/coordination/suppressions';
import { suppressionContract } from './suppressionContract';

describe('addresses', () => {
	it('keeps the local part as given and lower-cases the domain; compares the whole in lower case', () => {
		expect(normalAddress(' Jane.Doe@Example.ORG ')).toBe('Jane.Doe@example.org');
		expect(suppressionKey('Jane.Doe@Example.ORG')).toBe('jane.doe@example.org');
	});
});

describe('merged', () => {
	const bounce = {
		address: 'a@example.org',
		reason: 'hard-bounce' as const,
		source: 's',
		recordedAt: '2026-11-30T00:00:00.000Z',
	};
	it('keeps the first record of an active suppression', () => {
		expect(merged(bounce, { ...bounce, reason: 'complaint' })).toBeUndefined();
	});
	it('does not revive a removed address with a failure of unknown time', () => {
		expect(merged({ ...bounce, removedAt: '2026-11-30T01:00:00.000Z' }, bounce)).toBeUndefined();
	});
});

describe('MemorySuppressions', () => {
	suppressionContract(
		async () => {
			const store = new MemorySuppressions();
			return { first: store, second: store };
		},
		async () => undefined,
	);
});
