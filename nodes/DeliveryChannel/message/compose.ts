/**
 * Builds the one message every channel receives from the node's raw inputs, validating each field
 * once, before any channel is involved. Pure: no n8n, no I/O.
 */
import { randomUUID } from 'node:crypto';

import { inputError } from '../channels/errors';
import type { OutgoingAttachment, OutgoingMessage } from '../channels/types';
import { domainOf, hasLineBreak, parseAddressList } from './addresses';

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
	['content-type', ''],
	['content-transfer-encoding', ''],
	['in-reply-to', 'In Reply To'],
	['references', 'References'],
	['return-path', ''],
	['x-delivery-id', ''],
]);

const HEADER_NAME = /^[!-9;-~]{1,76}$/;
const MESSAGE_ID = /^<[^<>\s@]+@[^<>\s@]+>$/;

function text(field: string, label: string, value: unknown): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'string') return value;
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	throw inputError(field, `${label} must be text, got ${Array.isArray(value) ? 'a list' : typeof value}`);
}

function headerText(field: string, label: string, value: unknown): string {
	const result = text(field, label, value);
	if (hasLineBreak(result)) {
		throw inputError(
			field,
			`${label} contains a line break: ${JSON.stringify(result.slice(0, 120))}`,
			'Header values must be on one line; remove CR and LF characters.',
		);
	}
	return result;
}

function messageIdList(field: string, label: string, value: unknown): string[] {
	const raw = Array.isArray(value) ? value.map((entry) => headerText(field, label, entry)).join(' ') : headerText(field, label, value);
	const ids = raw.split(/[\s,]+/).filter(Boolean);
	return ids.map((id) => {
		const bracketed = id.startsWith('<') ? id : `<${id}>`;
		if (!MESSAGE_ID.test(bracketed)) {
			throw inputError(field, `${label} has an invalid Message-ID: ${JSON.stringify(id)}`, 'A Message-ID looks like <abc123@example.com>.');
		}
		return bracketed;
	});
}

export function newDeliveryId(): string {
	return `dc-${randomUUID()}`;
}

export function composeMessage(input: MessageInput, deliveryId = newDeliveryId()): OutgoingMessage {
	const [identity] = parseAddressList('identity', 'Identity', input.identity, { required: true, single: true });
	const to = parseAddressList('to', 'To Email', input.to, { required: true });
	const cc = parseAddressList('options.cc', 'CC Email', input.cc);
	const bcc = parseAddressList('options.bcc', 'BCC Email', input.bcc);
	const replyTo = parseAddressList('options.replyTo', 'Reply To', input.replyTo);
	const subject = headerText('subject', 'Subject', input.subject);

	const format = input.emailFormat;
	if (!['text', 'html', 'both'].includes(format)) {
		throw inputError('emailFormat', `Email Format must be text, html or both, got ${JSON.stringify(format)}`);
	}
	const bodyText = format === 'html' ? undefined : text('text', 'Text', input.text);
	const bodyHtml = format === 'text' ? undefined : text('html', 'HTML', input.html);

	const headers = (input.headers ?? []).map(({ name, value }) => {
		const headerName = headerText('options.headers', 'Header name', name).trim();
		if (!HEADER_NAME.test(headerName)) {
			throw inputError('options.headers', `Header name is not valid: ${JSON.stringify(headerName)}`, 'Use letters, digits and dashes, e.g. X-Campaign.');
		}
		const owner = RESERVED_HEADERS.get(headerName.toLowerCase());
		if (owner !== undefined) {
			throw inputError(
				'options.headers',
				`Header ${JSON.stringify(headerName)} is set by the node and cannot be a custom header`,
				owner ? `Use the ${owner} field instead.` : undefined,
			);
		}
		return { name: headerName, value: headerText('options.headers', `Header ${headerName}`, value) };
	});

	const inReplyTo = messageIdList('options.inReplyTo', 'In Reply To', input.inReplyTo);
	if (inReplyTo.length > 1) {
		throw inputError('options.inReplyTo', `In Reply To must be one Message-ID, got ${inReplyTo.length}`);
	}
	const references = messageIdList('options.references', 'References', input.references);
	// A reply should reference what it replies to, so threads hold together in every client.
	if (inReplyTo.length && !references.includes(inReplyTo[0])) references.push(inReplyTo[0]);

	const attachments = input.attachments ?? [];
	const limit = input.maxAttachmentBytes;
	if (limit !== undefined) {
		const total = attachments.reduce((sum, attachment) => sum + attachment.content.length, 0);
		if (total > limit) {
			throw inputError(
				'options.attachments',
				`Attachments are ${formatBytes(total)}, over the limit of ${formatBytes(limit)} (${attachments.map((a) => a.filename).join(', ')})`,
				'Send smaller files, or raise Max Attachment Size (MB) if your server accepts larger messages.',
			);
		}
	}

	return {
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
}

export function allRecipients(message: OutgoingMessage): string[] {
	return [...message.to, ...message.cc, ...message.bcc].map((entry) => entry.address);
}

export function formatBytes(bytes: number): string {
	if (bytes < 1024) return `${bytes} B`;
	if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
	return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
