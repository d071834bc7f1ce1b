/**
 * Custom SMTP fault scenarios: the real Delivery Channel node in n8n-core (On Error: Continue)
 * sends a batch to a real SMTP server on 127.0.0.1 (smtp-server, or the scripted server where
 * smtp-server has no hook) that injects one fault, usually on the 2nd message of 3. The server counts
 * what it actually received by Message-ID. Besides the matrix's own rule, each scenario states the
 * outcomes it expects, so a change of behaviour shows up as a problem on its row.
 */
import { createServer as createNetServer, type AddressInfo } from 'node:net';

import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { DeliveryChannelSmtpApi } from '../../../credentials/DeliveryChannelSmtpApi.credentials';
import {
	startScriptedSmtpServer,
	startSmtpServer,
	type SmtpFault,
	type TestSmtpOptions,
	type TestSmtpServer,
} from '../../helpers/smtp-server';
import { startTcpProxy, type TcpProxy, type TcpProxyOptions } from '../../helpers/tcp-proxy';
import { runSend } from '../run-node';
import { outcomeOf, sendRow, type FaultRow, type FaultScenario } from '../types';

const AREA = 'smtp';
const CREDENTIAL = 'deliveryChannelSmtpApi';
const USER = 'rep@example.com';
const PASSWORD = 'Fault-Matrix-Password-41c9';

interface Lead extends IDataObject {
	email: string;
	body: string;
}

function leads(
	count: number,
	bodyOf: (index: number) => string = () => 'Hello, here is our offer.',
): Lead[] {
	return Array.from({ length: count }, (_, index) => ({
		email: `lead${index}@example.org`,
		body: bodyOf(index),
	}));
}

/** Runs the node in n8n's engine and returns every item it emitted, on every output. */
async function sendBatch(
	target: { host: string; port: number },
	items: Lead[],
	credentials: IDataObject = {},
): Promise<INodeExecutionData[]> {
	const run = await runSend({
		parameters: {
			channel: 'smtp',
			identity: { __rl: true, mode: 'address', value: `Sales <${USER}>` },
			to: '={{ $json.email }}',
			subject: 'Offer',
			emailFormat: 'text',
			text: '={{ $json.body }}',
		},
		leads: items,
		credentialType: CREDENTIAL,
		credentials: {
			host: target.host,
			port: target.port,
			security: 'none',
			user: '',
			password: '',
			...credentials,
		},
		credentialClass: new DeliveryChannelSmtpApi(),
	});
	return run.items;
}

function summary(items: INodeExecutionData[]): string {
	return items
		.map((item) => {
			const json = item.json as IDataObject;
			const outcome = outcomeOf(item) ?? '?';
			return outcome === 'sent' || outcome === 'partial'
				? `${outcome}${Number(json.attempts) > 1 ? ` after ${json.attempts} attempts` : ''}`
				: `${outcome} ${json.code ?? ''}`.trim();
		})
		.sort()
		.join(', ');
}

interface Expectation {
	/** The outcome of each item, in any order: 'sent', 'partial', or an error code. */
	outcomes: string[];
	/** Message-IDs the server must have received (by default: the items reported sent, plus EUNKNOWN ones the server got). */
	serverReceives?: number;
	/** Extra checks on the server; each returns a problem or undefined. */
	check?: () => string | undefined;
}

function expectationProblems(
	items: INodeExecutionData[],
	server: TestSmtpServer,
	expected: Expectation,
): string[] {
	const problems: string[] = [];
	const got = items
		.map((item) => {
			const outcome = outcomeOf(item);
			return outcome === 'sent' || outcome === 'partial'
				? outcome
				: String((item.json as IDataObject).code ?? outcome);
		})
		.sort();
	if (JSON.stringify(got) !== JSON.stringify([...expected.outcomes].sort()))
		problems.push(`expected ${expected.outcomes.join(', ')}, got ${got.join(', ')}`);
	if (expected.serverReceives !== undefined && server.received.length !== expected.serverReceives) {
		problems.push(
			`the server received ${server.received.length} messages, expected ${expected.serverReceives}`,
		);
	}
	const extra = expected.check?.();
	if (extra) problems.push(extra);
	// Secrets never leave: not in any item.
	if (JSON.stringify(items).includes(PASSWORD))
		problems.push('the password appears in an output item');
	return problems;
}

