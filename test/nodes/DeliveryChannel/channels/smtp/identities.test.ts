import { randomUUID } from 'node:crypto';

import { DeliveryError } from '../../../../../core/errors';
import { smtpChannel } from '../../../../../nodes/DeliveryChannel/channels/smtp';
import {
	checkIdentity,
	sendAsAddresses,
	smtpIdentities,
} from '../../../../../nodes/DeliveryChannel/channels/smtp/identities';
import type {
	ChannelContext,
	ChannelSession,
	OutgoingMessage,
} from '../../../../../nodes/DeliveryChannel/channels/types';
import { startSmtpServer, type TestSmtpServer } from '../../../../helpers/smtp-server';

function message(from: string): OutgoingMessage {
	const deliveryId = `dc-${randomUUID()}`;
	return {
		deliveryId,
		messageId: `<${deliveryId}@contoso.com>`,
		identity: { name: '', address: from },
		to: [{ name: '', address: 'lead@example.org' }],
		cc: [],
		bcc: [],
		replyTo: [],
		subject: 'Offer',
		text: 'Hello',
		attachments: [],
		headers: [],
		references: [],
	};
}

async function caught(run: () => unknown): Promise<DeliveryError> {
	try {
		await run();
	} catch (error) {
		if (error instanceof DeliveryError) return error;
		throw error;
	}
	throw new Error('expected a DeliveryError');
}

describe('Custom SMTP identities', () => {
	it('lists the mailbox, then the Send-As Addresses, each once', () => {
		expect(
			smtpIdentities({
				user: 'Sales@contoso.com',
				sendAs: 'team@contoso.com, sales@CONTOSO.com; Bob <bob@contoso.com>',
			}),
		).toEqual(['Sales@contoso.com', 'team@contoso.com', 'bob@contoso.com']);
		expect(smtpIdentities({ user: 'CONTOSO\\sales' })).toEqual([]);
		expect(sendAsAddresses({ sendAs: '  ' })).toEqual([]);
	});

	it('names the field and the value of a wrong Send-As entry', async () => {
		const error = await caught(() =>
			sendAsAddresses({ sendAs: 'team@contoso.com, not an address' }),
		);
		expect(error.code).toBe('EINPUT');
		expect(error.field).toBe('sendAs');
		expect(error.message).toContain('Send-As Addresses');
		expect(error.message).toContain('not an address');
	});

	it('refuses on Microsoft 365 an identity that is neither the mailbox nor a Send-As Address', async () => {
		const credentials = { user: 'sales@contoso.com', sendAs: 'team@contoso.com' };
		expect(() =>
			checkIdentity({ name: '', address: 'SALES@contoso.com' }, credentials, true),
		).not.toThrow();
		expect(() =>
			checkIdentity({ name: '', address: 'team@contoso.com' }, credentials, true),
		).not.toThrow();
		const error = await caught(() =>
			checkIdentity({ name: '', address: 'ceo@contoso.com' }, credentials, true),
		);
		expect(error.code).toBe('EIDENTITY');
		expect(error.field).toBe('identity');
		expect(error.message).toContain('ceo@contoso.com');
		expect(error.message).toContain('sales@contoso.com');
		expect(error.hint).toContain('Send-As Addresses');
		// Elsewhere the server decides; without a mailbox address there is nothing to compare with.
		expect(() =>
			checkIdentity({ name: '', address: 'ceo@contoso.com' }, credentials, false),
		).not.toThrow();
		expect(() =>
			checkIdentity({ name: '', address: 'ceo@contoso.com' }, { user: 'CONTOSO\\sales' }, true),
		).not.toThrow();
	});

	describe('through a session against a real SMTP server', () => {
		let server: TestSmtpServer | undefined;
		let session: ChannelSession | undefined;
		afterEach(async () => {
			await session?.close();
			await server?.close();
		});

		async function open(extra: Record<string, unknown>) {
			const login = { user: String(extra.user), pass: 'secret' };
			server = await startSmtpServer({ auth: login, tls: 'required' });
			const credentials = {
				host: server.host,
				port: server.port,
				security: 'starttls',
				allowSelfSigned: true,
				password: login.pass,
				...extra,
			};
			const context = { getCredentials: async () => credentials } as unknown as ChannelContext;
			session = await smtpChannel.open(context);
			return { smtp: server, channel: session };
		}

		it('stops a refused identity before connecting on a Microsoft 365 account, and sends the allowed ones', async () => {
			const { smtp, channel } = await open({
				user: 'sales@contoso.com',
				sendAs: 'team@contoso.com',
				provider: 'microsoft365',
			});
			const refused = await caught(() => channel.send(message('ceo@contoso.com')));
			expect(refused.code).toBe('EIDENTITY');
			expect(smtp.received).toHaveLength(0);
			await channel.send(message('team@contoso.com'));
			await channel.send(message('sales@contoso.com'));
			expect(smtp.received.map((entry) => entry.from)).toEqual([
				'team@contoso.com',
				'sales@contoso.com',
			]);
		});

		it('lets another server decide', async () => {
			const { smtp, channel } = await open({ user: 'sales@example.com' });
			await channel.send(message('ceo@example.com'));
			expect(smtp.received.map((entry) => entry.from)).toEqual(['ceo@example.com']);
		});

		it('stops at open when a Send-As entry is wrong', async () => {
			const error = await caught(() => open({ user: 'sales@example.com', sendAs: 'team@' }));
			expect(error.field).toBe('sendAs');
		});
	});
});
