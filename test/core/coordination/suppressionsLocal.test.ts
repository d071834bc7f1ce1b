/** The suppression list in the local coordinator's SQLite file: two handles on one file, as two n8n processes. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { LocalCoordinator } from '../../../core/coordination/local';
import { LocalSuppressions } from '../../../core/coordination/suppressionsLocal';
import { suppressionContract, type StorePair } from './suppressionContract';

let folder: string;
let pair: StorePair | undefined;

suppressionContract(
	async () => {
		folder = mkdtempSync(join(tmpdir(), 'dc-suppressions-'));
		const file = join(folder, 'coordination.sqlite');
		pair = { first: new LocalSuppressions(file), second: new LocalSuppressions(file) };
		return pair;
	},
	async () => {
		await pair?.first.close();
		await pair?.second.close();
		rmSync(folder, { recursive: true, force: true });
	},
);

it('lives in the same file as the idempotency ledger, which keeps working beside it', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'dc-suppressions-'));
	const file = join(dir, 'coordination.sqlite');
	const ledger = new LocalCoordinator(file);
	const store = new LocalSuppressions(file);
	try {
		const proposal = { messageId: 'm', deliveryId: 'd', reservedAt: new Date().toISOString() };
		expect((await ledger.reserve('smtp:c', 'k', proposal)).kind).toBe('reserved');
		await store.record([
			{
				address: 'x@example.org',
				reason: 'manual',
				source: 't',
				recordedAt: new Date().toISOString(),
			},
		]);
		expect((await ledger.reserve('smtp:c', 'k', proposal)).kind).toBe('pending');
		const reopened = new LocalSuppressions(file);
		expect(await reopened.find(['x@example.org'])).toHaveLength(1);
		await reopened.close();
	} finally {
		await store.close();
		await ledger.close();
		rmSync(dir, { recursive: true, force: true });
	}
});
