/**
 * Small shared helpers: header-block parsing, address and code extraction.
 * Every loop here is bounded and every regular expression is linear (bounded quantifiers,
 * no nested repetition), so hostile input cannot make the engine hang.
 */

/** Longest line the text scanners look at; longer lines are cut. */
export const MAX_LINE = 2000;
/** Most header lines read from one header block. */
export const MAX_HEADER_LINES = 400;

export interface HeaderField {
	key: string;
	value: string;
}

/** A header block: fields in order, with lookup by lowercase name. */
export class HeaderBlock {
	readonly fields: HeaderField[] = [];

	get(name: string): string | undefined {
		const key = name.toLowerCase();
		for (const f of this.fields) {
			if (f.key === key) return f.value;
		}
		return undefined;
	}

	getAll(name: string): string[] {
		const key = name.toLowerCase();
		return this.fields.filter((f) => f.key === key).map((f) => f.value);
	}

	has(name: string): boolean {
		return this.get(name) !== undefined;
	}
}

const FIELD_LINE = /^([!-9;-~]{1,76}):[ \t]?(.*)$/;

/**
 * Parse RFC 5322 style fields from `lines` starting at `start`, unfolding continuation lines.
 * Stops at the first empty line (returned as `end`) unless `acrossBlank` is set.
 */
export function parseFields(
	lines: string[],
	start = 0,
	maxLines = MAX_HEADER_LINES,
): { block: HeaderBlock; end: number } {
	const block = new HeaderBlock();
	let i = start;
	let taken = 0;
	for (; i < lines.length && taken < maxLines; i++, taken++) {
		const line = cut(lines[i]);
		if (line.trim() === '') break;
		if ((line[0] === ' ' || line[0] === '\t') && block.fields.length > 0) {
			const last = block.fields[block.fields.length - 1];
			if (last.value.length < 8000) last.value += ' ' + line.trim();
			continue;
		}
		const m = FIELD_LINE.exec(line);
		if (m) block.fields.push({ key: m[1].toLowerCase(), value: m[2].trim() });
	}
	return { block, end: i };
}

/** Header block at the top of `text` (a message or a part). */
export function parseHeaderText(text: string): HeaderBlock {
	return parseFields(splitLines(text.slice(0, 128 * 1024), MAX_HEADER_LINES * 2)).block;
}

export function cut(line: string): string {
	return line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line;
}

/** Split into lines (CRLF, LF or CR), at most `max` lines. */
export function splitLines(text: string, max = 20000): string[] {
	const out: string[] = [];
	let pos = 0;
	while (pos <= text.length && out.length < max) {
		const nl = text.indexOf('\n', pos);
		if (nl < 0) {
			out.push(stripCr(text.slice(pos)));
			break;
		}
		out.push(stripCr(text.slice(pos, nl)));
		pos = nl + 1;
	}
	return out;
}

function stripCr(s: string): string {
	return s.endsWith('\r') ? s.slice(0, -1) : s;
}

