/**
 * Custom SMTP's library errors as delivery errors: the generic SMTP meaning of a reply (kept for every
 * server), and Microsoft 365's own wordings taking precedence where the table knows them.
 */
import { DeliveryError } from '../../../../../core/errors';
import {
	toDeliveryError,
	type SmtpLibraryError,
	type SmtpTarget,
} from '../../../../../nodes/DeliveryChannel/channels/smtp/errors';

const PASSWORD = 'S3cret-Pa55word!';
const target: SmtpTarget & { auth: { user: string; pass: string } } = {
	host: 'smtp.office365.com',
	port: 587,
	security: 'starttls',
	auth: { user: 'jane@contoso.com', pass: PASSWORD },
};

/** An error as nodemailer builds it from a server reply. */
function libraryError(code: string, command: string, reply: string): SmtpLibraryError {
	return Object.assign(new Error(`${command} failed: ${reply}`), {
		code,
		command,
		response: reply,
		responseCode: Number(reply.slice(0, 3)),
	});
}

describe('generic SMTP replies keep their meaning', () => {
	test.each<[string, SmtpLibraryError, 'connect' | 'envelope' | 'data-sent', object]>([
		[
			'a refused login',
			libraryError('EAUTH', 'AUTH PLAIN', '535 5.7.8 Authentication credentials invalid'),
			'connect',
			{ code: 'EAUTH', retryable: false, stopsBatch: true },
		],
		[
			'a 421 greeting',
			libraryError('EPROTOCOL', 'CONN', '421 4.3.2 Service shutting down, try again later'),
			'connect',
			{ code: 'ECONNECTION', retryable: true, stopsBatch: false },
		],
		[
			'a 554 greeting',
			libraryError('EPROTOCOL', 'CONN', '554 5.7.1 Go away'),
			'connect',
			{ code: 'ECONNECTION', retryable: false, stopsBatch: true },
		],
		[
			'every recipient refused',
			libraryError('EENVELOPE', 'RCPT TO', '550 5.1.1 No such user'),
			'envelope',
			{ code: 'EENVELOPE', retryable: false },
		],
		[
			'a recipient mailbox full',
			libraryError('EENVELOPE', 'RCPT TO', '552 5.2.2 Mailbox full'),
			'envelope',
			{ code: 'EENVELOPE', retryable: false, hint: undefined },
		],
		[
			'a temporary sender refusal',
			libraryError('EENVELOPE', 'MAIL FROM', '451 4.3.0 Temporary failure, try again'),
			'envelope',
			{ code: 'EENVELOPE', retryable: true },
		],
		[
			'a permanent sender refusal',
			libraryError('EENVELOPE', 'MAIL FROM', '553 5.7.1 Sender address rejected'),
			'envelope',
			{
				code: 'EENVELOPE',
				retryable: false,
				hint: 'Check that the credential may send as this identity.',
			},
		],
		[
			'421 after the data',
			libraryError('EMESSAGE', 'DATA', '421 4.3.2 Service shutting down, try again later'),
			'data-sent',
			{ code: 'ECONNECTION', retryable: true },
		],
		[
			'Postfix refusing the size',
			libraryError('EMESSAGE', 'DATA', '552 5.3.4 Message size exceeds fixed limit'),
			'data-sent',
			{ code: 'EMESSAGE', retryable: false, hint: undefined },
		],
	])('%s', (_name, error, stage, expected) => {
		expect(toDeliveryError(error, target, stage)).toMatchObject(expected);
	});

	test('a generic refused login keeps its hint', () => {
		const error = toDeliveryError(
			libraryError('EAUTH', 'AUTH PLAIN', '535 5.7.8 Authentication credentials invalid'),
			target,
			'connect',
		);
		expect(error.message).toBe(
			'The SMTP server rejected the login: 535 5.7.8 Authentication credentials invalid',
		);
		expect(error.hint).toMatch(/Check the User and Password/);
	});

	test('a connection broken after the data, without a reply, is unknown', () => {
		const broken = Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' });
		expect(toDeliveryError(broken, target, 'data-sent')).toMatchObject({
			code: 'EUNKNOWN',
			retryable: false,
		});
	});

	test('a DeliveryError passes through unchanged', () => {
		const original = new DeliveryError('already', { code: 'EINPUT' });
		expect(toDeliveryError(original, target, 'envelope')).toBe(original);
	});
});

describe("Microsoft 365's wordings take precedence", () => {
	test('a login refused because SMTP AUTH is off: the setting, for this mailbox, and never the password', () => {
		const error = toDeliveryError(
			libraryError(
				'EAUTH',
				'AUTH LOGIN',
				'535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. ' +
					'Visit https://aka.ms/smtp_auth_disabled for more information.',
			),
			target,
			'connect',
		);
		expect(error).toMatchObject({
			code: 'EAUTH',
			retryable: false,
			stopsBatch: true,
			responseCode: 535,
		});
		expect(error.message).toMatch(
			/^Microsoft 365 refused the login: SMTP AUTH is turned off for this mailbox: 535 5\.7\.139/,
		);
		expect(error.hint).toContain(
			'Set-CASMailbox -Identity jane@contoso.com -SmtpClientAuthenticationDisabled $false',
		);
		expect(`${error.message} ${error.hint}`).not.toContain(PASSWORD);
	});

	test('a Microsoft refusal at the greeting is not "refused the session"', () => {
		const error = toDeliveryError(
			libraryError(
				'EPROTOCOL',
				'CONN',
				'421 4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel',
			),
			target,
			'connect',
		);
		expect(error).toMatchObject({ code: 'ERATELIMIT', retryable: true, stopsBatch: false });
	});

	test('after the data, the answer decides: SendAsDenied is an identity error, with its field', () => {
		const error = toDeliveryError(
			libraryError(
				'EMESSAGE',
				'DATA',
				'554 5.2.252 SendAsDenied; jane@contoso.com not allowed to send as sales@contoso.com; ' +
					'STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied',
			),
			target,
			'data-sent',
			['lead@example.org'],
		);
		expect(error).toMatchObject({
			code: 'EIDENTITY',
			retryable: false,
			stopsBatch: false,
			field: 'identity',
			recipients: ['lead@example.org'],
		});
		expect(error.hint).toContain('-Identity sales@contoso.com -Trustee jane@contoso.com');
	});

	test('a refused STARTTLS stays a TLS problem, whatever the reply says', () => {
		const error = toDeliveryError(
			libraryError(
				'ETLS',
				'STARTTLS',
				'454 4.7.0 TLS not available; 4.3.2 concurrent connection limit exceeded',
			),
			target,
			'connect',
		);
		expect(error).toMatchObject({ code: 'ETLS', stopsBatch: true });
	});

	test('without a reply there is nothing to match: a lost connection stays a connection error', () => {
		const lost = Object.assign(new Error('read ECONNRESET 4.5.127'), {
			code: 'ESOCKET',
			originalCode: 'ECONNRESET',
		});
		expect(toDeliveryError(lost, target, 'envelope')).toMatchObject({
			code: 'ECONNECTION',
			retryable: true,
		});
	});
});
