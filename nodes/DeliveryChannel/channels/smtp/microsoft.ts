/**
 * Microsoft 365 / Exchange Online's SMTP refusals in plain words: what each one means, whether another
 * attempt can help, and which setting to change. Exchange names its refusals precisely (enhanced
 * status codes of its own, STOREDRV and RESOLVER phrases), so the table matches the reply text and
 * needs no host check; a reply no line knows keeps the generic SMTP meaning (errors.ts).
 */
import type { DeliveryErrorCode } from '../../../../core/errors';

export interface MicrosoftAnswer {
	/** A short name for the case (tests, logs). */
	readonly name: string;
	/** Matches the server's reply, whitespace folded to single spaces. */
	readonly reply: RegExp;
	readonly code: DeliveryErrorCode;
	readonly retryable: boolean;
	/** Every later message would get the same answer: the rest of the batch is held back. */
	readonly stopsBatch?: boolean;
	/** What the answer means; the error message is this, then the server's reply. */
	readonly meaning: string;
	/** What to change. `<mailbox>` stands for the credential's User, `<from>` for the refused From. */
	readonly hint: string;
	/** The parameter the problem is in. */
	readonly field?: string;
}

const MAILBOX_SMTP_AUTH =
	'the Microsoft 365 admin center (Users > Active users > <mailbox> > Mail > Manage email apps > ' +
	'tick Authenticated SMTP) or `Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false`';
const TENANT_SMTP_AUTH = '`Set-TransportConfig -SmtpClientAuthenticationDisabled $false`';
const SEND_AS =
	'`Add-RecipientPermission -Identity <from> -Trustee <mailbox> -AccessRights SendAs` ' +
	'(Exchange admin center: Recipients > Mailboxes > <from> > Delegation > Send as)';
const RESTRICTED_ENTITIES =
	'Microsoft Defender portal > Email & collaboration > Review > Restricted entities';

/**
 * First match wins: the specific wordings of a code come before the code's general line (5.7.139
 * says which setting blocks the login; a bare 5.7.3 or 5.7.139 does not).
 */
