/**
 * Rules added for phrase precedence, SMTP stage, status precedence, structure and the MIME
 * pre-pass. Every mail and phrase here is written for the test (no corpus text).
 */
import { parseBounce } from '../../../core/bounce';
import { classify, smtpCommandOf } from '../../../core/bounce/classify';
import { compactBody, decodeQuotedPrintable } from '../../../core/bounce/compact';

const c = (
	diagnostic: string,
	status = '',
	replyCode = '',
	extra: { action?: string; command?: string } = {},
) => classify({ diagnostic, status, replyCode, ...extra });

const crlf = (s: string) => s.replace(/\n/g, '\r\n');

/** A minimal RFC 3464 report from relay.example carrying the given per-recipient fields. */
const dsnReport = (recipientFields: string) =>
	crlf(`From: MAILER-DAEMON@relay.example
To: a@sender.example
Subject: Undelivered Mail
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="X"

--X
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example

${recipientFields}

--X--
`);

describe('phrase rules', () => {
	it.each([
		['530 Remote host does not support TLS', 'failedstarttls'],
		['554 Transaction failed: message size limit exceeded', 'mesgtoobig'],
		['550 5.7.1 From: domain is invalid, please provide a valid From header', 'rejected'],
		['550 host.example.net has sent to too many recipients this hour', 'speeding'],
		['550 You have reached the hourly sending limit', 'speeding'],
		['550 Connection refused: 198.51.100.7 blocked for abuse', 'blocked'],
		['554 Your message was blocked because its content looks unsafe', 'policyviolation'],
		['550 The account you tried to reach does not exist. Please check the spelling', 'userunknown'],
		['550 5.4.1 Recipient address rejected: Access denied. AS(201806281)', 'userunknown'],
		[
			'554 Message rejected: Email address is not verified. The following identities failed the check',
			'norelaying',
		],
		['450 service permits 1 unverifiable sending IPs', 'requireptr'],
		['Sorry, you are sending from an address that has been blacklisted', 'rejected'],
		['421 Host not reachable', 'networkerror'],
		[
			'Delivery to a@b.example failed. The address or domain may not exist, or it may be on a blocklist.',
			'hostunknown',
		],
		['Unable to deliver message after multiple retries, giving up.', 'expired'],
		['553 malformed address: <x> may not follow <y>', 'syntaxerror'],
		['451 4.3.0 LDAP lookup failed, try again later', 'systemerror'],
	])('%s → %s', (diagnostic, reason) => {
		expect(c(diagnostic)).toBe(reason);
	});

	it('does not read "attempts will continue" (a delay warning) as expired', () => {
		expect(
			c('Delivery attempts will continue to be made for 5 days', '', '', { action: 'delayed' }),
		).toBe('onhold');
	});

	it('reads a localised Google Groups refusal by its help link', () => {
		expect(c('Hallo, die Gruppe existiert nicht. Hilfe: https://groups.google.com/support/')).toBe(
			'rejected',
		);
	});
});

