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

/**
 * Custom SMTP with an OAuth2 sign-in (SASL XOAUTH2) instead of a password, for SMTP and the mailbox:
 * Microsoft 365 (basic auth for SMTP AUTH is off by default from the end of December 2026), Google
 * Workspace, or any other server that takes XOAUTH2.
 */
const MICROSOFT = 'microsoft365';
const GOOGLE = 'googleWorkspace';
const OTHER = 'other';

const MICROSOFT_LOGIN = 'https://login.microsoftonline.com/';
/** SMTP.Send and IMAP.AccessAsUser.All of Exchange Online; offline_access gives the refresh token. */
const MICROSOFT_SCOPES =
	'offline_access https://outlook.office.com/SMTP.Send https://outlook.office.com/IMAP.AccessAsUser.All';

const only = (provider: string) => ({ show: { provider: [provider] } });

/**
 * A value that depends on the Provider, as an n8n expression over the credential's own fields. n8n
 * merges a credential's properties by name (with oAuth2Api's), so one name can hold one field only:
 * the presets' values are chosen here, and Other's come from fields of their own.
 */
const byProvider = (microsoft: string, google: string, other: string) =>
	`={{ $self["provider"] === "${GOOGLE}" ? ${google} : $self["provider"] === "${OTHER}" ? ${other} : ${microsoft} }}`;
const text = (value: string) => JSON.stringify(value);

/** The tenant's v2.0 endpoint, from the Tenant field (organizations when empty). */
const microsoftEndpoint = (path: string) =>
	`${text(MICROSOFT_LOGIN)} + String($self["tenant"] || "organizations").trim() + "/oauth2/v2.0/${path}"`;

/** A hidden OAuth2 setting of the presets, and the visible field that gives it for Other. */
function oauthSetting(
	name: string,
	displayName: string,
	presets: { microsoft: string; google: string },
	other: Partial<INodeProperties> = {},
): INodeProperties[] {
	const custom = `custom${name[0].toUpperCase()}${name.slice(1)}`;
	return [
		{
			displayName,
			name,
			type: 'hidden',
			default: byProvider(presets.microsoft, presets.google, `$self["${custom}"]`),
		},
		{
			displayName,
			name: custom,
			type: 'string',
			default: '',
			...other,
			displayOptions: only(OTHER),
		},
	];
}

export class DeliveryChannelSmtpOAuth2Api implements ICredentialType {
	name = 'deliveryChannelSmtpOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Delivery Channel: Custom SMTP OAuth2 API';

	icon = { light: 'file:deliveryChannel.svg', dark: 'file:deliveryChannel.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-delivery-channel#microsoft-365';

	properties: INodeProperties[] = [
		{ displayName: 'Grant Type', name: 'grantType', type: 'hidden', default: 'authorizationCode' },
		{
			displayName: 'Provider',
			name: 'provider',
			type: 'options',
			options: [
				{
					name: 'Microsoft 365',
					value: MICROSOFT,
					description: 'Exchange Online: smtp.office365.com and outlook.office365.com',
				},
				{
					name: 'Google Workspace',
					value: GOOGLE,
					description: 'Gmail over SMTP and IMAP: smtp.gmail.com and imap.gmail.com',
				},
				{
					name: 'Other',
					value: OTHER,
					description: 'Any server that takes SASL XOAUTH2; enter its OAuth2 endpoints and scope',
				},
			],
			default: MICROSOFT,
		},
		{
			displayName:
				'Register an app in Microsoft Entra ID with the OAuth Redirect URL above, the delegated ' +
				'Office 365 Exchange Online permissions SMTP.Send and IMAP.AccessAsUser.All plus offline_access, ' +
				'and admin consent. SMTP AUTH must be enabled for the mailbox (see the package README).',
			name: 'microsoftNotice',
			type: 'notice',
			default: '',
			displayOptions: only(MICROSOFT),
		},
		{
			displayName: 'Tenant',
			name: 'tenant',
			type: 'string',
			default: 'organizations',
			placeholder: 'contoso.onmicrosoft.com',
			description:
				'Your directory (tenant) ID or domain, or "organizations" (any work or school account) or ' +
				'"common". An app registered for a single tenant needs its tenant here.',
			displayOptions: only(MICROSOFT),
		},
		...oauthSetting(
			'authUrl',
			'Authorization URL',
			{
				microsoft: microsoftEndpoint('authorize'),
				google: text('https://accounts.google.com/o/oauth2/v2/auth'),
			},
			{ required: true },
		),
		...oauthSetting(
			'accessTokenUrl',
			'Access Token URL',
			{
				microsoft: microsoftEndpoint('token'),
				google: text('https://oauth2.googleapis.com/token'),
			},
			{ required: true },
		),
		...oauthSetting(
			'scope',
			'Scope',
			{ microsoft: text(MICROSOFT_SCOPES), google: text('https://mail.google.com/') },
			{
				description:
					'Scopes separated by spaces: sending over SMTP and reading the mailbox, plus what gives a refresh token',
			},
		),
		...oauthSetting('authQueryParameters', 'Auth URI Query Parameters', {
			// Pick the mailbox's account even when the browser is signed in to another one.
			microsoft: text('prompt=select_account'),
			// offline: a refresh token; consent: Google gives one only on consent, also on reconnect.
			google: text('access_type=offline&prompt=consent'),
		}),
		{ displayName: 'Authentication', name: 'authentication', type: 'hidden', default: 'body' },
		{
			displayName: 'Mailbox (User)',
			name: 'user',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'sales@example.com',
			description:
				'The address of the mailbox that signs in: the account you connect below, used for SMTP and IMAP',
		},
		SEND_AS_FIELD,
		// Both presets send on 587 with STARTTLS and read on 993 with SSL/TLS; only the hosts differ.
		...smtpServerFields({
			host: byProvider(text('smtp.office365.com'), text('smtp.gmail.com'), '""'),
			port: 587,
			security: 'starttls',
			hostDescription:
				'SMTP server host name; the Provider fills it in: smtp.office365.com for Microsoft 365, ' +
				'smtp.gmail.com for Google Workspace',
		}),
		CLIENT_HOSTNAME_FIELD,
		...LIMIT_FIELDS,
		ALLOW_SELF_SIGNED_FIELD,
		imapHostField(
			byProvider(text('outlook.office365.com'), text('imap.gmail.com'), '""'),
			'The mailbox, where bounce reports arrive; Failed Deliveries and the trigger read it over IMAP ' +
				'with the same sign-in (the Provider fills in its host). Leave empty if you only send.',
		),
		...IMAP_CONNECTION_FIELDS,
		...IMAP_FOLDER_FIELDS,
	];
}