export const MICROSOFT_ANSWERS: readonly MicrosoftAnswer[] = [
	{
		name: 'basic-auth-retired',
		reply: /\b5\.7\.30\b|Basic authentication is not supported for Client Submission/i,
		code: 'EAUTH',
		retryable: false,
		stopsBatch: true,
		meaning: 'Microsoft 365 no longer takes a password for sending (basic authentication is off)',
		hint:
			'Exchange Online refuses user-and-password sign-in for SMTP AUTH (client submission) here. Sign in ' +
			'with OAuth2 instead of a password (Microsoft retires basic authentication for SMTP AUTH; from the end ' +
			'of December 2026 it is off by default).',
	},
	{
		name: 'smtp-auth-off-mailbox',
		reply: /SmtpClientAuthentication is disabled for the Mailbox/i,
		code: 'EAUTH',
		retryable: false,
		stopsBatch: true,
		meaning: 'Microsoft 365 refused the login: SMTP AUTH is turned off for this mailbox',
		hint: `An admin turns SMTP AUTH on for the mailbox in ${MAILBOX_SMTP_AUTH}.`,
	},
	{
		name: 'smtp-auth-off-tenant',
		reply: /SmtpClientAuthentication is disabled for the Tenant/i,
		code: 'EAUTH',
		retryable: false,
		stopsBatch: true,
		meaning: 'Microsoft 365 refused the login: SMTP AUTH is turned off for the whole organization',
		hint:
			`An admin turns SMTP AUTH on for the organization with ${TENANT_SMTP_AUTH} (Exchange admin center: ` +
			'Settings > Mail flow, clear "Turn off SMTP AUTH protocol for your organization"), or for this ' +
			`mailbox only (the mailbox's setting wins) in ${MAILBOX_SMTP_AUTH}.`,
	},
	{
		name: 'security-defaults',
		reply: /security defaults/i,
		code: 'EAUTH',
		retryable: false,
		stopsBatch: true,
		meaning: "Microsoft 365 refused the login: the tenant's Security defaults block passwords",
		hint:
			'Security defaults (Microsoft Entra ID) block user-and-password sign-in over SMTP. Sign in with OAuth2 ' +
			'instead, or an admin turns Security defaults off (Microsoft Entra admin center > Identity > Overview > ' +
			'Properties > Manage security defaults) and protects the tenant with Conditional Access.',
	},
	{
		name: 'sign-in-policy',
		reply: /did not meet the criteria to be authenticated/i,
		code: 'EAUTH',
		retryable: false,
		stopsBatch: true,
		meaning: 'Microsoft 365 refused the login: a sign-in policy does not allow it',
		hint:
			'A Conditional Access or multi-factor authentication policy refuses password sign-in for <mailbox>. ' +
			'Sign in with OAuth2 instead, or an admin exempts this mailbox from the policy that blocks legacy ' +
			`authentication. SMTP AUTH must also be on for the mailbox: ${MAILBOX_SMTP_AUTH}.`,
	},
	{
		name: 'login-refused',
		reply: /\b5\.7\.(?:3|139) Authentication unsuccessful/i,
		code: 'EAUTH',
		retryable: false,
		stopsBatch: true,
		meaning: 'Microsoft 365 refused the login',
		hint:
			"Check that User is the mailbox's full address and the Password is right. Then, with an admin: SMTP AUTH " +
			`must be on for the mailbox (${MAILBOX_SMTP_AUTH}) and not off for the organization (${TENANT_SMTP_AUTH}); ` +
			'if Security defaults or multi-factor authentication block passwords, sign in with OAuth2 instead.',
	},
	{
		name: 'not-authenticated',
		reply: /\b5\.7\.57\b/,
		code: 'EAUTH',
		retryable: false,
		stopsBatch: true,
		meaning: 'Microsoft 365 takes mail only from a signed-in mailbox; this session did not sign in',
		hint:
			'Fill in User and Password (or sign in with OAuth2) in the Custom SMTP credential, with Host ' +
			'smtp.office365.com, Port 587 and Security STARTTLS. If the credential has them, SMTP AUTH must be on ' +
			`for the mailbox: ${MAILBOX_SMTP_AUTH}.`,
	},
	{
		name: 'throttled-mailbox-full',
		reply: /\b5\.2\.251\b|continuous mailbox full/i,
		code: 'EQUOTA',
		retryable: false,
		stopsBatch: true,
		meaning: 'Microsoft 365 paused SMTP sending for this mailbox: it was full again and again',
		hint:
			'Free space in the mailbox (Exchange Online keeps a copy of every message sent over SMTP in Sent Items) ' +
			'or have an admin raise its quota, then send again later.',
	},
	{
		name: 'throttled-send-as',
		reply: /\b5\.2\.252\b.*throttled|continuous send as denied/i,
		code: 'EIDENTITY',
		retryable: false,
		stopsBatch: true,
		meaning:
			'Microsoft 365 paused SMTP sending for this mailbox: Send As was refused again and again',
		hint:
			'Send from the mailbox <mailbox> itself, or have an admin grant it Send As for the From address: ' +
			`${SEND_AS}. Then send again later.`,
		field: 'identity',
	},
	{
		name: 'throttled-license',
		reply: /\b5\.2\.253\b|continuous invalid license/i,
		code: 'EAUTH',
		retryable: false,
		stopsBatch: true,
		meaning: 'Microsoft 365 paused SMTP sending for this mailbox: it has no valid license',
		hint: 'An admin assigns <mailbox> a license that includes Exchange Online; then send again later.',
	},
	{
		name: 'throttled-recipients',
		reply: /\b5\.2\.25[45]\b|continuous (?:too many|invalid) recipients/i,
		code: 'EENVELOPE',
		retryable: false,
		stopsBatch: true,
		meaning: 'Microsoft 365 paused SMTP sending for this mailbox after repeated recipient errors',
		hint:
			'Check the recipient addresses and keep each message at 500 recipients or fewer (To, Cc and Bcc ' +
			'together); then send again later.',
	},
	{
		name: 'send-as-denied',
		reply: /SendAsDenied/i,
		code: 'EIDENTITY',
		retryable: false,
		meaning: 'Microsoft 365 refused the From address: this mailbox may not send as it',
		hint:
			'The From address (the identity) is not the mailbox <mailbox>, and the mailbox has no Send As permission ' +
			`for it. Use the mailbox's own address as the identity, or have an admin grant Send As: ${SEND_AS}. For ` +
			'an alias of the mailbox, an admin allows sending from aliases with `Set-OrganizationConfig -SendFromAliasEnabled $true`.',
		field: 'identity',
	},
	{
		name: 'send-on-behalf-denied',
		reply: /\b5\.7\.60\b/,
		code: 'EIDENTITY',
		retryable: false,
		meaning:
			'Microsoft 365 refused the From address: this mailbox may not send as or on behalf of it',
		hint:
			'The From address (the identity) is not the mailbox <mailbox>, which has neither Send As nor Send on ' +
			`Behalf permission for it. Use the mailbox's own address, or have an admin grant Send As: ${SEND_AS}, ` +
			'or Send on Behalf: `Set-Mailbox -Identity <from> -GrantSendOnBehalfTo @{Add="<mailbox>"}`.',
		field: 'identity',
	},
	{
		name: 'concurrent-connections',
		reply:
			/\b4\.3\.2\b.*(?:sender thread limit|concurrent connection limit|maximum number of concurrent connections)/i,
		code: 'ERATELIMIT',
		retryable: true,
		meaning: 'Microsoft 365 refused another connection: at most 3 at once per mailbox',
		hint:
			'Exchange Online takes 3 connections at a time per mailbox, counting every app and device that sends as ' +
			'it. Set Max Connections in the Custom SMTP credential to 3 or less (less if something else sends as ' +
			'<mailbox>); this item can be sent again in a moment.',
	},
	{
		name: 'message-rate',
		reply: /\b4\.5\.127\b|Excessive message rate/i,
		code: 'ERATELIMIT',
		retryable: true,
		meaning: 'Microsoft 365 refused the message: the mailbox is over its message rate',
		hint:
			'Exchange Online takes 30 messages a minute per mailbox. Set Messages per Minute in the Custom SMTP ' +
			'credential to 30 or less (less if something else sends as <mailbox>); this item can be sent again in the next minute.',
	},
	{
		name: 'rate-exceeded',
		reply: /^452\b.*\b(?:message|recipient) rate\b/i,
		code: 'ERATELIMIT',
		retryable: true,
		meaning: 'The server refused the message: the mailbox is over its message or recipient rate',
		hint:
			"Keep to the server's rates (Exchange Online: 30 messages a minute, 10,000 recipients a day per mailbox) " +
			'with Messages per Minute and Recipients per Day in the Custom SMTP credential; this item can be sent again later.',
	},
	{
		name: 'daily-recipients',
		reply: /\b5\.1\.90\b|daily limit for message recipients/i,
		code: 'EQUOTA',
		retryable: true,
		stopsBatch: true,
		meaning: 'Microsoft 365 refused the message: the mailbox reached its daily recipient limit',
		hint:
			'Exchange Online lets a mailbox send to 10,000 recipients in any 24 hours (each To, Cc and Bcc counts). ' +
			'The items after this one were not sent; run them again once the last 24 hours hold fewer recipients, ' +
			'and set Recipients per Day in the Custom SMTP credential so the node stops first.',
	},
	{
		name: 'mailbox-full',
		// Exchange's own words: a bare "5.2.2 Mailbox full" elsewhere is a recipient's mailbox.
		reply: /mailbox full;.*STOREDRV\.Submission/i,
		code: 'EQUOTA',
		retryable: false,
		stopsBatch: true,
		meaning: 'Microsoft 365 refused the message: the sending mailbox is over its storage quota',
		hint:
			'Exchange Online keeps a copy of every message sent over SMTP in Sent Items, so a full mailbox cannot ' +
			'send. Free space in <mailbox> (empty Deleted Items, clear old Sent Items) or have an admin raise its ' +
			'quota (`Set-Mailbox -Identity <mailbox> -ProhibitSendQuota ...`). Sending again before that only fails again.',
	},
	{
		name: 'submission-quota',
		reply: /SubmissionQuotaExceeded/i,
		code: 'EQUOTA',
		retryable: true,
		stopsBatch: true,
		meaning: 'Microsoft 365 refused the message: the mailbox is over a sending quota',
		hint:
			'Either the mailbox sent to 10,000 recipients in the last 24 hours (then run the items after this one ' +
			'again later, and set Recipients per Day in the credential), or <mailbox> is over its storage quota ' +
			'(free space: a copy of every message sent over SMTP goes to Sent Items).',
	},
	{
		name: 'too-many-recipients',
		reply: /RESOLVER\.ADR\.Recip(?:ient)?Limit/i,
		code: 'EENVELOPE',
		retryable: false,
		meaning: 'Microsoft 365 refused the message: it has too many recipients',
		hint: 'Exchange Online takes at most 500 recipients per message (To, Cc and Bcc together). Split the message.',
	},
	{
		name: 'too-large',
		reply:
			/RESOLVER\.RST\.(?:SendSizeLimit|RecipSizeLimit)|message too large for this (?:sender|recipient)|fixed maximum message size/i,
		code: 'EMESSAGE',
		retryable: false,
		meaning: 'Microsoft 365 refused the message as too large',
		hint:
			'Send smaller or fewer attachments, or a link instead (encoding makes attachments about a third larger). ' +
			"Exchange Online's default limit is 35 MB per message; an admin can raise the sender's " +
			"(`Set-Mailbox -Identity <mailbox> -MaxSendSize`) or a recipient's (`-MaxReceiveSize`) limit up to 150 MB.",
	},
	{
		name: 'bad-outbound-sender',
		reply: /\b5\.1\.8\b.*bad outbound sender/i,
		code: 'EENVELOPE',
		retryable: false,
		stopsBatch: true,
		meaning: 'Microsoft 365 blocked this mailbox from sending: it was taken for a source of spam',
		hint:
			'This usually means the account was compromised. An admin secures it (new password, sessions revoked) ' +
			`and releases it in ${RESTRICTED_ENTITIES}.`,
	},
	{
		name: 'tenant-over-threshold',
		reply: /\b5\.7\.705\b/,
		code: 'EENVELOPE',
		retryable: false,
		stopsBatch: true,
		meaning:
			'Microsoft 365 blocked the whole organization from sending: too much spam or bulk mail',
		hint:
			'Only a Microsoft 365 admin can fix this: find and stop what sent the spam (a compromised account or ' +
			'server), then ask Microsoft Support to lift the block. Sending again does not help.',
	},
	{
		name: 'tenant-blocked',
		reply: /\b5\.7\.708\b/,
		code: 'EENVELOPE',
		retryable: false,
		stopsBatch: true,
		meaning: "Microsoft 365 does not accept this organization's outgoing mail",
		hint:
			'Exchange Online blocks outgoing mail of tenants it does not trust yet (new or trial tenants) or whose ' +
			'mail looked like spam. Only a Microsoft 365 admin can have it lifted, through Microsoft Support, after ' +
			`checking ${RESTRICTED_ENTITIES}. Sending again does not help.`,
	},
	{
		name: 'unregistered-domain',
		reply: /\b5\.7\.750\b|blocked from sending from unregistered domain/i,
		code: 'EIDENTITY',
		retryable: false,
		meaning: "Microsoft 365 refused the From address: its domain is not the organization's",
		hint:
			'Send from an address in a domain of this Microsoft 365 organization, or have an admin add and verify ' +
			'the domain (Microsoft 365 admin center > Settings > Domains).',
		field: 'identity',
	},
];

/** The table's line for a server reply, if Microsoft's wording is in it. */
export function microsoftAnswer(reply: string): MicrosoftAnswer | undefined {
	const folded = reply.replace(/\s+/g, ' ').trim();
	return folded ? MICROSOFT_ANSWERS.find((answer) => answer.reply.test(folded)) : undefined;
}

/**
 * The hint with the mailbox and the refused From filled in where they are known. Only the User of the
 * credential goes in, never its password.
 */
export function microsoftHint(
	answer: MicrosoftAnswer,
	known: { mailbox?: string; reply?: string },
): string {
	const from = /not allowed to send as ([^\s;,]+@[^\s;,]+)/i.exec(known.reply ?? '')?.[1];
	// Functions, not strings, as replacements: an address may hold `$&` and the like.
	return answer.hint
		.replace(/<mailbox>/g, () => known.mailbox || '<mailbox address>')
		.replace(/<from>/g, () => from || '<From address>');
}
