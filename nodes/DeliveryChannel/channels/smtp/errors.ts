/**
 * Custom SMTP's failures as delivery errors: nodemailer's SMTP errors in plain words (and which
 * are worth another attempt), and the ways a send ends early (a cancel, a failed connection).
 */
import { DeliveryError, type DeliveryErrorCode } from '../../../../core/errors';
import { microsoftAnswer, microsoftHint } from './microsoft';
import type { SmtpSecurity } from './settings';

export interface SmtpLibraryError extends Error {
	code?: string;
	originalCode?: string;
	command?: string;
	response?: string;
	responseCode?: number;
	rejected?: string[];
	rejectedErrors?: SmtpLibraryError[];
	recipient?: string;
}

/** Certificate failures in Node's TLS error codes (shared with the mailbox reader). */
export const CERTIFICATE_CODES =
	/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID/;

function reply(error: SmtpLibraryError): string {
	return (error.response ?? '').toString().replace(/\s+/g, ' ').trim();
}

function certificateProblem(error: SmtpLibraryError): boolean {
	const code = `${error.originalCode ?? ''} ${(error.cause as { code?: string } | undefined)?.code ?? ''}`;
	return CERTIFICATE_CODES.test(code) || /certificate/i.test(error.message);
}

/**
 * @param stage where the message was when the error came: 'connect' (connecting or logging in),
 * 'envelope' (before the last byte of the message went out) or 'data-sent' (the whole message went
 * out and the server's answer never came, so it may have been accepted)
 */
/** What the error messages need to know about the connection; SmtpSettings fits. */
export interface SmtpTarget {
	host: string;
	port: number;
	security?: SmtpSecurity;
	auth?: { user: string };
	oauth?: { user: string };
}

function noStarttlsHint(target: SmtpTarget): string {
	const why =
		target.security === 'starttlsWhenOffered'
			? 'The credential has a login, so "STARTTLS When Offered" refuses to send the password unencrypted; nothing was sent.'
			: 'Security is "STARTTLS Required", so nothing was sent.';
	return (
		`${why} Use SSL/TLS (usually port 465) if the server offers it, or have STARTTLS turned on ` +
		'at the server. Choose "None (Unencrypted)" only for a server on a network you trust: anyone ' +
		'on the way can read the mail and the password.'
	);
}

/** The connection is not encrypted, and the credential has a login that must not travel in clear. */
export function unencryptedLogin(target: SmtpTarget): DeliveryError {
	return new DeliveryError(
		`The connection to ${target.host}:${target.port} is not encrypted, so the login was not sent`,
		{
			code: 'ETLS',
			hint: noStarttlsHint(target),
			stopsBatch: true,
		},
	);
}

/** A token the server refused although it was just issued or renewed: the account, not the token. */
export const OAUTH_LOGIN_HINT =
	'The server refused the OAuth2 sign-in. Check that Mailbox (User) is the account you connected, that the ' +
	'app has the SMTP and IMAP permissions (with admin consent), and that SMTP AUTH is enabled for the mailbox; ' +
	'else select Reconnect in the credential.';

