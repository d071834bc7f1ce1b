import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import {
	ALLOW_SELF_SIGNED_FIELD,
	CLIENT_HOSTNAME_FIELD,
	SEND_AS_FIELD,
	IMAP_CONNECTION_FIELDS,
	IMAP_FOLDER_FIELDS,
	imapHostField,
	LIMIT_FIELDS,
	smtpServerFields,
} from './shared/smtpFields';

export class DeliveryChannelSmtpApi implements ICredentialType {
	name = 'deliveryChannelSmtpApi';

	displayName = 'Delivery Channel: Custom SMTP API';

	icon = { light: 'file:deliveryChannel.svg', dark: 'file:deliveryChannel.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-delivery-channel#credentials';

	properties: INodeProperties[] = [
		...smtpServerFields({
			host: '',
			port: 587,
			security: 'starttls',
			hostDescription: 'SMTP server host name. For Microsoft 365 use smtp.office365.com.',
		}),
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			description: 'Login name; leave empty for a server that needs no login',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		SEND_AS_FIELD,
		CLIENT_HOSTNAME_FIELD,
		...LIMIT_FIELDS,
		ALLOW_SELF_SIGNED_FIELD,
		imapHostField(
			'',
			"The sender's mailbox, where bounce reports arrive; Failed Deliveries and the trigger read " +
				'it over IMAP. Leave empty if you only send. For Microsoft 365 use outlook.office365.com.',
		),
		...IMAP_CONNECTION_FIELDS,
		{
			displayName: 'IMAP User',
			name: 'imapUser',
			type: 'string',
			default: '',
			description: 'Login name of the mailbox; leave empty to use the SMTP User and Password',
			displayOptions: { hide: { imapHost: [''] } },
		},
		{
			displayName: 'IMAP Password',
			name: 'imapPassword',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Leave empty together with IMAP User to use the SMTP Password',
			displayOptions: { hide: { imapHost: [''] } },
		},
		...IMAP_FOLDER_FIELDS,
	];
}
