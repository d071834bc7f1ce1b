/**
 * Fuzzing helpers: a seeded PRNG (mulberry32) so every failure reproduces, and mutations of
 * corpus mails (byte flips, truncation, duplication, header bombs, boundary damage).
 */
import { parseBounce } from '../../../core/bounce';
import { corpusFiles, readCorpus } from './corpus-helper';

export function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const SAMPLES: Buffer[] = corpusFiles().map(readCorpus);

const NASTY = [
	'\r\n\r\n',
	'--',
	'Content-Type: multipart/report; report-type=delivery-status; boundary="x"\r\n',
	'Final-Recipient: rfc822; ',
	'Diagnostic-Code: smtp; 550 ',
	'=?utf-8?B?',
	'<<<<<<<<<<',
	'@@@@@@@@@@',
	'5.5.5.5.5.5.5.5',
	'\u0000\u0000\u0000',
	'Content-Transfer-Encoding: base64\r\n',
	'Content-Type: text/plain; charset=x-unknown\r\n',
	' '.repeat(3000),
];

export function mutate(rand: () => number): Buffer {
	const base = SAMPLES[Math.floor(rand() * SAMPLES.length)];
	let buf = Buffer.from(base);
	const rounds = 1 + Math.floor(rand() * 4);
	for (let r = 0; r < rounds; r++) {
		const op = Math.floor(rand() * 8);
		const pos = Math.floor(rand() * (buf.length + 1));
		switch (op) {
			case 0: {
				// byte flips
				const n = 1 + Math.floor(rand() * 20);
				for (let i = 0; i < n && buf.length; i++)
					buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
				break;
			}
			case 1:
				buf = buf.subarray(0, pos);
				break;
			case 2: {
				// duplicate a slice
				const len = Math.floor(rand() * Math.min(4000, buf.length));
				const slice = buf.subarray(pos, pos + len);
				buf = Buffer.concat([buf.subarray(0, pos), slice, slice, buf.subarray(pos)]);
				break;
			}
			case 3: {
				// header bomb
				const line =
					rand() < 0.5
						? 'X-Bomb: ' + 'a'.repeat(1000 + Math.floor(rand() * 100000)) + '\r\n'
						: 'X-B: b\r\n'.repeat(1 + Math.floor(rand() * 20000));
				buf = Buffer.concat([Buffer.from(line), buf]);
				break;
			}
			case 4: {
				const nasty = NASTY[Math.floor(rand() * NASTY.length)];
				const times = 1 + Math.floor(rand() * (rand() < 0.1 ? 2000 : 5));
				buf = Buffer.concat([
					buf.subarray(0, pos),
					Buffer.from(nasty.repeat(times)),
					buf.subarray(pos),
				]);
				break;
			}
			case 5:
				// delete a slice
				buf = Buffer.concat([buf.subarray(0, pos), buf.subarray(pos + Math.floor(rand() * 2000))]);
				break;
			case 6: {
				// mix with another mail
				const other = SAMPLES[Math.floor(rand() * SAMPLES.length)];
				buf = Buffer.concat([
					buf.subarray(0, pos),
					other.subarray(Math.floor(rand() * other.length)),
				]);
				break;
			}
			default: {
				// random garbage
				const g = Buffer.alloc(Math.floor(rand() * 3000));
				for (let i = 0; i < g.length; i++) g[i] = Math.floor(rand() * 256);
				buf = Buffer.concat([buf.subarray(0, pos), g, buf.subarray(pos)]);
			}
		}
	}
	return buf;
}

/**
 * A crash guard, not a speed goal (speed is measured in bench/bounce.js, and the regexp lint
 * keeps super-linear patterns out of core/): one input that takes this much CPU time is a hang.
 */
export const GUARD_CPU_MS = 5000;

export interface FuzzStats {
	count: number;
}

/**
 * CPU time of this thread only (Node >= 23.9): the garbage collector's and the compiler's helper
 * threads, which work for every earlier input too, are not charged to the input being parsed.
 */
const threadCpu: (previous?: NodeJS.CpuUsage) => NodeJS.CpuUsage =
	typeof (process as { threadCpuUsage?: unknown }).threadCpuUsage === 'function'
		? (
				process as unknown as { threadCpuUsage: (p?: NodeJS.CpuUsage) => NodeJS.CpuUsage }
			).threadCpuUsage.bind(process)
		: process.cpuUsage.bind(process);

/** Parse `input`; throws when the report is malformed or the parse ran past the crash guard. */
export async function parseGuarded(input: Buffer, id: string): Promise<void> {
	const t0 = threadCpu();
	const report = await parseBounce(input);
	const used = threadCpu(t0);
	if (!report || !Array.isArray(report.failures) || !report.original)
		throw new Error(`bad report for ${id}`);
	const ms = (used.user + used.system) / 1000;
	if (ms > GUARD_CPU_MS)
		throw new Error(
			`${id} ran ${ms.toFixed(0)} ms of CPU time: past the crash guard of ${GUARD_CPU_MS} ms`,
		);
}

/** Run `count` mutated inputs from `seed`; throws on an exception, a malformed report or a hang. */
export async function fuzzBatch(seed: number, count: number, stats: FuzzStats): Promise<void> {
	const rand = mulberry32(seed);
	for (let i = 0; i < count; i++) {
		await parseGuarded(mutate(rand), `seed ${seed} input ${i}`);
		stats.count++;
	}
}

/** Batches per fuzz file and inputs per batch: each of the four fuzz*.test.ts files runs 25,000. */
export const FUZZ_BATCHES = 5;
export const FUZZ_PER_BATCH = 5000;

/**
 * The suite every fuzz*.test.ts file runs: FUZZ_BATCHES batches of FUZZ_PER_BATCH mutated corpus
 * mails from `seed` on, no exception and no hang. The four files run in parallel Jest workers;
 * together they cover 100,000 inputs.
 */
export function defineFuzzSuite(part: string, seed: number): void {
	describe(`bounce engine fuzz (${part})`, () => {
		const stats: FuzzStats = { count: 0 };

		for (let b = 0; b < FUZZ_BATCHES; b++) {
			it(`batch ${b + 1}: no exception, no malformed report, no input past the ${GUARD_CPU_MS} ms crash guard`, async () => {
				await fuzzBatch(seed + b, FUZZ_PER_BATCH, stats);
			}, 120000);
		}

		it('ran every input', () => {
			expect(stats.count).toBe(FUZZ_BATCHES * FUZZ_PER_BATCH);
		});
	});
}
