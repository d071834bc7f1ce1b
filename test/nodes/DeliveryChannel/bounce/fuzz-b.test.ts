import { fuzzBatch, MAX_MS } from './fuzz-helper';
import type { FuzzStats } from './fuzz-helper';

// Part b of the fuzz run: 5 batches of 5,000 mutated corpus mails (25,000 inputs);
// the four fuzz*.test.ts files together run 100,000 inputs.
const BATCHES = 5;
const PER_BATCH = 5000;
const SEED = 98000;

describe('bounce engine fuzz (b)', () => {
	const stats: FuzzStats = { count: 0, slowestMs: 0, slowestSeed: '', slowestFirstMs: 0, repeated: 0 };

	for (let b = 0; b < BATCHES; b++) {
		it(`batch ${b + 1}: no exception, no input slower than ${MAX_MS} ms`, async () => {
			await fuzzBatch(SEED + b, PER_BATCH, stats);
		}, 120000);
	}

	afterAll(() => {
		process.stdout.write(
			`fuzz b: ${stats.count} inputs, slowest ${stats.slowestMs.toFixed(1)} ms CPU (${stats.slowestSeed}), slowest first attempt ${stats.slowestFirstMs.toFixed(1)} ms, ${stats.repeated} repeated\n`,
		);
	});

	it('ran every input', () => {
		expect(stats.count).toBe(BATCHES * PER_BATCH);
	});
});
