/**
 * Every Gmail API call of one execution goes through `GmailApi.call`: it waits for quota in the
 * shared token bucket, renews the token once on 401, sits out rate limits (Retry-After, else
 * exponential backoff, never longer than MAX_WAIT_MS a wait) while the bucket slows the other
 * requests down, retries 5xx on reads, stops everything on the daily sending limit, a dead grant or
 * a redirect, and stops when the execution is cancelled. How a call ends when trying again cannot
 * help is in callErrors.ts.
 *
 * Sends follow the at-most-once rule of the channel contract: after an answer that leaves the
 * outcome open (a 5xx, a timeout, a broken connection) the message is sent again only when a
 * look-up in Sent positively shows it is absent (sendInDoubt.ts); otherwise the call fails EUNKNOWN.
 */
import { gmail, type gmail_v1 } from '@googleapis/gmail';

import { DeliveryError } from '../../../../core/errors';
import { reconnectError, type N8nTokenAuth } from './auth';
import {
	cancelledError,
	dailyLimitError,
	executionCancelled,
	notAttempted,
	rateLimitGaveUp,
	refusedError,
	scopeError,
	serverGaveUp,
	waitTooLongError,
} from './callErrors';
import { describeFailure, readGoogleFailure, redirectError, type GoogleFailure } from './errors';
import { backoffMs, MAX_WAIT_MS, sleep as realSleep, type Sleep } from '../../../../core/retry';
import type { TokenBucket } from './pacing';
import { settleSend, type LookUp } from './sendInDoubt';

/** Quota units per method (Gmail API usage limits). */
export const UNITS = { send: 100, list: 5, get: 5, sendAs: 1, profile: 1 } as const;

/** Backoff after a rate limit without Retry-After, and after a 5xx or a failed connection. */
export const RATE_BACKOFF = { baseMs: 1_000, capMs: 32_000 };
export const SERVER_BACKOFF = { baseMs: 1_000, capMs: 16_000 };

/** How long to wait for one answer unless the node's Timeout option says otherwise. */
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface CallSpec<T> {
	units: number;
	/** What we were doing, for messages: "send the message", "list bounce reports". */
	what: string;
	/** The method needs a scope the credential may lack; says which switch to turn on. */
	scopeHint: string;
	/**
	 * The call sends a message. `lookUp` searches Sent when the outcome is open; without it (no read
	 * scope) an open outcome ends EUNKNOWN at once.
	 */
	send?: { lookUp?: LookUp<T> };
	/** A look-up on behalf of a send in doubt: its failure leaves that send in doubt instead of stopping the batch. */
	lookUp?: boolean;
	timeoutMs?: number;
}

export interface CallResult<T> {
	data: T;
	attempts: number;
	/** True when the look-up in Sent found the message instead of an answer to the send. */
	recovered?: boolean;
}

export interface GmailApiOptions {
	bucket: TokenBucket;
	sleep?: Sleep;
	/** Attempts when Google keeps saying "rate limit" (default 8). */
	rateAttempts?: number;
	/** Attempts on 5xx or an unreachable server (default 4). */
	serverAttempts?: number;
	random?: () => number;
	/** n8n's cancel signal (and the session's end): no request starts after it, in-flight ones are cut. */
	signal?: AbortSignal;
	/** Time for one answer (default 60 s). */
	timeoutMs?: number;
}

export interface MethodOptions {
	retry: false;
	timeout: number;
	fetchImplementation: typeof fetch;
	rootUrl: string;
	signal?: AbortSignal;
}

/**
 * Node's fetch, never following a redirect. Every request of this channel carries the access token
 * (and a send carries the message); fetch would re-send the body to wherever a 307 points and keep
 * the token on a same-origin hop. A 3xx comes back as an answer and is reported (`redirectError`).
 */
export const fetchWithoutRedirects: typeof fetch = (input, init) =>
	fetch(input, { ...init, redirect: 'manual' });

/** Look-ups for a send in doubt get fewer 5xx retries: the send waits on them. */
const LOOKUP_SERVER_ATTEMPTS = 2;

export class GmailApi {
	readonly gmail: gmail_v1.Gmail;
	/** Set once a failure makes every further call pointless (daily limit, dead grant, redirect, cancel). */
	stopped?: DeliveryError;
	private readonly sleep: Sleep;

	constructor(
		readonly auth: N8nTokenAuth,
		readonly baseUrl: string,
		private readonly options: GmailApiOptions,
	) {
		this.sleep = options.sleep ?? realSleep;
		this.gmail = gmail({
			version: 'v1',
			auth: auth.client,
			rootUrl: `${baseUrl}/`,
			fetchImplementation: fetchWithoutRedirects,
		});
	}

	get bucket(): TokenBucket {
		return this.options.bucket;
	}

	get signal(): AbortSignal | undefined {
		return this.options.signal;
	}

	get timeoutMs(): number {
		return this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
	}

	/** Waits `ms` unless the execution is cancelled first (then rejects). */
	async pause(ms: number): Promise<void> {
		await this.sleep(ms, this.options.signal);
	}

