/**
 * MIME layer: turns raw mail into the pieces the parsers need, on top of postal-mime.
 * Input is capped, and a failure of the MIME parser falls back to a plain header/body split,
 * so bad input never throws out of here.
 */
import PostalMime from 'postal-mime';
import type { Email } from 'postal-mime';
import { compactBody } from './compact';
import { htmlToText } from './html';
import { HeaderBlock, parseFields, splitLines } from './util';

/**
 * Bytes of one mail read at most (a mailbox file is capped as a whole in index.ts). Reports say
 * what happened near the top, so a long mail is read from its start; the report is marked
 * `truncated` when a cap left part of it unread.
 */
export const MAX_INPUT_BYTES = 256 * 1024;
/** Body bytes handed to the MIME parser (with at most MAX_BODY_LINES lines). */
export const MAX_BODY_BYTES = 128 * 1024;
/** Characters read of any one decoded readable part, and of the notification text handed to the text parsers. */
export const MAX_TEXT_CHARS = 64 * 1024;
/**
 * Characters read of one machine-readable part (delivery status, feedback report): its fields
 * are short and a report on hundreds of recipients needs room; the body cap bounds it anyway.
 */
export const MAX_STATUS_CHARS = MAX_BODY_BYTES;
const MAX_HEADERS_BYTES = 64 * 1024;
const MAX_BODY_LINES = 1500;
const MAX_BOUNDARY_LINES = 64;
const MAX_TOP_FIELDS = 300;
const READ_FIELDS = new Set([
	'x-failed-recipients',
	'auto-submitted',
	'x-autoreply',
	'x-autorespond',
	'x-autoresponder',
	'x-vacation',
	'x-apple-action',
	'x-apple-unsubscribe',
	'precedence',
	'x-original-message-id',
	'x-auto-response-suppress',
	'x-ms-exchange-inbox-rules-loop',
]);
const MIME_KEEP = new Set([
	'content-type',
	'content-transfer-encoding',
	'mime-version',
	'subject',
	'from',
	'to',
	'date',
	'message-id',
	'in-reply-to',
	'references',
]);

export interface MailView {
	headers: HeaderBlock;
	/** Lowercase MIME type of the top-level message. */
	contentType: string;
	/** report-type parameter, lowercase. */
	reportType: string;
	subject: string;
	/** Readable body text (plain parts, HTML converted to text). */
	text: string;
	/** Contents of message/delivery-status parts. */
	deliveryStatus: string[];
	/** Contents of message/feedback-report parts. */
	feedbackReports: string[];
	/** Contents of message/rfc822 and text/rfc822-headers parts (the returned original). */
	originals: string[];
	/** Other textual attachments (some servers put the notification there). */
	otherText: string[];
	problems: string[];
	/** A cap left part of the mail unread (`problems` says which). */
	truncated: boolean;
}

export function toText(raw: Buffer | Uint8Array | string): {
	bytes: Uint8Array;
	truncated: boolean;
} {
	let bytes: Uint8Array;
	if (typeof raw === 'string') bytes = Buffer.from(raw.slice(0, MAX_INPUT_BYTES * 2), 'utf8');
	else if (raw instanceof Uint8Array) bytes = raw;
	else bytes = new Uint8Array(0);
	const truncated = bytes.length > MAX_INPUT_BYTES;
	if (truncated) bytes = bytes.subarray(0, MAX_INPUT_BYTES);
	// An mbox "From " separator line is not a header; drop it.
	if (
		bytes.length > 5 &&
		bytes[0] === 0x46 &&
		bytes[1] === 0x72 &&
		bytes[2] === 0x6f &&
		bytes[3] === 0x6d &&
		bytes[4] === 0x20
	) {
		const nl = bytes.indexOf(0x0a);
		bytes = nl >= 0 ? bytes.subarray(nl + 1) : new Uint8Array(0);
	}
	return { bytes, truncated };
}

function contentToString(content: ArrayBuffer | Uint8Array | string): string {
	if (typeof content === 'string') return content;
	const buf = content instanceof Uint8Array ? content : new Uint8Array(content);
	return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8');
}

function paramOf(contentType: string, name: string): string {
	const re = new RegExp(`;\\s{0,20}${name}\\s{0,20}=\\s{0,20}"?([^";\\s]{1,100})`, 'i');
	const m = re.exec(contentType.slice(0, 2000));
	return m ? m[1].toLowerCase() : '';
}

