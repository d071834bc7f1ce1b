/**
 * Reads address fields ("a@x.com, Jane Doe <b@y.com>") strictly: every entry either becomes one
 * mailbox or fails with an error naming the field and showing the entry. A lenient parser guesses
 * ("jane doe@x.com" would go to doe@x.com, "Jane <a@x.com> <b@x.com>" would drop b@x.com); guessing
 * sends email to the wrong people, so nothing here guesses.
 *
 * Internationalised addresses: a domain with non-ASCII letters (jane@bücher.de) is converted to its
 * ASCII form (jane@xn--bcher-kva.de), which every server understands. A non-ASCII part before the @
 * (jürgen@example.de) needs SMTPUTF8 on every server along the way, which no channel can promise, so
 * it is refused with a clear error instead of being sent and lost.
 */
import { inputError } from '../errors';
import type { MailAddress } from '../model';
import { addressProblem, asciiAddress } from './addressCheck';
import {
	hasBareSpace,
	mailboxText,
	scanTopLevel,
	topLevelIndex,
	unquoteName,
	withoutComments,
} from './addressSyntax';
import { controlCharacterIn, kindOf, show } from './show';

export { isValidAddress } from './addressCheck';

const ADDRESS_HINT =
	'Use addresses like jane@example.com or Jane Doe <jane@example.com>, separated by commas.';

export function hasLineBreak(value: string): boolean {
	return /[\r\n]/.test(value);
}

/** An address field's own words for errors. */
interface FieldName {
	field: string;
	label: string;
}

/** Turns what an expression gave (text, a list, an address object) into the field's text. */
function addressText(name: FieldName, value: unknown): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'string') return value;
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	if (Array.isArray(value)) {
		return value
			.map((entry) => {
				if (typeof entry === 'string') return entry;
				if (isAddressObject(entry)) return addressObjectText(entry);
				throw inputError(
					name.field,
					`${name.label} has an entry that is not an email address (${kindOf(entry)}: ${show(entry)}) in the list ${show(value)}`,
					'A list may hold address texts such as "jane@example.com" or objects with an address field.',
				);
			})
			.filter((entry) => entry.trim())
			.join(', ');
	}
	if (isAddressObject(value)) return addressObjectText(value);
	throw inputError(
		name.field,
		`${name.label} must be text or a list of addresses, got ${kindOf(value)}: ${show(value)}`,
		'Map the field that holds the address text, e.g. {{ $json.email }}, not the whole object.',
	);
}

function isAddressObject(value: unknown): value is MailAddress {
	return (
		typeof value === 'object' &&
		value !== null &&
		!Array.isArray(value) &&
		typeof (value as MailAddress).address === 'string'
	);
}

function addressObjectText({ name, address }: MailAddress): string {
	return mailboxText(typeof name === 'string' ? name : undefined, address);
}

/**
 * Splits a field into entries at commas and semicolons outside quotes, angle brackets and comments,
 * refusing unbalanced ones: with a quote left open nobody can tell where an address ends.
 */
function splitEntries(name: FieldName, raw: string): string[] {
	const entries: string[] = [];
	let start = 0;
	let angle = false;
	const fail = (what: string) => {
		const rest = raw.slice(start);
		throw inputError(name.field, `${name.label} has ${what}: ${show(rest.trim())}`, ADDRESS_HINT);
	};
	const open = scanTopLevel(raw, (character, i) => {
		if (character === ')') fail('a ")" without "("');
		else if (character === '<') {
			if (angle) fail('a "<" inside angle brackets');
			angle = true;
		} else if (character === '>') {
			if (!angle) fail('a ">" without "<"');
			angle = false;
		} else if ((character === ',' || character === ';') && !angle) {
			entries.push(raw.slice(start, i));
			start = i + 1;
		}
		return false;
	});
	if (open.quoted) fail('a quote that is not closed');
	if (angle) fail('a "<" that is not closed with ">"');
	if (open.comment) fail('a "(" that is not closed with ")"');
	entries.push(raw.slice(start));
	return entries.map((entry) => entry.trim()).filter(Boolean);
}

