/**
 * Shared by every channel that finds failures by reading bounce reports (Gmail, Custom SMTP over
 * IMAP, the MSC sandbox): turns a parsed report into failed-delivery items, links each to the
 * message that was sent, and applies the user's filters the same way everywhere.
 */
import type { DataObject as IDataObject } from '../model';

import type { BounceReport, OriginalLink } from '../bounce/types';
import type { ChannelKey, FailedDelivery, FailedDeliveryQuery } from '../model';

/** Where a report was found, for the item and for the time filter when the report has no date. */
export interface ReportSource {
	/** When the report arrived in the mailbox (ISO 8601). */
	receivedAt?: string;
	/** The report's id in the mailbox (Gmail message id, IMAP folder and UID, ...). */
	reportId?: string;
	details?: IDataObject;
}

/**
 * Finds the sent message for one link key (by Message-ID in Sent, by envelope id in a send log, ...).
 * Returns the facts to show on the item, or undefined when nothing matched.
 */
export type SentMessageResolver = (link: OriginalLink) => Promise<IDataObject | undefined>;

const CONFIDENCE_ORDER = { high: 0, medium: 1, low: 2 } as const;

const KIND_BY_ACTION: Record<string, FailedDelivery['kind'] | undefined> = {
	failed: 'failure',
	delayed: 'delay',
	complaint: 'complaint',
};

export async function failuresFromReport(
	report: BounceReport,
	channel: ChannelKey,
	source: ReportSource,
	resolve?: SentMessageResolver,
): Promise<FailedDelivery[]> {
	const relevant = report.failures.filter((entry) => KIND_BY_ACTION[entry.action]);
	if (!relevant.length) return [];
	const { message, link } = await linkReport(report, resolve);
	return relevant.map((entry) => {
		const failure: FailedDelivery = {
			channel,
			recipient: entry.recipient || onlyRecipient(message),
			action: entry.action,
			kind: KIND_BY_ACTION[entry.action]!,
			hard: entry.hard,
			reason: entry.reason,
			status: entry.status,
			replyCode: entry.replyCode,
			diagnostic: entry.diagnostic,
			failedAt: entry.failedAt ?? report.arrivalDate ?? source.receivedAt,
			remoteMta: entry.remoteMta,
			reportingMta: entry.reportingMta ?? report.reportingMta,
			message,
			link,
			details: {
				reportId: source.reportId,
				reportReceivedAt: source.receivedAt,
				...source.details,
			},
		};
		if (entry.feedbackType) failure.feedbackType = entry.feedbackType;
		return failure;
	});
}

/**
 * A complaint whose provider removed the recipient (many do, for privacy) is about the sent
 * message: when that message went to one address, that address complained. '' otherwise.
 */
function onlyRecipient(message: IDataObject): string {
	const to = message.to;
	return Array.isArray(to) && to.length === 1 && typeof to[0] === 'string' ? to[0] : '';
}

async function linkReport(
	report: BounceReport,
	resolve?: SentMessageResolver,
): Promise<{ message: IDataObject; link: FailedDelivery['link'] }> {
	const original = report.original;
	const fromReport: IDataObject = {
		messageId: original.messageId,
		envelopeId: original.envelopeId,
		subject: original.subject,
		to: original.recipients,
	};
	const links = [...original.links].sort(
		(a, b) => CONFIDENCE_ORDER[a.confidence] - CONFIDENCE_ORDER[b.confidence],
	);
	if (resolve) {
		for (const candidate of links) {
			const found = await resolve(candidate);
			if (found) {
				return {
					message: { ...fromReport, ...found },
					link: { method: candidate.method, confidence: candidate.confidence },
				};
			}
		}
	}
	// Nothing we sent matched: keep what the report says about the original, and say so.
	return { message: fromReport, link: { method: 'none', confidence: 'none' } };
}

/** Applies Since / Until / Recipient / Type / Include Delays / Include Complaints. */
export function matchesQuery(failure: FailedDelivery, query: FailedDeliveryQuery): boolean {
	if (failure.kind === 'delay' && !query.includeDelays) return false;
	if (failure.kind === 'complaint' && !query.includeComplaints) return false;
	if (query.verdict === 'hard' && !failure.hard) return false;
	if (query.verdict === 'soft' && failure.hard) return false;
	if (query.recipient && failure.recipient.toLowerCase() !== query.recipient.toLowerCase())
		return false;
	// A failure without a usable time cannot be shown to fall inside a time filter: it is left out,
	// or it would pass every poll's window and come back as new once the trigger forgot it.
	if (query.receivedSince) {
		const received = Date.parse(String(failure.details?.reportReceivedAt ?? ''));
		if (Number.isNaN(received) || received < query.receivedSince.getTime()) return false;
	}
	if (query.since || query.until) {
		const time = [failure.failedAt, failure.details?.reportReceivedAt]
			.map((value) => Date.parse(String(value ?? '')))
			.find((value) => !Number.isNaN(value));
		if (time === undefined) return false;
		if (query.since && time < query.since.getTime()) return false;
		if (query.until && time >= query.until.getTime()) return false;
	}
	return true;
}
export * from './answers';
