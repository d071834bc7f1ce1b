/**
 * Hostile mails (adversarial.ts): anyone can mail the mailbox the engine reads. Here they are
 * tests of correctness: each one parses into a well-formed report, within a generous crash guard,
 * and a mail past the caps says it was cut. How fast they parse (CPU time per size, growth, the
 * longest event-loop block) is measured by `npm run bench:bounce`; the regexp lint on core/ keeps
 * super-linear patterns out.
 */
import { MAX_REPORT_BYTES, parseBounce } from '../../../core/bounce';
import { MAX_INPUT_BYTES } from '../../../core/bounce/mime';
import { ADVERSARIAL, fill } from './adversarial';
import { corpusFiles, readCorpus } from './corpus-helper';
import { GUARD_CPU_MS, parseGuarded } from './fuzz-helper';

const LARGE = 480 * 1024;

const mailboxFile = (input: { step: string }) => input.step === 'mbox';

describe('bounce engine on hostile mails', () => {
	describe.each(ADVERSARIAL.map((a) => [a.name, a] as const))('%s', (_name, input) => {
		it(`parses ${LARGE / 1024} KB into a report within the ${GUARD_CPU_MS} ms crash guard`, async () => {
			await parseGuarded(input.make(LARGE), input.name);
		}, 60000);

		if (!mailboxFile(input)) {
			it(`says a mail over ${MAX_INPUT_BYTES / 1024} KB was cut`, async () => {
				const r = await parseBounce(input.make(LARGE));
				expect(r.truncated).toBe(true);
				expect(r.problems?.join('; ')).toMatch(/truncated|cut/);
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
		const r = await parseBounce(
			bounce(2).replace(/^From [^\n]*\n/, '') + 'x'.repeat(3 * MAX_REPORT_BYTES),
		);
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
