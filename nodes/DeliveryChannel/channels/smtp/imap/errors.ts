/** imapflow's errors in our words, with how to fix them. */
import { DeliveryError } from '../../../../../core/errors';
import { CERTIFICATE_CODES } from '../errors';
import type { MailboxSettings } from './settings';

interface ImapLibraryError extends Error {
	code?: string;
	authenticationFailed?: boolean;
	responseText?: string;
	serverResponseCode?: string;
}

export function toMailboxError(
	error: unknown,
	settings: Pick<MailboxSettings, 'host' | 'port' | 'tokens'>,
): DeliveryError {
	if (error instanceof DeliveryError) return error;
	const failure = (error ?? {}) as ImapLibraryError;
	const where = `${settings.host}:${settings.port}`;
	const code = String(failure.code ?? '');
	const text = String(failure.responseText ?? failure.message ?? '');
	const make = (
		errorCode: DeliveryError['code'],
		message: string,
		extra: { retryable?: boolean; hint?: string } = {},
	) => new DeliveryError(message, { code: errorCode, cause: error, stopsBatch: true, ...extra });
	if (failure.authenticationFailed) {
		return make(
			'EAUTH',
			`The mailbox server ${where} rejected the login${text ? `: ${text}` : ''}`,
			{
				hint: settings.tokens
					? 'The server refused the OAuth2 sign-in. Check that Mailbox (User) is the account you connected, ' +
						'that the app has the IMAP permission (with admin consent) and IMAP is enabled for the mailbox; ' +
						'else select Reconnect in the credential.'
					: 'Check IMAP User and IMAP Password of the Custom SMTP credential (empty means the SMTP User ' +
						'and Password are used). Microsoft 365 and Gmail may need an app password or IMAP enabled for the mailbox.',
			},
		);
	}
	if (CERTIFICATE_CODES.test(code) || /certificate/i.test(failure.message ?? '')) {
		return make(
			'ETLS',
			`The certificate of the mailbox server ${where} is not trusted (${code || failure.message})`,
			{
				hint: 'Use the host name the certificate was issued for, or turn on "Allow Self-Signed Certificates" if you trust this server.',
			},
		);
	}
	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
		return make('ECONNECTION', `Unknown mailbox host: ${settings.host} could not be found`, {
			retryable: code === 'EAI_AGAIN',
			hint: 'Check IMAP Host in the Custom SMTP credential.',
		});
	}
	if (code === 'ECONNREFUSED') {
		return make('ECONNECTION', `Connection refused by the mailbox server ${where}`, {
			retryable: true,
			hint: 'Check IMAP Host, IMAP Port and IMAP Security (993 is SSL/TLS, 143 STARTTLS or none).',
		});
	}
	if (/TIMEOUT/i.test(code)) {
		return make('ETIMEDOUT', `Timed out talking to the mailbox server ${where}`, {
			retryable: true,
			hint: 'Check IMAP Host, IMAP Port and IMAP Security; a firewall may be dropping the connection.',
		});
	}
	if (/^ClosedAfterConnect|^NoConnection$|^ECONNRESET$|^EPIPE$|^ETIMEOUT$/.test(code)) {
		return make(
			'ECONNECTION',
			`The connection to the mailbox server ${where} was lost (${failure.message})`,
			{
				retryable: true,
				hint:
					code === 'ClosedAfterConnectText' || code === 'ClosedAfterConnectTLS'
						? 'The server closed the connection right away: check that IMAP Security matches the port.'
						: undefined,
			},
		);
	}
	return make(
		'EPROTOCOL',
		`IMAP error from ${where}: ${text || failure.message || String(error)}`,
		{ retryable: false },
	);
}

/** The execution was cancelled while the mailbox was being read. */
export function cancelled(): DeliveryError {
	return new DeliveryError('The execution was cancelled while reading the mailbox', {
		code: 'ECONNECTION',
		stopsBatch: true,
	});
}
