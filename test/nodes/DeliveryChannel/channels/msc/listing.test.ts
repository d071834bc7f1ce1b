/**
 * The Delivery Channel Trigger on MSC, polled through n8n-core's real PollContext against the
 * sandbox, with a pass-through proxy counting what crosses the wire: a poll asks MSC only for what
 * was recorded since the last one (checkpoint) or since the window start (first poll), so its cost
 * follows the new failures, not the history; a capped poll says so and its checkpoint stops at the
 * last failure it read; a failure without a received time is never let through a time filter.
 */
import type { IDataObject, INode } from 'n8n-workflow';

import { DeliveryChannelMscApi } from '../../../../../credentials/DeliveryChannelMscApi.credentials';
import type { FailedDelivery } from '../../../../../nodes/DeliveryChannel/channels/types';
import { matchesQuery } from '../../../../../core/failures';
import { DeliveryChannelTrigger } from '../../../../../nodes/DeliveryChannelTrigger/DeliveryChannelTrigger.node';
import type { FailureRecord } from '../../../../../sandbox/msc/store';
import { pollOnce } from '../../../../support/poll';
import { startFaultProxy, type FaultProxy } from '../../../../sandbox/fault-proxy';
import {
	api,
	startTestSandbox,
	UNKNOWN_USER,
	VERIFIED,
	type TestSandbox,
} from '../../../../sandbox/helpers';

jest.setTimeout(60_000);

const HOUR = 3_600_000;
const nodeType = new DeliveryChannelTrigger();

let env: TestSandbox | undefined;
let counter: FaultProxy | undefined;

afterEach(async () => {
	await env?.close();
	await counter?.close();
	env = undefined;
	counter = undefined;
});

const trigger: INode = {
	id: 'trigger',
	name: 'Trigger',
	type: 'CUSTOM.deliveryChannelTrigger',
	typeVersion: 1,
	position: [0, 0],
	parameters: { channel: 'msc', event: 'failedDelivery', filters: {} },
	credentials: { deliveryChannelMscApi: { id: '1', name: 'msc' } },
};

function record(
	index: number,
	receivedAtMs: number,
	extra: Partial<FailureRecord> = {},
): FailureRecord {
	return {
		id: `fd_${index}_${receivedAtMs}`,
		recipient: `gone${index}@example.org`,
		action: 'failed',
		kind: 'failure',
		hard: true,
		reason: 'userunknown',
		status: '5.1.1',
		replyCode: '550',
		diagnostic: '550 5.1.1 User unknown',
		failedAt: new Date(receivedAtMs).toISOString(),
		message: { deliveryId: `dc-${index}-${receivedAtMs}` },
		link: { method: 'envelope-id', confidence: 'high' },
		source: 'bounce-report',
		receivedAt: new Date(receivedAtMs).toISOString(),
		...extra,
	};
}

async function setUp(
	history: number,
	historyAgeMs = 48 * HOUR,
): Promise<{ target: TestSandbox; accountId: string }> {
	env = await startTestSandbox();
	const store = env.sandbox.store;
	const accountId = store.accountByApiKey(env.apiKey)!.id;
	store.db.exec('BEGIN');
	for (let i = 0; i < history; i++)
		store.addFailure(accountId, undefined, undefined, record(i, Date.now() - historyAgeMs + i));
	store.db.exec('COMMIT');
	counter = await startFaultProxy(env.sandbox.apiUrl, () => undefined);
	return { target: env, accountId };
}

/** One poll; what crossed the wire for it (requests, rows, bytes) comes from the counting proxy. */
async function poll(staticData: IDataObject) {
	const before = counter!.seen.length;
	const result = await pollOnce({
		node: trigger,
		nodeType,
		credentials: { deliveryChannelMscApi: { baseUrl: counter!.url, apiKey: env!.apiKey } },
		credentialTypes: { deliveryChannelMscApi: new DeliveryChannelMscApi() },
		staticData,
	});
	const requests = counter!.seen.slice(before);
	return {
		...result,
		emitted: result.items.map((item) => String(item.json.recipient)),
		requests: requests.length,
		bytes: requests.reduce((sum, request) => sum + (request.upstreamBytes ?? 0), 0),
		paths: requests.map((request) => request.path),
	};
}

const sendToUnknownUser = (target: TestSandbox) =>
	api(target.sandbox, target.apiKey, 'POST', '/v1/messages', {
		identity: VERIFIED,
		to: [UNKNOWN_USER],
		subject: 'Hello',
		text: 'Hello',
	});

