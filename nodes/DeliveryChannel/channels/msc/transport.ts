/**
 * The MSC API client. Every request goes through n8n's `httpRequestWithAuthentication`, so n8n adds
 * the API key from the credential (and its proxy and SSRF settings apply). Redirects are never
 * followed: n8n would repeat the API key (and the message) to wherever the answer points.
 *
 * Sends carry an Idempotency-Key, reused unchanged on every retry: after an answer that leaves the
 * outcome open (a timeout, a broken connection, a 5xx), asking again with the same key is the
 * look-up, because the API answers a key it has carried out with the stored result and never sends
 * twice. A key the API is still working on (409) is asked about again until its deadline; when no
 * answer settles it, the send fails EUNKNOWN and is not retried.
 */
import {
	NodeOperationError,
	type IAllExecuteFunctions,
	type IDataObject,
	type IHttpRequestMethods,
	type IHttpRequestOptions,
	type RequestHelperFunctions,
} from 'n8n-workflow';

import { DeliveryError, type DeliveryErrorCode } from '../../../../core/errors';
import { backoffMs, MAX_WAIT_MS, retryAfterMs, sleep } from '../../../../core/retry';

export const MSC_CREDENTIAL = 'deliveryChannelMscApi';

/** What the client needs from n8n: credentials, the authenticated HTTP helper and the cancel signal. */
export interface MscHttpContext {
	helpers: Pick<RequestHelperFunctions, 'httpRequestWithAuthentication'>;
	getCredentials(type: string): Promise<IDataObject>;
	getExecutionCancelSignal?(): AbortSignal | undefined;
}

export interface RetryPolicy {
	/** Tries per request after a 429, a 5xx or a broken connection, the first included. */
	attempts: number;
	/** First back-off after a 5xx or a broken connection; doubled each time, with jitter. */
	baseDelayMs: number;
	/** The longest single wait the node accepts; an API asking for more (Retry-After) is not waited for. */
	maxWaitMs: number;
	/** How long a request the API reports in progress is asked about when the answer gives no deadline. */
	inProgressMs: number;
	/** The most the node waits for a request in progress, whatever deadline the API gives. */
	maxInProgressMs: number;
	/** Default time to wait for one answer (the credential's Timeout overrides it). */
	timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
	attempts: 5,
	baseDelayMs: 500,
	maxWaitMs: MAX_WAIT_MS,
	inProgressMs: 120_000,
	maxInProgressMs: 180_000,
	timeoutMs: 60_000,
};

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

/** How often a request in progress is asked about, whatever Retry-After says. */
const IN_PROGRESS_POLL = { minMs: 250, maxMs: 10_000 };

class Cancelled extends Error {}

/** The promise, or a Cancelled rejection as soon as the signal aborts (whichever comes first). */
function untilCancelled<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
	if (!signal) return promise;
	return new Promise<T>((resolve, reject) => {
		const onAbort = () => reject(new Cancelled());
		if (signal.aborted) onAbort();
		signal.addEventListener('abort', onAbort, { once: true });
		promise.then(
			(value) => {
				signal.removeEventListener('abort', onAbort);
				resolve(value);
			},
			(error: unknown) => {
				signal.removeEventListener('abort', onAbort);
				reject(error);
			},
		);
	});
}

/**
 * n8n-core sets every authenticated request's abort signal to the context's execution cancel signal,
 * replacing one the request carries: the session's signal is offered through that same method, so
 * cancelling the session aborts the request on the wire too.
 */
function withCancelSignal(context: MscHttpContext, signal: AbortSignal): MscHttpContext {
	const own = context.getExecutionCancelSignal?.();
	const combined = own && own !== signal ? AbortSignal.any([own, signal]) : signal;
	return Object.create(context, { getExecutionCancelSignal: { value: () => combined } }) as MscHttpContext;
}

