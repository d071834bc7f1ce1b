/**
 * The Delivery Channel Trigger across polls, through n8n-core's real PollContext with the static
 * data saved (as JSON) between polls. The channel is a scripted one: its "mailbox" is a list of
 * failures whose reports arrive over time, filtered with the same matchesQuery every channel uses.
 */
import type { IDataObject, INode, INodeParameters } from 'n8n-workflow';

import { channels } from '../../../nodes/DeliveryChannel/channels/registry';
import type {
	ChannelSession,
	FailedDelivery,
	FailedDeliveryQuery,
} from '../../../nodes/DeliveryChannel/channels/types';
import { matchesQuery } from '../../../core/failures';
import { DeliveryChannelTrigger } from '../../../nodes/DeliveryChannelTrigger/DeliveryChannelTrigger.node';
import { STATE_LIMITS } from '../../../nodes/DeliveryChannelTrigger/dedupe';
import { MANUAL_LIMIT } from '../../../nodes/DeliveryChannelTrigger/poll';
import { runWorkflow } from '../../helpers/n8n';
import { pollOnce } from '../../support/poll';
import { processSuppressions } from '../../../core/coordination';

const TYPE = 'CUSTOM.deliveryChannelTrigger';
const nodeType = new DeliveryChannelTrigger();
const MINUTE = 60_000;

/** Reports in the scripted mailbox; tests push to it as reports "arrive". */
let mailbox: FailedDelivery[] = [];
const queries: FailedDeliveryQuery[] = [];
let closed = 0;

function failure(
	recipient: string,
	kind: FailedDelivery['kind'],
	receivedAgoMs: number,
	extra: Partial<FailedDelivery> & { deliveryId?: string; reportId?: string } = {},
): FailedDelivery {
	const {
		deliveryId = `dc-${recipient}`,
		reportId = `INBOX/${mailbox.length + 1}`,
		...rest
	} = extra;
	const receivedAt = new Date(Date.now() - receivedAgoMs).toISOString();
	return {
		channel: 'smtp',
		recipient,
		action: kind === 'failure' ? 'failed' : kind === 'delay' ? 'delayed' : 'complaint',
		kind,
		hard: kind === 'failure',
		reason: kind === 'failure' ? 'userunknown' : 'onhold',
		status: kind === 'failure' ? '5.1.1' : '4.2.1',
		replyCode: '',
		diagnostic: 'scripted',
		failedAt: receivedAt,
		message: { envelopeId: deliveryId, deliveryId, messageId: `<${deliveryId}@example.test>` },
		link: { method: 'envelope-id', confidence: 'high' },
		details: { reportId, reportReceivedAt: receivedAt },
		...rest,
	};
}

beforeEach(() => {
	mailbox = [];
	queries.length = 0;
	closed = 0;
	jest.spyOn(channels.smtp, 'open').mockImplementation(async () => {
		const session: ChannelSession = {
			concurrency: 1,
			send: async () => {
				throw new Error('not used');
			},
			listFailedDeliveries: async (query) => {
				queries.push(query);
				const found = mailbox.filter((entry) => matchesQuery(entry, query));
				found.sort(
					(a, b) =>
						Date.parse(String(b.details!.reportReceivedAt)) -
						Date.parse(String(a.details!.reportReceivedAt)),
				);
				return {
					failures: query.limit === undefined ? found : found.slice(0, query.limit),
					truncated: false,
				};
			},
			close: async () => {
				closed += 1;
			},
		};
		return session;
	});
});

afterEach(() => jest.restoreAllMocks());

function triggerNode(filters: IDataObject = { includeDelays: true }): INode {
	return {
		id: 'trigger',
		name: 'Trigger',
		type: TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: { channel: 'smtp', event: 'failedDelivery', filters: filters as INodeParameters },
		credentials: { deliveryChannelSmtpApi: { id: '1', name: 'smtp' } },
	};
}

async function poll(staticData: IDataObject, filters?: IDataObject) {
	const result = await pollOnce({
		node: triggerNode(filters),
		nodeType,
		credentials: { deliveryChannelSmtpApi: { host: 'unused' } },
		staticData,
	});
	return {
		...result,
		emitted: result.items.map((item) => `${item.json.recipient} ${item.json.kind}`),
	};
}

