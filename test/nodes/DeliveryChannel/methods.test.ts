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
			results: [{ name: 'rep@example.com', value: 'rep@example.com' }],
		});
		await expect(node.methods.listSearch.searchIdentities.call(context, 'nobody')).resolves.toEqual(
			{ results: [] },
		);
	});

	it('offers nothing when the SMTP login is not an address', async () => {
		const context = loadOptionsContext(
			{ channel: 'smtp' },
			{ deliveryChannelSmtpApi: { user: 'AD\\\\rep' } },
		);
		await expect(node.methods.listSearch.searchIdentities.call(context)).resolves.toEqual({
			results: [],
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
