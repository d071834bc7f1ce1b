/**
 * Hostile mails (adversarial.ts): anyone can mail the mailbox the engine reads, so no mail may cost
 * more than its size. Speed goals live in bench/bounce.js; these checks use measures that do not
 * depend on how busy the machine is:
 * - growth: this thread's CPU time for a mail of 4n bytes against n bytes (n below every cap, so a
 *   cap cannot hide a quadratic step); linear work gives about 4, quadratic 16;
 * - cost: CPU time of the largest mail stays within the fuzz tests' per-mail budget;
 * - event-loop block: the longest stretch of CPU time without a turn of the event loop, while the
 *   largest mail (or mailbox file) is parsed;
 * - turns: a mailbox file of many reports gives the event loop at least one turn per report.
 * Each timing is the least over a few runs: a run can also pay for a garbage collection or lose
 * its CPU to other work, a mail that is slow by itself is slow every time.
 */
import { MAX_REPORT_BYTES, parseBounce } from '../../../core/bounce';
import { MAX_INPUT_BYTES } from '../../../core/bounce/mime';
import { ADVERSARIAL, fill, longestBlock, threadCpuMs } from './adversarial';
import { corpusFiles, readCorpus } from './corpus-helper';
import { MAX_MS } from './fuzz-helper';

const SMALL = 15 * 1024;
const LARGE = 480 * 1024;
/** Linear work grows about 4 times for 4 times the input; quadratic work 16 times. */
const MAX_GROWTH = 8;
/** Longest CPU stretch without an event-loop turn (thread CPU time is counted in ~4 ms ticks). */
const MAX_BLOCK_CPU_MS = 50;
const ATTEMPTS = 4;

/** Mean CPU milliseconds per parse of `input`, over runs adding up to at least `spanMs`. */
async function cpuPerParse(input: Buffer, spanMs = 60): Promise<number> {
	const start = threadCpuMs();
	let runs = 0;
	do {
		await parseBounce(input);
		runs++;
	} while (threadCpuMs() - start < spanMs && runs < 500);
	return (threadCpuMs() - start) / runs;
}

/** The least of a few measurements, stopping early once `ok` holds. */
async function leastOf(measure: () => Promise<number>, ok: (value: number) => boolean): Promise<number> {
	let best = Infinity;
	for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
		best = Math.min(best, await measure());
		if (ok(best)) break;
	}
	return best;
}

const mailboxFile = (input: { step: string }) => input.step === 'mbox';

describe('bounce engine on hostile mails', () => {
	// Compile the engine's code and patterns first: the first inputs would otherwise also pay
	// for the JIT, which says nothing about the input.
	beforeAll(async () => {
		for (const sample of corpusFiles().slice(0, 40)) await parseBounce(readCorpus(sample));
	});

	describe.each(ADVERSARIAL.map((a) => [a.name, a] as const))('%s', (_name, input) => {
		it(`grows at most ${MAX_GROWTH}x in CPU time from ${SMALL / 1024} KB to ${(4 * SMALL) / 1024} KB`, async () => {
			const small = input.make(SMALL);
			const large = input.make(4 * SMALL);
			let growth = Infinity;
			for (let attempt = 0; attempt < ATTEMPTS && growth > MAX_GROWTH; attempt++) {
				growth = Math.min(growth, (await cpuPerParse(large)) / (await cpuPerParse(small)));
			}
			expect(growth).toBeLessThanOrEqual(MAX_GROWTH);
		}, 60000);

		it(`never runs more than ${MAX_BLOCK_CPU_MS} ms of CPU without giving the event loop a turn (${LARGE / 1024} KB)`, async () => {
			const mail = input.make(LARGE);
			const blocked = await leastOf(async () => (await longestBlock(() => parseBounce(mail))).cpuMs, (ms) => ms <= MAX_BLOCK_CPU_MS);
			expect(blocked).toBeLessThanOrEqual(MAX_BLOCK_CPU_MS);
		}, 60000);

		if (!mailboxFile(input)) {
			it(`costs at most ${MAX_MS} ms of CPU, like any fuzzed mail (${LARGE / 1024} KB)`, async () => {
				const mail = input.make(LARGE);
				const cost = await leastOf(() => cpuPerParse(mail, 100), (ms) => ms <= MAX_MS);
				expect(cost).toBeLessThanOrEqual(MAX_MS);
			}, 60000);
		}
	});
});

