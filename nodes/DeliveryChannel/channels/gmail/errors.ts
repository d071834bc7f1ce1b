/**
 * Reads Google's answers: the JSON error body ({"error": {"code", "message", "errors": [{"reason"}],
 * "status"}}), the Retry-After header, and network failures from gaxios, and sorts them into what
 * the channel does next. Never copies request headers (they carry the token) into a message.
 */
import { DeliveryError } from '../../../../core/errors';
import { retryAfterMs } from '../../../../core/retry';

export type GoogleFailureKind =
	| 'unauthenticated' // 401: the access token is not valid (expired, revoked)
	| 'scope' // 403 insufficientPermissions: the grant lacks a scope
	| 'rate' // 429 or 403 rate limits: wait and try again
	| 'daily' // the daily sending limit: nothing more goes out today
	| 'server' // 5xx
	| 'unreachable' // the request never reached Google (refused, unknown host)
	| 'interrupted' // the connection broke or timed out: the request may or may not have been handled
	| 'client' // another 4xx: the request itself is wrong
	| 'redirect' // a 3xx: the API Base URL points elsewhere; never followed with the token
	| 'other';

export interface GoogleFailure {
	kind: GoogleFailureKind;
	httpStatus?: number;
	reason?: string;
	status?: string;
	message: string;
	retryAfterMs?: number;
	/** For a redirect: where it pointed, without its query (the token never goes there). */
	location?: string;
}

/** A wait longer than this is not a rate limit to sit out inside a workflow step. */
export const LONGEST_WAIT_MS = 15 * 60 * 1000;

const RATE_REASONS = new Set([
	'rateLimitExceeded',
	'userRateLimitExceeded',
	'quotaExceeded',
	'concurrentLimitExceeded',
]);
const UNREACHABLE = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'ERR_INVALID_URL',
]);

interface GaxiosLike {
	message?: string;
	code?: string | number;
	status?: number;
	cause?: { code?: string; message?: string };
	response?: {
		status?: number;
		data?: unknown;
		headers?: { get?(name: string): string | null } | Record<string, string | undefined>;
	};
}

function headerOf(headers: unknown, name: string): string | undefined {
	if (!headers) return undefined;
	if (typeof (headers as { get?: unknown }).get === 'function')
		return (headers as { get(n: string): string | null }).get(name) ?? undefined;
	return (headers as Record<string, string | undefined>)[name] ?? undefined;
}

function parseBody(data: unknown): { message?: string; reason?: string; status?: string } {
	let body = data;
	if (Buffer.isBuffer(body)) body = body.toString('utf8');
	if (typeof body === 'string') {
		try {
			body = JSON.parse(body);
		} catch {
			return { message: (body as string).slice(0, 300) };
		}
	}
	const error = (body as { error?: unknown } | undefined)?.error;
	if (!error || typeof error !== 'object') {
		// OAuth endpoints answer {"error": "invalid_grant", "error_description": "..."}.
		if (typeof error === 'string') {
			return {
				reason: error,
				message: (body as { error_description?: string }).error_description ?? error,
			};
		}
		return {};
	}
	const details = error as {
		message?: string;
		status?: string;
		errors?: Array<{ reason?: string }>;
	};
	return { message: details.message, status: details.status, reason: details.errors?.[0]?.reason };
}

/** Where a redirect points, shown to the user: no query or user info, which may carry someone's secrets. */
function redirectTarget(location: string | undefined): string | undefined {
	if (!location) return undefined;
	try {
		const url = new URL(location);
		return `${url.protocol}//${url.host}${url.pathname}`;
	} catch {
		return location.split('?')[0].slice(0, 200);
	}
}

