import { parseBounce } from '../../../core/bounce';
import { corpusFiles, expectedMap, readCorpus, scoreCorpus } from './corpus-helper';

// Agreement reached with expected.json (fractions); the test fails if the engine drops below.
// Remaining disagreements are listed in test/fixtures/bounce-corpus/KNOWN-DISAGREEMENTS.md.
// Reached: detected 336/336, recipient count 336/336, real status codes 261/263, reason 333/358,
// hard/soft 348/358; one more miss on any of them fails.
const MIN_DETECTED = 1.0;
const MIN_RECIPIENT_COUNT = 1.0;
const MIN_STATUS = 0.992;
const MIN_REASON = 0.93;
const MIN_HARD = 0.972;

describe('bounce corpus agreement', () => {
	let score: Awaited<ReturnType<typeof scoreCorpus>>;

	beforeAll(async () => {
		score = await scoreCorpus();
	});

	it('has the corpus and its license', () => {
		expect(corpusFiles().length).toBeGreaterThan(300);
		expect(Object.keys(expectedMap()).length).toBeGreaterThan(300);
	});

	it('detects reports', () => {
		expect(score.detected / score.files).toBeGreaterThanOrEqual(MIN_DETECTED);
	});

	it('finds the right number of recipients', () => {
		expect(score.count / score.files).toBeGreaterThanOrEqual(MIN_RECIPIENT_COUNT);
	});

	it('agrees on real status codes', () => {
		expect(score.status / score.statusTotal).toBeGreaterThanOrEqual(MIN_STATUS);
	});

	it('agrees on the reason', () => {
		expect(score.reason / score.recipients).toBeGreaterThanOrEqual(MIN_REASON);
	});

	it('agrees on hard / soft', () => {
		expect(score.hard / score.recipients).toBeGreaterThanOrEqual(MIN_HARD);
	});

	it('gives no failures for the negative samples', () => {
		expect(score.negatives).toBe(3);
		expect(score.falsePositives).toEqual([]);
	});

	it('marks hard exactly for dead-address reasons', async () => {
		for (const file of corpusFiles().slice(0, 120)) {
			const report = await parseBounce(readCorpus(file));
			for (const f of report.failures) {
				const dead = ['userunknown', 'hostunknown', 'hasmoved'].includes(f.reason);
				if (f.reason !== 'notaccept') expect(f.hard).toBe(dead);
			}
		}
	});
});
