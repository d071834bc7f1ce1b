/**
 * The mailbox side of the Custom SMTP credential: its settings, imapflow's errors in our words, and
 * one IMAP connection for the length of a session (opened on first use, cut by a cancel).
 */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';

import { DeliveryError } from '../../../../core/errors';
import { portSecurityMismatch } from './settings';

export type MailboxSecurity = 'tls' | 'starttls' | 'none';

export interface MailboxSettings {
	host: string;
	port: number;
	security: MailboxSecurity;
	user: string;
	password: string;
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

/** The mailbox settings of the Custom SMTP credential, or undefined when IMAP Host is empty. */
export function mailboxSettings(credentials: ICredentialDataDecryptedObject): MailboxSettings | undefined {
	const host = String(credentials.imapHost ?? '').trim();
	if (!host) return undefined;
	const security = String(credentials.imapSecurity || 'tls') as MailboxSecurity;
	if (!['tls', 'starttls', 'none'].includes(security)) {
		throw credentialError('imapSecurity', `The Custom SMTP credential has an unknown IMAP Security value: ${JSON.stringify(security)}`);
	}
	const port = Number(credentials.imapPort || (security === 'tls' ? 993 : 143));
	if (!Number.isInteger(port) || port < 1 || port > 65535) {
		throw credentialError('imapPort', `The Custom SMTP credential has an invalid IMAP Port: ${JSON.stringify(credentials.imapPort)}`);
	}
	const mismatch = portSecurityMismatch(port, security === 'tls', { port: 'IMAP Port', security: 'IMAP Security' });
	if (mismatch) throw credentialError('imapPort', `The Custom SMTP credential does not fit together: ${mismatch}`);
	const ownUser = String(credentials.imapUser ?? '').trim();
	const user = ownUser || String(credentials.user ?? '').trim();
	if (!user) {
		throw credentialError('imapUser', 'The Custom SMTP credential has no login for the mailbox', 'Fill in IMAP User (or the SMTP User, which the mailbox then shares).');
	}
	const password = ownUser || credentials.imapPassword ? String(credentials.imapPassword ?? '') : String(credentials.password ?? '');
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
		folders: folders.length ? folders : ['INBOX'],
		sentFolder: String(credentials.sentFolder ?? '').trim(),
		allowSelfSigned: credentials.allowSelfSigned === true,
	};
}

/** What to tell a user who runs Failed Deliveries on an SMTP credential without mailbox settings. */
export function mailboxNotConfigured(): DeliveryError {
	return new DeliveryError('Failed Deliveries for Custom SMTP needs the mailbox that receives the bounce reports, and the credential has no IMAP Host', {
		code: 'EINPUT',
		field: 'imapHost',
		stopsBatch: true,
		hint: "Open the Custom SMTP credential and fill in IMAP Host (plus IMAP Port and IMAP Security if they differ from 993 / SSL/TLS). The sender's mailbox is read over IMAP; IMAP User and Password default to the SMTP ones.",
	});
}

interface ImapLibraryError extends Error {
	code?: string;
	authenticationFailed?: boolean;
	responseText?: string;
	serverResponseCode?: string;
}

const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID/;

/** imapflow's errors in our words, with how to fix them. */
export function toMailboxError(error: unknown, settings: Pick<MailboxSettings, 'host' | 'port'>): DeliveryError {
	if (error instanceof DeliveryError) return error;
	const failure = (error ?? {}) as ImapLibraryError;
	const where = `${settings.host}:${settings.port}`;
	const code = String(failure.code ?? '');
	const text = String(failure.responseText ?? failure.message ?? '');
	const make = (errorCode: DeliveryError['code'], message: string, extra: { retryable?: boolean; hint?: string } = {}) =>
		new DeliveryError(message, { code: errorCode, cause: error, stopsBatch: true, ...extra });
	if (failure.authenticationFailed) {
		return make('EAUTH', `The mailbox server ${where} rejected the login${text ? `: ${text}` : ''}`, {
			hint: 'Check IMAP User and IMAP Password of the Custom SMTP credential (empty means the SMTP User and Password are used). Microsoft 365 and Gmail may need an app password or IMAP enabled for the mailbox.',
		});
	}
	if (CERTIFICATE_CODES.test(code) || /certificate/i.test(failure.message ?? '')) {
		return make('ETLS', `The certificate of the mailbox server ${where} is not trusted (${code || failure.message})`, {
			hint: 'Use the host name the certificate was issued for, or turn on "Allow Self-Signed Certificates" if you trust this server.',
		});
	}
	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
		return make('ECONNECTION', `Unknown mailbox host: ${settings.host} could not be found`, { retryable: code === 'EAI_AGAIN', hint: 'Check IMAP Host in the Custom SMTP credential.' });
	}
	if (code === 'ECONNREFUSED') {
		return make('ECONNECTION', `Connection refused by the mailbox server ${where}`, { retryable: true, hint: 'Check IMAP Host, IMAP Port and IMAP Security (993 is SSL/TLS, 143 STARTTLS or none).' });
	}
	if (/TIMEOUT/i.test(code)) {
		return make('ETIMEDOUT', `Timed out talking to the mailbox server ${where}`, { retryable: true, hint: 'Check IMAP Host, IMAP Port and IMAP Security; a firewall may be dropping the connection.' });
	}
	if (/^ClosedAfterConnect|^NoConnection$|^ECONNRESET$|^EPIPE$|^ETIMEOUT$/.test(code)) {
		return make('ECONNECTION', `The connection to the mailbox server ${where} was lost (${failure.message})`, {
			retryable: true,
			hint: code === 'ClosedAfterConnectText' || code === 'ClosedAfterConnectTLS' ? 'The server closed the connection right away: check that IMAP Security matches the port.' : undefined,
		});
	}
	return make('EPROTOCOL', `IMAP error from ${where}: ${text || failure.message || String(error)}`, { retryable: false });
}

