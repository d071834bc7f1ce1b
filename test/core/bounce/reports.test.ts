import { parseBounce } from '../../../core/bounce';

const crlf = (s: string) => s.replace(/\n/g, '\r\n');

const DSN_MAIL = crlf(`From: Mail Delivery System <MAILER-DAEMON@mx.sender.example>
To: sales@sender.example
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain

The mail system could not deliver your message.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.example
Original-Envelope-Id: 0123456789abcdef
Arrival-Date: Mon, 3 Jun 2024 09:00:00 +0000

Final-Recipient: rfc822; gone@dest.example
Original-Recipient: rfc822;gone@dest.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.dest.example
Diagnostic-Code: smtp; 550 5.1.1 <gone@dest.example>: Recipient address
    rejected: User unknown in virtual mailbox table

Final-Recipient: rfc822; full@dest.example
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full

--B1
Content-Type: message/rfc822

Message-ID: <campaign-42@sender.example>
From: Sales <sales@sender.example>
To: gone@dest.example, full@dest.example
Subject: Our offer
Date: Mon, 3 Jun 2024 08:59:00 +0000

Hello
--B1--
`);

const ARF_MAIL = crlf(`From: feedback@isp.example
To: abuse@sender.example
Subject: Abuse report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an abuse report.
--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ISP-FBL/1.0
Version: 1
Original-Mail-From: <sales@sender.example>
Original-Rcpt-To: <reader@isp.example>
Arrival-Date: Tue, 4 Jun 2024 10:00:00 +0000

--F
Content-Type: message/rfc822

Message-ID: <campaign-43@sender.example>
Subject: Offer
To: reader@isp.example

Hi
--F--
`);

const VACATION = crlf(`From: Pat <pat@client.example>
To: sales@sender.example
Subject: Out of Office: Our offer
Auto-Submitted: auto-replied
In-Reply-To: <campaign-44@sender.example>
Content-Type: text/plain

I am away until Monday.
`);

const PLAIN = crlf(`From: Joe <joe@friend.example>
To: sales@sender.example
Subject: Re: Our offer
Content-Type: text/plain

Please send me the details, my colleague is kim@friend.example.
`);