/** One entry → a mailbox, undefined for an empty group ("team:;"), or an input error. */
function parseEntry(name: FieldName, entry: string): MailAddress | undefined {
	const control = controlCharacterIn(entry);
	if (control) {
		throw inputError(
			name.field,
			`${name.label} contains ${control.what}: ${control.shown}`,
			'Each address must be on one line; remove line breaks and control characters, and separate addresses with commas.',
		);
	}
	const bad = (problem: string, shown: string = entry): never => {
		throw inputError(
			name.field,
			`${name.label} has an invalid email address ${show(shown)}: ${problem}`,
			ADDRESS_HINT,
		);
	};
	const { text, comments } = withoutComments(entry);
	let rest = text.trim();
	// A group ("Team: a@x.com, b@x.com;") or a pasted mailto: link; what follows the colon counts.
	const colon = topLevelIndex(rest, ':');
	const open = topLevelIndex(rest, '<');
	const groupName = colon >= 0 && (open < 0 || colon < open) ? rest.slice(0, colon) : undefined;
	// "team: a@x.com" or "mailto:a@x.com", never "a:b@x.com" (a colon inside an address is an error).
	if (
		groupName !== undefined &&
		!groupName.includes('@') &&
		(/^\s|^$/.test(rest.slice(colon + 1)) || /^mailto$/i.test(groupName.trim()))
	) {
		rest = rest.slice(colon + 1).trim();
		if (!rest) return undefined;
	}
	const lt = topLevelIndex(rest, '<');
	if (lt >= 0) {
		const gt = rest.indexOf('>', lt);
		const address = rest.slice(lt + 1, gt).trim();
		const after = rest.slice(gt + 1).trim();
		if (after)
			bad(
				after.includes('<')
					? 'it has more than one address in angle brackets; separate addresses with commas'
					: `text follows the closing ">": ${show(after)}`,
			);
		if (!address) bad('it has a name but no address between < and >');
		if (hasBareSpace(address)) bad('it contains a space', address);
		return mailbox(name, unquoteName(rest.slice(0, lt)) || comments, address);
	}
	if (!rest) return undefined;
	if (hasBareSpace(rest)) {
		if (rest.includes('@'))
			bad('it contains a space (write a name with the address as Jane Doe <jane@example.com>)');
		bad(
			comments
				? 'it has no @ (text in parentheses is a comment, not part of an address)'
				: 'it is a name without an email address',
		);
	}
	return mailbox(name, comments, rest);
}

function mailbox(name: FieldName, displayName: string, address: string): MailAddress {
	const problem = addressProblem(address);
	const converted = problem ? { problem } : asciiAddress(address);
	if ('problem' in converted) {
		// "Doe, Jane <jane@x.com>" splits at the comma; say why "Doe" alone is no address.
		const hint =
			converted.problem === 'it has no @' && !/\s/.test(address)
				? `${ADDRESS_HINT} A name holding a comma goes in quotes: "Doe, Jane" <jane@example.com>.`
				: ADDRESS_HINT;
		throw inputError(
			name.field,
			`${name.label} has an invalid email address ${show(address)}: ${converted.problem}`,
			hint,
		);
	}
	return { name: displayName, address: converted.address };
}

/**
 * Parses one address field ("a@x.com, Jane <b@y.com>") into mailboxes. Throws an input error
 * naming the field and showing the offending entry; groups are flattened, commas and semicolons
 * both separate addresses.
 */
export function parseAddressList(
	field: string,
	label: string,
	value: unknown,
	{ required = false, single = false } = {},
): MailAddress[] {
	const name = { field, label };
	const raw = addressText(name, value);
	const result: MailAddress[] = [];
	for (const entry of splitEntries(name, raw)) {
		const parsed = parseEntry(name, entry);
		if (parsed) result.push(parsed);
	}
	if (required && result.length === 0) {
		const what = raw.trim()
			? `has no email address: ${show(raw)}`
			: value === null
				? 'is empty (the value is null)'
				: `is empty: ${show(raw)}`;
		throw inputError(field, `${label} ${what}`, `Enter at least one email address in ${label}.`);
	}
	if (single && result.length > 1) {
		throw inputError(
			field,
			`${label} must be one address, got ${result.length}: ${show(raw)}`,
			'Enter a single address, e.g. Jane Doe <jane@example.com>.',
		);
	}
	return result;
}

export function formatAddress(address: MailAddress): string {
	return mailboxText(address.name, address.address);
}

export function domainOf(address: string): string {
	return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
