/** Turns an OutgoingMessage into RFC 5322 bytes with nodemailer's composer. */
import MailComposer from 'nodemailer/lib/mail-composer';

import type { MailAddress, OutgoingMessage } from '../model';

export interface MimeOptions {
	/** The From actually used, when a channel must send as someone other than the identity. */
	from?: MailAddress;
	/** A Sender header (who actually sent it on the identity's behalf). */
	sender?: MailAddress;
}

export function buildMime(message: OutgoingMessage, options: MimeOptions = {}): Promise<Buffer> {
	const headers: Record<string, string> = { 'X-Delivery-Id': message.deliveryId };
	for (const { name, value } of message.headers) headers[name] = value;
	const composer = new MailComposer({
		from: options.from ?? message.identity,
		sender: options.sender,
		to: message.to,
		cc: message.cc.length ? message.cc : undefined,
		bcc: message.bcc.length ? message.bcc : undefined,
		replyTo: message.replyTo.length ? message.replyTo : undefined,
		subject: message.subject,
		text: message.text,
		html: message.html,
		messageId: message.messageId,
		inReplyTo: message.inReplyTo,
		references: message.references.length ? message.references : undefined,
		headers,
		attachments: message.attachments.map((attachment) => ({
			filename: attachment.filename,
			content: attachment.content,
			contentType: attachment.contentType,
			contentDisposition: attachment.inline ? 'inline' : 'attachment',
			cid: attachment.inline ? attachment.contentId : undefined,
		})),
		// Content always comes from the item's binary data: never let a value reach the file system
		// or the network, whatever it looks like.
		disableFileAccess: true,
		disableUrlAccess: true,
	} as ConstructorParameters<typeof MailComposer>[0]);
	return new Promise((resolve, reject) => {
		composer.compile().build((error, raw) => (error ? reject(error) : resolve(raw)));
	});
}
