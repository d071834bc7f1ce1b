/**
 * Failed Deliveries on Gmail: search the mailbox for bounce reports in the time window, fetch each
 * raw, parse it with the bounce engine and link it to the message in Sent (searched by the original
 * Message-ID, else by recipient and subject). One entry per failed recipient, newest report first.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import type { IDataObject } from 'n8n-workflow';

import { parseBounce } from '../../bounce';
import type { OriginalLink } from '../../bounce/types';
import { findAddresses } from '../../bounce/util';
import { failuresFromReport, matchesQuery, type SentMessageResolver } from '../../failures';
import type { FailedDelivery, FailedDeliveryQuery } from '../types';
import { UNITS, type GmailApi } from './api';

/** Bounce reports come from the sending service's daemon or a postmaster. */
const REPORT_SENDERS = ['from:mailer-daemon', 'from:postmaster', 'from:"mail delivery"'];
const PAGE_SIZE = 100;
const FETCH_CONCURRENCY = 5;

export const READ_SCOPE_HINT =
	'Turn on "Read Mailbox for Failed Deliveries" in the Gmail credential and reconnect it, so it may read the mailbox (gmail.readonly).';

function quoted(value: string): string {
	return `"${value.replace(/["{}]/g, ' ').trim()}"`;
}

/** The Gmail search (`q`) for bounce reports matching the query. */
export function reportSearch(query: FailedDeliveryQuery): string {
	const senders = [...REPORT_SENDERS];
	if (query.includeComplaints) senders.push('"feedback-type"');
	const terms = [`{${senders.join(' ')}}`];
	if (query.since) terms.push(`after:${Math.floor(query.since.getTime() / 1000)}`);
	if (query.until) terms.push(`before:${Math.ceil(query.until.getTime() / 1000)}`);
	if (query.recipient) terms.push(quoted(query.recipient));
	return terms.join(' ');
}

const MESSAGE_ID_METHODS = new Set(['message-id', 'x-original-message-id', 'in-reply-to', 'references']);

/** The Gmail search for the sent message a link points to, or undefined when Gmail cannot search for it. */
export function sentSearch(link: OriginalLink): string | undefined {
	if (MESSAGE_ID_METHODS.has(link.method)) {
		const id = link.value.trim().replace(/^<|>$/g, '');
		if (!id || /[\s"{}]/.test(id)) return undefined;
		return `in:sent rfc822msgid:${id}`;
	}
	if (link.method === 'subject-recipient') {
		const [recipient, ...rest] = link.value.split('\n');
		const subject = rest.join(' ').trim();
		if (!recipient || !subject) return undefined;
		return `in:sent to:${recipient} subject:${quoted(subject)}`;
	}
	return undefined;
}

function headerValue(message: gmail_v1.Schema$Message, name: string): string | undefined {
	return message.payload?.headers?.find((header) => header.name?.toLowerCase() === name.toLowerCase())?.value ?? undefined;
}

function isoFromInternalDate(value: string | null | undefined): string | undefined {
	const ms = Number(value);
	return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined;
}

async function mapBounded<T, R>(values: T[], limit: number, task: (value: T) => Promise<R>): Promise<R[]> {
	const results: R[] = new Array(values.length);
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(limit, values.length) }, async () => {
			while (next < values.length) {
				const index = next++;
				results[index] = await task(values[index]);
			}
		}),
	);
	return results;
}

export class GmailFailureFinder {
	private readonly sentCache = new Map<string, Promise<IDataObject | undefined>>();

	constructor(private readonly api: GmailApi) {}

	async list(query: FailedDeliveryQuery): Promise<FailedDelivery[]> {
		const q = reportSearch(query);
		const found: FailedDelivery[] = [];
		const enough = () => query.limit !== undefined && found.length >= query.limit;
		let pageToken: string | undefined;
		do {
			const page = await this.api.call(
				{ units: UNITS.list, what: 'search the mailbox for bounce reports', scopeHint: READ_SCOPE_HINT },
				(options) => this.api.gmail.users.messages.list({ userId: 'me', q, maxResults: PAGE_SIZE, pageToken }, options),
			);
			const ids = (page.data.messages ?? []).map((message) => message.id).filter((id): id is string => Boolean(id));
			for (let start = 0; start < ids.length && !enough(); start += FETCH_CONCURRENCY) {
				const reports = await mapBounded(ids.slice(start, start + FETCH_CONCURRENCY), FETCH_CONCURRENCY, (id) => this.report(id, query));
				for (const entries of reports) {
					for (const entry of entries) {
						if (!enough()) found.push(entry);
					}
				}
			}
			pageToken = page.data.nextPageToken ?? undefined;
		} while (pageToken && !enough());
		return found;
	}

	private async report(id: string, query: FailedDeliveryQuery): Promise<FailedDelivery[]> {
		const { data } = await this.api.call(
			{ units: UNITS.get, what: 'read a bounce report', scopeHint: READ_SCOPE_HINT },
			(options) => this.api.gmail.users.messages.get({ userId: 'me', id, format: 'raw' }, options),
		);
		if (!data.raw) return [];
		const report = await parseBounce(Buffer.from(data.raw, 'base64url'));
		const failures = await failuresFromReport(
			report,
			'gmail',
			{
				receivedAt: isoFromInternalDate(data.internalDate),
				reportId: id,
				details: { gmailReportThreadId: data.threadId ?? undefined },
			},
			this.resolver,
		);
		return failures.filter((failure) => matchesQuery(failure, query));
	}

	/** Finds the sent message in Sent; one search per distinct link per execution. */
	readonly resolver: SentMessageResolver = (link) => {
		const q = sentSearch(link);
		if (!q) return Promise.resolve(undefined);
		let pending = this.sentCache.get(q);
		if (!pending) {
			pending = this.findSent(q);
			this.sentCache.set(q, pending);
		}
		return pending;
	};

	private async findSent(q: string): Promise<IDataObject | undefined> {
		const { data } = await this.api.call(
			{ units: UNITS.list, what: 'search Sent for the original message', scopeHint: READ_SCOPE_HINT },
			(options) => this.api.gmail.users.messages.list({ userId: 'me', q, maxResults: 1 }, options),
		);
		const id = data.messages?.[0]?.id;
		if (!id) return undefined;
		const { data: message } = await this.api.call(
			{ units: UNITS.get, what: 'read the original message', scopeHint: READ_SCOPE_HINT },
			(options) =>
				this.api.gmail.users.messages.get(
					{ userId: 'me', id, format: 'metadata', metadataHeaders: ['Subject', 'Message-ID', 'From', 'To', 'Date'] },
					options,
				),
		);
		const sentTo = findAddresses(headerValue(message, 'To') ?? '');
		const found: IDataObject = {
			messageId: headerValue(message, 'Message-ID'),
			subject: headerValue(message, 'Subject'),
			from: headerValue(message, 'From'),
			to: sentTo.length ? sentTo : undefined,
			sentAt: isoFromInternalDate(message.internalDate),
			gmailMessageId: message.id ?? id,
			gmailThreadId: message.threadId ?? undefined,
		};
		for (const key of Object.keys(found)) if (found[key] === undefined) delete found[key];
		return found;
	}
}