describe('replies in the style of common servers (Gmail, Microsoft, Yahoo, qmail, Exim, Postfix, mail.ru, GMX)', () => {
	it.each([
		[
			"550 5.7.1 [192.0.2.1] The IP you're using to send mail is not authorized to send email directly to our servers. Please use the SMTP relay at your service provider instead.",
			'blocked',
			'5.7.1',
			'550',
		],
		[
			'550-5.7.1 [192.0.2.1] Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked.',
			'spamdetected',
			'5.7.1',
			'550',
		],
		['550 5.7.606 Access denied, banned sending IP [192.0.2.1]', 'blocked', '5.7.606', '550'],
		[
			'550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.',
			'blocked',
			'5.7.708',
			'550',
		],
		[
			'450 4.2.0 <a@b.example>: Recipient address rejected: Greylisted, see http://postgrey.example/help/b.example',
			'blocked',
			'4.2.0',
			'450',
		],
		['451 4.7.1 Greylisting in action, please come back later', 'blocked', '4.7.1', '451'],
		[
			"553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.1, because the ip is in Spamhaus's list",
			'blocked',
			'5.7.1',
			'553',
		],
		[
			"554 delivery error: dd This user doesn't have a yahoo.com account (x@yahoo.com) [0]",
			'userunknown',
			'5.0.0',
			'554',
		],
		[
			'554 delivery error: dd Sorry your message to x@yahoo.com cannot be delivered. This mailbox is disabled (554.30)',
			'suspend',
			'5.0.0',
			'554',
		],
		[
			'550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302).',
			'userunknown',
			'5.5.0',
			'550',
		],
		[
			"550 SC-001 (BAY004-MC1F63) Unfortunately, messages from 192.0.2.1 weren't sent. Please contact your Internet service provider since part of their network is on our block list.",
			'blocked',
			'',
			'550',
		],
		[
			'452 4.2.2 The email account that you tried to reach is over quota.',
			'mailboxfull',
			'4.2.2',
			'452',
		],
		['552 Requested mail action aborted: exceeded mailsize limit', 'mesgtoobig', '', '552'],
		[
			'550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
			'userunknown',
			'5.1.10',
			'550',
		],
		['retry time not reached for any host after a long failure period', 'expired', '', ''],
		[
			"all hosts for 'b.example' have been failing for a long time (and retry time not reached)",
			'expired',
			'',
			'',
		],
		['Sorry, no mailbox here by that name. (#5.1.1)', 'userunknown', '5.1.1', ''],
		["Sorry, I couldn't find any host named b.example. (#5.1.2)", 'hostunknown', '5.1.2', ''],
		["Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)", 'networkerror', '4.4.1', ''],
		[
			'This message is looping: it already has my Delivered-To line. (#5.4.6)',
			'networkerror',
			'5.4.6',
			'',
		],
		['Warning: could not send message for past 4 hours', 'expired', '4.4.7', ''],
		[
			'550 5.7.1 RESOLVER.RST.AuthRequired; authentication required',
			'securityerror',
			'5.7.1',
			'550',
		],
		['554 5.4.14 Hop count exceeded - possible mail loop', 'networkerror', '5.4.14', '554'],
		['550 5.4.310 DNS domain b.example does not exist', 'hostunknown', '5.4.310', '550'],
		['554 5.7.5 Permanent error evaluating DMARC policy', 'authfailure', '5.7.5', '554'],
		[
			'550 5.7.23 The message was rejected because of Sender Policy Framework violation',
			'authfailure',
			'5.7.23',
			'550',
		],
		[
			'550 5.7.25 [192.0.2.1] The IP address sending this message does not have a PTR record setup',
			'requireptr',
			'5.7.25',
			'550',
		],
		[
			'421 4.7.0 Too many connections from your IP (rate controlled)',
			'toomanyconn',
			'4.7.0',
			'421',
		],
		[
			'450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]',
			'requireptr',
			'4.7.1',
			'450',
		],
		[
			'550 Message was not accepted -- invalid mailbox. Local mailbox x@mail.ru is unavailable: user not found',
			'userunknown',
			'',
			'550',
		],
		[
			'550 spam message rejected. Please visit http://help.mail.ru/notspam-support/id',
			'spamdetected',
			'',
			'550',
		],
		['554-Transaction failed 554-Reject due to policy restrictions', 'policyviolation', '', '554'],
		['552 5.2.2 Mailbox size limit exceeded', 'mailboxfull', '5.2.2', '552'],
		['550 5.7.1 Relaying denied', 'norelaying', '5.7.1', '550'],
		['530 5.7.0 Must issue a STARTTLS command first', 'failedstarttls', '5.7.0', '530'],
		['421 4.4.2 Connection dropped due to SocketError', 'networkerror', '4.4.2', '421'],
		['550 5.1.6 Recipient addresses have moved', 'hasmoved', '5.1.6', '550'],
		['550 5.7.1 Email rejected per DMARC policy for b.example', 'authfailure', '5.7.1', '550'],
		['550 5.7.1 Message rejected: virus found in attachment', 'virusdetected', '5.7.1', '550'],
		[
			'554 5.7.1 The message from (<a@b>) with the subject of (x) matches a profile the Internet community may consider spam.',
			'spamdetected',
			'5.7.1',
			'554',
		],
		[
			'421 4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address',
			'spamdetected',
			'4.7.28',
			'421',
		],
		['550 5.2.1 The email account that you tried to reach is disabled.', 'suspend', '5.2.1', '550'],
		['550 5.1.2 Host unknown: domain name not found', 'hostunknown', '5.1.2', '550'],
		['554 5.7.9 Message not accepted for policy reasons.', 'policyviolation', '5.7.9', '554'],
		['550 No MX for b.example', 'hostunknown', '', '550'],
		['host not found: b.example: NXDOMAIN', 'hostunknown', '', ''],
		[
			'550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using Spamhaus',
			'blocked',
			'5.7.1',
			'550',
		],
		['550 Your IP has poor reputation', 'badreputation', '', '550'],
		['451 4.7.1 Please try again later, rate limited', 'speeding', '4.7.1', '451'],
	])('%s → %s', (diagnostic, reason, status, replyCode) => {
		expect(c(diagnostic, status, replyCode)).toBe(reason);
	});
});

