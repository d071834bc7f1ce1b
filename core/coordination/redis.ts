/**
 * Coordination in Redis, the broker n8n queue mode already runs: every worker and the main process
 * share the idempotency ledger and the limits. Connection slots are redis-semaphore semaphores (a
 * crashed worker's slot expires with its lock), daily caps rate-limiter-flexible counters, and the
 * per-minute limit a sliding window in a sorted set (fixed windows, which rate-limit libraries keep,
 * let 2N messages through across a window's edge: "N in any 60 s" is one script on Redis's clock).
 */
import { randomUUID } from 'node:crypto';

import Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { Semaphore } from 'redis-semaphore';

import { DeliveryError } from '../errors';
import { sleep } from '../retry';
import { DAY_MS } from './daily';
import { KEY_RETENTION_MS, keyDigest } from './keys';
import { cancelledWhileWaiting, MINUTE_MS, waitTooLong } from './memory';
import type * as T from './types';
import { LEDGER_SCRIPTS, RESTAMP_SCRIPT, WINDOW_SCRIPT } from './redisScripts';
import { announceWaiter, anyWaiter } from './redisWaiters';
import { redisOptions } from './redisClient';

export interface RedisSettings {
	host: string;
	port: number;
	db?: number;
	username?: string;
	password?: string;
	tls?: boolean;
	/** Prefix of every key we write (default `delivery-channel:`). */
	prefix?: string;
}

/** How long a connection slot lives without its holder renewing it (a crashed worker's slot). */
const SLOT_LOCK_MS = 30_000;

export class RedisCoordinator implements T.Coordinator {
	readonly kind = 'redis' as const;
	readonly where: string;
	private readonly client: Redis;
	private readonly prefix: string;
	private ready?: Promise<void>;
	private readonly daily = new Map<string, RateLimiterRedis>();

	constructor(settings: RedisSettings) {
		this.where = `Redis at ${settings.host}:${settings.port}`;
		this.prefix = settings.prefix ?? 'delivery-channel:';
		this.client = new Redis(redisOptions(settings));
		// Without a listener an 'error' event would end the process; failures reach the callers.
		this.client.on('error', () => undefined);
		this.client.defineCommand('dcWindow', { numberOfKeys: 1, lua: WINDOW_SCRIPT });
		this.client.defineCommand('dcRestamp', { numberOfKeys: 1, lua: RESTAMP_SCRIPT });
		for (const [name, lua] of Object.entries(LEDGER_SCRIPTS))
			this.client.defineCommand(name, { numberOfKeys: 1, lua });
	}

	/** Connects once; an unreachable Redis fails every call that needs it, naming where it looked. */
	private async connected(): Promise<Redis> {
		this.ready ??= this.client.connect().catch((error: Error) => {
			this.ready = undefined;
			throw error;
		});
		try {
			await this.ready;
		} catch (error) {
			throw this.unreachable(error);
		}
		return this.client;
	}

	private unreachable(error: unknown): DeliveryError {
		return new DeliveryError(
			`Not sent: the coordination store (${this.where}) cannot be reached: ${(error as Error)?.message ?? error}`,
			{
				code: 'ENOTSENT',
				retryable: true,
				cause: error,
				hint: 'Idempotency keys and shared sending limits need it, so nothing is sent without it. Check that Redis is running.',
			},
		);
	}

	private async call<T>(work: (client: Redis) => Promise<T>): Promise<T> {
		const client = await this.connected();
		try {
			return await work(client);
		} catch (error) {
			if (error instanceof DeliveryError) throw error;
			throw this.unreachable(error);
		}
	}

	private ledgerKey(scope: string, key: string): string {
		return `${this.prefix}key:${keyDigest(scope, key)}`;
	}

