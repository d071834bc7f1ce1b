import type { IAuthenticateGeneric, ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * No declarative `test` here: n8n would run it before the node's own test, following redirects
 * with the key and accepting any http:// address. The Delivery Channel node tests this credential
 * (channels/msc/credentialTest.ts).
 */
export class DeliveryChannelMscApi implements ICredentialType {
	name = 'deliveryChannelMscApi';

	displayName = 'Delivery Channel: MSC API';

	icon = { light: 'file:deliveryChannel.svg', dark: 'file:deliveryChannel.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-delivery-channel#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'http://127.0.0.1:8025',
			description:
				'Address of the MSC API, without /v1. It must start with https://; plain http:// is accepted ' +
				'only for this computer (localhost, 127.0.0.1, ::1), such as the MSC server this package ships ' +
				'(npx delivery-channel-msc) on http://127.0.0.1:8025. Redirects are never followed.',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				"The account's API key (msc_sk_...). The MSC server this package ships takes the one given in " +
				'MSC_API_KEY, or makes one on its first start into <data dir>/api-key.',
		},
		{
			displayName: 'Timeout',
			name: 'timeout',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 600 },
			default: 60,
			description:
				'Seconds to wait for the answer to one API request. A send whose answer does not come in time ' +
				'is asked about again with the same idempotency key, so it is never sent twice.',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: { headers: { Authorization: '=Bearer {{$credentials.apiKey}}' } },
	};
}
