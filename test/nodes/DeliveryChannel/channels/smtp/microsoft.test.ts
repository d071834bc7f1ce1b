/**
 * Microsoft 365 / Exchange Online's refusals in plain words: the table over the replies as Exchange
 * Online writes them, then the same replies answered by a real SMTP server (smtp-server, replies
 * written verbatim) at the stage Exchange gives them (greeting, AUTH, MAIL FROM, RCPT TO, end of
 * DATA), seen through the Custom SMTP channel as code, retryable and hint.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { SMTPServer } from 'smtp-server';

import { DeliveryError } from '../../../../../core/errors';
import { smtpChannel } from '../../../../../nodes/DeliveryChannel/channels/smtp';
import { testSmtpCredential } from '../../../../../nodes/DeliveryChannel/channels/smtp/credentialTest';
import {
	MICROSOFT_ANSWERS,
	microsoftAnswer,
	microsoftHint,
} from '../../../../../nodes/DeliveryChannel/channels/smtp/microsoft';
import { refusedForLoad } from '../../../../../nodes/DeliveryChannel/channels/smtp/send';
import { smtpSettings } from '../../../../../nodes/DeliveryChannel/channels/smtp/settings';
import { SmtpPool } from '../../../../../nodes/DeliveryChannel/channels/smtp/transport';
import type {
	ChannelContext,
	ChannelSession,
	OutgoingMessage,
} from '../../../../../nodes/DeliveryChannel/channels/types';

const HOST = '[AM0PR02CA0123.eurprd02.prod.outlook.com 2025-05-14T09:12:44.123Z 08DC73C2D1E4F5A6]';
const DIAGNOSTIC =
	'Failed to process message due to a permanent exception with message [BeginDiagnosticData]Cannot submit ' +
	'message. 0.35250:0E00C184, 1.36674:0A000000, 1.61250:00000000 [Hostname=BY5PR04MB6709.namprd04.prod.outlook.com]';

/** Exchange Online's replies, as it writes them; each with our code, retryable and a word the hint needs. */
const REPLIES: Array<[string, string, string, boolean, RegExp]> = [
	[
		'535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. ' +
			`Visit https://aka.ms/smtp_auth_disabled for more information. ${HOST}`,
		'smtp-auth-off-mailbox',
		'EAUTH',
		false,
		/Manage email apps > tick Authenticated SMTP\).*Set-CASMailbox -Identity jane@contoso\.com -SmtpClientAuthenticationDisabled \$false/,
	],
	[
		'535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. ' +
			`Visit https://aka.ms/smtp_auth_disabled for more information. ${HOST}`,
		'smtp-auth-off-tenant',
		'EAUTH',
		false,
		/Set-TransportConfig -SmtpClientAuthenticationDisabled \$false.*Set-CASMailbox/,
	],
	[
		"535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults " +
			`policy. Contact your administrator. ${HOST}`,
		'security-defaults',
		'EAUTH',
		false,
		/OAuth2.*Manage security defaults/,
	],
	[
		'535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated ' +
			`successfully. Contact your administrator. ${HOST}`,
		'sign-in-policy',
		'EAUTH',
		false,
		/Conditional Access.*OAuth2/,
	],
	[
		`535 5.7.139 Authentication unsuccessful, the user credentials were incorrect. ${HOST}`,
		'login-refused',
		'EAUTH',
		false,
		/full address.*Authenticated SMTP.*Set-TransportConfig.*OAuth2/,
	],
	[
		'535 5.7.3 Authentication unsuccessful [BN9PR03CA0567.namprd03.prod.outlook.com]',
		'login-refused',
		'EAUTH',
		false,
		/Password is right/,
	],
	[
		'550 5.7.30 Basic authentication is not supported for Client Submission.',
		'basic-auth-retired',
		'EAUTH',
		false,
		/OAuth2 instead of a password/,
	],
	[
		`530 5.7.57 Client not authenticated to send mail. ${HOST}`,
		'not-authenticated',
		'EAUTH',
		false,
		/User and Password.*smtp\.office365\.com, Port 587/,
	],
	[
		'530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM ' +
			'[AM6PR0732BE0065.outlook.office365.com]',
		'not-authenticated',
		'EAUTH',
		false,
		/signed-in|User and Password/,
	],
	[
		'554 5.2.252 SendAsDenied; jane@contoso.com not allowed to send as sales@contoso.com; ' +
			`STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; ${DIAGNOSTIC}`,
		'send-as-denied',
		'EIDENTITY',
		false,
		/Add-RecipientPermission -Identity sales@contoso\.com -Trustee jane@contoso\.com -AccessRights SendAs/,
	],
	[
		'554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; ' +
			DIAGNOSTIC,
		'send-as-denied',
		'EIDENTITY',
		false,
		/-Identity <From address> -Trustee jane@contoso\.com/,
	],
	[
		'550 5.7.60 SMTP; Client does not have permissions to send as this sender',
		'send-on-behalf-denied',
		'EIDENTITY',
		false,
		/GrantSendOnBehalfTo/,
	],
	[
		'550 5.2.252 Sender throttled due to continuous send as denied errors.',
		'throttled-send-as',
		'EIDENTITY',
		false,
		/Send As.*later/,
	],
	[
		'550 5.2.251 Sender throttled due to continuous mailbox full errors.',
		'throttled-mailbox-full',
		'EQUOTA',
		false,
		/Free space/,
	],
	[
		'550 5.2.253 Sender throttled due to continuous invalid license errors.',
		'throttled-license',
		'EAUTH',
		false,
		/license that includes Exchange Online/,
	],
	[
		'550 5.2.254 Sender throttled due to continuous too many recipients errors.',
		'throttled-recipients',
		'EENVELOPE',
		false,
		/500 recipients/,
	],
	[
		'550 5.2.255 Sender throttled due to continuous invalid recipients errors.',
		'throttled-recipients',
		'EENVELOPE',
		false,
		/recipient addresses/,
	],
	[
		'432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded [Hostname=BY5PR04MB6709.namprd04.prod.outlook.com]',
		'concurrent-connections',
		'ERATELIMIT',
		true,
		/Max Connections .* 3 or less/,
	],
	[
		'421 4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel',
		'concurrent-connections',
		'ERATELIMIT',
		true,
		/3 connections at a time per mailbox/,
	],
	[
		'432 4.3.2 concurrent connection limit exceeded',
		'concurrent-connections',
		'ERATELIMIT',
		true,
		/Max Connections/,
	],
	[
		'451 4.5.127 Excessive message rate from sender',
		'message-rate',
		'ERATELIMIT',
		true,
		/30 messages a minute.*Messages per Minute/,
	],
	[
		'452 4.3.1 Recipient rate limit exceeded for this sender',
		'rate-exceeded',
		'ERATELIMIT',
		true,
		/10,000 recipients a day/,
	],
	[
		"550 5.1.90 Your message can't be sent because you've reached your daily limit for message recipients. " +
			HOST,
		'daily-recipients',
		'EQUOTA',
		true,
		/10,000 recipients in any 24 hours.*Recipients per Day/,
	],
	[
		'554 5.2.2 mailbox full; STOREDRV.Submission.Exception:SubmissionQuotaExceededException; ' +
			DIAGNOSTIC,
		'mailbox-full',
		'EQUOTA',
		false,
		/Sent Items.*ProhibitSendQuota/,
	],
	[
		`554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; ${DIAGNOSTIC}`,
		'submission-quota',
		'EQUOTA',
		true,
		/10,000 recipients.*storage quota/,
	],
	[
		'550 5.5.3 RESOLVER.ADR.RecipLimit; too many recipients',
		'too-many-recipients',
		'EENVELOPE',
		false,
		/500 recipients per message/,
	],
	[
		'552 5.3.4 Message size exceeds fixed maximum message size',
		'too-large',
		'EMESSAGE',
		false,
		/35 MB.*MaxSendSize/,
	],
	[
		'550 5.2.3 RESOLVER.RST.SendSizeLimit.Sender; message too large for this sender',
		'too-large',
		'EMESSAGE',
		false,
		/smaller or fewer attachments/,
	],
	[
		'550 5.1.8 Access denied, bad outbound sender. AS(42004)',
		'bad-outbound-sender',
		'EENVELOPE',
		false,
		/Restricted entities/,
	],
	[
		'550 5.7.705 Access denied, tenant has exceeded threshold.',
		'tenant-over-threshold',
		'EENVELOPE',
		false,
		/Microsoft Support/,
	],
	[
		'550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information ' +
			'please go to http://go.microsoft.com/fwlink/?LinkId=526653 [BN8NAM12FT048.eop-nam12.prod.protection.outlook.com]',
		'tenant-blocked',
		'EENVELOPE',
		false,
		/Only a Microsoft 365 admin.*Microsoft Support/,
	],
	[
		'550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains. For more ' +
			'information please go to http://go.microsoft.com/fwlink/?LinkId=526653',
		'unregistered-domain',
		'EIDENTITY',
		false,
		/Settings > Domains/,
	],
];

