/**
 * How a value the user gave appears inside an error message: short enough to read in n8n's error
 * panel, with line breaks and other control characters escaped ("\r\n", "\u0000") so the user sees
 * exactly what the field held.
 */

/** Characters of a value an error shows before it cuts it with an ellipsis. */
export const SHOWN_LENGTH = 80;

/** C0 control characters other than tab, and DEL: never valid inside a header line. */
export const CONTROL_CHARACTER = /[\x00-\x08\x0a-\x1f\x7f]/;

function cut(text: string, max: number): string {
	if (text.length <= max) return text;
	// Cut on whole characters so an emoji or accented letter is never split in half.
	return `${Array.from(text.slice(0, max * 2))
		.slice(0, max)
		.join('')}…`;
}

/** A value as an error message shows it: strings quoted and escaped, lists and objects as JSON. */
export function show(value: unknown, max = SHOWN_LENGTH): string {
	if (value === undefined) return 'nothing';
	if (typeof value === 'string') return JSON.stringify(cut(value, max));
	if (typeof value === 'number' || typeof value === 'boolean' || value === null)
		return String(value);
	let text: string | undefined;
	try {
		text = JSON.stringify(value);
	} catch {
		text = undefined;
	}
	return cut(text ?? String(value), max);
}

/**
 * Shows a string around position `index`, so a bad character deep inside a long value is still in
 * view: "…Q4 offer\r\nBcc: x@example.com…".
 */
export function showAt(text: string, index: number, max = SHOWN_LENGTH): string {
	if (index < max - 10) return show(text, max);
	const start = Math.max(0, index - Math.floor(max / 2));
	const end = start + max;
	return JSON.stringify(`…${text.slice(start, end)}${end < text.length ? '…' : ''}`);
}

/** Describes the first control character of `text` with the text around it, or undefined. */
export function controlCharacterIn(text: string): { what: string; shown: string } | undefined {
	const found = CONTROL_CHARACTER.exec(text);
	if (!found) return undefined;
	const character = found[0];
	const what =
		character === '\r' || character === '\n'
			? 'a line break'
			: character === '\x00'
				? 'a NUL character'
				: 'a control character';
	return { what, shown: showAt(text, found.index) };
}

/** What kind of value it is, in words: "an object", "a list", "a number". */
export function kindOf(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'a list';
	if (typeof value === 'object') return 'an object';
	if (typeof value === 'number') return 'a number';
	if (typeof value === 'boolean') return 'true/false';
	return typeof value;
}