	async reserve(
		scope: string,
		key: string,
		proposal: T.LedgerProposal,
		leaseMs?: number,
	): Promise<T.Reservation> {
		const token = randomUUID();
		const entry: T.LedgerEntry = { ...proposal, state: 'reserved', token };
		const [done, raw] = await this.ledger((commands) =>
			commands.dcReserve(
				this.ledgerKey(scope, key),
				JSON.stringify(entry),
				KEY_RETENTION_MS,
				leaseMs ?? 0,
			),
		);
		if (!raw) return { kind: 'reserved', token };
		const existing = JSON.parse(raw) as T.LedgerEntry;
		if (done === 1) return { kind: 'reserved', token, replaced: existing };
		return existing.state === 'sent'
			? { kind: 'sent', entry: existing }
			: { kind: 'pending', entry: existing };
	}

	async start(scope: string, key: string, token: string): Promise<boolean> {
		const done = await this.ledger((commands) =>
			commands.dcStart(this.ledgerKey(scope, key), token, new Date().toISOString()),
		);
		return done === 1;
	}

	async renew(scope: string, key: string, token: string, leaseMs: number): Promise<boolean> {
		const done = await this.ledger((commands) =>
			commands.dcRenew(this.ledgerKey(scope, key), token, leaseMs),
		);
		return done === 1;
	}

	/** Runs one of the ledger's scripts (redisScripts.ts). */
	private ledger<R>(work: (commands: LedgerCommands) => Promise<R>): Promise<R> {
		return this.call((client) => work(client as unknown as LedgerCommands));
	}

	async confirm(
		scope: string,
		key: string,
		token: string,
		sent: Pick<T.LedgerEntry, 'messageId' | 'sentAt' | 'details'>,
	) {
		await this.ledger((commands) =>
			commands.dcConfirm(this.ledgerKey(scope, key), token, JSON.stringify(sent), KEY_RETENTION_MS),
		);
	}

	async release(scope: string, key: string, token: string): Promise<void> {
		await this.ledger((commands) => commands.dcRelease(this.ledgerKey(scope, key), token));
	}

	async takeOver(
		scope: string,
		key: string,
		staleToken: string,
		proposal: T.LedgerProposal,
		leaseMs?: number,
	): Promise<string | false> {
		const token = randomUUID();
		const entry: T.LedgerEntry = { ...proposal, state: 'reserved', token };
		const done = await this.ledger((commands) =>
			commands.dcTakeOver(
				this.ledgerKey(scope, key),
				JSON.stringify(entry),
				KEY_RETENTION_MS,
				leaseMs ?? 0,
				staleToken,
			),
		);
		return done === 1 ? token : false;
	}

	async connectionSlot(
		account: string,
		max: number,
		wait: T.WaitOptions,
	): Promise<() => Promise<void>> {
		const client = await this.connected();
		const semaphore = new Semaphore(client, `${this.prefix}connections:${account}`, max, {
			lockTimeout: SLOT_LOCK_MS,
			refreshInterval: SLOT_LOCK_MS / 3,
			acquireTimeout: wait.maxWaitMs,
			retryInterval: 50,
		});
		try {
			await semaphore.acquire(wait.signal);
		} catch (error) {
			if (wait.signal?.aborted) throw cancelledWhileWaiting();
			if (
				(error as Error)?.name === 'TimeoutError' ||
				/timeout/i.test(String((error as Error)?.message))
			)
				throw waitTooLong(`one of ${max} connections`, wait.maxWaitMs, wait.maxWaitMs);
			throw this.unreachable(error);
		}
		return async () => {
			await semaphore.release().catch(() => undefined);
		};
	}

	announceSlotWait(account: string): () => void {
		return announceWaiter(this.call.bind(this), `${this.prefix}slot-waiters:${account}`);
	}

	async slotWanted(account: string): Promise<boolean> {
		return await anyWaiter(this.call.bind(this), `${this.prefix}slot-waiters:${account}`);
	}

