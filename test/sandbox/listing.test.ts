/**
 * Failed deliveries read the way a trigger polls: in the order MSC recorded them, from a checkpoint
 * or a received-since time, through an index (the cost follows what is new, not the history), and
 * every failure with the time MSC recorded it, so a time filter never lets an undated one through.
 */
import { DatabaseSync } from 'node:sqlite';

import {
	FIRST_RECEIVED_SQL,
	failurePageQuery,
	type FailureFilter,
	type FailureRecord,
} from '../../sandbox/msc/store';
import {
	api,
	deliverReport,
	dsnReport,
	removeTempFolders,
	startTestSandbox,
	tempDb,
	UNKNOWN_USER,
	VERIFIED,
	type TestSandbox,
} from './helpers';

let env: TestSandbox | undefined;

afterEach(async () => {
	await env?.close();
	env = undefined;
});

afterAll(removeTempFolders);

const HOUR = 3_600_000;

function oldFailure(index: number, receivedAt: number): FailureRecord {
	return {
		id: `fd_old_${index}`,
		recipient: `gone${index}@example.org`,
		action: 'failed',
		kind: 'failure',
		hard: true,
		reason: 'userunknown',
		status: '5.1.1',
		replyCode: '550',
		diagnostic: '550 5.1.1 User unknown',
		failedAt: new Date(receivedAt).toISOString(),
		message: {},
		link: { method: 'none', confidence: 'none' },
		source: 'bounce-report',
		receivedAt: new Date(receivedAt).toISOString(),
	};
}

type Page = {
	data: Array<Record<string, unknown>>;
	nextCursor: string | null;
	checkpoint?: string;
};

async function list(target: TestSandbox, query: string): Promise<Page> {
	const answer = await api(target.sandbox, target.apiKey, 'GET', `/v1/failed-deliveries?${query}`);
	expect(answer.status).toBe(200);
	return answer.body as unknown as Page;
}

