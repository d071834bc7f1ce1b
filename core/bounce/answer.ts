/**
 * Answers to a sent message that are not delivery reports: a person's reply, or an automatic one
 * (out of office, moved, auto-acknowledgement). Read beside the report, never instead of it: the
 * report's kind and entries stay what the readers decided, and a mail that looks like a bounce or
 * carries a failure, a delay or a complaint is never an answer.
 *
 * Automatic: RFC 3834 Auto-Submitted (any value but "no"), X-Autoreply / X-Autorespond /
 * X-Autoresponder / X-Vacation, Precedence auto_reply (or bulk/junk on a mail that answers one),
 * Microsoft's X-MS-Exchange-Inbox-Rules-Loop and OOF suppression, and the subjects of auto-replies;
 * or what the auto-reply and challenge-response readers already found. A reply: a mail that names
 * the message it answers (In-Reply-To or References) and carries none of those marks nor List-*
 * headers. Whether it answers a message *we* sent is the caller's to decide (its links).
 */
import { AUTO_SUBJECT, AWAY, MOVED, NEW_ADDRESS_CUE, RECEIVED, TICKET } from './answerPhrases';
import { isBounceLike } from './autoreply';
import type { Letter } from './letter';
import type { AutoReplyKind, BounceReport, MailAnswer, OriginalLink } from './types';
import { findAddresses, isoDate, messageIdOf, messageIds, splitLines, squash } from './util';

/** Characters of new text (above any quoted message) looked at. */
const MAX_NEW_TEXT = 6000;
const EXCERPT_CHARS = 300;

/** "Re:" / "AW:" / "RE[2]:" in front of a subject, any number of times. */
const REPLY_PREFIX =
	/^(?:\s{0,4}(?:re|aw|sv|antw|vs|rif|r|wg|fw|fwd|tr)\s{0,2}(?:\[\d{1,4}\])?\s{0,2}:)+\s{0,4}/i;

/** Where the quoted message starts in a reply. */
const QUOTE_START = new RegExp(
	[
		'^>',
		'^-{2,}\\s{0,4}(?:original message|urspr[üu]ngliche nachricht|message d.origine|mensaje original)',
		'^on .{1,200} wrote:?\\s*$',
		'^am .{1,200} schrieb .{0,200}$',
		'^le .{1,200} a [ée]crit\\s?:?\\s*$',
		'^el .{1,200} escribi[óo]:?\\s*$',
		'^(?:from|von|de|envoy[ée]|sent|gesendet):\\s.{1,300}$',
		'^_{8,}\\s*$',
	].join('|'),
	'i',
);

function hasAutoMarks(letter: Letter): boolean {
	const h = letter.view.headers;
	const auto = (h.get('auto-submitted') ?? '').trim().toLowerCase();
	if (auto && auto !== 'no') return true;
	if (['x-autoreply', 'x-autorespond', 'x-autoresponder', 'x-vacation'].some((n) => h.has(n)))
		return true;
	if (/vacation/i.test(h.get('x-apple-action') ?? '')) return true;
	const precedence = (h.get('precedence') ?? '').trim();
	if (/^auto[_-]?reply$/i.test(precedence)) return true;
	// Exchange stamps the replies of an inbox rule (an out-of-office rule among them) with this.
	if (h.has('x-ms-exchange-inbox-rules-loop')) return true;
	if (/^(?:bulk|junk)$/i.test(precedence) && answersSomething(letter)) return true;
	return AUTO_SUBJECT.test(letter.view.subject.replace(REPLY_PREFIX, '').trim());
}

function answersSomething({ view }: Letter): boolean {
	return view.headers.has('in-reply-to') || view.headers.has('references');
}

/** A mailing list's post or a report of any kind: never an answer of one person. */
function isListOrReport({ view }: Letter): boolean {
	const h = view.headers;
	if (h.has('list-id') || h.has('list-unsubscribe') || h.has('list-post')) return true;
	if (h.has('x-failed-recipients')) return true;
	return (
		Boolean(view.reportType) || view.deliveryStatus.length > 0 || view.feedbackReports.length > 0
	);
}

/** The text written above the quoted message, at most MAX_NEW_TEXT characters. */
export function newText(text: string): string {
	const kept: string[] = [];
	let length = 0;
	for (const line of splitLines(text.slice(0, MAX_NEW_TEXT * 4), 400)) {
		if (QUOTE_START.test(line.trim()) && kept.some((k) => k.trim())) break;
		if (line.trim().startsWith('>')) continue;
		kept.push(line);
		length += line.length + 1;
		if (length >= MAX_NEW_TEXT) break;
	}
	return kept.join('\n').slice(0, MAX_NEW_TEXT);
}