	async messageSlot(
		account: string,
		perMinute: number,
		wait: T.WaitOptions,
	): Promise<T.MessagePlace> {
		const key = `${this.prefix}minute:${account}`;
		const windowMs = wait.windowMs ?? MINUTE_MS;
		const member = randomUUID();
		const started = Date.now();
		for (;;) {
			if (wait.signal?.aborted) throw cancelledWhileWaiting();
			const waitMs = Number(
				await this.call((client) =>
					(client as unknown as WindowCommand).dcWindow(key, perMinute, windowMs, member),
				),
			);
			if (waitMs <= 0)
				return {
					restamp: async () => {
						await this.call((client) =>
							(client as unknown as WindowCommand).dcRestamp(key, member, windowMs),
						);
					},
				};
			const left = started + wait.maxWaitMs - Date.now();
			if (waitMs > left)
				throw waitTooLong(
					`a free place among ${perMinute} messages per minute`,
					waitMs,
					wait.maxWaitMs,
				);
			try {
				await sleep(waitMs, wait.signal);
			} catch {
				throw cancelledWhileWaiting();
			}
		}
	}

	private dailyLimiter(kind: 'messages' | 'recipients', cap: number): RateLimiterRedis {
		const name = `${kind}:${cap}`;
		let limiter = this.daily.get(name);
		if (!limiter) {
			limiter = new RateLimiterRedis({
				storeClient: this.client,
				keyPrefix: `${this.prefix}day-${kind}`,
				points: cap,
				duration: DAY_MS / 1000,
			});
			this.daily.set(name, limiter);
		}
		return limiter;
	}

	async countDaily(
		account: string,
		recipients: number,
		limits: T.SendingLimits,
	): Promise<T.QuotaRefusal | undefined> {
		const counts: Array<[T.QuotaRefusal['limit'], RateLimiterRedis, number, number]> = [];
		if (limits.messagesPerDay)
			counts.push([
				'messagesPerDay',
				this.dailyLimiter('messages', limits.messagesPerDay),
				1,
				limits.messagesPerDay,
			]);
		if (limits.recipientsPerDay)
			counts.push([
				'recipientsPerDay',
				this.dailyLimiter('recipients', limits.recipientsPerDay),
				recipients,
				limits.recipientsPerDay,
			]);
		if (!counts.length) return undefined;
		await this.connected();
		const counted: Array<[RateLimiterRedis, number]> = [];
		for (const [limit, limiter, points, cap] of counts) {
			try {
				await limiter.consume(account, points);
				counted.push([limiter, points]);
			} catch (answer) {
				if (!(answer instanceof RateLimiterRes)) throw this.unreachable(answer);
				// Refused: give back what this message counted, so a refusal costs nothing.
				for (const [done, n] of [...counted, [limiter, points] as [RateLimiterRedis, number]])
					await done.reward(account, n).catch(() => undefined);
				return {
					limit,
					cap,
					used: Math.max(0, answer.consumedPoints - points),
					resetsAt: new Date(Date.now() + answer.msBeforeNext),
				};
			}
		}
		return undefined;
	}

	async close(): Promise<void> {
		this.client.disconnect();
	}
}

interface LedgerCommands {
	/** [1] reserved, [1, old] took an abandoned one over, [0, existing] held or used. */
	dcReserve(
		key: string,
		entry: string,
		ttlMs: number,
		leaseMs: number,
	): Promise<[number, string | undefined]>;
	dcStart(key: string, token: string, startedAt: string): Promise<number>;
	dcRenew(key: string, token: string, leaseMs: number): Promise<number>;
	dcConfirm(key: string, token: string, sent: string, ttlMs: number): Promise<number>;
	dcRelease(key: string, token: string): Promise<number>;
	dcTakeOver(
		key: string,
		entry: string,
		ttlMs: number,
		leaseMs: number,
		staleToken: string,
	): Promise<number>;
}

interface WindowCommand {
	dcWindow(key: string, limit: number, windowMs: number, member: string): Promise<number>;
	dcRestamp(key: string, member: string, windowMs: number): Promise<number>;
}
