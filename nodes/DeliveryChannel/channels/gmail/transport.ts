/**
 * Every Gmail API call of one execution goes through `GmailApi.call`: it waits for quota in the
 * shared token bucket, renews the token once on 401, sits out rate limits (Retry-After, else
 * exponential backoff, never longer than MAX_WAIT_MS a wait) while the bucket slows the other
 * requests down, retries 5xx on reads, stops everything on the daily sending limit, a dead grant or
 * a redirect, and stops when the execution is cancelled.
 *
 * Sends follow the at-most-once rule of the channel contract: after an answer that leaves the
 * outcome open (a 5xx, a timeout, a broken connection) the message is sent again only when a
 * look-up in Sent positively shows it is absent (see `settle`); otherwise the call fails EUNKNOWN.
 */
import { gmail, type gmail_v1 } from '@googleapis/gmail';

import { DeliveryError, type DeliveryErrorCode } from '../../../../core/errors';
import { reconnectError, type N8nTokenAuth } from './auth';
import {
	describeFailure,
	formatWait,
	readGoogleFailure,
	redirectError,
	type GoogleFailure,
} from './errors';
import { backoffMs, MAX_WAIT_MS, sleep as realSleep, type Sleep } from '../../../../core/retry';
import type { TokenBucket } from './pacing';

/** Quota units per method (Gmail API usage limits). */
export const UNITS = { send: 100, list: 5, get: 5, sendAs: 1, profile: 1 } as const;

/** Backoff after a rate limit without Retry-After, and after a 5xx or a failed connection. */
export const RATE_BACKOFF = { baseMs: 1_000, capMs: 32_000 };
export const SERVER_BACKOFF = { baseMs: 1_000, capMs: 16_000 };

/** How long to wait for one answer unless the node's Timeout option says otherwise. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * When a send's answer was lost, Sent is searched this long after it, then again after the second
 * wait. Gmail fills its search index asynchronously, so a search right after a 5xx can miss a message
 * Google did store moments before failing. The message counts as absent only when both searches
 * worked and found nothing, the second about 5 s after the failed answer: a wrong "absent" then
 * needs Google to store a message, answer 5xx anyway, and keep it out of search for seconds, all at
 * once. A look-up that fails, or no permission to look, leaves the outcome unknown (EUNKNOWN).
 */
export const SENT_LOOKUP_WAITS_MS = [1_500, 3_500] as const;