describe('precedence rules', () => {
	it('treats a header problem under an x.7.x code as a policy matter', () => {
		expect(c('554 5.7.0 Header error', '5.7.0', '554')).toBe('policyviolation');
		expect(c('554 5.6.0 Header error', '5.6.0', '554')).toBe('contenterror');
	});

	it('says expired when a transient cause ends in a given-up queue', () => {
		expect(c('Unable to connect to the destination server', '4.4.7')).toBe('expired');
		expect(c('Server busy; this message has been in the queue too long')).toBe('expired');
		expect(c('Unable to connect to the destination server', '4.4.1')).toBe('networkerror');
	});

	it('makes "user unknown" after DATA a content filter', () => {
		expect(c('550 User unknown (in reply to end of DATA command)')).toBe('filtered');
		expect(c('550 User unknown', '', '550', { command: 'DATA' })).toBe('filtered');
		expect(c('550 User unknown (in reply to RCPT TO command)')).toBe('userunknown');
	});

	it('reads "user unknown" under a policy code (x.7.x) as a filter, not a dead address', () => {
		expect(c('550 5.7.1 User unknown', '5.7.1', '550')).toBe('filtered');
		expect(c('550 5.1.1 User unknown', '5.1.1', '550')).toBe('userunknown');
		// a policy code with a directory refusal keeps its own reading
		expect(
			c('554 5.7.1 <a@b.example>: Recipient address rejected: Access denied', '5.7.1', '554'),
		).not.toBe('filtered');
	});

	it('reads "550 : User unknown" (no mailbox named) as a filter', () => {
		expect(c('550 : User unknown', '', '550')).toBe('filtered');
		expect(c('550 <someone@b.example>: User unknown', '', '550')).toBe('userunknown');
	});

	it('reads "unknown user" from a filtering gateway without an addressing code as the filter', () => {
		expect(
			classify({
				diagnostic: '550 Unknown user',
				status: '',
				replyCode: '550',
				fromFilterGateway: true,
			}),
		).toBe('filtered');
		expect(
			classify({
				diagnostic: '550 5.5.0 unknown user',
				status: '5.5.0',
				replyCode: '550',
				fromFilterGateway: true,
			}),
		).toBe('filtered');
		expect(
			classify({
				diagnostic: '550 5.1.1 Unknown user',
				status: '5.1.1',
				replyCode: '550',
				fromFilterGateway: true,
			}),
		).toBe('userunknown');
		expect(c('550 Unknown user', '', '550')).toBe('userunknown');
	});

	it('reads "user unknown" under a mailbox-status code (x.2.x) or a system code (x.3.x) as a refusal unless given to RCPT TO', () => {
		expect(c('550 5.2.1 <a@b.example>... User Unknown', '5.2.1', '550')).toBe('filtered');
		expect(c('550 5.3.0 Other mail system problem: Unknown user', '5.3.0', '550')).toBe('filtered');
		// the mailbox is disabled: suspended, said in the diagnostic or in the Status field's words
		expect(c('550 5.2.1 User unknown, mailbox disabled', '5.2.1', '550')).toBe('suspend');
		expect(
			classify({
				diagnostic: '550 5.2.1 User Unknown',
				status: '5.2.1',
				replyCode: '550',
				statusText: '(mailbox disabled, not accepting messages)',
			}),
		).toBe('suspend');
		// the directory's answer to RCPT TO, whatever the code
		expect(c('550 5.2.1 User Unknown (in reply to RCPT TO command)', '5.2.1', '550')).toBe(
			'userunknown',
		);
		expect(
			c('Remote host said: 550 5.2.1 <a@b.example>... User Unknown [RCPT_TO]', '5.2.1', '550'),
		).toBe('userunknown');
		expect(c('SMTP error from remote server after RCPT command: 5.2.1 User Unknown', '5.2.1')).toBe(
			'userunknown',
		);
		// an addressing code (x.1.x) or no code keeps the plain reading
		expect(c('550 5.1.1 User Unknown', '5.1.1', '550')).toBe('userunknown');
		expect(c('550 User unknown', '', '550')).toBe('userunknown');
	});

	it('says expired when a message failed for good on a temporary network problem', () => {
		expect(c('421 Host not reachable', '', '421', { action: 'failed' })).toBe('expired');
		expect(c('421 Host not reachable', '', '421', { action: 'delayed' })).toBe('networkerror');
	});

	it('makes a generic refusal at the greeting a blocked client', () => {
		expect(
			c('SMTP error from remote mail server after initial connection: 554 go away', '', '554'),
		).toBe('blocked');
		expect(
			c('SMTP error from remote mail server after RCPT TO:<a@b.example>: 554 go away', '', '554'),
		).toBe('rejected');
	});

	it('keeps a specific phrase at the greeting', () => {
		expect(c('after initial connection: 554 5.7.1 No PTR record for 192.0.2.9', '5.7.1')).toBe(
			'requireptr',
		);
	});
});

