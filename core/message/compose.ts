/**
 * Builds the one message every channel receives from the node's raw inputs, validating each field
 * once, before any channel is involved. Pure: no n8n, no I/O.
 */
import { inputError } from '../errors';
import type { MailAddress, OutgoingAttachment, OutgoingMessage } from '../model';
import { domainOf, parseAddressList } from './addresses';
import { newDeliveryId } from './ids';
import { controlCharacterIn, kindOf, show } from './show';

export type EmailFormat = 'text' | 'html' | 'both';

export interface MessageInput {
	identity: unknown;
	to: unknown;
	cc?: unknown;
	bcc?: unknown;
	replyTo?: unknown;
	subject: unknown;
	emailFormat: EmailFormat;
	text?: unknown;
	html?: unknown;
	headers?: Array<{ name?: unknown; value?: unknown }>;
	inReplyTo?: unknown;
	references?: unknown;
	attachments?: OutgoingAttachment[];
	/** Total attachment size allowed, in bytes. */
	maxAttachmentBytes?: number;
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
/**
 * Recipients in one message, To, CC and BCC together. Microsoft 365 (Exchange Online) refuses
 * messages with more than 500 recipients, Gmail allows 500 for a personal account, and RFC 5321 only
 * promises 100; a campaign to more people is one message per recipient anyway.
 */
export const MAX_RECIPIENTS = 500;
const MAX_FILENAME_LENGTH = 255;

/** A field of the node, for error messages. */
interface Field {
	field: string;
	label: string;
}

const F = {
	subject: { field: 'subject', label: 'Subject' },
	text: { field: 'text', label: 'Text' },
	html: { field: 'html', label: 'HTML' },
	headers: { field: 'options.headers', label: 'Custom Headers' },
	inReplyTo: { field: 'options.inReplyTo', label: 'In Reply To' },
	references: { field: 'options.references', label: 'References' },
	attachments: { field: 'options.attachments', label: 'Attachments' },
} satisfies Record<string, Field>;

/** Text from an expression: numbers and true/false become text, lists and objects are refused. */
function text({ field, label }: Field, value: unknown): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'string') return value;
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	throw inputError(
		field,
		`${label} must be text, got ${kindOf(value)}: ${show(value)}`,
		'Map a field that holds text, e.g. {{ $json.subject }}, or turn the value into text, e.g. {{ JSON.stringify($json.data) }}.',
	);
}

/**
 * Text that goes into a header: one line, no control characters, at most 998 characters. A line
 * break at either end (what an AI step or a spreadsheet cell often leaves) is dropped; one inside
 * would start a new header, so it is refused.
 */
function headerText(name: Field, value: unknown, what = name.label): string {
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
			`${what} is ${result.length.toLocaleString('en-US')} characters long, over the limit of ${MAX_HEADER_LENGTH}: ${show(result)}`,
			'Shorten it; mail servers may cut or refuse longer header lines, and clients show only the first few dozen characters.',
		);
	}
	return result;
}

/** `value` without line breaks at either end: a loop, since `/[\r\n]+$/` rescans a run of them from each position. */
function trimLineBreaks(value: string): string {
	let start = 0;
	let end = value.length;
	while (start < end && (value[start] === '\r' || value[start] === '\n')) start++;
	while (end > start && (value[end - 1] === '\r' || value[end - 1] === '\n')) end--;
	return value.slice(start, end);
}

