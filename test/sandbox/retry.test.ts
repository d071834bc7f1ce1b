/**
 * The MSC sandbox tries recipients the upstream refused for now (4xx) again, as an MTA does: a
 * recipient accepted later is delivered once, one refused for good or still refused when the retry
 * period ends becomes a failed delivery, and the pending retries survive a restart.
 */
import { resolveConfig } from '../../sandbox/msc/config';
import {
	api,
	removeTempFolders,
	startTestSandbox,
	tempDb,
	VERIFIED,
	type TestSandbox,
} from './helpers';

let env: TestSandbox | undefined;

afterEach(async () => {
	await env?.close();
	env = undefined;
});

afterAll(removeTempFolders);

/** An upstream that refuses each address for now a given number of times, then answers as told. */
function upstreamRules(
	plan: Record<string, { tempTimes: number; temp: [number, string]; then?: [number, string] }>,
) {
	const seen = new Map<string, number>();
	return (address: string): [number, string] | undefined => {
		const rule = plan[address.toLowerCase()];
		if (!rule) return undefined;
		const count = (seen.get(address) ?? 0) + 1;
		seen.set(address, count);
		if (count <= rule.tempTimes) return rule.temp;
		return rule.then;
	};
}

const send = (to: string[]) =>
	api(env!.sandbox, env!.apiKey, 'POST', '/v1/messages', {
		identity: VERIFIED,
		to: to.map((address) => ({ address })),
		subject: 'Offer',
		text: 'Hello',
	});

const failures = async () =>
	(
		(await api(env!.sandbox, env!.apiKey, 'GET', '/v1/failed-deliveries?type=failure,delay')).body
			.data as Array<Record<string, unknown>>
	).reverse();

const delivered = (address: string) =>
	env!.upstream.received.filter((message) =>
		message.to.map((to) => to.toLowerCase()).includes(address),
	).length;

async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
	const end = Date.now() + ms;
	while (!(await check())) {
		if (Date.now() > end) throw new Error('timed out waiting');
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

describe('MSC sandbox retries of deferred recipients', () => {
	it('delivers a recipient accepted on a later attempt exactly once, and keeps the others out of it', async () => {
		env = await startTestSandbox(
			{ retry: { scheduleSeconds: [0.05], maxAgeSeconds: 30, checkSeconds: 0.02 } },
			{
				rcpt: upstreamRules({
					'greylisted@example.org': {
						tempTimes: 2,
						temp: [450, '4.2.0 Greylisted, please try again later'],
					},
				}),
			},
		);
		const answer = await send(['greylisted@example.org', 'fine@example.org']);
		expect(answer.status).toBe(201);
		expect(answer.body.rejected).toEqual([
			expect.objectContaining({ address: 'greylisted@example.org', retryable: true }),
		]);
		await until(() => delivered('greylisted@example.org') === 1);
		await until(() => env!.sandbox.store.deferredCount() === 0);
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(delivered('greylisted@example.org')).toBe(1);
		expect(delivered('fine@example.org')).toBe(1);
		// The delay is on record; no failure follows a later delivery.
		expect((await failures()).map((f) => [f.recipient, f.kind])).toEqual([
			['greylisted@example.org', 'delay'],
		]);
	});

	it('records a failure when a later attempt is refused for good', async () => {
		env = await startTestSandbox(
			{ retry: { scheduleSeconds: [0.05], maxAgeSeconds: 30, checkSeconds: 0.02 } },
			{
				rcpt: upstreamRules({
					'moved@example.org': {
						tempTimes: 1,
						temp: [451, '4.3.0 Mailbox temporarily unavailable'],
						then: [550, '5.1.1 <moved@example.org>: User unknown'],
					},
				}),
			},
		);
		await send(['moved@example.org']);
		await until(async () => (await failures()).length === 2);
		const [delay, failure] = await failures();
		expect(delay).toMatchObject({
			recipient: 'moved@example.org',
			kind: 'delay',
			action: 'delayed',
			hard: false,
		});
		expect(failure).toMatchObject({
			recipient: 'moved@example.org',
			kind: 'failure',
			action: 'failed',
			reason: 'userunknown',
			hard: true,
			status: '5.1.1',
			link: { method: 'relay-session' },
		});
		expect(env.sandbox.store.deferredCount()).toBe(0);
		expect(delivered('moved@example.org')).toBe(0);
	});

	it('gives up when the retry period ends, with the last refusal and how long it was tried', async () => {
		env = await startTestSandbox(
			{ retry: { scheduleSeconds: [0.05, 0.1], maxAgeSeconds: 0.4, checkSeconds: 0.02 } },
			{
				rcpt: upstreamRules({
					'full@example.org': {
						tempTimes: 1000,
						temp: [452, '4.2.2 Mailbox full, try again later'],
					},
				}),
			},
		);
		await send(['full@example.org']);
		await until(async () => (await failures()).some((f) => f.kind === 'failure'), 5000);
		const list = await failures();
		const final = list.find((f) => f.kind === 'failure')!;
		expect(final).toMatchObject({
			recipient: 'full@example.org',
			action: 'failed',
			reason: 'mailboxfull',
			hard: false,
			replyCode: '452',
		});
		expect(String(final.diagnostic)).toMatch(
			/^452 4\.2\.2 .*Mailbox full.*refused for now on each of \d+ attempts since .*no more attempts/,
		);
		expect(list.filter((f) => f.kind === 'failure')).toHaveLength(1);
		expect(env.sandbox.store.deferredCount()).toBe(0);
		expect(env.upstream.received).toHaveLength(0);
	});

	it('keeps pending retries across a restart', async () => {
		const db = tempDb();
		const rules = upstreamRules({
			'later@example.org': { tempTimes: 1, temp: [450, '4.7.1 Try again later'] },
		});
		env = await startTestSandbox(
			{ db, retry: { scheduleSeconds: [0.3], maxAgeSeconds: 30, checkSeconds: 60 } },
			{ rcpt: rules },
		);
		await send(['later@example.org']);
		expect(env.sandbox.store.deferredCount()).toBe(1);
		await env.close();
		env = await startTestSandbox(
			{
				db,
				retry: { scheduleSeconds: [0.3], maxAgeSeconds: 30, checkSeconds: 0.02 },
				demo: { enabled: false },
			},
			{ rcpt: rules },
		);
		await until(() => delivered('later@example.org') === 1);
		await until(() => env!.sandbox.store.deferredCount() === 0);
	});

	it('refuses a retry setting that cannot work, naming it', () => {
		expect(() => resolveConfig({ retry: { scheduleSeconds: [] } })).toThrow(
			/retry\.scheduleSeconds/,
		);
		expect(() => resolveConfig({ retry: { scheduleSeconds: [60, -1] } })).toThrow(
			/retry\.scheduleSeconds/,
		);
		expect(() => resolveConfig({ retry: { maxAgeSeconds: 0 } })).toThrow(/retry\.maxAgeSeconds/);
	});
});
