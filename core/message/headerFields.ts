/**
 * Text fields of the node and what goes into headers: text from an expression, one-line header
 * values within RFC 5322's limit, custom headers (none the node writes itself) and Message-ID lists.
 */
import { inputError } from '../errors';
import { controlCharacterIn, kindOf, show } from './show';

/** A field of the node, for error messages. */
export interface Field {
	field: string;
	label: string;
}

/** Headers the node writes itself; setting them as custom headers would contradict other fields. */
const RESERVED_HEADERS = new Map<string, string>([
	['from', 'Identity'],
	['sender', 'Identity'],
	['to', 'To Email'],
	['cc', 'CC Email'],
	['bcc', 'BCC Email'],
	['reply-to', 'Reply To'],
	['subject', 'Subject'],
	['message-id', ''],
	['date', ''],
	['mime-version', ''],
	['in-reply-to', 'In Reply To'],
	['references', 'References'],
	['return-path', ''],
	['x-delivery-id', ''],
]);

/** RFC 5322 field name: printable ASCII without the colon. */
const HEADER_NAME = /^[!-9;-~]{1,76}$/;

/** RFC 5322's limit for one line of a message; a longer Subject or header value is refused. */
export const MAX_HEADER_LENGTH = 998;

const HEADERS: Field = { field: 'options.headers', label: 'Custom Headers' };

/** Text from an expression: numbers and true/false become text, lists and objects are refused. */
export function text({ field, label }: Field, value: unknown): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'string') return value;
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	throw inputError(
		field,
		`${label} must be text, got ${kindOf(value)}: ${show(value)}`,
		'Map a field that holds text, e.g. {{ $json.subject }}, ' +
			'or turn the value into text, e.g. {{ JSON.stringify($json.data) }}.',
	);
}

/**
 * Text that goes into a header: one line, no control characters, at most 998 characters. A line
 * break at either end (what an AI step or a spreadsheet cell often leaves) is dropped; one inside
 * would start a new header, so it is refused.
 */
export function headerText(name: Field, value: unknown, what = name.label): string {
	const result = trimLineBreaks(text(name, value));
	const control = controlCharacterIn(result);
	if (control) {
		throw inputError(
			name.field,
			`${what} contains ${control.what}: ${control.shown}`,
			'A header is one line of text; remove line breaks and control characters.',
		);
	}
	if (result.length > MAX_HEADER_LENGTH) {
		throw inputError(
			name.field,
			`${what} is ${result.length.toLocaleString('en-US')} characters long, ` +
				`over the limit of ${MAX_HEADER_LENGTH}: ${show(result)}`,
			'Shorten it; mail servers may cut or refuse longer header lines, ' +
				'and clients show only the first few dozen characters.',
		);
	}
	return result;
}

/**
 * `value` without line breaks at either end: a loop, since `/[\r\n]+$/` rescans a run of them from
 * each position.
 */
function trimLineBreaks(value: string): string {
	let start = 0;
	let end = value.length;
	while (start < end && (value[start] === '\r' || value[start] === '\n')) start++;
	while (end > start && (value[end - 1] === '\r' || value[end - 1] === '\n')) end--;
	return value.slice(start, end);
}

/** `<left@right>`: printable ASCII without spaces, angle brackets or a second @ (RFC 5322 msg-id). */
function isMessageId(id: string): boolean {
	// The left part holds no @ (a second @ is refused below anyway), so the pattern cannot backtrack
	// over a run of @.
	return (
		/^<[\x21-\x3f\x41-\x7e]+@[\x21-\x7e]+>$/.test(id) &&
		!/[<>@]/.test(id.slice(1, -1).replace('@', '')) &&
		!/[()",;:\\[\]]/.test(id.slice(1, -1).split('@')[0])
	);
}

/**
 * Message-IDs separated by spaces, commas or line breaks (References copied from a folded header
 * spans lines). The header is rebuilt from the IDs alone, so a line break cannot smuggle in a
 * header: "<a@x>\r\nBcc: v@x" fails on "Bcc:", which is no Message-ID.
 */
export function messageIdList(name: Field, value: unknown): string[] {
	const oneLine = (entry: unknown) =>
		headerText(name, typeof entry === 'string' ? entry.replace(/[\r\n]+/g, ' ') : entry);
	const raw = Array.isArray(value) ? value.map(oneLine).join(' ') : oneLine(value);
	const ids = raw.split(/[\s,]+/).filter(Boolean);
	return ids.map((id) => {
		const bracketed = id.startsWith('<') ? id : `<${id}>`;
		if (!isMessageId(bracketed)) {
			throw inputError(
				name.field,
				`${name.label} has an invalid Message-ID: ${show(id)}`,
				'A Message-ID looks like <abc123@example.com>; separate several with spaces.',
			);
		}
		return bracketed;
	});
}

export function customHeaders(
	entries: Array<{ name?: unknown; value?: unknown }>,
): Array<{ name: string; value: string }> {
	const headers: Array<{ name: string; value: string }> = [];
	const seen = new Set<string>();
	for (const { name, value } of entries) {
		const headerName = headerText(HEADERS, name, 'A custom header name').trim();
		const headerValue = headerText(HEADERS, value, `Header ${show(headerName)}`);
		if (!headerName) {
			if (!headerValue.trim()) continue; // an empty row left in the list
			throw inputError(
				HEADERS.field,
				`A custom header has a value but no name: ${show(headerValue)}`,
				'Enter the header name, e.g. X-Campaign.',
			);
		}
		if (!HEADER_NAME.test(headerName)) {
			throw inputError(
				HEADERS.field,
				`Custom header name ${show(headerName)} is not valid: ` +
					'a name is up to 76 letters, digits and dashes, without spaces or colons',
				'Use a name like X-Campaign.',
			);
		}
		const key = headerName.toLowerCase();
		const owner = RESERVED_HEADERS.get(key) ?? (key.startsWith('content-') ? '' : undefined);
		if (owner !== undefined) {
			throw inputError(
				HEADERS.field,
				`Custom header ${show(headerName)} is set by the node and cannot be a custom header`,
				owner
					? `Use the ${owner} field instead.`
					: 'Remove it; the node writes this header itself.',
			);
		}
		if (seen.has(key)) {
			throw inputError(
				HEADERS.field,
				`Custom header ${show(headerName)} is set twice`,
				'Keep one row per header name.',
			);
		}
		seen.add(key);
		headers.push({ name: headerName, value: headerValue });
	}
	return headers;
}
