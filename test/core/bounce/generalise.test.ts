/**
 * Issue 13: rules that generalise. Every report here is written for the test in the shape the RFCs
 * (3461, 3463, 3464, 3834, 5321) or the server's documentation give it; none is copied from a
 * corpus. Each case failed before its rule was added.
 */
import { parseBounce } from '../../../core/bounce';
import { classify } from '../../../core/bounce/classify';

const crlf = (s: string) => s.replace(/\n/g, '\r\n');

const c = (
	diagnostic: string,
	status = '',
	replyCode = '',
	extra: { action?: string; command?: string } = {},
) => classify({ diagnostic, status, replyCode, ...extra });

/** An RFC 3464 report from relay.example: notification text, per-recipient fields, original headers. */
const dsn = (notice: string, fields: string, original = 'To: jane@example.jp\nSubject: quote') =>
	crlf(`From: Mail Delivery System <MAILER-DAEMON@relay.example>
To: sales@shop.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

${notice}

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example

${fields}

--B
Content-Type: text/rfc822-headers

From: Sales <sales@shop.example>
${original}
Message-ID: <q-1@shop.example>

--B--
`);

/** A plain-text report (no delivery-status part). */
const plain = (headers: string, body: string) =>
	crlf(`${headers}
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

${body}`);

const recipients = async (raw: string) => (await parseBounce(raw)).failures.map((f) => f.recipient);

describe('status codes come only from where they live', () => {
	it('does not read a version number in the quoted headers as a status code', async () => {
		const r = await parseBounce(
			plain(
				'From: MAILER-DAEMON@mx.example.jp\nTo: list-bounces@lists.shop.example\nSubject: Delivery failure',
				'Delivery to the following recipient failed permanently:\n\n' +
					'    jane@example.jp\n\n' +
					'Received: from lists.shop.example (lists.shop.example [192.0.2.10])\n' +
					'From: news@lists.shop.example\nTo: jane@example.jp\nSubject: November news\n' +
					'X-Mailman-Version: 2.1.12\nList-Id: <news.lists.shop.example>\n',
			),
		);
		expect(r.kind).toBe('failure');
		expect(r.failures[0]).toMatchObject({ recipient: 'jane@example.jp', action: 'failed' });
		expect(r.failures[0].status).not.toBe('2.1.12');
		expect(r.failures[0].reason).not.toBe('delivered');
	});

	it('does not read a release number in the subject line as a status code', async () => {
		const r = await parseBounce(
			plain(
				'From: postmaster@example.jp\nTo: sales@shop.example\nSubject: Undeliverable: Release 2.0.12 is out',
				'Your message\n\n      Subject: Release 2.0.12 is out\n      Sent: 29/11/2026 10:15\n\n' +
					'did not reach the following recipient(s):\n\n' +
					'jane@example.jp on 29/11/2026 10:15\n' +
					'      The e-mail account does not exist at the organization this message was sent to.\n',
			),
		);
		expect(r.failures[0]).toMatchObject({ status: '', reason: 'userunknown', hard: true });
	});
});