describe('smtpCommandOf', () => {
	it.each([
		['host x said: 550 no (in reply to RCPT TO command)', 'RCPT'],
		['SMTP error from remote mail server after MAIL FROM:<a@b.example> SIZE=10: 450 later', 'MAIL'],
		['SMTP error from remote mail server after end of data: 550 spam', 'DATA'],
		['SMTP error from remote mail server after initial connection: 554 no', 'CONN'],
		['SMTP error from remote server after RCPT command: host: mx.b.example 550 no', 'RCPT'],
		['Remote host said: 550 no such user [RCPT_TO]', 'RCPT'],
		['Technical details: SMTP:RCPT host 192.0.2.8: 553 no', 'RCPT'],
		['Remote host said: 554 spam [DATA]', 'DATA'],
		['550 no such user', ''],
	])('%s → %s', (text, command) => {
		expect(smtpCommandOf(text)).toBe(command);
	});
});

describe('report structure', () => {
	it('reads per-recipient DSN fields written before Final-Recipient', async () => {
		const mail = crlf(`From: MAILER-DAEMON@relay.example
To: a@sender.example
Subject: Delivery failure
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="X"

--X
Content-Type: text/plain

Your message could not be delivered.

--X
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example

Diagnostic-Code: smtp; 550 Mailbox does not exist
Status: 5.0.0
Action: failed
Final-Recipient: rfc822; nobody@dest.example

--X--
`);
		const r = await parseBounce(mail);
		expect(r.failures).toHaveLength(1);
		expect(r.failures[0]).toMatchObject({
			recipient: 'nobody@dest.example',
			status: '5.0.0',
			reason: 'userunknown',
			hard: true,
		});
	});

	it("prefers the remote server's reply code to the DSN Status field", async () => {
		const mail = dsnReport(`Final-Recipient: rfc822; full@dest.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 552 5.2.2 Mailbox over quota`);
		const r = await parseBounce(mail);
		expect(r.failures[0]).toMatchObject({
			status: '5.2.2',
			replyCode: '552',
			reason: 'mailboxfull',
			hard: false,
		});
	});

	it('keeps a specific DSN Status when the reply only gives x.0.0', async () => {
		const mail = dsnReport(`Final-Recipient: rfc822; gone@dest.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.0.0 Recipient unknown here`);
		const r = await parseBounce(mail);
		expect(r.failures[0]).toMatchObject({ status: '5.1.1', reason: 'userunknown', hard: true });
	});

	it('takes the failing reply of a session transcript, not an earlier 250', async () => {
		const mail = crlf(`From: MAILER-DAEMON@relay.example
To: a@sender.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="X"

--X
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example

Final-Recipient: rfc822; who@dest.example
Action: failed
Diagnostic-Code: smtp; In: RCPT TO:<who@dest.example> Out: 250 2.1.5 Ok In: DATA Out: 354 go ahead Out: 452 4.3.1 Insufficient system storage

--X--
`);
		const r = await parseBounce(mail);
		expect(r.failures[0]).toMatchObject({
			status: '4.3.1',
			replyCode: '452',
			reason: 'systemfull',
		});
	});

	it("uses the returned message's only recipient when the notice names none", async () => {
		const mail = crlf(`From: Mail Delivery Subsystem <MAILER-DAEMON@old.example>
To: sender@origin.example
Subject: Returned mail: Deferred: Connection timed out

   ----- Transcript of session follows -----
421 far.example (smtp)... Deferred: Connection timed out during user open with far.example

   ----- Unsent message follows -----
From: sender@origin.example
To: friend@far.example
Subject: hello

hi
`);
		const r = await parseBounce(mail);
		expect(r.failures.map((f) => f.recipient)).toEqual(['friend@far.example']);
		expect(r.failures[0].reason).toBe('expired');
	});

	it('does not guess from the returned message when it had several recipients', async () => {
		const mail = crlf(`From: Mail Delivery Subsystem <MAILER-DAEMON@old.example>
To: sender@origin.example
Subject: Returned mail

421 far.example (smtp)... Deferred: Connection timed out

   ----- Unsent message follows -----
From: sender@origin.example
To: one@far.example, two@far.example
Subject: hello

hi
`);
		const r = await parseBounce(mail);
		expect(r.failures).toEqual([]);
	});

	it('finds a recipient written with a display address after it', async () => {
		const mail = crlf(`From: Mail Delivery System <Mailer-Daemon@mx.example>
To: sender@origin.example
Subject: Mail failure - malformed recipient address

A message that you sent contained one or more recipient addresses that were
incorrectly constructed:

  first@dest.example <second@dest.example>: malformed address: <second@dest.example> may not follow first@dest.example

This address has been ignored.
`);
		const r = await parseBounce(mail);
		expect(r.failures.map((f) => f.recipient)).toEqual(['first@dest.example']);
		expect(r.failures[0].reason).toBe('syntaxerror');
	});
});

