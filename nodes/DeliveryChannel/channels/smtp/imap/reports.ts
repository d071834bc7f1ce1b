/**
 * The likely reports themselves: downloaded in one FETCH per folder (each cut at
 * MAILBOX_LIMITS.reportBytes), parsed by the bounce engine, and weighed against the query before
 * any Sent search.
 */
import { parseBounce } from '../../../../../core/bounce';
import type { BounceReport } from '../../../../../core/bounce/types';
import {
	answerMayMatch,
	failuresFromReport,
	matchesQuery,
	type ReportSource,
} from '../../../../../core/failures';
import type { FailedDeliveryQuery } from '../../types';
import type { Candidate } from './candidates';
import type { ImapConnection } from './connection';
import { MAILBOX_LIMITS } from './settings';

export interface ParsedReport {
	report: BounceReport;
	source: ReportSource;
}

function key(candidate: Pick<Candidate, 'folder' | 'uid'>): string {
	return `${candidate.folder}\n${candidate.uid}`;
}

/** The raw reports (at most MAILBOX_LIMITS.reportBytes each), by folder and UID. */
export async function downloadReports(
	imap: ImapConnection,
	candidates: Candidate[],
): Promise<Map<string, Buffer>> {
	const byFolder = new Map<string, number[]>();
	for (const candidate of candidates)
		byFolder.set(candidate.folder, [...(byFolder.get(candidate.folder) ?? []), candidate.uid]);
	const sources = new Map<string, Buffer>();
	for (const [folder, uids] of byFolder) {
		await imap.call(async (client) => {
			const lock = await client.getMailboxLock(folder, { readOnly: true });
			try {
				const fetched = client.fetch(
					uids.join(','),
					{ uid: true, source: { maxLength: MAILBOX_LIMITS.reportBytes } },
					{ uid: true },
				);
				for await (const message of fetched)
					if (message.source) sources.set(key({ folder, uid: message.uid }), message.source);
			} finally {
				lock.release();
			}
		});
	}
	return sources;
}

/**
 * Parses one downloaded report (looked up among `sources`); one that is gone, unreadable or holds
 * neither a failure nor an answer (a reply or an auto-reply) is dismissed.
 */
export async function readReport(
	candidate: Candidate,
	sources: Map<string, Buffer>,
): Promise<ParsedReport | undefined> {
	const raw = sources.get(key(candidate));
	if (!raw) return undefined;
	let report: BounceReport;
	try {
		report = await parseBounce(raw);
	} catch {
		// One malformed mail must not stop the reading of the others (nor hold the checkpoint back forever).
		return undefined;
	}
	if (!report.failures.length && !report.answer) return undefined;
	const source: ReportSource = {
		receivedAt: candidate.receivedAt.toISOString(),
		reportId: `${candidate.folder}/${candidate.uid}`,
		details: { folder: candidate.folder, uid: candidate.uid },
	};
	return { report, source };
}

/**
 * How many of a report's failures (and its answer, when replies are asked for) the query wants,
 * judged before linking (linking only adds facts about the sent message). A failure whose
 * recipient only the Sent copy can tell is given the benefit of the doubt on the recipient filter.
 */
export async function wantedFailures(
	{ report, source }: ParsedReport,
	query: FailedDeliveryQuery,
): Promise<number> {
	const unlinked = await failuresFromReport(report, 'smtp', source);
	const failures = unlinked.filter((failure) =>
		matchesQuery(
			failure.recipient || !query.recipient ? failure : { ...failure, recipient: query.recipient },
			query,
		),
	).length;
	return failures + (answerMayMatch(report, query, source.receivedAt) ? 1 : 0);
}
