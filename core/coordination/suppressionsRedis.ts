/**
 * The suppression list in Redis (queue mode): one hash, `<prefix>suppressions`, address key →
 * the entry as JSON, shared by the main process and every worker. A change over an existing entry
 * is a compare-and-set (one script), so two workers recording the same address keep one record.
 */
import type Redis from 'ioredis';

import { DeliveryError } from '../errors';
import type { RedisSettings } from './redis';
import { redisClient } from './redisClient';
import {
	active,
	merged,
	newestFirst,
	present,
	suppressionKey,
	type StoredSuppression,
	type Suppression,
	type SuppressionStore,
} from './suppressions';

/** Replaces a field only while it still holds what was read: 1 done, 0 changed meanwhile. */
const COMPARE_AND_SET = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

interface CasCommand {
	dcSuppressionCas(key: string, field: string, expected: string, next: string): Promise<number>;
}

export class RedisSuppressions implements SuppressionStore {
	readonly where: string;
	private readonly client: Redis;
	private readonly hash: string;
	private ready?: Promise<void>;

	constructor(settings: RedisSettings) {
		this.where = `Redis at ${settings.host}:${settings.port}`;
		this.hash = `${settings.prefix ?? 'delivery-channel:'}suppressions`;
		this.client = redisClient(settings);
		this.client.defineCommand('dcSuppressionCas', { numberOfKeys: 1, lua: COMPARE_AND_SET });
	}

	private async call<T>(work: (client: Redis) => Promise<T>): Promise<T> {
		try {
			this.ready ??= this.client.connect().catch((error: Error) => {
				this.ready = undefined;
				throw error;
			});
			await this.ready;
			return await work(this.client);
		} catch (error) {
			if (error instanceof DeliveryError) throw error;
			throw new DeliveryError(
				`The suppression list (${this.where}) cannot be reached: ${(error as Error)?.message ?? error}`,
				{
					code: 'ENOTSENT',
					retryable: true,
					cause: error,
					hint: 'Nothing is sent without checking it. Check that Redis is running.',
				},
			);
		}
	}

	/** Stores `incoming` over what the field holds; false when the merge leaves it as it is. */
	private async recordOne(incoming: Suppression): Promise<boolean> {
		const field = suppressionKey(incoming.address);
		for (let attempt = 0; attempt < 10; attempt++) {
			const raw = await this.call((client) => client.hget(this.hash, field));
			const next = merged(raw ? (JSON.parse(raw) as StoredSuppression) : undefined, incoming);
			if (!next) return false;
			const json = JSON.stringify(next);
			const done = raw
				? await this.call((client) =>
						(client as unknown as CasCommand).dcSuppressionCas(this.hash, field, raw, json),
					)
				: await this.call((client) => client.hsetnx(this.hash, field, json));
			if (done === 1) return true;
		}
		return false;
	}

	async record(entries: Suppression[]): Promise<number> {
		let added = 0;
		for (const entry of entries) if (await this.recordOne(entry)) added++;
		return added;
	}

	async find(addresses: string[]): Promise<Suppression[]> {
		const keys = [...new Set(addresses.map(suppressionKey))];
		if (!keys.length) return [];
		const raws = await this.call((client) => client.hmget(this.hash, ...keys));
		return present(
			raws.map((raw) => (raw ? active(JSON.parse(raw) as StoredSuppression) : undefined)),
		);
	}

	async list(limit?: number): Promise<Suppression[]> {
		const all = await this.call((client) => client.hvals(this.hash));
		return newestFirst(
			present(all.map((raw) => active(JSON.parse(raw) as StoredSuppression))),
			limit,
		);
	}

	async remove(address: string, at = new Date()): Promise<Suppression | undefined> {
		const field = suppressionKey(address);
		for (let attempt = 0; attempt < 10; attempt++) {
			const raw = await this.call((client) => client.hget(this.hash, field));
			const was = active(raw ? (JSON.parse(raw) as StoredSuppression) : undefined);
			if (!raw || !was) return undefined;
			const json = JSON.stringify({ ...was, removedAt: at.toISOString() });
			const cas = (client: Redis) =>
				(client as unknown as CasCommand).dcSuppressionCas(this.hash, field, raw, json);
			if ((await this.call(cas)) === 1) return was;
		}
		return undefined;
	}

	async close(): Promise<void> {
		this.client.disconnect();
	}
}
