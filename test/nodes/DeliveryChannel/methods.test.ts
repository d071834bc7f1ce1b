/** Editor-side methods: the Identity list is answered by the chosen channel. */
import type { ILoadOptionsFunctions } from 'n8n-workflow';

import { DeliveryChannel } from '../../../nodes/DeliveryChannel/DeliveryChannel.node';

const node = new DeliveryChannel();

function loadOptionsContext(
	parameters: Record<string, unknown>,
	credentials: Record<string, unknown>,
) {
	return {
		getNodeParameter: (name: string, fallback?: unknown) =>
			name in parameters ? parameters[name] : fallback,
		getCredentials: async (type: string) => {
			if (!(type in credentials)) throw new Error(`no credential ${type}`);
			return credentials[type];
		},
	} as unknown as ILoadOptionsFunctions;
}

describe('searchIdentities', () => {
	it('offers the Custom SMTP login when it is an address, filtered by the search text', async () => {
		const context = loadOptionsContext(
			{ channel: 'smtp' },
			{ deliveryChannelSmtpApi: { user: 'rep@example.com' } },
		);
		await expect(node.methods.listSearch.searchIdentities.call(context)).resolves.toEqual({
			results: [{ name: 'rep@example.com (mailbox)', value: 'rep@example.com' }],
		});
		await expect(node.methods.listSearch.searchIdentities.call(context, 'nobody')).resolves.toEqual(
			{ results: [] },
		);
	});

	it("offers the mailbox and the credential's Send-As Addresses, each once", async () => {
		const context = loadOptionsContext(
			{ channel: 'smtp' },
			{
				deliveryChannelSmtpApi: {
					user: 'rep@example.com',
					sendAs: 'Team <team@example.com>; REP@example.com, sales@example.com',
				},
			},
		);
		await expect(node.methods.listSearch.searchIdentities.call(context)).resolves.toEqual({
			results: [
				{ name: 'rep@example.com (mailbox)', value: 'rep@example.com' },
				{ name: 'team@example.com (send as)', value: 'team@example.com' },
				{ name: 'sales@example.com (send as)', value: 'sales@example.com' },
			],
		});
	});

	it('says why the list is empty when the SMTP login is not an address and no Send-As Addresses are set', async () => {
		const context = loadOptionsContext(
			{ channel: 'smtp' },
			{ deliveryChannelSmtpApi: { user: 'AD\\\\rep' } },
		);
		await expect(node.methods.listSearch.searchIdentities.call(context)).rejects.toThrow(
			/User is "AD\\\\rep", a login name, not an email address, and its Send-As Addresses are empty/,
		);
	});

	it('offers the Send-As Addresses when the SMTP login is not an address', async () => {
		const context = loadOptionsContext(
			{ channel: 'smtp' },
			{ deliveryChannelSmtpApi: { user: 'AD\\\\rep', sendAs: 'rep@example.com' } },
		);
		await expect(node.methods.listSearch.searchIdentities.call(context)).resolves.toEqual({
			results: [{ name: 'rep@example.com (send as)', value: 'rep@example.com' }],
		});
	});

	it('asks the default channel (MSC) when the editor left Channel at its default', async () => {
		const context = loadOptionsContext({}, {});
		// The MSC channel needs its credential: the error proves the MSC channel was asked.
		await expect(node.methods.listSearch.searchIdentities.call(context)).rejects.toThrow(
			/deliveryChannelMscApi/,
		);
	});
});
