/**
 * The MSC channel where sending can go wrong, run through n8n-core's real engine and n8n's real HTTP
 * helpers against the sandbox, with a local HTTP server in front injecting the fault: redirects (the
 * API key must never follow one), plain http:// to another host, answers lost or late, a request
 * still in progress, Retry-After, and a cancelled execution.
 */
import { CredentialTestContext } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INode,
	INodeExecutionData,
	INodeParameters,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';

import { DeliveryChannelMscApi } from '../../../../../credentials/DeliveryChannelMscApi.credentials';
import { DeliveryChannel } from '../../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import { mscChannel } from '../../../../../nodes/DeliveryChannel/channels/msc';
import { baseUrlOf } from '../../../../../nodes/DeliveryChannel/channels/msc/settings';
import { chain, itemsNode, manualTrigger, node, runWorkflow } from '../../../../helpers/n8n';
import {
	startFaultProxy,
	startRecorder,
	type Fault,
	type FaultProxy,
	type SeenRequest,
} from '../../../../sandbox/fault-proxy';
import {
	startTestSandbox,
	VERIFIED,
	type TestSandbox,
	type TestSandboxExtras,
} from '../../../../sandbox/helpers';
import type { SandboxOptions } from '../../../../../sandbox/msc/config';

jest.setTimeout(30_000);

const TYPE = 'CUSTOM.deliveryChannel';

let env: TestSandbox | undefined;
const servers: FaultProxy[] = [];