/** Plain header/body split used when the MIME parser gives up. */
function fallbackView(text: string, problems: string[], truncated: boolean): MailView {
	const lines = splitLines(text);
	const { block, end } = parseFields(lines);
	const view = headerView(block, block.get('subject') ?? '', problems, truncated);
	let body = lines.slice(end + 1).join('\n');
	if (view.contentType === 'text/html') body = htmlToText(body);
	view.text = capped(view, body, 'body text');
	return view;
}

/** A view of the mail's header block, with nothing of its body read yet. */
function headerView(
	headers: HeaderBlock,
	subject: string,
	problems: string[],
	truncated: boolean,
): MailView {
	const ct = headers.get('content-type') ?? 'text/plain';
	return {
		headers,
		contentType: ct.split(';')[0].trim().toLowerCase(),
		reportType: paramOf(ct, 'report-type'),
		subject,
		text: '',
		deliveryStatus: [],
		feedbackReports: [],
		originals: [],
		otherText: [],
		problems,
		truncated,
	};
}

/** `text` cut to `max` characters; a cut is noted on the view. */
function capped(view: MailView, text: string, what: string, max = MAX_TEXT_CHARS): string {
	if (text.length <= max) return text;
	view.truncated = true;
	const note = `${what} cut to ${max} characters`;
	if (!view.problems.includes(note)) view.problems.push(note);
	return text.slice(0, max);
}

/** End of the body slice given to the MIME parser: bounded in bytes and in lines. */
function bodyEnd(bytes: Uint8Array, start: number): number {
	const limit = Math.min(bytes.length, start + MAX_BODY_BYTES);
	let lines = 0;
	let boundaries = 0;
	for (let i = start; i < limit; i++) {
		if (bytes[i] !== 0x0a) continue;
		if (++lines >= MAX_BODY_LINES) return i + 1;
		// Every boundary line can open a MIME part; keep the part count small.
		if (bytes[i + 1] === 0x2d && bytes[i + 2] === 0x2d && ++boundaries >= MAX_BOUNDARY_LINES)
			return i + 1;
	}
	return limit;
}

/** Runs of more than two empty lines become two (each line costs the MIME parser time). */
function squeezeBlankLines(body: Uint8Array): Uint8Array {
	// Fast path: nothing to do unless three empty lines follow each other somewhere.
	const view = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
	if (view.indexOf('\n\n\n\n') < 0 && view.indexOf('\n\r\n\r\n\r\n') < 0) return body;
	const out = new Uint8Array(body.length);
	let o = 0;
	let empties = 0;
	let lineLen = 0;
	for (let i = 0; i < body.length; i++) {
		const c = body[i];
		if (c === 0x0a) {
			empties = lineLen === 0 ? empties + 1 : 0;
			lineLen = 0;
			if (empties > 2) {
				// Drop this empty line (and the CR that preceded it).
				if (o > 0 && out[o - 1] === 0x0d) o--;
				continue;
			}
			out[o++] = c;
			continue;
		}
		if (c !== 0x0d) lineLen++;
		out[o++] = c;
	}
	return out.subarray(0, o);
}

/**
 * Header bombs: past the first lines, keep only the fields the engine reads (and their folded
 * continuation lines), found by name without a regular expression, so thousands of junk fields
 * cost little.
 */
function keepHeaderLines(lines: string[]): string[] {
	const head = MAX_TOP_FIELDS * 2;
	if (lines.length <= head) return lines;
	const out = lines.slice(0, head);
	let keep = false;
	for (let i = head; i < lines.length; i++) {
		const line = lines[i];
		if (line[0] === ' ' || line[0] === '\t') {
			if (keep) out.push(line);
			continue;
		}
		const colon = line.indexOf(':');
		const key = colon > 0 && colon < 80 ? line.slice(0, colon).trim().toLowerCase() : '';
		keep = MIME_KEEP.has(key) || READ_FIELDS.has(key);
		if (keep) out.push(line);
	}
	return out;
}

/** A turn of the event loop for other work (timers, sockets) between the heavy steps. */
export const yieldToEventLoop = (): Promise<void> =>
	new Promise((resolve) => setImmediate(resolve));

