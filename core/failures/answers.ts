/**
 * Replies and auto-replies found in a mailbox (the bounce engine's `answer`), turned into items
 * linked to the message that was sent, the same way failures are. An answer is kept only when it
 * answers a message we sent: the sent message was found, or its In-Reply-To / References name a
 * Message-ID this package generated (`dc-<uuid>@...`, core/message/ids.ts). Never a failure.
 */
import { AUTO_SUBJECT } from '../bounce/answerPhrases';
import type { BounceReport, OriginalLink } from '../bounce/types';
import { deliveryIdOfMessageId } from '../message/ids';
import type { ChannelKey, DataObject, FailedDeliveryQuery, MailboxReply } from '../model';
import type { ReportSource, SentMessageResolver } from './index';

/** Whether a Message-ID (with or without angle brackets) is one this package set on a message. */
export function isOwnMessageId(value: string): boolean {
	return deliveryIdOfMessageId(value) !== undefined;
}

/** Message-IDs of ours named in a raw header value (In-Reply-To, References). */
export function ownMessageIds(value: string): string[] {
	return (value.slice(0, 20_000).match(/<[^<>\s]{1,995}>/g) ?? []).filter(isOwnMessageId);
}

/** Header fields that tell a reply or an auto-reply: what a mailbox reader fetches to screen messages. */
export const ANSWER_HEADERS = [
	'In-Reply-To',
	'References',
	'Auto-Submitted',
	'X-Autoreply',
	'X-Autorespond',
	'Precedence',
	'X-MS-Exchange-Inbox-Rules-Loop',
];

/**
 * Whether a message may answer one we sent, from its header fields (raw "Name: value" lines) and
 * subject: its In-Reply-To or References name a Message-ID this package generated, or it is marked
 * as an auto-reply (some responders answer without In-Reply-To; those are linked by subject and
 * recipient in Sent). Worth downloading and parsing; the bounce engine decides.
 */
export function mayAnswerOurs(headers: string, subject: string): boolean {
	const named = headers.match(/^(?:in-reply-to|references):[^\n]*(?:\n[ \t][^\n]*)*/gim) ?? [];
	if (named.some((field) => ownMessageIds(field).length > 0)) return true;
	if (/^auto-submitted:\s*auto-replied/im.test(headers)) return true;
	if (/^(?:x-autoreply|x-autorespond|x-ms-exchange-inbox-rules-loop):/im.test(headers)) return true;
	if (/^precedence:\s*auto[_-]?reply/im.test(headers)) return true;
	return AUTO_SUBJECT.test(subject.replace(/^(?:\s*(?:re|aw|sv)\s?:)+\s*/i, '').trim());
}

/** The sent message an answer points to: found by the resolver, or one of our own Message-IDs. */
async function linkAnswer(
	links: OriginalLink[],
	resolve: SentMessageResolver | undefined,
): Promise<Pick<MailboxReply, 'message' | 'link'> | undefined> {
	if (resolve) {
		for (const candidate of links) {
			const found = await resolve(candidate);
			if (found)
				return {
					message: { messageId: linkedId(candidate), ...found },
					link: { method: candidate.method, confidence: candidate.confidence },
				};
		}
	}
	const own = links.find(
		(link) => link.method !== 'subject-recipient' && isOwnMessageId(link.value),
	);
	if (!own) return undefined;
	const message: DataObject = {
		messageId: own.value,
		deliveryId: deliveryIdOfMessageId(own.value),
	};
	return { message, link: { method: own.method, confidence: own.confidence } };
}

function linkedId(link: OriginalLink): string | undefined {
	return link.method === 'subject-recipient' ? undefined : link.value;
}

/** The reply item of a parsed mail, or undefined when it is no answer or answers nothing we sent. */
export async function replyFromReport(
	report: BounceReport,
	channel: ChannelKey,
	source: ReportSource,
	resolve?: SentMessageResolver,
): Promise<MailboxReply | undefined> {
	const answer = report.answer;
	if (!answer) return undefined;
	const linked = await linkAnswer(answer.links, resolve);
	if (!linked) return undefined;
	const reply: MailboxReply = {
		channel,
		kind: answer.kind,
		recipient: answer.from,
		from: answer.from,
		subject: answer.subject,
		excerpt: answer.excerpt,
		receivedAt: source.receivedAt ?? answer.date,
		...linked,
		details: {
			reportId: source.reportId,
			reportReceivedAt: source.receivedAt,
			replyMessageId: answer.messageId,
			...source.details,
		},
	};
	if (answer.kind === 'autoreply') reply.autoReplyKind = answer.autoReplyKind ?? 'other';
	if (answer.newAddress) reply.newAddress = answer.newAddress;
	return reply;
}

/**
 * Whether a parsed answer may be wanted, before any linking: the query asks for replies and its
 * recipient and time filters let it through.
 */
export function answerMayMatch(
	report: BounceReport,
	query: FailedDeliveryQuery,
	receivedAt?: string,
): boolean {
	const answer = report.answer;
	if (!answer || !query.includeReplies) return false;
	return replyMatchesQuery(
		{ recipient: answer.from, receivedAt: receivedAt ?? answer.date },
		query,
	);
}

/** Applies Since / Until / Received Since / Recipient to a reply (Type, Delays and Complaints are about failures). */
export function replyMatchesQuery(
	reply: Pick<MailboxReply, 'recipient' | 'receivedAt'>,
	query: FailedDeliveryQuery,
): boolean {
	if (!query.includeReplies) return false;
	if (query.recipient && reply.recipient.toLowerCase() !== query.recipient.toLowerCase())
		return false;
	if (query.receivedSince || query.since || query.until) {
		const time = Date.parse(String(reply.receivedAt ?? ''));
		if (Number.isNaN(time)) return false;
		if (query.receivedSince && time < query.receivedSince.getTime()) return false;
		if (query.since && time < query.since.getTime()) return false;
		if (query.until && time >= query.until.getTime()) return false;
	}
	return true;
}
