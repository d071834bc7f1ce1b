/**
 * No MSC server at the credential's Base URL (a port nothing listens on, a host that does not
 * exist): Send, Failed Deliveries and the credential test say so, naming the URL, and say what MSC
 * Servers is, how to start the server this package ships, and that Gmail or Custom SMTP can be
 * picked instead. The API key never appears in what they say.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';

import { CredentialTestContext } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	INode,
	INodeExecutionData,
	INodeParameters,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';

import { DeliveryChannelMscApi } from '../../../../../credentials/DeliveryChannelMscApi.credentials';
import { DeliveryChannel } from '../../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import { mscChannel } from '../../../../../nodes/DeliveryChannel/channels/msc';
import { chain, itemsNode, manualTrigger, node, runWorkflow } from '../../../../helpers/n8n';

jest.setTimeout(30_000);

const TYPE = 'CUSTOM.deliveryChannel';
const API_KEY = 'msc_sk_unreachable-test-key-7f3a9c';
const UNKNOWN_HOST = 'https://msc.no-such-host.invalid';

/** A 127.0.0.1 port that was free a moment ago and that nothing listens on now. */
async function closedPort(): Promise<string> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return `http://127.0.0.1:${port}`;
}

const sendParameters: INodeParameters = {
	channel: 'msc',
	operation: 'send',
	identity: { __rl: true, mode: 'address', value: 'sales@acme.example' },
	to: 'lead@example.org',
	subject: 'Offer',
	emailFormat: 'text',
	text: 'Hi',
};

const failedDeliveries: INodeParameters = {
	channel: 'msc',
	operation: 'getFailedDeliveries',
	returnAll: true,
};

/** A 127.0.0.1 port that takes connections and never answers (a hung server, a black hole). */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
	const sockets = new Set<Socket>();
	const server = createServer((socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

async function run(
	baseUrl: string,
	parameters: INodeParameters,
	continueOnFail = false,
	timeout = 5,
) {
	const nodes: INode[] = [
		manualTrigger(),
		itemsNode('Leads', [{ email: 'lead@example.org' }]),
		node('MSC', TYPE, parameters, {
			credentials: ['deliveryChannelMscApi'],
			onError: continueOnFail ? 'continueRegularOutput' : undefined,
		}),
	];
	const result = await runWorkflow({
		workflow: { nodes, connections: chain(...nodes) },
		nodeTypes: { [TYPE]: new DeliveryChannel() },
		credentials: { deliveryChannelMscApi: { baseUrl, apiKey: API_KEY, timeout } },
		credentialTypes: { deliveryChannelMscApi: new DeliveryChannelMscApi() },
	});
	const items = continueOnFail
		? ((result.taskData('MSC')?.data?.main?.[0] ?? []) as INodeExecutionData[])
		: [];
	return { result, items: items.map((item) => item.json) };
}

async function testCredential(data: ICredentialDataDecryptedObject) {
	const context = new CredentialTestContext(undefined as unknown as IWorkflowExecuteAdditionalData);
	return await mscChannel.testCredential!.call(context, data);
}

/** What the description must say: what MSC is, the command, and the other channels. */
function expectGuidance(text: string | undefined): void {
	expect(text).toContain('MSC Servers, the default channel, sends through an MSC server');
	expect(text).toContain('npx delivery-channel-msc');
	expect(text).toContain('npx --package n8n-nodes-delivery-channel delivery-channel-msc');
	expect(text).toContain('http://127.0.0.1:8025');
	expect(text).toMatch(/pick Gmail or Custom SMTP/);
}

const cases: Array<[string, () => Promise<string>, RegExp]> = [
	[
		'refused (nothing listens on the port)',
		closedPort,
		/\(connection refused: nothing listens there\)/,
	],
	[
		'unknown host',
		async () => UNKNOWN_HOST,
		/\((host not found|the host name could not be looked up)\)/,
	],
];

describe.each(cases)('MSC server unreachable: %s', (_name, url, reason) => {
	it('Send stops with an error naming the URL, and its description says how to start an MSC server or pick another channel', async () => {
		const baseUrl = await url();
		const { result } = await run(baseUrl, sendParameters);
		expect(result.error).toBeDefined();
		const error = result.error as unknown as { message: string; description?: string };
		expect(error.message).toContain(`Could not reach the MSC server at ${baseUrl}`);
		expect(error.message).toMatch(reason);
		expectGuidance(error.description ?? undefined);
		expect(JSON.stringify(result.error)).not.toContain(API_KEY);
	});

	it('Send with On Error continue: the item carries the same error and hint, and no key', async () => {
		const baseUrl = await url();
		const { items } = await run(baseUrl, sendParameters, true);
		expect(items).toHaveLength(1);
		expect(items[0]).toMatchObject({ status: 'failed', code: 'ECONNECTION', retryable: true });
		expect(items[0].error).toContain(`Could not reach the MSC server at ${baseUrl}`);
		expectGuidance(items[0].hint as string);
		expect(JSON.stringify(items)).not.toContain(API_KEY);
	});

	it('Failed Deliveries stops with the same error and description', async () => {
		const baseUrl = await url();
		const { result } = await run(baseUrl, failedDeliveries);
		const error = result.error as unknown as { message: string; description?: string };
		expect(error?.message).toContain(`Could not reach the MSC server at ${baseUrl}`);
		expect(error.message).toMatch(reason);
		expectGuidance(error.description ?? undefined);
		expect(JSON.stringify(result.error)).not.toContain(API_KEY);
	});

	it('the credential test says the same in its message', async () => {
		const baseUrl = await url();
		const tested = await testCredential({ baseUrl, apiKey: API_KEY, timeout: 5 });
		expect(tested.status).toBe('Error');
		expect(tested.message).toContain(`Could not reach the MSC server at ${baseUrl}`);
		expect(tested.message).toMatch(reason);
		expectGuidance(tested.message);
		expect(tested.message).not.toContain(API_KEY);
	});
});

describe('MSC server that does not answer', () => {
	it('Failed Deliveries and the credential test: no answer in time, with the same guidance', async () => {
		const silent = await silentServer();
		try {
			const { result } = await run(silent.url, failedDeliveries, false, 1);
			const error = result.error as unknown as { message: string; description?: string };
			expect(error?.message).toContain(`The MSC server at ${silent.url} did not answer in time`);
			expect(error.description).toContain('If no MSC server runs at that address');
			expectGuidance(error.description ?? undefined);
			expect(JSON.stringify(result.error)).not.toContain(API_KEY);

			const tested = await testCredential({ baseUrl: silent.url, apiKey: API_KEY, timeout: 1 });
			expect(tested.message).toContain(
				`Could not reach the MSC server at ${silent.url} (no answer in time)`,
			);
			expectGuidance(tested.message);
			expect(tested.message).not.toContain(API_KEY);
		} finally {
			await silent.close();
		}
	});
});
