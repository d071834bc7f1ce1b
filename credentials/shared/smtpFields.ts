/**
 * The fields the two Custom SMTP credentials share (password and OAuth2): the server, the sending
 * limits and the mailbox read for Failed Deliveries. One definition, so both credentials say the same.
 */
import type { INodeProperties } from 'n8n-workflow';

type DisplayOptions = INodeProperties['displayOptions'];

export const SMTP_SECURITY_OPTIONS: INodeProperties['options'] = [
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
];

export interface ServerDefaults {
	host: string;
	port: number;
	security: string;
	hostDescription: string;
}

/** Host, Port and Security of the SMTP server, with the given defaults. */
export function smtpServerFields(defaults: ServerDefaults): INodeProperties[] {
	return [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: defaults.host,
			required: true,
			placeholder: 'smtp.example.com',
			description: defaults.hostDescription,
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: defaults.port,
			description: 'Usually 587 with STARTTLS, 465 with SSL/TLS, 25 between servers',
		},
		{
			displayName: 'Security',
			name: 'security',
			type: 'options',
			options: SMTP_SECURITY_OPTIONS,
			default: defaults.security,
		},
	];
}

export const CLIENT_HOSTNAME_FIELD: INodeProperties = {
	displayName: 'Client Host Name',
	name: 'clientHostname',
	type: 'string',
	default: '',
	placeholder: 'mail.example.com',
	description:
		'The name this machine gives in EHLO; some servers want a real host name. Defaults to the machine name.',
};

/** The account's sending limits; 0 is automatic (Microsoft 365's own limits for its hosts). */
export const LIMIT_FIELDS: INodeProperties[] = [
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
		displayName: 'Recipients per Message',
		name: 'recipientsPerMessage',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description:
			'At most this many recipients (To, CC and BCC together) in one message; a message with more is not sent ' +
			'(an item error before anything goes out). 0: automatic (500 for Microsoft 365, no limit otherwise).',
	},
];

/** Addresses besides the mailbox the account may send as: the Identity list, Microsoft 365's check. */
export const SEND_AS_FIELD: INodeProperties = {
	displayName: 'Send-As Addresses',
	name: 'sendAs',
	type: 'string',
	default: '',
	placeholder: 'team@example.com, jane.doe@example.com',
	description:
		'Other addresses this account may send as, separated by commas: its aliases, or shared mailboxes it has ' +
		"Send As rights to. The node's Identity list offers them. On Microsoft 365 an identity that is neither the " +
		'mailbox nor one of these is stopped before sending, since Exchange would refuse it (5.2.252 SendAsDenied).',
};

export const ALLOW_SELF_SIGNED_FIELD: INodeProperties = {
	displayName: 'Allow Self-Signed Certificates',
	name: 'allowSelfSigned',
	type: 'boolean',
	default: false,
	description:
		'Whether to accept a certificate that is self-signed or does not match the host. Only for a ' +
		'server you control: it lets anyone in between read the mail and the password.',
};

const WITH_MAILBOX: DisplayOptions = { hide: { imapHost: [''] } };

/** IMAP Host of the mailbox where bounce reports arrive; empty = the credential only sends. */
export function imapHostField(host: string, description: string): INodeProperties {
	return {
		displayName: 'IMAP Host (for Failed Deliveries)',
		name: 'imapHost',
		type: 'string',
		default: host,
		placeholder: 'imap.example.com',
		description,
	};
}

/** IMAP Port and Security, shown once an IMAP Host is set. */
export const IMAP_CONNECTION_FIELDS: INodeProperties[] = [
	{
		displayName: 'IMAP Port',
		name: 'imapPort',
		type: 'number',
		default: 993,
		description: 'Usually 993 with SSL/TLS, 143 with STARTTLS',
		displayOptions: WITH_MAILBOX,
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
		displayOptions: WITH_MAILBOX,
	},
];

/** Which folders are read for reports, and where the sent messages are. */
export const IMAP_FOLDER_FIELDS: INodeProperties[] = [
	{
		displayName: 'IMAP Folders',
		name: 'imapFolders',
		type: 'string',
		default: 'INBOX, Junk',
		description:
			'Folders to search for bounce reports, separated by commas. "Junk" also finds the junk folder ' +
			'under another name (Spam, Junk E-mail) when the server marks it.',
		displayOptions: WITH_MAILBOX,
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
		displayOptions: WITH_MAILBOX,
	},
];