	async call<T>(
		spec: CallSpec<T>,
		request: (options: MethodOptions) => Promise<{ data: T }>,
	): Promise<CallResult<T>> {
		const rateAttempts = this.options.rateAttempts ?? 8;
		const serverAttempts = spec.lookUp
			? LOOKUP_SERVER_ATTEMPTS
			: (this.options.serverAttempts ?? 4);
		let attempts = 0;
		let rateFailures = 0;
		let serverFailures = 0;
		let renewed = false;
		for (;;) {
			this.throwIfStopped(spec);
			try {
				await this.options.bucket.take(spec.units, this.options.signal);
			} catch (error) {
				if (this.options.signal?.aborted) throw this.cancelled(spec, false);
				throw error;
			}
			this.throwIfStopped(spec);
			attempts++;
			const tokenUsed = this.auth.accessToken;
			try {
				// retry: false because this loop owns retries (gaxios would retry on its own schedule).
				// rootUrl again per call: the client builds some URLs from the call's options only, and the
				// resumable upload (upload.ts) starts its session at it.
				const result = await request({
					retry: false,
					timeout: spec.timeoutMs ?? this.timeoutMs,
					fetchImplementation: fetchWithoutRedirects,
					rootUrl: `${this.baseUrl}/`,
					signal: this.options.signal,
				});
				this.options.bucket.speedUp();
				return { data: result.data, attempts };
			} catch (error) {
				if (error instanceof DeliveryError) throw this.remember(error);
				// The request was on its way when the execution was cancelled: a send may have gone out.
				if (this.options.signal?.aborted) throw this.cancelled(spec, true);
				const failure = readGoogleFailure(error);
				switch (failure.kind) {
					case 'unauthenticated':
						if (renewed)
							throw this.remember(
								reconnectError(
									`Google still refuses the renewed access token (${describeFailure(failure)})`,
									error,
								),
							);
						renewed = true;
						try {
							await this.auth.refresh(tokenUsed);
						} catch (refreshError) {
							throw this.remember(refreshError as DeliveryError);
						}
						continue;
					case 'scope':
						throw this.remember(scopeError(spec, failure, error));
					case 'daily':
						throw this.remember(dailyLimitError(failure, error));
					case 'redirect':
						throw this.remember(redirectError(this.baseUrl, failure, error));
					case 'rate': {
						rateFailures++;
						if (rateFailures >= rateAttempts)
							throw rateLimitGaveUp(spec, failure, error, rateFailures);
						// This request waits as Google asked; the others go on at a lower pace, so one
						// refusal does not stall the batch and repeated ones slow everything down.
						this.options.bucket.slowDown(spec.units);
						await this.wait(
							spec,
							failure,
							error,
							failure.retryAfterMs ??
								backoffMs(rateFailures, { ...RATE_BACKOFF, random: this.options.random }),
						);
						continue;
					}
					case 'server':
					case 'interrupted': {
						let waited = 0;
						if (spec.send) {
							const started = Date.now();
							const found = await settleSend(this, spec.send.lookUp, failure, error);
							if (found !== undefined) return { data: found, attempts, recovered: true };
							waited = Date.now() - started;
						}
						serverFailures++;
						if (serverFailures >= serverAttempts)
							throw serverGaveUp(spec, this.baseUrl, failure, error, serverFailures);
						// For a send, the look-ups' waits were the backoff already.
						const wait =
							failure.retryAfterMs ??
							(spec.send
								? 0
								: backoffMs(serverFailures, { ...SERVER_BACKOFF, random: this.options.random }));
						await this.wait(spec, failure, error, Math.max(0, wait - waited));
						continue;
					}
					case 'unreachable': {
						// Nothing reached Google, so even a send may simply be tried again.
						serverFailures++;
						if (serverFailures >= serverAttempts)
							throw serverGaveUp(spec, this.baseUrl, failure, error, serverFailures);
						await this.wait(
							spec,
							failure,
							error,
							backoffMs(serverFailures, { ...SERVER_BACKOFF, random: this.options.random }),
						);
						continue;
					}
					default:
						throw refusedError(spec, failure, error);
				}
			}
		}
	}

	/**
	 * Sits out `ms` before the next attempt. A Retry-After beyond MAX_WAIT_MS is not slept through:
	 * the call gives up and says how long Google asked to wait. Every wait here comes before a
	 * request that has not gone out (a send in doubt was settled first), so a cancel is ENOTSENT.
	 */
	private async wait<T>(
		spec: CallSpec<T>,
		failure: GoogleFailure,
		cause: unknown,
		ms: number,
	): Promise<void> {
		const asked = failure.retryAfterMs;
		if (asked !== undefined && asked > MAX_WAIT_MS)
			throw this.remember(waitTooLongError(spec, failure, cause, asked));
		try {
			await this.pause(ms);
		} catch {
			throw this.cancelled(spec, false);
		}
	}

	/** The execution was cancelled: a send already on its way may have gone out, anything else did not. */
	cancelled<T>(spec: Pick<CallSpec<T>, 'what' | 'send'>, onItsWay: boolean): DeliveryError {
		const error = cancelledError(spec, onItsWay);
		this.stopped ??= executionCancelled();
		return error;
	}

	private remember(error: DeliveryError): DeliveryError {
		if (error.stopsBatch) this.stopped ??= error;
		return error;
	}

	private throwIfStopped<T>(spec: CallSpec<T>): void {
		if (this.options.signal?.aborted) throw this.cancelled(spec, false);
		if (!this.stopped) return;
		throw notAttempted(this.stopped);
	}
}
