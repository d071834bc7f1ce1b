/**
 * Plain-text bounce formats (Exim, qmail, Sendmail transcripts, Postfix, Exchange, Gmail,
 * Yahoo, Courier, Lotus Notes, ...). Instead of one parser per server this relies on the
 * structure they share: a line naming a recipient address, followed by the lines that explain
 * what happened to it (usually an SMTP reply), until the next recipient or the returned message.
 */
import {
	ADDR,
	MAX_LINES,
	bareLocalBlocks,
	findBlocks,
	type TextRecipientBlock,
} from './textAnchors';
import type { RawRecipient, RecipientAction } from './types';
import { findAddresses, findReplyCode, findStatus, splitLines, squash } from './util';

/** Phrases that open the returned original, after a line's leading dashes or stars. */
const ORIGINAL_PHRASES = [
	'original message',
	'original mail',
	'returned message',
	'unsent message',
	'undelivered message',
	'message headers follow',
	'headers of the original',
	'the original message (?:headers )?(?:is |was |are )?(?:follows|attached|below|included|enclosed)',
	'a copy of the original message',
	'below (?:this line )?is (?:a copy|the original)',
	'this is a copy of (?:the|your) message',
	'enclosed is a copy',
	'copy of (?:the )?(?:original )?message follows',
	'original message follows',
	'your message reads',
	'message follows',
	'forwarded message',
	'rfc822 message',
	'header of the original message',
	'partial message',
].join('|');

/** "The original message" in the languages servers are set up in. */
const ORIGINAL_WORDS = [
	'ursprüngliche',
	"message d'origine",
	'message original',
	'mensaje original',
	'mensagem original',
	'messaggio originale',
	'oorspronkelijke bericht',
	'исходного сообщения',
	'исходное сообщение',
	'元のメ',
].join('|');

