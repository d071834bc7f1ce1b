/**
 * The at-most-once rule for a send whose answer left its outcome open (a 5xx, a timeout, a broken
 * connection, an upload session forgotten after its last byte): the message is sent again only when
 * a look-up in Sent positively shows it is absent; otherwise the send fails EUNKNOWN.
 */
import type { DeliveryError } from '../../../../core/errors';
import { callError } from './callErrors';
import { describeFailure, type GoogleFailure } from './errors';
import type { GmailApi } from './transport';

/**
 * When a send's answer was lost, Sent is searched this long after it, then again after the second
 * wait. Gmail fills its search index asynchronously, so a search right after a 5xx can miss a message
 * Google did store moments before failing. The message counts as absent only when both searches
 * worked and found nothing, the second about 5 s after the failed answer: a wrong "absent" then
 * needs Google to store a message, answer 5xx anyway, and keep it out of search for seconds, all at
 * once. A look-up that fails, or no permission to look, leaves the outcome unknown (EUNKNOWN).
 */
export const SENT_LOOKUP_WAITS_MS = [1_500, 3_500] as const;

/** Finds the message a send in doubt may have stored: its Gmail resource, or undefined when absent. */
export type LookUp<T> = () => Promise<T | undefined>;

/**
 * Decides a send whose answer left its outcome open: returns the message when Sent has it,
 * undefined when two look-ups (SENT_LOOKUP_WAITS_MS apart) positively found it absent, and
 * throws EUNKNOWN otherwise.
 */
export async function settleSend<T>(
	api: GmailApi,
	lookUp: LookUp<T> | undefined,
	failure: GoogleFailure,
	cause: unknown,
): Promise<T | undefined> {
	const spec = { what: 'send the message', send: {} };
	const what =
		failure.kind === 'interrupted'
			? `The connection to Gmail broke or timed out while sending (${failure.message})`
			: `Gmail answered ${describeFailure(failure)} while sending`;
	const doubt = (why: string): DeliveryError =>
		callError(
			'EUNKNOWN',
			`${what}; the message may have been sent, and ${why}, so it is not sent again`,
			failure,
			cause,
			{
				hint:
					"Look for the message in the account's Sent folder (search rfc822msgid:<its Message-ID>) " +
					'before sending this item again.',
			},
		);
	if (!lookUp)
		throw doubt(
			'the credential may not read the mailbox to check Sent (turn on "Read Mailbox for Failed Deliveries")',
		);
	for (const waitMs of SENT_LOOKUP_WAITS_MS) {
		try {
			await api.pause(waitMs);
		} catch {
			throw api.cancelled(spec, true);
		}
		let found: T | undefined;
		try {
			found = await lookUp();
		} catch (error) {
			if (api.signal?.aborted) throw api.cancelled(spec, true);
			throw doubt(`looking for it in Sent failed too (${(error as Error).message})`);
		}
		if (found !== undefined) return found;
	}
	return undefined;
}