describe('recipients', () => {
	it('accepts a one-letter top-level domain in Final-Recipient', async () => {
		const raw = dsn(
			'Delivery failed.',
			'Final-Recipient: rfc822; f.b@a.b.c\nAction: failed\nStatus: 5.1.1',
		);
		expect(await recipients(raw)).toEqual(['f.b@a.b.c']);
	});

	it('takes X-Failed-Recipients when Exim lists no address', async () => {
		// The report goes to the sender's address as a forwarder rewrote it (SRS), and the failed
		// address is anonymised with a one-letter top-level domain.
		const raw = plain(
			'From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n' +
				'To: SRS0=ab12=KQ=shop.example=sales@fwd.example\n' +
				'Subject: Mail delivery failed: returning message to sender\n' +
				'X-Failed-Recipients: jane@a.b.c',
			'This message was created automatically by mail delivery software.\n\n' +
				'A message sent by\n\n  <sales@shop.example>\n\n' +
				'could not be delivered to one or more of its recipients. The following\naddress(es) failed:\n\n\n' +
				'------ This is a copy of the message, including all the headers. ------\n\n' +
				'Return-path: <sales@shop.example>\nFrom: Sales <sales@shop.example>\n' +
				'To: Jane <jane@a.b.c>\nSubject: quote\n\nHello\n',
		);
		expect(await recipients(raw)).toEqual(['jane@a.b.c']);
	});

	it('prefers Original-Recipient, the address the sender used, to the Final-Recipient it became', async () => {
		const raw = dsn(
			'Delivery failed.',
			'Original-Recipient: rfc822;jane@example.jp\n' +
				'Final-Recipient: rfc822;jane.doe@mailhost.example.jp\nAction: failed\nStatus: 5.2.2',
		);
		expect(await recipients(raw)).toEqual(['jane@example.jp']);
	});

	it('takes the address the sender used when Final-Recipient names only a local mailbox', async () => {
		const raw = dsn(
			"Failed to deliver to '<jane@example.jp>'",
			'Original-Recipient: rfc822;<jane@example.jp>\nFinal-Recipient: LOCAL;<jane>\n' +
				'Action: failed\nStatus: 5.0.0',
		);
		expect(await recipients(raw)).toEqual(['jane@example.jp']);
	});

	it('does not take an address from the help text as a recipient', async () => {
		const raw = plain(
			'From: MAILER-DAEMON@mx.isp.example\nTo: sales@shop.example\nSubject: Undeliverable mail',
			'Delivery to the following recipient failed permanently:\n\n' +
				'     jane@example.jp\n\n' +
				'Technical details: 550 5.1.1 The email account does not exist.\n\n' +
				'If you need help, forward this message to\n\n     helpdesk@isp.example\n',
		);
		expect(await recipients(raw)).toEqual(['jane@example.jp']);
	});

	it('completes a bare local part with the reporting domain', async () => {
		const raw = plain(
			'From: Mail Delivery Subsystem <MAILER-DAEMON@isp.example>\nTo: <sales@shop.example>\n' +
				'Subject: Mail Delivery Problem',
			'Sorry sales@shop.example. Your mail to the following recipients could not be delivered ' +
				'because they are not accepting mail from your address:\n\tjanedoe\n',
		);
		expect(await recipients(raw)).toEqual(['janedoe@isp.example']);
	});

	it('strips transport prefixes from addresses', async () => {
		const dda = dsn(
			'Delivery failed.',
			'Final-Recipient: rfc822;dda:SMTP=jane@example.jp\nAction: failed\nStatus: 5.1.1',
		);
		expect(await recipients(dda)).toEqual(['jane@example.jp']);
		const bracket = plain(
			'From: postmaster@example.jp\nTo: sales@shop.example\nSubject: Undeliverable: quote',
			'Delivery has failed to these recipients or groups:\n\n[SMTP:jane@example.jp]\n' +
				"The email address you entered couldn't be found.\n",
		);
		expect(await recipients(bracket)).toEqual(['jane@example.jp']);
	});

	it("takes the returned original's one recipient when Exchange names only a display name", async () => {
		const raw = crlf(`From: System Administrator <postmaster@example.jp>
To: sales@shop.example
Subject: Undeliverable: quote
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="B"

--B
Content-Type: text/plain

Your message

  To:      Jane Doe
  Subject: quote
  Sent:    Sun, 29 Nov 2026 10:15:00 +0100

did not reach the following recipient(s):

Jane Doe on Sun, 29 Nov 2026 10:15:05 +0100
    The recipient name is not recognized
    The MTS-ID of the original message is: c=JP;a= ;p=example;l=EXC1-261129091505Z-1
    MSEXCH:IMS:Example:Tokyo:EXC1 0 (000C05A6) Unknown Recipient

--B
Content-Type: message/rfc822

From: Sales <sales@shop.example>
To: Jane Doe <jane@example.jp>
Subject: quote
Message-ID: <q-1@shop.example>

Hello
--B--
`);
		const r = await parseBounce(raw);
		expect(r.failures.map((f) => [f.recipient, f.reason])).toEqual([
			['jane@example.jp', 'userunknown'],
		]);
	});
});