describe('caps on what one report reads', () => {
	const bounce = (i: number) =>
		`From MAILER-DAEMON  Thu Jul  2 12:05:05 2020\nFrom: MAILER-DAEMON@mx.sender.example\nTo: rep@sender.example\nSubject: Undelivered Mail Returned to Sender\n\n<u${i}@dest.example>: 550 5.1.1 no such user (in reply to RCPT TO command)\n\n`;

	it(`reads a mailbox file up to ${MAX_REPORT_BYTES / 1024 / 1024} MiB and says it was cut`, async () => {
		const padding = `X-Pad: ${'p'.repeat(2000)}\n`;
		const one = (i: number) => bounce(i).replace('\n\n<u', `\n${padding.repeat(5)}\n<u`);
		const count = Math.ceil((1.5 * MAX_REPORT_BYTES) / one(0).length);
		const file = Array.from({ length: count }, (_, i) => one(i)).join('');
		const r = await parseBounce(Buffer.from(file));
		expect(r.truncated).toBe(true);
		expect(r.problems).toContain(`input cut to ${MAX_REPORT_BYTES} bytes`);
		// Every report before the cut is read, none after it.
		const whole = Math.floor(MAX_REPORT_BYTES / one(0).length);
		expect(r.failures.length).toBeGreaterThanOrEqual(whole);
		expect(r.failures.length).toBeLessThan(whole + 2);
		expect(r.failures[0].recipient).toBe('u0@dest.example');
	});

	it(`reads one mail up to ${MAX_INPUT_BYTES / 1024} KB and says it was cut`, async () => {
		const mail = bounce(1).replace(/^From [^\n]*\n/, '') + fill('more text\n', MAX_INPUT_BYTES);
		const r = await parseBounce(Buffer.from(mail));
		expect(r.failures.map((f) => f.recipient)).toEqual(['u1@dest.example']);
		expect(r.truncated).toBe(true);
		expect(r.problems?.join('; ')).toContain(`input truncated to ${MAX_INPUT_BYTES} bytes`);
	});

	it('cuts a string input before encoding it', async () => {
		const r = await parseBounce(bounce(2).replace(/^From [^\n]*\n/, '') + 'x'.repeat(3 * MAX_REPORT_BYTES));
		expect(r.failures.map((f) => f.recipient)).toEqual(['u2@dest.example']);
		expect(r.truncated).toBe(true);
	});

	it('does not mark a report read in full', async () => {
		for (const file of corpusFiles().slice(0, 60)) {
			const r = await parseBounce(readCorpus(file));
			if (readCorpus(file).length < 60000) expect(r.truncated).toBeUndefined();
		}
	});
});

describe('event loop while a mailbox file is read', () => {
	it('gets at least one turn per report', async () => {
		const file = Array.from(
			{ length: 50 },
			(_, i) =>
				`From MAILER-DAEMON  Thu Jul  2 12:05:05 2020\nFrom: MAILER-DAEMON@mx.sender.example\nSubject: Undelivered Mail Returned to Sender\n\n<u${i}@dest.example>: 550 5.1.1 no such user\n\n`,
		).join('');
		let turns = 0;
		let running = true;
		const tick = () => {
			turns++;
			if (running) setImmediate(tick);
		};
		setImmediate(tick);
		const r = await parseBounce(Buffer.from(file));
		running = false;
		expect(r.failures).toHaveLength(50);
		expect(turns).toBeGreaterThanOrEqual(50);
	});
});
