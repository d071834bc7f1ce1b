/**
 * The HTTP of one resumable upload session (upload.ts runs the chunk loop): the POST that starts the
 * session and returns its URI, the PUT of one chunk or of a status query, and reading Google's
 * answers to them (the Range it holds, the Message resource once the last byte arrived).
 */
import type { gmail_v1 } from '@googleapis/gmail';

import { DeliveryError } from '../../../../core/errors';
import { describeFailure, readGoogleFailure, type GoogleFailure } from './errors';
import { UNITS, type CallResult, type GmailApi } from './transport';

export interface Answer {
	status: number;
	headers: Headers;
	body: string;
}

/** Google's answer to a PUT, or how the request broke (the connection, a timeout, a cancel). */
export type Outcome = { answer: Answer } | { broken: GoogleFailure; cause: unknown };

const UPLOAD_PATH = 'upload/gmail/v1/users/me/messages/send?uploadType=resumable';

/** A fetch answer in the shape gaxios errors have, so `readGoogleFailure` and `GmailApi.call` read it. */
export function httpError(answer: Answer): Error {
	return Object.assign(new Error(`HTTP ${answer.status}`), {
		response: { status: answer.status, data: answer.body, headers: answer.headers },
	});
}

/** The request's own time limit, cut short by the session's signal (a cancelled execution). */
function withTimeout(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
	const timeout = AbortSignal.timeout(timeoutMs);
	return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/** "bytes=0-1048575" -> 1048576 bytes held; no Range header means none. */
export function receivedBytes(range: string | null): number | undefined {
	if (!range) return 0;
	const match = /^bytes=0-(\d+)$/.exec(range.trim());
	return match ? Number(match[1]) + 1 : undefined;
}

/** The Message resource Google answers once the last byte arrived; EUNKNOWN when the answer is not one. */
export function parseMessage(answer: Answer): gmail_v1.Schema$Message {
	let data: unknown;
	try {
		data = JSON.parse(answer.body);
	} catch {
		data = undefined;
	}
	if (
		!data ||
		typeof data !== 'object' ||
		typeof (data as gmail_v1.Schema$Message).id !== 'string'
	) {
		throw new DeliveryError(
			`Gmail finished the upload with HTTP ${answer.status} but its answer is not a message: ` +
				answer.body.slice(0, 200),
			{
				code: 'EUNKNOWN',
				responseCode: answer.status,
				hint:
					'The message was probably sent: ' +
					"check the account's Sent folder before sending this item again.",
			},
		);
	}
	return data as gmail_v1.Schema$Message;
}

/**
 * Starts a session for a message of `size` bytes; returns its URI. It goes through `GmailApi.call`
 * (quota, token renewal, rate limits, 5xx retries): nothing is sent by this request.
 */
export async function startSession(
	api: GmailApi,
	size: number,
	scopeHint: string,
): Promise<CallResult<string>> {
	return await api.call<string>(
		{
			units: UNITS.send,
			what: 'start the upload of the message',
			scopeHint,
		},
		async (request) => {
			const url = `${request.rootUrl}${UPLOAD_PATH}`;
			const response = await request.fetchImplementation(url, {
				method: 'POST',
				redirect: 'manual',
				headers: {
					Authorization: `Bearer ${api.auth.accessToken ?? ''}`,
					'X-Upload-Content-Type': 'message/rfc822',
					'X-Upload-Content-Length': String(size),
					'Content-Type': 'application/json; charset=UTF-8',
				},
				signal: withTimeout(request.signal, request.timeout),
			});
			const answer: Answer = {
				status: response.status,
				headers: response.headers,
				body: await response.text(),
			};
			if (answer.status !== 200 && answer.status !== 201) {
				const failure = readGoogleFailure(httpError(answer));
				if (failure.kind === 'client') {
					// The request itself is wrong (too large, wrong type): trying again cannot help.
					throw new DeliveryError(
						`Gmail refused to start the upload of the message: ${failure.message}`,
						{
							code: 'EMESSAGE',
							responseCode: answer.status,
							response: describeFailure(failure),
						},
					);
				}
				throw httpError(answer);
			}
			const location = answer.headers.get('location');
			if (!location) {
				throw new DeliveryError(
					`Gmail answered HTTP ${answer.status} to the start of the upload ` +
						'but gave no session URI (no Location header)',
					{
						code: 'EPROTOCOL',
						responseCode: answer.status,
					},
				);
			}
			return { data: new URL(location, url).toString() };
		},
	);
}

/**
 * PUTs `body` (a chunk, or nothing for a status query) to the session with `Content-Range`; the
 * token goes along only when `withToken`. Never throws: a broken request is an Outcome too.
 */
export async function putChunk(
	api: GmailApi,
	session: string,
	withToken: boolean,
	contentRange: string,
	body: Buffer | undefined,
	timeoutMs: number,
): Promise<Outcome> {
	const headers: Record<string, string> = { 'Content-Range': contentRange };
	if (withToken && api.auth.accessToken) headers.Authorization = `Bearer ${api.auth.accessToken}`;
	try {
		const response = await fetch(session, {
			method: 'PUT',
			redirect: 'manual',
			headers,
			// A status query has an empty body (Content-Length: 0).
			body: body ?? new Uint8Array(0),
			signal: withTimeout(api.signal, timeoutMs),
		});
		return {
			answer: { status: response.status, headers: response.headers, body: await response.text() },
		};
	} catch (error) {
		return { broken: readGoogleFailure(error), cause: error };
	}
}