function header(headers: FullResponse['headers'], name: string): string | undefined {
	const value = headers[name] ?? headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
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

export function redirectError(baseUrl: string, status: number, location: string | undefined, from: string): DeliveryError {
	return new DeliveryError(
		`The MSC API at ${baseUrl} answered with a redirect (HTTP ${status}) to ${redirectTarget(location, from)}. Redirects are not followed, so neither the API key nor the request went there`,
		{
			code: 'EPROTOCOL',
			responseCode: status,
			stopsBatch: true,
			hint: 'Set the Base URL of the MSC credential to the address that answers the API itself, once you have checked that you trust it.',
		},
	);
}

/** Longest text of a wrong input repeated in an error. */
const SHOWN_INPUT = 120;

function shown(value: string): string {
	return JSON.stringify(value.length > SHOWN_INPUT ? `${value.slice(0, SHOWN_INPUT)}…` : value);
}

/** This computer: the only place plain http:// may go (nothing on the network can read it). */
export function isLoopbackHost(hostname: string): boolean {
	const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
	return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function baseUrlOf(credentials: IDataObject): string {
	const raw = String(credentials.baseUrl ?? '').trim().replace(/\/+$/, '');
	const invalid = (message: string, hint: string) =>
		new DeliveryError(message, { code: 'EINPUT', field: 'baseUrl', stopsBatch: true, hint });
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw invalid(`The MSC credential's Base URL is not a URL: ${shown(raw)}`, 'Enter the API address, e.g. http://127.0.0.1:8025 for the local sandbox.');
	}
	if (url.username || url.password) {
		// The value is not repeated: it holds a password.
		throw invalid(`The MSC credential's Base URL must not contain a user name or password (${url.protocol}//…@${url.host})`, 'Remove the user name and password from the Base URL; the API Key field authenticates.');
	}
	if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
		throw invalid(
			`The MSC credential's Base URL must use https:// for ${url.hostname}, got ${shown(raw)}: over http:// the API key and every message would cross the network unencrypted`,
			'Use the https:// address of the MSC API. Plain http:// is accepted only for this computer (localhost, 127.0.0.1, ::1), such as the local sandbox.',
		);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw invalid(`The MSC credential's Base URL must start with https:// (or http:// for this computer), got ${shown(raw)}`, 'Enter the API address, e.g. https://api.msc.example.');
	}
	return raw;
}

/** The credential's Timeout (seconds) in milliseconds, or the policy's default when unset. */
export function timeoutOf(credentials: IDataObject, fallbackMs: number): number {
	const value = credentials.timeout;
	if (value === undefined || value === null || value === '') return fallbackMs;
	const seconds = Number(value);
	if (!Number.isFinite(seconds) || seconds < 1 || seconds > 600) {
		throw new DeliveryError(`The MSC credential's Timeout must be between 1 and 600 seconds, got ${shown(String(value))}`, {
			code: 'EINPUT',
			field: 'timeout',
			stopsBatch: true,
		});
	}
	return seconds * 1000;
}

interface RequestOptions {
	qs?: IDataObject;
	body?: IDataObject;
	idempotencyKey?: string;
}

/** What one call has learnt so far: whether the API may have carried it out already. */
interface CallState {
	/** A request that changes something on the API (a send). */
	changes: boolean;
	/** An earlier attempt may have been carried out: a stop now leaves the outcome unknown. */
	uncertain: boolean;
	/** Attempts counted against the policy (asking about a request in progress is not one). */
	tries: number;
	/** When the API first reported the request in progress, and until when it is asked about. */
	inProgressSince?: number;
	inProgressUntil?: number;
}

export class MscApi {
	private readonly context: MscHttpContext;

	constructor(
		context: MscHttpContext,
		readonly baseUrl: string,
		private readonly policy: RetryPolicy = DEFAULT_RETRY,
		private readonly signal?: AbortSignal,
	) {
		this.context = signal ? withCancelSignal(context, signal) : context;
	}

	static async fromContext(context: MscHttpContext, policy: RetryPolicy = DEFAULT_RETRY, signal?: AbortSignal): Promise<MscApi> {
		const credentials = await context.getCredentials(MSC_CREDENTIAL);
		const timeoutMs = timeoutOf(credentials, policy.timeoutMs);
		return new MscApi(context, baseUrlOf(credentials), { ...policy, timeoutMs }, signal ?? context.getExecutionCancelSignal?.());
	}

	get cancelled(): boolean {
		return this.signal?.aborted === true;
	}

