/**
 * Pre-pass before the MIME parser: the message is rewritten into a plain, canonical MIME tree that
 * the parser reads exactly as this pass understood it, at a cost that grows with the input:
 * - every leaf part is decoded here (base64, quoted-printable or as is) and handed on as one
 *   base64 line, so the parser pays per part, not per line or escape, and no line of a part's
 *   content can pass for a boundary;
 * - every HTML part is turned into flat HTML (no tags, see html.ts) in UTF-8, so the parser's own
 *   pattern-based HTML-to-text conversion, which rescans the rest of the text from every '<'
 *   (seconds for 120 KB of `<script>`), has nothing to work on;
 * - every part header is rebuilt from the Content-Type, Content-Transfer-Encoding and
 *   Content-Disposition this pass read, and every boundary line is written anew, so duplicated
 *   or odd headers cannot be read one way here and another way by the parser;
 * - a multipart this pass cannot split (no boundary, too deep, too many parts) becomes a plain
 *   text part, the body of a returned original message (message/rfc822) is cut after a few lines
 *   (only its headers matter), and preambles and epilogues are dropped (RFC 2046: ignored).
 * Works on latin1 strings, so every byte of the input is preserved until it is decoded.
 */
import { flattenHtml } from './html';

/** Body lines of a returned original message kept for the parsers (its headers are always kept). */
export const MAX_ORIGINAL_BODY_LINES = 80;
const MAX_DEPTH = 8;
const MAX_PARTS = 64;

const ORIGINAL_TYPE = /^(?:message\/(?:rfc822|global|global-headers)|text\/rfc822-headers)$/;
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** The compacted body of an entity and the header values that now describe it. */
export interface Compacted {
	/** Content-Type to write for the entity. */
	contentType: string;
	body: string;
	/** The body is base64 (write Content-Transfer-Encoding: base64). */
	base64: boolean;
}

interface PartHeader {
	contentType: string;
	encoding: string;
	disposition: string;
}

/** First value of each field the pass reads; folded lines (starting with white space) unfolded. */
function readPartHeader(lines: string[]): PartHeader {
	const header: PartHeader = { contentType: '', encoding: '', disposition: '' };
	let current: keyof PartHeader | undefined;
	for (const raw of lines) {
		const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
		if (/^\s/.test(line)) {
			if (current && header[current].length < 2000) header[current] += ' ' + line.trim();
			continue;
		}
		current = undefined;
		const colon = line.indexOf(':');
		if (colon <= 0 || colon > 80) continue;
		const key = line.slice(0, colon).trim().toLowerCase();
		const field: keyof PartHeader | undefined =
			key === 'content-type'
				? 'contentType'
				: key === 'content-transfer-encoding'
					? 'encoding'
					: key === 'content-disposition'
						? 'disposition'
						: undefined;
		if (field && !header[field]) {
			header[field] = line.slice(colon + 1, colon + 2001).trim();
			current = field;
		}
	}
	return header;
}

/** The MIME type of a Content-Type value, lowercase; text/plain when it is not a valid type. */
export function mimeTypeOf(contentType: string): string {
	const value = contentType.slice(0, 2000).replace(/\([^()]{0,200}\)/g, '');
	const semi = value.indexOf(';');
	const type = (semi >= 0 ? value.slice(0, semi) : value).trim().toLowerCase();
	return MIME_TYPE.test(type) ? type : 'text/plain';
}

function paramOf(contentType: string, name: string): string {
	const m = new RegExp(`;\\s{0,20}${name}\\s{0,20}=\\s{0,20}"?([^";\\s]{1,100})`, 'i').exec(
		contentType.slice(0, 2000),
	);
	return m ? m[1] : '';
}

export function boundaryOf(contentType: string): string {
	const m = /boundary\s{0,5}=\s{0,5}(?:"([^"\r\n]{1,200})"|([^;\s"]{1,200}))/i.exec(
		contentType.slice(0, 2000),
	);
	return m ? (m[1] ?? m[2]) : '';
}

const hexValue = (c: number): number => {
	if (c >= 48 && c <= 57) return c - 48;
	const l = c | 0x20;
	if (l >= 97 && l <= 102) return l - 87;
	return -1;
};

/** Quoted-printable to bytes (as a latin1 string); soft line breaks are removed. */
export function decodeQuotedPrintable(text: string): string {
	const n = text.length;
	const out = Buffer.allocUnsafe(n);
	let o = 0;
	for (let i = 0; i < n; i++) {
		const c = text.charCodeAt(i);
		if (c !== 0x3d) {
			out[o++] = c & 0xff;
			continue;
		}
		// "=" at the end of a line (maybe followed by spaces): soft line break.
		let j = i + 1;
		while (j < n && (text[j] === ' ' || text[j] === '\t')) j++;
		if (j < n && (text[j] === '\r' || text[j] === '\n')) {
			if (text[j] === '\r' && text[j + 1] === '\n') j++;
			i = j;
			continue;
		}
		const h = i + 2 < n ? hexValue(text.charCodeAt(i + 1)) : -1;
		const l = h >= 0 ? hexValue(text.charCodeAt(i + 2)) : -1;
		if (h >= 0 && l >= 0) {
			out[o++] = h * 16 + l;
			i += 2;
		} else out[o++] = c;
	}
	return out.toString('latin1', 0, o);
}

