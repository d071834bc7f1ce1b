/**
 * Scoring of the second corpus (test/fixtures/bounce-corpus-2): 83 reports from three other
 * projects' test suites, each with only what that project's tests state (its README). A field the
 * source does not state is not scored; contested labels are counted apart. bench/bounce.js has
 * the same rules in plain JavaScript.
 */
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { parseBounce } from '../../../core/bounce';
import type { BounceReport } from '../../../core/bounce';

export const CORPUS_2 = join(__dirname, '../../fixtures/bounce-corpus-2');

export interface Expected2 {
	isBounce: boolean;
	delay?: boolean;
	recipients?: string[];
	status?: string;
	statusLiteral?: boolean;
	replyCode?: string;
	replyCodeLiteral?: boolean;
	hard?: boolean;
	srcReason?: string;
	contested?: boolean;
	kindHint?: string;
}

export function corpus2Files(): string[] {
	return readdirSync(join(CORPUS_2, 'eml'))
		.filter((f) => f.endsWith('.eml'))
		.sort();
}

export function expected2(): Record<string, Expected2> {
	return JSON.parse(readFileSync(join(CORPUS_2, 'expected.json'), 'utf8')) as Record<
		string,
		Expected2
	>;
}

export interface Score2 {
	bounces: number;
	detected: number;
	recipientSets: number;
	recipientsExact: number;
	statusTotal: number;
	status: number;
	replyTotal: number;
	reply: number;
	hardTotal: number;
	hard: number;
	negatives: number;
	/** Files the source says are not a bounce, reported with a failure. */
	flagged: string[];
	autoReplies: number;
	autoRepliesSeen: number;
	contested: number;
	contestedAsFailure: string[];
	misses: string[];
}

/** A report that says delivery failed or is delayed, with at least one recipient. */
export function isDetected(report: BounceReport): boolean {
	return report.failures.length > 0 && (report.kind === 'failure' || report.kind === 'delay');
}

function sameSet(a: string[], b: string[]): boolean {
	const x = a.map((s) => s.toLowerCase()).sort();
	const y = b.map((s) => s.toLowerCase()).sort();
	return x.length === y.length && x.every((v, i) => v === y[i]);
}

export async function scoreCorpus2(): Promise<Score2> {
	const expected = expected2();
	const s: Score2 = {
		bounces: 0,
		detected: 0,
		recipientSets: 0,
		recipientsExact: 0,
		statusTotal: 0,
		status: 0,
		replyTotal: 0,
		reply: 0,
		hardTotal: 0,
		hard: 0,
		negatives: 0,
		flagged: [],
		autoReplies: 0,
		autoRepliesSeen: 0,
		contested: 0,
		contestedAsFailure: [],
		misses: [],
	};
	for (const file of corpus2Files()) {
		const e = expected[file];
		if (!e) continue;
		const report = await parseBounce(readFileSync(join(CORPUS_2, 'eml', file)));
		const failed = report.failures.some((f) => f.action === 'failed');
		if (e.contested) {
			s.contested++;
			if (failed) s.contestedAsFailure.push(file);
			continue;
		}
		if (e.kindHint === 'autoreply') {
			s.autoReplies++;
			if (report.kind === 'autoreply') s.autoRepliesSeen++;
		}
		if (!e.isBounce) {
			s.negatives++;
			if (failed) s.flagged.push(file);
			continue;
		}
		s.bounces++;
		if (isDetected(report)) s.detected++;
		else s.misses.push(`${file}: not detected (${report.kind})`);
		const first = report.failures[0];
		if (e.recipients) {
			s.recipientSets++;
			const got = report.failures.map((f) => f.recipient);
			if (sameSet(got, e.recipients)) s.recipientsExact++;
			else
				s.misses.push(`${file}: recipients ${got.join(' ')}, expected ${e.recipients.join(' ')}`);
		}
		if (e.status && e.statusLiteral) {
			s.statusTotal++;
			if (first?.status === e.status) s.status++;
			else s.misses.push(`${file}: status ${first?.status}, expected ${e.status}`);
		}
		if (e.replyCode && e.replyCodeLiteral) {
			s.replyTotal++;
			if (first?.replyCode === e.replyCode) s.reply++;
			else s.misses.push(`${file}: reply ${first?.replyCode}, expected ${e.replyCode}`);
		}
		if (e.hard !== undefined) {
			s.hardTotal++;
			if (first?.hard === e.hard) s.hard++;
			else s.misses.push(`${file}: hard ${first?.hard}, expected ${e.hard}`);
		}
	}
	return s;
}