/** `<left@right>`: printable ASCII without spaces, angle brackets or a second @ (RFC 5322 msg-id). */
function isMessageId(id: string): boolean {
	// The left part holds no @ (a second @ is refused below anyway), so the pattern cannot backtrack over a run of @.
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
function messageIdList(name: Field, value: unknown): string[] {
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

function customHeaders(
	entries: Array<{ name?: unknown; value?: unknown }>,
): Array<{ name: string; value: string }> {
	const headers: Array<{ name: string; value: string }> = [];
	const seen = new Set<string>();
	for (const { name, value } of entries) {
		const headerName = headerText(F.headers, name, 'A custom header name').trim();
		const headerValue = headerText(F.headers, value, `Header ${show(headerName)}`);
		if (!headerName) {
			if (!headerValue.trim()) continue; // an empty row left in the list
			throw inputError(
				F.headers.field,
				`A custom header has a value but no name: ${show(headerValue)}`,
				'Enter the header name, e.g. X-Campaign.',
			);
		}
		if (!HEADER_NAME.test(headerName)) {
			throw inputError(
				F.headers.field,
				`Custom header name ${show(headerName)} is not valid: a name is up to 76 letters, digits and dashes, without spaces or colons`,
				'Use a name like X-Campaign.',
			);
		}
		const key = headerName.toLowerCase();
		const owner = RESERVED_HEADERS.get(key) ?? (key.startsWith('content-') ? '' : undefined);
		if (owner !== undefined) {
			throw inputError(
				F.headers.field,
				`Custom header ${show(headerName)} is set by the node and cannot be a custom header`,
				owner
					? `Use the ${owner} field instead.`
					: 'Remove it; the node writes this header itself.',
			);
		}
		if (seen.has(key)) {
			throw inputError(
				F.headers.field,
				`Custom header ${show(headerName)} is set twice`,
				'Keep one row per header name.',
			);
		}
		seen.add(key);
		headers.push({ name: headerName, value: headerValue });
	}
	return headers;
}

/** Folder parts of a file name (../../etc/passwd, C:\x\y.pdf) say nothing to the recipient. */
function baseName(filename: string): string {
	return filename.replace(/^.*[/\\]/, '').replace(/^[A-Za-z]:/, '');
}

function checkedAttachments(
	attachments: OutgoingAttachment[],
	warnings: string[],
): OutgoingAttachment[] {
	const contentIds = new Set<string>();
	return attachments.map((attachment) => {
		const given = attachment.filename;
		const control = controlCharacterIn(given);
		if (control) {
			throw inputError(
				F.attachments.field,
				`Attachment file name contains ${control.what}: ${control.shown}`,
				'Rename the file in the node that reads or downloads it.',
			);
		}
		const filename = baseName(given).trim();
		if (!filename || filename === '.' || filename === '..') {
			throw inputError(
				F.attachments.field,
				`Attachment file name ${show(given)} has no name after its folders`,
				'Give the file a name in the node that reads or downloads it.',
			);
		}
		if (filename.length > MAX_FILENAME_LENGTH) {
			throw inputError(
				F.attachments.field,
				`Attachment file name is ${filename.length} characters long, over the limit of ${MAX_FILENAME_LENGTH}: ${show(filename)}`,
			);
		}
		if (filename !== given)
			warnings.push(
				`Attachment ${show(given)} is sent as ${show(filename)}: folder names are left out of attachment names.`,
			);
		if (!attachment.inline) return { ...attachment, filename };
		const contentId = attachment.contentId ?? '';
		if (!/^[\x21-\x7e]{1,250}$/.test(contentId) || /[<>"()\\,;:[\]]/.test(contentId)) {
			throw inputError(
				F.attachments.field,
				`Content ID ${show(contentId)} is not valid: use letters, digits, dots, dashes and @ only, without spaces, quotes or angle brackets`,
				'Use an ID like logo or logo@example.com, and reference it in the HTML as src="cid:logo".',
			);
		}
		if (contentIds.has(contentId.toLowerCase())) {
			throw inputError(
				F.attachments.field,
				`Content ID ${show(contentId)} is used by two inline attachments`,
				'Give each inline attachment its own Content ID.',
			);
		}
		contentIds.add(contentId.toLowerCase());
		return { ...attachment, filename };
	});
}

type Recipients = Record<'to' | 'cc' | 'bcc', MailAddress[]>;

const RECIPIENT_FIELDS = [
	{ key: 'to', field: 'to', label: 'To Email' },
	{ key: 'cc', field: 'options.cc', label: 'CC Email' },
	{ key: 'bcc', field: 'options.bcc', label: 'BCC Email' },
] as const;

/**
 * One copy per address (compared without case, as mailboxes are in practice): an address in To and
 * CC, or twice in To, would otherwise receive the message twice. The first place it appears (To,
 * then CC, then BCC) keeps it.
 */
function uniqueRecipients(input: MessageInput, warnings: string[]): Recipients {
	const seen = new Map<string, string>();
	const removed: string[] = [];
	const result: Recipients = { to: [], cc: [], bcc: [] };
	let total = 0;
	for (const { key, field, label } of RECIPIENT_FIELDS) {
		const parsed = parseAddressList(field, label, input[key], { required: key === 'to' });
		for (const recipient of parsed) {
			const id = recipient.address.toLowerCase();
			const first = seen.get(id);
			if (first) {
				removed.push(
					first === label
						? `${recipient.address} (twice in ${label})`
						: `${recipient.address} (in ${first} and ${label})`,
				);
				continue;
			}
			seen.set(id, label);
			result[key].push(recipient);
			total += 1;
		}
		if (total > MAX_RECIPIENTS) {
			throw inputError(
				field,
				`The message has ${total.toLocaleString('en-US')} recipients once ${label} is counted; one message can go to at most ${MAX_RECIPIENTS} (To, CC and BCC together). ${label}: ${show(input[key])}`,
				'Split the list: send one message per recipient (one item each), which is also what most providers expect for sales email. Microsoft 365 refuses more than 500 recipients per message.',
			);
		}
	}
	if (removed.length) {
		const listed =
			removed.slice(0, 10).join(', ') +
			(removed.length > 10 ? ` and ${removed.length - 10} more` : '');
		warnings.push(`Left out duplicate recipients so nobody gets this message twice: ${listed}.`);
	}
	return result;
}

/** A composed message and what the node changed on the way (shown on the item as warnings). */
export interface ComposedMessage {
	message: OutgoingMessage;
	warnings: string[];
}

/** Builds the message from the raw inputs, checking every field; throws EINPUT naming the field and value. */
export function composeChecked(input: MessageInput, deliveryId = newDeliveryId()): ComposedMessage {
	const warnings: string[] = [];
	const [identity] = parseAddressList('identity', 'Identity', input.identity, {
		required: true,
		single: true,
	});
	const { to, cc, bcc } = uniqueRecipients(input, warnings);
	const replyTo = parseAddressList('options.replyTo', 'Reply To', input.replyTo);
	const subject = headerText(F.subject, input.subject);

	const format = input.emailFormat;
	if (!['text', 'html', 'both'].includes(format)) {
		throw inputError('emailFormat', `Email Format must be text, html or both, got ${show(format)}`);
	}
	const bodyText = format === 'html' ? undefined : text(F.text, input.text);
	const bodyHtml = format === 'text' ? undefined : text(F.html, input.html);

	const headers = customHeaders(input.headers ?? []);

	const inReplyTo = messageIdList(F.inReplyTo, input.inReplyTo);
	if (inReplyTo.length > 1) {
		throw inputError(
			F.inReplyTo.field,
			`In Reply To must be one Message-ID, got ${inReplyTo.length}: ${show(inReplyTo.join(' '))}`,
			'Put the other Message-IDs of the thread in References.',
		);
	}
	const references = messageIdList(F.references, input.references);
	// A reply should reference what it replies to, so threads hold together in every client.
	if (inReplyTo.length && !references.includes(inReplyTo[0])) references.push(inReplyTo[0]);

	const attachments = checkedAttachments(input.attachments ?? [], warnings);
	const limit = input.maxAttachmentBytes;
	if (limit !== undefined) {
		const total = attachments.reduce((sum, attachment) => sum + attachment.content.length, 0);
		if (total > limit) {
			throw inputError(
				F.attachments.field,
				`Attachments are ${formatBytes(total)}, over the limit of ${formatBytes(limit)}: ${show(attachments.map((a) => `${a.filename} (${formatBytes(a.content.length)})`).join(', '))}`,
				'Send smaller files, or raise Max Attachment Size (MB) if your server accepts larger messages.',
			);
		}
	}

	const message: OutgoingMessage = {
		deliveryId,
		messageId: `<${deliveryId}@${domainOf(identity.address)}>`,
		identity,
		to,
		cc,
		bcc,
		replyTo,
		subject,
		text: bodyText,
		html: bodyHtml,
		attachments,
		headers,
		inReplyTo: inReplyTo[0],
		references,
	};
	return { message, warnings };
}

export function composeMessage(input: MessageInput, deliveryId = newDeliveryId()): OutgoingMessage {
	return composeChecked(input, deliveryId).message;
}

export function allRecipients(message: OutgoingMessage): string[] {
	return [...message.to, ...message.cc, ...message.bcc].map((entry) => entry.address);
}

export function formatBytes(bytes: number): string {
	if (bytes < 1024) return `${bytes} B`;
	if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
	return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
