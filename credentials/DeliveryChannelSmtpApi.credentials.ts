import type { ICredentialType, INodeProperties } from 'n8n-workflow';

export class DeliveryChannelSmtpApi implements ICredentialType {
	name = 'deliveryChannelSmtpApi';

	displayName = 'Delivery Channel: Custom SMTP API';

	icon = { light: 'file:deliveryChannel.svg', dark: 'file:deliveryChannel.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-delivery-channel#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'smtp.example.com',
			description: 'SMTP server host name. For Microsoft 365 use smtp.office365.com.',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 587,
			description: 'Usually 587 with STARTTLS, 465 with SSL/TLS, 25 between servers',
		},
		{
			displayName: 'Security',
			name: 'security',
			type: 'options',
			options: [
				{
					name: 'SSL/TLS (Implicit, Port 465)',
					value: 'tls',
					description: 'The connection is encrypted from the first byte',
				},
				{
					name: 'STARTTLS Required',
					value: 'starttls',
					description: 'Upgrade to TLS with STARTTLS; fail if the server does not offer it',
				},
				{
					name: 'STARTTLS When Offered',
					value: 'starttlsWhenOffered',
					description:
						'Upgrade to TLS when the server offers it. When it does not, or someone on the network removes ' +
						'the offer, the mail goes unencrypted: anyone on the way can read and change it. The password ' +
						'is never sent unencrypted: with a User set, sending fails instead.',
				},
				{
					name: 'None (Unencrypted)',
					value: 'none',
					description: 'Never encrypt; only for servers on a trusted network',
				},
			],
			default: 'starttls',
		},
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
		{
			displayName: 'Client Host Name',
			name: 'clientHostname',
			type: 'string',
			default: '',
			placeholder: 'mail.example.com',
			description:
				'The name this machine gives in EHLO; some servers want a real host name. Defaults to the machine name.',
		},
		{
			displayName: 'Max Connections',
			name: 'maxConnections',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 50 },
			default: 0,
			description:
				'How many connections may send at the same time with this credential, counted across every execution and ' +
				'worker. 0: automatic (3 for Microsoft 365, which allows 3 per mailbox; 5 otherwise).',
		},
		{
			displayName: 'Messages per Minute',
			name: 'messagesPerMinute',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 0,
			description:
				'At most this many messages in any 60 seconds with this credential, across every execution and worker; ' +
				'a send waits for its turn. 0: automatic (30 for Microsoft 365, no limit otherwise).',
		},
		{
			displayName: 'Recipients per Day',
			name: 'recipientsPerDay',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 0,
			description:
				'At most this many recipients in 24 hours with this credential; a message that would pass it is not sent ' +
				'(code EQUOTA, with the time the count resets). 0: automatic (10,000 for Microsoft 365, no limit otherwise).',
		},
		{
			displayName: 'Allow Self-Signed Certificates',
			name: 'allowSelfSigned',
			type: 'boolean',
			default: false,
			description:
				'Whether to accept a certificate that is self-signed or does not match the host. Only for a ' +
				'server you control: it lets anyone in between read the mail and the password.',
		},
		{
			displayName: 'IMAP Host (for Failed Deliveries)',
			name: 'imapHost',
			type: 'string',
			default: '',
			placeholder: 'imap.example.com',
			description:
				"The sender's mailbox, where bounce reports arrive; Failed Deliveries and the trigger read " +
				'it over IMAP. Leave empty if you only send. For Microsoft 365 use outlook.office365.com.',
		},
		{
			displayName: 'IMAP Port',
			name: 'imapPort',
			type: 'number',
			default: 993,
			description: 'Usually 993 with SSL/TLS, 143 with STARTTLS',
			displayOptions: { hide: { imapHost: [''] } },
		},
		{
			displayName: 'IMAP Security',
			name: 'imapSecurity',
			type: 'options',
			options: [
				{
					name: 'SSL/TLS (Implicit, Port 993)',
					value: 'tls',
					description: 'The connection is encrypted from the first byte',
				},
				{
					name: 'STARTTLS Required',
					value: 'starttls',
					description: 'Upgrade to TLS with STARTTLS; fail if the server does not offer it',
				},
				{
					name: 'None (Unencrypted)',
					value: 'none',
					description: 'Never encrypt; only for servers on a trusted network',
				},
			],
			default: 'tls',
			displayOptions: { hide: { imapHost: [''] } },
		},
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
		{
			displayName: 'IMAP Folders',
			name: 'imapFolders',
			type: 'string',
			default: 'INBOX, Junk',
			description:
				'Folders to search for bounce reports, separated by commas. "Junk" also finds the junk folder ' +
				'under another name (Spam, Junk E-mail) when the server marks it.',
			displayOptions: { hide: { imapHost: [''] } },
		},
		{
			displayName: 'Sent Folder',
			name: 'sentFolder',
			type: 'string',
			default: '',
			placeholder: 'Sent Items',
			description:
				'Where the mailbox keeps sent messages, to link each failure to the message that was sent. ' +
				'Leave empty to use the folder the server marks as Sent.',
			displayOptions: { hide: { imapHost: [''] } },
		},
	];
}
