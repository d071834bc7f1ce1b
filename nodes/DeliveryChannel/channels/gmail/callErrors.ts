/**
 * How a Gmail API call ends when trying again cannot help: the DeliveryErrors of `GmailApi.call`
 * and of a send in doubt. A missing scope, the daily sending limit, rate limits or server trouble
 * that outlasted the retries, a wait longer than MAX_WAIT_MS, a refusal, a cancel, and the calls
 * not attempted after the batch stopped.
 */
import { DeliveryError, type DeliveryErrorCode } from '../../../../core/errors';
import { MAX_WAIT_MS } from '../../../../core/retry';
import { describeFailure, formatWait, type GoogleFailure } from './errors';

/** What the call was doing, for messages ("send the message"), and whether it sends one. */
export interface CallPurpose {
	what: string;
	send?: unknown;
}

/** A DeliveryError carrying Google's answer (HTTP status and one-line description) and its cause. */
export function callError(
	code: DeliveryErrorCode,
	message: string,
	failure: GoogleFailure,
	cause: unknown,
	extra: { retryable?: boolean; hint?: string; stopsBatch?: boolean } = {},
): DeliveryError {
	return new DeliveryError(message, {
		code,
		responseCode: failure.httpStatus,
		response: describeFailure(failure),
		cause,
		...extra,
	});
}

/** Google says the grant lacks the scope for the call. A look-up for a send in doubt does not stop the batch. */
export function scopeError(
	spec: { what: string; scopeHint: string; lookUp?: boolean },
	failure: GoogleFailure,
	cause: unknown,
): DeliveryError {
	return new DeliveryError(
		`The Gmail credential may not ${spec.what}: Google says it lacks the scope for it (${failure.message})`,
		{
			code: 'EAUTH',
			responseCode: failure.httpStatus,
			response: describeFailure(failure),
			hint: spec.scopeHint,
			stopsBatch: !spec.lookUp,
			cause,
		},
	);
}

export function dailyLimitError(failure: GoogleFailure, cause: unknown): DeliveryError {
	return new DeliveryError(
		`Gmail's daily sending limit for this account is reached (${failure.message})`,
		{
			code: 'EQUOTA',
			retryable: true,
			responseCode: failure.httpStatus,
			response: describeFailure(failure),
			hint:
				'Gmail allows about 2,000 messages a day per Google Workspace user (500 for a free account), ' +
				'counted over a rolling 24 hours. The items after this one were not sent; run them again later.',
			stopsBatch: true,
			cause,
		},
	);
}

export function rateLimitGaveUp(
	spec: CallPurpose,
	failure: GoogleFailure,
	cause: unknown,
	times: number,
): DeliveryError {
	return callError(
		'ERATELIMIT',
		`Gmail kept answering "rate limit exceeded" ${times} times while trying to ${spec.what}`,
		failure,
		cause,
		{
			retryable: true,
			hint:
				'Lower Sends per Minute in the Gmail options, ' +
				'or run fewer workflows with this account at the same time.',
		},
	);
}

/** 5xx answers, broken connections or an unreachable server outlasted the retries. */
export function serverGaveUp(
	spec: CallPurpose,
	baseUrl: string,
	failure: GoogleFailure,
	cause: unknown,
	times: number,
): DeliveryError {
	const unreachable = failure.kind === 'unreachable';
	return callError(
		'ECONNECTION',
		unreachable
			? `Could not reach the Gmail API at ${baseUrl} (${failure.message})`
			: `Gmail failed ${times} times while trying to ${spec.what} (${describeFailure(failure)})` +
					(spec.send ? '; Sent was checked after each failure: the message was not sent' : ''),
		failure,
		cause,
		{
			retryable: true,
			hint: unreachable
				? 'Check the network, and the API Base URL of the Gmail credential.'
				: "Google's servers had trouble; try again in a few minutes.",
		},
	);
}

/** Google asked for a wait beyond MAX_WAIT_MS: the call gives up and says how long that was. */
export function waitTooLongError(
	spec: CallPurpose,
	failure: GoogleFailure,
	cause: unknown,
	askedMs: number,
): DeliveryError {
	const seconds = Math.ceil(askedMs / 1000);
	return callError(
		failure.kind === 'rate' ? 'ERATELIMIT' : 'ECONNECTION',
		`Google asked to wait ${seconds} s before trying to ${spec.what} again (${describeFailure(failure)}); ` +
			`gave up rather than wait more than ${MAX_WAIT_MS / 1000} s${spec.send ? '; the message was not sent' : ''}`,
		failure,
		cause,
		{
			retryable: true,
			stopsBatch: true,
			hint: `Run the items that were not sent again after ${formatWait(seconds)}.`,
		},
	);
}

/** Any other refusal: the request itself is wrong, so sending it again cannot help. */
export function refusedError(
	spec: CallPurpose,
	failure: GoogleFailure,
	cause: unknown,
): DeliveryError {
	return callError(
		spec.send ? 'EMESSAGE' : 'EPROTOCOL',
		`Gmail refused to ${spec.what}: ${failure.message}`,
		failure,
		cause,
	);
}

/** The execution was cancelled: a send already on its way may have gone out, anything else did not. */
export function cancelledError(spec: CallPurpose, onItsWay: boolean): DeliveryError {
	return spec.send && onItsWay
		? new DeliveryError(
				'The execution was cancelled while the message was on its way to Gmail; ' +
					'it may have been sent, so it is not sent again',
				{
					code: 'EUNKNOWN',
					retryable: false,
					stopsBatch: true,
					hint: "Look for the message in the account's Sent folder before sending this item again.",
				},
			)
		: new DeliveryError(
				`The execution was cancelled before Gmail was asked to ${spec.what}; nothing was sent`,
				{
					code: 'ENOTSENT',
					retryable: true,
					stopsBatch: true,
				},
			);
}

/** What stops the calls after a cancel. */
export function executionCancelled(): DeliveryError {
	return new DeliveryError('the execution was cancelled', {
		code: 'ENOTSENT',
		retryable: true,
		stopsBatch: true,
	});
}

/** A call after the batch stopped (daily limit, dead grant, redirect, cancel) is not attempted. */
export function notAttempted(stopped: DeliveryError): DeliveryError {
	return new DeliveryError(`Not attempted: ${stopped.message}`, {
		code: 'ENOTSENT',
		retryable: true,
		hint: stopped.hint,
		stopsBatch: true,
	});
}
