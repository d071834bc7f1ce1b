/**
 * The MSC API client. Every request goes through n8n's `httpRequestWithAuthentication`, so n8n adds
 * the API key from the credential (and its proxy and SSRF settings apply). Sends carry an
 * Idempotency-Key, reused unchanged on every retry, so a retry after a lost answer can never send a
 * message twice; 429 waits for Retry-After, 5xx and broken connections back off and try again.
 */
import {
	NodeOperationError,
	type IAllExecuteFunctions,
	type IDataObject,
	type IHttpRequestMethods,
	type IHttpRequestOptions,
	type RequestHelperFunctions,
} from 'n8n-workflow';

import { DeliveryError, type DeliveryErrorCode } from '../errors';

export const MSC_CREDENTIAL = 'deliveryChannelMscApi';

/** What the client needs from n8n: credentials and the authenticated HTTP helper. */
export interface MscHttpContext {
	helpers: Pick<RequestHelperFunctions, 'httpRequestWithAuthentication'>;
	getCredentials(type: string): Promise<IDataObject>;
}

export interface RetryPolicy {
	/** Tries per request, the first included. */
	attempts: number;
	/** First back-off after a 5xx or a broken connection; doubled each time, with jitter. */
	baseDelayMs: number;
	/** A Retry-After longer than this is not waited for: the item fails as rate limited. */
	maxRetryAfterMs: number;
	timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxRetryAfterMs: 30_000, timeoutMs: 60_000 };

export interface MscProblem {
	type?: string;
	title?: string;
	status?: number;
	detail?: string;
	code?: string;
	field?: string;
	retryable?: boolean;
	verifiedIdentities?: string[];
	[key: string]: unknown;
}

export interface MscResponse<T> {
	status: number;
	body: T;
	attempts: number;
	/** The API answered from its idempotency record: the request had already been carried out. */
	replayed: boolean;
}

interface FullResponse {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
	body: unknown;
}

/** Network failures where the request certainly did not reach the API. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

function header(headers: FullResponse['headers'], name: string): string | undefined {
	const value = headers[name] ?? headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}

/** Retry-After in seconds or as an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
	if (!value) return undefined;
	if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
	const date = Date.parse(value);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The network error code (ECONNRESET, ...) somewhere in n8n's wrapping of the HTTP client's error. */
function networkCode(error: unknown): string | undefined {
	let current = error as { code?: unknown; cause?: unknown } | undefined;
	for (let depth = 0; current && depth < 5; depth++) {
		if (typeof current.code === 'string' && /^E[A-Z_]+$/.test(current.code) && current.code !== 'ERR_BAD_RESPONSE') return current.code;
		current = current.cause as typeof current;
	}
	return undefined;
}

export class MscApi {
	constructor(
		private readonly context: MscHttpContext,
		readonly baseUrl: string,
		private readonly policy: RetryPolicy = DEFAULT_RETRY,
	) {}

	static async fromContext(context: MscHttpContext, policy?: RetryPolicy): Promise<MscApi> {
		const credentials = await context.getCredentials(MSC_CREDENTIAL);
		return new MscApi(context, baseUrlOf(credentials), policy);
	}

	/**
	 * One API call with retries. A POST is only retried when it carries an idempotency key (or
	 * certainly never reached the API), so a retry cannot repeat what the first attempt did.
	 */
	async request<T>(
		method: IHttpRequestMethods,
		path: string,
		options: { qs?: IDataObject; body?: IDataObject; idempotencyKey?: string } = {},
	): Promise<MscResponse<T>> {
		const requestOptions: IHttpRequestOptions = {
			method,
			url: `${this.baseUrl}${path}`,
			qs: options.qs,
			body: options.body,
			json: true,
			headers: options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {},
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: this.policy.timeoutMs,
		};
		const safeToRepeat = method === 'GET' || options.idempotencyKey !== undefined;
		let lastFailure: DeliveryError | undefined;
		for (let attempt = 1; attempt <= this.policy.attempts; attempt++) {
			let response: FullResponse;
			try {
				response = (await this.context.helpers.httpRequestWithAuthentication.call(
					this.context as unknown as IAllExecuteFunctions,
					MSC_CREDENTIAL,
					{ ...requestOptions, headers: { ...requestOptions.headers } },
				)) as FullResponse;
			} catch (error) {
				if (error instanceof NodeOperationError) throw error; // not a network problem (a missing credential, ...)
				lastFailure = this.networkFailure(error, safeToRepeat);
				// An API that refuses connections is down or misconfigured: a short second chance, not the full back-off.
				const limit = lastFailure.stopsBatch ? Math.min(2, this.policy.attempts) : this.policy.attempts;
				if (!lastFailure.retryable || attempt >= limit) throw lastFailure;
				await sleep(this.backoff(attempt));
				continue;
			}
			if (response.statusCode < 400) {
				return {
					status: response.statusCode,
					body: response.body as T,
					attempts: attempt,
					replayed: header(response.headers, 'idempotent-replayed') === 'true',
				};
			}
			const problem = readProblem(response.body, response.statusCode);
			const failure = problemError(problem, response.statusCode);
			const wait = retryAfterMs(header(response.headers, 'retry-after'));
			const again = failure.retryable && (safeToRepeat || response.statusCode === 429) && attempt < this.policy.attempts;
			if (!again) throw failure;
			if (wait !== undefined && wait > this.policy.maxRetryAfterMs) {
				throw new DeliveryError(`${failure.message} (the API asks to wait ${Math.ceil(wait / 1000)} s)`, {
					code: failure.code,
					retryable: true,
					responseCode: response.statusCode,
					hint: 'Run the workflow again later, or send fewer messages at once.',
				});
			}
			lastFailure = failure;
			await sleep(wait ?? this.backoff(attempt));
		}
		throw lastFailure ?? new DeliveryError('MSC API request failed', { code: 'EPROTOCOL' });
	}