export function imapOptions(settings: MailboxSettings): ImapFlowOptions {
	return {
		host: settings.host,
		port: settings.port,
		secure: settings.security === 'tls',
		// false = never upgrade; true = must upgrade; for SSL/TLS the question does not arise.
		doSTARTTLS: settings.security === 'starttls' ? true : settings.security === 'none' ? false : undefined,
		auth: { user: settings.user, pass: settings.password },
		// Certificates are checked unless the credential says otherwise; pinned so no default loosens it.
		tls: { rejectUnauthorized: !settings.allowSelfSigned, servername: settings.host },
		logger: false,
		connectionTimeout: MAILBOX_LIMITS.connectMs,
		greetingTimeout: MAILBOX_LIMITS.greetingMs,
		socketTimeout: MAILBOX_LIMITS.socketMs,
		disableAutoIdle: true,
		emitLogs: false,
	} as ImapFlowOptions;
}

/** One IMAP connection for the length of a session; opened on first use, closed by close(). */
export class ImapConnection {
	private client?: ImapFlow;
	private connecting?: Promise<ImapFlow>;
	private aborted = false;

	constructor(
		readonly settings: MailboxSettings,
		private readonly createClient: (options: ImapFlowOptions) => ImapFlow = (options) => new ImapFlow(options),
	) {}

	/** Runs one task on the connection; every failure comes back as a DeliveryError. */
	async call<T>(task: (client: ImapFlow) => Promise<T>): Promise<T> {
		const client = await this.connection();
		try {
			return await task(client);
		} catch (error) {
			throw this.aborted ? cancelled() : toMailboxError(error, this.settings);
		}
	}

	/** The execution was cancelled: the connection is cut, what runs on it fails, nothing new starts. */
	abort(): void {
		this.aborted = true;
		this.client?.close();
		this.client = undefined;
	}

	async close(): Promise<void> {
		const client = this.client ?? (await this.connecting?.catch(() => undefined));
		this.client = undefined;
		this.connecting = undefined;
		if (!client) return;
		let timer: NodeJS.Timeout | undefined;
		try {
			await Promise.race([
				client.logout(),
				new Promise<void>((resolve) => {
					timer = setTimeout(resolve, MAILBOX_LIMITS.logoutMs);
				}),
			]);
		} catch {
			// Logging out of a broken connection fails; closing it below is all that is left to do.
		} finally {
			clearTimeout(timer);
			client.close();
		}
	}

	private async connection(): Promise<ImapFlow> {
		if (this.aborted) throw cancelled();
		if (this.client?.usable) return this.client;
		if (!this.connecting) {
			const client = this.createClient(imapOptions(this.settings));
			// Without a listener an 'error' event would crash the process; the failing call rejects anyway.
			client.on('error', () => undefined);
			this.connecting = client
				.connect()
				.then(() => {
					if (this.aborted) {
						client.close();
						throw cancelled();
					}
					this.client = client;
					return client;
				})
				.catch((error) => {
					client.close();
					throw this.aborted ? cancelled() : toMailboxError(error, this.settings);
				})
				.finally(() => {
					this.connecting = undefined;
				});
		}
		return await this.connecting;
	}
}

function cancelled(): DeliveryError {
	return new DeliveryError('The execution was cancelled while reading the mailbox', { code: 'ECONNECTION', stopsBatch: true });
}