interface SmtpCase {
	name: string;
	items?: Lead[];
	credentials?: IDataObject;
	/** Starts the server (and anything in front of it); returns it, the address to send to and a clean-up. */
	serve(): Promise<{
		server: TestSmtpServer;
		target: { host: string; port: number };
		stop(): Promise<void>;
	}>;
	expect: (server: TestSmtpServer) => Expectation;
	note?: string;
}

function scenario(entry: SmtpCase): FaultScenario {
	return {
		name: entry.name,
		area: AREA,
		async run(): Promise<FaultRow> {
			const { server, target, stop } = await entry.serve();
			const input = entry.items ?? leads(3);
			try {
				const items = await sendBatch(target, input, entry.credentials);
				const expectation = entry.expect(server);
				return sendRow({
					scenario: entry.name,
					area: AREA,
					itemsIn: input.length,
					items,
					serverMessageIds: server.received.map((message) => message.headers['message-id'] ?? ''),
					problems: expectationProblems(items, server, expectation),
					note: entry.note ?? summary(items),
				});
			} finally {
				await stop();
			}
		},
	};
}

/** smtp-server with these options, sent to directly. */
function direct(options: TestSmtpOptions) {
	return async () => {
		const server = await startSmtpServer(options);
		return { server, target: server, stop: () => server.close() };
	};
}

/** smtp-server behind a TCP proxy that plays the network (cuts) or a man in the middle (rewrites). */
function behindProxy(
	options: TestSmtpOptions,
	proxyOptions: Omit<TcpProxyOptions, 'target'>,
	keep?: (proxy: TcpProxy) => void,
) {
	return async () => {
		const server = await startSmtpServer(options);
		const proxy = await startTcpProxy({ target: server, ...proxyOptions });
		keep?.(proxy);
		return {
			server,
			target: proxy,
			stop: async () => {
				await proxy.close();
				await server.close();
			},
		};
	};
}

/** The fault happens once, on the 2nd time (a temporary condition that has passed when tried again). */
const onSecond = (fault: SmtpFault) => (count: number) => (count === 2 ? fault : undefined);

/** A refusal of one recipient, the first time it is offered. */
function refuseRecipientOnce(address: string, reply: [number, string]) {
	let refused = false;
	return (candidate: string) => {
		if (candidate !== address || refused) return undefined;
		refused = true;
		return reply;
	};
}

const REPLIES: Record<'421' | '451' | '452' | '550', [number, string]> = {
	'421': [421, '4.3.2 Service shutting down, try again later'],
	'451': [451, '4.3.0 Temporary failure, try again'],
	'452': [452, '4.5.3 Too many recipients, try again later'],
	'550': [550, '5.1.1 Mailbox unavailable'],
};

const allSent = (server: TestSmtpServer): Expectation => ({
	outcomes: ['sent', 'sent', 'sent'],
	serverReceives: 3,
	check: () => (server.received.length === 3 ? undefined : 'not every message arrived'),
});

let wireForLoginCheck: TcpProxy | undefined;

/** No AUTH command and no form of the password crossed the wire. */
function noLoginOnTheWire(server: TestSmtpServer): string | undefined {
	const sent = wireForLoginCheck?.clientData().toString('latin1') ?? '';
	if (!sent) return 'the wire was not recorded';
	if (/^AUTH/im.test(sent)) return 'an AUTH command went out';
	const forms = [
		PASSWORD,
		Buffer.from(PASSWORD).toString('base64'),
		Buffer.from(`\u0000${USER}\u0000${PASSWORD}`).toString('base64'),
	];
	if (forms.some((form) => sent.includes(form))) return 'the password went out';
	if (server.authAttempts) return `the server saw ${server.authAttempts} login(s)`;
	return undefined;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
	const probe = createNetServer();
	await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
	const { port } = probe.address() as AddressInfo;
	await new Promise((resolve) => probe.close(resolve));
	return port;
}