export async function readMail(raw: Buffer | Uint8Array | string): Promise<MailView> {
	const problems: string[] = [];
	const { bytes, truncated } = toText(raw);
	if (truncated) problems.push(`input truncated to ${MAX_INPUT_BYTES} bytes`);
	const asText = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
	const sep = /\r?\n\r?\n/.exec(asText);
	const bodyStart = sep ? sep.index + sep[0].length : asText.length;
	if (bodyStart > MAX_HEADERS_BYTES) problems.push('oversized header section');
	const headerLines = keepHeaderLines(splitLines(asText.slice(0, bodyStart), 40000));
	const { block: headers } = parseFields(headerLines, 0, 40000);
	if (headers.fields.length > MAX_TOP_FIELDS) {
		// Header bomb: keep the first fields and every field the engine reads.
		const kept = headers.fields.filter(
			(f, i) => i < MAX_TOP_FIELDS || MIME_KEEP.has(f.key) || READ_FIELDS.has(f.key),
		);
		headers.fields.length = 0;
		headers.fields.push(...kept.slice(0, MAX_TOP_FIELDS * 2));
		problems.push('too many header fields');
	}
	// The MIME parser gets a rebuilt, bounded top-level header (only the fields that matter)
	// and a bounded, canonical body (compact.ts), so header bombs, huge mails and HTML stay cheap.
	const end = bodyEnd(bytes, bodyStart);
	const cut = end < bytes.length;
	if (cut)
		problems.push(
			`body read up to ${MAX_BODY_BYTES} bytes, ${MAX_BODY_LINES} lines and ${MAX_BOUNDARY_LINES} part boundaries`,
		);
	let forParser: Buffer;
	try {
		const body = squeezeBlankLines(bytes.subarray(bodyStart, end));
		const compacted = compactBody(
			headers.get('content-type') ?? '',
			headers.get('content-transfer-encoding') ?? '',
			Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1'),
		);
		const kept = headers.fields
			.filter(
				(f) =>
					MIME_KEEP.has(f.key) && f.key !== 'content-type' && f.key !== 'content-transfer-encoding',
			)
			.slice(0, 40)
			.map((f) => `${f.key}: ${f.value.slice(0, 2000)}`);
		kept.push(`content-type: ${compacted.contentType}`);
		if (compacted.base64) kept.push('content-transfer-encoding: base64');
		forParser = Buffer.from(`${kept.join('\r\n')}\r\n\r\n${compacted.body}`, 'latin1');
	} catch (error) {
		problems.push(
			`MIME pre-pass failed: ${(error as Error).message ?? String(error)}`.slice(0, 200),
		);
		return fallbackView(Buffer.from(bytes).toString('utf8'), problems, truncated || cut);
	}
	await yieldToEventLoop();
	let email: Email;
	try {
		email = await PostalMime.parse(forParser, {
			forceRfc822Attachments: true,
			attachmentEncoding: 'arraybuffer',
			maxNestingDepth: 20,
			maxHeadersSize: MAX_HEADERS_BYTES,
		});
	} catch (error) {
		problems.push(`MIME parser failed: ${(error as Error).message ?? String(error)}`.slice(0, 200));
		return fallbackView(Buffer.from(bytes).toString('utf8'), problems, truncated || cut);
	}
	const view = headerView(headers, email.subject ?? '', problems, truncated || cut);
	let text = email.text ?? '';
	if (!text.trim() && email.html) text = htmlToText(email.html);
	for (const att of (email.attachments ?? []).slice(0, 50)) {
		const type = (att.mimeType ?? '').toLowerCase();
		const content = contentToString(att.content);
		if (type === 'message/delivery-status' || type === 'message/global-delivery-status') {
			view.deliveryStatus.push(capped(view, content, 'delivery-status part', MAX_STATUS_CHARS));
		} else if (type === 'message/feedback-report') {
			view.feedbackReports.push(capped(view, content, 'feedback report', MAX_STATUS_CHARS));
		} else if (
			type === 'message/rfc822' ||
			type === 'message/global' ||
			type === 'text/rfc822-headers' ||
			type === 'message/global-headers' ||
			type === 'message/partial'
		) {
			// Only the returned message's headers matter (its body was cut before parsing).
			view.originals.push(content.slice(0, MAX_TEXT_CHARS));
		} else if (
			type === 'text/plain' ||
			type === 'text/html' ||
			type === 'message/disposition-notification'
		) {
			view.otherText.push(
				capped(view, type === 'text/html' ? htmlToText(content) : content, 'text attachment'),
			);
		}
	}
	if (!text.trim() && view.deliveryStatus.length === 0 && view.otherText.length === 0) {
		// Broken MIME structure (wrong boundary): read the raw body as text.
		if (bodyStart < bytes.length) {
			text = Buffer.from(bytes.subarray(bodyStart, bodyStart + MAX_TEXT_CHARS * 2)).toString(
				'utf8',
			);
			problems.push('no readable MIME part; raw body used');
		}
	}
	view.text = capped(view, text, 'body text');
	return view;
}