describe('the table of Microsoft answers', () => {
	test.each(REPLIES)('%s', (reply, name, code, retryable, hint) => {
		const answer = microsoftAnswer(reply);
		expect(answer).toMatchObject({ name, code, retryable });
		expect(microsoftHint(answer!, { mailbox: 'jane@contoso.com', reply })).toMatch(hint);
	});

	test('every line of the table is reached by a reply above', () => {
		const reached = new Set(REPLIES.map(([, name]) => name));
		expect(
			MICROSOFT_ANSWERS.map((answer) => answer.name).filter((name) => !reached.has(name)),
		).toEqual([]);
	});

	test('what stops the batch: a login, quota or block that every later message would meet', () => {
		const stops = MICROSOFT_ANSWERS.filter((answer) => answer.stopsBatch).map(
			(answer) => answer.name,
		);
		expect(stops).toEqual(
			expect.arrayContaining(['smtp-auth-off-mailbox', 'not-authenticated', 'daily-recipients']),
		);
		expect(stops).not.toEqual(expect.arrayContaining(['send-as-denied']));
		expect(stops).not.toContain('concurrent-connections');
		expect(stops).not.toContain('unregistered-domain');
	});

	test('replies of other servers are left to the generic mapping', () => {
		for (const reply of [
			'535 5.7.8 Authentication credentials invalid',
			'421 4.3.2 Service shutting down, try again later',
			'421 4.3.2 Too many concurrent connections',
			'452 4.5.3 Too many recipients',
			'552 5.2.2 Mailbox full',
			'552 5.3.4 Message size exceeds fixed limit',
			'550 5.1.1 <lead@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
			'',
		]) {
			expect(microsoftAnswer(reply)).toBeUndefined();
		}
	});

	test('without a known mailbox the hint names a placeholder; an address with $ signs goes in as written', () => {
		const answer = microsoftAnswer(
			'535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.',
		)!;
		expect(microsoftHint(answer, {})).toContain('-Identity <mailbox address>');
		expect(microsoftHint(answer, { mailbox: "o'$&x@contoso.com" })).toContain(
			"-Identity o'$&x@contoso.com",
		);
	});
});