export const scenarios: FaultScenario[] = [
	scenario({
		name: 'connection refused (nothing listens)',
		items: leads(2),
		async serve() {
			// A server object for the counts only: it never runs, nothing can arrive.
			const server = await startSmtpServer();
			await server.close();
			const port = await closedPort();
			return { server, target: { host: '127.0.0.1', port }, stop: async () => undefined };
		},
		expect: () => ({ outcomes: ['ECONNECTION', 'ECONNECTION'], serverReceives: 0 }),
	}),
	scenario({
		name: 'connection refused, then the server is back',
		async serve() {
			const port = await closedPort();
			let server: TestSmtpServer | undefined;
			// The server comes up a moment after the first attempt was refused, as after a restart.
			const starting = new Promise<void>((resolve) =>
				setTimeout(async () => {
					server = await startSmtpServer({ port });
					resolve();
				}, 200),
			);
			const counts = {
				get received() {
					return server?.received ?? [];
				},
				get attempts() {
					return server?.attempts ?? 0;
				},
			} as unknown as TestSmtpServer;
			return {
				server: counts,
				target: { host: '127.0.0.1', port },
				stop: async () => {
					await starting;
					await server?.close();
				},
			};
		},
		expect: allSent,
	}),
	scenario({
		name: 'reset before the greeting (first connection)',
		serve: behindProxy(
			{},
			{ fromServer: (chunk, info) => (info.connection === 1 && info.before === 0 ? 'cut' : chunk) },
		),
		expect: allSent,
	}),
	scenario({
		name: 'reset mid-DATA of the 2nd message (8 MB, its last bytes never left)',
		items: leads(3, (index) =>
			index === 1
				? `${'Offer details, line after line. '.repeat(2)}\n`.repeat(8 * 1024 * 16)
				: 'Hello',
		),
		serve: direct({ duringData: (count) => (count === 2 ? 'reset' : undefined) }),
		expect: allSent,
	}),
	scenario({
		name: 'reset after the final dot of the 2nd message',
		serve: direct({ afterData: onSecond('reset') }),
		expect: (server) => ({
			outcomes: ['sent', 'EUNKNOWN', 'sent'],
			serverReceives: 3,
			check: () =>
				server.attempts === 3
					? undefined
					: `${server.attempts} transactions: the unknown one was tried again`,
		}),
		note: 'the server has the EUNKNOWN message once; it is not sent again',
	}),
	...(['421', '451', '452'] as const).map((code) =>
		scenario({
			name: `${code} at MAIL FROM (2nd message, once)`,
			serve: direct({ onMail: onSecond(code) }),
			expect: allSent,
		}),
	),
	scenario({
		name: '550 at MAIL FROM (2nd message)',
		serve: direct({ onMail: onSecond('550') }),
		expect: (server) => ({
			outcomes: ['sent', 'EENVELOPE', 'sent'],
			serverReceives: 2,
			check: () => (server.attempts === 3 ? undefined : 'the refused sender was tried again'),
		}),
	}),
	...(['421', '451', '452'] as const).map((code) =>
		scenario({
			name: `${code} at RCPT TO (2nd recipient, once)`,
			serve: direct({ rcpt: refuseRecipientOnce('lead1@example.org', REPLIES[code]) }),
			expect: allSent,
		}),
	),
	scenario({
		name: '550 at RCPT TO (2nd recipient)',
		serve: direct({
			rcpt: (address) => (address === 'lead1@example.org' ? REPLIES['550'] : undefined),
		}),
		expect: () => ({ outcomes: ['sent', 'EENVELOPE', 'sent'], serverReceives: 2 }),
	}),
	scenario({
		name: '452 at RCPT TO for one of two recipients',
		items: [
			{ email: 'lead0@example.org', body: 'Hello' },
			{ email: 'lead1@example.org, lead1b@example.org', body: 'Hello' },
			{ email: 'lead2@example.org', body: 'Hello' },
		],
		serve: direct({
			rcpt: (address) => (address === 'lead1b@example.org' ? REPLIES['452'] : undefined),
		}),
		expect: () => ({ outcomes: ['sent', 'partial', 'sent'], serverReceives: 3 }),
		note: 'the refused recipient is listed as retryable on the partial item; the message is not sent again',
	}),
	...(
		[
			['421', [421, '4.3.2 Closing connection']],
			['451', [451, '4.3.0 Try again later']],
			['554', [554, '5.6.0 No valid recipients']],
		] as const
	).map(([code, reply]) =>
		scenario({
			name: `${code} to the DATA command (2nd message${code === '554' ? '' : ', once'})`,
			async serve() {
				const server = await startScriptedSmtpServer({
					dataCommand: (count) => (count === 2 ? [reply[0], reply[1]] : undefined),
				});
				return { server, target: server, stop: () => server.close() };
			},
			expect: () =>
				code === '554'
					? { outcomes: ['sent', 'EENVELOPE', 'sent'], serverReceives: 2 }
					: { outcomes: ['sent', 'sent', 'sent'], serverReceives: 3 },
		}),
	),
	...(['421', '451', '452'] as const).map((code) =>
		scenario({
			name: `${code} after the final dot (2nd message, once)`,
			serve: direct({ afterData: onSecond(code) }),
			expect: allSent,
		}),
	),
	scenario({
		name: '550 after the final dot (2nd message)',
		serve: direct({ afterData: onSecond('550') }),
		expect: () => ({ outcomes: ['sent', 'EMESSAGE', 'sent'], serverReceives: 2 }),
	}),
	scenario({
		name: 'AUTH rejected',
		credentials: { user: USER, password: 'not-the-password' },
		serve: direct({ auth: { user: USER, pass: PASSWORD } }),
		expect: (server) => ({
			outcomes: ['EAUTH', 'ENOTSENT', 'ENOTSENT'],
			serverReceives: 0,
			check: () =>
				server.authAttempts === 1 ? undefined : `the login was tried ${server.authAttempts} times`,
		}),
		note: 'tried once; the rest held back',
	}),
	scenario({
		name: 'STARTTLS missing under STARTTLS Required',
		credentials: { security: 'starttls' },
		serve: direct({ tls: 'off' }),
		expect: (server) => ({
			outcomes: ['ETLS', 'ENOTSENT', 'ENOTSENT'],
			serverReceives: 0,
			check: () => (server.attempts ? 'a transaction started' : undefined),
		}),
	}),
	scenario({
		name: 'STARTTLS missing under When Offered, with a login',
		credentials: { security: 'starttlsWhenOffered', user: USER, password: PASSWORD },
		serve: behindProxy(
			{ auth: { user: USER, pass: PASSWORD }, tls: 'off' },
			{},
			(proxy) => (wireForLoginCheck = proxy),
		),
		expect: (server) => ({
			outcomes: ['ETLS', 'ENOTSENT', 'ENOTSENT'],
			serverReceives: 0,
			check: () => noLoginOnTheWire(server),
		}),
		note: 'no AUTH, no password on the wire',
	}),
	scenario({
		name: 'STARTTLS handshake fails (garbage instead of TLS)',
		credentials: { security: 'starttls', allowSelfSigned: true },
		serve: (() => {
			let upgrading = false;
			return behindProxy(
				{ tls: 'offered' },
				{
					fromClient: (chunk) => {
						if (/^STARTTLS/m.test(chunk.toString('latin1'))) upgrading = true;
						return chunk;
					},
					fromServer: (chunk) => {
						if (upgrading && !/^220 /.test(chunk.toString('latin1')))
							return Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n');
						return chunk;
					},
				},
			);
		})(),
		expect: () => ({ outcomes: ['ETLS', 'ENOTSENT', 'ENOTSENT'], serverReceives: 0 }),
	}),
	scenario({
		name: 'certificate untrusted (self-signed)',
		credentials: { security: 'starttls' },
		serve: direct({ tls: 'required' }),
		expect: () => ({ outcomes: ['ETLS', 'ENOTSENT', 'ENOTSENT'], serverReceives: 0 }),
	}),
];
