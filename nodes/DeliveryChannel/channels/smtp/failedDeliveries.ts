/**
 * Failed Deliveries for Custom SMTP: the bounce reports that the mail system returned to the
 * sender's mailbox, read over IMAP, parsed by the bounce engine and linked to the sent message.
 *
 * With a checkpoint (the trigger) only what arrived after it is read, on the server's side (UIDs
 * after the last one per folder), oldest first; the checkpoint returned never passes a report left
 * unread. Without one (the Failed Deliveries operation) the newest reports in the time window come
 * first. Everything is bounded: messages looked at and reports read per call, bytes read per report,
 * Sent searches; a listing a cap cut short says so.
 */
import type { ImapFlow, ImapFlowOptions } from 'imapflow';

import {
	answerMayMatch,
	failuresFromReport,
	matchesQuery,
	replyFromReport,
	replyMatchesQuery,
} from '../../../../core/failures';
import type {
	FailedDelivery,
	FailedDeliveryList,
	FailedDeliveryQuery,
	MailboxReply,
} from '../types';
import {
	dateBounds,
	screenMessages,
	selectMessages,
	shareBudget,
	type Candidate,
	type FolderSelection,
} from './imap/candidates';
import {
	checkpointValue,
	readCheckpoint,
	type FolderMark,
	type MailboxCheckpoint,
} from './imap/checkpoint';
import {
	foldersUsable,
	missingFolders,
	resolveFolders,
	type ResolvedFolders,
} from './imap/folders';
import { ImapConnection } from './imap/connection';
import { downloadReports, readReport, wantedFailures, type ParsedReport } from './imap/reports';
import { MAILBOX_LIMITS, type MailboxSettings } from './imap/settings';
import { sentResolver } from './imap/sent';

/** Reports downloaded in one FETCH. */
const BATCH = 25;

/** One folder's likely reports in the order they are read, and how far reading got. */
interface FolderQueue {
	selection: FolderSelection;
	/** In reading order: lowest UID first with a checkpoint, newest first without. */
	candidates: Candidate[];
	/** Matched messages whose headers were not looked at. */
	unscanned: number[];
	/** Candidates handed out for reading. */
	taken: number;
	/** Candidates read (the first `read` of `candidates`). */
	read: number;
}

export interface MailboxNotices {
	/** Things the user should know that are not errors (a folder read again by date). */
	warn?(message: string): void;
}

