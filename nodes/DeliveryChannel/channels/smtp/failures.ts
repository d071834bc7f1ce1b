/**
 * Maps nodemailer's SMTP errors to our delivery errors in plain words, and decides which failures
 * are worth another attempt.
 */
import { DeliveryError, type DeliveryErrorCode } from '../errors';

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

const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID/;

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
export function toDeliveryError(
	error: SmtpLibraryError,
	target: { host: string; port: number },
	stage: 'connect' | 'envelope' | 'data-sent',
	recipients: string[] = [],
): DeliveryError {
	if (error instanceof DeliveryError) return error;
	const where = `${target.host}:${target.port}`;
	const code = error.code ?? '';
	const original = error.originalCode ?? (error as { errno?: string }).errno ?? '';
	const responseCode = error.responseCode;
	const response = reply(error);
	const make = (errorCode: DeliveryErrorCode, message: string, extra: { retryable?: boolean; hint?: string; stopsBatch?: boolean } = {}) =>
		new DeliveryError(message, { code: errorCode, responseCode, response: response || undefined, recipients, cause: error, ...extra });

	// A server answer decides, whatever the library called it.
	if (responseCode && code !== 'EAUTH') {
		const temporary = responseCode >= 400 && responseCode < 500;
		if (code === 'EENVELOPE' && error.command === 'RCPT TO') {
			return make('EENVELOPE', `The server refused every recipient: ${response}`, { retryable: temporary });
		}
		if (code === 'EENVELOPE' && error.command === 'MAIL FROM') {
			return make('EENVELOPE', `The server refused the sender: ${response}`, {
				retryable: temporary,
				hint: temporary ? undefined : 'Check that the credential may send as this identity.',
			});
		}
		if (responseCode === 421) {
			return make('ECONNECTION', `The server closed the connection: ${response}`, { retryable: true });
		}
		return make(code === 'EENVELOPE' ? 'EENVELOPE' : 'EMESSAGE', `The server refused the message: ${response}`, { retryable: temporary });
	}
	if (stage === 'data-sent') {
		return make('EUNKNOWN', `The connection to ${where} broke after the whole message was sent; the server may have accepted it, so it is not sent again`, {
			hint: 'Check the recipient or the Sent folder before sending this item again.',
		});
	}
	if (code === 'EAUTH') {
		return make('EAUTH', `The SMTP server rejected the login${response ? `: ${response}` : ''}`, {
			hint: 'Check the User and Password of the Custom SMTP credential (Microsoft 365 may need SMTP AUTH enabled for the mailbox).',
			stopsBatch: true,
		});
	}
	if (code === 'ETLS' || certificateProblem(error)) {
		const certificate = certificateProblem(error);
		return make('ETLS', certificate ? `The certificate of ${where} is not trusted (${original || error.message})` : `Could not set up a secure connection to ${where}: ${error.message}`, {
			hint: certificate
				? 'Use the server name its certificate was issued for, or turn on "Allow Self-Signed Certificates" in the credential if you trust this server.'
				: 'Check the Security setting: port 465 usually needs SSL/TLS, port 587 STARTTLS.',
			stopsBatch: true,
		});
	}
	if (code === 'EDNS' || original === 'ENOTFOUND' || original === 'EAI_AGAIN') {
		return make('ECONNECTION', `Unknown host: ${target.host} could not be found`, { retryable: original === 'EAI_AGAIN', hint: 'Check the Host of the Custom SMTP credential.', stopsBatch: original !== 'EAI_AGAIN' });
	}
	if (original === 'ECONNREFUSED') {
		return make('ECONNECTION', `Connection refused by ${where}`, { retryable: true, hint: 'Check the Host and Port of the Custom SMTP credential, and that the server is running.' });
	}
	if (code === 'ETIMEDOUT' || original === 'ETIMEDOUT') {
		return make('ETIMEDOUT', `Timed out talking to ${where}`, { retryable: true, hint: 'Check the Host and Port; a firewall may be dropping the connection.' });
	}
	if (code === 'ECONNECTION' || code === 'ESOCKET' || original === 'ECONNRESET' || original === 'EPIPE') {
		return make('ECONNECTION', `The connection to ${where} was lost before the message was sent (${error.message})`, { retryable: true });
	}
	if (code === 'EENVELOPE' || code === 'EMESSAGE') {
		return make(code, error.message);
	}
	return make('EPROTOCOL', `SMTP error talking to ${where}: ${error.message}`);
}
