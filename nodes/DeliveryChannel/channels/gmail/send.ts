/**
 * The Gmail send path: the identity decided before sending (Gmail would silently replace it), the
 * message built once into MIME, then users.messages.send (base64 in JSON up to 5 MB, a resumable
 * upload above). A send whose outcome an answer left open goes again only when Sent positively
 * lacks it; without read access to the mailbox the item ends EUNKNOWN.
 */
import type { gmail_v1 } from '@googleapis/gmail';

import { formatAddress } from '../../../../core/message/addresses';
import { allRecipients, formatBytes } from '../../../../core/message/compose';
import { buildMime } from '../../../../core/message/mime';
import { beforeTransmit } from '../../../../core/coordination/transmit';
import { DeliveryError } from '../../../../core/errors';
import type { OutgoingMessage, SendResult } from '../types';
import { READ_SCOPE_HINT, READ_SCOPES } from './auth';
import { decideIdentity, type SendAsIdentity } from './identity';
import type { GmailOptions } from './options';
import { UNITS, type GmailApi } from './transport';
import { sendResumable } from './upload';

/** Gmail refuses messages over 35 MB (raw size, attachments encoded). */
export const MAX_MESSAGE_BYTES = 35 * 1024 * 1024;
/**
 * Above this the message goes through a resumable upload session (upload.ts) instead of base64 in a
 * JSON body: Google documents simple uploads for up to 5 MB.
 */
export const UPLOAD_THRESHOLD_BYTES = 5 * 1024 * 1024;

export const SEND_SCOPE_HINT = 'Reconnect the Gmail credential so it holds the gmail.send scope.';

export function canReadMailbox(api: GmailApi): boolean {
	return Boolean(api.auth.grantedScopes?.some((scope) => READ_SCOPES.includes(scope)));
}

export async function sendMessage(
	api: GmailApi,
	identities: SendAsIdentity[],
	message: OutgoingMessage,
	options: Pick<GmailOptions, 'unverifiedIdentity'>,
): Promise<SendResult> {
	const decision = decideIdentity(message.identity, identities, options.unverifiedIdentity);
	const raw = await buildMime(message, { from: decision.from });
	if (raw.length > MAX_MESSAGE_BYTES) {
		throw new DeliveryError(
			`The message is ${formatBytes(raw.length)}, over Gmail's limit of 35 MB`,
			{
				code: 'EINPUT',
				field: 'options.attachments',
				hint: 'Attachments grow by about a third when encoded; send smaller files or share a link instead.',
			},
		);
	}
	const resumable = raw.length > UPLOAD_THRESHOLD_BYTES;
	const lookUp = canReadMailbox(api) ? () => findInSent(api, message.messageId) : undefined;
	// A keyed send is marked started right before the message leaves (core/coordination/transmit):
	// before an upload's session opens, or after the quota pacing of the send request.
	if (resumable) await beforeTransmit();
	const upload = resumable
		? await sendResumable(api, raw, { scopeHint: SEND_SCOPE_HINT, findSent: lookUp })
		: undefined;
	const result =
		upload ??
		(await api.call<gmail_v1.Schema$Message>(
			{ units: UNITS.send, what: 'send the message', send: { lookUp }, scopeHint: SEND_SCOPE_HINT },
			async (request) => {
				await beforeTransmit();
				return await api.gmail.users.messages.send(
					{ userId: 'me', requestBody: { raw: raw.toString('base64url') } },
					request,
				);
			},
		));
	const sent = result.data;
	const labelIds = sent.labelIds ?? [];
	return {
		messageId: message.messageId,
		accepted: allRecipients(message),
		rejected: [],
		fromUsed: formatAddress(decision.from),
		response: `Gmail accepted the message as ${sent.id}${result.recovered ? ' (found in Sent after an error)' : ''}`,
		warnings: decision.warning ? [decision.warning] : [],
		details: {
			gmailMessageId: sent.id ?? undefined,
			gmailThreadId: sent.threadId ?? undefined,
			gmailLabelIds: labelIds,
			inSent: labelIds.includes('SENT'),
			identityVerified: decision.asRequested,
			sizeBytes: raw.length,
			uploadType: resumable ? 'resumable' : 'raw',
			attempts: result.attempts,
			...(upload ? { uploadChunks: upload.chunks, uploadResumes: upload.resumes } : {}),
		},
	};
}

/** The message in Sent, by its Message-ID: the look-up that decides a send in doubt. */
export async function findInSent(
	api: GmailApi,
	messageId: string,
): Promise<gmail_v1.Schema$Message | undefined> {
	const q = `in:sent rfc822msgid:${messageId.replace(/^<|>$/g, '')}`;
	const { data } = await api.call(
		{
			units: UNITS.list,
			what: 'look for the message in Sent',
			scopeHint: READ_SCOPE_HINT,
			lookUp: true,
		},
		(request) => api.gmail.users.messages.list({ userId: 'me', q, maxResults: 1 }, request),
	);
	const found = data.messages?.[0];
	return found?.id ? { id: found.id, threadId: found.threadId, labelIds: ['SENT'] } : undefined;
}
