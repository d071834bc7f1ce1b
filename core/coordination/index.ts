/**
 * Which coordinator this process uses, chosen once from its environment and shared by every
 * execution in it (module-level, so one n8n process has one ledger handle, one set of slots):
 *
 * - `DELIVERY_CHANNEL_REDIS_URL` (redis:// or rediss://) → that Redis;
 * - else, in n8n queue mode (`EXECUTIONS_MODE=queue`) → the Redis n8n's queue uses
 *   (`QUEUE_BULL_REDIS_HOST`, `_PORT`, `_DB`, `_USERNAME`, `_PASSWORD`, `_TLS`), shared by all workers;
 * - else (or with `DELIVERY_CHANNEL_COORDINATION=local`) → this process and a SQLite file in the n8n
 *   user folder (`<N8N_USER_FOLDER or home>/.n8n/delivery-channel/coordination.sqlite`).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

import { inputError } from '../errors';
import { LocalCoordinator } from './local';
import { RedisCoordinator, type RedisSettings } from './redis';
import type { SuppressionStore } from './suppressions';
import { LocalSuppressions } from './suppressionsLocal';
import { RedisSuppressions } from './suppressionsRedis';
import type { Coordinator } from './types';

export type {
	Coordinator,
	LedgerEntry,
	MessagePlace,
	QuotaRefusal,
	Reservation,
	SendingLimits,
} from './types';
export type { Suppression, SuppressionReason, SuppressionStore } from './suppressions';
export { normalAddress, SUPPRESSION_REASONS } from './suppressions';
export { KEY_RETENTION_DAYS, deliveryIdForKey, keyProblem } from './keys';

/** The longest one send waits for its turn (a connection slot, a place in the minute window). */
export const MAX_WAIT_FOR_TURN_MS = 5 * 60_000;

type Env = Record<string, string | undefined>;

export type CoordinationChoice =
	{ kind: 'local'; file: string } | { kind: 'redis'; settings: RedisSettings };

/** Reads where the shared state lives from an environment like `process.env`. */
export function coordinationFromEnv(env: Env): CoordinationChoice {
	const forced = (env.DELIVERY_CHANNEL_COORDINATION ?? '').trim().toLowerCase();
	const userFolder = env.N8N_USER_FOLDER?.trim() || homedir();
	const local: CoordinationChoice = {
		kind: 'local',
		file: join(userFolder, '.n8n', 'delivery-channel', 'coordination.sqlite'),
	};
	if (forced === 'local') return local;
	if (forced && forced !== 'redis')
		throw inputError(
			'DELIVERY_CHANNEL_COORDINATION',
			`DELIVERY_CHANNEL_COORDINATION is "${forced}": use "local" or "redis"`,
		);
	const url = env.DELIVERY_CHANNEL_REDIS_URL?.trim();
	if (url) return { kind: 'redis', settings: redisFromUrl(url) };
	if ((env.EXECUTIONS_MODE ?? '').trim() === 'queue' || forced === 'redis') {
		const port = Number(env.QUEUE_BULL_REDIS_PORT || 6379);
		return {
			kind: 'redis',
			settings: {
				host: env.QUEUE_BULL_REDIS_HOST?.trim() || 'localhost',
				port: Number.isInteger(port) ? port : 6379,
				db: Number(env.QUEUE_BULL_REDIS_DB || 0) || 0,
				username: env.QUEUE_BULL_REDIS_USERNAME || undefined,
				password: env.QUEUE_BULL_REDIS_PASSWORD || undefined,
				tls: (env.QUEUE_BULL_REDIS_TLS ?? '').trim() === 'true',
			},
		};
	}
	return local;
}

function redisFromUrl(value: string): RedisSettings {
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw inputError(
			'DELIVERY_CHANNEL_REDIS_URL',
			'DELIVERY_CHANNEL_REDIS_URL is not a URL: use redis://host:port/db',
		);
	}
	if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
		throw inputError(
			'DELIVERY_CHANNEL_REDIS_URL',
			`DELIVERY_CHANNEL_REDIS_URL uses "${url.protocol}": use redis:// or rediss://`,
		);
	return {
		host: url.hostname || 'localhost',
		port: Number(url.port || 6379),
		db: Number(url.pathname.slice(1) || 0) || 0,
		username: decodeURIComponent(url.username) || undefined,
		password: decodeURIComponent(url.password) || undefined,
		tls: url.protocol === 'rediss:',
	};
}

const coordinators = new Map<string, Coordinator>();

/** The process-wide coordinator for a choice (one per distinct place). */
export function coordinatorFor(choice: CoordinationChoice): Coordinator {
	const id =
		choice.kind === 'local'
			? `local:${choice.file}`
			: `redis:${choice.settings.host}:${choice.settings.port}/${choice.settings.db ?? 0}:${choice.settings.prefix ?? ''}`;
	let coordinator = coordinators.get(id);
	if (!coordinator) {
		coordinator =
			choice.kind === 'local'
				? new LocalCoordinator(choice.file)
				: new RedisCoordinator(choice.settings);
		coordinators.set(id, coordinator);
	}
	return coordinator;
}

/** The coordinator this process's environment names. */
export function processCoordinator(env: Env = process.env): Coordinator {
	return coordinatorFor(coordinationFromEnv(env));
}

const suppressionStores = new Map<string, SuppressionStore>();

/**
 * The process-wide suppression list for a choice: in the coordinator's SQLite file (local), or in
 * the same Redis (queue mode), so it holds for every execution, workflow and worker.
 */
export function suppressionsFor(choice: CoordinationChoice): SuppressionStore {
	const id =
		choice.kind === 'local'
			? `local:${choice.file}`
			: `redis:${choice.settings.host}:${choice.settings.port}/${choice.settings.db ?? 0}:${choice.settings.prefix ?? ''}`;
	let store = suppressionStores.get(id);
	if (!store) {
		store =
			choice.kind === 'local'
				? new LocalSuppressions(choice.file)
				: new RedisSuppressions(choice.settings);
		suppressionStores.set(id, store);
	}
	return store;
}

/** The suppression list this process's environment names. */
export function processSuppressions(env: Env = process.env): SuppressionStore {
	return suppressionsFor(coordinationFromEnv(env));
}
