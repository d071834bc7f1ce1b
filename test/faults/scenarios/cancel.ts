/**
 * Cancelling an execution mid-batch (n8n's Stop button, an execution timeout): nothing starts after
 * the cancel, what was in flight ends with a known outcome, nothing goes out twice.
 */
import { startSmtpServer } from '../../helpers/smtp-server';
import { runSend } from '../run-node';
import { sendRow, type FaultScenario } from '../types';

const leads = (count: number) =>
	Array.from({ length: count }, (_, index) => ({
		email: `lead${index}@example.org`,
		name: `Lead ${index}`,
	}));

async function cancelSmtp(connections: number): Promise<ReturnType<typeof sendRow>> {
	const cancel = new AbortController();
	const server = await startSmtpServer({
		afterData: (count) => {
			if (count === 3) cancel.abort();
			return undefined;
		},
	});
	try {
		const { items, result } = await runSend({
			parameters: {
				channel: 'smtp',
				identity: { __rl: true, mode: 'address', value: 'Jane Doe <jane@example.com>' },
				to: '={{ $json.email }}',
				subject: '={{ "Hello " + $json.name }}',
				emailFormat: 'text',
				text: 'Hi',
			},
			leads: leads(10),
			credentialType: 'deliveryChannelSmtpApi',
			credentials: {
				host: server.host,
				port: server.port,
				security: 'none',
				user: '',
				password: '',
				maxConnections: connections,
			},
			cancelSignal: cancel.signal,
		});
		// Whatever was still on its way would arrive now.
		await new Promise((resolve) => setTimeout(resolve, 500));
		const problems: string[] = [];
		if (result.run.status !== 'canceled')
			problems.push(`the run ended ${result.run.status}, not canceled`);
		if (server.received.length > 3 + connections - 1)
			problems.push(`${server.received.length} messages arrived after a cancel at the 3rd`);
		return sendRow({
			scenario: `cancel after the 3rd message (${connections} connection${connections > 1 ? 's' : ''})`,
			area: 'smtp',
			itemsIn: 10,
			items,
			serverMessageIds: server.received.map((message) => message.headers['message-id']),
			problems,
			note: `${server.received.length} arrived; the rest stopped`,
		});
	} finally {
		await server.close();
	}
}

export const scenarios: FaultScenario[] = [
	{ name: 'cancel mid-batch, one connection', area: 'smtp', run: () => cancelSmtp(1) },
	{ name: 'cancel mid-batch, three connections', area: 'smtp', run: () => cancelSmtp(3) },
];
