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
				for (let i = 0; i < n && buf.length; i++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
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
				const line = rand() < 0.5 ? 'X-Bomb: ' + 'a'.repeat(1000 + Math.floor(rand() * 100000)) + '\r\n' : 'X-B: b\r\n'.repeat(1 + Math.floor(rand() * 20000));
				buf = Buffer.concat([Buffer.from(line), buf]);
				break;
			}
			case 4: {
				const nasty = NASTY[Math.floor(rand() * NASTY.length)];
				const times = 1 + Math.floor(rand() * (rand() < 0.1 ? 2000 : 5));
				buf = Buffer.concat([buf.subarray(0, pos), Buffer.from(nasty.repeat(times)), buf.subarray(pos)]);
				break;
			}
			case 5:
				// delete a slice
				buf = Buffer.concat([buf.subarray(0, pos), buf.subarray(pos + Math.floor(rand() * 2000))]);
				break;
			case 6: {
				// mix with another mail
				const other = SAMPLES[Math.floor(rand() * SAMPLES.length)];
				buf = Buffer.concat([buf.subarray(0, pos), other.subarray(Math.floor(rand() * other.length))]);
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

export const MAX_MS = 50;

export interface FuzzStats {
	count: number;
	slowestMs: number;
	slowestSeed: string;
	/** Slowest first attempt (before any repeat) and how many inputs needed a repeat. */
	slowestFirstMs: number;
	repeated: number;
}

/**
 * CPU time of this thread only (Node >= 23.9): the garbage collector's and the compiler's helper
 * threads, which work for every earlier input too, are not charged to the input being timed.
 */
const threadCpu: (previous?: NodeJS.CpuUsage) => NodeJS.CpuUsage =
	typeof (process as { threadCpuUsage?: unknown }).threadCpuUsage === 'function'
		? (process as unknown as { threadCpuUsage: (p?: NodeJS.CpuUsage) => NodeJS.CpuUsage }).threadCpuUsage.bind(process)
		: process.cpuUsage.bind(process);

/** Pauses before repeating a slow input: a busy shared machine gets time to calm down. */
const REPEAT_PAUSES_MS = [0, 50, 250, 1000];

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU milliseconds `parseBounce` spends on `input`; throws when the result is malformed. */
async function timeOne(input: Buffer, id: string): Promise<number> {
	const t0 = threadCpu();
	const report = await parseBounce(input);
	const used = threadCpu(t0);
	if (!report || !Array.isArray(report.failures) || !report.original) throw new Error(`bad report for ${id}`);
	return (used.user + used.system) / 1000;
}

/** Run `count` mutated inputs from `seed`; throws on an exception or a slow input. */
export async function fuzzBatch(seed: number, count: number, stats: FuzzStats): Promise<void> {
	const rand = mulberry32(seed);
	for (let i = 0; i < count; i++) {
		const input = mutate(rand);
		const id = `seed ${seed} input ${i}`;
		// An input's cost is the least CPU time it took over a few runs: a run can also pay for a
		// garbage collection or lose its CPU to other work on the machine, an input that is slow by
		// itself (a runaway pattern, an unbounded loop) is slow every time.
		let best = await timeOne(input, id);
		stats.slowestFirstMs = Math.max(stats.slowestFirstMs, best);
		if (best > MAX_MS) stats.repeated++;
		for (let r = 0; r < REPEAT_PAUSES_MS.length && best > MAX_MS; r++) {
			await pause(REPEAT_PAUSES_MS[r]);
			best = Math.min(best, await timeOne(input, id));
		}
		if (best > stats.slowestMs) {
			stats.slowestMs = best;
			stats.slowestSeed = id;
		}
		if (best > MAX_MS) throw new Error(`${id} took ${best.toFixed(1)} ms of CPU time in each of ${REPEAT_PAUSES_MS.length + 1} runs`);
		stats.count++;
	}
}

/** Batches per fuzz file and inputs per batch: each of the four fuzz*.test.ts files runs 25,000. */
export const FUZZ_BATCHES = 5;
export const FUZZ_PER_BATCH = 5000;

/**
 * The suite every fuzz*.test.ts file runs: FUZZ_BATCHES batches of FUZZ_PER_BATCH mutated corpus
 * mails from `seed` on, no exception and no slow input, with a summary line at the end. The four
 * files run in parallel Jest workers; together they cover 100,000 inputs.
 */
export function defineFuzzSuite(part: string, seed: number): void {
	describe(`bounce engine fuzz (${part})`, () => {
		const stats: FuzzStats = { count: 0, slowestMs: 0, slowestSeed: '', slowestFirstMs: 0, repeated: 0 };

		// Compile the engine's code and patterns first: the first inputs would otherwise also pay
		// for the JIT, which says nothing about the input.
		beforeAll(async () => {
			for (const sample of SAMPLES.slice(0, 40)) await parseBounce(sample);
		});

		for (let b = 0; b < FUZZ_BATCHES; b++) {
			it(`batch ${b + 1}: no exception, no input slower than ${MAX_MS} ms`, async () => {
				await fuzzBatch(seed + b, FUZZ_PER_BATCH, stats);
			}, 120000);
		}

		afterAll(() => {
			process.stdout.write(
				`fuzz ${part}: ${stats.count} inputs, slowest ${stats.slowestMs.toFixed(1)} ms CPU (${stats.slowestSeed}), slowest first attempt ${stats.slowestFirstMs.toFixed(1)} ms, ${stats.repeated} repeated\n`,
			);
		});

		it('ran every input', () => {
			expect(stats.count).toBe(FUZZ_BATCHES * FUZZ_PER_BATCH);
		});
	});
}
