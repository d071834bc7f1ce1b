/**
 * Whether one plain address (local@domain) can be sent to, and its domain in ASCII: the rules of
 * RFC 5321/5322 this node holds every address to, each problem said in words for the error.
 */
import { domainToASCII, domainToUnicode } from 'node:url';

import { show } from './show';

const MAX_ADDRESS_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
/** RFC 5322 atext: what an unquoted part before the @ may hold, besides dots between words. */
const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]$/;
const QUOTED_LOCAL_PART = /^"(?:[^"\\\r\n]|\\.){1,62}"$/;
const ASCII_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const IPV4_LITERAL = /^\[(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\]$/;
const NON_ASCII = /[^\x00-\x7f]/;

/** Why an address cannot be used, in words ("it has no @"), or undefined when it is fine. */
export function addressProblem(address: string): string | undefined {
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
		return (
			`the part before the @ has a non-ASCII character (${show(foreign[0])}); ` +
			'such addresses need SMTPUTF8 on every mail server along the way, which cannot be relied on, so they are not sent'
		);
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
export function asciiAddress(address: string): { address: string } | { problem: string } {
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
