/**
 * The read stage: what every reader needs of a mail, worked out once: its sender, its readable
 * text split into the notification and the returned original, its delivery status fields and the
 * recipients its text names.
 */
import { isBounceLike } from './autoreply';
import { looksLikeDsn, parseDsn } from './dsn';
import type { DsnResult } from './dsn';
import type { MailView } from './mime';
import { BOUNCE_TEXT, FORWARD_SUBJECT, head } from './signals';
import { parseText, splitNotification, unquote } from './text';
import type { TextParseResult } from './text';
import { findAddresses, firstAddress } from './util';

export interface Letter {
	view: MailView;
	/** 0 for the mail read, 1 for a bounce attached to a forward of it. */
	depth: number;
	from: string;
	/** The report's own sender and recipient: never the failed recipient. */
	exclude: Set<string>;
	/** The readable parts, joined. */
	allText: string;
	/** The notification: the readable text above the returned original. */
	notice: string;
	originalText: string;
	/** Addresses of the X-Failed-Recipients header. */
	failedHeader: string[];
	dsn?: DsnResult;
	text: TextParseResult;
}

const DSN_START =
	/^(?:Reporting-MTA|Original-Envelope-Id|Final-Recipient|Original-Recipient)\s{0,5}:/im;

/** The delivery status fields: their own MIME part, or a text that holds them. */
function dsnSource(view: MailView): string {
	if (view.deliveryStatus.length) return view.deliveryStatus.join('\n\n');
	for (const t of [view.text, ...view.otherText, ...view.originals.slice(0, 1)]) {
		if (t && looksLikeDsn(t)) {
			const i = t.search(DSN_START);
			return i >= 0 ? t.slice(i) : t;
		}
	}
	return '';
}

/** The notification and the returned original of the readable text. */
function splitText(view: MailView, allText: string): { notice: string; original: string } {
	const split = splitNotification(unquote(allText));
	// A bounce forwarded inline by a person ("Fwd: Undeliverable: ..."): the notification is the
	// forwarded text, not the few words written above it.
	const forwardedInline =
		FORWARD_SUBJECT.test(view.subject) &&
		split.original &&
		!BOUNCE_TEXT.test(head(split.notice)) &&
		BOUNCE_TEXT.test(head(split.original));
	return forwardedInline ? splitNotification(split.original) : split;
}

/** A system mailbox's domain: the server that wrote the report, whose own users it names. */
function reportingDomain(view: MailView, from: string): string {
	if (!isBounceLike(view, from)) return '';
	return from.slice(from.indexOf('@') + 1);
}

export function readLetter(view: MailView, depth: number): Letter {
	const from = firstAddress(view.headers.get('from'));
	const to = firstAddress(view.headers.get('to'));
	const exclude = new Set([from, to].filter((a) => a).map((a) => a.toLowerCase()));
	const allText = [view.text, ...view.otherText].join('\n');
	const split = splitText(view, allText);
	const failedHeader = findAddresses(view.headers.get('x-failed-recipients') ?? '', 100);
	const source = dsnSource(view);
	return {
		view,
		depth,
		from,
		exclude,
		allText,
		notice: split.notice,
		originalText: split.original,
		failedHeader,
		dsn: source ? parseDsn(source) : undefined,
		text: parseText(allText, exclude, failedHeader, split, reportingDomain(view, from)),
	};
}
