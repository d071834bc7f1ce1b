/**
 * RFC 3464 message/delivery-status parser: one per-message block followed by per-recipient
 * blocks, folded lines, and the sloppy variants real servers send (missing blank lines,
 * fields without the `type;` prefix, several recipients in one block).
 */
import type { RawRecipient, RecipientAction } from './types';
import { MAX_LINE, cleanAddress, firstAddress, isoDate, splitLines, typedValue } from './util';

export interface DsnResult {
	reportingMta?: string;
	arrivalDate?: string;
	envelopeId?: string;
	receivedFromMta?: string;
	recipients: RawRecipient[];
	/** Recipient blocks whose Final-Recipient is not an address (a file or a pipe, as Exim writes). */
	unnamed: RawRecipient[];
}

const MAX_DSN_LINES = 4000;
const RECIPIENT_FIELDS = new Set([
	'final-recipient',
	'original-recipient',
	'action',
	'status',
	'diagnostic-code',
	'remote-mta',
	'last-attempt-date',
	'will-retry-until',
	'final-log-id',
	'x-actual-recipient',
]);

interface Field {
	key: string;
	value: string;
	blankBefore: boolean;
}

function readFields(text: string): Field[] {
	const lines = splitLines(text.slice(0, 256 * 1024), MAX_DSN_LINES);
	const fields: Field[] = [];
	let blank = false;
	for (const rawLine of lines) {
		const line = rawLine.length > MAX_LINE ? rawLine.slice(0, MAX_LINE) : rawLine;
		if (line.trim() === '') {
			blank = true;
			continue;
		}
		if ((line[0] === ' ' || line[0] === '\t') && fields.length > 0 && !blank) {
			const last = fields[fields.length - 1];
			if (last.value.length < 8000) last.value += ' ' + line.trim();
			continue;
		}
		const m = /^([A-Za-z][A-Za-z0-9-]{0,60})\s{0,5}:\s{0,20}(.*)$/.exec(line);
		if (m) {
			fields.push({ key: m[1].toLowerCase(), value: m[2].trim(), blankBefore: blank });
		} else if (fields.length > 0 && !blank && /^\S/.test(line) && !/^--/.test(line)) {
			// Unfolded continuation of a long Diagnostic-Code written without leading space.
			const last = fields[fields.length - 1];
			if (last.key === 'diagnostic-code' && last.value.length < 8000)
				last.value += ' ' + line.trim();
		}
		blank = false;
	}
	return fields;
}

export function normaliseAction(value: string): RecipientAction | undefined {
	const v = value.toLowerCase();
	if (v.startsWith('fail')) return 'failed';
	if (v.startsWith('delay')) return 'delayed';
	if (v.startsWith('deliver')) return 'delivered';
	if (v.startsWith('relay')) return 'relayed';
	if (v.startsWith('expand')) return 'expanded';
	return undefined;
}

function recipientOf(value: string): string {
	const { value: v } = typedValue(value);
	return cleanAddress(v) || firstAddress(v);
}

/** True when `text` looks like delivery-status fields (also when not in its own MIME part). */
export function looksLikeDsn(text: string): boolean {
	const head = text.slice(0, 128 * 1024);
	return (
		/^(?:Final|Original)-Recipient\s{0,5}:/im.test(head) &&
		/^(?:Action|Status)\s{0,5}:/im.test(head)
	);
}

export function parseDsn(text: string): DsnResult {
	const result: DsnResult = { recipients: [], unnamed: [] };
	let current: RawRecipient | null = null;
	let hasFinal = false;
	let hasOriginal = false;
	const flush = () => {
		if (current && (current.recipient || current.originalRecipient))
			result.recipients.push(current);
		else if (current && (current.status || current.action) && result.unnamed.length < 10)
			result.unnamed.push(current);
		current = null;
		hasFinal = false;
		hasOriginal = false;
	};
	const start = (): RawRecipient => {
		current = { recipient: '', diagnostic: '' };
		return current;
	};
	for (const f of readFields(text)) {
		if (f.blankBefore && current && (hasFinal || hasOriginal) && f.key !== 'diagnostic-code') {
			// A blank line ends a recipient block.
			if (
				f.key === 'final-recipient' ||
				f.key === 'original-recipient' ||
				!RECIPIENT_FIELDS.has(f.key)
			)
				flush();
		}
		switch (f.key) {
			case 'reporting-mta':
				result.reportingMta ??= typedValue(f.value).value;
				break;
			case 'arrival-date':
				result.arrivalDate ??= isoDate(f.value);
				break;
			case 'original-envelope-id':
				result.envelopeId ??= f.value.trim();
				break;
			case 'received-from-mta':
				result.receivedFromMta ??= typedValue(f.value).value;
				break;
			case 'original-recipient': {
				if (hasOriginal || (hasFinal && f.blankBefore)) flush();
				const r: RawRecipient = current ?? start();
				r.originalRecipient = recipientOf(f.value);
				hasOriginal = true;
				break;
			}
			case 'final-recipient':
			case 'x-actual-recipient': {
				if (f.key === 'x-actual-recipient' && hasFinal) break;
				if (hasFinal) flush();
				const r: RawRecipient = current ?? start();
				r.recipient = recipientOf(f.value);
				hasFinal = true;
				break;
			}
			default: {
				// Some servers write the per-recipient fields before Final-Recipient.
				let r = current as RawRecipient | null;
				if (!r && RECIPIENT_FIELDS.has(f.key)) r = start();
				if (!r) break;
				if (f.key === 'action') r.action = normaliseAction(f.value);
				else if (f.key === 'status') {
					const m = /[245]\.\d{1,3}\.\d{1,3}/.exec(f.value);
					r.status = m ? m[0] : '';
					const rest = m
						? f.value
								.slice(m.index + m[0].length)
								.trim()
								.slice(0, 200)
						: '';
					if (rest) r.statusText = rest;
				} else if (f.key === 'diagnostic-code') {
					const tv = typedValue(f.value);
					r.diagnosticType = tv.type;
					if (r.diagnostic.length < 8000)
						r.diagnostic = r.diagnostic ? `${r.diagnostic} ${tv.value}` : tv.value;
				} else if (f.key === 'remote-mta') r.remoteMta = typedValue(f.value).value;
				else if (f.key === 'last-attempt-date') r.failedAt = isoDate(f.value);
			}
		}
		if (result.recipients.length > 500) break;
	}
	flush();
	for (const r of result.recipients) {
		if (!r.recipient && r.originalRecipient) r.recipient = r.originalRecipient;
		r.reportingMta = result.reportingMta;
	}
	return result;
}
