/**
 * Every Gmail API call of one execution goes through `GmailApi.call`: it waits for quota in the
 * shared token bucket, renews the token once on 401, sits out rate limits (Retry-After, else
 * exponential backoff) while the bucket slows the other requests down, retries 5xx, and stops
 * everything on the daily sending limit or a dead grant.
 */
import { gmail, type gmail_v1 } from '@googleapis/gmail';

import { DeliveryError, type DeliveryErrorCode } from '../errors';
import { reconnectError, type N8nTokenAuth } from './auth';
import { describeFailure, readGoogleFailure, type GoogleFailure } from './errors';
import { backoffMs, realSleep, type Sleep, type TokenBucket } from './pacing';

/** Quota units per method (Gmail API usage limits). */
export const UNITS = { send: 100, list: 5, get: 5, sendAs: 1, profile: 1 } as const;

export interface CallSpec<T> {
	units: number;
	/** What we were doing, for messages: "send the message", "list bounce reports". */
	what: string;
	/** A send: a broken connection may have sent the message, so it is not simply tried again. */
	isSend?: boolean;
	/** The method needs a scope the credential may lack; says which switch to turn on. */
	scopeHint: string;
	/** Before trying a send again after an answer that leaves its fate open: was it sent after all? */
	alreadyDone?: () => Promise<T | undefined>;
	timeoutMs?: number;
}

export interface CallResult<T> {
	data: T;
	attempts: number;
	/** True when `alreadyDone` found the result instead of a new request. */
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
}

interface MethodOptions {
	retry: false;
	timeout: number;
	fetchImplementation: typeof fetch;
	rootUrl: string;
}

export class GmailApi {
	readonly gmail: gmail_v1.Gmail;
	/** Set once a failure makes every further call pointless (daily limit, dead grant). */
	stopped?: DeliveryError;
	private readonly sleep: Sleep;

	constructor(
		readonly auth: N8nTokenAuth,
		readonly baseUrl: string,
		private readonly options: GmailApiOptions,
	) {
		this.sleep = options.sleep ?? realSleep;
		this.gmail = gmail({ version: 'v1', auth: auth.client, rootUrl: `${baseUrl}/` });
	}

	get bucket(): TokenBucket {
		return this.options.bucket;
	}

