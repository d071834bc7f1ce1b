/**
 * A send request's body, read and checked: the JSON, the identity it sends from (verified, of this
 * account), and the message it describes, built by the core's own composition (the node builds its
 * messages with the same code, so both refuse the same input with the same words).
 */
import { DeliveryError } from '../../../core/errors';
import { parseAddressList } from '../../../core/message/addresses';
import { composeMessage } from '../../../core/message/compose';
import type { OutgoingAttachment } from '../../../core/model';
import { Problem } from '../problem';
import type { Account, Identity, SandboxStore } from '../store';
import { identityView } from './views';

export function resolveIdentity(
	store: SandboxStore,
	account: Account,
	body: Record<string, unknown>,
): Identity {
	const given = body.identity;
	const key =
		typeof given === 'string'
			? given.trim()
			: typeof given === 'object' && given
				? String((given as { address?: unknown }).address ?? '').trim()
				: '';
	if (!key)
		throw new Problem(
			422,
			'invalid-request',
			'Invalid request',
			'identity is required: an identity id or its address.',
			{ field: 'identity' },
		);
	let lookup = key;
	if (!key.startsWith('idt_')) {
		try {
			lookup = parseAddressList('identity', 'identity', key, { required: true, single: true })[0]
				.address;
		} catch (error) {
			throw new Problem(422, 'invalid-request', 'Invalid request', (error as Error).message, {
				field: 'identity',
			});
		}
	}
	const identity = store.identity(account.id, lookup);
	const verified = store
		.identities(account.id)
		.filter((entry) => entry.verified)
		.map((entry) => entry.address);
	if (!identity) {
		throw new Problem(
			422,
			'unknown-identity',
			'Unknown identity',
			`${key} is not an Email Identity of this account.`,
			{ field: 'identity', verifiedIdentities: verified },
		);
	}
	if (!identity.verified) {
		throw new Problem(
			422,
			'identity-not-verified',
			'Identity not verified',
			`The Email Identity ${identity.address} is not verified yet, so MSC does not send from it.`,
			{
				field: 'identity',
				identity: identityView(identity),
				verifiedIdentities: verified,
			},
		);
	}
	return identity;
}

export function parseJson(raw: Buffer): Record<string, unknown> {
	let body: unknown;
	try {
		body = JSON.parse(raw.toString('utf8'));
	} catch (error) {
		throw new Problem(
			400,
			'invalid-json',
			'Invalid JSON',
			`The request body is not valid JSON: ${(error as Error).message}`,
		);
	}
	if (!body || typeof body !== 'object' || Array.isArray(body)) {
		throw new Problem(
			400,
			'invalid-json',
			'Invalid JSON',
			'The request body must be a JSON object.',
		);
	}
	return body as Record<string, unknown>;
}

/** The API body → the same message the node builds, validated by the same code. */
export function toOutgoingMessage(body: Record<string, unknown>, identity: Identity) {
	const deliveryId =
		typeof body.deliveryId === 'string' && /^[\x21-\x7e]{1,100}$/.test(body.deliveryId)
			? body.deliveryId
			: undefined;
	const given = body.identity;
	const name =
		typeof given === 'object' && given ? String((given as { name?: unknown }).name ?? '') : '';
	try {
		const format =
			body.html !== undefined && body.text !== undefined
				? 'both'
				: body.html !== undefined
					? 'html'
					: 'text';
		const message = composeMessage(
			{
				identity: { name: name || identity.name, address: identity.address },
				to: body.to,
				cc: body.cc,
				bcc: body.bcc,
				replyTo: body.replyTo,
				subject: body.subject ?? '',
				emailFormat: format,
				text: body.text,
				html: body.html,
				headers: asArray(body.headers, 'headers') as Array<{ name?: unknown; value?: unknown }>,
				inReplyTo: body.inReplyTo,
				references: body.references,
				attachments: asArray(body.attachments, 'attachments').map(toAttachment),
			},
			deliveryId,
		);
		if (typeof body.messageId === 'string' && /^<[^<>\s@]+@[^<>\s@]+>$/.test(body.messageId))
			message.messageId = body.messageId;
		return message;
	} catch (error) {
		if (error instanceof Problem) throw error;
		const field = error instanceof DeliveryError ? error.field : undefined;
		throw new Problem(
			422,
			'invalid-request',
			'Invalid request',
			(error as Error).message,
			field ? { field } : {},
		);
	}
}

function asArray(value: unknown, field: string): unknown[] {
	if (value === undefined || value === null) return [];
	if (!Array.isArray(value))
		throw new Problem(422, 'invalid-request', 'Invalid request', `${field} must be a list.`, {
			field,
		});
	return value;
}

function toAttachment(value: unknown, index: number): OutgoingAttachment {
	const entry = (value ?? {}) as Record<string, unknown>;
	const field = `attachments[${index}]`;
	if (typeof entry.content !== 'string' || !/^[A-Za-z0-9+/=\r\n]*$/.test(entry.content)) {
		throw new Problem(
			422,
			'invalid-request',
			'Invalid request',
			`${field}.content must be base64 text.`,
			{ field },
		);
	}
	return {
		filename: String(entry.filename ?? `attachment-${index + 1}`),
		contentType: String(entry.contentType ?? 'application/octet-stream'),
		content: Buffer.from(entry.content, 'base64'),
		inline: entry.inline === true,
		contentId:
			entry.inline === true && typeof entry.contentId === 'string' ? entry.contentId : undefined,
	};
}
