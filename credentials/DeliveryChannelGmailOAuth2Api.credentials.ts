import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * gmail.send lets the node send; gmail.settings.basic lets it read the verified send-as aliases so it
 * never sends under an identity Gmail would silently replace; gmail.readonly (a restricted scope in
 * Google's eyes) is only needed to find bounce reports for Failed Deliveries.
 */
const SEND_SCOPES = ['https://www.googleapis.com/auth/gmail.send', 'https://www.googleapis.com/auth/gmail.settings.basic'];
const READ_SCOPE = 'https://www.googleapis.com/auth/gmail.readonly';

export class DeliveryChannelGmailOAuth2Api implements ICredentialType {
	name = 'deliveryChannelGmailOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Delivery Channel: Gmail OAuth2 API';

	icon = { light: 'file:deliveryChannel.svg', dark: 'file:deliveryChannel.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-delivery-channel#gmail';

	properties: INodeProperties[] = [
		{ displayName: 'Grant Type', name: 'grantType', type: 'hidden', default: 'authorizationCode' },
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'hidden',
			default: 'https://accounts.google.com/o/oauth2/v2/auth',
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'hidden',
			default: 'https://oauth2.googleapis.com/token',
		},
		{
			displayName: 'Read Mailbox for Failed Deliveries',
			name: 'readMailbox',
			type: 'boolean',
			default: true,
			description: 'Whether to also ask for read access to the mailbox (gmail.readonly, a restricted scope) so Failed Deliveries can find bounce reports. Sending needs only gmail.send and gmail.settings.basic.',
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default: `={{ "${SEND_SCOPES.join(' ')}" + ($self["readMailbox"] ? " ${READ_SCOPE}" : "") }}`,
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'hidden',
			default: 'access_type=offline&prompt=consent',
		},
		{ displayName: 'Authentication', name: 'authentication', type: 'hidden', default: 'body' },
	];
}
