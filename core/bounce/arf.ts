/**
 * Complaint reports: RFC 5965 ARF (multipart/report; report-type=feedback-report) and the
 * one-click unsubscribe mails some clients send instead.
 */
import type { MailView } from './mime';
import type { BounceRecipient } from './types';
import { firstAddress, isoDate, parseFields, parseHeaderText, splitLines } from './util';

export interface ArfResult {
	feedbackType: string;
	recipients: string[];
	reportingMta?: string;
	arrivalDate?: string;
	sourceIp?: string;
	userAgent?: string;
}

export function isArf(view: MailView): boolean {
	return (
		view.feedbackReports.length > 0 ||
		(view.reportType === 'feedback-report' && /feedback-type\s{0,5}:/i.test(view.text))
	);
}

/** Parse the machine-readable part of an ARF report. */
export function parseArf(view: MailView): ArfResult {
	const source = view.feedbackReports[0] ?? view.text;
	const lines = splitLines(source.slice(0, 64 * 1024), 2000);
	// The feedback fields may follow other text when the part was not separated.
	let start = lines.findIndex((l) => /^feedback-type\s{0,5}:/i.test(l));
	if (start < 0) start = 0;
	const { block } = parseFields(lines, start);
	const result: ArfResult = {
		feedbackType: (block.get('feedback-type') ?? 'other').trim().toLowerCase(),
		recipients: [],
		reportingMta: block.get('reporting-mta')?.replace(/^\s*[a-z0-9-]{1,20}\s*;\s*/i, ''),
		arrivalDate: isoDate(block.get('arrival-date') ?? block.get('received-date')),
		sourceIp: block.get('source-ip'),
		userAgent: block.get('user-agent'),
	};
	for (const v of [...block.getAll('original-rcpt-to'), ...block.getAll('removal-recipient')]) {
		const a = firstAddress(v);
		if (a && !result.recipients.includes(a)) result.recipients.push(a);
	}
	if (result.recipients.length === 0) {
		for (const orig of view.originals) {
			const h = parseHeaderText(orig);
			const a = firstAddress(h.get('to') ?? h.get('delivered-to') ?? h.get('x-original-to'));
			if (a) {
				result.recipients.push(a);
				break;
			}
		}
	}
	return result;
}

/**
 * One complaint per complaining recipient. Feedback providers often redact the recipient (privacy);
 * a real feedback report without one is still a complaint, about the original message, with
 * recipient '' when `keepUnnamed` is set.
 */
export function arfFailures(
	arf: ArfResult,
	fallbackRecipient: string,
	keepUnnamed = false,
): BounceRecipient[] {
	const recipients =
		arf.recipients.length > 0
			? arf.recipients
			: fallbackRecipient
				? [fallbackRecipient]
				: keepUnnamed
					? ['']
					: [];
	return recipients.map((recipient) => ({
		recipient,
		action: 'complaint' as const,
		status: '',
		replyCode: '',
		reason: 'feedback',
		hard: false,
		diagnostic: [arf.feedbackType, arf.userAgent, arf.sourceIp ? `source-ip ${arf.sourceIp}` : '']
			.filter((s) => s)
			.join('; '),
		reportingMta: arf.reportingMta,
		failedAt: arf.arrivalDate,
		feedbackType: arf.feedbackType,
	}));
}

/** Mail clients that unsubscribe with a mail to the List-Unsubscribe mailto address. */
export function isUnsubscribeRequest(view: MailView): boolean {
	return /^true$/i.test(view.headers.get('x-apple-unsubscribe') ?? '');
}
