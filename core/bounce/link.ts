/**
 * Everything that identifies the original message of a report, and the link keys a sender can
 * use to find it again (ordered from the most to the least reliable).
 */
import type { MailView } from './mime';
import type { LinkConfidence, LinkMethod, OriginalMessage } from './types';
import {
	HeaderBlock,
	findAddresses,
	firstAddress,
	isoDate,
	messageIdOf,
	messageIds,
	parseFields,
	splitLines,
} from './util';

/** Names of the header fields an original message commonly carries. */
const HEADER_NAMES = [
	'message-id',
	'subject',
	'from',
	'to',
	'cc',
	'date',
	'return-path',
	'received',
	'mime-version',
	'content-type',
	'reply-to',
	'x-[a-z0-9-]{1,60}',
	'dkim-signature',
	'delivered-to',
	'sender',
	'references',
	'in-reply-to',
	'list-[a-z-]{1,30}',
	'authentication-results',
	'arc-[a-z-]{1,30}',
	'user-agent',
	'content-transfer-encoding',
	'thread-[a-z]{1,10}',
	'importance',
	'precedence',
].join('|');
const KNOWN_HEADER = new RegExp(`^(?:${HEADER_NAMES})\\s{0,3}:`, 'i');

/** Header block found somewhere in a text that holds a quoted original message. */
export function quotedHeaders(text: string): HeaderBlock | undefined {
	if (!text) return undefined;
	const lines = splitLines(text.slice(0, 128 * 1024), 3000).map((l) => l.replace(/^\s?> ?/, ''));
	for (let i = 0; i < lines.length; i++) {
		if (!KNOWN_HEADER.test(lines[i])) continue;
		const { block } = parseFields(lines, i);
		if (block.fields.length >= 1) {
			const more = parseLooseFields(lines, i);
			for (const f of more.fields) if (!block.has(f.key)) block.fields.push(f);
			return block;
		}
	}
	return undefined;
}

/** Fields like Message-ID or Subject anywhere in the lines (some servers insert blank lines). */
function parseLooseFields(lines: string[], start: number): HeaderBlock {
	const block = new HeaderBlock();
	const wanted =
		/^(message-id|subject|from|to|date|x-original-message-id)\s{0,3}:\s{0,5}(.{1,2000})$/i;
	for (let i = start; i < Math.min(lines.length, start + 400); i++) {
		const m = wanted.exec(lines[i].trim());
		if (m && !block.has(m[1])) block.fields.push({ key: m[1].toLowerCase(), value: m[2].trim() });
	}
	return block;
}

export interface LinkInput {
	view: MailView;
	envelopeId?: string;
	/** Original text after the notification, for plain-text reports. */
	originalText: string;
	/** Notification text (Exchange quotes Subject / To there). */
	notice: string;
	/** Recipients from the report (Final-Recipient / Original-Recipient / text). */
	recipients: string[];
	/** True for auto-replies: their In-Reply-To points to the message they answer. */
	isReply: boolean;
}

function decodeWords(value: string): string {
	return value.replace(
		/=\?([^?\s]{1,40})\?([bqBQ])\?([^?\s]{0,2000})\?=/g,
		(all, charset: string, enc: string, data: string) => {
			try {
				const buf =
					enc.toUpperCase() === 'B'
						? Buffer.from(data, 'base64')
						: Buffer.from(
								data
									.replace(/_/g, ' ')
									.replace(/=([0-9A-Fa-f]{2})/g, (_m: string, h: string) =>
										String.fromCharCode(parseInt(h, 16)),
									),
								'latin1',
							);
				return new TextDecoder(charset.toLowerCase(), { fatal: false }).decode(buf);
			} catch {
				return all;
			}
		},
	);
}

export function extractOriginal(input: LinkInput): OriginalMessage {
	const { view } = input;
	const original: OriginalMessage = { recipients: [], links: [] };
	let block: HeaderBlock | undefined;
	for (const part of input.view.originals) {
		block = quotedHeaders(part);
		if (block) break;
	}
	block ??= quotedHeaders(input.originalText);
	const notice = quotedHeaders(input.notice);
	const get = (name: string): string | undefined => block?.get(name) ?? undefined;
	const messageId = messageIdOf(get('message-id'));
	if (messageId) original.messageId = messageId;
	if (input.envelopeId) original.envelopeId = input.envelopeId;
	const subject = get('subject') ?? notice?.get('subject');
	if (subject) original.subject = decodeWords(subject).slice(0, 500);
	const from = firstAddress(get('from'));
	if (from) original.from = from;
	const date = isoDate(get('date'));
	if (date) original.date = date;
	const inReplyTo = messageIdOf(view.headers.get('in-reply-to'));
	if (inReplyTo) original.inReplyTo = inReplyTo;
	const references = messageIds(view.headers.get('references'));
	if (references.length) original.references = references;

	const recipients: string[] = [];
	const seen = new Set<string>();
	const addRecipient = (a: string) => {
		const key = a.toLowerCase();
		if (a && !seen.has(key)) {
			seen.add(key);
			recipients.push(a);
		}
	};
	for (const r of input.recipients) addRecipient(r);
	if (recipients.length === 0 && block) {
		for (const a of findAddresses(`${get('to') ?? ''} ${get('cc') ?? ''}`, 20)) addRecipient(a);
	}
	original.recipients = recipients;

	const links = original.links;
	const add = (method: LinkMethod, value: string | undefined, confidence: LinkConfidence) => {
		if (value && !links.some((l) => l.method === method && l.value === value))
			links.push({ method, value, confidence });
	};
	add('envelope-id', input.envelopeId, 'high');
	add('message-id', messageId, 'high');
	const xOriginal =
		messageIdOf(view.headers.get('x-original-message-id')) ||
		messageIdOf(get('x-original-message-id') ?? undefined);
	add('x-original-message-id', xOriginal, 'high');
	add('in-reply-to', inReplyTo, input.isReply ? 'high' : 'medium');
	for (const r of references.slice(-3).reverse()) add('references', r, 'medium');
	if (original.subject && recipients.length) {
		for (const r of recipients.slice(0, 20))
			add('subject-recipient', `${r.toLowerCase()}\n${original.subject}`, 'low');
	}
	return original;
}
