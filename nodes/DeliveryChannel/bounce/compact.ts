/**
 * Pre-pass before the MIME parser: every leaf part with more than a few lines is decoded here
 * (quoted-printable, base64 or plain) and handed on as one base64 line. The MIME parser costs
 * time per line (and per quoted-printable escape), so this keeps parsing cheap without changing
 * what it returns. The body of a returned original message (message/rfc822) is cut after a few
 * lines: only its headers matter. Works on latin1 strings, so every byte is preserved; anything
 * that does not look like well-formed MIME is left exactly as it is.
 */

/** Body lines of a returned original message kept for the parsers (its headers are always kept). */
export const MAX_ORIGINAL_BODY_LINES = 80;
/** Leaf parts with at most this many lines are left alone. */
const SMALL_PART_LINES = 6;
const MAX_DEPTH = 8;
const MAX_PARTS = 64;

const ORIGINAL_TYPE = /^(?:message\/(?:rfc822|global|global-headers)|text\/rfc822-headers)$/;

function headerValue(lines: string[], name: string): string {
	for (let i = 0; i < lines.length; i++) {
		const l = lines[i];
		if (l.length <= name.length || l[name.length] !== ':' || l.slice(0, name.length).toLowerCase() !== name) continue;
		let v = l.slice(name.length + 1);
		for (let j = i + 1; j < lines.length && (lines[j][0] === ' ' || lines[j][0] === '\t'); j++) v += ' ' + lines[j];
		return v.slice(0, 2000).trim();
	}
	return '';
}

function mainType(contentType: string): string {
	const semi = contentType.indexOf(';');
	return (semi >= 0 ? contentType.slice(0, semi) : contentType).trim().toLowerCase();
}

export function boundaryOf(contentType: string): string {
	const m = /boundary\s{0,5}=\s{0,5}(?:"([^"\r\n]{1,200})"|([^;\s"]{1,200}))/i.exec(contentType);
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

interface Budget {
	parts: number;
}

/** Decoded content of a leaf part as one base64 line, or undefined to leave it alone. */
function compactLeaf(type: string, encoding: string, body: string, lineCount: number): string | undefined {
	if (lineCount <= SMALL_PART_LINES) return undefined;
	let content: string;
	if (encoding === 'base64') content = Buffer.from(body.replace(/[^A-Za-z0-9+/=]+/g, ''), 'base64').toString('latin1');
	else if (encoding === 'quoted-printable') content = decodeQuotedPrintable(body);
	else if (encoding === '' || encoding === '7bit' || encoding === '8bit' || encoding === 'binary') content = body;
	else return undefined;
	if (ORIGINAL_TYPE.test(type)) content = cutOriginal(content);
	return Buffer.from(content, 'latin1').toString('base64');
}

/** Rewrite one entity (header lines + body); returns the new body and whether the CTE changed. */
function compactEntity(contentType: string, encoding: string, body: string, depth: number, budget: Budget): { body: string; base64: boolean } {
	const type = mainType(contentType);
	if (!type.startsWith('multipart/')) {
		let lines = 1;
		for (let i = body.indexOf('\n'); i >= 0 && lines <= SMALL_PART_LINES; i = body.indexOf('\n', i + 1)) lines++;
		const encoded = compactLeaf(type, encoding, body, lines);
		return encoded === undefined ? { body, base64: false } : { body: encoded, base64: true };
	}
	const boundary = boundaryOf(contentType);
	if (!boundary || depth >= MAX_DEPTH) return { body, base64: false };
	const delimiter = `--${boundary}`;
	const lines = body.split('\n');
	const out: string[] = [];
	let part: string[] | null = null;
	let found = false;
	const flush = () => {
		if (!part) return;
		out.push(...compactPart(part, depth, budget));
		part = null;
	};
	let i = 0;
	for (; i < lines.length; i++) {
		const line = lines[i];
		if (line.startsWith(delimiter)) {
			const rest = line.slice(delimiter.length).trimEnd();
			if (rest === '' || rest === '--') {
				found = true;
				flush();
				out.push(line);
				if (rest === '--') break;
				part = [];
				continue;
			}
		}
		if (part) part.push(line);
		else out.push(line);
	}
	if (!found) return { body, base64: false };
	flush();
	for (i++; i < lines.length; i++) out.push(lines[i]);
	return { body: out.join('\n'), base64: false };
}

function compactPart(lines: string[], depth: number, budget: Budget): string[] {
	if (++budget.parts > MAX_PARTS) return lines;
	let end = 0;
	while (end < lines.length && lines[end] !== '' && lines[end] !== '\r') end++;
	if (end >= lines.length || end > 200) return lines;
	const header = lines.slice(0, end);
	let body = lines.slice(end + 1).join('\n');
	// The line break before the next delimiter belongs to the delimiter.
	const hadCr = body.endsWith('\r');
	if (hadCr) body = body.slice(0, -1);
	const contentType = headerValue(header, 'content-type') || 'text/plain';
	const encoding = headerValue(header, 'content-transfer-encoding').toLowerCase();
	const result = compactEntity(contentType, encoding, body, depth + 1, budget);
	if (result.body === body) return lines;
	const newHeader: string[] = [];
	for (let i = 0; i < header.length; i++) {
		const l = header[i];
		if (result.base64 && /^content-transfer-encoding\s{0,5}:/i.test(l)) {
			while (i + 1 < header.length && (header[i + 1][0] === ' ' || header[i + 1][0] === '\t')) i++;
			continue;
		}
		newHeader.push(l);
	}
	const eol = hadCr || (header[0] ?? '').endsWith('\r') ? '\r' : '';
	if (result.base64) newHeader.push(`Content-Transfer-Encoding: base64${eol}`);
	return [...newHeader, eol, result.body + eol];
}

/**
 * Compact a message body for the MIME parser. `contentType` and `encoding` are the top-level
 * header values; `base64` in the result says the top-level body is now base64.
 */
export function compactBody(contentType: string, encoding: string, body: string): { body: string; base64: boolean } {
	try {
		return compactEntity(contentType || 'text/plain', encoding.trim().toLowerCase(), body, 0, { parts: 0 });
	} catch {
		return { body, base64: false };
	}
}
