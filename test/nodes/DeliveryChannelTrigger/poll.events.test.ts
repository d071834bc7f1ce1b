/**
 * The trigger's Events (Failed Delivery, Auto-Reply, Reply) through n8n-core's real PollContext,
 * with a scripted channel whose mailbox holds failures and replies arriving over time: each event
 * emits only its own items, each once, and replies are asked of the channel only when an event
 * wants them. A channel that cannot list replies stops the poll with its reason.
 */
import type { IDataObject, INode, INodeParameters } from 'n8n-workflow';

import { matchesQuery, replyMatchesQuery } from '../../../core/failures';
import { channels } from '../../../nodes/DeliveryChannel/channels/registry';
import type {
	ChannelSession,
	FailedDelivery,
	FailedDeliveryQuery,
	MailboxReply,
} from '../../../nodes/DeliveryChannel/channels/types';
import { DeliveryChannelTrigger } from '../../../nodes/DeliveryChannelTrigger/DeliveryChannelTrigger.node';
import { chosenEvents } from '../../../nodes/DeliveryChannelTrigger/poll';
import { pollOnce } from '../../support/poll';

const nodeType = new DeliveryChannelTrigger();
const MINUTE = 60_000;

let failures: FailedDelivery[] = [];
let replies: MailboxReply[] = [];
let unavailable: string | undefined;
const queries: FailedDeliveryQuery[] = [];

const at = (agoMs: number) => new Date(Date.now() - agoMs).toISOString();

function failure(recipient: string, agoMs: number): FailedDelivery {
	return {
		channel: 'smtp',
		recipient,
		action: 'failed',
		kind: 'failure',
		hard: true,
		reason: 'userunknown',
		status: '5.1.1',
		replyCode: '550',
		diagnostic: 'scripted',
		failedAt: at(agoMs),
		message: { messageId: `<dc-${recipient}@shop.example>` },
		link: { method: 'message-id', confidence: 'high' },
		details: { reportId: `INBOX/${recipient}`, reportReceivedAt: at(agoMs) },
	};
}

function reply(
	from: string,
	kind: MailboxReply['kind'],
	agoMs: number,
	ownId = `<r-${from}-${agoMs}@x>`,
): MailboxReply {
	return {
		channel: 'smtp',
		kind,
		...(kind === 'autoreply' ? { autoReplyKind: 'out-of-office' as const } : {}),
		recipient: from,
		from,
		subject: 'Re: Offer',
		excerpt: 'Thanks',
		receivedAt: at(agoMs),
		message: { messageId: `<dc-${from}@shop.example>` },
		link: { method: 'in-reply-to', confidence: 'high' },
		details: { reportId: `INBOX/${ownId}`, reportReceivedAt: at(agoMs), replyMessageId: ownId },
	};
}

beforeEach(() => {
	failures = [];
	replies = [];
	unavailable = undefined;
	queries.length = 0;
	jest.spyOn(channels.smtp, 'open').mockImplementation(async () => {
		const session: ChannelSession = {
			concurrency: 1,
			send: async () => {
				throw new Error('not used');
			},
			listFailedDeliveries: async (query) => {
				queries.push(query);
				const listing = {
					failures: failures.filter((entry) => matchesQuery(entry, query)),
					truncated: false,
					...(unavailable && query.includeReplies ? { repliesUnavailable: unavailable } : {}),
				};
				if (!query.includeReplies || unavailable) return listing;
				return { ...listing, replies: replies.filter((entry) => replyMatchesQuery(entry, query)) };
			},
			close: async () => undefined,
		};
		return session;
	});
});

afterEach(() => jest.restoreAllMocks());

function triggerNode(parameters: INodeParameters): INode {
	return {
		id: 'trigger',
		name: 'Trigger',
		type: 'CUSTOM.deliveryChannelTrigger',
		typeVersion: 1,
		position: [0, 0],
		parameters: { channel: 'smtp', filters: {}, ...parameters },
		credentials: { deliveryChannelSmtpApi: { id: '1', name: 'smtp' } },
	};
}

async function poll(staticData: IDataObject, parameters: INodeParameters) {
	const result = await pollOnce({
		node: triggerNode(parameters),
		nodeType,
		credentials: { deliveryChannelSmtpApi: { host: 'unused' } },
		staticData,
	});
	return {
		...result,
		emitted: result.items.map((item) => `${item.json.recipient} ${item.json.kind}`),
	};
}

describe('trigger events', () => {
	it('reads the events of a workflow saved before Events existed as Failed Delivery', () => {
		expect(chosenEvents(undefined)).toEqual(['failedDelivery']);
		expect(chosenEvents('failedDelivery')).toEqual(['failedDelivery']);
		expect(chosenEvents([])).toEqual(['failedDelivery']);
		expect(chosenEvents(['reply', 'autoReply', 'nonsense'])).toEqual(['autoReply', 'reply']);
	});

	it('Failed Delivery alone (the default) never asks for replies and never emits one', async () => {
		failures.push(failure('gone@client.example', 5 * MINUTE));
		replies.push(reply('ann@client.example', 'autoreply', 4 * MINUTE));
		for (const parameters of [{}, { event: 'failedDelivery' }, { events: ['failedDelivery'] }]) {
			queries.length = 0;
			const first = await poll({}, parameters);
			expect(first.emitted).toEqual(['gone@client.example failure']);
			expect(queries[0].includeReplies).toBe(false);
		}
	});

	it('each event emits its own items, oldest first, each once', async () => {
		failures.push(failure('gone@client.example', 5 * MINUTE));
		replies.push(reply('ann@client.example', 'autoreply', 6 * MINUTE));
		replies.push(reply('dee@client.example', 'reply', 4 * MINUTE));

		const onlyReplies = await poll({}, { events: ['reply'] });
		expect(onlyReplies.emitted).toEqual(['dee@client.example reply']);
		expect(queries[0].includeReplies).toBe(true);
		expect(onlyReplies.items[0].json).not.toHaveProperty('hard');

		const autoAndFailed = await poll({}, { events: ['failedDelivery', 'autoReply'] });
		expect(autoAndFailed.emitted).toEqual([
			'ann@client.example autoreply',
			'gone@client.example failure',
		]);
		const again = await poll(autoAndFailed.staticData, { events: ['failedDelivery', 'autoReply'] });
		expect(again.raw).toBeNull();

		// A second answer from the same lead to the same message is a new event.
		replies.push(reply('ann@client.example', 'autoreply', 0));
		const next = await poll(again.staticData, { events: ['failedDelivery', 'autoReply'] });
		expect(next.emitted).toEqual(['ann@client.example autoreply']);
	});

	it('a channel that cannot list replies stops the poll with its reason when a reply event is chosen', async () => {
		unavailable = 'MSC lists no replies or auto-replies: people reply to your own mailbox';
		failures.push(failure('gone@client.example', 5 * MINUTE));
		await expect(poll({}, { events: ['failedDelivery', 'reply'] })).rejects.toThrow(
			/MSC lists no replies/,
		);
		expect((await poll({}, { events: ['failedDelivery'] })).emitted).toEqual([
			'gone@client.example failure',
		]);
	});
});
