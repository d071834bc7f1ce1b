/**
 * Google's resumable upload protocol for users.messages.send, used for messages over 5 MB
 * (https://developers.google.com/gmail/api/guides/uploads):
 *
 * 1. POST {root}/upload/gmail/v1/users/me/messages/send?uploadType=resumable with
 *    X-Upload-Content-Type and X-Upload-Content-Length starts a session; the answer's Location is
 *    the session URI. This goes through `GmailApi.call`, so quota pacing, token renewal, rate limits
 *    and 5xx retries apply as for every other call: a session that was not started sent nothing.
 * 2. PUT the message to the session URI in chunks (multiples of 256 KiB except the last) with
 *    `Content-Range: bytes a-b/N`. Google answers 308 with `Range: bytes=0-x` (what it holds) until
 *    the last byte arrives; then it sends the message and answers 200 with the Message resource.
 * 3. After a broken connection or a 5xx, `PUT` with `Content-Range: bytes *\/N` asks what arrived
 *    (308 + Range), and the upload goes on from the next byte; 200/201 means it was complete, and
 *    its resource is the result. 404/410: Google forgot the session, the upload starts over.
 *
 * Google sends the message only when the last byte arrives, once per session, so resuming never
 * sends twice: after a failed last chunk (a 5xx, a broken connection, a timeout) the status query
 * asks the session itself, which answers with the message when it was sent. The one open case is a
 * session forgotten after the last byte went out without an answer: the message is uploaded again
 * only when Sent positively does not have it (settleSend), otherwise the send ends EUNKNOWN.
 * A cancelled execution cuts the PUT in flight: before the last chunk that sent nothing (ENOTSENT),
 * during or after it the message may be out (EUNKNOWN).
 *
 * This file runs the chunk loop; the session's requests and the reading of their answers are in
 * uploadSession.ts.
 */
import type { gmail_v1 } from '@googleapis/gmail';

import { DeliveryError, type DeliveryErrorCode } from '../../../../core/errors';
import { SERVER_BACKOFF, type GmailApi } from './transport';
import { reconnectError } from './auth';
import { describeFailure, readGoogleFailure, redirectError, type GoogleFailure } from './errors';
import { backoffMs, MAX_WAIT_MS, sleep as realSleep, type Sleep } from '../../../../core/retry';
import { settleSend } from './sendInDoubt';
import { httpError, parseMessage, putChunk, receivedBytes, startSession } from './uploadSession';

/** Chunks other than the last must be multiples of this (Google's upload granularity). */
export const UPLOAD_GRANULE_BYTES = 256 * 1024;
/** 8 MiB: a 35 MB message in five requests, and little to send again after a broken one. */
export const UPLOAD_CHUNK_BYTES = 32 * UPLOAD_GRANULE_BYTES;

export interface ResumableSendOptions {
	/** How to get the scope to send, for a 403 on starting the session. */
	scopeHint: string;
	/** A multiple of 256 KiB (default 8 MiB). */
	chunkBytes?: number;
	/** Failed chunk or status requests in a row (broken connection, 5xx, 429) before giving up (default 6). */
	attempts?: number;
	/** Sessions started again after Google forgot one (404/410), at most (default 2). */
	restarts?: number;
	/** Time for one chunk to go out and be answered (default 5 minutes). */
	chunkTimeoutMs?: number;
	sleep?: Sleep;
	random?: () => number;
	/** Looks for the message in Sent, for the one case where only Sent can tell whether it went out. */
	findSent?: () => Promise<gmail_v1.Schema$Message | undefined>;
}

export interface ResumableSendResult {
	data: gmail_v1.Schema$Message;
	/** Requests to start a session, with their retries (1 when the first went through). */
	attempts: number;
	/** PUTs that carried bytes of the message. */
	chunks: number;
	/** Times the upload went on from what Google said it held, after a failed chunk. */
	resumes: number;
	/** True when the message was found in Sent instead of being confirmed by the upload. */
	recovered?: boolean;
}

/** Google forgot the session (404/410) while the message could not have gone out yet. */
class SessionGone extends Error {}

/** Sends `raw` with users.messages.send through a resumable upload session. */
export async function sendResumable(
	api: GmailApi,
	raw: Buffer,
	options: ResumableSendOptions,
): Promise<ResumableSendResult> {
	return await new ResumableSend(api, raw, options).run();
}

class ResumableSend {
	private readonly chunkBytes: number;
	private readonly sleep: Sleep;
	private attempts = 0;
	private chunks = 0;
	private resumes = 0;

