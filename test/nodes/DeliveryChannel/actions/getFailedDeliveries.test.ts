/**
 * Failed Deliveries in n8n-core: a listing that a channel's cap cut short says so in the output
 * pane (an execution hint), and one that was complete does not; replies join the failures only when
 * asked for, and a channel that cannot list them says so.
 */
import type { INodeParameters } from 'n8n-workflow';

import { DeliveryChannel } from '../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import { channels } from '../../../../nodes/DeliveryChannel/channels/registry';
import type {
	FailedDeliveryList,
	FailedDeliveryQuery,
	MailboxReply,
} from '../../../../nodes/DeliveryChannel/channels/types';
import { chain, manualTrigger, node, runWorkflow } from '../../../helpers/n8n';

const TYPE = 'CUSTOM.deliveryChannel';

afterEach(() => jest.restoreAllMocks());

const queries: FailedDeliveryQuery[] = [];

async function list(listing: FailedDeliveryList, extra: INodeParameters = {}) {
	queries.length = 0;
	jest.spyOn(channels.smtp, 'open').mockImplementation(async () => ({
		concurrency: 1,
		send: jest.fn(),
		listFailedDeliveries: async (query: FailedDeliveryQuery) => {
			queries.push(query);
			return listing;
		},
		close: async () => undefined,
	}));
	const trigger = manualTrigger();
	const parameters: INodeParameters = {
		channel: 'smtp',
		operation: 'getFailedDeliveries',
		returnAll: true,
		...extra,
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

const reply = (from: string, kind: MailboxReply['kind'], receivedAt: string): MailboxReply => ({
	channel: 'smtp',
	kind,
	...(kind === 'autoreply' ? { autoReplyKind: 'out-of-office' as const } : {}),
	recipient: from,
	from,
	subject: 'Re: Offer',
	excerpt: 'Thanks',
	receivedAt,
	message: { messageId: '<dc-1@shop.example>' },
	link: { method: 'in-reply-to', confidence: 'high' },
	details: { reportReceivedAt: receivedAt },
});

test('Include Replies and Auto-Replies asks the channel for them; they join the failures newest first', async () => {
	const older = { ...failure, details: { reportReceivedAt: '2026-11-02T10:00:00.000Z' } };
	const listing = {
		failures: [older],
		replies: [
			reply('ann@client.example', 'autoreply', '2026-11-02T12:00:00.000Z'),
			reply('bob@client.example', 'reply', '2026-11-02T09:00:00.000Z'),
		],
		truncated: false,
	};
	const result = await list(listing, { filters: { includeReplies: true } });
	expect(queries[0].includeReplies).toBe(true);
	const items = result.output('Failed').map((item) => item.json);
	expect(items.map((item) => `${item.recipient} ${item.kind}`)).toEqual([
		'ann@client.example autoreply',
		'gone@example.org failure',
		'bob@client.example reply',
	]);
	expect(items[0]).not.toHaveProperty('hard');
	expect(items[0].autoReplyKind).toBe('out-of-office');
	// The limit counts every item.
	const limited = await list(listing, {
		returnAll: false,
		limit: 2,
		filters: { includeReplies: true },
	});
	expect(limited.output('Failed')).toHaveLength(2);
	// Without the option the channel is not asked for replies.
	await list({ failures: [older], truncated: false });
	expect(queries[0].includeReplies).toBe(false);
});

test('a channel that cannot list replies says so in the output pane, never an empty answer without a word', async () => {
	const result = await list(
		{
			failures: [],
			truncated: false,
			repliesUnavailable: 'MSC lists no replies or auto-replies: ...',
		},
		{ filters: { includeReplies: true } },
	);
	expect(result.taskData('Failed')?.hints ?? []).toEqual([
		expect.objectContaining({
			location: 'outputPane',
			message: expect.stringMatching(/^MSC lists no replies/),
		}),
	]);
});
