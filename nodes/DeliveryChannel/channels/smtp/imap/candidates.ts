/**
 * Finds the likely bounce reports of one folder without downloading them: the server selects the
 * messages (by UID after the checkpoint, by date otherwise), then only envelopes, structure and a few
 * headers are fetched to screen them.
 */
import type { FetchMessageObject, ImapFlow, MessageStructureObject, SearchObject } from 'imapflow';

import { ANSWER_HEADERS, mayAnswerOurs } from '../../../../../core/failures';
import type { FailedDeliveryQuery } from '../../types';
import type { FolderMark } from './checkpoint';

/**
 * The reports' tell-tale signs. Deliberately broad: a candidate that is no report costs one parse,
 * a report that is skipped is a failure nobody sees. (93 % of reports come from mailer-daemon@ or
 * postmaster@; only about half carry a multipart/report.)
 */
const REPORT_SENDER = new RegExp(
	'^(?:' +
		[
			'mailer-daemon',
			'mailerdaemon',
			'mail-daemon',
			'postmaster',
			'mdaemon',
			'bounces?',
			'mail-?delivery(?:-?system)?',
			'nobody',
			'double-bounce',
			'microsoftexchange[0-9a-f]*',
		].join('|') +
		')$',
	'i',
);
const REPORT_SENDER_NAME = new RegExp(
	[
		'mail delivery',
		'mailer[- ]daemon',
		'postmaster',
		'delivery (?:status|subsystem|system)',
		'microsoft outlook',
		'mail administrator',
	].join('|'),
	'i',
);
const REPORT_SUBJECT = new RegExp(
	[
		'undeliver',
		'undelivered',
		'delivery (?:status|failure|failed|notification|problem|incomplete|has failed|delayed|report)',
		'returned (?:mail|to sender)',
		'mail delivery',
		'failure notice',
		'could not be delivered',
		"couldn't be delivered",
		'not (?:be )?delivered',
		'delayed mail',
		'delivery delay',
		'non[- ]?remis',
		'unzustellbar',
		'nicht zustellbar',
		'niet bezorgd',
		'no entregado',
		'no se puede entregar',
		'non recapitabile',
		'rejected',
		'bounced?',
		'abuse report',
		'complaint',
		'feedback report',
		'warning: message',
		'mail system error',
		'returned message',
		'message not delivered',
	].join('|'),
	'i',
);
const REPORT_PART =
	/^(?:message\/(?:delivery-status|global-delivery-status|feedback-report|rfc822|global)|text\/rfc822-headers)$/i;

const DAY_MS = 24 * 60 * 60 * 1000;

function structureHasReportPart(node: MessageStructureObject | undefined, depth = 0): boolean {
	if (!node || depth > 8) return false;
	if (REPORT_PART.test(node.type ?? '')) return true;
	if (/^multipart\/report$/i.test(node.type ?? '')) return true;
	return (node.childNodes ?? []).some((child) => structureHasReportPart(child, depth + 1));
}

/** Whether a message looks enough like a delivery report or complaint to download and parse it. */
export function looksLikeReport(
	message: Pick<FetchMessageObject, 'envelope' | 'headers' | 'bodyStructure'>,
): boolean {
	const from = message.envelope?.from?.[0];
	const local = String(from?.address ?? '').split('@')[0];
	if (REPORT_SENDER.test(local) || REPORT_SENDER_NAME.test(from?.name ?? '')) return true;
	if (REPORT_SUBJECT.test(message.envelope?.subject ?? '')) return true;
	if (structureHasReportPart(message.bodyStructure)) return true;
	const headers = message.headers ? message.headers.toString('latin1') : '';
	if (/^return-path:\s*<\s*>/im.test(headers)) return true;
	if (/^x-failed-recipients:/im.test(headers)) return true;
	if (/^content-type:\s*multipart\/report/im.test(headers)) return true;
	if (/^feedback-type:/im.test(headers)) return true;
	return false;
}

/** Headers that tell a reply or an auto-reply, fetched only when replies are asked for. */
const ANSWER_FIELDS = ANSWER_HEADERS.map((name) => name.toLowerCase());

/** Whether a message may answer one we sent (core/failures/answers.ts `mayAnswerOurs`). */
export function looksLikeAnswer(
	message: Pick<FetchMessageObject, 'envelope' | 'headers'>,
): boolean {
	const headers = message.headers ? message.headers.toString('latin1') : '';
	return mayAnswerOurs(headers, message.envelope?.subject ?? '');
}

