/**
 * Format readers, in the order they are asked: the first one that knows the mail decides its
 * kind and extracts its entries. A reader answers undefined when the mail is not of its format.
 */
import { arfFailures, isArf, isUnsubscribeRequest, parseArf } from './arf';
import {
	hasBounceHeaders,
	isAutoReply,
	isBounceLike,
	isChallengeResponse,
	isHumanReply,
} from './autoreply';
import { smtpCommandOf } from './classify';
import { extractOriginal } from './link';
import type { Letter } from './letter';
import { parseSes } from './ses';
import { guessAction } from './text';
import { BOUNCE_TEXT, FAILURE_SIGNAL, FORWARD_SUBJECT, head } from './signals';
import type { BounceRecipient, BounceReport, RawRecipient, ReportKind } from './types';
import { findAddresses, firstAddress, parseHeaderText, squash } from './util';

/** What an SES notification says of the original message. */
export interface SesLink {
	messageId?: string;
	subject?: string;
}

/** A report's fields read from its own format (a feedback report): the delivery status's are not used. */
export interface OwnFields {
	reportingMta?: string;
	arrivalDate?: string;
}

/** What a reader found: entries to classify, entries that need none, or a whole report. */
export type Extracted =
	| { entries: RawRecipient[]; ses?: SesLink }
	/** Entries that need no classification, and the recipients whose original they link to. */
	| {
			kind: ReportKind;
			failures: BounceRecipient[];
			linkTo: string[];
			own?: OwnFields;
			ses?: SesLink;
	  };

export type Found = Extracted | { report: BounceReport };

export interface Reader {
	/** The format in words, for a reader of this list. */
	name: string;
	read(
		letter: Letter,
		parse: (raw: string, depth: number) => Promise<BounceReport>,
	): Found | undefined | Promise<Found | undefined>;
}

/** A bounce forwarded by a person as an attachment ("FW: Mail delivery failed"): read once, never deeper. */
const forwardedBounce: Reader = {
	name: 'bounce forwarded as an attachment',
	async read({ view, notice, depth }, parse) {
		const forwarded =
			depth === 0 &&
			FORWARD_SUBJECT.test(view.subject) &&
			!view.reportType &&
			view.deliveryStatus.length === 0 &&
			view.feedbackReports.length === 0 &&
			view.originals.length === 1 &&
			!BOUNCE_TEXT.test(head(notice));
		if (!forwarded) return undefined;
		const inner = parseHeaderText(view.originals[0]);
		if (!hasBounceHeaders(inner.get('from') ?? '', inner.get('subject') ?? '')) return undefined;
		const report = await parse(view.originals[0], 1);
		return report.failures.length && (report.kind === 'failure' || report.kind === 'delay')
			? { report }
			: undefined;
	},
};

/** Complaints: an RFC 5965 feedback report, or a one-click unsubscribe mail. */
const complaint: Reader = {
	name: 'complaint',
	read({ view, from }) {
		const feedbackReport = isArf(view);
		if (!feedbackReport && !isUnsubscribeRequest(view)) return undefined;
		const arf = feedbackReport
			? parseArf(view)
			: {
					feedbackType: 'opt-out',
					recipients: from ? [from] : [],
					arrivalDate: undefined,
					reportingMta: undefined,
				};
		const failures = arfFailures(arf, '', feedbackReport);
		const kind: ReportKind = failures.length ? 'complaint' : 'not-a-report';
		const own = { reportingMta: arf.reportingMta, arrivalDate: arf.arrivalDate };
		return { kind, failures, linkTo: failures.map((f) => f.recipient), own };
	},
};

/** The addresses the returned original was sent to (its To and Cc), lowercase. */
function returnedTo({ view, originalText }: Letter): string[] {
	const source = view.originals[0] ?? originalText;
	if (!source) return [];
	const h = parseHeaderText(source);
	return findAddresses(`${h.get('to') ?? ''} ${h.get('cc') ?? ''}`, 50).map((a) => a.toLowerCase());
}

/**
 * RFC 3464 2.3.1: Original-Recipient is the address as the sender gave it (RFC 3461 ORCPT), while
 * Final-Recipient may be what an alias or a forward made of it. The sender's address is the one to
 * report, unless the returned original shows the sender wrote the final one.
 */
function preferOriginalRecipient(entries: RawRecipient[], letter: Letter): void {
	let sent: string[] | undefined;
	for (const r of entries) {
		const original = r.originalRecipient?.toLowerCase();
		const final = r.recipient.toLowerCase();
		if (!original || original === final) continue;
		sent ??= returnedTo(letter);
		if (sent.includes(final) && !sent.includes(original)) continue;
		r.recipient = r.originalRecipient as string;
	}
}

/** RFC 3464 delivery status, each entry completed from the readable part where it says more. */
const deliveryStatus: Reader = {
	name: 'delivery status notification',
	read(letter) {
		const { dsn, text, notice } = letter;
		const entries = dsn?.recipients ?? [];
		if (!entries.length) return undefined;
		preferOriginalRecipient(entries, letter);
		const noticeDiagnostic = squash(notice, 1500);
		const noticeCommand = entries.length === 1 ? smtpCommandOf(notice) : '';
		for (const r of entries) {
			const names = [r.recipient.toLowerCase(), r.originalRecipient?.toLowerCase()];
			const t = text.recipients.find((x) => names.includes(x.recipient.toLowerCase()));
			if (!r.diagnostic && t) {
				r.diagnostic = t.diagnostic;
				r.replyCode ||= t.replyCode;
			}
			if (!r.diagnostic && text.recipients.length === 0) r.diagnostic = noticeDiagnostic;
			// The SMTP command the error answered is often only in the readable part (a transcript).
			r.command ||=
				smtpCommandOf(r.diagnostic) || (t ? smtpCommandOf(t.diagnostic) : '') || noticeCommand;
		}
		return { entries };
	},
};

