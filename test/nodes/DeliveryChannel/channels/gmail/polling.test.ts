/**
 * What listing failed deliveries costs on Gmail, counted on the fake Google's side: a poll costs what
 * the new mail costs, not what the mailbox holds. Also the checkpoint (oldest first, never past a
 * report that was not read), the caps (reports per listing, size of one report) and that a report
 * is filtered before it is linked to Sent.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { gmailChannel } from '../../../../../nodes/DeliveryChannel/channels/gmail';
import {
	MAX_REPORT_BYTES,
	MAX_REPORTS_PER_LISTING,
} from '../../../../../nodes/DeliveryChannel/channels/gmail/failedDeliveries';
import type {
	FailedDeliveryList,
	FailedDeliveryQuery,
} from '../../../../../nodes/DeliveryChannel/channels/types';
import { gmailBounce } from '../../../../fakes/gmail/bounce';
import { startFakeGmail, type FakeGmail } from '../../../../fakes/gmail';
import {
	addReports,
	channelContext,
	failedParameters,
	gmailCredential,
	NODE,
	runGmail,
} from './harness';

jest.setTimeout(60_000);

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let fake: FakeGmail;

afterEach(async () => {
	await fake?.close();
});

async function list(query: Partial<FailedDeliveryQuery>): Promise<FailedDeliveryList> {
	// Fast pacing: the quota bucket is tested in units.test.ts; here only requests are counted.
	const context = channelContext(fake, { options: { sendsPerMinute: 6000 } });
	const session = await gmailChannel.open(context, {
		options: gmailChannel.readOptions!(context as IExecuteFunctions, 0),
	});
	try {
		return await session.listFailedDeliveries!({
			verdict: 'all',
			includeDelays: false,
			includeComplaints: false,
			...query,
		});
	} finally {
		await session.close();
	}
}

/** Requests and answer bytes the fake served while `task` ran. */
async function cost<T>(
	task: () => Promise<T>,
): Promise<{ result: T; requests: number; gets: number; rawGets: number; bytes: number }> {
	const before = fake.state.requests.length;
	const bytesBefore = fake.state.bytesOut;
	const result = await task();
	const requests = fake.state.requests.slice(before);
	return {
		result,
		requests: requests.length,
		gets: requests.filter((r) => r.method === 'get').length,
		rawGets: requests.filter((r) => r.method === 'get' && r.query.format === 'raw').length,
		bytes: fake.state.bytesOut - bytesBefore,
	};
}

describe('a poll costs what the new mail costs, not what the mailbox holds', () => {
	const measured: Record<number, { requests: number; bytes: number }> = {};

	test.each([100, 10_000])(
		'%i old bounce reports and 1 new one: the poll with a checkpoint reads only the new one',
		async (old) => {
			fake = await startFakeGmail();
			addReports(fake, { count: old, startMs: Date.now() - 3 * DAY, spacingMs: 10_000 });
			// The trigger's first poll: Received Since an hour ago, no checkpoint yet.
			const first = await list({ receivedSince: new Date(Date.now() - HOUR) });
			expect(first.failures).toEqual([]);
			expect(first.checkpoint).toBeDefined();
			const [fresh] = addReports(fake, { count: 1, startMs: Date.now(), prefix: 'new' });

			const poll = await cost(() =>
				list({ receivedSince: new Date(Date.now() - HOUR), checkpoint: first.checkpoint }),
			);
			expect(poll.result.failures.map((failure) => failure.recipient)).toEqual([fresh]);
			expect(poll.result.truncated).toBe(false);
			// One search, the new report's size, its raw bytes, and the searches in Sent for its message
			// (by Message-ID, then by recipient and subject: it is not in this fake's Sent).
			expect(poll.requests).toBeLessThanOrEqual(5);
			expect(poll.rawGets).toBe(1);
			expect(poll.bytes).toBeLessThan(20_000);
			measured[old] = { requests: poll.requests, bytes: poll.bytes };
			console.log(
				`Gmail poll with a checkpoint, ${old} old reports + 1 new: ${poll.requests} requests, ${poll.bytes} bytes of answers`,
			);
		},
		120_000,
	);

	test('the same for 100 and for 10,000 old reports', () => {
		expect(measured[10_000].requests).toBe(measured[100].requests);
		// Ids and the reports' random tokens differ by a few bytes.
		expect(Math.abs(measured[10_000].bytes - measured[100].bytes)).toBeLessThan(100);
	});
});

test('Received Since and Since go into the Gmail search itself, also without a checkpoint', async () => {
	fake = await startFakeGmail();
	addReports(fake, { count: 2_000, startMs: Date.now() - 3 * DAY, spacingMs: 10_000 });
	const [fresh] = addReports(fake, { count: 1, startMs: Date.now(), prefix: 'new' });
	const byReceived = await cost(() => list({ receivedSince: new Date(Date.now() - HOUR) }));
	expect(byReceived.result.failures.map((failure) => failure.recipient)).toEqual([fresh]);
	expect(byReceived.rawGets).toBe(1);
	// The Failed Deliveries operation through the node, with Since.
	const before = fake.state.requests.length;
	const run = await runGmail({
		items: [{}],
		parameters: failedParameters({ filters: { since: new Date(Date.now() - HOUR).toISOString() } }),
		credential: gmailCredential(fake),
	});
	expect(run.output(NODE).map((item) => item.json.recipient)).toEqual([fresh]);
	expect(
		fake.state.requests.slice(before).filter((r) => r.method === 'get' && r.query.format === 'raw'),
	).toHaveLength(1);
});