	async call<T>(spec: CallSpec<T>, request: (options: MethodOptions) => Promise<{ data: T }>): Promise<CallResult<T>> {
		const rateAttempts = this.options.rateAttempts ?? 8;
		const serverAttempts = this.options.serverAttempts ?? 4;
		let attempts = 0;
		let rateFailures = 0;
		let serverFailures = 0;
		let renewed = false;
		let uncertain = false;
		for (;;) {
			this.throwIfStopped();
			if (uncertain && spec.alreadyDone) {
				const done = await spec.alreadyDone().catch(() => undefined);
				if (done !== undefined) return { data: done, attempts, recovered: true };
			}
			await this.options.bucket.take(spec.units);
			this.throwIfStopped();
			attempts++;
			const tokenUsed = this.auth.accessToken;
			try {
				// retry: false because this loop owns retries (gaxios would retry on its own schedule).
				// Node's own fetch: gaxios would otherwise import node-fetch (an ES module) on first use.
				// rootUrl again per call: the client builds some URLs from the call's options only, and the
				// resumable upload (upload.ts) starts its session at it.
				const result = await request({ retry: false, timeout: spec.timeoutMs ?? 60_000, fetchImplementation: fetch, rootUrl: `${this.baseUrl}/` });
				this.options.bucket.speedUp();
				return { data: result.data, attempts };
			} catch (error) {
				if (error instanceof DeliveryError) throw this.remember(error);
				const failure = readGoogleFailure(error);
				switch (failure.kind) {
					case 'unauthenticated':
						if (renewed) throw this.remember(reconnectError(`Google still refuses the renewed access token (${describeFailure(failure)})`, error));
						renewed = true;
						try {
							await this.auth.refresh(tokenUsed);
						} catch (refreshError) {
							throw this.remember(refreshError as DeliveryError);
						}
						continue;
					case 'scope':
						throw this.remember(
							new DeliveryError(`The Gmail credential may not ${spec.what}: Google says it lacks the scope for it (${failure.message})`, {
								code: 'EAUTH',
								responseCode: failure.httpStatus,
								response: describeFailure(failure),
								hint: spec.scopeHint,
								stopsBatch: true,
								cause: error,
							}),
						);
					case 'daily':
						throw this.remember(
							new DeliveryError(`Gmail's daily sending limit for this account is reached (${failure.message})`, {
								code: 'EQUOTA',
								retryable: true,
								responseCode: failure.httpStatus,
								response: describeFailure(failure),
								hint: 'Gmail allows about 2,000 messages a day per Google Workspace user (500 for a free account), counted over a rolling 24 hours. The items after this one were not sent; run them again later.',
								stopsBatch: true,
								cause: error,
							}),
						);
					case 'rate': {
						rateFailures++;
						if (rateFailures >= rateAttempts) {
							throw this.fail('ERATELIMIT', `Gmail kept answering "rate limit exceeded" ${rateFailures} times while trying to ${spec.what}`, failure, error, {
								retryable: true,
								hint: 'Lower Sends per Minute in the Gmail options, or run fewer workflows with this account at the same time.',
							});
						}
						// This request waits as Google asked; the others go on at a lower pace, so one
						// refusal does not stall the batch and repeated ones slow everything down.
						this.options.bucket.slowDown(spec.units);
						await this.sleep(failure.retryAfterMs ?? backoffMs(rateFailures, 1_000, 32_000, this.options.random));
						continue;
					}
					case 'server':
					case 'unreachable':
					case 'interrupted': {
						if (failure.kind === 'interrupted' && spec.isSend && !spec.alreadyDone) {
							throw this.fail('EUNKNOWN', `The connection to Gmail broke while sending (${failure.message}); the message may have been sent, so it is not sent again`, failure, error, {
								hint: "Check the account's Sent folder before sending this item again.",
							});
						}
						serverFailures++;
						if (spec.isSend && failure.kind !== 'unreachable') uncertain = true;
						if (serverFailures >= serverAttempts) {
							const unreachable = failure.kind === 'unreachable';
							throw this.fail(
								spec.isSend && uncertain ? 'EUNKNOWN' : 'ECONNECTION',
								unreachable
									? `Could not reach the Gmail API at ${this.baseUrl} (${failure.message})`
									: `Gmail failed ${serverFailures} times while trying to ${spec.what} (${describeFailure(failure)})`,
								failure,
								error,
								{
									retryable: !(spec.isSend && uncertain),
									hint: unreachable
										? 'Check the network, and the API Base URL of the Gmail credential.'
										: spec.isSend && uncertain
											? "Google's servers had trouble; the message may have been sent. Check the Sent folder before sending this item again."
											: "Google's servers had trouble; try again in a few minutes.",
								},
							);
						}
						await this.sleep(failure.retryAfterMs ?? backoffMs(serverFailures, 1_000, 16_000, this.options.random));
						continue;
					}
					default:
						throw this.fail(spec.isSend ? 'EMESSAGE' : 'EPROTOCOL', `Gmail refused to ${spec.what}: ${failure.message}`, failure, error);
				}
			}
		}
	}

	private fail(code: DeliveryErrorCode, message: string, failure: GoogleFailure, cause: unknown, extra: { retryable?: boolean; hint?: string } = {}): DeliveryError {
		return new DeliveryError(message, { code, responseCode: failure.httpStatus, response: describeFailure(failure), cause, ...extra });
	}

	private remember(error: DeliveryError): DeliveryError {
		if (error.stopsBatch) this.stopped ??= error;
		return error;
	}

	private throwIfStopped(): void {
		if (!this.stopped) return;
		throw new DeliveryError(`Not attempted: ${this.stopped.message}`, {
			code: 'ENOTSENT',
			retryable: true,
			hint: this.stopped.hint,
			stopsBatch: true,
		});
	}
}
