import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type {
	IDataObject,
	ICredentialType,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import {
	chain,
	itemsNode,
	manualTrigger,
	node,
	runWorkflow,
	setBinaryDataNode,
	type BinaryDataMode,
} from './n8n';

/** Greets each item's `name` (read from an expression parameter) with the credential's key. */
class Greeter implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Greeter',
		name: 'greeter',
		group: ['transform'],
		version: 1,
		description: 'test node',
		defaults: { name: 'Greeter' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [{ name: 'greeterApi', required: true }],
		properties: [
			{ displayName: 'Name', name: 'name', type: 'string', default: '' },
			{ displayName: 'Fail On', name: 'failOn', type: 'string', default: '' },
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i++) {
			try {
				const name = this.getNodeParameter('name', i) as string;
				if (name === this.getNodeParameter('failOn', i)) {
					throw new NodeOperationError(this.getNode(), `Cannot greet ${name}`, { itemIndex: i });
				}
				const credentials = await this.getCredentials<{ apiKey: string; region: string }>(
					'greeterApi',
					i,
				);
				out.push({
					json: {
						greeting: `Hello ${name}`,
						apiKey: credentials.apiKey,
						region: credentials.region,
					},
					pairedItem: { item: i },
				});
			} catch (error) {
				if (this.continueOnFail()) {
					out.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
					continue;
				}
				throw error;
			}
		}
		return [out];
	}
}

/** Reads every item's `data` binary through the real helpers and reports it. */
class BinaryReader implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Binary Reader',
		name: 'binaryReader',
		group: ['transform'],
		version: 1,
		description: 'test node',
		defaults: { name: 'Binary Reader' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [{ displayName: 'Property', name: 'property', type: 'string', default: 'data' }],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i++) {
			const property = this.getNodeParameter('property', i) as string;
			const meta = this.helpers.assertBinaryData(i, property);
			const buffer = await this.helpers.getBinaryDataBuffer(i, property);
			out.push({
				json: {
					text: buffer.toString('utf8'),
					fileName: meta.fileName ?? null,
					mimeType: meta.mimeType,
					stored: meta.id !== undefined,
				},
				pairedItem: { item: i },
			});
		}
		return [out];
	}
}

class GreeterApi implements ICredentialType {
	name = 'greeterApi';
	displayName = 'Greeter API';
	properties: ICredentialType['properties'] = [
		{ displayName: 'API Key', name: 'apiKey', type: 'string', default: '' },
		{ displayName: 'Region', name: 'region', type: 'string', default: 'eu-1' },
	];
	authenticate: ICredentialType['authenticate'] = {
		type: 'generic',
		properties: {
			headers: { 'X-Api-Key': '={{ $credentials.apiKey }}' },
			qs: { region: '={{ $credentials.region }}' },
		},
	};
}

class GreeterOAuth2Api implements ICredentialType {
	name = 'greeterOAuth2Api';
	extends = ['oAuth2Api'];
	displayName = 'Greeter OAuth2 API';
	properties: ICredentialType['properties'] = [];
}

/** Calls `url` with `httpRequestWithAuthentication` for the credential type `credentialType`. */
class Caller implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Caller',
		name: 'caller',
		group: ['transform'],
		version: 1,
		description: 'test node',
		defaults: { name: 'Caller' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [
			{
				name: 'greeterApi',
				required: true,
				displayOptions: { show: { credentialType: ['greeterApi'] } },
			},
			{
				name: 'greeterOAuth2Api',
				required: true,
				displayOptions: { show: { credentialType: ['greeterOAuth2Api'] } },
			},
		],
		properties: [
			{
				displayName: 'Credential Type',
				name: 'credentialType',
				type: 'string',
				default: 'greeterApi',
			},
			{ displayName: 'URL', name: 'url', type: 'string', default: '' },
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const credentialType = this.getNodeParameter('credentialType', 0) as string;
		const url = this.getNodeParameter('url', 0) as string;
		const body = (await this.helpers.httpRequestWithAuthentication.call(this, credentialType, {
			url,
			json: true,
		})) as IDataObject;
		return [[{ json: body, pairedItem: { item: 0 } }]];
	}
}

const nodeTypes = {
	'CUSTOM.greeter': new Greeter(),
	'CUSTOM.binaryReader': new BinaryReader(),
	'CUSTOM.caller': new Caller(),
};
const people = [{ name: 'Ann' }, { name: 'Bob' }, { name: 'Cid' }];

function greetWorkflow(greetOptions: Parameters<typeof node>[3] = {}, failOn = '') {
	const trigger = manualTrigger();
	const input = itemsNode('People', people);
	const greet = node(
		'Greet',
		'CUSTOM.greeter',
		{ name: '={{ $json.name }}', failOn },
		{ credentials: ['greeterApi'], ...greetOptions },
	);
	return { nodes: [trigger, input, greet], connections: chain(trigger, input, greet) };
}