/** Lines that start the returned original message (the notification ends there). */
const ORIGINAL_MARKERS = [
	new RegExp(`^[\\s\\-=*_#]{0,20}(?:${ORIGINAL_PHRASES})`, 'i'),
	/^[\s\-=*_#]{0,20}(?:the following is|here is) (?:a copy|the original|the header)/i,
	/^\s{0,4}-{2,}\s?(?:original|returned|unsent|undelivered) /i,
	/^content-type:\s*(?:message\/rfc822|text\/rfc822-headers)/i,
	/^message headers follow/i,
	// A separator line naming the original in the languages servers are set up in ("------
	// Kopfzeilen der ursprünglichen Nachricht ------", "------ Message d'origine ------").
	new RegExp(`^\\s{0,4}[-=*_#]{2,20}\\s{0,4}[^\\n]{0,40}?(?:${ORIGINAL_WORDS})`, 'i'),
];

export function isOriginalMarker(line: string): boolean {
	if (line.length > 200) return false;
	return ORIGINAL_MARKERS.some((re) => re.test(line));
}

/** Split readable text into the notification and the returned original (if marked). */
export function splitNotification(text: string): { notice: string; original: string } {
	const lines = splitLines(text, MAX_LINES * 4);
	for (let i = 0; i < lines.length; i++) {
		if (i > 0 && isOriginalMarker(lines[i])) {
			return { notice: lines.slice(0, i).join('\n'), original: lines.slice(i + 1).join('\n') };
		}
	}
	return { notice: text, original: '' };
}

/** Remove one level of `>` quoting when most lines are quoted (forwarded bounces). */
export function unquote(text: string): string {
	const lines = splitLines(text, MAX_LINES * 4);
	let quoted = 0;
	let nonEmpty = 0;
	for (const l of lines) {
		if (!l.trim()) continue;
		nonEmpty++;
		if (/^\s?>/.test(l)) quoted++;
	}
	if (nonEmpty < 4 || quoted / nonEmpty < 0.5) return text;
	return lines.map((l) => l.replace(/^\s?> ?/, '')).join('\n');
}

/** Words that say the server is still trying. */
const DELAY_WORDS = [
	'delayed',
	'deferred',
	'will (?:be )?(?:retr(?:y|ied)|try again|continue (?:to try|trying|attempting))',
	'still (?:trying|attempting)',
	'not yet been delivered',
	'has not been delivered yet',
	'warning: message',
	'delivery status notification \\(delay\\)',
	'temporar(?:y|ily) (?:failure|error|problem|unavailable|suspended)',
].join('|');
const DELAY_RE = new RegExp(`\\b(?:${DELAY_WORDS})\\b`, 'i');

/** Words that say the server has given up. */
const PERMANENT_WORDS = [
	'permanent(?:ly)?',
	'fatal',
	'given up',
	'giving up',
	'gave up',
	'failed permanently',
	'could not be delivered',
	'undeliverable',
	'not delivered',
	'returning message',
	'rejected',
].join('|');
const PERMANENT_RE = new RegExp(`\\b(?:${PERMANENT_WORDS})\\b`, 'i');

export function guessAction(text: string): RecipientAction {
	if (PERMANENT_RE.test(text)) return 'failed';
	if (DELAY_RE.test(text)) return 'delayed';
	return 'failed';
}

/** A field giving a count or a size ("Size (in bytes): 512"): its number is no reply code. */
const NUMBER_FIELD =
	/^\s{0,8}[A-Za-z][\w ]{0,30}\b(?:size|bytes|lines|length|count|number|attempts?|retries)\b[\w ()]{0,20}:\s{0,4}\d{1,12}\s{0,4}$/i;

/**
 * A header field of the returned original quoted in the notice (RFC 5322 names and X- fields):
 * its value (a subject, a version, a date) never says why delivery failed.
 */
const ORIGINAL_HEADER_NAMES = [
	'subject|from|to|cc|date|sent|message-id|received|return-path|reply-to|references|in-reply-to',
	'mime-version|content-[\\w-]{1,30}|list-[\\w-]{1,30}|x-[\\w-]{1,60}|user-agent|dkim-signature',
	'precedence|importance',
].join('|');
const ORIGINAL_HEADER_FIELD = new RegExp(`^\\s{0,8}(?:${ORIGINAL_HEADER_NAMES})\\s{0,2}:`, 'i');

const isNoise = (line: string): boolean =>
	NUMBER_FIELD.test(line) || ORIGINAL_HEADER_FIELD.test(line);

/** A text without count fields and quoted header fields: what its codes and words are read from. */
export function withoutNumberFields(text: string): string {
	return splitLines(text, MAX_LINES)
		.filter((l) => !isNoise(l))
		.join('\n');
}

/** Text of a block without quoted original headers and with the address line reduced. */
function blockText(block: TextRecipientBlock): string {
	const out: string[] = [];
	for (const [i, l] of block.lines.entries()) {
		if (i > 0 ? isNoise(l) : NUMBER_FIELD.test(l)) continue;
		if (/^\s*$/.test(l) && out.length > 0 && out[out.length - 1] === '') continue;
		out.push(l.trim());
	}
	return out.join('\n').trim();
}

function hasSignal(text: string): boolean {
	// Only the start of a text reaches a diagnostic (squash caps it), and the address pattern
	// looks up to 64 characters ahead of every position: read a bounded slice.
	const head = text.length > 8000 ? text.slice(0, 8000) : text;
	// Two words of three letters or more: the last three letters of the one and the first three of the
	// other are enough to tell, and reading no further keeps a long run of letters linear.
	return /[245]\d\d|[245]\.\d{1,3}\.\d{1,3}|[A-Za-z]{3}\s+[A-Za-z]{3}/.test(
		head.replace(/[^\s@]{0,64}@\S{0,255}/g, ''),
	);
}

/** A failure reply or status code; a bare number such as a size is not one. */
const FAILURE_CODE = /(?<![\d.,])[45]\d\d(?![\d.,])|(?<![\d.])[45]\.\d/;

const PROTOCOL_ERROR = /\.{3}\s{0,4}remote protocol error\b/i;

/** The "<<< reply" lines of a Sendmail transcript right above line `at` (at most 5), joined. */
function transcriptRepliesBefore(lines: string[], at: number): string {
	const replies: string[] = [];
	for (let i = at - 1; i >= 0 && i >= at - 5; i--) {
		const m = /^\s{0,4}<<<\s?(.*)$/.exec(lines[i]);
		if (!m) break;
		replies.unshift(m[1].trim());
	}
	return replies.join(' ');
}

const BARE_ADDRESS = new RegExp(`^\\s{0,20}<?${ADDR}>?\\s{0,4}$`);

/**
 * Reason written above each address (Lotus Notes: "------- Failure Reasons --------" then, per
 * recipient, the reason line followed by the bare address). Taken only when every address stands
 * alone on its line with a text line directly above it and the last address has nothing after
 * it: then the text below an address belongs to the next one. Rewrites the blocks in place.
 */
function reasonsAbove(notice: string, blocks: TextRecipientBlock[]): void {
	if (blocks.length < 2 || blocks.some((b) => b.line < 1 || !BARE_ADDRESS.test(b.lines[0] ?? '')))
		return;
	const last = blocks[blocks.length - 1];
	if (hasSignal(last.lines.slice(1).join('\n'))) return;
	const lines = splitLines(notice, MAX_LINES);
	const above: string[][] = [];
	const anchors = new Set(blocks.map((b) => b.line));
	for (const b of blocks) {
		const reason: string[] = [];
		for (let i = b.line - 1; i >= 0 && i >= b.line - 3; i--) {
			const l = lines[i].trim();
			if (!l || anchors.has(i) || /^[-=*_#]{3,}/.test(l) || l.endsWith(':')) break;
			reason.unshift(l);
		}
		if (!reason.length || !hasSignal(reason.join(' '))) return;
		above.push(reason);
	}
	blocks.forEach((b, i) => {
		b.lines = [b.lines[0], ...above[i]];
	});
}

export interface TextParseResult {
	recipients: RawRecipient[];
	notice: string;
	original: string;
}

/**
 * Parse a plain-text notification. `failedHeader` are addresses from X-Failed-Recipients;
 * `exclude` are addresses known not to be recipients (the bounce's own From / To). `split` is
 * `splitNotification(unquote(text))` when the caller has it already.
 */
export function parseText(
	text: string,
	exclude: Set<string>,
	failedHeader: string[],
	split?: { notice: string; original: string },
	localDomain = '',
): TextParseResult {
	const { notice, original } = split ?? splitNotification(unquote(text));
	let blocks = findBlocks(notice, exclude);
	if (!blocks.length && !failedHeader.length && localDomain)
		blocks = bareLocalBlocks(notice, localDomain);
	const noticeFlat = squash(withoutNumberFields(notice), 6000);
	const recipients: RawRecipient[] = [];
	const ordered: TextRecipientBlock[] = [];
	if (failedHeader.length > 0) {
		const wanted = failedHeader.map((a) => a.toLowerCase());
		for (const b of blocks) if (wanted.includes(b.recipient.toLowerCase())) ordered.push(b);
		for (const a of failedHeader) {
			if (!ordered.some((b) => b.recipient.toLowerCase() === a.toLowerCase())) {
				ordered.push({ recipient: a, lines: [], line: -1 });
			}
		}
	} else {
		ordered.push(...blocks);
	}
	reasonsAbove(notice, ordered);
	const single = ordered.length === 1;
	// The reason stated once above the list of recipients ("Could not be delivered because of 552
	// 5.2.2 Mailbox full. The following recipients were affected: a, b"): shared by every
	// recipient whose own lines carry no reply or status code.
	const firstLine = blocks.length
		? Math.min(...blocks.map((b) => b.line).filter((n) => n >= 0))
		: -1;
	const preamble =
		firstLine > 0 && Number.isFinite(firstLine)
			? squash(withoutNumberFields(splitLines(notice, firstLine).join('\n')), 1500)
			: '';
	const sharedReason = !single && FAILURE_CODE.test(preamble) ? preamble : '';
	const noticeLines = blocks.some((b) => PROTOCOL_ERROR.test(b.lines[0] ?? ''))
		? splitLines(notice, MAX_LINES)
		: [];
	for (const b of ordered) {
		let diag = blockText(b);
		// Sendmail's "<addr>... Remote protocol error": the remote server's unexpected reply is the
		// transcript line ("<<< 550 ...") just above; it says what went wrong.
		if (noticeLines.length && PROTOCOL_ERROR.test(b.lines[0] ?? '')) {
			// The lines after it are Sendmail's notes on other hosts tried, not this reply.
			const replies = transcriptRepliesBefore(noticeLines, b.line);
			if (replies) diag = `${replies}\n${b.lines[0].trim()}`;
		}
		const stripped = diag.replace(
			new RegExp(b.recipient.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'),
			'',
		);
		if (!hasSignal(stripped) || (single && !FAILURE_CODE.test(stripped))) {
			diag = single || !hasSignal(stripped) ? `${diag}\n${noticeFlat}` : diag;
		} else if (sharedReason && !FAILURE_CODE.test(stripped)) {
			diag = `${diag}\n${sharedReason}`;
		}
		const flat = squash(diag, 2000);
		recipients.push({
			recipient: b.recipient,
			diagnostic: flat,
			status: findStatus(flat),
			replyCode: findReplyCode(diag),
			action: guessAction(single ? noticeFlat : `${flat} ${noticeFlat.slice(0, 600)}`),
		});
	}
	return { recipients, notice, original };
}

/** Addresses mentioned in a text (used by the fallbacks). */
export function addressesIn(text: string): string[] {
	return findAddresses(text.slice(0, 64 * 1024));
}