describe('reasons', () => {
	it.each([
		['550 5.7.1 <jane@example.jp>: No such user here', '5.7.1', '550'],
		['550 5.0.0 <jane@example.jp>... No such user', '5.0.0', '550'],
		['550 5.0.0 jane@example.jp does not exist', '5.0.0', '550'],
		['550 5.7.1 Requested action not taken: No mail box available for this user', '5.7.1', '550'],
		['550 No mail box available', '', '550'],
		['553 sorry, badrcptto (user mail-box not found) (#5.7.1)', '5.7.1', '553'],
		['550 BAD_RECIPIENT - see https://mail.example.jp/undelivered', '', '550'],
	])('reads "%s" as a dead address', (diagnostic, status, reply) => {
		expect(c(diagnostic, status, reply, { command: 'RCPT' })).toBe('userunknown');
	});

	it.each([
		['451 4.4.7 Message expired, delivery attempts abandoned', 'expired'],
		['Message could not be delivered after 12 attempts', 'expired'],
		['452 4.2.2 The recipient is over their storage limit', 'mailboxfull'],
		['451 4.3.0 Temporary local problem - please try later', 'systemerror'],
		['451 Requested action aborted: error in processing', 'systemerror'],
	])('reads "%s" by its words, not as on hold', (diagnostic, reason) => {
		expect(c(diagnostic, '', diagnostic.slice(0, 3).trim(), { action: 'failed' })).toBe(reason);
	});

	it('reads the resolver\'s "Name or service not known" as an unknown host', () => {
		expect(c('[mx.example.jp]: Name or service not known', '5.0.0', '', { action: 'failed' })).toBe(
			'hostunknown',
		);
	});

	it.each([
		['504 5.5.2 <mx.shop.example>: Helo command rejected: Host not found', 'blocked'],
		["Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)", 'networkerror'],
		['451 4.4.3 Directory server failure', 'networkerror'],
	])('reads "%s" as a network error or a block, not an unknown host', (diagnostic, reason) => {
		const status = /\d\.\d\.\d/.exec(diagnostic)?.[0] ?? '';
		expect(c(diagnostic, status, '', { action: 'failed' })).toBe(reason);
	});
});