/** Amazon SES notifications delivered by mail. */
const sesNotification: Reader = {
	name: 'Amazon SES notification',
	read({ allText }) {
		const ses = parseSes(allText);
		if (!ses?.recipients.length) return undefined;
		if (ses.type !== 'complaint') return { entries: ses.recipients, ses };
		const recipients = ses.recipients.map((r) => r.recipient);
		const failures = arfFailures({ feedbackType: ses.feedbackType ?? 'abuse', recipients }, '');
		return { kind: 'complaint', failures, linkTo: recipients, ses };
	},
};

/**
 * A person answering (maybe quoting a bounce) is not a report, nor is a newsletter or list post
 * that talks about undeliverable mail: the readers of plain-text reports skip them.
 */
function writtenByPersonOrList({ view, from }: Letter): boolean {
	if (isHumanReply(view, from)) return true;
	// RFC 2369 List-* headers: no delivery report carries them itself, they belong to the returned original.
	const h = view.headers;
	if (!h.has('list-unsubscribe') && !h.has('list-id')) return false;
	if (view.reportType || view.deliveryStatus.length > 0 || view.contentType === 'multipart/report')
		return false;
	if (h.has('x-failed-recipients')) return false;
	const local = from.slice(0, from.indexOf('@') >>> 0);
	return !/^(?:mailer-daemon|post_?master|mail-daemon|maildaemon)$/i.test(local);
}

/** A readable notification naming its recipients (Exim, Postfix, Exchange, qmail, ...). */
const textReport: Reader = {
	name: 'plain-text notification',
	read(letter) {
		const { view, from, text, notice, failedHeader, dsn } = letter;
		if (!text.recipients.length || writtenByPersonOrList(letter)) return undefined;
		if (!isBounceLike(view, from) && !BOUNCE_TEXT.test(head(notice)) && failedHeader.length === 0)
			return undefined;
		const entries = text.recipients;
		// A DSN block without an address (delivery to a file or pipe) describes the one recipient
		// the readable part names.
		const unnamed = dsn?.unnamed ?? [];
		if (entries.length === 1 && unnamed.length === 1) {
			const u = unnamed[0];
			entries[0].status ||= u.status;
			if (u.action) entries[0].action = u.action;
			if (u.diagnostic && !entries[0].replyCode)
				entries[0].diagnostic = `${u.diagnostic} ${entries[0].diagnostic}`.trim();
		}
		return { entries };
	},
};

/**
 * A bounce that names no recipient (old Sendmail: "421 host (smtp)... Deferred: ..."): the
 * returned message's only recipient is the one that failed.
 */
const returnedOriginal: Reader = {
	name: 'bounce naming no recipient',
	read(letter) {
		const { view, from, text, notice, originalText, exclude } = letter;
		if (text.recipients.length || writtenByPersonOrList(letter)) return undefined;
		if (!isBounceLike(view, from) || !FAILURE_SIGNAL.test(head(notice))) return undefined;
		const returned = extractOriginal({
			view,
			originalText,
			notice,
			recipients: [],
			isReply: false,
		});
		const candidates = returned.recipients.filter((a) => !exclude.has(a.toLowerCase()));
		// Whether the server gave up is said by the notice ("could not be delivered for 5 days"), not
		// by the temporary codes of the attempts it quotes.
		const action = guessAction(notice);
		return candidates.length === 1
			? { entries: [{ recipient: candidates[0], diagnostic: '', action }] }
			: undefined;
	},
};

/**
 * A challenge-response notice (maybe dressed as a DSN with Action: failed): an automatic answer
 * from the recipient's filter, not a failure. Its recipient is the one the DSN names, else the
 * address the filter asks replies to go to, else its sender.
 */
const challengeResponse: Reader = {
	name: 'challenge-response notice',
	read({ view, from, notice, dsn }) {
		if (!isChallengeResponse(view, from, notice)) return undefined;
		if (dsn?.recipients.some((r) => /^[45]\d\d\b/.test(r.diagnostic.trim()))) return undefined;
		const named = dsn?.recipients[0]?.recipient;
		const recipient = named || firstAddress(view.headers.get('reply-to')) || from;
		const failures: BounceRecipient[] = [
			{
				recipient,
				action: 'autoreply',
				status: '',
				replyCode: '',
				reason: 'vacation',
				hard: false,
				diagnostic: squash(notice, 300),
			},
		];
		return { kind: 'autoreply', failures, linkTo: [recipient] };
	},
};

/** Vacation and out-of-office replies (RFC 3834), never a mail that looks like a bounce. */
const autoReply: Reader = {
	name: 'auto-reply',
	read({ view, from }) {
		if (!from || !isAutoReply(view, from)) return undefined;
		const failures: BounceRecipient[] = [
			{
				recipient: from,
				action: 'autoreply',
				status: '',
				replyCode: '',
				reason: 'vacation',
				hard: false,
				diagnostic: squash(view.subject, 300),
			},
		];
		return { kind: 'autoreply', failures, linkTo: [from] };
	},
};

export const READERS: Reader[] = [
	forwardedBounce,
	complaint,
	challengeResponse,
	deliveryStatus,
	sesNotification,
	textReport,
	returnedOriginal,
	autoReply,
];
