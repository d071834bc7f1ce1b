/**
 * What every part of the real-n8n end-to-end test (jest.e2e.config.js, `npm run test:e2e`) shares:
 * the run the global setup prepared (scripts/lib/e2e-run.js), the part's secret markers, handing them
 * over to the seeded-secret check when the file ends, and `verify(check)`.
 *
 * The parts' work and checks are plain JavaScript in scripts/lib/e2e-*.js (type-checked by
 * tsconfig.scripts.json); the types below are the little the test files see of them. A check returns
 * { failures, details }: `failures` names each mismatch in plain words, `details` what was seen.
 */

export interface Check {
	failures: string[];
	details: string[];
}

/** A part's state: made by its setup, read by its checks (its shape is the business of scripts/lib). */
export type State = object;

export interface E2eRun {
	root: string;
	work: string;
	journal: string;
	startedAt: number;
	n8n: { dir: string; version: string };
	dist: string;
	tarball: { file: string; size: number; entryCount?: number };
}

export interface SecretSet {
	secrets: Array<{ label: string; value: string; decoy: boolean }>;
	texts: Array<{ where: string; text: string }>;
	marker(label: string, prefix?: string): string;
}

export interface Part {
	run: E2eRun;
	secrets: SecretSet;
}

const runLib = require('../../scripts/lib/e2e-run') as {
	openRun(): E2eRun;
	savePart(
		run: E2eRun,
		part: string,
		state: { secrets: SecretSet; instances: unknown[]; transcript: unknown[] },
	): void;
};
const n8nLib = require('../../scripts/lib/n8n') as { instances: unknown[]; transcript: unknown[] };
const proc = require('../../scripts/lib/proc') as { killAll(signal?: string): void };
const { SecretSet } = require('../../scripts/lib/secret-scan') as {
	SecretSet: new () => SecretSet;
};

/** Hooks that do real work (start servers, install, run n8n): generous, the machine may be busy. */
export const SETUP_TIMEOUT = 15 * 60_000;

/**
 * Opens the run for this test file (a part named `name`) and gives it a set of markers; when the file
 * ends, stops any child process it left and hands its markers, texts and n8n output over to the
 * seeded-secret check. Call once at the top of a test file.
 */
export function usePart(name: string): () => Part {
	let part: Part | undefined;
	beforeAll(() => {
		part = { run: runLib.openRun(), secrets: new SecretSet() };
	});
	afterAll(() => {
		proc.killAll('SIGKILL');
		if (part) {
			const { instances, transcript } = n8nLib;
			runLib.savePart(part.run, name, { secrets: part.secrets, instances, transcript });
		}
	});
	return () => {
		if (!part) throw new Error(`the run of part "${name}" is not open`);
		return part;
	};
}

/** Prints lines under the name of the running test, as the run goes (jest prints results per file). */
export function note(lines: string[]): void {
	if (!lines.length) return;
	const name = expect.getState().currentTestName ?? 'setup';
	process.stderr.write(`  e2e › ${name}\n${lines.map((line) => `      ${line}\n`).join('')}`);
}

expect.extend({
	/** Passes when the check found no failure; shows every failure and what was seen otherwise. */
	toPass(check: Check) {
		const pass = check.failures.length === 0;
		const shown = [
			...check.failures.map((f) => `  - ${f}`),
			...check.details.map((d) => `    ${d}`),
		].join('\n');
		return {
			pass,
			message: () =>
				pass ? `the check passed:\n${shown}` : `${check.failures.length} failure(s):\n${shown}`,
		};
	},
});

declare global {
	namespace jest {
		interface Matchers<R> {
			toPass(): R;
		}
	}
}

/** Notes what the check saw, then asserts it found no failure. */
export async function verify(check: Check | Promise<Check>): Promise<void> {
	const result = await check;
	note(result.details);
	expect(result).toPass();
}
