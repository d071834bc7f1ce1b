/**
 * The suppression list in Redis (queue mode) against a real redis-server: two stores, as the main
 * process and a worker, share one list; an unreachable Redis is an ENOTSENT error naming it.
 */
import { RedisSuppressions } from '../../../core/coordination/suppressionsRedis';
import { describeWithRedis, startRedis, type TestRedis } from '../../support/redis';
import { suppressionContract, type StorePair } from './suppressionContract';

describeWithRedis('RedisSuppressions', () => {
	let redis: TestRedis;
	let pair: StorePair | undefined;
	let run = 0;

	beforeAll(async () => {
		redis = await startRedis();
	});
	afterAll(async () => {
		await redis?.stop();
	});

	suppressionContract(
		async () => {
			const settings = { host: redis.host, port: redis.port, prefix: `t${++run}:` };
			pair = { first: new RedisSuppressions(settings), second: new RedisSuppressions(settings) };
			return pair;
		},
		async () => {
			await pair?.first.close();
			await pair?.second.close();
		},
	);

	it('a Redis that does not answer stops with ENOTSENT naming where it looked', async () => {
		const store = new RedisSuppressions({ host: '127.0.0.1', port: 1 });
		await expect(store.find(['a@example.org'])).rejects.toMatchObject({
			code: 'ENOTSENT',
			retryable: true,
			message: expect.stringContaining('Redis at 127.0.0.1:1'),
		});
		await store.close();
	});
});