/** Finds the message a send in doubt may have stored: its Gmail resource, or undefined when absent. */
export type LookUp<T> = () => Promise<T | undefined>;

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
						throw this.remember(
							new DeliveryError(
								`The Gmail credential may not ${spec.what}: Google says it lacks the scope for it (${failure.message})`,
								{
									code: 'EAUTH',
									responseCode: failure.httpStatus,
									response: describeFailure(failure),
									hint: spec.scopeHint,
									stopsBatch: !spec.lookUp,
									cause: error,
								},
							),
						);
					case 'daily':
						throw this.remember(
							new DeliveryError(
								`Gmail's daily sending limit for this account is reached (${failure.message})`,
								{
									code: 'EQUOTA',
									retryable: true,
									responseCode: failure.httpStatus,
									response: describeFailure(failure),
									hint: 'Gmail allows about 2,000 messages a day per Google Workspace user (500 for a free account), counted over a rolling 24 hours. The items after this one were not sent; run them again later.',
									stopsBatch: true,
									cause: error,
								},
							),
						);
					case 'redirect':
						throw this.remember(redirectError(this.baseUrl, failure, error));
					case 'rate': {
						rateFailures++;
						if (rateFailures >= rateAttempts) {
							throw this.fail(
								'ERATELIMIT',
								`Gmail kept answering "rate limit exceeded" ${rateFailures} times while trying to ${spec.what}`,
								failure,
								error,
								{
									retryable: true,
									hint: 'Lower Sends per Minute in the Gmail options, or run fewer workflows with this account at the same time.',
								},
							);
						}
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
							const found = await this.settle(spec.send.lookUp, failure, error);
							if (found !== undefined) return { data: found, attempts, recovered: true };
							waited = Date.now() - started;
						}
						serverFailures++;
						if (serverFailures >= serverAttempts)
							throw this.serverGaveUp(spec, failure, error, serverFailures);
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
							throw this.serverGaveUp(spec, failure, error, serverFailures);
						await this.wait(
							spec,
							failure,
							error,
							backoffMs(serverFailures, { ...SERVER_BACKOFF, random: this.options.random }),
						);
						continue;
					}
					default:
						throw this.fail(
							spec.send ? 'EMESSAGE' : 'EPROTOCOL',
							`Gmail refused to ${spec.what}: ${failure.message}`,
							failure,
							error,
						);
				}
			}
		}
	}

	/**
	 * Decides a send whose answer left its outcome open: returns the message when Sent has it,
	 * undefined when two look-ups (SENT_LOOKUP_WAITS_MS apart) positively found it absent, and
	 * throws EUNKNOWN otherwise.
	 */
	async settle<T>(
		lookUp: LookUp<T> | undefined,
		failure: GoogleFailure,
		cause: unknown,
	): Promise<T | undefined> {
		const spec = { what: 'send the message', send: {} };
		const what =
			failure.kind === 'interrupted'
				? `The connection to Gmail broke or timed out while sending (${failure.message})`
				: `Gmail answered ${describeFailure(failure)} while sending`;
		const doubt = (why: string) =>
			this.fail(
				'EUNKNOWN',
				`${what}; the message may have been sent, and ${why}, so it is not sent again`,
				failure,
				cause,
				{
					hint: "Look for the message in the account's Sent folder (search rfc822msgid:<its Message-ID>) before sending this item again.",
				},
			);
		if (!lookUp)
			throw doubt(
				'the credential may not read the mailbox to check Sent (turn on "Read Mailbox for Failed Deliveries")',
			);
		for (const waitMs of SENT_LOOKUP_WAITS_MS) {
			try {
				await this.pause(waitMs);
			} catch {
				throw this.cancelled(spec, true);
			}
			let found: T | undefined;
			try {
				found = await lookUp();
			} catch (error) {
				if (this.options.signal?.aborted) throw this.cancelled(spec, true);
				throw doubt(`looking for it in Sent failed too (${(error as Error).message})`);
			}
			if (found !== undefined) return found;
		}
		return undefined;
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
		if (asked !== undefined && asked > MAX_WAIT_MS) {
			const seconds = Math.ceil(asked / 1000);
			throw this.remember(
				this.fail(
					failure.kind === 'rate' ? 'ERATELIMIT' : 'ECONNECTION',
					`Google asked to wait ${seconds} s before trying to ${spec.what} again (${describeFailure(failure)}); gave up rather than wait more than ${MAX_WAIT_MS / 1000} s${spec.send ? '; the message was not sent' : ''}`,
					failure,
					cause,
					{
						retryable: true,
						stopsBatch: true,
						hint: `Run the items that were not sent again after ${formatWait(seconds)}.`,
					},
				),
			);
		}
		try {
			await this.pause(ms);
		} catch {
			throw this.cancelled(spec, false);
		}
	}

	private serverGaveUp<T>(
		spec: CallSpec<T>,
		failure: GoogleFailure,
		cause: unknown,
		times: number,
	): DeliveryError {
		const unreachable = failure.kind === 'unreachable';
		return this.fail(
			'ECONNECTION',
			unreachable
				? `Could not reach the Gmail API at ${this.baseUrl} (${failure.message})`
				: `Gmail failed ${times} times while trying to ${spec.what} (${describeFailure(failure)})${spec.send ? '; Sent was checked after each failure: the message was not sent' : ''}`,
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

	/** The execution was cancelled: a send already on its way may have gone out, anything else did not. */
	cancelled<T>(spec: Pick<CallSpec<T>, 'what' | 'send'>, onItsWay: boolean): DeliveryError {
		const error =
			spec.send && onItsWay
				? new DeliveryError(
						'The execution was cancelled while the message was on its way to Gmail; it may have been sent, so it is not sent again',
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
		this.stopped ??= new DeliveryError('the execution was cancelled', {
			code: 'ENOTSENT',
			retryable: true,
			stopsBatch: true,
		});
		return error;
	}

	private fail(
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

	private remember(error: DeliveryError): DeliveryError {
		if (error.stopsBatch) this.stopped ??= error;
		return error;
	}

	private throwIfStopped<T>(spec: CallSpec<T>): void {
		if (this.options.signal?.aborted) throw this.cancelled(spec, false);
		if (!this.stopped) return;
		throw new DeliveryError(`Not attempted: ${this.stopped.message}`, {
			code: 'ENOTSENT',
			retryable: true,
			hint: this.stopped.hint,
			stopsBatch: true,
		});
	}
}