export function toDeliveryError(
	error: SmtpLibraryError,
	target: SmtpTarget,
	stage: 'connect' | 'envelope' | 'data-sent',
	recipients: string[] = [],
): DeliveryError {
	if (error instanceof DeliveryError) return error;
	const where = `${target.host}:${target.port}`;
	const code = error.code ?? '';
	const original = error.originalCode ?? (error as { errno?: string }).errno ?? '';
	const responseCode = error.responseCode;
	const response = reply(error);
	const make = (
		errorCode: DeliveryErrorCode,
		message: string,
		extra: { retryable?: boolean; hint?: string; stopsBatch?: boolean; field?: string } = {},
	) =>
		new DeliveryError(message, {
			code: errorCode,
			responseCode,
			response: response || undefined,
			recipients,
			cause: error,
			...extra,
		});

	// A refused STARTTLS carries the server's reply, but it is about encryption, not the message: it
	// comes before MAIL FROM and stops the batch like any other TLS failure.
	if (code === 'ETLS' && error.command === 'STARTTLS' && responseCode) {
		return make('ETLS', `The server ${where} does not offer STARTTLS (it answered: ${response})`, {
			hint: noStarttlsHint(target),
			stopsBatch: true,
		});
	}
	if (error.command === 'EHLO' && /STARTTLS/.test(error.message)) {
		return make(
			'ETLS',
			`The server ${where} does not offer STARTTLS (it refused EHLO: ${response})`,
			{ hint: noStarttlsHint(target), stopsBatch: true },
		);
	}
	// Microsoft 365 / Exchange Online names its refusals precisely: say what they mean and what to change.
	const microsoft =
		response && (responseCode || code === 'EAUTH') ? microsoftAnswer(response) : undefined;
	if (microsoft) {
		return make(microsoft.code, `${microsoft.meaning}: ${response}`, {
			retryable: microsoft.retryable,
			stopsBatch: microsoft.stopsBatch ?? false,
			hint: microsoftHint(microsoft, {
				mailbox: target.auth?.user ?? target.oauth?.user,
				reply: response,
			}),
			field: microsoft.field,
		});
	}
	// Refused before any message (greeting, EHLO): the session, not a message, is refused.
	if (responseCode && stage === 'connect' && code !== 'EAUTH' && code !== 'ETLS') {
		const temporary = responseCode >= 400 && responseCode < 500;
		return make('ECONNECTION', `The server ${where} refused the session: ${response}`, {
			retryable: temporary,
			stopsBatch: !temporary,
		});
	}
	// A server answer decides, whatever the library called it.
	if (responseCode && code !== 'EAUTH' && code !== 'ETLS') {
		const temporary = responseCode >= 400 && responseCode < 500;
		if (code === 'EENVELOPE' && error.command === 'RCPT TO') {
			return make('EENVELOPE', `The server refused every recipient: ${response}`, {
				retryable: temporary,
			});
		}
		if (code === 'EENVELOPE' && error.command === 'MAIL FROM') {
			return make('EENVELOPE', `The server refused the sender: ${response}`, {
				retryable: temporary,
				hint: temporary ? undefined : 'Check that the credential may send as this identity.',
			});
		}
		if (responseCode === 421) {
			return make('ECONNECTION', `The server closed the connection: ${response}`, {
				retryable: true,
			});
		}
		return make(
			code === 'EENVELOPE' ? 'EENVELOPE' : 'EMESSAGE',
			`The server refused the message: ${response}`,
			{ retryable: temporary },
		);
	}
	if (stage === 'data-sent') {
		return make(
			'EUNKNOWN',
			`The connection to ${where} broke after the whole message was sent; the server may have accepted it, so it is not sent again`,
			{
				hint: 'Check the recipient or the Sent folder before sending this item again.',
			},
		);
	}
	if (code === 'EAUTH') {
		return make('EAUTH', `The SMTP server rejected the login${response ? `: ${response}` : ''}`, {
			hint: target.oauth
				? OAUTH_LOGIN_HINT
				: 'Check the User and Password of the Custom SMTP credential (Microsoft 365 may need SMTP AUTH enabled for the mailbox).',
			stopsBatch: true,
		});
	}
	if (code === 'ETLS' || certificateProblem(error)) {
		const certificate = certificateProblem(error);
		return make(
			'ETLS',
			certificate
				? `The certificate of ${where} is not trusted (${original || error.message})`
				: `Could not set up a secure connection to ${where}: ${error.message}`,
			{
				hint: certificate
					? 'Use the server name its certificate was issued for, or turn on "Allow Self-Signed Certificates" ' +
						'in the credential if you trust this server.'
					: 'Check the Security setting: port 465 usually needs SSL/TLS, port 587 STARTTLS.',
				stopsBatch: true,
			},
		);
	}
	if (code === 'EDNS' || original === 'ENOTFOUND' || original === 'EAI_AGAIN') {
		return make('ECONNECTION', `Unknown host: ${target.host} could not be found`, {
			retryable: original === 'EAI_AGAIN',
			hint: 'Check the Host of the Custom SMTP credential.',
			stopsBatch: original !== 'EAI_AGAIN',
		});
	}
	if (original === 'ECONNREFUSED') {
		return make('ECONNECTION', `Connection refused by ${where}`, {
			retryable: true,
			hint: 'Check the Host and Port of the Custom SMTP credential, and that the server is running.',
		});
	}
	if (code === 'ETIMEDOUT' || original === 'ETIMEDOUT') {
		return make('ETIMEDOUT', `Timed out talking to ${where}`, {
			retryable: true,
			hint: 'Check the Host and Port; a firewall may be dropping the connection.',
		});
	}
	if (
		code === 'ECONNECTION' ||
		code === 'ESOCKET' ||
		original === 'ECONNRESET' ||
		original === 'EPIPE'
	) {
		return make(
			'ECONNECTION',
			`The connection to ${where} was lost before the message was sent (${error.message})`,
			{ retryable: true },
		);
	}
	if (code === 'EENVELOPE' || code === 'EMESSAGE') {
		return make(code, error.message);
	}
	return make('EPROTOCOL', `SMTP error talking to ${where}: ${error.message}`);
}

export function cancelledBeforeSending(): DeliveryError {
	return new DeliveryError('Not sent: the execution was cancelled before this message went out', {
		code: 'ENOTSENT',
		retryable: true,
		stopsBatch: true,
	});
}

export function cancelledAfterSending(): DeliveryError {
	return new DeliveryError(
		'The execution was cancelled after the whole message was handed to the server; it may have been accepted, so it is not sent again',
		{
			code: 'EUNKNOWN',
			hint: 'Check the recipient or the Sent folder before sending this item again.',
			stopsBatch: true,
		},
	);
}

export function notAttempted(cause: DeliveryError): DeliveryError {
	return new DeliveryError(
		`Not attempted: connecting to the SMTP server failed for an earlier message (${cause.message})`,
		{
			code: 'ENOTSENT',
			retryable: true,
			hint: cause.hint,
		},
	);
}