describe('refusedForLoad: Microsoft refusals for load wait for a slot or the next minute', () => {
	const refusal = (line: string) =>
		new DeliveryError('refused', {
			code: 'ERATELIMIT',
			responseCode: Number(line.slice(0, 3)),
			response: line,
			retryable: true,
		});

	test.each([
		'432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded [Hostname=BY5PR04MB6709.namprd04.prod.outlook.com]',
		'432 4.3.2 concurrent connection limit exceeded',
		'421 4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel',
		'451 4.5.127 Excessive message rate from sender',
		'452 4.5.127 Excessive message rate from sender',
		'452 4.3.1 Recipient rate limit exceeded for this sender',
	])('%s', (line) => {
		expect(refusedForLoad(refusal(line))).toBe(true);
	});

	test('permanent refusals and other temporary ones are not load', () => {
		expect(
			refusedForLoad(
				refusal('550 5.2.252 Sender throttled due to continuous send as denied errors.'),
			),
		).toBe(false);
		expect(refusedForLoad(refusal('432 4.3.2 Service not available'))).toBe(false);
	});
});

/* ---------------------------------------------------------------------------------------------- */
/* A server that answers like Exchange Online at one stage                                          */
/* ---------------------------------------------------------------------------------------------- */

type Stage = 'greeting' | 'auth' | 'mailFrom' | 'rcpt' | 'dataEnd';
const USER = 'jane@contoso.com';
const PASSWORD = 'S3cret-Pa55word!';

let server: SMTPServer | undefined;
let session: ChannelSession | undefined;
let pool: SmtpPool | undefined;

afterEach(async () => {
	await session?.close();
	await pool?.close();
	if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
	server = session = pool = undefined;
});

