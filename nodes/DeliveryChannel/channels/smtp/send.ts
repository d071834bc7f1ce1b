/**
 * The Custom SMTP send path: the message built once into MIME, one SMTP transaction per attempt with
 * a DSN request carrying our delivery id, and another attempt only for failures that certainly
 * left nothing at the server (a connection lost before the data, 421, another 4xx).
 */
import { formatAddress } from '../../../../core/message/addresses';
import { allRecipients } from '../../../../core/message/compose';
import { buildMime } from '../../../../core/message/mime';
import { DeliveryError } from '../../../../core/errors';
import { backoffMs, sleep } from '../../../../core/retry';
import type { OutgoingMessage, SendResult } from '../types';
import { cancelledBeforeSending } from './errors';
import type { SmtpPool } from './transport';

/** Attempts per message for failures that may pass (connection lost before the data, 421, 4xx). */
const ATTEMPTS = 3;
/** 1–2 s before the second attempt, 2–4 s before the third. */
const BACKOFF = { baseMs: 2_000, capMs: 4_000 };
/**
 * A server that refused for load (too many connections, a message rate) is not asked again within
 * seconds, which only adds refusals: 15–30 s, then 30–60 s, so the next try reaches its next minute.
 */
const LOAD_BACKOFF = { baseMs: 30_000, capMs: 60_000 };
const LOAD_REFUSAL = new RegExp(
	[
		'too many (?:concurrent |simultaneous )?(?:connections|sessions|messages|requests)',
		'concurrent connections?',
		'rate limit',
		'\\b4\\.5\\.127\\b',
		'throttl',
		'(?:rate|limit) exceeded',
		// Exchange Online: "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded",
		// "4.5.127 Excessive message rate from sender".
		'sender thread limit',
		'excessive message rate',
	].join('|'),
	'i',
);

/** Whether a refusal says the server is busy or the account over a rate, rather than something else. */
export function refusedForLoad(error: unknown): boolean {
	if (!(error instanceof DeliveryError)) return false;
	const code = error.responseCode;
	// 432 is Exchange Online's answer to a connection over its 3 per mailbox.
	if (code !== 421 && code !== 432 && code !== 450 && code !== 451 && code !== 452) return false;
	return LOAD_REFUSAL.test(`${error.response ?? ''} ${error.message}`);
}

export async function sendMessage(
	pool: SmtpPool,
	message: OutgoingMessage,
	signal?: AbortSignal,
): Promise<SendResult> {
	if (signal?.aborted) throw cancelledBeforeSending();
	const raw = await buildMime(message);
	const envelope = {
		from: message.identity.address,
		to: allRecipients(message),
		dsn: { envid: message.deliveryId, ret: 'HDRS' as const, notify: ['FAILURE', 'DELAY'] },
	};
	for (let attempt = 1; ; attempt++) {
		try {
			const delivery = await pool.deliver(envelope, raw);
			const refused = delivery.rejected.map((entry) => entry.address).join(', ');
			return {
				messageId: message.messageId,
				accepted: delivery.accepted,
				rejected: delivery.rejected,
				fromUsed: formatAddress(message.identity),
				response: delivery.response,
				warnings: delivery.rejected.length
					? [
							`The server refused ${delivery.rejected.length} of ${envelope.to.length} recipients: ${refused}`,
						]
					: [],
				details: {
					envelopeFrom: envelope.from,
					attempts: attempt,
					dsnRequested: delivery.dsnOffered,
				},
			};
		} catch (error) {
			if (!worthAnotherAttempt(error) || attempt >= ATTEMPTS) throw error;
			try {
				await sleep(backoffMs(attempt, refusedForLoad(error) ? LOAD_BACKOFF : BACKOFF), signal);
			} catch {
				throw cancelledBeforeSending();
			}
		}
	}
}

/**
 * A failure that stops the batch (login, TLS, a cancel) or a message held back because of one will
 * not pass by waiting.
 */
function worthAnotherAttempt(error: unknown): boolean {
	return (
		error instanceof DeliveryError &&
		error.retryable &&
		!error.stopsBatch &&
		error.code !== 'ENOTSENT'
	);
}