/** Content bytes (latin1) of a body in a transfer encoding, read the way the MIME parser reads it. */
function decodeBody(encoding: string, body: string): string {
	const token = encoding
		.trim()
		.toLowerCase()
		.split(/[^\w-]/)[0];
	if (token.includes('base64'))
		return Buffer.from(body.replace(/[^A-Za-z0-9+/=]+/g, ''), 'base64').toString('latin1');
	if (token.includes('quoted-printable')) return decodeQuotedPrintable(body);
	return body;
}

function cutOriginal(content: string): string {
	let pos = 0;
	let inBody = false;
	let bodyLines = 0;
	while (pos < content.length) {
		const nl = content.indexOf('\n', pos);
		if (nl < 0) return content;
		const line = content.slice(pos, nl);
		pos = nl + 1;
		if (!inBody) {
			if (line === '' || line === '\r') inBody = true;
		} else if (++bodyLines >= MAX_ORIGINAL_BODY_LINES) return content.slice(0, pos);
	}
	return content;
}

/** Charset labels the WHATWG decoder does not know under that name. */
const CHARSET_ALIASES: Record<string, string> = {
	'iso-8859-8-i': 'iso-8859-8',
	'iso-8859-8-e': 'iso-8859-8',
};

function decodeCharset(bytes: Buffer, charset: string): string {
	const label = charset.trim().toLowerCase() || 'utf-8';
	try {
		return new TextDecoder(CHARSET_ALIASES[label] ?? label).decode(bytes);
	} catch {
		// An unknown charset: read as Windows-1252, as the MIME parser does.
		return new TextDecoder('windows-1252').decode(bytes);
	}
}

/** Content-Type of a leaf part, with only the parameters that change how its text is read. */
function leafContentType(type: string, contentType: string): string {
	let value = type;
	for (const name of ['charset', 'format', 'delsp']) {
		const v = paramOf(contentType, name).replace(/[^\w.:+-]/g, '');
		if (v) value += `; ${name}=${v}`;
	}
	return value;
}

function compactLeaf(type: string, header: PartHeader, body: string): Compacted {
	let content = decodeBody(header.encoding, body);
	let contentType = leafContentType(type, header.contentType);
	if (type === 'text/html') {
		const text = flattenHtml(
			decodeCharset(Buffer.from(content, 'latin1'), paramOf(header.contentType, 'charset')),
		);
		content = Buffer.from(text, 'utf8').toString('latin1');
		contentType = 'text/html; charset=utf-8';
	} else if (ORIGINAL_TYPE.test(type)) {
		content = cutOriginal(content);
	}
	return { contentType, body: Buffer.from(content, 'latin1').toString('base64'), base64: true };
}

interface Budget {
	parts: number;
}

/** A boundary that can be written back in quotes and read the same way. */
const SAFE_BOUNDARY = /^[^"\\\x00-\x1f\x7f]{1,200}$/;

function compactEntity(header: PartHeader, body: string, depth: number, budget: Budget): Compacted {
	const type = mimeTypeOf(header.contentType || 'text/plain');
	if (!type.startsWith('multipart/')) return compactLeaf(type, header, body);
	const boundary = boundaryOf(header.contentType);
	const asText = () =>
		compactLeaf('text/plain', { contentType: 'text/plain', encoding: '', disposition: '' }, body);
	if (!boundary || !SAFE_BOUNDARY.test(boundary) || depth >= MAX_DEPTH) return asText();
	const delimiter = `--${boundary}`;
	const lines = body.split('\n');
	const parts: string[][] = [];
	let part: string[] | null = null;
	for (const line of lines) {
		if (line.startsWith(delimiter)) {
			const rest = line.slice(delimiter.length).trimEnd();
			if (rest === '' || rest === '--') {
				if (part) parts.push(part);
				part = rest === '' ? [] : null;
				if (rest === '--') break;
				continue;
			}
		}
		if (part) part.push(line);
	}
	if (part) parts.push(part);
	if (parts.length === 0) return asText();
	const out: string[] = [];
	// RFC 2046: a part of a digest without a Content-Type is a message.
	const defaultType = type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
	for (const p of parts) {
		if (++budget.parts > MAX_PARTS) break;
		out.push(`${delimiter}\r\n${compactPart(p, depth, budget, defaultType)}\r\n`);
	}
	out.push(`${delimiter}--\r\n`);
	return { contentType: `${type}; boundary="${boundary}"`, body: out.join(''), base64: false };
}

/** One part (header lines, empty line, body lines) rewritten with a canonical header. */
function compactPart(lines: string[], depth: number, budget: Budget, defaultType: string): string {
	let end = 0;
	while (end < lines.length && lines[end] !== '' && lines[end] !== '\r') end++;
	const header = readPartHeader(lines.slice(0, end));
	header.contentType ||= defaultType;
	let body = end < lines.length ? lines.slice(end + 1).join('\n') : '';
	// The line break before the next delimiter belongs to the delimiter.
	if (body.endsWith('\r')) body = body.slice(0, -1);
	const result = compactEntity(header, body, depth + 1, budget);
	const out = [`Content-Type: ${result.contentType}`];
	if (result.base64) out.push('Content-Transfer-Encoding: base64');
	if (/^\s{0,20}attachment\b/i.test(header.disposition))
		out.push('Content-Disposition: attachment');
	return `${out.join('\r\n')}\r\n\r\n${result.body}`;
}

/**
 * Compact a message body for the MIME parser. `contentType` and `encoding` are the top-level
 * header values; the result says which Content-Type and transfer encoding to write above it.
 */
export function compactBody(contentType: string, encoding: string, body: string): Compacted {
	return compactEntity(
		{ contentType: contentType || 'text/plain', encoding, disposition: '' },
		body,
		0,
		{ parts: 0 },
	);
}
