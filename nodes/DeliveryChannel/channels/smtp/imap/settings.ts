/** The mailbox side of the Custom SMTP credential: where the bounce reports arrive, and the limits of reading it. */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { DeliveryError } from '../../../../../core/errors';
import type { AccessTokens } from '../oauth2';
import { portSecurityMismatch } from '../settings';

export type MailboxSecurity = 'tls' | 'starttls' | 'none';

export interface MailboxSettings {
	host: string;
	port: number;
	security: MailboxSecurity;
	user: string;
	password: string;
	/** The OAuth2 sign-in (XOAUTH2) as `user`, instead of the password. */
	tokens?: AccessTokens;
	/** The folders to scan for reports, as the user named them. */
	folders: string[];
	/** The folder that holds sent messages; empty = the one marked \Sent, if any. */
	sentFolder: string;
	allowSelfSigned: boolean;
}

export const MAILBOX_LIMITS = {
	/** Messages whose headers are looked at per call, shared out between the folders. */
	scanned: 5_000,
	/** Likely reports downloaded and parsed per call. */
	parsed: 500,
	/** Bytes of a report that are read; reports with RET=HDRS are a few KiB. */
	reportBytes: 256 * 1024,
	/** Searches in the Sent folder per call; beyond that, only our own ids are recognised. */
	sentSearches: 200,
	connectMs: 15_000,
	greetingMs: 15_000,
	socketMs: 60_000,
	/** Logging out must not hold up the end of a workflow step. */
	logoutMs: 5_000,
};

export function credentialError(field: string, message: string, hint?: string): DeliveryError {
	return new DeliveryError(message, { code: 'EINPUT', field, hint, stopsBatch: true });
}

/**
 * The mailbox settings of the Custom SMTP credential, or undefined when IMAP Host is empty. With
 * `tokens` (the OAuth2 credential) the mailbox signs in as its Mailbox (User) with the same tokens.
 */
export function mailboxSettings(
	credentials: ICredentialDataDecryptedObject,
	tokens?: AccessTokens,
): MailboxSettings | undefined {
	const host = String(credentials.imapHost ?? '').trim();
	if (!host) return undefined;
	const security = String(credentials.imapSecurity || 'tls') as MailboxSecurity;
	if (!['tls', 'starttls', 'none'].includes(security)) {
		throw credentialError(
			'imapSecurity',
			`The Custom SMTP credential has an unknown IMAP Security value: ${JSON.stringify(security)}`,
		);
	}
	const port = Number(credentials.imapPort || (security === 'tls' ? 993 : 143));
	if (!Number.isInteger(port) || port < 1 || port > 65535) {
		throw credentialError(
			'imapPort',
			`The Custom SMTP credential has an invalid IMAP Port: ${JSON.stringify(credentials.imapPort)}`,
		);
	}
	const mismatch = portSecurityMismatch(port, security === 'tls', {
		port: 'IMAP Port',
		security: 'IMAP Security',
	});
	if (mismatch)
		throw credentialError(
			'imapPort',
			`The Custom SMTP credential does not fit together: ${mismatch}`,
		);
	const ownUser = tokens ? '' : String(credentials.imapUser ?? '').trim();
	const user = ownUser || String(credentials.user ?? '').trim();
	if (!user) {
		throw credentialError(
			'imapUser',
			'The Custom SMTP credential has no login for the mailbox',
			'Fill in IMAP User (or the SMTP User, which the mailbox then shares).',
		);
	}
	const password = tokens
		? ''
		: ownUser || credentials.imapPassword
			? String(credentials.imapPassword ?? '')
			: String(credentials.password ?? '');
	const folders = String(credentials.imapFolders ?? 'INBOX, Junk')
		.split(',')
		.map((folder) => folder.trim())
		.filter(Boolean);
	return {
		host,
		port,
		security,
		user,
		password,
		tokens,
		folders: folders.length ? folders : ['INBOX'],
		sentFolder: String(credentials.sentFolder ?? '').trim(),
		allowSelfSigned: credentials.allowSelfSigned === true,
	};
}

/** What to tell a user who runs Failed Deliveries on an SMTP credential without mailbox settings. */
export function mailboxNotConfigured(): DeliveryError {
	return new DeliveryError(
		'Failed Deliveries for Custom SMTP needs the mailbox that receives the bounce reports, and the credential has no IMAP Host',
		{
			code: 'EINPUT',
			field: 'imapHost',
			stopsBatch: true,
			hint:
				'Open the Custom SMTP credential and fill in IMAP Host (plus IMAP Port and IMAP Security if ' +
				"they differ from 993 / SSL/TLS). The sender's mailbox is read over IMAP; IMAP User and Password " +
				'default to the SMTP ones.',
		},
	);
}
