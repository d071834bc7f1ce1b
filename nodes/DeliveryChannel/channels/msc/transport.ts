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

import type { DeliveryError } from '../../../../core/errors';
import { backoffMs, retryAfterMs, sleep } from '../../../../core/retry';
import { Cancelled, untilCancelled, withCancelSignal } from './cancel';
import {
	callCancelled,
	networkFailure,
	outcomeUnknown,
	problemError,
	readProblem,
	redirectError,
	stillInProgress,
	tooLongWait,
	type MscProblem,
} from './errors';
import { baseUrlOf, DEFAULT_RETRY, timeoutOf, type RetryPolicy } from './settings';

export const MSC_CREDENTIAL = 'deliveryChannelMscApi';

/** What the client needs from n8n: credentials, the authenticated HTTP helper and the cancel signal. */
export interface MscHttpContext {
	helpers: Pick<RequestHelperFunctions, 'httpRequestWithAuthentication'>;
	getCredentials(type: string): Promise<IDataObject>;
	getExecutionCancelSignal?(): AbortSignal | undefined;
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
const NOT_CONNECTED = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
]);

/** How often a request in progress is asked about, whatever Retry-After says. */
const IN_PROGRESS_POLL = { minMs: 250, maxMs: 10_000 };

function header(headers: FullResponse['headers'], name: string): string | undefined {
	const value = headers[name] ?? headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}

/** The network error code (ECONNRESET, ...) somewhere in n8n's wrapping of the HTTP client's error. */
function networkCode(error: unknown): string | undefined {
	let current = error as { code?: unknown; cause?: unknown } | undefined;
	for (let depth = 0; current && depth < 5; depth++) {
		if (
			typeof current.code === 'string' &&
			/^E[A-Z_]+$/.test(current.code) &&
			current.code !== 'ERR_BAD_RESPONSE'
		)
			return current.code;
		current = current.cause as typeof current;
	}
	return undefined;
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

	static async fromContext(
		context: MscHttpContext,
		policy: RetryPolicy = DEFAULT_RETRY,
		signal?: AbortSignal,
	): Promise<MscApi> {
		const credentials = await context.getCredentials(MSC_CREDENTIAL);
		const timeoutMs = timeoutOf(credentials, policy.timeoutMs);
		return new MscApi(
			context,
			baseUrlOf(credentials),
			{ ...policy, timeoutMs },
			signal ?? context.getExecutionCancelSignal?.(),
		);
	}

	get cancelled(): boolean {
		return this.signal?.aborted === true;
	}

	/**
	 * One API call with retries. A POST is only repeated when it carries an idempotency key (or
	 * certainly never reached the API), so a retry cannot repeat what the first attempt did.
	 */
	async request<T>(
		method: IHttpRequestMethods,
		path: string,
		options: RequestOptions = {},
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
					this.context.helpers.httpRequestWithAuthentication.call(
						this.context as unknown as IAllExecuteFunctions,
						MSC_CREDENTIAL,
						{
							...requestOptions,
							headers: { ...requestOptions.headers },
						},
					) as Promise<FullResponse>,
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
				throw this.giveUp(
					redirectError(
						this.baseUrl,
						response.statusCode,
						header(response.headers, 'location'),
						requestOptions.url,
					),
					state,
				);
			}
			await this.afterProblem(response, state, safeToRepeat);
		}
	}

	/** A network failure: wait and try again when that is safe, else throw. */
	private async afterNetworkFailure(
		error: unknown,
		state: CallState,
		safeToRepeat: boolean,
	): Promise<void> {
		const code = networkCode(error);
		const reached = !(code && NOT_CONNECTED.has(code));
		if (reached && state.changes) state.uncertain = true;
		const failure = networkFailure(this.baseUrl, code, error, reached);
		// An API that refuses connections is down or misconfigured: a short second chance, not the full back-off.
		const limit = failure.stopsBatch ? Math.min(2, this.policy.attempts) : this.policy.attempts;
		if (!failure.retryable || (reached && !safeToRepeat) || state.tries >= limit)
			throw this.giveUp(failure, state);
		await this.wait(this.backoff(state.tries), state);
	}

	/** A 4xx or 5xx answer: wait and try again when it says so and that is safe, else throw. */
	private async afterProblem(
		response: FullResponse,
		state: CallState,
		safeToRepeat: boolean,
	): Promise<void> {
		const status = response.statusCode;
		const problem = readProblem(response.body, status);
		const asked = retryAfterMs(header(response.headers, 'retry-after'));
		if (status === 409 && problem.code === 'request-in-progress') {
			await this.whileInProgress(problem, asked, state);
			return;
		}
		const failure = problemError(problem, status);
		// A 5xx may come after the API stored the request, unless the API says nothing was sent.
		if (status >= 500 && state.changes && problem.code !== 'upstream-unavailable')
			state.uncertain = true;
		// The API looked the key up and found nothing carried out: the outcome is known again.
		if (status === 422 || status === 400) state.uncertain = false;
		const again =
			failure.retryable && (safeToRepeat || status === 429) && state.tries < this.policy.attempts;
		if (!again) throw this.giveUp(failure, state);
		if (asked !== undefined && asked > this.policy.maxWaitMs)
			throw this.giveUp(tooLongWait(failure, asked, this.policy.maxWaitMs), state);
		await this.wait(asked ?? this.backoff(state.tries), state);
	}

	/** The API is still working on this key: ask again until it answers or its deadline passes. */
	private async whileInProgress(
		problem: MscProblem,
		asked: number | undefined,
		state: CallState,
	): Promise<void> {
		state.uncertain = true;
		state.tries -= 1;
		const now = Date.now();
		if (state.inProgressUntil === undefined) {
			const given = Number(problem.finishesWithin);
			// A second of grace: the API's answer at its deadline needs time to arrive.
			const period =
				Number.isFinite(given) && given >= 0 ? given * 1000 + 1000 : this.policy.inProgressMs;
			state.inProgressSince = now;
			state.inProgressUntil = now + Math.min(period, this.policy.maxInProgressMs);
		}
		if (now >= state.inProgressUntil) {
			const waited = Math.round((now - (state.inProgressSince ?? now)) / 1000);
			throw stillInProgress(waited, problem);
		}
		const pause = Math.min(
			Math.max(asked ?? 1000, IN_PROGRESS_POLL.minMs),
			IN_PROGRESS_POLL.maxMs,
			state.inProgressUntil - now,
		);
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
		return outcomeUnknown(failure);
	}

	private cancelledError(state: CallState, inFlight: boolean): DeliveryError {
		return callCancelled(state.changes, inFlight || state.uncertain);
	}

	private backoff(attempt: number): number {
		return backoffMs(attempt, { baseMs: this.policy.baseDelayMs, capMs: this.policy.maxWaitMs });
	}
}