describe('MSC sandbox: failed deliveries in the order they were recorded', () => {
	it('gives every failure the time MSC recorded it, refusals while relaying included', async () => {
		env = await startTestSandbox();
		const before = Date.now();
		const sent = await api(
			env.sandbox,
			env.apiKey,
			'POST',
			'/v1/messages',
			{ identity: VERIFIED, to: [UNKNOWN_USER, 'full@example.org'], subject: 'Hi', text: 'Hi' },
			{ 'Idempotency-Key': 'r-1' },
		);
		await deliverReport(
			env.sandbox,
			String(sent.body.envelopeFrom),
			dsnReport({
				to: String(sent.body.envelopeFrom),
				recipient: 'full@example.org',
				status: '5.2.2',
				diagnostic: '552 5.2.2 Mailbox full',
			}),
		);
		const { data } = await list(env, 'order=asc');
		expect(data.map((entry) => entry.source)).toEqual(['relay', 'bounce-report']);
		for (const entry of data) {
			const received = Date.parse(String(entry.receivedAt));
			expect(received).toBeGreaterThanOrEqual(before - 5);
			expect(received).toBeLessThanOrEqual(Date.now());
		}
		expect(data[1].receivedAt).toBe(data[1].reportReceivedAt);
		// A received-since time after both leaves both out; one before includes both.
		expect(
			(await list(env, `receivedSince=${new Date(Date.now() + 1000).toISOString()}`)).data,
		).toEqual([]);
		expect(
			(await list(env, `receivedSince=${new Date(before - 1000).toISOString()}`)).data,
		).toHaveLength(2);
	});

	it('reads from a checkpoint oldest first, and the checkpoint never passes a failure left unread', async () => {
		env = await startTestSandbox();
		const account = env.sandbox.store.accountByApiKey(env.apiKey)!;
		const now = Date.now();
		for (let i = 0; i < 5; i++)
			env.sandbox.store.addFailure(
				account.id,
				undefined,
				undefined,
				oldFailure(i, now - 10 * HOUR + i),
			);
		const first = await list(env, 'order=asc&limit=2');
		expect(first.data.map((entry) => entry.recipient)).toEqual([
			'gone0@example.org',
			'gone1@example.org',
		]);
		expect(first.nextCursor).toBe(first.checkpoint);
		const rest = await list(env, `order=asc&limit=10&cursor=${first.checkpoint}`);
		expect(rest.data.map((entry) => entry.recipient)).toEqual([
			'gone2@example.org',
			'gone3@example.org',
			'gone4@example.org',
		]);
		expect(rest.nextCursor).toBeNull();
		// Nothing new: the same checkpoint back, no rows.
		const idle = await list(env, `order=asc&cursor=${rest.checkpoint}`);
		expect(idle).toEqual({ data: [], nextCursor: null, checkpoint: rest.checkpoint });
		env.sandbox.store.addFailure(account.id, undefined, undefined, oldFailure(5, now));
		expect(
			(await list(env, `order=asc&cursor=${idle.checkpoint}`)).data.map((entry) => entry.recipient),
		).toEqual(['gone5@example.org']);
		// Failures that do not match the filters are passed over, and the checkpoint goes past them.
		const delays = await list(env, `order=asc&type=delay&cursor=${idle.checkpoint}`);
		expect(delays.data).toEqual([]);
		expect(delays.checkpoint).not.toBe(idle.checkpoint);
		// A cursor from one order does not continue the other.
		const wrong = await api(
			env.sandbox,
			env.apiKey,
			'GET',
			`/v1/failed-deliveries?cursor=${idle.checkpoint}`,
		);
		expect(wrong.status).toBe(400);
		expect(wrong.body).toMatchObject({
			field: 'cursor',
			detail: expect.stringContaining('order=asc'),
		});
		expect(
			(await api(env.sandbox, env.apiKey, 'GET', '/v1/failed-deliveries?order=sideways')).body,
		).toMatchObject({ field: 'order' });
		expect(
			(await api(env.sandbox, env.apiKey, 'GET', '/v1/failed-deliveries?receivedSince=yesterday'))
				.body,
		).toMatchObject({ field: 'receivedSince' });
	});

	it('finds what is new through an index: 10,000 old failures + 1 new cost one row, not the history', async () => {
		env = await startTestSandbox();
		const store = env.sandbox.store;
		const account = store.accountByApiKey(env.apiKey)!;
		const old = Date.now() - 48 * HOUR;
		store.db.exec('BEGIN');
		for (let i = 0; i < 10_000; i++)
			store.addFailure(account.id, undefined, undefined, oldFailure(i, old + i));
		store.db.exec('COMMIT');
		const start = await list(
			env,
			`order=asc&receivedSince=${new Date(Date.now() - HOUR).toISOString()}`,
		);
		expect(start.data).toEqual([]);
		await api(env.sandbox, env.apiKey, 'POST', '/v1/messages', {
			identity: VERIFIED,
			to: [UNKNOWN_USER],
			subject: 'Hi',
			text: 'Hi',
		});

		const bySince = await list(
			env,
			`order=asc&receivedSince=${new Date(Date.now() - HOUR).toISOString()}`,
		);
		expect(bySince.data.map((entry) => entry.recipient)).toEqual([UNKNOWN_USER]);
		const byCheckpoint = await list(env, `order=asc&cursor=${start.checkpoint}`);
		expect(byCheckpoint.data.map((entry) => entry.recipient)).toEqual([UNKNOWN_USER]);

		// SQLite's own plan for both queries: index ranges from the checkpoint or the time, no full scan.
		const plan = (sql: string, params: Array<string | number>) =>
			(store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>)
				.map((row) => row.detail)
				.join(' | ');
		const filter: FailureFilter = { kinds: ['failure'], verdict: 'all', order: 'asc', limit: 100 };
		const fromCheckpoint = failurePageQuery(account.id, { ...filter, from: 10_000 });
		expect(plan(fromCheckpoint.sql, fromCheckpoint.params)).toMatch(
			/SEARCH failures USING INDEX failures_account \(account_id=\? AND seq>\?\)/,
		);
		expect(plan(FIRST_RECEIVED_SQL, [account.id, Date.now() - HOUR])).toMatch(
			/SEARCH failures USING COVERING INDEX failures_received \(account_id=\? AND received_at_ms>\?\)/,
		);
		const sinceTime = failurePageQuery(
			account.id,
			{ ...filter, receivedSince: Date.now() - HOUR },
			10_001,
		);
		const sincePlan = plan(sinceTime.sql, sinceTime.params);
		expect(sincePlan).toMatch(
			/SEARCH failures USING INDEX \w+ \(account_id=\? AND (seq|received_at_ms)>\?\)/,
		);
		for (const text of [plan(fromCheckpoint.sql, fromCheckpoint.params), sincePlan])
			expect(text).not.toMatch(/SCAN failures/);
	});

	it('gives failures recorded before received times existed one when the database is opened', async () => {
		const db = tempDb();
		env = await startTestSandbox({ db });
		const account = env.sandbox.store.accountByApiKey(env.apiKey)!;
		const reportAt = Date.parse('2026-11-20T08:00:00.000Z');
		env.sandbox.store.addFailure(account.id, undefined, undefined, {
			...oldFailure(1, reportAt),
			reportReceivedAt: new Date(reportAt).toISOString(),
		});
		env.sandbox.store.addFailure(account.id, undefined, undefined, {
			...oldFailure(2, Date.parse('2026-11-21T09:00:00.000Z')),
			source: 'relay',
		});
		await env.close();
		env = undefined;
		// The table as it was before: no received_at_ms column, records without receivedAt.
		const raw = new DatabaseSync(db);
		raw.exec('DROP INDEX failures_received');
		raw.exec(`UPDATE failures SET record = json_remove(record, '$.receivedAt')`);
		raw.exec('ALTER TABLE failures DROP COLUMN received_at_ms');
		raw.close();

		env = await startTestSandbox({ db });
		const { data } = await list(env, 'order=asc');
		expect(data.map((entry) => [entry.recipient, entry.receivedAt])).toEqual([
			['gone1@example.org', '2026-11-20T08:00:00.000Z'],
			['gone2@example.org', '2026-11-21T09:00:00.000Z'],
		]);
		expect(
			(await list(env, 'receivedSince=2026-11-21T00:00:00Z')).data.map((entry) => entry.recipient),
		).toEqual(['gone2@example.org']);
	});
});