describe('structure: odd but real layouts', () => {
	it('reads a Sendmail "Remote protocol error" by the remote reply above it in the transcript', async () => {
		const mail = (reply: string) =>
			crlf(`From: Mail Delivery Subsystem <MAILER-DAEMON@out.sender.example>
To: rep@sender.example
Subject: Returned mail: Remote protocol error

   ----- Transcript of session follows -----
While talking to mx.dest.example:
>>> MAIL From:<rep@sender.example>
<<< ${reply}
554 <lead@dest.example>... Remote protocol error
550 backup.dest.example (smtp)... 550 Host unknown

   ----- Unsent message follows -----
From: rep@sender.example
To: lead@dest.example
Subject: Hello

Hi
`);
		const relay = await parseBounce(mail('550 Relaying denied for this client'));
		expect(relay.failures).toEqual([
			expect.objectContaining({
				recipient: 'lead@dest.example',
				reason: 'norelaying',
				hard: false,
				replyCode: '550',
			}),
		]);
		const listed = await parseBounce(
			mail(
				'501 <rep@sender.example>... no access from mail server [192.0.2.9] which is an open relay.',
			),
		);
		expect(listed.failures).toEqual([
			expect.objectContaining({ recipient: 'lead@dest.example', reason: 'blocked', hard: false }),
		]);
	});

	it('gives the status of an address-less DSN block (delivery to a file) to the one named recipient', async () => {
		const mail = crlf(`From: Mail Delivery System <Mailer-Daemon@store.example>
To: a@sender.example
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: box@store.example
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="X"

--X
Content-Type: text/plain

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  save to /var/spool/mail/box
    generated by box@store.example
    mailbox is full: quota exceeded

--X
Content-Type: message/delivery-status

Reporting-MTA: dns; store.example

Action: failed
Final-Recipient: rfc822;/var/spool/mail/box
Status: 5.0.0

--X--
`);
		const r = await parseBounce(mail);
		expect(r.failures).toHaveLength(1);
		expect(r.failures[0]).toMatchObject({
			recipient: 'box@store.example',
			status: '5.0.0',
			reason: 'mailboxfull',
		});
	});

	it('still reads the fields it needs after thousands of junk header lines', async () => {
		const mail = `${'X-Junk: j\r\n'.repeat(5000)}${crlf(`From: MAILER-DAEMON@relay.example
To: a@sender.example
Subject: Undelivered Mail Returned to Sender
X-Failed-Recipients: gone@dest.example

<gone@dest.example>: host mx.dest.example said: 550 5.1.1 User unknown
`)}`;
		const r = await parseBounce(mail);
		expect(r.failures.map((f) => [f.recipient, f.reason])).toEqual([
			['gone@dest.example', 'userunknown'],
		]);
		expect(r.problems).toContain('too many header fields');
	});
});

