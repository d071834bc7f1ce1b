import addressparser from 'nodemailer/lib/addressparser';

import { inputError } from '../channels/errors';
import type { MailAddress } from '../channels/types';

const MAX_ADDRESS_LENGTH = 254;
const LOCAL_PART = /^[^\s@<>()[\]\\,;:"]+$/;
const QUOTED_LOCAL_PART = /^"(?:[^"\\\r\n]|\\.){1,64}"$/;
const DOMAIN_LABEL = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u;

export function hasLineBreak(value: string): boolean {
	return /[\r\n]/.test(value);
}

/** Whether `address` is a plain mailbox address (local@domain) we are willing to send to. */
export function isValidAddress(address: string): boolean {
	if (address.length === 0 || address.length > MAX_ADDRESS_LENGTH) return false;
	const at = address.lastIndexOf('@');
	if (at <= 0 || at === address.length - 1) return false;
	const local = address.slice(0, at);
	const domain = address.slice(at + 1);
	if (local.length > 64) return false;
	if (!LOCAL_PART.test(local) && !QUOTED_LOCAL_PART.test(local)) return false;
	if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return false;
	if (/^\[(?:\d{1,3}\.){3}\d{1,3}\]$/.test(domain)) return true;
	const labels = domain.split('.');
	if (labels.length < 2) return false;
	return labels.every((label) => DOMAIN_LABEL.test(label));
}

function describe(value: string): string {
	return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
}

/**
 * Parses one address field ("a@x.com, Jane <b@y.com>") into mailboxes. Throws an input error
 * naming the field and the offending value; groups are flattened.
 */
export function parseAddressList(
	field: string,
	label: string,
	value: unknown,
	{ required = false, single = false } = {},
): MailAddress[] {
	const raw = normaliseAddressInput(field, label, value);
	if (hasLineBreak(raw)) {
		throw inputError(field, `${label} contains a line break: ${describe(raw)}`, 'Remove the line break; separate addresses with commas.');
	}
	const trimmed = raw.trim();
	if (!trimmed) {
		if (required) {
			throw inputError(field, `${label} is empty`, `Enter at least one email address in ${label}.`);
		}
		return [];
	}
	const parsed = addressparser(trimmed, { flatten: true }) as Array<{ name: string; address: string }>;
	const result: MailAddress[] = [];
	for (const entry of parsed) {
		const address = (entry.address ?? '').trim();
		if (!address && !entry.name) continue;
		if (!isValidAddress(address)) {
			const shown = address || entry.name;
			throw inputError(
				field,
				`${label} has an invalid email address: ${describe(shown)}`,
				'Use addresses like jane@example.com or "Jane Doe <jane@example.com>", separated by commas.',
			);
		}
		result.push({ name: (entry.name ?? '').trim(), address });
	}
	if (required && result.length === 0) {
		throw inputError(field, `${label} has no email address: ${describe(trimmed)}`, `Enter at least one email address in ${label}.`);
	}
	if (single && result.length > 1) {
		throw inputError(field, `${label} must be one address, got ${result.length}: ${describe(trimmed)}`);
	}
	return result;
}

/** Accepts a string, an array of strings (from an expression) or an address object. */
function normaliseAddressInput(field: string, label: string, value: unknown): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'string') return value;
	if (Array.isArray(value)) {
		return value.map((entry) => normaliseAddressInput(field, label, entry)).filter(Boolean).join(', ');
	}
	if (typeof value === 'object' && typeof (value as MailAddress).address === 'string') {
		const { name, address } = value as MailAddress;
		return name ? `"${name.replace(/["\\]/g, '')}" <${address}>` : address;
	}
	throw inputError(field, `${label} must be text, got ${typeof value}: ${describe(String(JSON.stringify(value)))}`);
}

export function formatAddress(address: MailAddress): string {
	if (!address.name) return address.address;
	const needsQuotes = /[^\w !#$%&'*+\-/=?^`{|}~.]/.test(address.name) || address.name.includes('.');
	const name = needsQuotes ? `"${address.name.replace(/(["\\])/g, '\\$1')}"` : address.name;
	return `${name} <${address.address}>`;
}

export function domainOf(address: string): string {
	return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
