/**
 * Connections kept between executions (smtp/parking.ts), through n8n's engine: one-email executions
 * in a row share one logged-in connection; a changed credential never gets a parked connection.
 */
import type { IDataObject, INode } from 'n8n-workflow';

import { DeliveryChannel } from '../../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import { chain, itemsNode, manualTrigger, node, runWorkflow } from '../../../../helpers/n8n';
import { startSmtpServer, type TestSmtpServer } from '../../../../helpers/smtp-server';

const TYPE = 'CUSTOM.deliveryChannel';
const USER = 'jane@example.com';
const PASSWORD = 'right-password';

let server: TestSmtpServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});

async function sendOne(
	smtp: TestSmtpServer,
	lead: string,
	password = PASSWORD,
): Promise<IDataObject> {
	const nodes: INode[] = [
		manualTrigger(),
		itemsNode('Leads', [{ email: `${lead}@example.org` }]),
		node(
			'Send',
			TYPE,
			{
				channel: 'smtp',
				operation: 'send',
				identity: { __rl: true, mode: 'address', value: USER },
				to: '={{ $json.email }}',
				subject: 'Hello',
				emailFormat: 'text',
				text: 'Hi',
			},
			{ credentials: ['deliveryChannelSmtpApi'], onError: 'continueRegularOutput' },
		),
	];
	const run = await runWorkflow({
		workflow: { nodes, connections: chain(...nodes) },
		nodeTypes: { [TYPE]: new DeliveryChannel() },
		credentials: {
			deliveryChannelSmtpApi: {
				host: smtp.host,
				port: smtp.port,
				security: 'none',
				user: USER,
				password,
			},
		},
	});
	return run.output('Send')[0].json;
}

test('one-email executions in a row reuse one logged-in connection', async () => {
	server = await startSmtpServer({ auth: { user: USER, pass: PASSWORD } });
	for (const lead of ['a', 'b', 'c']) expect((await sendOne(server, lead)).status).toBe('sent');
	expect(server.received).toHaveLength(3);
	expect(server.connections).toBe(1);
	expect(server.authAttempts).toBe(1);
});

test('a changed password never gets the connection the old one logged in', async () => {
	server = await startSmtpServer({ auth: { user: USER, pass: PASSWORD } });
	expect((await sendOne(server, 'a')).status).toBe('sent');
	const wrong = await sendOne(server, 'b', 'wrong-password');
	expect(wrong).toMatchObject({ status: 'failed', code: 'EAUTH' });
	expect(server.received).toHaveLength(1);
	expect(server.connections).toBe(2);
});

test('a parked connection the server closed is not used: the next execution connects again', async () => {
	server = await startSmtpServer({ auth: { user: USER, pass: PASSWORD } });
	expect((await sendOne(server, 'a')).status).toBe('sent');
	const port = server.port;
	await server.close();
	server = await startSmtpServer({ auth: { user: USER, pass: PASSWORD }, port });
	expect((await sendOne(server, 'b')).status).toBe('sent');
	expect(server.received).toHaveLength(1);
});