	constructor(
		private readonly api: GmailApi,
		private readonly raw: Buffer,
		private readonly options: ResumableSendOptions,
	) {
		const chunk = options.chunkBytes ?? UPLOAD_CHUNK_BYTES;
		if (chunk <= 0 || chunk % UPLOAD_GRANULE_BYTES !== 0)
			throw new RangeError(`The upload chunk size must be a multiple of 256 KiB, got ${chunk}`);
		this.chunkBytes = chunk;
		this.sleep = options.sleep ?? realSleep;
	}

	async run(): Promise<ResumableSendResult> {
		const restarts = this.options.restarts ?? 2;
		for (let started = 0; ; started++) {
			const session = await this.start();
			try {
				const { data, recovered } = await this.upload(session);
				return {
					data,
					attempts: this.attempts,
					chunks: this.chunks,
					resumes: this.resumes,
					recovered,
				};
			} catch (error) {
				if (!(error instanceof SessionGone)) throw error;
				if (started >= restarts) {
					throw new DeliveryError(
						`Gmail forgot the upload session of the message ${started + 1} times (${error.message}); nothing was sent`,
						{
							code: 'ECONNECTION',
							retryable: true,
							hint: "Google's upload service had trouble; try again in a few minutes.",
						},
					);
				}
			}
		}
	}

	/** Starts a session; returns its URI. Nothing is sent by this request, so it is retried freely. */
	private async start(): Promise<string> {
		const result = await startSession(this.api, this.raw.length, this.options.scopeHint);
		this.attempts += result.attempts;
		return result.data;
	}

