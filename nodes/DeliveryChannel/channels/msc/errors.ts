/** The MSC API's problems (RFC 9457 problem details) and failures, as delivery errors with a hint each. */
import { DeliveryError, type DeliveryErrorCode } from '../../../../core/errors';

export interface MscProblem {
	type?: string;
	title?: string;
	status?: number;
	detail?: string;
	code?: string;
	field?: string;
	retryable?: boolean;
	verifiedIdentities?: string[];
	/** With request-in-progress: seconds until the API answers the key for sure. */
	finishesWithin?: number;
	[key: string]: unknown;
}

/** Where a redirect points, without anything that could be a secret (user info, query, fragment). */
export function redirectTarget(location: string | undefined, from: string): string {
	if (!location) return '(no Location given)';
	try {
		const url = new URL(location, from);
		return `${url.origin}${url.pathname}`;
	} catch {
		return JSON.stringify(location.slice(0, 100));
	}
}

export function redirectError(
	baseUrl: string,
	status: number,
	location: string | undefined,
	from: string,
): DeliveryError {
	return new DeliveryError(
		`The MSC API at ${baseUrl} answered with a redirect (HTTP ${status}) to ${redirectTarget(location, from)}. ` +
			'Redirects are not followed, so neither the API key nor the request went there',
		{
			code: 'EPROTOCOL',
			responseCode: status,
			stopsBatch: true,
			hint: 'Set the Base URL of the MSC credential to the address that answers the API itself, once you have checked that you trust it.',
		},
	);
}

export function lowerFirst(text: string): string {
	return text.charAt(0).toLowerCase() + text.slice(1);
}

export function tooLongWait(failure: DeliveryError, askedMs: number, maxMs: number): DeliveryError {
	return new DeliveryError(
		`${failure.message}. The API asks to wait ${Math.ceil(askedMs / 1000)} s before trying again ` +
			`(Retry-After); the node waits at most ${Math.round(maxMs / 1000)} s, so it stopped here`,
		{
			code: failure.code,
			retryable: true,
			responseCode: failure.responseCode,
			response: failure.response,
			stopsBatch: true,
			hint: 'Run the workflow again later, or send fewer messages at once.',
		},
	);
}

const LOOK_IT_UP = 'Look the message up in MSC before sending this item again.';

/** The API was still working on the idempotency key when the node stopped asking about it. */
export function stillInProgress(waitedSeconds: number, problem: MscProblem): DeliveryError {
	return new DeliveryError(
		`MSC was still working on this message after ${waitedSeconds} s of asking again with the same idempotency key: ` +
			'it may or may not have been sent, so it is not sent again',
		{
			code: 'EUNKNOWN',
			responseCode: 409,
			response: problem.code,
			hint: LOOK_IT_UP,
		},
	);
}

/** A call's final failure after an earlier attempt may have been carried out: the outcome is unknown. */
export function outcomeUnknown(failure: DeliveryError): DeliveryError {
	return new DeliveryError(
		"MSC may or may not have sent this message: an earlier attempt's answer was lost, and then " +
			lowerFirst(failure.message),
		{
			code: 'EUNKNOWN',
			responseCode: failure.responseCode,
			response: failure.response,
			stopsBatch: failure.stopsBatch,
			hint: LOOK_IT_UP,
			cause: failure,
		},
	);
}

/**
 * The execution was cancelled during a call. `changes`: the call sends something; `mayHaveGone`:
 * the request was on its way or an earlier attempt may have been carried out.
 */
export function callCancelled(changes: boolean, mayHaveGone: boolean): DeliveryError {
	if (changes && mayHaveGone) {
		return new DeliveryError(
			'The execution was cancelled while this message was on its way to MSC: ' +
				'it may or may not have been sent, so it is not sent again',
			{ code: 'EUNKNOWN', stopsBatch: true, hint: LOOK_IT_UP },
		);
	}
	if (changes) {
		return new DeliveryError('Not sent: the execution was cancelled before this message went out', {
			code: 'ENOTSENT',
			retryable: true,
			stopsBatch: true,
		});
	}
	return new DeliveryError('The execution was cancelled before the MSC API answered', {
		code: 'ECONNECTION',
		stopsBatch: true,
	});
}

export function readProblem(body: unknown, status: number): MscProblem {
	if (body && typeof body === 'object' && !Array.isArray(body)) return body as MscProblem;
	const text = typeof body === 'string' ? body.replace(/\s+/g, ' ').trim().slice(0, 300) : '';
	return { status, title: `HTTP ${status}`, detail: text || `The MSC API answered HTTP ${status}` };
}

