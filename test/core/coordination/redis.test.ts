import { RedisCoordinator } from '../../../core/coordination/redis';
import { describeWithRedis, startRedis, type TestRedis } from '../../support/redis';
import { coordinatorContract } from './contract';

describeWithRedis(
	'RedisCoordinator: several coordinators on one Redis (n8n queue-mode workers)',
	() => {
		let redis: TestRedis;
		beforeAll(async () => {
			redis = await startRedis();
		});
		afterAll(async () => {
			await redis?.stop();
		});
		coordinatorContract(() => new RedisCoordinator({ host: redis.host, port: redis.port }), {
			sharedLimits: true,
		});

		test('a Redis that cannot be reached: ENOTSENT naming where it looked, nothing reserved', async () => {
			const c = new RedisCoordinator({ host: '127.0.0.1', port: 1 });
			const error = await c
				.reserve('s', 'k', { messageId: 'm', deliveryId: 'd', reservedAt: 'now' })
				.catch((e: unknown) => e);
			expect(error).toMatchObject({ code: 'ENOTSENT', retryable: true });
			expect((error as Error).message).toContain('Redis at 127.0.0.1:1');
			await c.close();
		});
	},
);