/** Reply `line` (verbatim: no enhanced code added) at `stage`; everything else is accepted. */
async function exchange(
	stage: Stage,
	line: string,
	auth = true,
): Promise<ICredentialDataDecryptedObject> {
	const refusal = () =>
		Object.assign(new Error(line.slice(4)), { responseCode: Number(line.slice(0, 3)) });
	server = new SMTPServer({
		secure: false,
		disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
		authOptional: !auth,
		allowInsecureAuth: true,
		hideENHANCEDSTATUSCODES: true,
		logger: false,
		onConnect: (_session, callback) => callback(stage === 'greeting' ? refusal() : undefined),
		onAuth: (_auth, _session, callback) =>
			stage === 'auth' ? callback(refusal()) : callback(null, { user: USER }),
		onMailFrom: (_address, _session, callback) =>
			callback(stage === 'mailFrom' ? refusal() : undefined),
		onRcptTo: (_address, _session, callback) => callback(stage === 'rcpt' ? refusal() : undefined),
		onData(stream, _session, callback) {
			stream.resume();
			stream.on('end', () =>
				stage === 'dataEnd' ? callback(refusal()) : callback(null, '2.0.0 OK'),
			);
		},
	});
	await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
	const { port } = (
		server as unknown as { server: import('node:net').Server }
	).server.address() as AddressInfo;
	return {
		host: '127.0.0.1',
		port,
		security: 'none',
		...(auth ? { user: USER, password: PASSWORD } : {}),
		maxConnections: 1,
	};
}

function message(from = USER): OutgoingMessage {
	const deliveryId = `dc-${randomUUID()}`;
	return {
		deliveryId,
		messageId: `<${deliveryId}@contoso.com>`,
		identity: { name: 'Jane', address: from },
		to: [{ name: '', address: 'lead@example.org' }],
		cc: [],
		bcc: [],
		replyTo: [],
		subject: 'Offer',
		text: 'Hello',
		attachments: [],
		headers: [],
		references: [],
	};
}

/** Sends one message through the Custom SMTP channel and returns what the failed item would show. */
async function sendThroughChannel(credentials: ICredentialDataDecryptedObject, from?: string) {
	const context = { getCredentials: async () => credentials } as unknown as ChannelContext;
	session = await smtpChannel.open(context, {});
	try {
		await session.send(message(from));
	} catch (error) {
		return error as DeliveryError;
	}
	throw new Error('the send passed');
}

function expectNoSecret(error: DeliveryError) {
	expect(`${error.message} ${error.hint} ${error.response}`).not.toContain(PASSWORD);
}