describe('runWorkflow (n8n-core WorkflowExecute in-process)', () => {
	it('runs Manual Trigger → nodes, resolving expressions, credentials and pairedItem', async () => {
		const { output, error, run, executedNodes } = await runWorkflow({
			workflow: greetWorkflow(),
			nodeTypes,
			credentials: { greeterApi: { apiKey: 'key-123' } },
			credentialTypes: { greeterApi: new GreeterApi() },
		});

		expect(error).toBeUndefined();
		expect(run.status).toBe('success');
		expect(executedNodes).toEqual(['When clicking ‘Execute workflow’', 'People', 'Greet']);
		expect(output('When clicking ‘Execute workflow’')).toEqual([
			{ json: {}, pairedItem: { item: 0 } },
		]);
		expect(output('Greet')).toEqual([
			{
				json: { greeting: 'Hello Ann', apiKey: 'key-123', region: 'eu-1' },
				pairedItem: { item: 0 },
			},
			{
				json: { greeting: 'Hello Bob', apiKey: 'key-123', region: 'eu-1' },
				pairedItem: { item: 1 },
			},
			{
				json: { greeting: 'Hello Cid', apiKey: 'key-123', region: 'eu-1' },
				pairedItem: { item: 2 },
			},
		]);
	});

	it('resolves expressions inside credential values against the current item', async () => {
		const { output, error } = await runWorkflow({
			workflow: greetWorkflow(),
			nodeTypes,
			credentials: {
				greeterApi: { apiKey: '={{ "key-" + $json.name.toLowerCase() }}', region: 'us' },
			},
		});
		expect(error).toBeUndefined();
		expect(output('Greet').map((i) => i.json.apiKey)).toEqual(['key-ann', 'key-bob', 'key-cid']);
	});

	it('with onError=continueRegularOutput, a failing item becomes an error item', async () => {
		const { output, error, run } = await runWorkflow({
			workflow: greetWorkflow({ onError: 'continueRegularOutput' }, 'Bob'),
			nodeTypes,
			credentials: { greeterApi: { apiKey: 'k' } },
		});
		expect(error).toBeUndefined();
		expect(run.status).toBe('success');
		const items = output('Greet');
		expect(items).toHaveLength(3);
		expect(items[0].json.greeting).toBe('Hello Ann');
		expect(items[1]).toEqual({ json: { error: 'Cannot greet Bob' }, pairedItem: { item: 1 } });
		expect(items[2].json.greeting).toBe('Hello Cid');
	});

	it('with onError=continueErrorOutput, n8n routes the error item to the error output', async () => {
		const { output, error } = await runWorkflow({
			workflow: greetWorkflow({ onError: 'continueErrorOutput' }, 'Bob'),
			nodeTypes,
			credentials: { greeterApi: { apiKey: 'k' } },
		});
		expect(error).toBeUndefined();
		expect(output('Greet', 0).map((i) => i.json.greeting)).toEqual(['Hello Ann', 'Hello Cid']);
		// n8n merges the input item's json into the error item on the error output.
		expect(output('Greet', 1)).toEqual([
			{ json: { name: 'Bob', error: 'Cannot greet Bob' }, pairedItem: { item: 1 } },
		]);
	});

	it('without continueOnFail, the run fails with an error naming the node', async () => {
		const { output, error, failedNode, run, taskData } = await runWorkflow({
			workflow: greetWorkflow({}, 'Bob'),
			nodeTypes,
			credentials: { greeterApi: { apiKey: 'k' } },
		});
		expect(run.status).toBe('error');
		expect(error).toBeDefined();
		expect(error?.message).toBe('Cannot greet Bob');
		expect(error).toMatchObject({ node: { name: 'Greet' } });
		expect(failedNode).toBe('Greet');
		expect(taskData('Greet')?.error?.message).toBe('Cannot greet Bob');
		expect(() => output('Greet')).toThrow(/Greet.*failed.*Cannot greet Bob/);
		expect(output('People')).toHaveLength(3);
	});

	it('fails like n8n when the credential is missing from the credentials map', async () => {
		const { error, failedNode, run } = await runWorkflow({
			workflow: greetWorkflow(),
			nodeTypes,
			credentials: {},
		});
		expect(run.status).toBe('error');
		expect(failedNode).toBe('Greet');
		expect(error?.message).toMatch(/does not exist for type "greeterApi"/);
	});

	it('fails like n8n when the node does not reference its required credential', async () => {
		const workflow = greetWorkflow({ credentials: [] });
		delete workflow.nodes[2].credentials;
		const { error, failedNode } = await runWorkflow({
			workflow,
			nodeTypes,
			credentials: { greeterApi: { apiKey: 'k' } },
		});
		expect(failedNode).toBe('Greet');
		expect(error).toMatchObject({ node: { name: 'Greet' } });
		expect(error?.message).toBe('Node does not have any credentials set');
	});

	it.each<BinaryDataMode>(['default', 'filesystem'])(
		'round-trips binary data (binaryDataMode %s)',
		async (binaryDataMode) => {
			const trigger = manualTrigger();
			const input = itemsNode('People', people.slice(0, 2));
			const attach = setBinaryDataNode('Attach', [
				{
					propertyName: 'data',
					fileName: '={{ $json.name }}.txt',
					mimeType: 'text/plain',
					content: '=Dear {{ $json.name }}, ünïcødé ✓',
				},
			]);
			const read = node('Read', 'CUSTOM.binaryReader');
			const { output, error } = await runWorkflow({
				workflow: {
					nodes: [trigger, input, attach, read],
					connections: chain(trigger, input, attach, read),
				},
				nodeTypes,
				binaryDataMode,
			});

			expect(error).toBeUndefined();
			const attached = output('Attach');
			expect(attached[0].binary?.data).toMatchObject({
				fileName: 'Ann.txt',
				mimeType: 'text/plain',
				fileExtension: 'txt',
			});
			if (binaryDataMode === 'default') {
				expect(attached[0].binary?.data.id).toBeUndefined();
				const decoded = Buffer.from(attached[0].binary!.data.data, 'base64').toString();
				expect(decoded).toBe('Dear Ann, ünïcødé ✓');
			} else {
				expect(attached[0].binary?.data.id).toMatch(/^filesystem-v2:/);
				expect(attached[0].binary?.data.data).toBe('filesystem-v2');
			}
			const stored = binaryDataMode === 'filesystem';
			const mimeType = 'text/plain';
			expect(output('Read')).toEqual([
				{
					json: { text: 'Dear Ann, ünïcødé ✓', fileName: 'Ann.txt', mimeType, stored },
					pairedItem: { item: 0 },
				},
				{
					json: { text: 'Dear Bob, ünïcødé ✓', fileName: 'Bob.txt', mimeType, stored },
					pairedItem: { item: 1 },
				},
			]);
		},
	);

	it('in binaryMode "combined" (n8n 2.x setting) stored binaries move to json._files', async () => {
		const trigger = manualTrigger();
		const attach = setBinaryDataNode('Attach', [
			{ propertyName: 'data', fileName: 'a.txt', mimeType: 'text/plain', content: 'combined' },
		]);
		const read = node('Read', 'CUSTOM.binaryReader', { property: '_files.data' });
		const { output, error } = await runWorkflow({
			workflow: {
				nodes: [trigger, attach, read],
				connections: chain(trigger, attach, read),
				settings: { binaryMode: 'combined' },
			},
			nodeTypes,
			binaryDataMode: 'filesystem',
		});
		expect(error).toBeUndefined();
		const [attached] = output('Attach');
		expect(attached.binary).toBeUndefined();
		expect(attached.json._files).toMatchObject({
			data: { fileName: 'a.txt', data: 'filesystem-v2' },
		});
		expect(output('Read')[0].json).toMatchObject({ text: 'combined', stored: true });
	});

	describe('credential types: authenticate and OAuth2', () => {
		let server: Server;
		let baseUrl: string;
		const seen: Array<{ url?: string; headers: IncomingHttpHeaders }> = [];

		beforeAll(async () => {
			server = createServer((req, res) => {
				seen.push({ url: req.url, headers: req.headers });
				res.setHeader('content-type', 'application/json');
				res.end(JSON.stringify({ ok: true }));
			});
			await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
			baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
		});
		afterAll(async () => await new Promise((resolve) => server.close(resolve)));
		beforeEach(() => (seen.length = 0));

		function callerWorkflow(credentialType: string) {
			const trigger = manualTrigger();
			const call = node(
				'Call',
				'CUSTOM.caller',
				{ credentialType, url: `${baseUrl}/ping` },
				{
					credentials: [credentialType],
				},
			);
			return { nodes: [trigger, call], connections: chain(trigger, call) };
		}

		it('applies a generic authenticate block (headers + qs) from credentialTypes', async () => {
			const { output, error } = await runWorkflow({
				workflow: callerWorkflow('greeterApi'),
				nodeTypes,
				credentials: { greeterApi: { apiKey: 'secret-1' } },
				credentialTypes: { greeterApi: new GreeterApi() },
			});
			expect(error).toBeUndefined();
			expect(output('Call')[0].json).toEqual({ ok: true });
			expect(seen).toHaveLength(1);
			expect(seen[0].headers['x-api-key']).toBe('secret-1');
			expect(seen[0].url).toBe('/ping?region=eu-1');
		});

		it('signs requests with the OAuth2 access token of a credential that extends oAuth2Api', async () => {
			const { error } = await runWorkflow({
				workflow: callerWorkflow('greeterOAuth2Api'),
				nodeTypes,
				credentials: {
					greeterOAuth2Api: {
						grantType: 'authorizationCode',
						clientId: 'id',
						clientSecret: 'secret',
						authUrl: `${baseUrl}/auth`,
						accessTokenUrl: `${baseUrl}/token`,
						authentication: 'header',
						oauthTokenData: { access_token: 'tok-42', token_type: 'Bearer' },
					},
				},
				credentialTypes: { greeterOAuth2Api: new GreeterOAuth2Api() },
			});
			expect(error).toBeUndefined();
			expect(seen.map((r) => r.url)).toEqual(['/ping']);
			expect(seen[0].headers.authorization).toBe('Bearer tok-42');
		});
	});
});
