/**
 * The node on the Custom SMTP channel, run through n8n-core's real execution engine against a real
 * SMTP server (smtp-server) on 127.0.0.1.
 */
import type { IDataObject, INode, INodeParameters } from 'n8n-workflow';

import { DeliveryChannel } from '../../../nodes/DeliveryChannel/DeliveryChannel.node';
import {
	chain,
	itemsNode,
	manualTrigger,
	node,
	runWorkflow,
	setBinaryDataNode,
	type BinaryFileSpec,
} from '../../helpers/n8n';
import {
	startSmtpServer,
	type TestSmtpOptions,
	type TestSmtpServer,
} from '../../helpers/smtp-server';
import { simpleParser } from '../../helpers/parse-mail';

const TYPE = 'CUSTOM.deliveryChannel';

let server: TestSmtpServer | undefined;

afterEach(async () => {
	await server?.close();
	server = undefined;
});

function sendParameters(overrides: INodeParameters = {}): INodeParameters {
	return {
		channel: 'smtp',
		operation: 'send',
		identity: { __rl: true, mode: 'address', value: 'Jane Doe <jane@example.com>' },
		to: '={{ $json.email }}',
		subject: '={{ "Hello " + $json.name }}',
		emailFormat: 'text',
		text: '={{ "Hi " + $json.name }}',
		...overrides,
	};
}

interface RunOptions {
	items: IDataObject[];
	parameters?: INodeParameters;
	continueOnFail?: boolean;
	credentials?: IDataObject;
	files?: BinaryFileSpec[];
}

async function run(
	smtp: TestSmtpServer,
	{ items, parameters, continueOnFail, credentials, files }: RunOptions,
) {
	const trigger = manualTrigger();
	const source = itemsNode('Leads', items);
	const nodes: INode[] = [trigger, source];
	if (files) nodes.push(setBinaryDataNode('Files', files));
	const send = node('Send', TYPE, sendParameters(parameters), {
		credentials: ['deliveryChannelSmtpApi'],
		onError: continueOnFail ? 'continueRegularOutput' : undefined,
	});
	nodes.push(send);
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
				allowSelfSigned: false,
				...credentials,
			},
		},
		binaryDataMode: 'filesystem',
	});
}

async function serve(options: TestSmtpOptions = {}) {
	server = await startSmtpServer(options);
	return server;
}

const leads = (count: number) =>
	Array.from({ length: count }, (_, i) => ({ email: `lead${i}@example.org`, name: `Lead ${i}` }));

