/**
 * The mailbox reads of Failed Deliveries, one Gmail call each: a page of the search for bounce
 * reports, a report's date and size (format=minimal), and one report downloaded (format=raw), parsed
 * by the bounce engine and filtered by the query before its failures are linked to Sent.
 * failedDeliveries.ts decides which reports to read and in what order.
 */
import type { gmail_v1 } from '@googleapis/gmail';

import { parseBounce } from '../../../../core/bounce';
import { DeliveryError } from '../../../../core/errors';
import {
	ANSWER_HEADERS,
	answerMayMatch,
	failuresFromReport,
	matchesQuery,
	mayAnswerOurs,
	replyFromReport,
	replyMatchesQuery,
	type SentMessageResolver,
} from '../../../../core/failures';
import type { FailedDelivery, FailedDeliveryQuery, MailboxReply } from '../types';
import { READ_SCOPE_HINT } from './auth';
import { REPORT_FROM, reportSearch } from './search';
import { isoFromInternalDate } from './sentResolver';
import { UNITS, type GmailApi } from './transport';

const LIST_PAGE = 500;

/** A listed report before its raw bytes are fetched. */
export interface Candidate {
	id: string;
	internalDate: number;
	size: number;
	/** Listed only because replies were asked for, and its headers say it is none: not downloaded. */
	skip?: boolean;
}

/** What one downloaded message gave: its failures, and the reply it is, when replies were asked for. */
export interface ReadReport {
	failures: FailedDelivery[];
	reply?: MailboxReply;
}

function yieldToEventLoop(): Promise<void> {
	return new Promise((resolve) => setImmediate(resolve));
}

/** The report was deleted since it was listed. */
function isGone(error: unknown): boolean {
	return error instanceof DeliveryError && error.responseCode === 404;
}

/** One page of the search `q`: message ids, newest first, and the token of the next page. */
export async function listReportPage(
	api: GmailApi,
	q: string,
	maxResults: number,
	pageToken: string | undefined,
): Promise<{ ids: string[]; nextPageToken?: string }> {
	const page = await api.call(
		{
			units: UNITS.list,
			what: 'search the mailbox for bounce reports',
			scopeHint: READ_SCOPE_HINT,
		},
		(options) => api.gmail.users.messages.list({ userId: 'me', q, maxResults, pageToken }, options),
	);
	const ids = (page.data.messages ?? [])
		.map((message) => message.id)
		.filter((id): id is string => Boolean(id));
	return { ids, nextPageToken: page.data.nextPageToken ?? undefined };
}

/** Ids of the reports in [lower, upper), newest first; `complete` false when more exist than `max`. */
export async function listReportIds(
	api: GmailApi,
	query: FailedDeliveryQuery,
	lower: number | undefined,
	upper: number | undefined,
	max: number,
): Promise<{ ids: string[]; complete: boolean }> {
	const q = reportSearch(query, lower, upper);
	const ids: string[] = [];
	let pageToken: string | undefined;
	do {
		const page = await listReportPage(api, q, LIST_PAGE, pageToken);
		ids.push(...page.ids);
		pageToken = page.nextPageToken;
		if (pageToken && ids.length >= max) return { ids, complete: false };
	} while (pageToken);
	return { ids, complete: true };
}

/**
 * The report's internal date and size (format=minimal: a few hundred bytes), before its raw bytes
 * are fetched. With `answers` (replies asked for, so the whole inbox was listed) a few header fields
 * too (format=metadata), and a message that is neither a likely report nor a likely answer to one of
 * our messages is marked `skip`.
 */
export async function readCandidate(
	api: GmailApi,
	id: string,
	answers = false,
): Promise<Candidate | undefined> {
	try {
		const { data } = await api.call(
			{ units: UNITS.get, what: 'read the size of a bounce report', scopeHint: READ_SCOPE_HINT },
			(options) =>
				api.gmail.users.messages.get(
					answers
						? { userId: 'me', id, format: 'metadata', metadataHeaders: SCREEN_HEADERS }
						: { userId: 'me', id, format: 'minimal' },
					options,
				),
		);
		const candidate: Candidate = {
			id,
			internalDate: Number(data.internalDate) || 0,
			size: Number(data.sizeEstimate) || 0,
		};
		if (answers && !worthReading(data)) candidate.skip = true;
		return candidate;
	} catch (error) {
		if (isGone(error)) return undefined;
		throw error;
	}
}

const SCREEN_HEADERS = ['From', 'Subject', 'Content-Type', ...ANSWER_HEADERS];

/** A likely report (from a mailer daemon, or a multipart/report) or a likely answer to one of ours. */
function worthReading(data: gmail_v1.Schema$Message): boolean {
	const fields = data.payload?.headers ?? [];
	const get = (name: string) =>
		fields.find((field) => field.name?.toLowerCase() === name.toLowerCase())?.value ?? '';
	if (REPORT_FROM.test(get('From')) || /^multipart\/report/i.test(get('Content-Type'))) return true;
	const text = fields.map((field) => `${field.name ?? ''}: ${field.value ?? ''}`).join('\n');
	return mayAnswerOurs(text, get('Subject'));
}

/** Downloads, parses and filters one report; only what passes the filters is linked to Sent. */
export async function readReport(
	api: GmailApi,
	candidate: Candidate,
	query: FailedDeliveryQuery,
	resolver: SentMessageResolver,
): Promise<ReadReport> {
	let data: gmail_v1.Schema$Message;
	try {
		({ data } = await api.call(
			{ units: UNITS.get, what: 'read a bounce report', scopeHint: READ_SCOPE_HINT },
			(options) =>
				api.gmail.users.messages.get({ userId: 'me', id: candidate.id, format: 'raw' }, options),
		));
	} catch (error) {
		if (isGone(error)) return { failures: [] };
		throw error;
	}
	if (!data.raw) return { failures: [] };
	await yieldToEventLoop();
	const report = await parseBounce(Buffer.from(data.raw, 'base64url'));
	const source = {
		receivedAt: isoFromInternalDate(data.internalDate),
		reportId: candidate.id,
		details: { gmailReportThreadId: data.threadId ?? undefined },
	};
	const read: ReadReport = { failures: [] };
	if (answerMayMatch(report, query, source.receivedAt)) {
		const reply = await replyFromReport(report, 'gmail', source, resolver);
		if (reply && replyMatchesQuery(reply, query)) read.reply = reply;
	}
	const unlinked = (await failuresFromReport(report, 'gmail', source)).filter((failure) =>
		matchesQuery(failure, query),
	);
	if (!unlinked.length) return read;
	const linked = await failuresFromReport(report, 'gmail', source, resolver);
	read.failures = linked.filter((failure) => matchesQuery(failure, query));
	return read;
}