describe('kinds', () => {
	it('reads an old Sendmail report naming no recipient, with deferred replies, as a permanent failure', async () => {
		const r = await parseBounce(
			plain(
				'From: Mail Delivery Subsystem <MAILER-DAEMON@mx.shop.example>\nTo: sales@shop.example\n' +
					'Subject: Returned mail: Cannot send message for 5 days',
				'The original message was received at Tue, 24 Nov 2026 09:12:01 +0900\n' +
					'from shop.example [192.0.2.10]\n\n' +
					'   ----- Transcript of session follows -----\n' +
					'451 4.4.1 reply: read error from mx.example.jp.\n' +
					'421 mx.example.jp (smtp)... Deferred: Connection refused by mx.example.jp.\n' +
					'Message could not be delivered for 5 days\nMessage will be deleted from queue\n\n' +
					'   ----- Original message follows -----\n\n' +
					'From: Sales <sales@shop.example>\nTo: Jane <jane@example.jp>\nSubject: quote\n\nHello\n',
			),
		);
		expect(r.kind).toBe('failure');
		expect(r.failures[0]).toMatchObject({
			recipient: 'jane@example.jp',
			action: 'failed',
			reason: 'expired',
		});
	});

	it('does not report a challenge-response notice dressed as a DSN as a failure', async () => {
		const raw = crlf(`From: Guest List <noreply@guard.example>
Reply-To: jane@example.jp
To: Sales <sales@shop.example>
Subject: Re: quote
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Hello Sales,

I received your message about "quote". I use a challenge-response service to
keep my inbox free of spam: to have your message delivered, please confirm that
you are a person by visiting the link below. You only need to do this once and
you will be added to my approved senders list.

  https://guard.example/confirm?id=abc123

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; guard.example

Final-Recipient: rfc822; jane@example.jp
Action: failed
Status: 4.7.0

--B--
`);
		const r = await parseBounce(raw);
		expect(r.failures.some((f) => f.action === 'failed')).toBe(false);
		expect(r.kind).toBe('autoreply');
	});

	it('reads an answer sent with a null return path and Precedence: bulk as an auto-reply', async () => {
		const r = await parseBounce(
			crlf(`Return-Path: <>
From: Jane Doe <jane@example.jp>
To: <sales@shop.example>
Subject: Thank you for your e-mail
Date: Sun, 29 Nov 2026 10:15:00 +0100
Message-ID: <ack-1@example.jp>
Precedence: bulk
MIME-Version: 1.0
Content-Type: text/plain

Thank you for your e-mail. I will reply as soon as possible.

Jane
`),
		);
		expect(r.kind).toBe('autoreply');
		expect(r.failures.map((f) => f.recipient)).toEqual(['jane@example.jp']);
	});
});

describe('bare local parts', () => {
	it("completes Sendmail's line for a local mailbox", async () => {
		const raw = plain(
			'From: Mail Delivery Subsystem <MAILER-DAEMON@mail.example.jp>\nTo: sales@shop.example\n' +
				'Subject: Returned mail: see transcript for details',
			'   ----- The following addresses had permanent fatal errors -----\n<janedoe>\n' +
				'    (reason: 550 5.1.1 <janedoe>... User unknown)\n\n' +
				'   ----- Transcript of session follows -----\n' +
				'... while talking to localhost:\n>>> RCPT To:<janedoe>\n<<< 550 5.1.1 <janedoe>... User unknown\n' +
				'550 5.1.1 <janedoe>... User unknown\n',
		);
		const r = await parseBounce(raw);
		expect(r.failures.map((f) => [f.recipient, f.reason])).toEqual([
			['janedoe@mail.example.jp', 'userunknown'],
		]);
	});

	it('does not take a host named in a deferral for a local part', async () => {
		const raw = plain(
			'From: Mail Delivery Subsystem <MAILER-DAEMON@mx.shop.example>\nTo: sales@shop.example\n' +
				'Subject: Returned mail: Cannot send message for 5 days',
			'   ----- Transcript of session follows -----\n' +
				'mx.example.jp... Deferred: Connection refused by mx.example.jp.\n' +
				'Message could not be delivered for 5 days\n\n' +
				'   ----- Original message follows -----\n\n' +
				'From: Sales <sales@shop.example>\nTo: Jane <jane@example.jp>\nSubject: quote\n\nHello\n',
		);
		expect(await recipients(raw)).toEqual(['jane@example.jp']);
	});
});

describe('automatic answers that refuse the address', () => {
	it('reads an auto-replied "not a valid user here" from a null sender as a failure', async () => {
		const raw = crlf(`Return-Path: <>
From: <>
To: sales@shop.example
In-Reply-To: <q-1@shop.example>
Auto-Submitted: auto-replied
Message-Id: <E1abc-0001@mx.example.jp>
Date: Sun, 29 Nov 2026 10:15:00 +0000

You sent mail to jane@example.jp. That's not a valid user here.
`);
		const r = await parseBounce(raw);
		expect(r.kind).toBe('failure');
		expect(r.failures.map((f) => [f.recipient, f.reason])).toEqual([
			['jane@example.jp', 'userunknown'],
		]);
	});
});