describe('Delivery Channel Trigger on MSC', () => {
	it('reads only what is new: with 10,000 old failures a poll costs what it costs with 10', async () => {
		const costs: Record<number, number[]> = {};
		for (const history of [10, 10_000]) {
			const { target } = await setUp(history);
			const first = await poll({});
			expect(first.emitted).toEqual([]);
			await sendToUnknownUser(target);
			const second = await poll(first.staticData);
			expect(second.emitted).toEqual([UNKNOWN_USER]);
			// The second poll went on from the first one's checkpoint.
			expect(second.paths[0]).toMatch(/order=asc/);
			expect(second.paths[0]).toMatch(/cursor=/);
			const third = await poll(second.staticData);
			expect(third.emitted).toEqual([]);
			costs[history] = [
				first.requests,
				first.bytes,
				second.requests,
				second.bytes,
				third.requests,
				third.bytes,
			];
			await env!.close();
			await counter!.close();
			env = undefined;
			counter = undefined;
		}
		// One request per poll, and the same bytes whatever the history holds (but for the checkpoint's
		// own digits: it names a row number, 10 or 10,001).
		costs[10_000].forEach((cost, index) =>
			expect(Math.abs(cost - costs[10][index])).toBeLessThanOrEqual(8),
		);
		const [firstRequests, firstBytes, secondRequests, secondBytes, thirdRequests, thirdBytes] =
			costs[10_000];
		expect([firstRequests, secondRequests, thirdRequests]).toEqual([1, 1, 1]);
		expect(firstBytes).toBeLessThan(200);
		expect(secondBytes).toBeLessThan(3_000);
		expect(thirdBytes).toBeLessThan(200);
	});

	it('never emits an old refusal again once its key is forgotten: the time MSC recorded it keeps it out', async () => {
		const { target, accountId } = await setUp(0);
		// Recorded two hours ago while relaying, and already emitted back then.
		target.sandbox.store.addFailure(
			accountId,
			undefined,
			undefined,
			record(1, Date.now() - 2 * HOUR, {
				source: 'relay',
				link: { method: 'relay-session', confidence: 'high' },
			}),
		);
		// The trigger's state was lost (new workflow version, keys pruned after 14 days or 5,000 keys).
		const fresh = await poll({});
		expect(fresh.emitted).toEqual([]);
	});

	it('takes at most 1,000 failures in one poll, says it was cut short, and the next poll goes on from the last one read', async () => {
		const { target, accountId } = await setUp(0);
		const now = Date.now();
		target.sandbox.store.db.exec('BEGIN');
		for (let i = 0; i < 1_050; i++)
			target.sandbox.store.addFailure(accountId, undefined, undefined, record(i, now - 60_000 + i));
		target.sandbox.store.db.exec('COMMIT');
		const first = await poll({});
		expect(first.emitted).toHaveLength(1_000);
		expect(new Set(first.emitted).size).toBe(1_000);
		expect(first.emitted[0]).toBe('gone0@example.org');
		const second = await poll(first.staticData);
		expect(second.emitted).toEqual(
			Array.from({ length: 50 }, (_, i) => `gone${1_000 + i}@example.org`),
		);
		const third = await poll(second.staticData);
		expect(third.emitted).toEqual([]);
	});
});

describe('MSC failures and time filters', () => {
	it('leaves a failure without a received time out of a received-since filter, and one without any time out of since / until', () => {
		const failure = (details: IDataObject, failedAt?: string): FailedDelivery => ({
			channel: 'msc',
			recipient: 'a@example.org',
			action: 'failed',
			kind: 'failure',
			hard: true,
			reason: 'userunknown',
			status: '5.1.1',
			replyCode: '550',
			diagnostic: '',
			failedAt,
			message: {},
			link: { method: 'none', confidence: 'none' },
			details,
		});
		const base = { verdict: 'all' as const, includeDelays: false, includeComplaints: false };
		const since = new Date(Date.now() - HOUR);
		expect(matchesQuery(failure({}), { ...base, receivedSince: since })).toBe(false);
		expect(
			matchesQuery(failure({ reportReceivedAt: 'not a date' }), { ...base, receivedSince: since }),
		).toBe(false);
		expect(
			matchesQuery(failure({ reportReceivedAt: new Date().toISOString() }), {
				...base,
				receivedSince: since,
			}),
		).toBe(true);
		expect(matchesQuery(failure({}), { ...base, since })).toBe(false);
		expect(matchesQuery(failure({}, 'garbage'), { ...base, until: new Date() })).toBe(false);
		expect(
			matchesQuery(failure({ reportReceivedAt: new Date().toISOString() }, 'garbage'), {
				...base,
				since,
			}),
		).toBe(true);
		expect(matchesQuery(failure({}), base)).toBe(true);
	});
});

describe('replies on MSC', () => {
	it('lists none and says why: the trigger stops with the reason when a reply event is chosen', async () => {
		const { target } = await setUp(0);
		await sendToUnknownUser(target);
		const node = {
			...trigger,
			parameters: { channel: 'msc', events: ['failedDelivery', 'autoReply'], filters: {} },
		};
		await expect(
			pollOnce({
				node,
				nodeType,
				credentials: { deliveryChannelMscApi: { baseUrl: counter!.url, apiKey: env!.apiKey } },
				credentialTypes: { deliveryChannelMscApi: new DeliveryChannelMscApi() },
				staticData: {},
			}),
		).rejects.toThrow(/MSC lists no replies or auto-replies: people reply to your own mailbox/);
		// Failed Delivery alone goes on as before.
		expect((await poll({})).emitted).toEqual([UNKNOWN_USER]);
	});
});