/** One API problem → one delivery error, with a hint on how to fix it. */
export function problemError(problem: MscProblem, status: number): DeliveryError {
	const detail = problem.detail || problem.title || `HTTP ${status}`;
	const make = (
		code: DeliveryErrorCode,
		message: string,
		extra: { retryable?: boolean; hint?: string; stopsBatch?: boolean; field?: string } = {},
	) =>
		new DeliveryError(message, {
			code,
			responseCode: status,
			response: problem.code ?? problem.title,
			...extra,
		});
	const verified = Array.isArray(problem.verifiedIdentities) ? problem.verifiedIdentities : [];
	const pickVerified = verified.length
		? `Verified identities on this account: ${verified.join(', ')}.`
		: 'This account has no verified identity yet.';

	switch (problem.code) {
		case 'identity-not-verified':
			return make('EIDENTITY', detail, {
				field: 'identity',
				hint: `Verify the identity in MSC, or pick a verified one. ${pickVerified}`,
			});
		case 'unknown-identity':
			return make('EIDENTITY', detail, {
				field: 'identity',
				hint: `Add the address as an Email Identity in MSC and verify it, or pick one of the account's identities. ${pickVerified}`,
			});
		case 'upstream-result-unknown':
			return make('EUNKNOWN', `MSC may or may not have delivered the message: ${detail}`, {
				hint: 'Check with the recipient before sending this item again.',
			});
		case 'upstream-unavailable':
			return make('ECONNECTION', `MSC could not reach the receiving server: ${detail}`, {
				retryable: true,
			});
		case 'idempotency-key-reused': {
			// The key sent an email before (with other content): the send reads it as a duplicate.
			const error = make('EPROTOCOL', detail);
			if (problem.original) error.context = { original: problem.original };
			return error;
		}
		default:
			break;
	}
	if (status === 401 || status === 403) {
		return make('EAUTH', `The MSC API refused the API key: ${detail}`, {
			stopsBatch: true,
			hint: 'Check the API Key of the MSC credential.',
		});
	}
	if (status === 429)
		return make('ERATELIMIT', `MSC rate limit reached: ${detail}`, {
			retryable: true,
			hint: 'Send fewer messages at once, or try again later.',
		});
	if (status === 413)
		return make('EMESSAGE', `MSC refused the message as too large: ${detail}`, {
			hint: 'Send smaller attachments.',
		});
	if (status === 400 || status === 422)
		return make('EINPUT', `MSC refused the request: ${detail}`, { field: problem.field });
	if (status === 404) {
		return make('EPROTOCOL', `The MSC API has no such endpoint: ${detail}`, {
			stopsBatch: true,
			hint: 'Check the Base URL of the MSC credential (it should not include /v1).',
		});
	}
	if (status >= 500)
		return make('ECONNECTION', `The MSC API failed (HTTP ${status}): ${detail}`, {
			retryable: true,
		});
	return make('EPROTOCOL', `Unexpected answer from the MSC API (HTTP ${status}): ${detail}`);
}

/**
 * What to do when no MSC server answers at the Base URL: what MSC Servers is, how to start the one
 * this package ships, and the other channels. The node shows it as the error's description; the
 * credential test appends it to its message.
 */
export const MSC_UNREACHABLE_HINT =
	'MSC Servers, the default channel, sends through an MSC server, and this package ships one: start it ' +
	'next to n8n with "npx delivery-channel-msc" in ~/.n8n/nodes (anywhere else: ' +
	'"npx --package n8n-nodes-delivery-channel delivery-channel-msc"). It listens on http://127.0.0.1:8025, ' +
	"the credential's default Base URL, and says where it keeps its API key (README: Running the MSC server). " +
	'Or pick Gmail or Custom SMTP as the Channel to send without an MSC server.';

const NOT_REACHED: Record<string, string> = {
	ECONNREFUSED: 'connection refused: nothing listens there',
	ENOTFOUND: 'host not found',
	EAI_AGAIN: 'the host name could not be looked up',
	EHOSTUNREACH: 'no route to the host',
	ENETUNREACH: 'no route to the network',
	// Only the credential test shows these here; the node says "did not answer in time" (networkFailure).
	ETIMEDOUT: 'no answer in time',
	ECONNABORTED: 'no answer in time',
	ECONNRESET: 'the connection was cut',
};

/**
 * "Could not reach the MSC server at <url> (connection refused: ...)", without the hint. Plain words
 * only: n8n replaces a node error's whole message by its own generic text when the message holds a
 * network code such as ECONNREFUSED or ENOTFOUND.
 */
export function unreachableMessage(where: string, code: string | undefined): string {
	const why = (code && NOT_REACHED[code]) ?? 'no connection could be made';
	return `Could not reach the MSC server at ${where} (${why})`;
}

/** A network failure talking to the API: not reached at all, timed out, or cut. */
export function networkFailure(
	where: string,
	code: string | undefined,
	cause: unknown,
	reached: boolean,
): DeliveryError {
	if (!reached) {
		return new DeliveryError(unreachableMessage(where, code), {
			code: 'ECONNECTION',
			retryable: true,
			stopsBatch: true,
			hint: `Check the Base URL of the MSC credential. ${MSC_UNREACHABLE_HINT}`,
			cause,
		});
	}
	const timedOut = code === 'ETIMEDOUT' || code === 'ECONNABORTED';
	return new DeliveryError(
		timedOut
			? `The MSC server at ${where} did not answer in time`
			: `The connection to the MSC API at ${where} broke (${code ?? (cause as Error)?.message})`,
		{
			code: timedOut ? 'ETIMEDOUT' : 'ECONNECTION',
			retryable: true,
			cause,
			...(timedOut
				? { hint: `If no MSC server runs at that address: ${MSC_UNREACHABLE_HINT}` }
				: {}),
		},
	);
}
