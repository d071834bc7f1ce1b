import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * The smallest Gmail scopes that do the job:
 * - gmail.send (sensitive): send messages; no access to the mailbox.
 * - gmail.settings.basic (restricted): read the send-as aliases, so the node never sends under an
 *   identity Gmail would silently replace. Only requested when the mailbox is not read anyway.
 * - gmail.readonly (restricted): read the mailbox to find bounce reports for Failed Deliveries; it
 *   also covers reading the send-as aliases.
 */
const SEND = 'https://www.googleapis.com/auth/gmail.send';
const SETTINGS = 'https://www.googleapis.com/auth/gmail.settings.basic';
const READ = 'https://www.googleapis.com/auth/gmail.readonly';

export class DeliveryChannelGmailOAuth2Api implements ICredentialType {
	name = 'deliveryChannelGmailOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Delivery Channel: Gmail OAuth2 API';

	icon = { light: 'file:deliveryChannel.svg', dark: 'file:deliveryChannel.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-delivery-channel#credentials';

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
			description:
				'Whether to ask for read access to the mailbox (gmail.readonly) so Failed Deliveries can find ' +
				'bounce reports. When off, the credential asks for gmail.send and gmail.settings.basic only. ' +
				'Reconnect after changing it.',
		},
		{
			displayName: 'Use Custom API Base URL',
			name: 'useCustomApiBaseUrl',
			type: 'boolean',
			default: false,
			description:
				'Whether to send Gmail API requests somewhere other than Google (https://gmail.googleapis.com), ' +
				'such as a proxy in front of the Gmail API or a local test server. ' +
				'The access token goes there with every request.',
		},
		{
			displayName: 'API Base URL',
			name: 'apiBaseUrl',
			type: 'string',
			default: 'https://gmail.googleapis.com',
			placeholder: 'https://gmail-proxy.example.com',
			description:
				'Where Gmail API requests and the access token go. Must start with https:// ' +
				'(http:// only for a server on this machine: localhost, 127.0.0.1, [::1]). ' +
				'A redirect from it is reported as an error and never followed with the token.',
			displayOptions: { show: { useCustomApiBaseUrl: [true] } },
		},
		{
			displayName:
				'Scopes asked for: gmail.send to send, and gmail.readonly with Read Mailbox on, otherwise ' +
				'gmail.settings.basic (to check that the From address is one of your send-as aliases). ' +
				'Outside your own Workspace organisation, Google must verify an app before it may ask for the last two.',
			name: 'scopesNotice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default: `={{ $self["readMailbox"] === false ? "${SEND} ${SETTINGS}" : "${SEND} ${READ}" }}`,
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'hidden',
			// offline: a refresh token, so n8n can renew the access token; consent: Google only returns
			// a refresh token on consent, and reconnecting must get a new one.
			default: 'access_type=offline&prompt=consent',
		},
		{ displayName: 'Authentication', name: 'authentication', type: 'hidden', default: 'body' },
	];
}
