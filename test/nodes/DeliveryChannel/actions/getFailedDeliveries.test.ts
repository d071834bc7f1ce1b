/**
 * Failed Deliveries in n8n-core: a listing that a channel's cap cut short says so in the output
 * pane (an execution hint), and one that was complete does not.
 */
import type { INodeParameters } from 'n8n-workflow';

import { DeliveryChannel } from '../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import { channels } from '../../../../nodes/DeliveryChannel/channels/registry';
import type { FailedDeliveryList } from '../../../../nodes/DeliveryChannel/channels/types';
import { chain, manualTrigger, node, runWorkflow } from '../../../helpers/n8n';

const TYPE = 'CUSTOM.deliveryChannel';

afterEach(() => jest.restoreAllMocks());

async function list(listing: FailedDeliveryList) {
	jest.spyOn(channels.smtp, 'open').mockImplementation(async () => ({
		concurrency: 1,
		send: jest.fn(),
		listFailedDeliveries: async () => listing,
		close: async () => undefined,
	}));
	const trigger = manualTrigger();
	const parameters: INodeParameters = {
		channel: 'smtp',
		operation: 'getFailedDeliveries',
		returnAll: true,
	};
	const failed = node('Failed', TYPE, parameters, { credentials: ['deliveryChannelSmtpApi'] });
	return await runWorkflow({
		workflow: { nodes: [trigger, failed], connections: chain(trigger, failed) },
		nodeTypes: { [TYPE]: new DeliveryChannel() },
		credentials: { deliveryChannelSmtpApi: { host: '127.0.0.1' } },
	});
}

const failure = {
	channel: 'smtp' as const,
	recipient: 'gone@example.org',
	action: 'failed',
	kind: 'failure' as const,
	hard: true,
	reason: 'userunknown',
	status: '5.1.1',
	replyCode: '550',
	diagnostic: '550 5.1.1 gone',
	message: {},
	link: { method: 'none', confidence: 'none' as const },
};

test('a listing cut short by a cap says so in the output pane', async () => {
	const result = await list({
		failures: [failure],
		truncated: true,
		truncatedReason: '500 reports read; 120 more are waiting',
	});
	expect(result.output('Failed')).toHaveLength(1);
	const hints = result.taskData('Failed')?.hints ?? [];
	expect(hints).toEqual([
		expect.objectContaining({
			location: 'outputPane',
			message: expect.stringContaining('500 reports read; 120 more are waiting'),
		}),
	]);
});

test('a complete listing carries no hint', async () => {
	const result = await list({ failures: [failure], truncated: false });
	expect(result.taskData('Failed')?.hints ?? []).toEqual([]);
});