/** Gmail's 429 bodies say when to come back in words: "Retry after 2026-11-23T10:00:01.000Z". */
export function retryAfterInMessage(
	message: string | undefined,
	now = Date.now(),
): number | undefined {
	const match = /retry after (\d{4}-\d{2}-\d{2}T[\d:.]+Z)/i.exec(message ?? '');
	const at = match ? Date.parse(match[1]) : Number.NaN;
	return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Google's answer in one line for an item's `response`: HTTP status, reason, message. */
export function describeFailure(failure: GoogleFailure): string {
	return [failure.httpStatus, failure.reason, failure.message].filter(Boolean).join(' ');
}

export function readGoogleFailure(error: unknown, now = Date.now()): GoogleFailure {
	const failure = (error ?? {}) as GaxiosLike;
	const httpStatus =
		failure.response?.status ?? (typeof failure.status === 'number' ? failure.status : undefined);
	if (!httpStatus) {
		// gaxios wraps fetch's TypeError("fetch failed"), which wraps the socket error: walk the chain.
		const codes: string[] = [];
		const texts: string[] = [];
		type Link = { code?: unknown; message?: string; cause?: unknown };
		let current: Link | undefined = failure as Link;
		for (let depth = 0; current && depth < 5; depth++) {
			if (typeof current.code === 'string') codes.push(current.code);
			if (current.message) texts.push(current.message);
			current = current.cause as Link | undefined;
		}
		const detail =
			[...new Set([...codes, ...texts.slice(1)])].join(': ') || failure.message || 'network error';
		if (codes.some((code) => UNREACHABLE.has(code)))
			return { kind: 'unreachable', message: detail };
		if (
			codes.length ||
			/fetch failed|socket|network|timeout|aborted|terminated/i.test(texts.join(' '))
		) {
			return { kind: 'interrupted', message: detail };
		}
		return { kind: 'other', message: failure.message ?? String(error) };
	}
	const body = parseBody(failure.response?.data);
	const message = body.message || failure.message || `HTTP ${httpStatus}`;
	const wait =
		retryAfterMs(headerOf(failure.response?.headers, 'retry-after'), now) ??
		retryAfterInMessage(message, now);
	const base = {
		httpStatus,
		reason: body.reason,
		status: body.status,
		message,
		retryAfterMs: wait,
	};
	if (httpStatus >= 300 && httpStatus < 400) {
		const location = redirectTarget(headerOf(failure.response?.headers, 'location'));
		return {
			...base,
			kind: 'redirect',
			location,
			message: `HTTP ${httpStatus} redirect to ${location ?? 'an address it did not name'}`,
		};
	}
	if (httpStatus === 401) return { ...base, kind: 'unauthenticated' };
	const daily =
		body.reason === 'dailyLimitExceeded' || /sending limit exceeded|daily limit/i.test(message);
	const rate = httpStatus === 429 || (httpStatus === 403 && RATE_REASONS.has(body.reason ?? ''));
	if (daily || (rate && wait !== undefined && wait > LONGEST_WAIT_MS))
		return { ...base, kind: 'daily' };
	if (rate) return { ...base, kind: 'rate' };
	if (
		httpStatus === 403 &&
		(body.reason === 'insufficientPermissions' ||
			/insufficient (authentication )?(scopes|permission)/i.test(message))
	) {
		return { ...base, kind: 'scope' };
	}
	if (httpStatus >= 500) return { ...base, kind: 'server' };
	if (httpStatus >= 400) return { ...base, kind: 'client' };
	return { ...base, kind: 'other' };
}

/** A redirect from the API Base URL, reported instead of followed: the token and the message stay here. */
export function redirectError(
	baseUrl: string,
	failure: GoogleFailure,
	cause?: unknown,
): DeliveryError {
	return new DeliveryError(
		`The Gmail API at ${baseUrl} answered with a redirect (HTTP ${failure.httpStatus}) ` +
			`to ${failure.location ?? 'an address it did not name'}; ` +
			'requests carrying the access token are never redirected, so nothing was sent there',
		{
			code: 'EPROTOCOL',
			responseCode: failure.httpStatus,
			response: describeFailure(failure),
			hint:
				'Set the API Base URL of the Gmail credential to the address that answers itself ' +
				'(https://gmail.googleapis.com for Google), or turn off Use Custom API Base URL.',
			stopsBatch: true,
			cause,
		},
	);
}

export function formatWait(seconds: number): string {
	if (seconds >= 3600) return `about ${Math.round(seconds / 360) / 10} hours`;
	if (seconds >= 120) return `about ${Math.round(seconds / 60)} minutes`;
	return `${seconds} seconds`;
}
