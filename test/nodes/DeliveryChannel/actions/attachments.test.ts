/**
 * Attachments are found and measured when every item is checked, and their bytes read only right
 * before each email goes out: a batch of many items with large files holds only the files of the
 * emails on their way, not every item's (run through n8n-core's engine against a real SMTP server).
 */
import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';
import type { INode } from 'n8n-workflow';

import { DeliveryChannel } from '../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import {
	chain,
	itemsNode,
	manualTrigger,
	node,
	runWorkflow,
	setBinaryDataNode,
	type BinaryDataMode,
} from '../../../helpers/n8n';
import { startSmtpServer, type TestSmtpServer } from '../../../helpers/smtp-server';
import { simpleParser } from '../../../helpers/parse-mail';

const TYPE = 'CUSTOM.deliveryChannel';
const ITEMS = 8;

let smtp: TestSmtpServer;

beforeEach(async () => {
	smtp = await startSmtpServer();
});

afterEach(async () => {
	jest.restoreAllMocks();
	await smtp.close();
});

/** Counts every read of a file's bytes, with how many emails the server had by then. */
function watchReads() {
	const service = Container.get(BinaryDataService);
	const receivedAtRead: number[] = [];
	const original = service.getAsBuffer.bind(service);
	jest.spyOn(service, 'getAsBuffer').mockImplementation(async (binaryData) => {
		receivedAtRead.push(smtp.received.length);
		return await original(binaryData);
	});
	return receivedAtRead;
}

async function run(mode: BinaryDataMode, maxAttachmentSizeMb?: number) {
	const leads = Array.from({ length: ITEMS }, (_, i) => ({ email: `lead${i}@example.org`, i }));
	const file = {
		propertyName: 'offer',
		fileName: 'offer.txt',
		content: '={{ "Offer " + $json.i }}',
	};
	const send = node(
		'Send',
		TYPE,
		{
			channel: 'smtp',
			operation: 'send',
			identity: { __rl: true, mode: 'address', value: 'jane@example.com' },
			to: '={{ $json.email }}',
			subject: '={{ "Offer " + $json.i }}',
			emailFormat: 'text',
			text: 'Attached.',
			options: {
				attachments: { attachment: [{ binaryPropertyName: 'offer' }] },
				...(maxAttachmentSizeMb === undefined ? {} : { maxAttachmentSizeMb }),
			},
		},
		{ credentials: ['deliveryChannelSmtpApi'] },
	);
	const nodes: INode[] = [
		manualTrigger(),
		itemsNode('Leads', leads),
		setBinaryDataNode('Files', [file]),
		send,
	];
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
				maxConnections: 1,
			},
		},
		binaryDataMode: mode,
	});
}

describe.each<BinaryDataMode>(['filesystem', 'default'])('attachments (%s binary data)', (mode) => {
	it('reads each file once, right before its email, not every file before the first send', async () => {
		const receivedAtRead = watchReads();
		const result = await run(mode);
		expect(result.error).toBeUndefined();
		expect(result.output('Send').map((item) => item.json.status)).toEqual(
			Array(ITEMS).fill('sent'),
		);
		// One connection: the file of item k is read once item k - 1 went out.
		expect(receivedAtRead).toHaveLength(ITEMS);
		expect(receivedAtRead[ITEMS - 1]).toBeGreaterThanOrEqual(ITEMS - 1);
		for (const message of smtp.received) {
			const parsed = await simpleParser(message.raw);
			const [attachment] = parsed.attachments;
			expect(attachment.filename).toBe('offer.txt');
			expect(Buffer.from(attachment.content as ArrayBuffer).toString()).toBe(parsed.subject);
		}
	});

	it('refuses files over Max Attachment Size from their size alone, before reading or sending any', async () => {
		const receivedAtRead = watchReads();
		// 'Offer 0' is 7 bytes: the limit lets none through.
		const result = await run(mode, 6 / (1024 * 1024));
		expect(result.error?.message).toMatch(/over the limit of 6 B/);
		expect(result.error?.message).toContain('offer.txt (7 B)');
		expect(receivedAtRead).toEqual([]);
		expect(smtp.received).toHaveLength(0);
	});
});