// Local part and domain with bounded quantifiers; validated afterwards.
const ADDRESS_G = /[A-Za-z0-9_.!#$%&'*+/=?^`{|}~-]{1,64}@[A-Za-z0-9][A-Za-z0-9.-]{0,252}/g;

/**
 * `text` without the characters of `chars` at its end. A loop, not `/[...]+$/`: that pattern
 * scans every run of those characters to its end from each of its positions (quadratic).
 */
function trimEndOf(text: string, chars: string): string {
	let end = text.length;
	while (end > 0 && chars.includes(text[end - 1])) end--;
	return end === text.length ? text : text.slice(0, end);
}

/**
 * A transport prefix before an address: Exchange's "SMTP:" proxy form, an X.400 domain-defined
 * attribute ("dda:SMTP="), the RFC 3464 address type ("rfc822;"), a URL scheme ("mailto:").
 */
const TRANSPORT_PREFIX = /^(?:[a-z]{1,8}:)?(?:smtp|rfc822|mailto|ex|x400)\s{0,2}[:=;]\s{0,2}/i;

/** A top-level domain: one letter (as anonymised reports write it: a@b.c), or two characters or more. */
const TLD = /^(?:[A-Za-z]|[A-Za-z0-9-]{2,63})$/;

/** Normalise a candidate address; returns '' if it is not plausible. */
export function cleanAddress(raw: string): string {
	let a = trimEndOf(raw.trim().replace(/^[<("'[]+/, ''), '>)"\'].,;:');
	a = a.replace(TRANSPORT_PREFIX, '').replace(/^[<("'[]+/, '');
	const at = a.lastIndexOf('@');
	if (at <= 0 || at === a.length - 1) return '';
	let local = a.slice(0, at);
	let domain = trimEndOf(a.slice(at + 1), '.-');
	local = local.replace(/^[.]+/, '');
	if (!local || !domain.includes('.') || domain.startsWith('.') || domain.includes('..')) return '';
	if (!TLD.test(domain.slice(domain.lastIndexOf('.') + 1))) return '';
	domain = domain.toLowerCase();
	return `${local}@${domain}`;
}

/** All plausible addresses in a string, in order, without duplicates. */
export function findAddresses(text: string, max = 50): string[] {
	const out: string[] = [];
	ADDRESS_G.lastIndex = 0;
	let m: RegExpExecArray | null;
	let guard = 0;
	while ((m = ADDRESS_G.exec(text)) !== null && guard++ < 1000) {
		const a = cleanAddress(m[0]);
		if (a && !out.some((x) => x.toLowerCase() === a.toLowerCase())) out.push(a);
		if (out.length >= max) break;
	}
	return out;
}

/** First address in a header value like `"Name" <a@b.c>` or `rfc822; a@b.c`. */
export function firstAddress(value: string | undefined): string {
	if (!value) return '';
	return findAddresses(value.slice(0, 4000), 1)[0] ?? '';
}

const STATUS_G = /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\d|\.\d)/g;

/**
 * What stands before a number that looks like a status code but is a version ("Version: 2.1.12",
 * "X-Mailman-Version: 2.1.12", "release 2.0.12", "v2.0.1") or sits in a header field that never
 * carries a status (the returned original's Subject, Date, Received, X- fields).
 */
const NOT_A_STATUS_BEFORE = new RegExp(
	'(?:version|release|rev(?:ision)?|build|\\bv|\\bver\\.?' +
		'|(?:^|\\s)(?:subject|date|received|sent|x-[\\w-]{1,40})\\s{0,2}:[^:]{0,80})\\s{0,3}[:=]?\\s{0,3}$',
	'i',
);

/** First RFC 3463 status code in `text`, or ''. Version numbers and header values are not one. */
export function findStatus(text: string): string {
	STATUS_G.lastIndex = 0;
	let m: RegExpExecArray | null;
	for (let tries = 0; tries < 20 && (m = STATUS_G.exec(text)) !== null; tries++) {
		const before = text.slice(Math.max(0, m.index - 100), m.index);
		if (NOT_A_STATUS_BEFORE.test(before)) continue;
		return `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
	}
	return '';
}

const REPLY_BEFORE_STATUS =
	/(?<![\d.:\-/])([245][0-5]\d)(?:[ -]|: ?|-#)\(?#?[245]\.\d{1,3}\.\d{1,3}(?!\d)/;
const REPLY_LINE_START = /^[\s>*#:]{0,12}(?:<<<\s{0,4})?([245][0-5]\d)(?=[\s:\-]|$)/m;
/** What a reply code follows: "said: 550", "host mx.example [192.0.2.1]: 550", "]: 550". */
const REPLY_WORDS = [
	'said',
	'says',
	'reply',
	'replied',
	'response',
	'responded',
	'error',
	'returned',
	'answer',
	'message',
	'code',
	'status',
	'host [^\\s:]{1,200}(?: \\[[0-9a-f.:]{3,60}\\])?',
	'\\]',
].join('|');
const REPLY_AFTER_WORD = new RegExp(
	`(?:${REPLY_WORDS})\\s{0,3}[:=(]?\\s{0,3}\\(?(?<![A-Za-z0-9.-])([245][0-5]\\d)(?=[\\s:\\-.,)]|$)`,
	'i',
);

const REPLY_AFTER_COLON = /:\s{1,3}([245][0-5]\d)\s{1,3}(?:-\s{1,3})?[A-Za-z]/;

/** First SMTP reply code in `text`, or ''. */
export function findReplyCode(text: string): string {
	let m = REPLY_BEFORE_STATUS.exec(text);
	if (m) return m[1];
	m = REPLY_LINE_START.exec(text);
	if (m) return m[1];
	m = REPLY_AFTER_WORD.exec(text);
	if (m) return m[1];
	m = REPLY_AFTER_COLON.exec(text);
	if (m) return m[1];
	return '';
}

/** Collapse whitespace and cap the length. */
export function squash(text: string, max = 1000): string {
	const s = text
		.slice(0, max * 4)
		.replace(/\s+/g, ' ')
		.trim();
	return s.length > max ? s.slice(0, max) : s;
}

/** Angle-bracketed message id, e.g. `<abc@host>`; '' when none. */
export function messageIdOf(value: string | undefined): string {
	if (!value) return '';
	const v = value.slice(0, 2000);
	const m = /<([^<>\s]{1,995})>/.exec(v);
	if (m) return `<${m[1]}>`;
	const t = v.trim();
	// The part before the first '@' excludes '@': each '@' would otherwise be a place to try again.
	if (/^[^\s<>@]{1,995}@[^\s<>]{1,995}$/.test(t)) return `<${t}>`;
	return '';
}

/** All message ids in a References style value. */
export function messageIds(value: string | undefined, max = 50): string[] {
	if (!value) return [];
	const out: string[] = [];
	const re = /<([^<>\s]{1,995})>/g;
	let m: RegExpExecArray | null;
	const v = value.slice(0, 20000);
	while ((m = re.exec(v)) !== null && out.length < max) out.push(`<${m[1]}>`);
	return out;
}

/** Parse a date into ISO 8601, or undefined. */
export function isoDate(value: string | undefined): string | undefined {
	if (!value) return undefined;
	const v = value
		.slice(0, 200)
		.replace(/\([^)]{0,60}\)/g, ' ')
		.trim();
	const t = Date.parse(v);
	if (Number.isNaN(t)) return undefined;
	const d = new Date(t);
	const y = d.getUTCFullYear();
	if (y < 1980 || y > 2200) return undefined;
	return d.toISOString();
}

/** Strip the `type;` prefix of a DSN field value (`rfc822; a@b`, `dns; host`). */
export function typedValue(value: string): { type: string; value: string } {
	const m = /^\s*([A-Za-z0-9-]{1,30})\s*;(.*)$/s.exec(value);
	if (m) return { type: m[1].toLowerCase(), value: m[2].trim() };
	return { type: '', value: value.trim() };
}
