/**
 * Builds the one message every channel receives from the node's raw inputs, validating each field
 * once, before any channel is involved. Pure: no n8n, no I/O. The checks of each part live beside
 * it: headerFields.ts (text and headers), recipients.ts, attachments.ts.
 */
import { inputError } from '../errors';
import type { OutgoingAttachment, OutgoingMessage } from '../model';
import { domainOf, parseAddressList } from './addresses';
import { checkAttachmentSize, checkedAttachments } from './attachments';
import { customHeaders, headerText, messageIdList, text, type Field } from './headerFields';
import { newDeliveryId } from './ids';
import { uniqueRecipients } from './recipients';
import { show } from './show';

export { formatBytes } from './attachments';
export { MAX_HEADER_LENGTH } from './headerFields';
export { allRecipients, MAX_RECIPIENTS } from './recipients';

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

const F = {
	subject: { field: 'subject', label: 'Subject' },
	text: { field: 'text', label: 'Text' },
	html: { field: 'html', label: 'HTML' },
	inReplyTo: { field: 'options.inReplyTo', label: 'In Reply To' },
	references: { field: 'options.references', label: 'References' },
} satisfies Record<string, Field>;

/** A composed message and what the node changed on the way (shown on the item as warnings). */
export interface ComposedMessage {
	message: OutgoingMessage;
	warnings: string[];
}

/**
 * Builds the message from the raw inputs, checking every field; throws EINPUT naming the field and
 * value.
 */
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
	checkAttachmentSize(attachments, input.maxAttachmentBytes);

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