describe('parseBounce', () => {
	it('reads a DSN: recipients, codes, reasons, links', async () => {
		const r = await parseBounce(Buffer.from(DSN_MAIL));
		expect(r.kind).toBe('failure');
		expect(r.reportingMta).toBe('mx.sender.example');
		expect(r.failures).toHaveLength(2);
		expect(r.failures[0]).toMatchObject({
			recipient: 'gone@dest.example',
			action: 'failed',
			status: '5.1.1',
			replyCode: '550',
			reason: 'userunknown',
			hard: true,
			remoteMta: 'mx.dest.example',
		});
		expect(r.failures[0].diagnostic).toContain('User unknown in virtual mailbox table');
		expect(r.failures[1]).toMatchObject({
			action: 'delayed',
			reason: 'mailboxfull',
			hard: false,
			replyCode: '452',
		});
		expect(r.original).toMatchObject({
			messageId: '<campaign-42@sender.example>',
			envelopeId: '0123456789abcdef',
			subject: 'Our offer',
			from: 'sales@sender.example',
			recipients: ['gone@dest.example', 'full@dest.example'],
		});
		expect(r.original.links[0]).toEqual({
			method: 'envelope-id',
			value: '0123456789abcdef',
			confidence: 'high',
		});
		expect(r.original.links).toContainEqual({
			method: 'message-id',
			value: '<campaign-42@sender.example>',
			confidence: 'high',
		});
		expect(
			r.original.links.some((l) => l.method === 'subject-recipient' && l.confidence === 'low'),
		).toBe(true);
	});

	it('accepts a string and a Uint8Array', async () => {
		expect((await parseBounce(DSN_MAIL)).failures).toHaveLength(2);
		expect((await parseBounce(new Uint8Array(Buffer.from(DSN_MAIL)))).failures).toHaveLength(2);
	});

	it('reads an ARF complaint', async () => {
		const r = await parseBounce(ARF_MAIL);
		expect(r.kind).toBe('complaint');
		expect(r.failures).toEqual([
			expect.objectContaining({
				recipient: 'reader@isp.example',
				action: 'complaint',
				reason: 'feedback',
				feedbackType: 'abuse',
				hard: false,
			}),
		]);
		expect(r.original.messageId).toBe('<campaign-43@sender.example>');
	});

	it('keeps a complaint whose provider removed the recipient, linked to the original message', async () => {
		const redacted = ARF_MAIL.replace('Original-Rcpt-To: <reader@isp.example>\r\n', '').replace(
			'To: reader@isp.example',
			'To: "undisclosed"',
		);
		const r = await parseBounce(redacted);
		expect(r.kind).toBe('complaint');
		expect(r.failures).toEqual([
			expect.objectContaining({
				recipient: '',
				action: 'complaint',
				reason: 'feedback',
				feedbackType: 'abuse',
			}),
		]);
		expect(r.original.messageId).toBe('<campaign-43@sender.example>');
	});

	it('reads an Amazon SES bounce inside an SNS notification whose long line was folded', async () => {
		const event = JSON.stringify({
			notificationType: 'Bounce',
			bounce: {
				bounceType: 'Permanent',
				bounceSubType: 'General',
				bouncedRecipients: [
					{
						emailAddress: 'gone@client.example',
						action: 'failed',
						status: '5.1.1',
						diagnosticCode: 'smtp; 550 5.1.1 user unknown',
					},
				],
				timestamp: '2024-06-04T10:00:00.000Z',
			},
			mail: { commonHeaders: { messageId: '<campaign-45@sender.example>', subject: 'Our offer' } },
		});
		const envelope = `{\n  "Type" : "Notification",\n  "MessageId" : "0f1e",\n  "Message" : ${JSON.stringify(event)},\n  "Timestamp" : "2024-06-04T10:00:01.000Z"\n}`;
		// a mail system folded the long line: a line break and a space inside the JSON string
		const folded = envelope.replace(/(.{76})/, '$1\n ');
		const mail = crlf(
			`From: SES <no-reply@sns.amazonaws.com>\nTo: sales@sender.example\nSubject: AWS Notification Message\nContent-Type: text/plain; charset=UTF-8\n\n${folded}\n`,
		);
		const r = await parseBounce(mail);
		expect(r.kind).toBe('failure');
		expect(r.failures).toEqual([
			expect.objectContaining({
				recipient: 'gone@client.example',
				status: '5.1.1',
				reason: 'userunknown',
				hard: true,
			}),
		]);
	});

	it('reads an auto-reply and links it by In-Reply-To', async () => {
		const r = await parseBounce(VACATION);
		expect(r.kind).toBe('autoreply');
		expect(r.failures).toEqual([
			expect.objectContaining({
				recipient: 'pat@client.example',
				action: 'autoreply',
				reason: 'vacation',
			}),
		]);
		expect(r.original.links).toContainEqual({
			method: 'in-reply-to',
			value: '<campaign-44@sender.example>',
			confidence: 'high',
		});
	});

	it('does not report an ordinary reply', async () => {
		const r = await parseBounce(PLAIN);
		expect(r.kind).toBe('not-a-report');
		expect(r.failures).toEqual([]);
	});

	it.each([
		['empty', ''],
		['only headers', 'Subject: x\r\n'],
		['binary', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256))],
		['truncated MIME', DSN_MAIL.slice(0, 700)],
		[
			'wrong charset',
			DSN_MAIL.replace(
				'Content-Type: text/plain',
				'Content-Type: text/plain; charset=x-no-such-charset',
			),
		],
	])('never throws on bad input: %s', async (_name, input) => {
		const r = await parseBounce(input as string);
		expect(Array.isArray(r.failures)).toBe(true);
		expect(r.original.links).toBeDefined();
	});

	it('reads a header bomb and says it was cut', async () => {
		const bomb =
			'X-Bomb: ' + 'a'.repeat(200000) + '\r\n' + 'Y: b\r\n'.repeat(50000) + '\r\n' + DSN_MAIL;
		const r = await parseBounce(bomb);
		expect(r.problems?.length).toBeGreaterThan(0);
	});
});