/** The new address a moved notice gives: on a line that points to it, else the only other address. */
function movedTo(text: string, exclude: Set<string>): string | undefined {
	const other = (line: string) =>
		findAddresses(line, 10).filter((a) => !exclude.has(a.toLowerCase()));
	for (const line of splitLines(text, 200)) {
		const found = other(line);
		if (found.length && NEW_ADDRESS_CUE.test(line)) return found[0];
	}
	const all = [...new Set(other(text).map((a) => a.toLowerCase()))];
	return all.length === 1 ? all[0] : undefined;
}

/** Which automatic reply this is, from its subject and new text; the new address of a moved notice. */
export function autoReplyKindOf(
	subject: string,
	text: string,
	exclude: Set<string>,
	outOfOfficeHeaders = false,
): { kind: AutoReplyKind; newAddress?: string } {
	const words = `${subject}\n${text}`.replace(/[’`]/g, "'");
	if (MOVED.test(words)) {
		const newAddress = movedTo(text, exclude);
		return newAddress ? { kind: 'moved', newAddress } : { kind: 'moved' };
	}
	if (TICKET.test(words)) return { kind: 'auto-acknowledgement' };
	if (outOfOfficeHeaders || AWAY.test(words)) return { kind: 'out-of-office' };
	if (RECEIVED.test(words)) return { kind: 'auto-acknowledgement' };
	return { kind: 'other' };
}

/** Microsoft's and Apple's marks of an out-of-office reply (Exchange's OOF, macOS Mail's vacation). */
function outOfOfficeHeaders({ view }: Letter): boolean {
	const h = view.headers;
	if (h.has('x-vacation') || /vacation/i.test(h.get('x-apple-action') ?? '')) return true;
	return (
		/\boof\b/i.test(h.get('x-auto-response-suppress') ?? '') &&
		h.has('x-ms-exchange-inbox-rules-loop')
	);
}

/** The messages it answers: In-Reply-To first, then References from the newest. */
function answerLinks(letter: Letter, subject: string, from: string): OriginalLink[] {
	const h = letter.view.headers;
	const links: OriginalLink[] = [];
	const inReplyTo = messageIdOf(h.get('in-reply-to'));
	if (inReplyTo) links.push({ method: 'in-reply-to', value: inReplyTo, confidence: 'high' });
	for (const id of messageIds(h.get('references')).slice(-5).reverse())
		if (!links.some((l) => l.value === id))
			links.push({ method: 'references', value: id, confidence: 'medium' });
	const answered = subject
		.replace(REPLY_PREFIX, '')
		.replace(AUTO_SUBJECT, '')
		.replace(/^\s{0,4}:\s{0,4}/, '');
	const topic = answered.replace(REPLY_PREFIX, '').trim();
	if (topic && topic !== subject.trim())
		links.push({
			method: 'subject-recipient',
			value: `${from.toLowerCase()}\n${topic}`,
			confidence: 'low',
		});
	return links;
}

/** The answer this mail is, or undefined when it is a report, a list post, or answers nothing. */
export function readAnswer(letter: Letter, report: BounceReport): MailAnswer | undefined {
	const { view, from, depth } = letter;
	if (depth > 0 || !from) return undefined;
	if (report.kind !== 'autoreply' && report.kind !== 'not-a-report') return undefined;
	if (report.kind === 'not-a-report' && (isBounceLike(view, from) || isListOrReport(letter)))
		return undefined;
	const auto = report.kind === 'autoreply' || hasAutoMarks(letter);
	if (!auto && !answersSomething(letter)) return undefined;
	const subject = squash(view.subject, 500);
	const text = newText([view.text, ...view.otherText].join('\n'));
	const answer: MailAnswer = {
		kind: auto ? 'autoreply' : 'reply',
		from,
		subject,
		excerpt: squash(text, EXCERPT_CHARS),
		links: answerLinks(letter, subject, from),
	};
	const date = isoDate(view.headers.get('date'));
	if (date) answer.date = date;
	const messageId = messageIdOf(view.headers.get('message-id'));
	if (messageId) answer.messageId = messageId;
	if (auto) {
		const sub = autoReplyKindOf(subject, text, letter.exclude, outOfOfficeHeaders(letter));
		answer.autoReplyKind = sub.kind;
		if (sub.newAddress) answer.newAddress = sub.newAddress;
	}
	return answer;
}