describe('Delivery Channel Trigger polls', () => {
	it('emits the last hour on the first poll, then only new failures, each once', async () => {
		mailbox.push(failure('old@example.net', 'failure', STATE_LIMITS.overlapMs + MINUTE));
		mailbox.push(failure('recent@example.net', 'failure', 10 * MINUTE));
		const first = await poll({});
		expect(first.emitted).toEqual(['recent@example.net failure']);
		expect(closed).toBe(1);

		mailbox.push(failure('new@example.net', 'failure', 0));
		const second = await poll(first.staticData);
		expect(second.emitted).toEqual(['new@example.net failure']);
		// Same item shape as the Failed Deliveries operation: the failure as the channel returns it.
		expect(second.items[0].json).toEqual(mailbox[2]);

		const third = await poll(second.staticData);
		expect(third.raw).toBeNull();
	});

	it('asks the channel for reports received since the previous poll, minus the overlap', async () => {
		const first = await poll({});
		const before = Date.now();
		await poll(first.staticData);
		const since = queries[1].receivedSince!.getTime();
		expect(since).toBeLessThanOrEqual(before - STATE_LIMITS.overlapMs);
		expect(since).toBeGreaterThan(before - STATE_LIMITS.overlapMs - 10_000);
		expect(queries[1]).toMatchObject({
			verdict: 'all',
			includeDelays: true,
			includeComplaints: false,
		});
		expect(queries[1].limit).toBeUndefined();
		expect(queries[1].since).toBeUndefined();
	});

	it('emits the failure that follows a delay, and the delay only once', async () => {
		const first = await poll({});
		mailbox.push(failure('slow@example.net', 'delay', 0, { deliveryId: 'dc-slow' }));
		const second = await poll(first.staticData);
		expect(second.emitted).toEqual(['slow@example.net delay']);

		// A second delay report for the same message: not news.
		mailbox.push(failure('slow@example.net', 'delay', 0, { deliveryId: 'dc-slow' }));
		const third = await poll(second.staticData);
		expect(third.raw).toBeNull();

		mailbox.push(failure('slow@example.net', 'failure', 0, { deliveryId: 'dc-slow', hard: false }));
		const fourth = await poll(third.staticData);
		expect(fourth.emitted).toEqual(['slow@example.net failure']);
		expect(fourth.items[0].json).toMatchObject({ hard: false, message: { deliveryId: 'dc-slow' } });
	});

	it('emits a report that arrives late, once, even when the failure happened long before the last poll', async () => {
		const first = await poll({});
		const second = await poll(first.staticData);
		expect(second.raw).toBeNull();
		// The failure happened three days ago; its report only reaches the mailbox now.
		mailbox.push(
			failure('late@example.net', 'failure', 0, {
				failedAt: new Date(Date.now() - 3 * 24 * 60 * MINUTE).toISOString(),
			}),
		);
		const third = await poll(second.staticData);
		expect(third.emitted).toEqual(['late@example.net failure']);
		expect((await poll(third.staticData)).raw).toBeNull();
	});

	it('emits a report that became visible after the poll that should have seen it (within the overlap)', async () => {
		const first = await poll({});
		const second = await poll(first.staticData);
		// Received (server time) five minutes before the last poll, visible only now.
		mailbox.push(failure('skew@example.net', 'failure', 5 * MINUTE));
		const third = await poll(second.staticData);
		expect(third.emitted).toEqual(['skew@example.net failure']);
		expect((await poll(third.staticData)).raw).toBeNull();
	});

	it('emits the same failure once when it is reported twice (a copy in Junk)', async () => {
		const first = await poll({});
		mailbox.push(failure('twice@example.net', 'failure', 0, { reportId: 'INBOX/7' }));
		mailbox.push(failure('twice@example.net', 'failure', 0, { reportId: 'Junk/3' }));
		const second = await poll(first.staticData);
		expect(second.emitted).toEqual(['twice@example.net failure']);
	});

	it('keeps failures of different messages to the same recipient apart', async () => {
		const first = await poll({});
		mailbox.push(failure('same@example.net', 'failure', 0, { deliveryId: 'dc-a' }));
		mailbox.push(failure('same@example.net', 'failure', 0, { deliveryId: 'dc-b' }));
		const second = await poll(first.staticData);
		expect(second.emitted).toEqual(['same@example.net failure', 'same@example.net failure']);
	});

	it('applies the filters: no delays unless asked, hard/soft, complaints', async () => {
		const first = await poll({}, {});
		mailbox.push(failure('slow@example.net', 'delay', 0));
		mailbox.push(failure('dead@example.net', 'failure', 0));
		mailbox.push(failure('soft@example.net', 'failure', 0, { hard: false, deliveryId: 'dc-soft' }));
		mailbox.push(failure('angry@example.net', 'complaint', 0));
		const hardOnly = await poll(first.staticData, { verdict: 'hard' });
		expect(hardOnly.emitted).toEqual(['dead@example.net failure']);
		const all = await poll(first.staticData, { includeComplaints: true });
		expect(all.emitted.sort()).toEqual([
			'angry@example.net complaint',
			'dead@example.net failure',
			'soft@example.net failure',
		]);
	});

	it('does not move on when listing fails, so nothing is lost', async () => {
		const first = await poll({});
		mailbox.push(failure('kept@example.net', 'failure', 0));
		jest.spyOn(channels.smtp, 'open').mockRejectedValueOnce(new Error('mailbox down'));
		await expect(poll(first.staticData)).rejects.toThrow('mailbox down');
		// The state from the first poll is still what n8n has; the next poll finds the failure.
		const third = await poll(first.staticData);
		expect(third.emitted).toEqual(['kept@example.net failure']);
	});

	it('keeps its state bounded', async () => {
		const first = await poll({});
		for (let i = 0; i < STATE_LIMITS.maxKeys + 50; i++)
			mailbox.push(failure(`r${i}@example.net`, 'failure', 0));
		const second = await poll(first.staticData);
		expect(second.items).toHaveLength(STATE_LIMITS.maxKeys + 50);
		const state = (second.staticData['node:Trigger'] as IDataObject).failedDeliveries as {
			seen: Record<string, number>;
		};
		expect(Object.keys(state.seen)).toHaveLength(STATE_LIMITS.maxKeys);
		expect(JSON.stringify(state).length).toBeLessThan(STATE_LIMITS.maxKeys * 40);
	});

	it('a manual run shows the most recent failures and leaves the state alone', async () => {
		for (let i = 0; i < MANUAL_LIMIT + 5; i++)
			mailbox.push(failure(`m${i}@example.net`, 'failure', i * MINUTE));
		const staticData: IDataObject = {};
		const { output, error } = await runWorkflow({
			workflow: { nodes: [triggerNode()], connections: {}, staticData },
			nodeTypes: { [TYPE]: nodeType },
			credentials: { deliveryChannelSmtpApi: { host: 'unused' } },
		});
		expect(error).toBeUndefined();
		const items = output('Trigger');
		expect(items).toHaveLength(MANUAL_LIMIT);
		expect(items[0].json.recipient).toBe('m0@example.net');
		expect(queries[0]).toMatchObject({ limit: MANUAL_LIMIT });
		expect(queries[0].receivedSince).toBeUndefined();
		expect(staticData).toEqual({});
	});

	it('a manual run with no failure says so and how to get one (n8n would show nothing)', async () => {
		const staticData: IDataObject = {};
		const { error } = await runWorkflow({
			workflow: { nodes: [triggerNode()], connections: {}, staticData },
			nodeTypes: { [TYPE]: nodeType },
			credentials: { deliveryChannelSmtpApi: { host: 'unused' } },
		});
		expect(error?.message).toBe('No failed delivery found');
		expect(String((error as { description?: string }).description)).toMatch(
			/send an email to an address that does not exist/,
		);
		expect(staticData).toEqual({});
	});

	it('hands the channel its checkpoint from the previous poll and keeps the new one', async () => {
		const listed = jest.fn(async (query: FailedDeliveryQuery) => ({
			failures: [],
			truncated: false,
			checkpoint: { read: Number((query.checkpoint as IDataObject | undefined)?.read ?? 0) + 1 },
		}));
		jest.spyOn(channels.smtp, 'open').mockImplementation(async () => ({
			concurrency: 1,
			send: jest.fn(),
			listFailedDeliveries: listed,
			close: async () => undefined,
		}));
		const first = await poll({});
		expect(listed.mock.calls[0][0].checkpoint).toBeUndefined();
		const second = await poll(first.staticData);
		expect(listed.mock.calls[1][0].checkpoint).toEqual({ read: 1 });
		await poll(second.staticData);
		expect(listed.mock.calls[2][0].checkpoint).toEqual({ read: 2 });

		// A checkpoint belongs to its channel: switched to another one, it is not handed over.
		const state = (second.staticData['node:Trigger'] as IDataObject)
			.failedDeliveries as IDataObject;
		state.checkpoint = { channel: 'gmail', value: { historyId: '9' } };
		await poll(second.staticData);
		expect(listed.mock.calls[3][0].checkpoint).toBeUndefined();
	});

	it('does not move its window past reports a capped listing left unread', async () => {
		let truncated = true;
		const listed = jest.fn(async (query: FailedDeliveryQuery) => {
			queries.push(query);
			return {
				failures: mailbox.filter((entry) => matchesQuery(entry, query)).slice(0, 1),
				truncated,
				truncatedReason: 'cap of 1 report per poll',
			};
		});
		jest.spyOn(channels.smtp, 'open').mockImplementation(async () => ({
			concurrency: 1,
			send: jest.fn(),
			listFailedDeliveries: listed,
			close: async () => undefined,
		}));
		const first = await poll({});
		mailbox.push(failure('a@example.net', 'failure', 0), failure('b@example.net', 'failure', 0));
		await new Promise((resolve) => setTimeout(resolve, 5)); // a later start than the first poll's
		const second = await poll(first.staticData);
		expect(second.emitted).toEqual(['a@example.net failure']);
		const window = (staticData: IDataObject) =>
			((staticData['node:Trigger'] as IDataObject).failedDeliveries as IDataObject).lastPoll;
		expect(window(second.staticData)).toBe(window(first.staticData));
		truncated = false;
		mailbox.shift();
		const third = await poll(second.staticData);
		expect(third.emitted).toEqual(['b@example.net failure']);
		expect(window(third.staticData)).toBeGreaterThan(Number(window(first.staticData)));
	});

	it('emits oldest first whatever order the channel lists in', async () => {
		// Listings that resume from a checkpoint come oldest first, the others newest first.
		jest.spyOn(channels.smtp, 'open').mockImplementation(async () => ({
			concurrency: 1,
			send: jest.fn(),
			listFailedDeliveries: async (query: FailedDeliveryQuery) => ({
				failures: mailbox.filter((entry) => matchesQuery(entry, query)),
				truncated: false,
			}),
			close: async () => undefined,
		}));
		const first = await poll({});
		mailbox.push(
			failure('older@example.net', 'failure', 2 * MINUTE),
			failure('newest@example.net', 'failure', 0),
			failure('middle@example.net', 'failure', MINUTE),
		);
		const second = await poll(first.staticData);
		expect(second.emitted).toEqual([
			'older@example.net failure',
			'middle@example.net failure',
			'newest@example.net failure',
		]);
	});

	it('turns channel errors into node errors with the hint', async () => {
		jest
			.spyOn(channels.smtp, 'open')
			.mockResolvedValueOnce({ concurrency: 1, send: jest.fn(), close: async () => undefined });
		await expect(poll({})).rejects.toThrow(/cannot list failed deliveries/);
	});
});

describe('suppressions', () => {
	it('a poll records the hard failures and complaints it finds, not delays, before the state moves on', async () => {
		mailbox.push(failure('nosuch-s@example.net', 'failure', MINUTE));
		mailbox.push(failure('slow-s@example.net', 'delay', MINUTE));
		mailbox.push(failure('angry-s@example.net', 'complaint', MINUTE, { feedbackType: 'abuse' }));
		const first = await poll({}, { includeDelays: true, includeComplaints: true });
		expect(first.emitted).toHaveLength(3);
		const found = await processSuppressions().find([
			'nosuch-s@example.net',
			'slow-s@example.net',
			'angry-s@example.net',
		]);
		expect(found.map((entry) => [entry.address, entry.reason, entry.source])).toEqual([
			['nosuch-s@example.net', 'hard-bounce', 'Trigger (smtp:1)'],
			['angry-s@example.net', 'complaint', 'Trigger (smtp:1)'],
		]);
		expect(found[0]).toMatchObject({
			deliveryId: 'dc-nosuch-s@example.net',
			failedAt: mailbox[0].failedAt,
		});
	});
});
