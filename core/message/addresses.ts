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
import { domainToASCII, domainToUnicode } from 'node:url';

import { inputError } from '../errors';
import type { MailAddress } from '../model';
import { controlCharacterIn, kindOf, show } from './show';

const MAX_ADDRESS_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
/** RFC 5322 atext: what an unquoted part before the @ may hold, besides dots between words. */
const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]$/;
const QUOTED_LOCAL_PART = /^"(?:[^"\\\r\n]|\\.){1,62}"$/;
const ASCII_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const IPV4_LITERAL = /^\[(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\]$/;
const NON_ASCII = /[^\x00-\x7f]/;

const ADDRESS_HINT =
	'Use addresses like jane@example.com or Jane Doe <jane@example.com>, separated by commas.';

export function hasLineBreak(value: string): boolean {
	return /[\r\n]/.test(value);
}

/** Why an address cannot be used, in words ("it has no @"), or undefined when it is fine. */
function addressProblem(address: string): string | undefined {
	if (!address) return 'it is empty';
	if (address.length > MAX_ADDRESS_LENGTH)
		return `it is longer than ${MAX_ADDRESS_LENGTH} characters`;
	let local: string;
	let domain: string;
	if (address.startsWith('"')) {
		const close = address.indexOf('"@', 1);
		if (close < 0) return 'its quoted part before the @ is not closed';
		local = address.slice(0, close + 1);
		domain = address.slice(close + 2);
		if (!QUOTED_LOCAL_PART.test(local)) return 'its quoted part before the @ is not valid';
	} else {
		const ats = address.split('@').length - 1;
		if (ats === 0) return 'it has no @';
		if (ats > 1) return 'it has more than one @';
		[local, domain] = address.split('@');
		const localProblem = localPartProblem(local);
		if (localProblem) return localProblem;
	}
	if (domain.includes('@')) return 'it has more than one @';
	return domainProblem(domain);
}

function localPartProblem(local: string): string | undefined {
	if (!local) return 'nothing comes before the @';
	if (local.length > MAX_LOCAL_LENGTH)
		return `the part before the @ is longer than ${MAX_LOCAL_LENGTH} characters`;
	const foreign = NON_ASCII.exec(local);
	if (foreign) {
		return `the part before the @ has a non-ASCII character (${show(foreign[0])}); such addresses need SMTPUTF8 on every mail server along the way, which cannot be relied on, so they are not sent`;
	}
	if (local.startsWith('.') || local.endsWith('.'))
		return 'the part before the @ starts or ends with a dot';
	if (local.includes('..')) return 'the part before the @ has two dots in a row';
	for (const character of local) {
		if (character !== '.' && !ATEXT.test(character)) {
			return character === ' '
				? 'it contains a space'
				: `the part before the @ contains ${show(character)}`;
		}
	}
	return undefined;
}

function domainProblem(domain: string): string | undefined {
	if (!domain) return 'nothing comes after the @';
	const literal = IPV4_LITERAL.exec(domain);
	if (literal)
		return literal.slice(1).every((octet) => Number(octet) <= 255)
			? undefined
			: 'its IP address is not valid';
	if (domain.endsWith('.')) return 'it ends with a dot';
	if (domain.startsWith('.') || domain.includes('..'))
		return 'its domain has an empty part (a dot at the start or two dots in a row)';
	const labels = domain.split('.');
	if (labels.length < 2)
		return `its domain ${show(domain)} has no dot (a domain looks like example.com)`;
	for (const label of labels) {
		if (label.length > 63) return 'a part of its domain is longer than 63 characters';
		if (label.startsWith('-') || label.endsWith('-'))
			return 'a part of its domain starts or ends with a hyphen';
		for (const character of label) {
			if (
				character !== '-' &&
				!/[A-Za-z0-9]/.test(character) &&
				!/[\p{L}\p{N}\p{M}]/u.test(character)
			) {
				return `its domain contains ${show(character)}`;
			}
		}
	}
	if (/^\d+$/.test(labels[labels.length - 1]))
		return 'its domain ends in a number (write an IP address as [192.0.2.1])';
	return undefined;
}

/**
 * The address with its domain in ASCII (jane@bücher.de → jane@xn--bcher-kva.de), or a reason it
 * cannot be converted. Only non-ASCII domains change; the user's spelling is kept otherwise.
 */
function asciiAddress(address: string): { address: string } | { problem: string } {
	const at = address.lastIndexOf('@');
	const domain = address.slice(at + 1);
	// An ASCII domain stays as typed, unless it claims to be punycode (xn--) and must then decode.
	if (!NON_ASCII.test(domain) && !/(^|\.)xn--/i.test(domain)) return { address };
	const ascii = domainToASCII(domain);
	// Node hands back a label that is not valid punycode unchanged, so an xn-- label must decode.
	const decodes = (label: string) =>
		!/^xn--/i.test(label) || !/^xn--/i.test(domainToUnicode(label));
	if (!ascii || !ascii.split('.').every((label) => ASCII_LABEL.test(label) && decodes(label))) {
		return { problem: `its domain ${show(domain)} is not a valid internationalised domain name` };
	}
	if (at + 1 + ascii.length > MAX_ADDRESS_LENGTH)
		return {
			problem: `it is longer than ${MAX_ADDRESS_LENGTH} characters once its domain is written in ASCII`,
		};
	return { address: `${address.slice(0, at + 1)}${ascii}` };
}

/** Whether `address` is a plain mailbox address (local@domain) this node sends to. */
export function isValidAddress(address: string): boolean {
	return addressProblem(address) === undefined && 'address' in asciiAddress(address);
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
	return typeof name === 'string' && name ? `${quoteName(name)} <${address}>` : address;
}

/**
 * Splits a field into entries at commas and semicolons outside quotes, angle brackets and comments,
 * refusing unbalanced ones: with a quote left open nobody can tell where an address ends.
 */
function splitEntries(name: FieldName, raw: string): string[] {
	const entries: string[] = [];
	let start = 0;
	let quoted = false;
	let angle = false;
	let comment = 0;
	const fail = (what: string) => {
		const rest = raw.slice(start);
		throw inputError(name.field, `${name.label} has ${what}: ${show(rest.trim())}`, ADDRESS_HINT);
	};
	for (let i = 0; i < raw.length; i++) {
		const character = raw[i];
		if (quoted || comment) {
			if (character === '\\') i++;
			else if (quoted && character === '"') quoted = false;
			else if (comment && character === '(') comment++;
			else if (comment && character === ')') comment--;
			continue;
		}
		if (character === '"') quoted = true;
		else if (character === '(') comment = 1;
		else if (character === ')') fail('a ")" without "("');
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
	}
	if (quoted) fail('a quote that is not closed');
	if (angle) fail('a "<" that is not closed with ">"');
	if (comment) fail('a "(" that is not closed with ")"');
	entries.push(raw.slice(start));
	return entries.map((entry) => entry.trim()).filter(Boolean);
}

/** Positions of `character` outside quotes, comments and angle brackets. */
function topLevelIndex(text: string, character: string): number {
	let quoted = false;
	let comment = 0;
	let angle = false;
	for (let i = 0; i < text.length; i++) {
		const current = text[i];
		if (quoted || comment) {
			if (current === '\\') i++;
			else if (quoted && current === '"') quoted = false;
			else if (comment && current === '(') comment++;
			else if (comment && current === ')') comment--;
			continue;
		}
		if (current === character && (!angle || character === '>')) return i;
		if (current === '"') quoted = true;
		else if (current === '(') comment = 1;
		else if (current === '<') angle = true;
		else if (current === '>') angle = false;
	}
	return -1;
}

/** Removes (comments), returning the text without them and what they said. */
function withoutComments(text: string): { text: string; comments: string } {
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
function unquoteName(text: string): string {
	return text
		.replace(/"((?:[^"\\]|\\.)*)"/g, (_, inner: string) => inner.replace(/\\(.)/g, '$1'))
		.replace(/\s+/g, ' ')
		.trim();
}

/** Whitespace outside quoted parts: "jane doe@x.com" has one, "\"jane doe\"@x.com" has none. */
function hasBareSpace(text: string): boolean {
	return /\s/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, ''));
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

function quoteName(name: string): string {
	const needsQuotes = /[^\w !#$%&'*+\-/=?^`{|}~]/.test(name);
	return needsQuotes ? `"${name.replace(/(["\\])/g, '\\$1')}"` : name;
}

export function formatAddress(address: MailAddress): string {
	if (!address.name) return address.address;
	return `${quoteName(address.name)} <${address.address}>`;
}

export function domainOf(address: string): string {
	return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
