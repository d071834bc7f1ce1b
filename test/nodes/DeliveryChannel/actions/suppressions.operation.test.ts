/**
 * List Suppressions, Add Suppression and Remove Suppression as n8n runs them (n8n-core in-process):
 * on the local store (the SQLite file in the n8n user folder), and in queue mode on a real Redis,
 * where a second store (another worker) sees what the node added.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { processCoordinator, processSuppressions } from '../../../../core/coordination';
import { RedisSuppressions } from '../../../../core/coordination/suppressionsRedis';
import { DeliveryChannel } from '../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import { chain, itemsNode, manualTrigger, node, runWorkflow } from '../../../helpers/n8n';
import { describeWithRedis, startRedis, type TestRedis } from '../../../support/redis';

const TYPE = 'CUSTOM.deliveryChannel';

async function run(parameters: INodeParameters, items: IDataObject[] = [{}]) {
	const trigger = manualTrigger();
	const source = itemsNode('Input', items);
	const step = node(
		'Step',
		TYPE,
		{ channel: 'smtp', ...parameters },
		{
			credentials: ['deliveryChannelSmtpApi'],
			onError: 'continueRegularOutput',
		},
	);
	const nodes = [trigger, source, step];
	const result = await runWorkflow({
		workflow: { nodes, connections: chain(...nodes) },
		nodeTypes: { [TYPE]: new DeliveryChannel() },
		credentials: { deliveryChannelSmtpApi: { host: '127.0.0.1', port: 1, security: 'none' } },
	});
	expect(result.error).toBeUndefined();
	return result.output('Step').map((item) => item.json);
}

const add = (email: string, reason = 'unsubscribe', note = '') =>
	run({ operation: 'addSuppression', email: '={{ $json.email }}', reason, note }, [{ email }]);

describe('on the local store', () => {
	it('adds (once), lists the newest first and removes', async () => {
		const [first] = await add('Jane <Jane@Example.ORG>', 'unsubscribe', 'Asked by phone');
		expect(first).toMatchObject({
			address: 'Jane@example.org',
			reason: 'unsubscribe',
			detail: 'Asked by phone',
			source: 'Add Suppression (smtp:cred-deliveryChannelSmtpApi)',
			added: true,
		});
		const [again] = await add('jane@example.org', 'manual');
		expect(again).toMatchObject({
			reason: 'unsubscribe',
			recordedAt: first.recordedAt,
			added: false,
		});
		await new Promise((resolve) => setTimeout(resolve, 5));
		await add('bob@example.org', 'complaint');

		const listed = await run({ operation: 'listSuppressions', returnAll: true });
		expect(listed.map((entry) => entry.address)).toEqual(['bob@example.org', 'Jane@example.org']);
		expect(await run({ operation: 'listSuppressions', returnAll: false, limit: 1 })).toHaveLength(
			1,
		);

		const removed = await run({ operation: 'removeSuppression', email: 'JANE@example.org' });
		expect(removed).toEqual([
			{
				address: 'Jane@example.org',
				removed: true,
				suppression: expect.objectContaining({ reason: 'unsubscribe' }),
			},
		]);
		expect(await run({ operation: 'removeSuppression', email: 'jane@example.org' })).toEqual([
			{ address: 'jane@example.org', removed: false },
		]);
		expect(
			(await run({ operation: 'listSuppressions', returnAll: true })).map((e) => e.address),
		).toEqual(['bob@example.org']);
	});

	it('a wrong address is an input error on the item', async () => {
		const [item] = await add('not an address');
		expect(item).toMatchObject({ status: 'failed', code: 'EINPUT', field: 'email' });
	});
});

describeWithRedis('in queue mode (Redis)', () => {
	let redis: TestRedis;
	beforeAll(async () => {
		redis = await startRedis();
		process.env.DELIVERY_CHANNEL_REDIS_URL = `redis://${redis.host}:${redis.port}/0`;
	});
	afterAll(async () => {
		// The node's process-wide connections to this Redis: left open, they would retry it forever.
		await processSuppressions().close();
		await processCoordinator().close();
		delete process.env.DELIVERY_CHANNEL_REDIS_URL;
		await redis?.stop();
	});

	it('what the node adds, another worker sees; what that worker records, the node lists', async () => {
		await add('lead@example.org');
		const worker = new RedisSuppressions({ host: redis.host, port: redis.port });
		try {
			expect(await worker.find(['LEAD@example.org'])).toEqual([
				expect.objectContaining({ address: 'lead@example.org', reason: 'unsubscribe' }),
			]);
			await worker.record([
				{
					address: 'dead@example.org',
					reason: 'hard-bounce',
					source: 'worker',
					recordedAt: new Date().toISOString(),
				},
			]);
			const listed = await run({ operation: 'listSuppressions', returnAll: true });
			expect(listed.map((entry) => entry.address)).toEqual([
				'dead@example.org',
				'lead@example.org',
			]);
		} finally {
			await worker.close();
		}
	});
});
