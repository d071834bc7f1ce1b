/**
 * Failed Deliveries on Gmail: search the mailbox for bounce reports, read each (its size first, then
 * the raw message when it is small enough), parse it with the bounce engine, keep the failures the
 * query asks for, and only then link them to the message in Sent (searched by the original
 * Message-ID, else by recipient and subject). One entry per failed recipient.
 *
 * Cost grows with new mail, not with the mailbox: the time bounds (a checkpoint, Received Since,
 * Since, Until) go into the Gmail search itself (`after:` / `before:`), and every listing reads at
 * most MAX_REPORTS_PER_LISTING reports and MAX_BYTES_PER_LISTING raw bytes, never a report over
 * MAX_REPORT_BYTES.
 *
 * With a checkpoint (the trigger) reports are read oldest first and the returned checkpoint never
 * passes a report that was not read. Without one (the Failed Deliveries operation) newest first, up
 * to the limit. Either way `truncated` says when a cap left matching reports unread.
 */
import type { IDataObject } from 'n8n-workflow';

import type { SentMessageResolver } from '../../../../core/failures';
import { mapBounded } from '../../../../core/retry';
import type {
	FailedDelivery,
	FailedDeliveryList,
	FailedDeliveryQuery,
	MailboxReply,
} from '../types';
import { nextCheckpoint, readCheckpoint, type GmailCheckpoint } from './checkpoint';
import {
	listReportIds,
	listReportPage,
	readCandidate,
	readReport,
	type Candidate,
} from './reports';
import { reportSearch } from './search';
import { sentResolver } from './sentResolver';
import type { GmailApi } from './transport';

// index.ts reads the hint here.
export { READ_SCOPE_HINT } from './auth';

const PAGE_SIZE = 100;
const FETCH_CONCURRENCY = 5;

/** A report over this size is not downloaded: format=raw is the whole message, attachments and all. */
export const MAX_REPORT_BYTES = 1024 * 1024;
/** Reports downloaded and parsed per listing, at most. */
export const MAX_REPORTS_PER_LISTING = 500;
/** Raw bytes downloaded per listing, at most. */
export const MAX_BYTES_PER_LISTING = 32 * 1024 * 1024;
/**
 * Ids listed before the time window is narrowed: reading oldest first needs the whole listing of the
 * window (Gmail lists newest first), so a backlog is halved in time until it fits.
 */
const MAX_LISTED_IDS = 5_000;

/** What one listing did; turned into the FailedDeliveryList at the end. */
interface Progress {
	failures: FailedDelivery[];
	/** Replies and auto-replies, when the query asks for them. */
	replies: MailboxReply[];
	/** Reports decided (read, or skipped as too large), in the order they were decided. */
	done: Candidate[];
	oversized: Candidate[];
	reportsRead: number;
	bytesRead: number;
	/** Why reading stopped before every listed report was decided. */
	stoppedBy?: 'count' | 'bytes' | 'limit';
	/** Matching reports exist that were not even listed (a narrowed window, or pages not fetched). */
	unlisted: boolean;
	/** More than MAX_LISTED_IDS reports within one second: the unlisted ones may be older than every one read. */
	crowded?: boolean;
	/** Oldest first (checkpoint) or newest first. */
	oldestFirst: boolean;
}

function formatMb(bytes: number): string {
	return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
}

export class GmailFailureFinder {
	/** Finds the sent message of a failure; one search per distinct link per listing. */
	readonly resolver: SentMessageResolver;

	constructor(private readonly api: GmailApi) {
		this.resolver = sentResolver(api);
	}

	async list(asked: FailedDeliveryQuery): Promise<FailedDeliveryList> {
		const oldestFirst = asked.checkpoint !== undefined;
		const previous = readCheckpoint(asked.checkpoint);
		// A checkpoint of ours says exactly where reading stopped; Received Since (the trigger's "last
		// poll minus an overlap") could lie after reports a capped listing left for later.
		const query = previous ? { ...asked, receivedSince: undefined } : asked;
		const startedAt = Date.now();
		const lower =
			Math.max(
				previous?.after ?? 0,
				query.receivedSince?.getTime() ?? 0,
				query.since?.getTime() ?? 0,
			) || undefined;
		const upper = query.until?.getTime();
		const progress: Progress = {
			failures: [],
			replies: [],
			done: [],
			oversized: [],
			reportsRead: 0,
			bytesRead: 0,
			unlisted: false,
			oldestFirst,
		};
		if (oldestFirst) await this.readOldestFirst(query, lower, upper, previous, progress);
		else await this.readNewestFirst(query, lower, upper, progress);
		const list = this.result(progress, lower, previous, startedAt);
		if (query.includeReplies) list.replies = progress.replies;
		return list;
	}

	/** Lists the whole window (narrowing it while it holds too many ids), then reads from its oldest end. */
	private async readOldestFirst(
		query: FailedDeliveryQuery,
		lower: number | undefined,
		upper: number | undefined,
		previous: GmailCheckpoint | undefined,
		progress: Progress,
	): Promise<void> {
		let end = upper;
		let ids: string[] = [];
		for (let narrowed = 0; ; narrowed++) {
			const listing = await listReportIds(this.api, query, lower, end, MAX_LISTED_IDS);
			ids = listing.ids;
			if (listing.complete) break;
			progress.unlisted = true;
			const from = lower ?? 0;
			const to = end ?? Date.now();
			// Give up narrowing when the window is down to a second: read its newest part, keep the checkpoint.
			if (to - from <= 1_000 || narrowed >= 40) {
				progress.crowded = true;
				break;
			}
			end = from + Math.floor((to - from) / 2);
		}
		const fresh = ids.filter((id) => previous?.read[id] === undefined).reverse();
		await this.readInOrder(fresh, query, lower, progress);
	}

