/**
 * The password never crosses the network unencrypted unless the user chose "None (Unencrypted)".
 * Proven on the wire: the node runs in n8n's engine against a real SMTP server (smtp-server) through
 * a TCP proxy that records every byte the client sent, and, for the stripping attack, removes the
 * STARTTLS offer as a man in the middle would.
 */
import type { IDataObject } from 'n8n-workflow';

import { DeliveryChannel } from '../../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import { smtpSettings } from '../../../../../nodes/DeliveryChannel/channels/smtp/settings';
import { chain, itemsNode, manualTrigger, node, runWorkflow } from '../../../../helpers/n8n';
import {
	startSmtpServer,
	type TestSmtpOptions,
	type TestSmtpServer,
} from '../../../../helpers/smtp-server';
import { startTcpProxy, type TcpProxy, type TcpProxyOptions } from '../../../../helpers/tcp-proxy';

const TYPE = 'CUSTOM.deliveryChannel';
const USER = 'rep@example.com';
const PASSWORD = 'Wire-Marker-7f3a9c';

let server: TestSmtpServer | undefined;
let proxy: TcpProxy | undefined;

afterEach(async () => {
	await proxy?.close();
	await server?.close();
	proxy = undefined;
	server = undefined;
});

async function serveThroughProxy(
	options: TestSmtpOptions,
	rewrite: Omit<TcpProxyOptions, 'target'> = {},
) {
	server = await startSmtpServer(options);
	proxy = await startTcpProxy({ target: { host: server.host, port: server.port }, ...rewrite });
	return { smtp: server, wire: proxy };
}

async function send(wire: TcpProxy, credentials: IDataObject, count = 3) {
	const trigger = manualTrigger();
	const leads = itemsNode(
		'Leads',
		Array.from({ length: count }, (_, index) => ({ email: `lead${index}@example.org` })),
	);
	const sender = node(
		'Send',
		TYPE,
		{
			channel: 'smtp',
			operation: 'send',
			identity: { __rl: true, mode: 'address', value: USER },
			to: '={{ $json.email }}',
			subject: 'Offer',
			emailFormat: 'text',
			text: 'Hello',
		},
		{ credentials: ['deliveryChannelSmtpApi'], onError: 'continueRegularOutput' },
	);
	const result = await runWorkflow({
		workflow: { nodes: [trigger, leads, sender], connections: chain(trigger, leads, sender) },
		nodeTypes: { [TYPE]: new DeliveryChannel() },
		credentials: { deliveryChannelSmtpApi: { host: wire.host, port: wire.port, ...credentials } },
	});
	return result.output('Send').map((item) => item.json);
}

/** Every form the password takes in AUTH PLAIN / LOGIN, so none can hide on the wire. */
function passwordForms(): string[] {
	return [
		PASSWORD,
		Buffer.from(PASSWORD).toString('base64'),
		Buffer.from(`\u0000${USER}\u0000${PASSWORD}`).toString('base64'),
		Buffer.from(`${USER}\u0000${USER}\u0000${PASSWORD}`).toString('base64'),
	];
}

function expectNoLoginOnTheWire(wire: TcpProxy, smtp: TestSmtpServer) {
	const sent = wire.clientData().toString('latin1');
	expect(sent).toMatch(/^EHLO /m);
	expect(sent).not.toMatch(/^AUTH/im);
	for (const form of passwordForms()) expect(sent).not.toContain(form);
	expect(smtp.authAttempts).toBe(0);
}

/** Replaces the STARTTLS offer and command with same-length filler, as a downgrade attack does. */
const stripStarttls: Omit<TcpProxyOptions, 'target'> = {
	fromServer: (chunk) =>
		Buffer.from(chunk.toString('latin1').replace(/STARTTLS/g, 'XSTARTLS'), 'latin1'),
	fromClient: (chunk) =>
		Buffer.from(chunk.toString('latin1').replace(/^STARTTLS/gm, 'XSTARTLS'), 'latin1'),
};