describe('Send via Delivery Channel on Custom SMTP', () => {
	it('sends one message per item, resolving expressions, and reports what happened', async () => {
		const smtp = await serve();
		const result = await run(smtp, { items: leads(3) });
		expect(result.error).toBeUndefined();
		const output = result.output('Send');
		expect(output).toHaveLength(3);
		expect(smtp.received).toHaveLength(3);
		output.forEach((item, index) => {
			expect(item.pairedItem).toEqual({ item: index });
			expect(item.json).toMatchObject({
				status: 'sent',
				channel: 'smtp',
				accepted: [`lead${index}@example.org`],
				rejected: [],
				identity: { requested: 'Jane Doe <jane@example.com>', used: 'Jane Doe <jane@example.com>' },
				subject: `Hello Lead ${index}`,
			});
			expect(item.json.response).toMatch(/^250 /);
			const received = smtp.received.find(
				(message) => message.headers['message-id'] === item.json.messageId,
			);
			expect(received).toBeDefined();
			expect(received!.to).toEqual([`lead${index}@example.org`]);
			expect(received!.from).toBe('jane@example.com');
			// The id a later Failed Deliveries links a bounce back with: DSN envelope id and header.
			expect(received!.envid).toBe(item.json.deliveryId);
			expect(received!.headers['x-delivery-id']).toBe(item.json.deliveryId);
		});
	});

	it('logs in and sends over STARTTLS to a self-signed server only when allowed', async () => {
		const smtp = await serve({ auth: { user: 'rep', pass: 's3cret' }, tls: 'required' });
		const strict = await run(smtp, {
			items: leads(2),
			credentials: { security: 'starttls', user: 'rep', password: 's3cret' },
			continueOnFail: true,
		});
		const refused = strict.output('Send');
		expect(refused[0].json).toMatchObject({ status: 'failed', code: 'ETLS' });
		expect(String(refused[0].json.error)).toMatch(/certificate/i);
		// The certificate problem stops the batch: the second item is marked, not tried.
		expect(refused[1].json).toMatchObject({ status: 'not sent', code: 'ENOTSENT' });
		expect(smtp.received).toHaveLength(0);

		const allowed = await run(smtp, {
			items: leads(2),
			credentials: { security: 'starttls', user: 'rep', password: 's3cret', allowSelfSigned: true },
		});
		expect(allowed.error).toBeUndefined();
		expect(smtp.received).toHaveLength(2);
		expect(smtp.received.every((message) => message.secure && message.user === 'rep')).toBe(true);
	});

	it('reports a wrong password in plain words without trying every item', async () => {
		const smtp = await serve({ auth: { user: 'rep', pass: 's3cret' } });
		const result = await run(smtp, {
			items: leads(3),
			credentials: { user: 'rep', password: 'wrong' },
			continueOnFail: true,
		});
		const output = result.output('Send');
		expect(output[0].json).toMatchObject({ status: 'failed', code: 'EAUTH', retryable: false });
		expect(String(output[0].json.error)).toContain('rejected the login');
		expect(JSON.stringify(output)).not.toContain('wrong');
		expect(output.slice(1).map((item) => item.json.status)).toEqual(['not sent', 'not sent']);
		expect(smtp.connections).toBe(1);
	});

	it('keeps partially refused recipients visible and fails an item whose recipients are all refused', async () => {
		const smtp = await serve({
			rcpt: (address) =>
				address.startsWith('gone')
					? [550, '5.1.1 <' + address + '>: Recipient address rejected: User unknown']
					: undefined,
		});
		const result = await run(smtp, {
			items: [
				{ email: 'ok@example.org, gone@example.org', name: 'Mixed' },
				{ email: 'gone2@example.org', name: 'Gone' },
			],
			continueOnFail: true,
		});
		const [mixed, gone] = result.output('Send');
		expect(mixed.json).toMatchObject({ status: 'partial', accepted: ['ok@example.org'] });
		expect(mixed.json.rejected).toEqual([
			expect.objectContaining({ address: 'gone@example.org', code: 550, retryable: false }),
		]);
		expect(gone.json).toMatchObject({
			status: 'failed',
			code: 'EENVELOPE',
			retryable: false,
			recipients: ['gone2@example.org'],
			responseCode: 550,
		});
		expect(gone.json.messageId).toMatch(/^<dc-/);
		expect(smtp.received).toHaveLength(1);
	});

	it('fails bad items with the field and value named, and still sends the others', async () => {
		const smtp = await serve();
		const result = await run(smtp, {
			items: [
				{ email: 'good1@example.org', name: 'A' },
				{ email: 'not-an-address', name: 'B' },
				{ email: '', name: 'C' },
				{ email: 'good2@example.org', name: 'D\r\nBcc: victim@example.com' },
				{ email: 'good3@example.org', name: 'E' },
			],
			continueOnFail: true,
		});
		const output = result.output('Send');
		expect(output.map((item) => item.json.status)).toEqual([
			'sent',
			'failed',
			'failed',
			'failed',
			'sent',
		]);
		expect(output[1].json).toMatchObject({ code: 'EINPUT', field: 'to' });
		expect(String(output[1].json.error)).toContain('not-an-address');
		expect(output[2].json).toMatchObject({ code: 'EINPUT', field: 'to' });
		expect(output[3].json).toMatchObject({ code: 'EINPUT', field: 'subject' });
		expect(output.map((item) => item.pairedItem)).toEqual(
			[0, 1, 2, 3, 4].map((item) => ({ item })),
		);
		expect(smtp.received.map((message) => message.to[0])).toEqual([
			'good1@example.org',
			'good3@example.org',
		]);
	});

	it('stops with an error naming the item when Continue On Fail is off', async () => {
		const smtp = await serve();
		const result = await run(smtp, {
			items: [
				{ email: 'a@example.org', name: 'A' },
				{ email: 'broken', name: 'B' },
			],
		});
		expect(result.error).toBeDefined();
		expect(result.failedNode).toBe('Send');
		expect(result.error!.message).toContain('"broken"');
		expect(result.error!.message).toContain('[item 1]');
	});

	it('attaches files from binary fields, inline when asked, and refuses unknown fields and oversize files', async () => {
		const smtp = await serve();
		const files: BinaryFileSpec[] = [
			{
				propertyName: 'offer',
				fileName: 'offer.txt',
				mimeType: 'text/plain',
				content: '={{ "Offer for " + $json.name }}',
			},
			{
				propertyName: 'logo',
				fileName: 'logo.png',
				mimeType: 'image/png',
				content: 'iVBORw0KGgo=',
				encoding: 'base64',
			},
		];
		const attachments = {
			attachment: [
				{ binaryPropertyName: 'offer', inline: false },
				{ binaryPropertyName: '={{ $json.logoField }}', inline: true, contentId: 'logo' },
			],
		};
		const result = await run(smtp, {
			items: [
				{ email: 'a@example.org', name: 'A', logoField: 'logo' },
				{ email: 'b@example.org', name: 'B', logoField: 'missing' },
			],
			parameters: { emailFormat: 'html', html: '<img src="cid:logo">', options: { attachments } },
			files,
			continueOnFail: true,
		});
		const [ok, missing] = result.output('Send');
		expect(ok.json.status).toBe('sent');
		expect(missing.json).toMatchObject({
			status: 'failed',
			code: 'EINPUT',
			field: 'options.attachments',
		});
		expect(String(missing.json.error)).toContain('"missing"');
		expect(String(missing.json.hint)).toContain('offer, logo');
		const parsed = await simpleParser(smtp.received[0].raw);
		const offer = parsed.attachments.find((attachment) => attachment.filename === 'offer.txt');
		expect(Buffer.from(offer!.content as ArrayBuffer).toString()).toBe('Offer for A');
		expect(offer!.disposition).toBe('attachment');
		expect(
			parsed.attachments.find((attachment) => attachment.filename === 'logo.png')?.disposition,
		).toBe('inline');

		const oversize = await run(smtp, {
			items: [{ email: 'c@example.org', name: 'C', logoField: 'logo' }],
			parameters: { options: { attachments, maxAttachmentSizeMb: 0.000001 } },
			files,
			continueOnFail: true,
		});
		expect(oversize.output('Send')[0].json).toMatchObject({
			status: 'failed',
			field: 'options.attachments',
		});
		expect(String(oversize.output('Send')[0].json.error)).toMatch(/over the limit/);
		expect(smtp.received).toHaveLength(1);
	});

	it('sends cc, bcc, reply-to, custom headers and threading headers', async () => {
		const smtp = await serve();
		const result = await run(smtp, {
			items: [{ email: 'a@example.org', name: 'A' }],
			parameters: {
				options: {
					cc: 'c@example.org',
					bcc: 'hidden@example.org',
					replyTo: 'replies@example.com',
					inReplyTo: '<prev@example.org>',
					headers: { header: [{ name: 'X-Campaign', value: 'Q4' }] },
				},
			},
		});
		expect(result.error).toBeUndefined();
		const [received] = smtp.received;
		expect(received.to).toEqual(['a@example.org', 'c@example.org', 'hidden@example.org']);
		expect(received.headers.cc).toBe('c@example.org');
		expect(received.headers.bcc).toBeUndefined();
		expect(received.headers['reply-to']).toBe('replies@example.com');
		expect(received.headers['in-reply-to']).toBe('<prev@example.org>');
		expect(received.headers.references).toBe('<prev@example.org>');
		expect(received.headers['x-campaign']).toBe('Q4');
	});

	it('retries a message whose connection dropped before the data, and sends each message once', async () => {
		const smtp = await serve({ onMail: (count) => (count === 2 ? 'drop' : undefined) });
		const result = await run(smtp, { items: leads(5) });
		expect(result.error).toBeUndefined();
		expect(result.output('Send').every((item) => item.json.status === 'sent')).toBe(true);
		const ids = smtp.received.map((message) => message.headers['message-id']);
		expect(ids).toHaveLength(5);
		expect(new Set(ids).size).toBe(5);
		expect(result.output('Send').some((item) => item.json.attempts === 2)).toBe(true);
	});

	it('never sends again a message the server may already have taken', async () => {
		const smtp = await serve({ afterData: (count) => (count === 2 ? 'drop' : undefined) });
		const result = await run(smtp, { items: leads(4), continueOnFail: true });
		const output = result.output('Send');
		const unknown = output.filter((item) => item.json.status === 'failed');
		expect(unknown).toHaveLength(1);
		expect(unknown[0].json).toMatchObject({ code: 'EUNKNOWN', retryable: false });
		expect(unknown[0].json.messageId).toMatch(/^<dc-/);
		// The server got all four messages, each exactly once.
		const ids = smtp.received.map((message) => message.headers['message-id']);
		expect(ids).toHaveLength(4);
		expect(new Set(ids).size).toBe(4);
		expect(ids).toContain(unknown[0].json.messageId);
	});

	it('retries after a 421 at the envelope and after the data, without duplicates', async () => {
		const smtp = await serve({
			onMail: (count) => (count === 1 ? '421' : undefined),
			afterData: (count) => (count === 3 ? '421' : undefined),
		});
		const result = await run(smtp, { items: leads(4) });
		expect(result.error).toBeUndefined();
		const ids = smtp.received.map((message) => message.headers['message-id']);
		expect(new Set(ids).size).toBe(4);
		expect(ids).toHaveLength(4);
	});

	it('gives up on a lasting temporary failure and marks the item retryable', async () => {
		const smtp = await serve({ afterData: () => '451' });
		const result = await run(smtp, { items: leads(1), continueOnFail: true });
		expect(result.output('Send')[0].json).toMatchObject({
			status: 'failed',
			code: 'EMESSAGE',
			retryable: true,
			responseCode: 451,
		});
		expect(smtp.attempts).toBe(3);
		expect(smtp.received).toHaveLength(0);
	}, 20_000);

	it('reports a refused connection in plain words', async () => {
		const smtp = await serve();
		const port = smtp.port;
		await smtp.close();
		server = undefined;
		const result = await run({ ...smtp, port }, { items: leads(1), continueOnFail: true });
		expect(result.output('Send')[0].json).toMatchObject({
			status: 'failed',
			code: 'ECONNECTION',
			retryable: true,
		});
		expect(String(result.output('Send')[0].json.error)).toContain('Connection refused');
	}, 20_000);
});

