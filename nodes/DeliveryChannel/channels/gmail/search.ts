/** The Gmail searches (`q`) of Failed Deliveries: bounce reports in a time window, and the sent message a report points to. */
import type { OriginalLink } from '../../../../core/bounce/types';
import type { FailedDeliveryQuery } from '../types';

/** Bounce reports come from the sending service's daemon or a postmaster. */
const REPORT_SENDERS = ['from:mailer-daemon', 'from:postmaster', 'from:"mail delivery"'];

function quoted(value: string): string {
	return `"${value.replace(/["{}]/g, ' ').trim()}"`;
}

/** What a listed message's From says when it is a bounce report: the senders searched for above. */
export const REPORT_FROM = /mailer-daemon|postmaster|mail delivery/i;

/**
 * The Gmail search (`q`) for bounce reports that arrived in [afterMs, beforeMs) and match the
 * query. Gmail's `after:` takes whole seconds, so it starts one second early; the internal date of
 * each report decides exactly.
 */
export function reportSearch(
	query: Pick<FailedDeliveryQuery, 'includeComplaints' | 'includeReplies' | 'recipient'>,
	afterMs?: number,
	beforeMs?: number,
): string {
	const senders = [...REPORT_SENDERS];
	if (query.includeComplaints) senders.push('"feedback-type"');
	// Replies come from the leads' own addresses: the whole inbox of the window is listed, and only
	// the messages whose headers point to one of our messages (or mark an auto-reply) are downloaded.
	if (query.includeReplies) senders.push('in:inbox');
	const terms = [`{${senders.join(' ')}}`];
	if (afterMs !== undefined) terms.push(`after:${Math.floor(afterMs / 1000) - 1}`);
	if (beforeMs !== undefined) terms.push(`before:${Math.ceil(beforeMs / 1000)}`);
	if (query.recipient) terms.push(quoted(query.recipient));
	return terms.join(' ');
}

const MESSAGE_ID_METHODS = new Set([
	'message-id',
	'x-original-message-id',
	'in-reply-to',
	'references',
]);

/** The Gmail search for the sent message a link points to, or undefined when Gmail cannot search for it. */
export function sentSearch(link: OriginalLink): string | undefined {
	if (MESSAGE_ID_METHODS.has(link.method)) {
		const id = link.value.trim().replace(/^<|>$/g, '');
		if (!id || /[\s"{}]/.test(id)) return undefined;
		return `in:sent rfc822msgid:${id}`;
	}
	if (link.method === 'subject-recipient') {
		const [recipient, ...rest] = link.value.split('\n');
		const subject = rest.join(' ').trim();
		if (!recipient || !subject) return undefined;
		return `in:sent to:${recipient} subject:${quoted(subject)}`;
	}
	return undefined;
}
