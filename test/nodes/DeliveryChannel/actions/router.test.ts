/**
 * The router as n8n runs it (n8n-core in-process) against a real SMTP server: the three On Error
 * settings, input checked before the first send, a stop that names what was already sent, and
 * n8n's cancel signal.
 */
import type { IDataObject, INode, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { DeliveryChannel } from '../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import { chain, itemsNode, manualTrigger, node, runWorkflow } from '../../../helpers/n8n';
import {
	startSmtpServer,
	type TestSmtpOptions,
	type TestSmtpServer,
} from '../../../helpers/smtp-server';

const TYPE = 'CUSTOM.deliveryChannel';

let server: TestSmtpServer | undefined;

afterEach(async () => {
	await server?.close();
	server = undefined;
});

async function serve(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
	server = await startSmtpServer(options);
	return server;
}

const parameters: INodeParameters = {
	channel: 'smtp',
	operation: 'send',
	identity: { __rl: true, mode: 'address', value: 'Jane Doe <jane@example.com>' },
	to: '={{ $json.email }}',
	subject: '={{ "Hello " + $json.name }}',
	emailFormat: 'text',
	text: 'Hi',
};

interface RunOptions {
	items: IDataObject[];
	onError?: INode['onError'];
	credentials?: IDataObject;
	cancelSignal?: AbortSignal;
}

async function run(
	smtp: TestSmtpServer,
	{ items, onError, credentials, cancelSignal }: RunOptions,
) {
	const trigger = manualTrigger();
	const source = itemsNode('Leads', items);
	const send = node('Send', TYPE, parameters, { credentials: ['deliveryChannelSmtpApi'], onError });
	const nodes = [trigger, source, send];
	return await runWorkflow({
		workflow: { nodes, connections: chain(...nodes) },
		nodeTypes: { [TYPE]: new DeliveryChannel() },
		credentials: {
			deliveryChannelSmtpApi: {
				host: smtp.host,
				port: smtp.port,
				security: 'none',
				user: '',
				password: '',
				...credentials,
			},
		},
		cancelSignal,
	});
}

const refused = (address: string): [number, string] | undefined =>
	address.startsWith('gone') ? [550, '5.1.1 No such user'] : undefined;

const leads: IDataObject[] = [
	{ email: 'ann@example.org', name: 'Ann', crmId: 'L-1' },
	{ email: 'gone@example.org', name: 'Bob', crmId: 'L-2' },
	{ email: 'not an address', name: 'Cy', crmId: 'L-3' },
	{ email: 'dee@example.org', name: 'Dee', crmId: 'L-4' },
];

function receivedIds(smtp: TestSmtpServer): string[] {
	return smtp.received.map((message) => message.headers['message-id']);
}

describe('On Error = Continue (using error output)', () => {
	it('sends failed and not-sent items to the error output with every field, and the lead, kept', async () => {
		const smtp = await serve({ rcpt: refused });
		const result = await run(smtp, { items: leads, onError: 'continueErrorOutput' });
		expect(result.error).toBeUndefined();
		const success = result.output('Send', 0);
		const failed = result.output('Send', 1);
		expect(success.map((item) => item.json.status)).toEqual(['sent', 'sent']);
		expect(success.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 3 }]);
		expect(smtp.received).toHaveLength(2);

		expect(failed).toHaveLength(2);
		const byLead = Object.fromEntries(failed.map((item) => [item.json.crmId, item.json]));
		// The lead's own fields come back (n8n merges the paired input item), so the branch can update the CRM.
		expect(byLead['L-2']).toMatchObject({
			email: 'gone@example.org',
			name: 'Bob',
			error: expect.stringContaining('refused every recipient'),
			details: {
				status: 'failed',
				channel: 'smtp',
				code: 'EENVELOPE',
				retryable: false,
				recipients: ['gone@example.org'],
			},
		});
		expect((byLead['L-2'].details as IDataObject).messageId).toMatch(/^<dc-/);
		expect(byLead['L-3']).toMatchObject({
			email: 'not an address',
			error: expect.stringContaining('not an address'),
			details: { status: 'failed', code: 'EINPUT', field: 'to', retryable: false },
		});
	});

	it('keeps a partially refused message on the success output', async () => {
		const smtp = await serve({ rcpt: refused });
		const result = await run(smtp, {
			items: [{ email: 'ann@example.org, gone@example.org', name: 'Ann' }],
			onError: 'continueErrorOutput',
		});
		expect(result.output('Send', 0).map((item) => item.json.status)).toEqual(['partial']);
		expect(result.output('Send', 1)).toEqual([]);
	});
});

