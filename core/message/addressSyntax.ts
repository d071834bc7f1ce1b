/**
 * The lexical side of address fields (RFC 5322): "quoted text", (comments) and <angle brackets>.
 * One walk over the top level of a text serves both the split into entries and the look-up of a
 * separator, so the two always agree on what is quoted.
 */

/** What a walk left open at the end of the text. */
export interface OpenParts {
	quoted: boolean;
	comment: boolean;
}

/**
 * Calls `visit` with each character outside quoted text and comments (the opening quote and
 * parenthesis included), with its index, until `visit` returns true. A backslash inside quotes or
 * a comment escapes the character after it; comments nest.
 */
export function scanTopLevel(
	text: string,
	visit: (character: string, index: number) => boolean,
): OpenParts {
	let quoted = false;
	let comment = 0;
	for (let i = 0; i < text.length; i++) {
		const character = text[i];
		if (quoted || comment) {
			if (character === '\\') i++;
			else if (quoted && character === '"') quoted = false;
			else if (comment && character === '(') comment++;
			else if (comment && character === ')') comment--;
			continue;
		}
		if (visit(character, i)) break;
		if (character === '"') quoted = true;
		else if (character === '(') comment = 1;
	}
	return { quoted, comment: comment > 0 };
}

/** Positions of `character` outside quotes, comments and angle brackets. */
export function topLevelIndex(text: string, character: string): number {
	let angle = false;
	let found = -1;
	scanTopLevel(text, (current, i) => {
		if (current === character && (!angle || character === '>')) {
			found = i;
			return true;
		}
		if (current === '<') angle = true;
		else if (current === '>') angle = false;
		return false;
	});
	return found;
}

/** Removes (comments), returning the text without them and what they said. */
export function withoutComments(text: string): { text: string; comments: string } {
	let out = '';
	let comments = '';
	let quoted = false;
	let depth = 0;
	for (let i = 0; i < text.length; i++) {
		const character = text[i];
		if (depth) {
			if (character === '\\') comments += text[++i] ?? '';
			else if (character === '(') depth++;
			else if (character === ')') depth--;
			else comments += character;
			continue;
		}
		if (quoted) {
			if (character === '\\') {
				out += character + (text[++i] ?? '');
				continue;
			}
			if (character === '"') quoted = false;
			out += character;
			continue;
		}
		if (character === '(') {
			depth = 1;
			out += ' ';
			comments += comments ? ' ' : '';
			continue;
		}
		if (character === '"') quoted = true;
		out += character;
	}
	return { text: out, comments: comments.trim() };
}

/** A display name as written ("Doe, Jane" or Jane "J." Doe) → its text (Doe, Jane / Jane J. Doe). */
export function unquoteName(text: string): string {
	return text
		.replace(/"((?:[^"\\]|\\.)*)"/g, (_, inner: string) => inner.replace(/\\(.)/g, '$1'))
		.replace(/\s+/g, ' ')
		.trim();
}

/** Whitespace outside quoted parts: "jane doe@x.com" has one, "\"jane doe\"@x.com" has none. */
export function hasBareSpace(text: string): boolean {
	return /\s/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, ''));
}

function quoteName(name: string): string {
	const needsQuotes = /[^\w !#$%&'*+\-/=?^`{|}~]/.test(name);
	return needsQuotes ? `"${name.replace(/(["\\])/g, '\\$1')}"` : name;
}

/** A mailbox as header text: the name quoted where it must be ("Doe, Jane" <jane@x.com>). */
export function mailboxText(name: string | undefined, address: string): string {
	return name ? `${quoteName(name)} <${address}>` : address;
}