describe('n8n settings that would send twice', () => {
	it('refuses Retry On Fail without Continue On Fail, before sending anything', async () => {
		const smtp = await serve();
		const trigger = manualTrigger();
		const source = itemsNode('Leads', leads(2));
		const send = node('Send', TYPE, sendParameters(), {
			credentials: ['deliveryChannelSmtpApi'],
			retryOnFail: true,
		});
		const credentials = {
			deliveryChannelSmtpApi: { host: smtp.host, port: smtp.port, security: 'none' },
		};
		const refused = await runWorkflow({
			workflow: { nodes: [trigger, source, send], connections: chain(trigger, source, send) },
			nodeTypes: { [TYPE]: new DeliveryChannel() },
			credentials,
		});
		expect(refused.error?.message).toMatch(/Retry On Fail would send every email/);
		expect(smtp.attempts).toBe(0);

		const tolerant = node('Send', TYPE, sendParameters(), {
			credentials: ['deliveryChannelSmtpApi'],
			retryOnFail: true,
			onError: 'continueRegularOutput',
		});
		const allowed = await runWorkflow({
			workflow: {
				nodes: [trigger, source, tolerant],
				connections: chain(trigger, source, tolerant),
			},
			nodeTypes: { [TYPE]: new DeliveryChannel() },
			credentials,
		});
		expect(allowed.error).toBeUndefined();
		expect(smtp.received).toHaveLength(2);
	});
});

describe('channel routing', () => {
	it('routes by the Channel setting and fails clearly for a channel that cannot send yet', async () => {
		const smtp = await serve();
		const result = await run(smtp, {
			items: leads(2),
			parameters: { channel: 'gmail' },
			continueOnFail: true,
		});
		const output = result.output('Send');
		expect(output).toHaveLength(2);
		expect(
			output.every((item) => item.json.status === 'failed' || item.json.status === 'not sent'),
		).toBe(true);
		expect(smtp.received).toHaveLength(0);
	});
});