describe('On Error = Continue (regular output)', () => {
	it('keeps every item on the one output, failures flat as before', async () => {
		const smtp = await serve({ rcpt: refused });
		const result = await run(smtp, { items: leads, onError: 'continueRegularOutput' });
		const output = result.output('Send');
		expect(output.map((item) => item.json.status)).toEqual(['sent', 'failed', 'failed', 'sent']);
		expect(output[1].json).toMatchObject({
			code: 'EENVELOPE',
			error: expect.any(String),
			retryable: false,
		});
		expect(output[2].json).toMatchObject({ code: 'EINPUT', field: 'to' });
		expect(output.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3].map((item) => ({ item })));
	});
});

describe('On Error = Stop Workflow', () => {
	it('checks every item before sending: one bad input stops the batch with nothing sent', async () => {
		const smtp = await serve();
		const items = [
			leads[0],
			leads[3],
			{ email: 'x@@example.org', name: 'Bad' },
			leads[0],
			{ email: '', name: 'Empty' },
		];
		const result = await run(smtp, { items });
		expect(result.error?.message).toContain('[item 2]');
		expect(result.error?.description).toContain('Nothing was sent');
		expect(result.error?.description).toContain('item 4');
		expect(smtp.attempts).toBe(0);
		expect(smtp.received).toHaveLength(0);
	});

	it('names every item already sent, with its Message-ID, when sending fails midway', async () => {
		const smtp = await serve({ rcpt: refused });
		const items = [leads[0], leads[3], leads[1], { email: 'eve@example.org', name: 'Eve' }];
		const result = await run(smtp, { items, credentials: { maxConnections: 1 } });
		expect(result.error?.message).toContain('[item 2]');
		const description = String(result.error?.description);
		expect(smtp.received).toHaveLength(2);
		expect(description).toContain('Already sent, do not send again');
		for (const id of receivedIds(smtp)) expect(description).toContain(id.replace(/^<|>$/g, ''));
		expect(description).toMatch(/item 0 \(Message-ID dc-/);
		expect(description).toMatch(/item 1 \(Message-ID dc-/);
		expect(description).not.toContain('item 3');
		// Angle brackets vanish when n8n renders the description as HTML: the ids go without them.
		expect(description).not.toMatch(/<dc-/);
	});

	it('names the item whose outcome is unknown and does not count it as unsent', async () => {
		const smtp = await serve({ afterData: (count) => (count === 2 ? 'drop' : undefined) });
		const result = await run(smtp, {
			items: [leads[0], leads[3], { email: 'eve@example.org', name: 'Eve' }],
			credentials: { maxConnections: 1 },
		});
		expect(result.error?.message).toContain('[item 1]');
		const description = String(result.error?.description);
		expect(description).toMatch(/May have been delivered.*item 1 \(Message-ID dc-/);
		expect(description).toMatch(/Already sent, do not send again: item 0 \(Message-ID dc-/);
		expect(smtp.received).toHaveLength(2);
	});
});

describe("n8n's cancel signal", () => {
	it('stops before the next item: nothing is sent after the execution was cancelled', async () => {
		const cancel = new AbortController();
		const smtp = await serve({
			afterData: (count) => {
				if (count === 2) cancel.abort();
				return undefined;
			},
		});
		const items = Array.from({ length: 8 }, (_, index) => ({
			email: `lead${index}@example.org`,
			name: `Lead ${index}`,
		}));
		const result = await run(smtp, {
			items,
			onError: 'continueRegularOutput',
			credentials: { maxConnections: 1 },
			cancelSignal: cancel.signal,
		});
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(smtp.received).toHaveLength(2);
		expect(smtp.attempts).toBe(2);
		expect(result.run.status).toBe('canceled');
		const output = (result.taskData('Send')?.data?.main?.[0] ?? []) as INodeExecutionData[];
		if (output.length) {
			// When n8n keeps the node's output, every item says what became of it.
			expect(output).toHaveLength(8);
			expect(output.slice(2).every((item) => item.json.status === 'not sent')).toBe(true);
		}
	});
});