describe('Security setting and logins', () => {
	it('a missing Security value means STARTTLS Required; only a session without a login may fall back to plain text', () => {
		expect(smtpSettings({ host: 'h', port: 587 })).toMatchObject({
			security: 'starttls',
			connection: { requireTLS: true },
		});
		expect(smtpSettings({ host: 'h', port: 587, security: '' })).toMatchObject({
			security: 'starttls',
		});
		expect(
			smtpSettings({
				host: 'h',
				port: 587,
				security: 'starttlsWhenOffered',
				user: 'u',
				password: 'p',
			}).connection,
		).toMatchObject({ requireTLS: true, opportunisticTLS: false });
		expect(
			smtpSettings({ host: 'h', port: 587, security: 'starttlsWhenOffered' }).connection,
		).toMatchObject({ requireTLS: false, opportunisticTLS: true });
	});

	it('"STARTTLS When Offered" with a login and a server without STARTTLS: ETLS before AUTH, no password on the wire, nothing sent', async () => {
		const { smtp, wire } = await serveThroughProxy({
			auth: { user: USER, pass: PASSWORD },
			tls: 'off',
		});
		const items = await send(wire, {
			security: 'starttlsWhenOffered',
			user: USER,
			password: PASSWORD,
		});
		expect(items[0]).toMatchObject({ status: 'failed', code: 'ETLS', retryable: false });
		expect(String(items[0].error)).toMatch(/does not offer STARTTLS/);
		expect(String(items[0].hint)).toMatch(/refuses to send the password unencrypted/);
		expect(items.slice(1).map((item) => item.status)).toEqual(['not sent', 'not sent']);
		expect(smtp.received).toHaveLength(0);
		expect(smtp.attempts).toBe(0);
		expectNoLoginOnTheWire(wire, smtp);
		expect(JSON.stringify(items)).not.toContain(PASSWORD);
	});

	it('the same when a man in the middle strips the STARTTLS offer of a server that has it', async () => {
		const { smtp, wire } = await serveThroughProxy(
			{ auth: { user: USER, pass: PASSWORD }, tls: 'offered' },
			stripStarttls,
		);
		const items = await send(wire, {
			security: 'starttlsWhenOffered',
			user: USER,
			password: PASSWORD,
			allowSelfSigned: true,
		});
		expect(items.map((item) => item.code)).toEqual(['ETLS', 'ENOTSENT', 'ENOTSENT']);
		// The server did offer it; the client never saw the offer.
		expect(wire.serverData().toString('latin1')).toMatch(/^250[ -]STARTTLS/m);
		expect(smtp.received).toHaveLength(0);
		expectNoLoginOnTheWire(wire, smtp);
	});

	it('"STARTTLS When Offered" upgrades and logs in when the server offers STARTTLS', async () => {
		const { smtp, wire } = await serveThroughProxy({
			auth: { user: USER, pass: PASSWORD },
			tls: 'offered',
		});
		const items = await send(
			wire,
			{ security: 'starttlsWhenOffered', user: USER, password: PASSWORD, allowSelfSigned: true },
			2,
		);
		expect(items.map((item) => item.status)).toEqual(['sent', 'sent']);
		expect(smtp.received.every((message) => message.secure && message.user === USER)).toBe(true);
		// The login happened inside TLS: not one form of the password crossed the wire in clear.
		const sent = wire.clientData().toString('latin1');
		expect(sent).toMatch(/^STARTTLS/m);
		for (const form of passwordForms()) expect(sent).not.toContain(form);
	});

	it('"STARTTLS When Offered" without a login goes on unencrypted, as the option says', async () => {
		const { smtp, wire } = await serveThroughProxy({ tls: 'off' });
		const items = await send(wire, { security: 'starttlsWhenOffered' }, 1);
		expect(items[0]).toMatchObject({ status: 'sent' });
		expect(smtp.received).toHaveLength(1);
		expect(smtp.received[0].secure).toBe(false);
	});

	it('"STARTTLS Required" against a server without STARTTLS is ETLS before any message, not a refused message', async () => {
		const { smtp, wire } = await serveThroughProxy({ tls: 'off' });
		const items = await send(wire, { security: 'starttls' });
		expect(items[0]).toMatchObject({ status: 'failed', code: 'ETLS', retryable: false });
		expect(String(items[0].error)).toMatch(/does not offer STARTTLS/);
		expect(String(items[0].error)).not.toMatch(/refused the message/);
		expect(items.slice(1).map((item) => item.code)).toEqual(['ENOTSENT', 'ENOTSENT']);
		expect(smtp.attempts).toBe(0);
		expect(wire.clientData().toString('latin1')).not.toMatch(/^MAIL FROM/m);
	});

	it('a credential without a Security value is held to STARTTLS Required', async () => {
		const { smtp, wire } = await serveThroughProxy({
			auth: { user: USER, pass: PASSWORD },
			tls: 'off',
		});
		const items = await send(wire, { user: USER, password: PASSWORD }, 2);
		expect(items.map((item) => item.code)).toEqual(['ETLS', 'ENOTSENT']);
		expectNoLoginOnTheWire(wire, smtp);
	});

	it('"None (Unencrypted)" is the one explicit choice that sends the login in clear', async () => {
		const { smtp, wire } = await serveThroughProxy({
			auth: { user: USER, pass: PASSWORD },
			tls: 'off',
		});
		const items = await send(wire, { security: 'none', user: USER, password: PASSWORD }, 1);
		expect(items[0]).toMatchObject({ status: 'sent' });
		expect(smtp.authAttempts).toBe(1);
		expect(wire.clientData().toString('latin1')).toMatch(/^AUTH /m);
	});
});
