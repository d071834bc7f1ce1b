import { corpus2Files, expected2, scoreCorpus2 } from './corpus2-helper';
import type { Score2 } from './corpus2-helper';

// The second corpus (test/fixtures/bounce-corpus-2): only what the source projects' tests state is
// scored (README there). Floors are what the engine reached; one more miss on any of them fails.
// Contested labels (challenge-response notices) are counted apart, not scored.
// Reached: detected 72/74 bounces, exact recipient sets 23/23, literal status codes 6/6, literal
// reply codes 14/14, hard/soft 1/1, the auto-reply read as one, no non-bounce reported as a failure.
const MIN_DETECTED = 72;
const MIN_RECIPIENTS_EXACT = 23;
const MIN_STATUS = 6;
const MIN_REPLY = 14;

describe('bounce corpus 2 (other projects’ test suites)', () => {
	let score: Score2;

	beforeAll(async () => {
		score = await scoreCorpus2();
	});

	it('has the 83 reports, their expectations and the licenses', () => {
		expect(corpus2Files()).toHaveLength(83);
		expect(Object.keys(expected2()).sort()).toEqual(corpus2Files());
	});

	it('detects the bounces', () => {
		expect(score.detected).toBeGreaterThanOrEqual(MIN_DETECTED);
	});

	it('finds the exact recipients the sources state', () => {
		expect(score.recipientsExact).toBeGreaterThanOrEqual(MIN_RECIPIENTS_EXACT);
	});

	it('reads the status and reply codes the mails carry', () => {
		expect(score.status).toBeGreaterThanOrEqual(MIN_STATUS);
		expect(score.reply).toBeGreaterThanOrEqual(MIN_REPLY);
		expect(score.hard).toBe(score.hardTotal);
	});

	it('reports no failure for a mail the source says is not a bounce', () => {
		expect(score.flagged).toEqual([]);
	});

	it('reads the auto-reply as one', () => {
		expect(score.autoRepliesSeen).toBe(score.autoReplies);
	});

	it('does not report the challenge-response acknowledgement as a failure', () => {
		// bp-whitelist (a server's 550 asking to confirm the sending server) stays a refusal.
		expect(score.contestedAsFailure.length).toBeLessThanOrEqual(1);
	});
});
