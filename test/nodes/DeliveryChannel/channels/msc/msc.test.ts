/**
 * The node on the MSC channel, run through n8n-core's real execution engine (test/helpers/n8n) against
 * the MSC sandbox started in-process, which relays to a real SMTP server on 127.0.0.1.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type {
	IDataObject,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	INode,
	INodeParameters,
} from 'n8n-workflow';

import { DeliveryChannelMscApi } from '../../../../../credentials/DeliveryChannelMscApi.credentials';
import { DeliveryChannel } from '../../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import { mscChannel } from '../../../../../nodes/DeliveryChannel/channels/msc';
import type { FailureRecord } from '../../../../../sandbox/msc/store';
import { chain, itemsNode, manualTrigger, node, runWorkflow } from '../../../../helpers/n8n';
import type { TestSmtpOptions } from '../../../../helpers/smtp-server';
import {
	deliverReport,
	dsnReport,
	SANDBOX_DOMAIN,
	startTestSandbox,
	UNKNOWN_USER,
	UNVERIFIED,
	VERIFIED,
	type TestSandbox,
} from '../../../../sandbox/helpers';
import type { SandboxOptions } from '../../../../../sandbox/msc/config';

const TYPE = 'CUSTOM.deliveryChannel';

let env: TestSandbox | undefined;
let proxy: Server | undefined;

afterEach(async () => {
	await env?.close();
	env = undefined;
	await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
	proxy = undefined;
});

async function sandbox(
	options: SandboxOptions = {},
	upstream: TestSmtpOptions = {},
): Promise<TestSandbox> {
	env = await startTestSandbox(options, upstream);
	return env;
}

const leads = (count: number) =>
	Array.from({ length: count }, (_, i) => ({ email: `lead${i}@example.org`, name: `Lead ${i}` }));

function sendParameters(overrides: INodeParameters = {}): INodeParameters {
	return {
		channel: 'msc',
		operation: 'send',
		identity: { __rl: true, mode: 'address', value: VERIFIED },
		to: '={{ $json.email }}',
		subject: '={{ "Offer for " + $json.name }}',
		emailFormat: 'text',
		text: '={{ "Hi " + $json.name }}',
		...overrides,
	};
}

interface RunOptions {
	items?: IDataObject[];
	parameters: INodeParameters;
	continueOnFail?: boolean;
	baseUrl?: string;
	apiKey?: string;
}

async function run(
	target: TestSandbox,
	{ items = [{}], parameters, continueOnFail, baseUrl, apiKey }: RunOptions,
) {
	const nodes: INode[] = [
		manualTrigger(),
		itemsNode('Leads', items),
		node('MSC', TYPE, parameters, {
			credentials: ['deliveryChannelMscApi'],
			onError: continueOnFail ? 'continueRegularOutput' : undefined,
		}),
	];
	return await runWorkflow({
		workflow: { nodes, connections: chain(...nodes) },
		nodeTypes: { [TYPE]: new DeliveryChannel() },
		credentials: {
			deliveryChannelMscApi: {
				baseUrl: baseUrl ?? `${target.sandbox.apiUrl}/`,
				apiKey: apiKey ?? target.apiKey,
			},
		},
		credentialTypes: { deliveryChannelMscApi: new DeliveryChannelMscApi() },
	});
}

const failedDeliveries = (overrides: INodeParameters = {}): INodeParameters => ({
	channel: 'msc',
	operation: 'getFailedDeliveries',
	returnAll: true,
	...overrides,
});

/** An HTTP proxy in front of the sandbox that can swallow the answer to chosen requests (the request still reaches the API). */
async function lossyProxy(
	target: string,
	dropAnswer: (method: string, path: string, count: number) => boolean,
): Promise<string> {
	let count = 0;
	proxy = createServer((incoming, outgoing) => {
		const chunks: Buffer[] = [];
		incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
		incoming.on('end', () => {
			count += 1;
			const drop = dropAnswer(incoming.method ?? 'GET', incoming.url ?? '/', count);
			const forward = httpRequest(
				`${target}${incoming.url}`,
				{ method: incoming.method, headers: incoming.headers },
				(answer) => {
					const body: Buffer[] = [];
					answer.on('data', (chunk: Buffer) => body.push(chunk));
					answer.on('end', () => {
						if (drop) {
							incoming.socket.destroy();
							return;
						}
						outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
						outgoing.end(Buffer.concat(body));
					});
				},
			);
			forward.end(Buffer.concat(chunks));
		});
	});
	await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve));
	return `http://127.0.0.1:${(proxy!.address() as AddressInfo).port}`;
}