	/** Pages newest first and reads as it goes, up to the limit. */
	private async readNewestFirst(
		query: FailedDeliveryQuery,
		lower: number | undefined,
		upper: number | undefined,
		progress: Progress,
	): Promise<void> {
		const q = reportSearch(query, lower, upper);
		let pageToken: string | undefined;
		do {
			const page = await listReportPage(this.api, q, PAGE_SIZE, pageToken);
			pageToken = page.nextPageToken;
			await this.readInOrder(page.ids, query, lower, progress, Boolean(pageToken));
			if (progress.stoppedBy) return;
		} while (pageToken);
	}

	/** Reads `ids` in the given order, FETCH_CONCURRENCY at a time, until a cap or the limit stops it. */
	private async readInOrder(
		ids: string[],
		query: FailedDeliveryQuery,
		lower: number | undefined,
		progress: Progress,
		morePages = false,
	): Promise<void> {
		for (let start = 0; start < ids.length && !progress.stoppedBy; start += FETCH_CONCURRENCY) {
			const candidates = await mapBounded(
				ids.slice(start, start + FETCH_CONCURRENCY),
				FETCH_CONCURRENCY,
				(id) => readCandidate(this.api, id, query.includeReplies),
			);
			const batch: Candidate[] = [];
			const decided: Candidate[] = [];
			for (const candidate of candidates) {
				if (!candidate) continue; // deleted since it was listed
				if (lower !== undefined && candidate.internalDate < lower) continue; // the search's second of slack
				if (candidate.skip) {
					decided.push(candidate); // an inbox message that answers none of ours: not downloaded
					continue;
				}
				if (candidate.size > MAX_REPORT_BYTES) {
					progress.oversized.push(candidate);
					decided.push(candidate);
					continue;
				}
				if (progress.reportsRead + batch.length >= MAX_REPORTS_PER_LISTING) {
					progress.stoppedBy = 'count';
					break;
				}
				if (
					progress.bytesRead + batch.reduce((sum, entry) => sum + entry.size, 0) + candidate.size >
					MAX_BYTES_PER_LISTING
				) {
					progress.stoppedBy = 'bytes';
					break;
				}
				batch.push(candidate);
				decided.push(candidate);
			}
			const reports = await mapBounded(batch, FETCH_CONCURRENCY, (candidate) =>
				readReport(this.api, candidate, query, this.resolver),
			);
			progress.reportsRead += batch.length;
			progress.bytesRead += batch.reduce((sum, entry) => sum + entry.size, 0);
			for (const read of reports) {
				progress.failures.push(...read.failures);
				if (read.reply) progress.replies.push(read.reply);
			}
			progress.done.push(...decided);
			if (
				!progress.stoppedBy &&
				query.limit !== undefined &&
				progress.failures.length + progress.replies.length >= query.limit
			) {
				// Newest first, the limit cuts inside a report as it always did; oldest first, a report's
				// failures stay together, so the checkpoint can pass the report.
				if (!progress.oldestFirst && progress.failures.length > query.limit)
					progress.failures.length = query.limit;
				if (start + FETCH_CONCURRENCY < ids.length || morePages) progress.stoppedBy = 'limit';
			}
		}
	}

	private result(
		progress: Progress,
		lower: number | undefined,
		previous: GmailCheckpoint | undefined,
		startedAt: number,
	): FailedDeliveryList {
		const reasons: string[] = [];
		const rest = progress.oldestFirst
			? 'the rest follow in the next poll'
			: 'older ones were not read (narrow Since / Until)';
		if (progress.stoppedBy === 'count')
			reasons.push(
				`read ${progress.reportsRead} bounce reports, the most one listing reads; ${rest}`,
			);
		else if (progress.stoppedBy === 'bytes')
			reasons.push(
				`read ${formatMb(progress.bytesRead)} of bounce reports, the most one listing reads; ${rest}`,
			);
		else if (progress.stoppedBy === 'limit' && progress.oldestFirst)
			reasons.push(
				`stopped at the limit of ${progress.failures.length} failures; the rest follow in the next poll`,
			);
		else if (progress.unlisted)
			reasons.push(`more bounce reports arrived than one listing reads; ${rest}`);
		if (progress.oversized.length) {
			const ids = progress.oversized
				.slice(0, 10)
				.map((entry) => entry.id)
				.join(', ');
			reasons.push(
				`${progress.oversized.length} report(s) over ${formatMb(MAX_REPORT_BYTES)} were not read ` +
					`(Gmail message id ${ids}${progress.oversized.length > 10 ? ', ...' : ''}): open them in Gmail`,
			);
		}
		const complete = !progress.stoppedBy && !progress.unlisted;
		return {
			failures: progress.failures,
			checkpoint: nextCheckpoint(
				progress,
				lower,
				previous,
				startedAt,
				complete,
			) as unknown as IDataObject,
			truncated: reasons.length > 0,
			...(reasons.length ? { truncatedReason: reasons.join('; ') } : {}),
		};
	}
}