	private async upload(
		session: string,
	): Promise<{ data: gmail_v1.Schema$Message; recovered?: boolean }> {
		const total = this.raw.length;
		const maxFailures = this.options.attempts ?? 6;
		// The session URI identifies the upload; the token goes only where the session was started.
		const withToken = new URL(session).origin === new URL(this.api.baseUrl).origin;
		let offset = 0;
		let failures = 0;
		let renewed = false;
		let askStatus = false;
		// Set once a PUT carrying the last byte went out without an answer: the message may be sent.
		let lastByteSent = false;
		for (;;) {
			const end = askStatus ? offset : Math.min(offset + this.chunkBytes, total);
			const final = !askStatus && end === total;
			const tokenUsed = this.api.auth.accessToken;
			const outcome = askStatus
				? await putChunk(
						this.api,
						session,
						withToken,
						`bytes */${total}`,
						undefined,
						this.api.timeoutMs,
					)
				: await putChunk(
						this.api,
						session,
						withToken,
						`bytes ${offset}-${end - 1}/${total}`,
						this.raw.subarray(offset, end),
						this.options.chunkTimeoutMs ?? 5 * 60_000,
					);
			if (!askStatus) this.chunks++;
			// A cancel cut this PUT: the message may be out once its last byte was on the way.
			if (this.api.signal?.aborted)
				throw this.api.cancelled({ what: 'send the message', send: {} }, final || lastByteSent);
			const what = askStatus
				? 'the status query of the upload'
				: `bytes ${offset}-${end - 1} of the ${total}-byte message`;

			if ('broken' in outcome) {
				if (final) lastByteSent = true;
				failures++;
				if (failures >= maxFailures) {
					throw this.giveUp(
						`The upload of the message to Gmail failed ${failures} times in a row, at ${what} (${outcome.broken.message})`,
						lastByteSent,
						outcome.broken,
						outcome.cause,
					);
				}
				await this.pauseBeforeRetry(
					backoffMs(failures, { ...SERVER_BACKOFF, random: this.options.random }),
					lastByteSent,
				);
				askStatus = true;
				continue;
			}
			const answer = outcome.answer;
			if (answer.status === 200 || answer.status === 201) return { data: parseMessage(answer) };
			if (answer.status === 308) {
				const held = receivedBytes(answer.headers.get('range'));
				if (held === undefined || held > total) {
					throw new DeliveryError(
						`Gmail answered ${what} with a Range we do not understand: ${answer.headers.get('range')}`,
						{
							code: lastByteSent ? 'EUNKNOWN' : 'EPROTOCOL',
							responseCode: 308,
						},
					);
				}
				const progressed = held > offset;
				offset = held;
				// Google holds less than the whole message, so it has not sent it.
				if (held < total) lastByteSent = false;
				if (progressed) {
					failures = 0;
					renewed = false;
				}
				if (held < total && (progressed || askStatus)) {
					if (askStatus) this.resumes++;
					askStatus = false;
					continue;
				}
				// A chunk that left nothing, or every byte held and still no message: wait, then try again.
				if (held === total) lastByteSent = true;
				failures++;
				if (failures >= maxFailures) {
					throw this.giveUp(
						`Gmail kept the upload at byte ${held} of ${total} after ${failures} requests`,
						lastByteSent,
						{ kind: 'other', httpStatus: 308, message: 'Resume Incomplete' },
					);
				}
				askStatus = held === total;
				await this.pauseBeforeRetry(
					backoffMs(failures, { ...SERVER_BACKOFF, random: this.options.random }),
					lastByteSent,
				);
				continue;
			}
			const read = readGoogleFailure(httpError(answer));
			if (read.kind === 'redirect') throw redirectError(new URL(session).origin, read);
			if (answer.status === 404 || answer.status === 410) {
				if (!lastByteSent) throw new SessionGone(`HTTP ${answer.status} for ${what}`);
				// The last byte went out, its answer was lost, and now the session is gone: only Sent can tell.
				const found = await settleSend(
					this.api,
					this.options.findSent,
					{
						...read,
						message: `the upload session was forgotten (HTTP ${answer.status}) after the last byte went out without an answer`,
					},
					undefined,
				);
				if (found) return { data: found, recovered: true };
				throw new SessionGone(
					`HTTP ${answer.status} after the last byte, and Sent positively does not have the message`,
				);
			}
			if (read.kind === 'unauthenticated') {
				if (renewed)
					throw reconnectError(
						`Google still refuses the renewed access token during the upload (${describeFailure(read)})`,
					);
				renewed = true;
				await this.api.auth.refresh(tokenUsed);
				askStatus = true;
				continue;
			}
			if (read.kind === 'server' || read.kind === 'rate') {
				// Google may have kept part of the chunk (or, for the last one, sent the message): ask.
				if (final) lastByteSent = true;
				failures++;
				if (failures >= maxFailures) {
					throw this.giveUp(
						`Gmail failed ${failures} times in a row during the upload of the message, at ${what} (${describeFailure(read)})`,
						lastByteSent,
						read,
					);
				}
				if (read.retryAfterMs !== undefined && read.retryAfterMs > MAX_WAIT_MS) {
					throw this.giveUp(
						`Google asked to wait ${Math.ceil(read.retryAfterMs / 1000)} s during the upload of the message, ` +
							`at ${what} (${describeFailure(read)}); gave up rather than wait more than ${MAX_WAIT_MS / 1000} s`,
						lastByteSent,
						read,
					);
				}
				await this.pauseBeforeRetry(
					read.retryAfterMs ??
						backoffMs(failures, { ...SERVER_BACKOFF, random: this.options.random }),
					lastByteSent,
				);
				askStatus = true;
				continue;
			}
			// Another 4xx: Google refuses this request itself; sending it again cannot help.
			const code: DeliveryErrorCode =
				read.kind === 'scope' ? 'EAUTH' : final ? 'EMESSAGE' : 'EPROTOCOL';
			throw new DeliveryError(
				final
					? `Gmail refused to send the message: ${read.message}`
					: `Gmail refused ${what}: ${read.message}`,
				{
					code,
					responseCode: read.httpStatus,
					response: describeFailure(read),
					hint: read.kind === 'scope' ? this.options.scopeHint : undefined,
				},
			);
		}
	}

	/** Waits before the next request; a cancel meanwhile ends the send (EUNKNOWN once the last byte went out). */
	private async pauseBeforeRetry(ms: number, lastByteSent: boolean): Promise<void> {
		try {
			await this.sleep(ms, this.api.signal);
		} catch {
			throw this.api.cancelled({ what: 'send the message', send: {} }, lastByteSent);
		}
	}

	private giveUp(
		message: string,
		maybeSent: boolean,
		failure: GoogleFailure,
		cause?: unknown,
	): DeliveryError {
		return new DeliveryError(
			maybeSent
				? `${message}; the message may have been sent, so it is not sent again`
				: `${message}; nothing was sent`,
			{
				code: maybeSent ? 'EUNKNOWN' : 'ECONNECTION',
				retryable: !maybeSent,
				responseCode: failure.httpStatus,
				response: describeFailure(failure),
				hint: maybeSent
					? "Check the account's Sent folder before sending this item again."
					: "Google's upload service or the network had trouble; try again in a few minutes.",
				cause,
			},
		);
	}
}