describe('Send via Delivery Channel on MSC', () => {
	it('sends one message per item and says which identity was used, with the "via" and DMARC warnings', async () => {
		const target = await sandbox();
		const result = await run(target, { items: leads(3), parameters: sendParameters() });
		expect(result.error).toBeUndefined();
		const output = result.output('MSC');
		expect(output).toHaveLength(3);
		expect(target.upstream.received).toHaveLength(3);
		output.forEach((item, index) => {
			expect(item.pairedItem).toEqual({ item: index });
			expect(item.json).toMatchObject({
				status: 'sent',
				channel: 'msc',
				identity: { requested: VERIFIED, used: `Acme Sales <${VERIFIED}>` },
				from: `Acme Sales <${VERIFIED}>`,
				accepted: [`lead${index}@example.org`],
				rejected: [],
				via: SANDBOX_DOMAIN,
				mscMessageId: expect.stringMatching(/^msg_/),
				mscIdentity: expect.objectContaining({ address: VERIFIED, verified: true }),
				envelopeFrom: expect.stringMatching(
					new RegExp(`^bounce\\+msg_[0-9a-f]+@${SANDBOX_DOMAIN.replace(/\./g, '\\.')}$`),
				),
				attempts: 1,
			});
			const warnings = item.json.warnings as string[];
			expect(warnings).toEqual([
				expect.stringContaining(`"via ${SANDBOX_DOMAIN}"`),
				expect.stringMatching(/acme\.example's DMARC policy will not align/),
			]);
			const relayed = target.upstream.received.find(
				(message) => message.headers['message-id'] === item.json.messageId,
			);
			expect(relayed).toBeDefined();
			expect(relayed!.from).toBe(item.json.envelopeFrom);
			expect(relayed!.headers.sender).toContain(`@${SANDBOX_DOMAIN}>`);
			expect(relayed!.headers.subject).toBe(`Offer for Lead ${index}`);
		});
	});

	it('uses an identity picked from the list, and the list shows the account identities', async () => {
		const target = await sandbox();
		const result = await run(target, {
			parameters: sendParameters({
				to: 'jane@example.org',
				identity: { __rl: true, mode: 'list', value: `Acme Sales <${VERIFIED}>` },
			}),
		});
		expect(result.error).toBeUndefined();
		expect(result.output('MSC')[0].json).toMatchObject({
			status: 'sent',
			from: `Acme Sales <${VERIFIED}>`,
		});

		// The editor's list: listIdentities with n8n's authenticated request helper, here on fetch.
		const context = {
			getCredentials: async () => ({ baseUrl: target.sandbox.apiUrl, apiKey: target.apiKey }),
			helpers: {
				async httpRequestWithAuthentication(_type: string, options: IHttpRequestOptions) {
					const response = await fetch(options.url, {
						method: options.method,
						headers: {
							...(options.headers as Record<string, string>),
							Authorization: `Bearer ${target.apiKey}`,
						},
					});
					return {
						statusCode: response.status,
						headers: Object.fromEntries(response.headers),
						body: await response.json(),
					};
				},
			},
		} as unknown as ILoadOptionsFunctions;
		expect(await mscChannel.listIdentities!.call(context)).toEqual([
			{ name: `Acme Sales <${VERIFIED}>`, value: `Acme Sales <${VERIFIED}>` },
			{ name: `Not verified: New Rep <${UNVERIFIED}>`, value: `New Rep <${UNVERIFIED}>` },
		]);
	});

	it('makes an unverified identity a clear item error, and sends the other items', async () => {
		const target = await sandbox();
		const result = await run(target, {
			items: [{ from: VERIFIED }, { from: UNVERIFIED }, { from: VERIFIED }],
			parameters: sendParameters({
				to: 'jane@example.org',
				identity: { __rl: true, mode: 'address', value: '={{ $json.from }}' },
			}),
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		const output = result.output('MSC');
		expect(output.map((item) => item.json.status)).toEqual(['sent', 'failed', 'sent']);
		expect(output[1].json).toMatchObject({
			code: 'EIDENTITY',
			field: 'identity',
			retryable: false,
			error: expect.stringContaining(`${UNVERIFIED} is not verified`),
			hint: expect.stringContaining(`Verified identities on this account: ${VERIFIED}`),
		});
		expect(output[1].pairedItem).toEqual({ item: 1 });
		expect(target.upstream.received).toHaveLength(2);

		const stopped = await run(target, {
			parameters: sendParameters({
				to: 'jane@example.org',
				identity: { __rl: true, mode: 'address', value: UNVERIFIED },
			}),
		});
		expect(stopped.error?.message).toContain('is not verified');
	});

	it('stops the batch on a wrong API key or an unreachable API, with a hint', async () => {
		const target = await sandbox();
		const wrongKey = await run(target, {
			items: leads(2),
			parameters: sendParameters(),
			apiKey: 'msc_sk_wrong',
			continueOnFail: true,
		});
		const items = wrongKey.output('MSC');
		expect(items[0].json).toMatchObject({
			status: 'failed',
			code: 'EAUTH',
			hint: expect.stringContaining('API Key'),
		});
		// Items already in flight fail the same way; any later one is held back.
		expect(['EAUTH', 'ENOTSENT']).toContain(items[1].json.code);
		const many = await run(target, {
			items: leads(12),
			parameters: sendParameters(),
			apiKey: 'msc_sk_wrong',
			continueOnFail: true,
		});
		expect(
			many.output('MSC').filter((item) => item.json.code === 'ENOTSENT').length,
		).toBeGreaterThan(0);

		const down = await run(target, {
			items: leads(1),
			parameters: sendParameters(),
			baseUrl: 'http://127.0.0.1:1',
			continueOnFail: true,
		});
		expect(down.output('MSC')[0].json).toMatchObject({
			code: 'ECONNECTION',
			hint: expect.stringContaining('npx delivery-channel-msc'),
		});
		expect(target.upstream.received).toHaveLength(0);
	});

	it('backs off on 429 and sends every item exactly once', async () => {
		const target = await sandbox({ rateLimit: { perSecond: 4, burst: 1 } });
		const result = await run(target, { items: leads(4), parameters: sendParameters() });
		expect(result.error).toBeUndefined();
		const output = result.output('MSC');
		expect(output.map((item) => item.json.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
		expect(Math.max(...output.map((item) => Number(item.json.attempts)))).toBeGreaterThan(1);
		expect(target.upstream.received).toHaveLength(4);
		expect(new Set(target.upstream.received.map((message) => message.to[0])).size).toBe(4);
	});

	it('retries with the same idempotency key when the answer is lost, and the message goes out once', async () => {
		const target = await sandbox();
		const baseUrl = await lossyProxy(
			target.sandbox.apiUrl,
			(method, path, count) => method === 'POST' && path === '/v1/messages' && count === 1,
		);
		const result = await run(target, {
			parameters: sendParameters({ to: 'jane@example.org' }),
			baseUrl,
		});
		expect(result.error).toBeUndefined();
		expect(result.output('MSC')[0].json).toMatchObject({
			status: 'sent',
			attempts: 2,
			idempotentReplay: true,
		});
		expect(target.upstream.received).toHaveLength(1);
	});

	it('retries after the service answers 503 (upstream briefly unavailable) and sends once', async () => {
		const target = await sandbox({}, { onMail: (count) => (count === 1 ? '421' : undefined) });
		const result = await run(target, { parameters: sendParameters({ to: 'jane@example.org' }) });
		expect(result.error).toBeUndefined();
		expect(result.output('MSC')[0].json).toMatchObject({ status: 'sent', attempts: 2 });
		expect(target.upstream.received).toHaveLength(1);
	});

	it('reports "result unknown" without sending again when the relay broke after the data', async () => {
		const target = await sandbox({}, { afterData: () => 'drop' });
		const result = await run(target, {
			parameters: sendParameters({ to: 'jane@example.org' }),
			continueOnFail: true,
		});
		expect(result.output('MSC')[0].json).toMatchObject({
			status: 'failed',
			code: 'EUNKNOWN',
			retryable: false,
		});
		expect(target.upstream.received).toHaveLength(1);
	});

	it('fails an item whose every recipient was refused, and keeps the refusal for Failed Deliveries', async () => {
		const target = await sandbox();
		const result = await run(target, {
			parameters: sendParameters({ to: UNKNOWN_USER }),
			continueOnFail: true,
		});
		expect(result.output('MSC')[0].json).toMatchObject({
			status: 'failed',
			code: 'EENVELOPE',
			recipients: [UNKNOWN_USER],
			responseCode: 550,
		});
	});
});

describe('Failed Deliveries on MSC', () => {
	it('lists a recipient refused at relay time and a bounce report, with the right reason and link', async () => {
		const target = await sandbox();
		const sent = await run(target, {
			items: [
				{ email: `jane@example.org, ${UNKNOWN_USER}`, name: 'Jane' },
				{ email: 'full@example.org', name: 'Fiona' },
			],
			parameters: sendParameters(),
		});
		expect(sent.error).toBeUndefined();
		const [partial, full] = sent.output('MSC').map((item) => item.json);
		expect(partial).toMatchObject({
			status: 'partial',
			accepted: ['jane@example.org'],
			rejected: [expect.objectContaining({ address: UNKNOWN_USER, code: 550 })],
		});
		expect(partial.warnings).toEqual(
			expect.arrayContaining([
				expect.stringContaining(`refused 1 of 2 recipients: ${UNKNOWN_USER}`),
			]),
		);

		// The receiving server of full@example.org accepted, then bounced to the message's bounce address.
		await deliverReport(
			target.sandbox,
			String(full.envelopeFrom),
			dsnReport({
				to: String(full.envelopeFrom),
				recipient: 'full@example.org',
				status: '5.2.2',
				diagnostic: '552 5.2.2 Mailbox full',
				messageId: String(full.messageId),
				subject: 'Offer for Fiona',
			}),
		);

		const listed = await run(target, { parameters: failedDeliveries() });
		expect(listed.error).toBeUndefined();
		const failures = listed.output('MSC').map((item) => item.json);
		expect(failures).toEqual([
			expect.objectContaining({
				channel: 'msc',
				recipient: 'full@example.org',
				kind: 'failure',
				action: 'failed',
				hard: false,
				reason: 'mailboxfull',
				status: '5.2.2',
				link: { method: 'bounce-address', confidence: 'high' },
				message: expect.objectContaining({
					id: full.mscMessageId,
					messageId: full.messageId,
					subject: 'Offer for Fiona',
					identity: VERIFIED,
				}),
				details: expect.objectContaining({
					source: 'bounce-report',
					reportId: expect.stringMatching(/^rpt_/),
				}),
			}),
			expect.objectContaining({
				channel: 'msc',
				recipient: UNKNOWN_USER,
				hard: true,
				reason: 'userunknown',
				status: '5.1.1',
				replyCode: '550',
				link: { method: 'relay-session', confidence: 'high' },
				message: expect.objectContaining({
					id: partial.mscMessageId,
					messageId: partial.messageId,
				}),
				details: expect.objectContaining({ source: 'relay' }),
			}),
		]);

		const hardOnly = await run(target, {
			parameters: failedDeliveries({ filters: { verdict: 'hard' } }),
		});
		expect(hardOnly.output('MSC').map((item) => item.json.recipient)).toEqual([UNKNOWN_USER]);
		const oneRecipient = await run(target, {
			parameters: failedDeliveries({ filters: { recipient: 'FULL@example.org' } }),
		});
		expect(oneRecipient.output('MSC').map((item) => item.json.recipient)).toEqual([
			'full@example.org',
		]);
		const later = await run(target, {
			parameters: failedDeliveries({
				filters: { since: new Date(Date.now() + 3_600_000).toISOString() },
			}),
		});
		expect(later.output('MSC')).toEqual([]);
	});

	it('pages through the API for Return All and stops at the limit otherwise', async () => {
		const target = await sandbox();
		const account = target.sandbox.store.accountByApiKey(target.apiKey)!;
		const at = Date.now() - 60_000;
		for (let i = 0; i < 230; i++) {
			const record: FailureRecord = {
				id: `fd_${i}`,
				recipient: `gone${i}@example.org`,
				action: 'failed',
				kind: 'failure',
				hard: true,
				reason: 'userunknown',
				status: '5.1.1',
				replyCode: '550',
				diagnostic: '550 5.1.1 User unknown',
				failedAt: new Date(at + i).toISOString(),
				message: {},
				link: { method: 'none', confidence: 'none' },
				source: 'bounce-report',
			};
			target.sandbox.store.addFailure(account.id, undefined, undefined, record);
		}
		const all = await run(target, { parameters: failedDeliveries() });
		const recipients = all.output('MSC').map((item) => item.json.recipient);
		expect(recipients).toHaveLength(230);
		expect(new Set(recipients).size).toBe(230);
		expect(recipients[0]).toBe('gone229@example.org');

		const limited = await run(target, {
			parameters: failedDeliveries({ returnAll: false, limit: 120 }),
		});
		expect(limited.output('MSC')).toHaveLength(120);
		expect(limited.output('MSC')[119].json.recipient).toBe('gone110@example.org');
	});
});