afterEach(async () => {
	await env?.close();
	env = undefined;
	await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function sandbox(
	options: SandboxOptions = {},
	extras: TestSandboxExtras = {},
): Promise<TestSandbox> {
	env = await startTestSandbox(options, {}, extras);
	return env;
}

async function proxy(
	target: TestSandbox,
	decide: (request: SeenRequest) => Fault | undefined,
): Promise<FaultProxy> {
	const started = await startFaultProxy(target.sandbox.apiUrl, decide);
	servers.push(started);
	return started;
}

const leads = (count: number) =>
	Array.from({ length: count }, (_, i) => ({ email: `lead${i}@example.org`, name: `Lead ${i}` }));

const sendParameters: INodeParameters = {
	channel: 'msc',
	operation: 'send',
	identity: { __rl: true, mode: 'address', value: VERIFIED },
	to: '={{ $json.email }}',
	subject: '={{ "Offer for " + $json.name }}',
	emailFormat: 'text',
	text: '={{ "Hi " + $json.name }}',
};

interface RunOptions {
	items?: IDataObject[];
	parameters?: INodeParameters;
	credentials?: ICredentialDataDecryptedObject;
	cancelSignal?: AbortSignal;
}

async function run(
	target: TestSandbox,
	{ items = leads(1), parameters = sendParameters, credentials = {}, cancelSignal }: RunOptions,
) {
	const nodes: INode[] = [
		manualTrigger(),
		itemsNode('Leads', items),
		node('MSC', TYPE, parameters, {
			credentials: ['deliveryChannelMscApi'],
			onError: 'continueRegularOutput',
		}),
	];
	const started = Date.now();
	const result = await runWorkflow({
		workflow: { nodes, connections: chain(...nodes) },
		nodeTypes: { [TYPE]: new DeliveryChannel() },
		credentials: {
			deliveryChannelMscApi: {
				baseUrl: target.sandbox.apiUrl,
				apiKey: target.apiKey,
				...credentials,
			},
		},
		credentialTypes: { deliveryChannelMscApi: new DeliveryChannelMscApi() },
		cancelSignal,
	});
	const items_ = (result.taskData('MSC')?.data?.main?.[0] ?? []) as INodeExecutionData[];
	return { result, items: items_.map((item) => item.json), ms: Date.now() - started };
}

/** The "Test" button, through n8n-core's own credential-test context and HTTP client. */
async function testCredential(data: ICredentialDataDecryptedObject) {
	const context = new CredentialTestContext(undefined as unknown as IWorkflowExecuteAdditionalData);
	return await mscChannel.testCredential!.call(context, data);
}

const relayed = (target: TestSandbox) =>
	target.upstream.received.map((message) => message.headers['message-id']);

describe('MSC: the API key never follows a redirect', () => {
	it('reports a redirect to another origin as an error naming the target; the other origin receives nothing', async () => {
		const target = await sandbox();
		const recorder = await startRecorder();
		servers.push(recorder);
		const redirector = await proxy(target, (request) => ({
			answer: {
				status: request.method === 'POST' ? 307 : 308,
				headers: { Location: `${recorder.url}${request.path.split('?')[0]}?token=secret-in-query` },
			},
		}));

		const sent = await run(target, { items: leads(3), credentials: { baseUrl: redirector.url } });
		expect(sent.items[0]).toMatchObject({
			status: 'failed',
			code: 'EPROTOCOL',
			responseCode: 307,
			hint: expect.stringContaining('Base URL'),
		});
		expect(sent.items[0].error).toContain(`redirect (HTTP 307) to ${recorder.url}/v1/messages`);
		// The batch stops: later items are held back rather than sent somewhere else.
		expect(sent.items.map((item) => item.status)).toEqual(expect.arrayContaining(['failed']));
		expect(sent.items.every((item) => item.status === 'failed' || item.status === 'not sent')).toBe(
			true,
		);

		const listed = await run(target, {
			parameters: { channel: 'msc', operation: 'getFailedDeliveries', returnAll: true },
			credentials: { baseUrl: redirector.url },
		});
		expect(listed.items[0]).toMatchObject({
			code: 'EPROTOCOL',
			error: expect.stringContaining(`redirect (HTTP 308) to ${recorder.url}/v1/failed-deliveries`),
		});

		const tested = await testCredential({ baseUrl: redirector.url, apiKey: target.apiKey });
		expect(tested).toEqual({
			status: 'Error',
			message: expect.stringContaining(`redirect (HTTP 308) to ${recorder.url}/v1/account`),
		});

		expect(recorder.seen).toEqual([]);
		expect(target.upstream.received).toHaveLength(0);
		const everything = JSON.stringify([sent.items, listed.items, tested]);
		expect(everything).not.toContain(target.apiKey);
		expect(everything).not.toContain('secret-in-query');
	});

	it('refuses a plain http:// Base URL other than this computer, naming the field and the value, in the node and the credential test', async () => {
		const target = await sandbox();
		const sent = await run(target, {
			items: leads(2),
			credentials: { baseUrl: 'http://msc.example.com:8025' },
		});
		expect(sent.items).toHaveLength(2);
		for (const item of sent.items) {
			expect(item).toMatchObject({
				status: 'failed',
				code: 'EINPUT',
				field: 'baseUrl',
				error: expect.stringContaining('"http://msc.example.com:8025"'),
			});
		}
		expect(sent.items[0].error).toContain('https://');
		const tested = await testCredential({
			baseUrl: 'http://msc.example.com:8025',
			apiKey: target.apiKey,
		});
		expect(tested).toEqual({
			status: 'Error',
			message: expect.stringMatching(
				/Base URL must use https:\/\/.*"http:\/\/msc\.example\.com:8025"/,
			),
		});
		expect(target.upstream.received).toHaveLength(0);
	});

	it('accepts http:// only for loopback addresses, and never repeats a password written into the URL', () => {
		for (const accepted of [
			'http://127.0.0.1:8025',
			'http://127.4.5.6',
			'http://LOCALHOST:1',
			'http://[::1]:8025/',
			'https://msc.example.com',
			'https://10.0.0.1/msc',
		]) {
			expect(baseUrlOf({ baseUrl: accepted })).toBe(accepted.replace(/\/+$/, ''));
		}
		for (const refused of [
			'http://10.0.0.1:8025',
			'http://0.0.0.0:8025',
			'http://127.0.0.1.nip.io',
			'http://[::2]:8025',
			'http://localhost.example.com',
		]) {
			expect(() => baseUrlOf({ baseUrl: refused })).toThrow(
				expect.objectContaining({
					code: 'EINPUT',
					field: 'baseUrl',
					message: expect.stringContaining(JSON.stringify(refused)),
				}),
			);
		}
		expect(() => baseUrlOf({ baseUrl: 'ftp://msc.example.com' })).toThrow(
			expect.objectContaining({ field: 'baseUrl' }),
		);
		let message = '';
		try {
			baseUrlOf({ baseUrl: 'https://admin:hunter2@msc.example.com' });
		} catch (error) {
			message = (error as Error).message;
		}
		expect(message).toMatch(/must not contain a user name or password/);
		expect(message).not.toContain('hunter2');
	});

	it('tests the credential through the node (there is no declarative test that would follow redirects)', async () => {
		const target = await sandbox();
		const description = new DeliveryChannel().description.credentials?.find(
			(credential) => credential.name === 'deliveryChannelMscApi',
		);
		expect(description?.testedBy).toBe('mscCredentialTest');
		expect((new DeliveryChannelMscApi() as unknown as { test?: unknown }).test).toBeUndefined();
		expect(await testCredential({ baseUrl: target.sandbox.apiUrl, apiKey: target.apiKey })).toEqual(
			{
				status: 'OK',
				message: expect.stringContaining('account "Acme Sales"'),
			},
		);
		expect(
			await testCredential({ baseUrl: target.sandbox.apiUrl, apiKey: 'msc_sk_wrong' }),
		).toEqual({
			status: 'Error',
			message: expect.stringContaining('refused the API key'),
		});
	});
});

describe('MSC: an answer that is lost, late or still coming', () => {
	it('keeps asking with the same key while MSC is still sending, and takes the stored result: each message once', async () => {
		// A slow receiving server keeps the sandbox busy; the first answer of each send is cut early.
		const target = await sandbox({}, { upstreamLatencyMs: 250 });
		const front = await proxy(target, (request) =>
			request.method === 'POST' && request.count === 1 ? { forwardAndCutAfterMs: 100 } : undefined,
		);
		const sent = await run(target, { items: leads(2), credentials: { baseUrl: front.url } });
		expect(sent.items.map((item) => item.status)).toEqual(['sent', 'sent']);
		expect(sent.items.every((item) => item.idempotentReplay === true)).toBe(true);
		// The sandbox itself answered "in progress" before it answered with the stored result.
		expect(front.seen.filter((request) => request.upstreamStatus === 409).length).toBeGreaterThan(
			0,
		);
		expect(relayed(target).sort()).toEqual(sent.items.map((item) => item.messageId).sort());
	});

	it('fails EUNKNOWN, not retryable, when the request is still in progress at the deadline MSC gave, and sends nothing twice', async () => {
		const target = await sandbox();
		const front = await proxy(target, (request) => {
			if (request.method !== 'POST') return undefined;
			if (request.count === 1) return { forwardThenDrop: true };
			return {
				answer: {
					status: 409,
					headers: { 'Retry-After': '1' },
					body: {
						type: 'https://msc.example/problems/request-in-progress',
						status: 409,
						code: 'request-in-progress',
						title: 'Request in progress',
						retryable: true,
						finishesWithin: 2,
					},
				},
			};
		});
		const sent = await run(target, { items: leads(3), credentials: { baseUrl: front.url } });
		expect(sent.items).toHaveLength(3);
		for (const item of sent.items) {
			expect(item).toMatchObject({
				status: 'failed',
				code: 'EUNKNOWN',
				retryable: false,
				messageId: expect.any(String),
			});
			expect(item.error).toMatch(/still working on this message after \d+ s/);
		}
		// Asked about for the deadline plus a second, not longer.
		expect(sent.ms).toBeLessThan(8_000);
		expect(relayed(target)).toHaveLength(3);
		expect(new Set(relayed(target)).size).toBe(3);
	});

	it('asks again with the same key when the answer does not come within the credential Timeout: the stored result, one message', async () => {
		const target = await sandbox();
		const front = await proxy(target, (request) =>
			request.method === 'POST' && request.count === 1 ? { forwardThenHoldMs: 2_000 } : undefined,
		);
		const sent = await run(target, {
			items: leads(2),
			credentials: { baseUrl: front.url, timeout: 1 },
		});
		expect(sent.items.map((item) => item.status)).toEqual(['sent', 'sent']);
		expect(sent.items.every((item) => item.attempts === 2 && item.idempotentReplay === true)).toBe(
			true,
		);
		expect(relayed(target)).toHaveLength(2);
		const refused = await run(target, { credentials: { timeout: 0 } });
		expect(refused.items[0]).toMatchObject({
			code: 'EINPUT',
			field: 'timeout',
			error: expect.stringContaining('"0"'),
		});
	});

	it('fails EUNKNOWN (not a retryable error) when every answer after one that was lost is a 5xx', async () => {
		const target = await sandbox();
		const front = await proxy(target, (request) =>
			request.method === 'POST'
				? request.count === 1
					? { forwardThenDrop: true }
					: {
							answer: {
								status: 503,
								headers: { 'Retry-After': '0' },
								body: '<html>Service Unavailable</html>',
							},
						}
				: undefined,
		);
		const sent = await run(target, { items: leads(2), credentials: { baseUrl: front.url } });
		for (const item of sent.items) {
			expect(item).toMatchObject({
				status: 'failed',
				code: 'EUNKNOWN',
				retryable: false,
				error: expect.stringContaining('may or may not have sent'),
			});
		}
		expect(relayed(target)).toHaveLength(2);
	});
});

describe('MSC: Retry-After is bounded', () => {
	it('does not wait for a huge Retry-After: the item fails at once saying so, the batch stops, nothing is sent', async () => {
		const target = await sandbox();
		const front = await proxy(target, (request) =>
			request.method === 'POST'
				? {
						answer: {
							status: 429,
							headers: { 'Retry-After': '86400' },
							body: {
								status: 429,
								code: 'rate-limited',
								title: 'Too many requests',
								detail: 'Slow down.',
							},
						},
					}
				: undefined,
		);
		const sent = await run(target, { items: leads(8), credentials: { baseUrl: front.url } });
		expect(sent.ms).toBeLessThan(5_000);
		const failed = sent.items.filter((item) => item.status === 'failed');
		expect(failed.length).toBeGreaterThan(0);
		expect(failed[0]).toMatchObject({
			code: 'ERATELIMIT',
			retryable: true,
			error: expect.stringMatching(/asks to wait 86400 s .*at most 60 s/),
		});
		expect(sent.items.filter((item) => item.status === 'not sent').length).toBe(8 - failed.length);
		expect(target.upstream.received).toHaveLength(0);
	});

	it('treats a huge Retry-After after a lost answer as an unknown outcome, not as "not sent"', async () => {
		const target = await sandbox();
		const front = await proxy(target, (request) =>
			request.method === 'POST'
				? request.count === 1
					? { forwardThenDrop: true }
					: {
							answer: {
								status: 503,
								headers: { 'Retry-After': '86400' },
								body: { status: 503, code: 'maintenance', title: 'Down for maintenance' },
							},
						}
				: undefined,
		);
		const sent = await run(target, { items: leads(1), credentials: { baseUrl: front.url } });
		expect(sent.items[0]).toMatchObject({
			status: 'failed',
			code: 'EUNKNOWN',
			retryable: false,
			error: expect.stringContaining('86400 s'),
		});
		expect(relayed(target)).toHaveLength(1);
	});
});

describe('MSC: a cancelled execution', () => {
	it('aborts the requests in flight (EUNKNOWN), starts no new one (not sent), and ends at once', async () => {
		const target = await sandbox();
		const cancel = new AbortController();
		const front = await proxy(target, (request) => {
			if (request.method !== 'POST') return undefined;
			if (
				new Set(front.seen.filter((seen) => seen.method === 'POST').map((seen) => seen.key))
					.size === 3
			)
				setTimeout(() => cancel.abort(), 50);
			return { forwardThenHoldMs: 3_000 };
		});
		const sent = await run(target, {
			items: leads(12),
			credentials: { baseUrl: front.url },
			cancelSignal: cancel.signal,
		});
		// Each held answer takes 3 s: ending well before that means the requests were cut, not awaited.
		expect(sent.ms).toBeLessThan(2_500);
		const posted = new Set(
			front.seen.filter((request) => request.method === 'POST').map((request) => request.key),
		);
		const unknown = sent.items.filter((item) => item.code === 'EUNKNOWN');
		const notSent = sent.items.filter((item) => item.status === 'not sent');
		// A request already on its way counts as unknown even if the cut came before MSC saw it (on a
		// loaded machine that happens): what must never be is 'not sent' for one MSC did see.
		expect(unknown.length).toBeGreaterThanOrEqual(posted.size);
		expect(notSent.every((item) => !posted.has(String(item.deliveryId)))).toBe(true);
		expect(unknown.every((item) => item.retryable === false)).toBe(true);
		expect(unknown.length + notSent.length).toBe(12);
		// Nothing was asked again after the cancel.
		expect(front.seen.filter((request) => request.method === 'POST').length).toBe(posted.size);
	});

	it('ends a back-off wait at once: nothing had reached MSC, so the item is not sent', async () => {
		const target = await sandbox();
		const cancel = new AbortController();
		const front = await proxy(target, (request) => {
			if (request.method !== 'POST') return undefined;
			setTimeout(() => cancel.abort(), 200);
			return {
				answer: {
					status: 503,
					headers: { 'Retry-After': '30' },
					body: {
						status: 503,
						code: 'upstream-unavailable',
						title: 'Upstream unavailable',
						retryable: true,
					},
				},
			};
		});
		const sent = await run(target, {
			items: leads(1),
			parameters: sendParameters,
			credentials: { baseUrl: front.url },
			cancelSignal: cancel.signal,
		});
		expect(sent.ms).toBeLessThan(3_000);
		expect(sent.items[0]).toMatchObject({ status: 'not sent', code: 'ENOTSENT' });
		expect(target.upstream.received).toHaveLength(0);
	});
});