function plural(count: number, word: string): string {
	return `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;
}

function yieldToEventLoop(): Promise<void> {
	return new Promise((resolve) => setImmediate(resolve));
}

export class Mailbox {
	private readonly imap: ImapConnection;

	constructor(
		readonly settings: MailboxSettings,
		createClient?: (options: ImapFlowOptions) => ImapFlow,
		private readonly notices: MailboxNotices = {},
	) {
		this.imap = new ImapConnection(settings, createClient);
	}

	/** Logs in and lists the folders: the credential test. */
	async verify(): Promise<ResolvedFolders> {
		return await this.usableFolders();
	}

	async listFailedDeliveries(query: FailedDeliveryQuery): Promise<FailedDeliveryList> {
		const folders = await this.usableFolders();
		const resuming = query.checkpoint !== undefined;
		const marks = readCheckpoint(query.checkpoint, this.mailboxKey());
		const queues = await this.findCandidates(folders.scan, marks, query, resuming);
		const { reports, stoppedBy } = await this.readReports(queues, query, resuming);
		const { failures, replies } = await this.link(reports, query, folders.sent);

		const unread = queues.reduce((sum, queue) => sum + queue.candidates.length - queue.read, 0);
		const unscanned = queues.reduce((sum, queue) => sum + queue.unscanned.length, 0);
		if (!resuming) {
			failures.sort((a, b) => receivedTime(b) - receivedTime(a));
			replies.sort((a, b) => receivedTime(b) - receivedTime(a));
			if (query.limit !== undefined) failures.length = Math.min(failures.length, query.limit);
			if (query.limit !== undefined) replies.length = Math.min(replies.length, query.limit);
		}
		// Without a checkpoint, reaching the limit is what was asked for; with one, whatever is left is
		// still to come, and the caller must know not to move its own window on.
		const cut = unread + unscanned > 0 && (resuming || stoppedBy !== 'limit');
		const list: FailedDeliveryList = { failures, truncated: cut };
		if (query.includeReplies) list.replies = replies;
		if (cut)
			list.truncatedReason = this.cutShortReason(
				unread,
				unscanned,
				stoppedBy,
				resuming,
				query.limit,
			);
		// A newest-first listing that the limit stopped skipped older reports: no safe place to resume from.
		if (resuming || stoppedBy !== 'limit')
			list.checkpoint = checkpointValue(this.nextCheckpoint(queues, marks));
		return list;
	}

	/** The execution was cancelled: the connection is cut and nothing new starts. */
	abort(): void {
		this.imap.abort();
	}

	async close(): Promise<void> {
		await this.imap.close();
	}

	private mailboxKey(): string {
		return `${this.settings.user}@${this.settings.host}:${this.settings.port}`;
	}

	private async usableFolders(): Promise<ResolvedFolders> {
		const list = await this.imap.call((client) => client.list());
		const folders = resolveFolders(this.settings, list);
		if (!foldersUsable(folders))
			throw missingFolders(
				folders,
				list.map((box) => box.path),
			);
		return folders;
	}

	/**
	 * Asks each folder which messages are new (after its mark) or in the time window, shares the
	 * header budget out between the folders, and screens the messages for likely reports.
	 */
	private async findCandidates(
		folders: string[],
		marks: MailboxCheckpoint,
		query: FailedDeliveryQuery,
		resuming: boolean,
	): Promise<FolderQueue[]> {
		const bounds = dateBounds(query);
		const selections: FolderSelection[] = [];
		for (const folder of folders) {
			const selection = await this.imap.call((client) =>
				selectMessages(client, folder, { mark: marks.folders[folder], bounds }),
			);
			if (selection.renumbered) {
				this.notices.warn?.(
					`The mail server renumbered the folder "${folder}" (its UIDVALIDITY changed), so it was read again by date` +
						(query.receivedSince ? ` from ${query.receivedSince.toISOString()}` : ''),
				);
			}
			selections.push(selection);
		}
		const shares = shareBudget(
			selections.map((selection) => selection.uids.length),
			MAILBOX_LIMITS.scanned,
		);
		const queues: FolderQueue[] = [];
		for (const [index, selection] of selections.entries()) {
			const { uids } = selection;
			const share = shares[index];
			// With a checkpoint the oldest come first and the rest waits; without, the newest.
			const looked = resuming ? uids.slice(0, share) : uids.slice(uids.length - share);
			const unscanned = resuming ? uids.slice(share) : uids.slice(0, uids.length - share);
			const candidates = await this.imap.call((client) =>
				screenMessages(client, selection, looked, bounds.receivedFrom, query.includeReplies),
			);
			// Without a checkpoint, newest first by arrival time (a message put in a folder later may carry
			// an older date); with one, in UID order, so the checkpoint can stop between two of them.
			if (!resuming)
				candidates.sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime() || b.uid - a.uid);
			queues.push({ selection, candidates, unscanned, taken: 0, read: 0 });
		}
		return queues;
	}

	/**
	 * Downloads and parses candidates in small batches, in reading order across folders (by arrival
	 * time), up to the cap, or until enough failures match the query for the limit. A report whose
	 * failures the query does not want is read and dismissed here, before any Sent search.
	 */
	private async readReports(
		queues: FolderQueue[],
		query: FailedDeliveryQuery,
		resuming: boolean,
	): Promise<{ reports: ParsedReport[]; stoppedBy?: 'limit' | 'cap' }> {
		const reports: ParsedReport[] = [];
		let matching = 0;
		let parsed = 0;
		for (;;) {
			if (query.limit !== undefined && matching >= query.limit)
				return { reports, stoppedBy: 'limit' };
			if (parsed >= MAILBOX_LIMITS.parsed) return { reports, stoppedBy: 'cap' };
			const batch = takeNext(queues, resuming, Math.min(BATCH, MAILBOX_LIMITS.parsed - parsed));
			if (!batch.length) return { reports };
			const sources = await downloadReports(
				this.imap,
				batch.map(({ candidate }) => candidate),
			);
			for (const { queue, candidate } of batch) {
				if (query.limit !== undefined && matching >= query.limit) break;
				parsed += 1;
				queue.read += 1;
				const report = await readReport(candidate, sources);
				if (report) {
					const wanted = await wantedFailures(report, query);
					if (wanted) {
						reports.push(report);
						matching += wanted;
					}
				}
				// Parsing is CPU work on n8n's main thread: let other work run between reports.
				await yieldToEventLoop();
			}
			// Candidates handed out but not read (the limit came first) are still to be read.
			for (const queue of queues) queue.taken = queue.read;
		}
	}

	/** Links the wanted reports to the sent messages and keeps the failures (and replies) that match the query. */
	private async link(
		reports: ParsedReport[],
		query: FailedDeliveryQuery,
		sentFolder: string | undefined,
	): Promise<{ failures: FailedDelivery[]; replies: MailboxReply[] }> {
		const resolver = sentResolver(this.imap, sentFolder);
		const failures: FailedDelivery[] = [];
		const replies: MailboxReply[] = [];
		try {
			for (const { report, source } of reports) {
				const found = await failuresFromReport(report, 'smtp', source, resolver.resolve);
				failures.push(...found.filter((failure) => matchesQuery(failure, query)));
				if (!answerMayMatch(report, query, source.receivedAt)) continue;
				const reply = await replyFromReport(report, 'smtp', source, resolver.resolve);
				if (reply && replyMatchesQuery(reply, query)) replies.push(reply);
			}
		} finally {
			resolver.release();
		}
		return { failures, replies };
	}

	/** Per folder: after the last message read, and never past one left unread. */
	private nextCheckpoint(queues: FolderQueue[], marks: MailboxCheckpoint): MailboxCheckpoint {
		const folders: Record<string, FolderMark> = {};
		for (const queue of queues) {
			const { selection } = queue;
			const left = [
				...queue.candidates.slice(queue.read).map((candidate) => candidate.uid),
				...queue.unscanned,
			];
			const lastUid = left.length ? Math.min(...left) - 1 : selection.coveredUpTo;
			folders[selection.folder] = {
				uidValidity: selection.uidValidity,
				lastUid: Math.max(lastUid, selection.mark?.lastUid ?? 0),
			};
		}
		return { mailbox: marks.mailbox, folders };
	}

	private cutShortReason(
		unread: number,
		unscanned: number,
		stoppedBy: 'limit' | 'cap' | undefined,
		resuming: boolean,
		limit?: number,
	): string {
		const left = [
			unread ? `${plural(unread, 'likely bounce report')} not read yet` : '',
			unscanned ? `${plural(unscanned, 'message')} not looked at yet` : '',
		]
			.filter(Boolean)
			.join(' and ');
		const why =
			stoppedBy === 'limit'
				? `The limit of ${plural(limit ?? 0, 'failure')} was reached`
				: `There was more mail than one listing reads (up to ${plural(MAILBOX_LIMITS.parsed, 'report')} ` +
					`read and ${plural(MAILBOX_LIMITS.scanned, 'message')} looked at)`;
		const next = resuming
			? 'the next poll goes on from there'
			: 'narrow the time range (Since, Until) to see the rest';
		return `${why}: ${left} in the mailbox; ${next}`;
	}
}

function receivedTime(failure: FailedDelivery | MailboxReply): number {
	return Date.parse(String(failure.details?.reportReceivedAt ?? '')) || 0;
}

/**
 * Hands out up to `count` candidates in reading order across folders: within a folder in its queue's
 * order, between folders by arrival time.
 */
function takeNext(
	queues: FolderQueue[],
	oldestFirst: boolean,
	count: number,
): Array<{ queue: FolderQueue; candidate: Candidate }> {
	const batch: Array<{ queue: FolderQueue; candidate: Candidate }> = [];
	while (batch.length < count) {
		let best: FolderQueue | undefined;
		for (const queue of queues) {
			if (queue.taken >= queue.candidates.length) continue;
			if (!best) {
				best = queue;
				continue;
			}
			const time = queue.candidates[queue.taken].receivedAt.getTime();
			const bestTime = best.candidates[best.taken].receivedAt.getTime();
			if (oldestFirst ? time < bestTime : time > bestTime) best = queue;
		}
		if (!best) break;
		batch.push({ queue: best, candidate: best.candidates[best.taken] });
		best.taken += 1;
	}
	return batch;
}