describe('MIME pre-pass (compactBody)', () => {
	it('decodes quoted-printable with soft line breaks', () => {
		expect(decodeQuotedPrintable('caf=C3=A9 =\r\nau lait=3D=\nok =ZZ')).toBe(
			Buffer.from('café au lait=ok =ZZ', 'utf8').toString('latin1'),
		);
	});

	it('re-encodes every leaf part as one base64 line, short ones too', () => {
		const text = Array.from({ length: 20 }, (_, i) => `line ${i} =E2=9C=93`).join('\r\n');
		const body =
			crlf(`--B
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

`) + `${text}\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--B--\r\n`;
		const out = compactBody('multipart/report; boundary="B"', '', body);
		expect(out.base64).toBe(false);
		expect(out.contentType).toBe('multipart/report; boundary="B"');
		const lines = out.body.split('\r\n');
		expect(lines).not.toContain('Content-Transfer-Encoding: quoted-printable');
		expect(lines.filter((l) => l.startsWith('Content-'))).toEqual([
			'Content-Type: text/plain; charset=utf-8',
			'Content-Transfer-Encoding: base64',
			'Content-Type: message/delivery-status',
			'Content-Transfer-Encoding: base64',
		]);
		const [first, second] = lines.filter((_, i) => i > 0 && lines[i - 1] === '');
		expect(Buffer.from(first, 'base64').toString('utf8')).toBe(text.replace(/=E2=9C=93/g, '✓'));
		expect(Buffer.from(second, 'base64').toString('latin1')).toBe('Status: 5.1.1');
		expect(out.body.endsWith('\r\n--B--\r\n')).toBe(true);
	});

	it('cuts the body of a returned message but keeps its headers', () => {
		const original = `Message-ID: <m1@origin.example>\r\nSubject: hi\r\n\r\n${'x\r\n'.repeat(500)}`;
		const body = `--B\r\nContent-Type: message/rfc822\r\n\r\n${original}--B--\r\n`;
		const out = compactBody('multipart/mixed; boundary=B', '7bit', body);
		const lines = out.body.split('\r\n');
		const decoded = Buffer.from(
			lines[lines.indexOf('Content-Transfer-Encoding: base64') + 2],
			'base64',
		).toString('latin1');
		expect(decoded.startsWith('Message-ID: <m1@origin.example>\r\nSubject: hi\r\n\r\n')).toBe(true);
		expect(decoded.split('\n').length).toBeLessThan(100);
	});

	it('writes the Content-Type a part has by default (message/rfc822 in a digest)', () => {
		const body = '--D\r\n\r\nSubject: one\r\n\r\nbody\r\n--D--\r\n';
		expect(compactBody('multipart/digest; boundary=D', '', body).body).toContain(
			'Content-Type: message/rfc822\r\n',
		);
		expect(compactBody('multipart/mixed; boundary=D', '', body).body).toContain(
			'Content-Type: text/plain\r\n',
		);
	});

	it('reads a multipart whose boundary never comes as plain text', () => {
		const body = 'no parts here\r\n'.repeat(30);
		expect(compactBody('multipart/mixed; boundary="nothere"', '', body)).toEqual({
			contentType: 'text/plain',
			body: Buffer.from(body, 'latin1').toString('base64'),
			base64: true,
		});
	});

	it('parses a compacted mail like the original (same report)', async () => {
		const notice = Array.from({ length: 30 }, (_, i) => `Zeile ${i}: =C3=BCber`).join('\n');
		const mail = crlf(`From: MAILER-DAEMON@relay.example
To: a@sender.example
Subject: Undelivered Mail
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="X"

--X
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<gone@dest.example>: host mx.dest.example said: 550 5.1.1 no such user
${notice}

--X
Content-Type: message/rfc822

Message-ID: <orig-1@sender.example>
Subject: Offer
To: gone@dest.example

${'body\n'.repeat(300)}
--X--
`);
		const r = await parseBounce(mail);
		expect(r.failures[0]).toMatchObject({
			recipient: 'gone@dest.example',
			status: '5.1.1',
			reason: 'userunknown',
		});
		expect(r.original.messageId).toBe('<orig-1@sender.example>');
		expect(r.original.subject).toBe('Offer');
	});
});

describe('filtering gateways', () => {
	const mail = (mailer: string) =>
		crlf(`From: MAILER-DAEMON@gw.example.net
To: sender@example.com
Subject: Undeliverable mail
X-Mailer: ${mailer}
Date: Mon, 23 Nov 2026 10:00:00 +0000
Message-ID: <gw-1@gw.example.net>

Your message could not be delivered to the following recipient:

  someone@example.org
  550 Unknown user someone@example.org
`);

	it('recognises a gateway by its own headers', async () => {
		const gateway = await parseBounce(mail('SurfControl E-mail Filter'));
		expect(gateway.failures.map((f) => [f.recipient, f.reason, f.hard])).toEqual([
			['someone@example.org', 'filtered', false],
		]);
		const plain = await parseBounce(mail('Some MTA 1.0'));
		expect(plain.failures.map((f) => [f.recipient, f.reason, f.hard])).toEqual([
			['someone@example.org', 'userunknown', true],
		]);
	});
});
