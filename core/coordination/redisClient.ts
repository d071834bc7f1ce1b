/** How this package connects to Redis: the coordinator and the suppression list use the same options. */
import Redis, { type RedisOptions } from 'ioredis';

import type { RedisSettings } from './redis';

export function redisOptions(settings: RedisSettings): RedisOptions {
	return {
		host: settings.host,
		port: settings.port,
		db: settings.db ?? 0,
		username: settings.username || undefined,
		password: settings.password || undefined,
		tls: settings.tls ? {} : undefined,
		lazyConnect: true,
		connectTimeout: 5_000,
		maxRetriesPerRequest: 2,
		enableOfflineQueue: true,
	};
}

/** A lazily connecting client; without an 'error' listener an error event would end the process. */
export function redisClient(settings: RedisSettings): Redis {
	const client = new Redis(redisOptions(settings));
	client.on('error', () => undefined);
	return client;
}