	/**
	 * One API call with retries. A POST is only repeated when it carries an idempotency key (or
	 * certainly never reached the API), so a retry cannot repeat what the first attempt did.
	 */
	async request<T>(method: IHttpRequestMethods, path: string, options: RequestOptions = {}): Promise<MscResponse<T>> {
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
			// Never follow a redirect: n8n would send the API key (and the body) wherever it points.
			disableFollowRedirect: true,
			sendCredentialsOnCrossOriginRedirect: false,
		};
		const safeToRepeat = method === 'GET' || options.idempotencyKey !== undefined;
		const state: CallState = { changes: method !== 'GET', uncertain: false, tries: 0 };
		for (;;) {
			if (this.cancelled) throw this.cancelledError(state, false);
			state.tries += 1;
			let response: FullResponse;
			try {
				response = await untilCancelled(
					this.context.helpers.httpRequestWithAuthentication.call(this.context as unknown as IAllExecuteFunctions, MSC_CREDENTIAL, {
						...requestOptions,
						headers: { ...requestOptions.headers },
					}) as Promise<FullResponse>,
					this.signal,
				);
			} catch (error) {
				if (error instanceof NodeOperationError) throw error; // not a network problem (a missing credential, ...)
				if (error instanceof Cancelled || this.cancelled) throw this.cancelledError(state, true);
				await this.afterNetworkFailure(error, state, safeToRepeat);
				continue;
			}
			if (response.statusCode < 300) {
				return {
					status: response.statusCode,
					body: response.body as T,
					attempts: state.tries,
					replayed: header(response.headers, 'idempotent-replayed') === 'true',
				};
			}
			if (response.statusCode < 400) {
				throw this.giveUp(redirectError(this.baseUrl, response.statusCode, header(response.headers, 'location'), requestOptions.url), state);
			}
			await this.afterProblem(response, state, safeToRepeat);
		}
	}

	/** A network failure: wait and try again when that is safe, else throw. */
	private async afterNetworkFailure(error: unknown, state: CallState, safeToRepeat: boolean): Promise<void> {
		const code = networkCode(error);
		const reached = !(code && NOT_CONNECTED.has(code));
		if (reached && state.changes) state.uncertain = true;
		const failure = this.networkFailure(code, error, reached);
		// An API that refuses connections is down or misconfigured: a short second chance, not the full back-off.
		const limit = failure.stopsBatch ? Math.min(2, this.policy.attempts) : this.policy.attempts;
		if (!failure.retryable || (reached && !safeToRepeat) || state.tries >= limit) throw this.giveUp(failure, state);
		await this.wait(this.backoff(state.tries), state);
	}

	/** A 4xx or 5xx answer: wait and try again when it says so and that is safe, else throw. */
	private async afterProblem(response: FullResponse, state: CallState, safeToRepeat: boolean): Promise<void> {
		const status = response.statusCode;
		const problem = readProblem(response.body, status);
		const asked = retryAfterMs(header(response.headers, 'retry-after'));
		if (status === 409 && problem.code === 'request-in-progress') {
			await this.whileInProgress(problem, asked, state);
			return;
		}
		const failure = problemError(problem, status);
		// A 5xx may come after the API stored the request, unless the API says nothing was sent.
		if (status >= 500 && state.changes && problem.code !== 'upstream-unavailable') state.uncertain = true;
		// The API looked the key up and found nothing carried out: the outcome is known again.
		if (status === 422 || status === 400) state.uncertain = false;
		const again = failure.retryable && (safeToRepeat || status === 429) && state.tries < this.policy.attempts;
		if (!again) throw this.giveUp(failure, state);
		if (asked !== undefined && asked > this.policy.maxWaitMs) throw this.giveUp(tooLongWait(failure, asked, this.policy.maxWaitMs), state);
		await this.wait(asked ?? this.backoff(state.tries), state);
	}

	/** The API is still working on this key: ask again until it answers or its deadline passes. */
	private async whileInProgress(problem: MscProblem, asked: number | undefined, state: CallState): Promise<void> {
		state.uncertain = true;
		state.tries -= 1;
		const now = Date.now();
		if (state.inProgressUntil === undefined) {
			const given = Number(problem.finishesWithin);
			// A second of grace: the API's answer at its deadline needs time to arrive.
			const period = Number.isFinite(given) && given >= 0 ? given * 1000 + 1000 : this.policy.inProgressMs;
			state.inProgressSince = now;
			state.inProgressUntil = now + Math.min(period, this.policy.maxInProgressMs);
		}
		if (now >= state.inProgressUntil) {
			const waited = Math.round((now - (state.inProgressSince ?? now)) / 1000);
			throw new DeliveryError(
				`MSC was still working on this message after ${waited} s of asking again with the same idempotency key: it may or may not have been sent, so it is not sent again`,
				{ code: 'EUNKNOWN', responseCode: 409, response: problem.code, hint: 'Look the message up in MSC before sending this item again.' },
			);
		}
		const pause = Math.min(Math.max(asked ?? 1000, IN_PROGRESS_POLL.minMs), IN_PROGRESS_POLL.maxMs, state.inProgressUntil - now);
		await this.wait(pause, state);
	}

	private async wait(ms: number, state: CallState): Promise<void> {
		try {
			await sleep(ms, this.signal);
		} catch (error) {
			if (this.cancelled) throw this.cancelledError(state, false);
			throw error;
		}
	}

	/**
	 * The final error of a call. When an earlier attempt may have been carried out, the outcome is
	 * unknown whatever the last answer was: the send fails EUNKNOWN and is not retried.
	 */
	private giveUp(failure: DeliveryError, state: CallState): DeliveryError {
		if (!state.uncertain || failure.code === 'EUNKNOWN') return failure;
		return new DeliveryError(`MSC may or may not have sent this message: an earlier attempt's answer was lost, and then ${lowerFirst(failure.message)}`, {
			code: 'EUNKNOWN',
			responseCode: failure.responseCode,
			response: failure.response,
			stopsBatch: failure.stopsBatch,
			hint: 'Look the message up in MSC before sending this item again.',
			cause: failure,
		});
	}

	private cancelledError(state: CallState, inFlight: boolean): DeliveryError {
		if (state.changes && (inFlight || state.uncertain)) {
			return new DeliveryError('The execution was cancelled while this message was on its way to MSC: it may or may not have been sent, so it is not sent again', {
				code: 'EUNKNOWN',
				stopsBatch: true,
				hint: 'Look the message up in MSC before sending this item again.',
			});
		}
		if (state.changes) {
			return new DeliveryError('Not sent: the execution was cancelled before this message went out', { code: 'ENOTSENT', retryable: true, stopsBatch: true });
		}
		return new DeliveryError('The execution was cancelled before the MSC API answered', { code: 'ECONNECTION', stopsBatch: true });
	}

	private backoff(attempt: number): number {
		return backoffMs(attempt, { baseMs: this.policy.baseDelayMs, capMs: this.policy.maxWaitMs });
	}

	private networkFailure(code: string | undefined, cause: unknown, reached: boolean): DeliveryError {
		const where = this.baseUrl;
		if (!reached) {
			return new DeliveryError(`Could not reach the MSC API at ${where} (${code})`, {
				code: 'ECONNECTION',
				retryable: true,
				stopsBatch: true,
				hint: 'Check the Base URL of the MSC credential. For the local sandbox, start it with "npm run msc-sandbox".',
				cause,
			});
		}
		const timedOut = code === 'ETIMEDOUT' || code === 'ECONNABORTED';
		return new DeliveryError(timedOut ? `The MSC API at ${where} did not answer in time` : `The connection to the MSC API at ${where} broke (${code ?? (cause as Error)?.message})`, {
			code: timedOut ? 'ETIMEDOUT' : 'ECONNECTION',
			retryable: true,
			cause,
		});
	}
}

function lowerFirst(text: string): string {
	return text.charAt(0).toLowerCase() + text.slice(1);
}

function tooLongWait(failure: DeliveryError, askedMs: number, maxMs: number): DeliveryError {
	return new DeliveryError(
		`${failure.message}. The API asks to wait ${Math.ceil(askedMs / 1000)} s before trying again (Retry-After); the node waits at most ${Math.round(maxMs / 1000)} s, so it stopped here`,
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

export function readProblem(body: unknown, status: number): MscProblem {
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
