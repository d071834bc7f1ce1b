/**
 * The delivery model every part of the package shares: what a message is, what became of it, and
 * what a failed delivery looks like. No n8n types here: the core is n8n-free.
 */
import type { FailedDelivery as ApiFailedDelivery } from './msc-api';

/** A JSON-like object (the same shape as n8n's IDataObject, which items carry). */
export interface DataObject {
	[key: string]: string | number | boolean | object | null | undefined;
}

export type ChannelKey = 'msc' | 'gmail' | 'smtp';

export interface MailAddress {
	name: string;
	address: string;
}

export interface OutgoingAttachment {
	filename: string;
	contentType: string;
	content: Buffer;
	/** Embedded in the HTML body (Content-Disposition: inline) instead of attached. */
	inline: boolean;
	contentId?: string;
}

/**
 * A message built once from the node's parameters (identity, recipients, bodies, attachments,
 * headers, threading) and handed unchanged to whichever channel sends it.
 */
export interface OutgoingMessage {
	/** Our id for this delivery: the DSN envelope id and the X-Delivery-Id header. */
	deliveryId: string;
	/** The Message-ID header we set, with angle brackets. */
	messageId: string;
	identity: MailAddress;
	to: MailAddress[];
	cc: MailAddress[];
	bcc: MailAddress[];
	replyTo: MailAddress[];
	subject: string;
	text?: string;
	html?: string;
	attachments: OutgoingAttachment[];
	headers: Array<{ name: string; value: string }>;
	inReplyTo?: string;
	references: string[];
	/**
	 * The item's Idempotency Key, when it has one: the same key never sends a second email. Channels
	 * whose server keeps keys (MSC) send it; the others are guarded by the shared ledger.
	 */
	idempotencyKey?: string;
}

export interface RecipientRejection {
	address: string;
	/** SMTP reply code or HTTP status, when there is one. */
	code?: number;
	response: string;
	/** A temporary (4xx) refusal: trying again later may work. */
	retryable: boolean;
}

export interface SendResult {
	messageId: string;
	accepted: string[];
	rejected: RecipientRejection[];
	/** The From header the recipients see. */
	fromUsed: string;
	/** The server's final answer, as it gave it. */
	response: string;
	warnings: string[];
	/** Channel facts worth showing on the item (Gmail ids, the MSC message id, ...). */
	details?: DataObject;
	/**
	 * Nothing was sent now: the server already had an email for this message's idempotency key
	 * (`messageId` is that email's), sent at `sentAt` when it says.
	 */
	duplicate?: { sentAt?: string };
}

/**
 * The verdict on one recipient, field for field as the MSC API documents it (docs/msc-api.openapi.yaml:
 * "the same fields the bounce engine produces"): recipient, kind, hard (the address itself is dead),
 * reason, status, replyCode, diagnostic, remoteMta, reportingMta, feedbackType.
 */
type FailureVerdict = Pick<
	ApiFailedDelivery,
	| 'recipient'
	| 'kind'
	| 'hard'
	| 'reason'
	| 'status'
	| 'replyCode'
	| 'diagnostic'
	| 'remoteMta'
	| 'reportingMta'
	| 'feedbackType'
>;

/** What a failed delivery looks like on every channel's output item. */
export interface FailedDelivery extends FailureVerdict {
	channel: ChannelKey;
	/** This message's fate: 'failed' is permanent for this message, 'delayed' may still arrive. */
	action: string;
	failedAt?: string;
	message: DataObject;
	link: { method: string; confidence: 'high' | 'medium' | 'low' | 'none' };
	details?: DataObject;
}

/** What an automatic answer is about (the bounce engine's AutoReplyKind). */
export type AutoReplyKind = 'out-of-office' | 'moved' | 'auto-acknowledgement' | 'other';

/**
 * A reply or an auto-reply to a message that was sent: never a failure, so it has no hard/soft,
 * reason or status. Listed beside the failures when the query asks for replies.
 */
export interface MailboxReply {
	channel: ChannelKey;
	kind: 'reply' | 'autoreply';
	/** Only on an auto-reply: out of office, moved (the address changed), auto-acknowledgement, other. */
	autoReplyKind?: AutoReplyKind;
	/** Who answered: the recipient of the sent message, as the answer's From names them. */
	recipient: string;
	from: string;
	/** A moved notice's new address, when its text gives one. */
	newAddress?: string;
	subject: string;
	/** The start of what they wrote (not the quoted message), at most 300 characters. */
	excerpt: string;
	/** When the answer reached the mailbox (ISO 8601). */
	receivedAt?: string;
	/** The sent message it answers, linked the same way failures are. */
	message: DataObject;
	link: FailedDelivery['link'];
	details?: DataObject;
}

export interface FailedDeliveryQuery {
	since?: Date;
	until?: Date;
	/**
	 * Only failures whose report reached the channel (the mailbox, the provider's log) at or after
	 * this time, whenever the failure itself happened. The trigger polls with it, so a report that
	 * arrives late is still found. Channels that cannot tell may ignore it.
	 */
	receivedSince?: Date;
	recipient?: string;
	verdict: 'all' | 'hard' | 'soft';
	includeDelays: boolean;
	includeComplaints: boolean;
	/**
	 * Also list replies and auto-replies to the messages sent (`FailedDeliveryList.replies`). Channels
	 * that read a mailbox widen what they read only when this is set.
	 */
	includeReplies?: boolean;
	/** Undefined means Return All. */
	limit?: number;
	/**
	 * Where the previous listing stopped (a `FailedDeliveryList.checkpoint`, stored by the trigger as
	 * it came). With it the channel reads only reports that arrived after that point, oldest first.
	 */
	checkpoint?: DataObject;
}

/** What a listing of failed deliveries returns. */
export interface FailedDeliveryList {
	/** Newest report first (a listing with a checkpoint: oldest first, in the order they arrived). */
	failures: FailedDelivery[];
	/**
	 * Where the next listing resumes: after the last report this listing read, and never past a
	 * report it did not read (one left over because of a cap stays ahead of the checkpoint).
	 * Opaque to callers; JSON-safe, kept in the workflow's static data.
	 */
	checkpoint?: DataObject;
	/** Replies and auto-replies, when the query asked for them (same order as `failures`). */
	replies?: MailboxReply[];
	/**
	 * The query asked for replies and the channel cannot list them: why, in words for the user
	 * (shown as a hint by the operation; the trigger stops with it).
	 */
	repliesUnavailable?: string;
	/** True when matching reports were left unread because of a cap; the next call goes on from the checkpoint. */
	truncated: boolean;
	/** Why the listing stopped early, in words for the user, when `truncated`. */
	truncatedReason?: string;
}
