/**
 * HTML to text in one pass. Anyone can mail the mailbox the engine reads, so this never searches
 * the same characters twice: each tag, comment and script is found by a forward search that
 * starts where the last one ended, and a search that fails ends the scan instead of being tried
 * again from the next '<'. (Pattern-based strippers such as `<script[^>]*>.*?</script>` rescan
 * the rest of the text from every opening tag: 120 KB of `<script>` took seconds.)
 */

/** Tags that end a line: <br> and the end of a block. */
const LINE_END = new Set(['p', 'div', 'tr', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
/** Elements whose content is not shown: it is skipped up to the closing tag. */
const HIDDEN = new Set(['script', 'style']);

const TAG_NAME = /^\/?([A-Za-z][A-Za-z0-9]{0,15})/;

/** Closing tags of the hidden elements. */
const CLOSING: Record<string, RegExp> = {};
for (const name of HIDDEN) CLOSING[name] = new RegExp(`</${name}(?![A-Za-z0-9])`, 'gi');

/**
 * The text of an HTML document as flat HTML: no tags left, a line break for <br> and the end of
 * a paragraph, div, row, list item or heading, every '<' of the text written as `&lt;`, other
 * entities kept as written. Safe to hand to an HTML converter (nothing in it looks like a tag)
 * and to `htmlToText` below.
 */
export function flattenHtml(html: string): string {
	const out: string[] = [];
	const n = html.length;
	let i = 0;
	// The first '>' at or after some earlier position; reused while it lies ahead, so that many
	// '<' before one far '>' cost one search, not one each.
	let gt = -1;
	const nextGt = (from: number): number => {
		if (gt === n || gt >= from) return gt;
		const at = html.indexOf('>', from);
		gt = at < 0 ? n : at;
		return gt;
	};
	while (i < n) {
		const lt = html.indexOf('<', i);
		if (lt < 0) {
			out.push(html.slice(i));
			break;
		}
		if (lt > i) out.push(html.slice(i, lt));
		if (html.startsWith('<!--', lt)) {
			const end = html.indexOf('-->', lt + 4);
			// An unclosed comment hides the rest of the document, as in a browser.
			if (end < 0) break;
			i = end + 3;
			continue;
		}
		const next = html.charCodeAt(lt + 1);
		const isLetter = (next >= 65 && next <= 90) || (next >= 97 && next <= 122);
		if (!isLetter && next !== 0x2f && next !== 0x21 && next !== 0x3f) {
			// '<' followed by a space, a digit, ...: text, not a tag.
			out.push('&lt;');
			i = lt + 1;
			continue;
		}
		const end = nextGt(lt + 1);
		if (end >= n) break; // an unfinished tag at the end shows nothing
		i = end + 1;
		const m = TAG_NAME.exec(html.slice(lt + 1, Math.min(end, lt + 18)));
		if (!m) continue; // <!doctype>, <?xml?>, </ >
		const name = m[1].toLowerCase();
		const closing = next === 0x2f;
		if (!closing && HIDDEN.has(name)) {
			const re = CLOSING[name];
			re.lastIndex = i;
			const close = re.exec(html);
			// An unclosed script or style runs to the end of the document, as in a browser.
			if (!close) break;
			const closeEnd = nextGt(close.index + 2);
			if (closeEnd >= n) break;
			i = closeEnd + 1;
			out.push(' ');
			continue;
		}
		if (name === 'br' || (closing && LINE_END.has(name))) out.push('\n');
	}
	return out.join('');
}

const NAMED_ENTITIES: Record<string, string> = {
	amp: '&',
	lt: '<',
	gt: '>',
	quot: '"',
	apos: "'",
	nbsp: ' ',
};

const isDigit = (c: number) => c >= 48 && c <= 57;
const isHex = (c: number) => isDigit(c) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);
const isLetter = (c: number) => (c | 0x20) >= 97 && (c | 0x20) <= 122;

/** The character a reference (what stands between '&' and ';') names, or undefined. */
function referenced(ref: string): string | undefined {
	if (ref[0] !== '#') return NAMED_ENTITIES[ref.toLowerCase()];
	const hex = ref[1] === 'x' || ref[1] === 'X';
	const code = hex ? parseInt(ref.slice(2), 16) : Number(ref.slice(1));
	return code > 0 && code < 0x110000 && !(code >= 0xd800 && code <= 0xdfff)
		? String.fromCodePoint(code)
		: ' ';
}

/** Length of a well-formed reference starting after the '&' at `at` (up to ';'), 0 if none. */
function referenceLength(text: string, at: number): number {
	let i = at;
	let test = isLetter;
	let min = 2;
	let max = 8;
	if (text.charCodeAt(i) === 0x23) {
		i++;
		const x = text.charCodeAt(i);
		if (x === 0x78 || x === 0x58) {
			i++;
			test = isHex;
			max = 6;
		} else {
			test = isDigit;
			max = 7;
		}
		min = 1;
	}
	const start = i;
	while (i < text.length && i - start < max && test(text.charCodeAt(i))) i++;
	return i - start >= min && text.charCodeAt(i) === 0x3b ? i - at : 0;
}

/**
 * Character references (`&amp;`, `&#233;`, `&#xE9;`) to characters; unknown names stay. One pass
 * from '&' to '&' (a replace callback per reference cost a microsecond each).
 */
export function decodeEntities(text: string): string {
	let amp = text.indexOf('&');
	if (amp < 0) return text;
	let out = '';
	let from = 0;
	while (amp >= 0) {
		const length = referenceLength(text, amp + 1);
		const char = length ? referenced(text.slice(amp + 1, amp + 1 + length)) : undefined;
		if (char !== undefined) {
			out += text.slice(from, amp) + char;
			from = amp + length + 2;
		}
		amp = text.indexOf('&', amp + 1);
	}
	return out + text.slice(from);
}

/** Readable text of an HTML document. */
export function htmlToText(html: string): string {
	return decodeEntities(flattenHtml(html));
}