function startOfUtcDay(time: number): Date {
	const date = new Date(time);
	return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

/** A UID list in IMAP's compact form ("3:7,9,12:14"), so a long run costs a few bytes. */
export function uidSet(uids: number[]): string {
	const sorted = [...new Set(uids)].sort((a, b) => a - b);
	const parts: string[] = [];
	for (let index = 0; index < sorted.length;) {
		let end = index;
		while (end + 1 < sorted.length && sorted[end + 1] === sorted[end] + 1) end++;
		parts.push(end > index ? `${sorted[index]}:${sorted[end]}` : String(sorted[index]));
		index = end + 1;
	}
	return parts.join(',');
}

export interface DateBounds {
	/** The earliest arrival time that can match, exactly. */
	receivedFrom?: number;
	/** The latest arrival worth asking for (loose: a report may come days after the failure). */
	receivedBefore?: number;
}

/**
 * The date bounds of a query. A report arrives after the failure it reports, so nothing received
 * before Since can match; it may arrive well after Until, so the upper bound is loose.
 */
export function dateBounds(
	query: Pick<FailedDeliveryQuery, 'since' | 'until' | 'receivedSince'>,
): DateBounds {
	const lower = [query.since, query.receivedSince]
		.filter((date): date is Date => Boolean(date))
		.map((date) => date.getTime());
	const bounds: DateBounds = {};
	if (lower.length) bounds.receivedFrom = Math.max(...lower);
	// An upper bound in the future is no bound (and imapflow turns it into WITHIN's OLDER 0).
	const before = query.until ? query.until.getTime() + 8 * DAY_MS : undefined;
	if (before !== undefined && before < Date.now()) bounds.receivedBefore = before;
	return bounds;
}

/**
 * The bounds as a SEARCH. With the WITHIN extension (RFC 5032) imapflow asks to the second; plain
 * SINCE / BEFORE have day granularity in the server's time zone, so they are widened by a day and
 * the exact bound is applied to what comes back.
 */
function dateSearch(client: ImapFlow, bounds: DateBounds): SearchObject {
	const exact = client.capabilities?.has('WITHIN') ?? false;
	const search: SearchObject = {};
	if (bounds.receivedFrom !== undefined)
		search.since = exact
			? new Date(bounds.receivedFrom)
			: startOfUtcDay(bounds.receivedFrom - DAY_MS);
	if (bounds.receivedBefore !== undefined)
		search.before = exact
			? new Date(bounds.receivedBefore)
			: startOfUtcDay(bounds.receivedBefore + DAY_MS);
	return search;
}

export interface Candidate {
	folder: string;
	uid: number;
	receivedAt: Date;
}

/** What the server matched in one folder: the messages a listing must deal with. */
export interface FolderSelection {
	folder: string;
	uidValidity: string;
	/** The mark the folder was read after; undefined: read by date (no mark yet, or renumbered). */
	mark?: FolderMark;
	/** The folder's UIDVALIDITY is not the one in the mark: its old UIDs mean nothing now. */
	renumbered: boolean;
	/** Matching UIDs, lowest first. */
	uids: number[];
	/** Everything up to here was matched above or did not match at all. */
	coveredUpTo: number;
}

/** Asks the server which messages of a folder to look at: after the mark when it is valid, else by date. */
export async function selectMessages(
	client: ImapFlow,
	folder: string,
	options: { mark?: FolderMark; bounds: DateBounds },
): Promise<FolderSelection> {
	const search = dateSearch(client, options.bounds);
	const lock = await client.getMailboxLock(folder, { readOnly: true });
	try {
		const opened = client.mailbox || undefined;
		const uidValidity = String(opened?.uidValidity ?? '0');
		const uidNext = Number(opened?.uidNext ?? 0);
		const mark = options.mark?.uidValidity === uidValidity ? options.mark : undefined;
		let uids: number[];
		if (mark && uidNext && mark.lastUid + 1 >= uidNext) {
			// Nothing arrived since the mark: no search at all.
			uids = [];
		} else if (mark) {
			const found = await client.search({ ...search, uid: `${mark.lastUid + 1}:*` }, { uid: true });
			// "n:*" also matches the highest UID when that is below n: keep only what lies after the mark.
			uids = (found || []).filter((uid) => uid > mark.lastUid);
		} else {
			uids =
				(await client.search(Object.keys(search).length ? search : { all: true }, { uid: true })) ||
				[];
		}
		uids.sort((a, b) => a - b);
		return {
			folder,
			uidValidity,
			mark,
			renumbered: Boolean(options.mark) && !mark,
			uids,
			// UIDs below UIDNEXT existed when the folder was opened, so the search covered them.
			coveredUpTo: Math.max(
				uidNext - 1,
				uids.length ? uids[uids.length - 1] : 0,
				mark?.lastUid ?? 0,
			),
		};
	} finally {
		lock.release();
	}
}

/**
 * Fetches envelopes, structure and a few headers of these messages and keeps the likely reports
 * (with `answers`, also the likely replies and auto-replies to our messages), lowest UID first.
 */
export async function screenMessages(
	client: ImapFlow,
	selection: FolderSelection,
	uids: number[],
	receivedFrom?: number,
	answers = false,
): Promise<Candidate[]> {
	if (!uids.length) return [];
	const lock = await client.getMailboxLock(selection.folder, { readOnly: true });
	try {
		// Renumbered since it was selected: these UIDs are other messages now; the next listing rescans.
		if (String((client.mailbox || undefined)?.uidValidity ?? '0') !== selection.uidValidity)
			return [];
		const candidates: Candidate[] = [];
		const messages = client.fetch(
			uidSet(uids),
			{
				uid: true,
				envelope: true,
				internalDate: true,
				bodyStructure: true,
				headers: [
					'return-path',
					'x-failed-recipients',
					'content-type',
					'feedback-type',
					...(answers ? ANSWER_FIELDS : []),
				],
			},
			{ uid: true },
		);
		for await (const message of messages) {
			const receivedAt = new Date(message.internalDate ?? 0);
			if (receivedFrom !== undefined && receivedAt.getTime() < receivedFrom) continue;
			if (looksLikeReport(message) || (answers && looksLikeAnswer(message)))
				candidates.push({ folder: selection.folder, uid: message.uid, receivedAt });
		}
		return candidates.sort((a, b) => a.uid - b.uid);
	} finally {
		lock.release();
	}
}

/** Shares a budget out between folders: none gets more than it needs, the rest goes to the others. */
export function shareBudget(needs: number[], budget: number): number[] {
	const shares = needs.map(() => 0);
	let left = budget;
	const order = needs.map((need, index) => ({ need, index })).sort((a, b) => a.need - b.need);
	order.forEach(({ need, index }, position) => {
		const share = Math.min(need, Math.floor(left / (order.length - position)));
		shares[index] = share;
		left -= share;
	});
	return shares;
}