	private backoff(attempt: number): number {
		const base = this.policy.baseDelayMs * 2 ** (attempt - 1);
		return base / 2 + Math.random() * base;
	}

	private networkFailure(error: unknown, safeToRepeat: boolean): DeliveryError {
		const code = networkCode(error);
		const where = this.baseUrl;
		const cause = error;
		if (code && NOT_CONNECTED.has(code)) {
			return new DeliveryError(`Could not reach the MSC API at ${where} (${code})`, {
				code: 'ECONNECTION',
				retryable: true,
				stopsBatch: true,
				hint: 'Check the Base URL of the MSC credential. For the local sandbox, start it with "npm run msc-sandbox".',
				cause,
			});
		}
		if (!safeToRepeat) {
			return new DeliveryError(`The connection to the MSC API broke (${code ?? (error as Error)?.message}); the request may have been carried out, so it is not repeated`, {
				code: 'EUNKNOWN',
				cause,
			});
		}
		const timedOut = code === 'ETIMEDOUT' || code === 'ECONNABORTED';
		return new DeliveryError(timedOut ? `The MSC API at ${where} did not answer in time` : `The connection to the MSC API at ${where} broke (${code ?? (error as Error)?.message})`, {
			code: timedOut ? 'ETIMEDOUT' : 'ECONNECTION',
			retryable: true,
			cause,
		});
	}
}

export function baseUrlOf(credentials: IDataObject): string {
	const raw = String(credentials.baseUrl ?? '').trim().replace(/\/+$/, '');
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw new DeliveryError(`The MSC credential's Base URL is not a URL: ${JSON.stringify(raw)}`, {
			code: 'EINPUT',
			field: 'baseUrl',
			stopsBatch: true,
			hint: 'Enter the API address, e.g. http://127.0.0.1:8025 for the local sandbox.',
		});
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new DeliveryError(`The MSC credential's Base URL must start with http:// or https://, got ${JSON.stringify(raw)}`, {
			code: 'EINPUT',
			field: 'baseUrl',
			stopsBatch: true,
		});
	}
	return raw;
}

function readProblem(body: unknown, status: number): MscProblem {
	if (body && typeof body === 'object' && !Array.isArray(body)) return body as MscProblem;
	const text = typeof body === 'string' ? body.replace(/\s+/g, ' ').trim().slice(0, 300) : '';
	return { status, title: `HTTP ${status}`, detail: text || `The MSC API answered HTTP ${status}` };
}

/** One API problem → one delivery error, with a hint on how to fix it. */
export function problemError(problem: MscProblem, status: number): DeliveryError {
	const detail = problem.detail || problem.title || `HTTP ${status}`;
	const make = (code: DeliveryErrorCode, message: string, extra: { retryable?: boolean; hint?: string; stopsBatch?: boolean; field?: string } = {}) =>
		new DeliveryError(message, { code, responseCode: status, response: problem.code ?? problem.title, ...extra });
	const verified = Array.isArray(problem.verifiedIdentities) ? problem.verifiedIdentities : [];
	const pickVerified = verified.length ? `Verified identities on this account: ${verified.join(', ')}.` : 'This account has no verified identity yet.';

	switch (problem.code) {
		case 'identity-not-verified':
			return make('EIDENTITY', detail, { field: 'identity', hint: `Verify the identity in MSC, or pick a verified one. ${pickVerified}` });
		case 'unknown-identity':
			return make('EIDENTITY', detail, { field: 'identity', hint: `Add the address as an Email Identity in MSC and verify it, or pick one of the account's identities. ${pickVerified}` });
		case 'upstream-result-unknown':
			return make('EUNKNOWN', `MSC may or may not have delivered the message: ${detail}`, { hint: 'Check with the recipient before sending this item again.' });
		case 'upstream-unavailable':
			return make('ECONNECTION', `MSC could not reach the receiving server: ${detail}`, { retryable: true });
		case 'idempotency-key-reused':
			return make('EPROTOCOL', detail);
		case 'request-in-progress':
			return make('ECONNECTION', detail, { retryable: true });
		default:
			break;
	}
	if (status === 401 || status === 403) {
		return make('EAUTH', `The MSC API refused the API key: ${detail}`, { stopsBatch: true, hint: 'Check the API Key of the MSC credential.' });
	}
	if (status === 429) return make('ERATELIMIT', `MSC rate limit reached: ${detail}`, { retryable: true, hint: 'Send fewer messages at once, or try again later.' });
	if (status === 413) return make('EMESSAGE', `MSC refused the message as too large: ${detail}`, { hint: 'Send smaller attachments.' });
	if (status === 400 || status === 422) return make('EINPUT', `MSC refused the request: ${detail}`, { field: problem.field });
	if (status === 404) {
		return make('EPROTOCOL', `The MSC API has no such endpoint: ${detail}`, { stopsBatch: true, hint: 'Check the Base URL of the MSC credential (it should not include /v1).' });
	}
	if (status >= 500) return make('ECONNECTION', `The MSC API failed (HTTP ${status}): ${detail}`, { retryable: true });
	return make('EPROTOCOL', `Unexpected answer from the MSC API (HTTP ${status}): ${detail}`);
}
