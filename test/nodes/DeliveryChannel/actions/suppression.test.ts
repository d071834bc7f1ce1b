/**
 * Skip Suppressed Recipients as n8n runs it (n8n-core in-process) against a real SMTP server: a hard
 * bounce and a complaint that Failed Deliveries lists are recorded, and the next sends leave those
 * addresses out (nothing reaches the server for them: no MAIL FROM for a message held whole), a
 * partially suppressed message goes to the others, Hold the Whole Message holds it, the item's own
 * list counts, and a held item never reserves its Idempotency Key.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { DeliveryChannel } from '../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import { channels } from '../../../../nodes/DeliveryChannel/channels/registry';
import type { FailedDelivery } from '../../../../nodes/DeliveryChannel/channels/types';
import {
	chain,
	itemsNode,
	manualTrigger,
	node,
	runWorkflow,
	setBinaryDataNode,
} from '../../../helpers/n8n';
import { startSmtpServer, type TestSmtpServer } from '../../../helpers/smtp-server';

const TYPE = 'CUSTOM.deliveryChannel';

let server: TestSmtpServer;

beforeAll(async () => {
	server = await startSmtpServer();
});
afterAll(async () => {
	await server.close();
});
afterEach(() => jest.restoreAllMocks());

function failure(recipient: string, extra: Partial<FailedDelivery>): FailedDelivery {
	return {
		channel: 'smtp',
		recipient,
		action: 'failed',
		kind: 'failure',
		hard: true,
		reason: 'userunknown',
		status: '5.1.1',
		replyCode: '550',
		diagnostic: '550 5.1.1 no such user',
		failedAt: '2026-11-29T10:00:00.000Z',
		message: { messageId: '<dc-first@example.com>', deliveryId: 'dc-first' },
		link: { method: 'delivery-id', confidence: 'high' },
		...extra,
	} as FailedDelivery;
}

async function run(parameters: INodeParameters, items: IDataObject[], csv?: string) {
	const trigger = manualTrigger();
	const source = itemsNode('Leads', items);
	const file =
		csv === undefined
			? []
			: [
					setBinaryDataNode('File', [
						{ propertyName: 'unsubscribes', fileName: 'u.csv', content: csv },
					]),
				];
	const step = node(
		'Step',
		TYPE,
		{ channel: 'smtp', ...parameters },
		{
			credentials: ['deliveryChannelSmtpApi'],
			onError: 'continueRegularOutput',
		},
	);
	const nodes = [trigger, source, ...file, step];
	const result = await runWorkflow({
		workflow: { nodes, connections: chain(...nodes) },
		nodeTypes: { [TYPE]: new DeliveryChannel() },
		credentials: {
			deliveryChannelSmtpApi: {
				host: server.host,
				port: server.port,
				security: 'none',
				user: '',
				password: '',
			},
		},
	});
	expect(result.error).toBeUndefined();
	return result.output('Step');
}

function send(options: INodeParameters = {}, to = '={{ $json.to }}'): INodeParameters {
	return {
		operation: 'send',
		identity: { __rl: true, mode: 'address', value: 'Jane Doe <jane@example.com>' },
		to,
		subject: 'Hello',
		emailFormat: 'text',
		text: 'Hi',
		options,
	};
}

/** Failed Deliveries on the real SMTP channel, its mailbox listing these failures. */
async function listFailures(failures: FailedDelivery[]) {
	const open = channels.smtp.open.bind(channels.smtp);
	jest.spyOn(channels.smtp, 'open').mockImplementation(async (context, options) =>
		Object.assign(await open(context, options), {
			listFailedDeliveries: async () => ({ failures, truncated: false }),
		}),
	);
	const params = {
		operation: 'getFailedDeliveries',
		returnAll: true,
		filters: { includeComplaints: true },
	};
	return await run(params, [{}]);
}

const recipientsOf = (from: number) => server.received.slice(from).flatMap((message) => message.to);

beforeAll(async () => {
	const listed = await listFailures([
		failure('Gone@Example.ORG', {}),
		failure('soft@example.org', { hard: false, reason: 'mailboxfull', status: '4.2.2' }),
		failure('later@example.org', { action: 'delayed', kind: 'delay', hard: false }),
		failure('spam@example.org', { kind: 'complaint', hard: false, feedbackType: 'abuse' }),
	]);
	expect(listed).toHaveLength(4);
	jest.restoreAllMocks();
});

it('a hard bounce and a complaint from Failed Deliveries are not sent to again; soft failures and delays are', async () => {
	const before = server.received.length;
	const attempts = server.attempts;
	const items = ['gone@example.org', 'soft@example.org', 'later@example.org', 'SPAM@example.org'];
	const output = await run(
		send(),
		items.map((to) => ({ to })),
	);
	expect(output.map((item) => item.json.status)).toEqual([
		'suppressed',
		'sent',
		'sent',
		'suppressed',
	]);
	expect(output.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3].map((item) => ({ item })));
	expect(output[0].json).toMatchObject({
		messageId: null,
		suppressed: [
			{
				address: 'Gone@example.org',
				reason: 'hard-bounce',
				detail: 'userunknown 5.1.1',
				source: 'Failed Deliveries (smtp:cred-deliveryChannelSmtpApi)',
				recordedAt: expect.stringMatching(/^\d{4}-/),
			},
		],
	});
	expect(output[3].json.suppressed).toEqual([
		expect.objectContaining({ reason: 'complaint', detail: 'abuse' }),
	]);
	expect(recipientsOf(before).sort()).toEqual(['later@example.org', 'soft@example.org']);
	expect(server.attempts - attempts).toBe(2);
});

