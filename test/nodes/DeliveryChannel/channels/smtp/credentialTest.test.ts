/** The Custom SMTP credential test ("Test" in the credential dialog) against real sockets. */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
} from 'n8n-workflow';

import { DeliveryChannel } from '../../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import { TIMEOUTS } from '../../../../../nodes/DeliveryChannel/channels/smtp/settings';
import { startSmtpServer, type TestSmtpServer } from '../../../../helpers/smtp-server';

const node = new DeliveryChannel();

async function testCredential(data: ICredentialDataDecryptedObject) {
	const credentialTest = node.methods.credentialTest.smtpCredentialTest;
	const credential: ICredentialsDecrypted = {
		id: '1',
		name: 'SMTP',
		type: 'deliveryChannelSmtpApi',
		data,
	};
	return await credentialTest.call({} as ICredentialTestFunctions, credential);
}

let server: TestSmtpServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});

describe('Custom SMTP credential test', () => {
	it('is wired to the credential in the node description', () => {
		const entry = node.description.credentials?.find(
			(credential) => credential.name === 'deliveryChannelSmtpApi',
		);
		expect(entry?.testedBy).toBe('smtpCredentialTest');
		expect(entry?.displayOptions?.show?.channel).toEqual(['smtp']);
	});

	it('passes when it can connect and log in', async () => {
		server = await startSmtpServer({ auth: { user: 'rep', pass: 'pw' } });
		const result = await testCredential({
			host: '127.0.0.1',
			port: server.port,
			security: 'none',
			user: 'rep',
			password: 'pw',
		});
		expect(result).toEqual({ status: 'OK', message: 'Connection successful' });
		expect(server.received).toHaveLength(0);
	});

	it('says the login was rejected, without echoing the password', async () => {
		server = await startSmtpServer({ auth: { user: 'rep', pass: 'pw' } });
		const result = await testCredential({
			host: '127.0.0.1',
			port: server.port,
			security: 'none',
			user: 'rep',
			password: 'hunter2',
		});
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/rejected the login/);
		expect(result.message).not.toContain('hunter2');
	});

	it('says the certificate is not trusted, and passes once self-signed is allowed', async () => {
		server = await startSmtpServer({ tls: 'required' });
		const strict = await testCredential({
			host: '127.0.0.1',
			port: server.port,
			security: 'starttls',
		});
		expect(strict.status).toBe('Error');
		expect(strict.message).toMatch(/certificate/i);
		expect(strict.message).toMatch(/Allow Self-Signed Certificates/);
		const relaxed = await testCredential({
			host: '127.0.0.1',
			port: server.port,
			security: 'starttls',
			allowSelfSigned: true,
		});
		expect(relaxed.status).toBe('OK');
	});

	it('says the connection was refused', async () => {
		const probe = createServer();
		await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
		const port = (probe.address() as AddressInfo).port;
		await new Promise((resolve) => probe.close(resolve));
		const result = await testCredential({ host: '127.0.0.1', port, security: 'none' });
		expect(result.status).toBe('Error');
		expect(result.message).toContain(`Connection refused by 127.0.0.1:${port}`);
	});

	it('says the host is unknown', async () => {
		const result = await testCredential({
			host: 'smtp.nonexistent.invalid',
			port: 587,
			security: 'none',
		});
		expect(result.status).toBe('Error');
		expect(result.message).toContain('Unknown host: smtp.nonexistent.invalid');
	});

	it(
		'says the server did not answer in time',
		async () => {
			// Accepts the connection and never greets.
			const sockets: Socket[] = [];
			const silent: Server = createServer((socket) => sockets.push(socket));
			await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
			const port = (silent.address() as AddressInfo).port;
			try {
				const result = await testCredential({ host: '127.0.0.1', port, security: 'none' });
				expect(result.status).toBe('Error');
				expect(result.message).toContain(`Timed out talking to 127.0.0.1:${port}`);
			} finally {
				sockets.forEach((socket) => socket.destroy());
				await new Promise((resolve) => silent.close(resolve));
			}
		},
		TIMEOUTS.greeting + 10_000,
	);

	it('names a missing host before connecting', async () => {
		const result = await testCredential({ host: '  ', port: 25 });
		expect(result).toMatchObject({ status: 'Error' });
		expect(result.message).toMatch(/no Host/);
	});
});
