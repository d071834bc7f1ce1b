/** Shared corpus scoring used by the corpus test (the bench has its own copy in plain JS). */
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { parseBounce } from '../../../core/bounce';
import type { BounceReport } from '../../../core/bounce';

export const CORPUS = join(__dirname, '../../fixtures/bounce-corpus');

export interface Expected {
	index: number;
	status: string;
	replyCode: string;
	reason: string;
	hard: boolean;
	feedbackType: string;
}

export function corpusFiles(): string[] {
	return readdirSync(join(CORPUS, 'eml'))
		.filter((f) => f.endsWith('.eml'))
		.sort();
}

export function readCorpus(file: string): Buffer {
	return readFileSync(join(CORPUS, 'eml', file));
}

export function expectedMap(): Record<string, Expected[]> {
	return JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as Record<
		string,
		Expected[]
	>;
}

/** Status codes ending in 900 or more are placeholders for "no code". */
export function isPlaceholder(status: string): boolean {
	const m = /^\d\.\d{1,3}\.(\d{1,3})$/.exec(status);
	return !m || Number(m[1]) >= 900;
}

export interface Score {
	files: number;
	detected: number;
	count: number;
	recipients: number;
	status: number;
	statusTotal: number;
	reason: number;
	hard: number;
	negatives: number;
	falsePositives: string[];
	disagreements: string[];
}

export async function scoreCorpus(): Promise<Score> {
	const expected = expectedMap();
	const s: Score = {
		files: 0,
		detected: 0,
		count: 0,
		recipients: 0,
		status: 0,
		statusTotal: 0,
		reason: 0,
		hard: 0,
		negatives: 0,
		falsePositives: [],
		disagreements: [],
	};
	for (const file of corpusFiles()) {
		const report: BounceReport = await parseBounce(readCorpus(file));
		const exp = expected[file];
		if (!exp) {
			s.negatives++;
			if (report.failures.length) s.falsePositives.push(file);
			continue;
		}
		s.files++;
		if (report.failures.length) s.detected++;
		else s.disagreements.push(`${file}: not detected`);
		if (report.failures.length === exp.length) s.count++;
		exp.forEach((e, i) => {
			s.recipients++;
			const got = report.failures[i];
			if (!isPlaceholder(e.status)) s.statusTotal++;
			if (!got) return;
			if (got.reason === e.reason) s.reason++;
			else s.disagreements.push(`${file}#${i + 1}: reason ${got.reason}, expected ${e.reason}`);
			if (got.hard === e.hard) s.hard++;
			if (!isPlaceholder(e.status)) {
				if (got.status === e.status) s.status++;
				else s.disagreements.push(`${file}#${i + 1}: status ${got.status}, expected ${e.status}`);
			}
		});
	}
	return s;
}