it('a partially suppressed message goes to the others, and says who was left out', async () => {
	const before = server.received.length;
	const output = await run(send({ cc: 'gone@EXAMPLE.org', bcc: 'dee@example.org' }), [
		{ to: 'ann@example.org' },
	]);
	expect(output[0].json).toMatchObject({
		status: 'sent',
		accepted: ['ann@example.org', 'dee@example.org'],
		suppressed: [expect.objectContaining({ address: 'Gone@example.org', reason: 'hard-bounce' })],
		warnings: [expect.stringContaining('Not sent to Gone@example.org (hard-bounce): suppressed')],
	});
	expect(recipientsOf(before)).toEqual(['ann@example.org', 'dee@example.org']);
	expect(server.received[before].raw.toString()).not.toMatch(/gone@/i);
});

it('Hold the Whole Message sends to nobody when one recipient is suppressed', async () => {
	const attempts = server.attempts;
	const output = await run(send({ cc: 'gone@example.org', ifSuppressed: 'hold' }), [
		{ to: 'ann@example.org' },
	]);
	expect(output[0].json).toMatchObject({
		status: 'suppressed',
		notSentTo: ['ann@example.org'],
		suppressed: [expect.objectContaining({ address: 'Gone@example.org' })],
	});
	expect(server.attempts).toBe(attempts);
});

it("the item's own list (an expression giving a list, or lines) is not sent to", async () => {
	const before = server.received.length;
	const options = { suppressedList: '={{ $json.unsubscribed }}' };
	const output = await run(send(options, '={{ $json.to }}'), [
		{ to: 'ann@example.org, bob@example.org', unsubscribed: ['BOB@example.org', 'x@example.org'] },
		{ to: 'cy@example.org', unsubscribed: 'x@example.org\ncy@example.org' },
	]);
	expect(output.map((item) => item.json.status)).toEqual(['sent', 'suppressed']);
	expect(output[0].json.suppressed).toEqual([
		{
			address: 'bob@example.org',
			reason: 'list',
			recordedAt: null,
			source: 'Suppressed Recipients List',
		},
	]);
	expect(recipientsOf(before)).toEqual(['ann@example.org']);
});

it('a bad address in the list stops the batch before anything is sent', async () => {
	const attempts = server.attempts;
	const output = await run(send({ suppressedList: 'not an address' }), [{ to: 'ann@example.org' }]);
	expect(output[0].json).toMatchObject({
		status: 'failed',
		code: 'EINPUT',
		field: 'options.suppressedList',
	});
	expect(server.attempts).toBe(attempts);
});

it('Skip Suppressed Recipients off sends to a suppressed address', async () => {
	const before = server.received.length;
	const output = await run(send({ skipSuppressed: false }), [{ to: 'gone@example.org' }]);
	expect(output[0].json.status).toBe('sent');
	expect(recipientsOf(before)).toEqual(['gone@example.org']);
});

it('a held item does not use its Idempotency Key: once lifted, the same key sends', async () => {
	const before = server.received.length;
	const keyed = send({ idempotencyKey: 'lead-77-intro' });
	expect((await run(keyed, [{ to: 'spam@example.org' }]))[0].json.status).toBe('suppressed');
	const removed = await run({ operation: 'removeSuppression', email: 'spam@example.org' }, [{}]);
	expect(removed[0].json).toMatchObject({ address: 'spam@example.org', removed: true });
	expect((await run(keyed, [{ to: 'spam@example.org' }]))[0].json.status).toBe('sent');
	expect((await run(keyed, [{ to: 'spam@example.org' }]))[0].json.status).toBe('duplicate');
	expect(recipientsOf(before)).toEqual(['spam@example.org']);
});

it('a CSV file in a binary field (an unsubscribe export) is not sent to', async () => {
	const before = server.received.length;
	const csv = 'email,name\r\n"eve@example.org","Eve, Smith"\r\nfay@example.org;Fay\r\n';
	const output = await run(
		send({ suppressedListFile: 'unsubscribes' }),
		[
			{ to: 'eve@example.org, gus@example.org' },
			{ to: 'FAY@example.org' },
			{ to: 'hal@example.org' },
		],
		csv,
	);
	expect(output.map((item) => item.json.status)).toEqual(['sent', 'suppressed', 'sent']);
	expect(output[0].json.suppressed).toEqual([
		{
			address: 'eve@example.org',
			reason: 'list',
			recordedAt: null,
			source: 'Suppressed Recipients File',
		},
	]);
	expect(recipientsOf(before)).toEqual(['gus@example.org', 'hal@example.org']);
	const missing = await run(send({ suppressedListFile: 'nope' }), [{ to: 'ann@example.org' }], csv);
	expect(missing[0].json).toMatchObject({
		status: 'failed',
		code: 'EINPUT',
		field: 'options.suppressedListFile',
	});
});