test('with a checkpoint: oldest first, a capped listing says so and the next one goes on exactly where it stopped', async () => {
	fake = await startFakeGmail();
	const total = MAX_REPORTS_PER_LISTING + 7;
	const recipients = addReports(fake, {
		count: total,
		startMs: Date.now() - HOUR / 2,
		spacingMs: 1_000,
		prefix: 'burst',
	});
	const start: IDataObject = {};
	const first = await list({ checkpoint: start, receivedSince: new Date(Date.now() - HOUR) });
	expect(first.truncated).toBe(true);
	expect(first.truncatedReason).toMatch(
		new RegExp(
			`read ${MAX_REPORTS_PER_LISTING} bounce reports, the most one listing reads; the rest follow in the next poll`,
		),
	);
	expect(first.failures.map((failure) => failure.recipient)).toEqual(
		recipients.slice(0, MAX_REPORTS_PER_LISTING),
	);
	const second = await cost(() =>
		list({ checkpoint: first.checkpoint, receivedSince: new Date(Date.now() - HOUR) }),
	);
	expect(second.result.failures.map((failure) => failure.recipient)).toEqual(
		recipients.slice(MAX_REPORTS_PER_LISTING),
	);
	expect(second.result.truncated).toBe(false);
	expect(second.rawGets).toBe(7);
	// Nothing new: the next poll lists again (the index may show reports late) but reads nothing.
	const third = await cost(() =>
		list({ checkpoint: second.result.checkpoint, receivedSince: new Date(Date.now() - HOUR) }),
	);
	expect(third.result.failures).toEqual([]);
	expect(third.gets).toBe(0);
	// The checkpoint stays small: JSON of the ids read in the last minutes only.
	expect(JSON.stringify(third.result.checkpoint).length).toBeLessThan(30 * total);
}, 120_000);

test('a report over the size cap is never downloaded; the listing says which one, and the checkpoint passes it', async () => {
	fake = await startFakeGmail();
	const now = Date.now();
	const huge = `From: jane@acme.example\r\nTo: nosuchuser.huge@example.net\r\nSubject: Huge\r\nMessage-ID: <huge@acme.example>\r\n\r\n${'x'.repeat(MAX_REPORT_BYTES + 1000)}`;
	const big = fake.addMessage(
		gmailBounce({
			sender: fake.account.email,
			recipient: 'nosuchuser.huge@example.net',
			kind: 'unknown',
			original: huge,
			date: new Date(now - 5_000),
		}),
		['INBOX'],
		now - 5_000,
	);
	const [small] = addReports(fake, { count: 1, startMs: now - 1_000, prefix: 'small' });
	const first = await cost(() => list({ checkpoint: {}, receivedSince: new Date(now - HOUR) }));
	expect(first.result.failures.map((failure) => failure.recipient)).toEqual([small]);
	expect(first.result.truncated).toBe(true);
	expect(first.result.truncatedReason).toContain(
		`1 report(s) over 1 MB were not read (Gmail message id ${big.id}): open them in Gmail`,
	);
	expect(
		fake.state.requests.filter(
			(r) => r.method === 'get' && r.query.format === 'raw' && r.bytes > MAX_REPORT_BYTES,
		),
	).toEqual([]);
	expect(first.bytes).toBeLessThan(50_000);
	const second = await list({
		checkpoint: first.result.checkpoint,
		receivedSince: new Date(now - HOUR),
	});
	expect(second).toMatchObject({ failures: [], truncated: false });
});

test('a report the query does not want is not linked to Sent (filters come before the Sent search)', async () => {
	fake = await startFakeGmail();
	addReports(fake, { count: 3, startMs: Date.now() - 60_000 });
	const soft = await cost(() =>
		list({ verdict: 'soft', receivedSince: new Date(Date.now() - HOUR) }),
	);
	expect(soft.result.failures).toEqual([]);
	expect(
		fake.state.requests.filter((r) => r.method === 'list' && /in:sent/.test(r.query.q ?? '')),
	).toEqual([]);
	const hard = await list({ verdict: 'hard', receivedSince: new Date(Date.now() - HOUR) });
	expect(hard.failures).toHaveLength(3);
	expect(
		fake.state.requests.filter((r) => r.method === 'list' && /in:sent/.test(r.query.q ?? ''))
			.length,
	).toBeGreaterThanOrEqual(3);
});

test('a backlog left by a capped listing is read later even when Received Since has moved past it', async () => {
	fake = await startFakeGmail();
	const total = MAX_REPORTS_PER_LISTING + 3;
	const recipients = addReports(fake, {
		count: total,
		startMs: Date.now() - 3 * HOUR,
		spacingMs: 1_000,
		prefix: 'backlog',
	});
	const first = await list({ checkpoint: {}, receivedSince: new Date(Date.now() - 4 * HOUR) });
	expect(first.failures).toHaveLength(MAX_REPORTS_PER_LISTING);
	// The next poll comes a day later: the trigger's Received Since is long past the backlog.
	const second = await list({
		checkpoint: first.checkpoint,
		receivedSince: new Date(Date.now() + 21 * HOUR),
	});
	expect(second.failures.map((failure) => failure.recipient)).toEqual(
		recipients.slice(MAX_REPORTS_PER_LISTING),
	);
}, 120_000);