describe('Exchange Online answers through the Custom SMTP channel', () => {
	it('AUTH: SMTP AUTH off for the mailbox says which setting, for this mailbox, stops the batch', async () => {
		const credentials = await exchange(
			'auth',
			'535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. ' +
				`Visit https://aka.ms/smtp_auth_disabled for more information. ${HOST}`,
		);
		const error = await sendThroughChannel(credentials);
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
			`Set-CASMailbox -Identity ${USER} -SmtpClientAuthenticationDisabled $false`,
		);
		expect(error.hint).toContain(
			'Users > Active users > jane@contoso.com > Mail > Manage email apps',
		);
		expectNoSecret(error);
	});

	it('AUTH, the credential test: the tenant setting, in the dialog, without the password', async () => {
		const credentials = await exchange(
			'auth',
			'535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. ' +
				`Visit https://aka.ms/smtp_auth_disabled for more information. ${HOST}`,
		);
		const result = await testSmtpCredential(credentials);
		expect(result.status).toBe('Error');
		expect(result.message).toContain('SMTP AUTH is turned off for the whole organization');
		expect(result.message).toContain(
			'Set-TransportConfig -SmtpClientAuthenticationDisabled $false',
		);
		expect(result.message).not.toContain(PASSWORD);
	});

	it('AUTH: basic authentication retired says to sign in with OAuth2', async () => {
		const credentials = await exchange(
			'auth',
			'550 5.7.30 Basic authentication is not supported for Client Submission.',
		);
		const error = await sendThroughChannel(credentials);
		expect(error).toMatchObject({ code: 'EAUTH', retryable: false, stopsBatch: true });
		expect(error.hint).toMatch(/OAuth2/);
		expectNoSecret(error);
	});

	it('MAIL FROM: 5.7.57 without a login says to fill in User and Password', async () => {
		const credentials = await exchange(
			'mailFrom',
			`530 5.7.57 Client not authenticated to send mail. ${HOST}`,
			false,
		);
		const error = await sendThroughChannel(credentials);
		expect(error).toMatchObject({
			code: 'EAUTH',
			retryable: false,
			stopsBatch: true,
			responseCode: 530,
		});
		expect(error.hint).toMatch(/Fill in User and Password/);
	});

	it('MAIL FROM: 5.7.750 refuses the identity, the batch goes on', async () => {
		const credentials = await exchange(
			'mailFrom',
			'550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains. ' +
				'For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653',
		);
		const error = await sendThroughChannel(credentials, 'sales@fabrikam.example');
		expect(error).toMatchObject({
			code: 'EIDENTITY',
			retryable: false,
			stopsBatch: false,
			field: 'identity',
		});
		expect(error.hint).toMatch(/Settings > Domains/);
		expectNoSecret(error);
	});

	it('RCPT TO: 5.7.708 says only an admin can lift the block, and stops the batch', async () => {
		const credentials = await exchange(
			'rcpt',
			'550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. ' +
				'For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653',
		);
		const error = await sendThroughChannel(credentials);
		expect(error).toMatchObject({
			code: 'EENVELOPE',
			retryable: false,
			stopsBatch: true,
			responseCode: 550,
		});
		expect(error.recipients).toEqual(['lead@example.org']);
		expect(error.hint).toMatch(/Only a Microsoft 365 admin/);
	});

	it('end of DATA: SendAsDenied names the From address and the permission to grant', async () => {
		const credentials = await exchange(
			'dataEnd',
			'554 5.2.252 SendAsDenied; jane@contoso.com not allowed to send as sales@contoso.com; ' +
				`STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; ${DIAGNOSTIC}`,
		);
		const error = await sendThroughChannel(credentials, 'sales@contoso.com');
		expect(error).toMatchObject({
			code: 'EIDENTITY',
			retryable: false,
			stopsBatch: false,
			responseCode: 554,
		});
		expect(error.hint).toContain(
			'Add-RecipientPermission -Identity sales@contoso.com -Trustee jane@contoso.com -AccessRights SendAs',
		);
		expectNoSecret(error);
	});

	it('end of DATA: a full mailbox is a quota that stops the batch and is not sent again', async () => {
		const credentials = await exchange(
			'dataEnd',
			`554 5.2.2 mailbox full; STOREDRV.Submission.Exception:SubmissionQuotaExceededException; ${DIAGNOSTIC}`,
		);
		const error = await sendThroughChannel(credentials);
		expect(error).toMatchObject({ code: 'EQUOTA', retryable: false, stopsBatch: true });
		expect(error.hint).toMatch(/Sent Items/);
	});

	it('end of DATA: too large is a message error with the size limit', async () => {
		const credentials = await exchange(
			'dataEnd',
			'552 5.3.4 Message size exceeds fixed maximum message size',
		);
		const error = await sendThroughChannel(credentials);
		expect(error).toMatchObject({ code: 'EMESSAGE', retryable: false, stopsBatch: false });
		expect(error.hint).toMatch(/35 MB/);
	});

	it.each<[Stage, string]>([
		[
			'greeting',
			'421 4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel',
		],
		[
			'mailFrom',
			'432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded [Hostname=BY5PR04MB6709.namprd04.prod.outlook.com]',
		],
		['dataEnd', '452 4.5.127 Excessive message rate from sender'],
	])('%s: %s is a rate limit worth waiting out', async (stage, line) => {
		const credentials = await exchange(stage, line);
		// The pool itself: one attempt, no back-off (the channel would wait 15-30 s before the next).
		pool = new SmtpPool(smtpSettings(credentials), 1);
		const error = await pool
			.deliver(
				{ from: USER, to: ['lead@example.org'] },
				Buffer.from('Subject: Offer\r\n\r\nHello\r\n'),
			)
			.then(
				() => undefined,
				(failure: DeliveryError) => failure,
			);
		expect(error).toMatchObject({ code: 'ERATELIMIT', retryable: true, stopsBatch: false });
		expect(error?.hint).toMatch(/Max Connections|Messages per Minute/);
		expect(refusedForLoad(error)).toBe(true);
		expectNoSecret(error!);
	});
});
