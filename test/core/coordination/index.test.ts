import { coordinationFromEnv, deliveryIdForKey, keyProblem } from '../../../core/coordination';
import { isOwnDeliveryId } from '../../../core/message/ids';

describe('coordinationFromEnv', () => {
	test('no settings: this process and a SQLite file in the n8n user folder', () => {
		expect(coordinationFromEnv({ N8N_USER_FOLDER: '/data' })).toEqual({
			kind: 'local',
			file: '/data/.n8n/delivery-channel/coordination.sqlite',
		});
	});

	test("queue mode: the Redis of n8n's queue, with its password, db and TLS", () => {
		expect(
			coordinationFromEnv({
				EXECUTIONS_MODE: 'queue',
				QUEUE_BULL_REDIS_HOST: 'redis',
				QUEUE_BULL_REDIS_PORT: '6380',
				QUEUE_BULL_REDIS_DB: '2',
				QUEUE_BULL_REDIS_PASSWORD: 'pw',
				QUEUE_BULL_REDIS_TLS: 'true',
			}),
		).toEqual({
			kind: 'redis',
			settings: {
				host: 'redis',
				port: 6380,
				db: 2,
				password: 'pw',
				tls: true,
				username: undefined,
			},
		});
		expect(coordinationFromEnv({ EXECUTIONS_MODE: 'queue' })).toMatchObject({
			kind: 'redis',
			settings: { host: 'localhost', port: 6379 },
		});
	});

	test('an explicit URL wins; local can be forced; wrong values name the variable and the value', () => {
		expect(
			coordinationFromEnv({ DELIVERY_CHANNEL_REDIS_URL: 'rediss://u:p%40ss@r.example:7000/3' }),
		).toEqual({
			kind: 'redis',
			settings: {
				host: 'r.example',
				port: 7000,
				db: 3,
				username: 'u',
				password: 'p@ss',
				tls: true,
			},
		});
		expect(
			coordinationFromEnv({ EXECUTIONS_MODE: 'queue', DELIVERY_CHANNEL_COORDINATION: 'local' })
				.kind,
		).toBe('local');
		expect(() => coordinationFromEnv({ DELIVERY_CHANNEL_COORDINATION: 'memcached' })).toThrow(
			/DELIVERY_CHANNEL_COORDINATION is "memcached"/,
		);
		expect(() => coordinationFromEnv({ DELIVERY_CHANNEL_REDIS_URL: 'http://x' })).toThrow(
			/DELIVERY_CHANNEL_REDIS_URL uses "http:"/,
		);
	});
});

describe('idempotency keys', () => {
	test('a key gives the same delivery id every time, another scope or key another one, recognised as ours', () => {
		const id = deliveryIdForKey('smtp:cred1', 'lead-42-intro');
		expect(id).toBe(deliveryIdForKey('smtp:cred1', 'lead-42-intro'));
		expect(id).not.toBe(deliveryIdForKey('smtp:cred2', 'lead-42-intro'));
		expect(id).not.toBe(deliveryIdForKey('smtp:cred1', 'lead-43-intro'));
		expect(isOwnDeliveryId(id)).toBe(true);
	});

	test('keys: 1 to 255 visible ASCII characters', () => {
		expect(keyProblem('lead-42')).toBeUndefined();
		expect(keyProblem('')).toMatch(/empty/);
		expect(keyProblem('lead 42')).toMatch(/visible ASCII/);
		expect(keyProblem('x'.repeat(256))).toMatch(/256 characters/);
	});
});
