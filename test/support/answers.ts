/**
 * Answers to a sent message, written for these tests: an out-of-office reply (RFC 3834), a moved
 * notice naming a new address (Exchange inbox rule), a ticket acknowledgement, a person's reply, and
 * a bounce that quotes In-Reply-To (it must stay a bounce). Each takes the Message-ID it answers.
 */
const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

export interface AnswerMailOptions {
	/** The Message-ID answered, with angle brackets. */
	inReplyTo: string;
	/** Who answers (the lead). */
	from?: string;
	/** Who sent the message answered (our sender). */
	to?: string;
	subject?: string;
	date?: Date;
	messageId?: string;
}

function head(o: AnswerMailOptions, extra: string[]): string {
	const id = o.messageId ?? `<answer-${Math.random().toString(36).slice(2)}@lead.example>`;
	return [
		`From: Lead <${o.from ?? 'lead@client.example'}>`,
		`To: ${o.to ?? 'sales@shop.example'}`,
		`Date: ${(o.date ?? new Date()).toUTCString()}`,
		`Message-ID: ${id}`,
		`In-Reply-To: ${o.inReplyTo}`,
		`References: ${o.inReplyTo}`,
		...extra,
		'MIME-Version: 1.0',
		'Content-Type: text/plain; charset=utf-8',
	].join('\n');
}

export function outOfOffice(o: AnswerMailOptions): string {
	const subject = `Out of Office: ${o.subject ?? 'Our offer'}`;
	return crlf(`${head(o, [`Subject: ${subject}`, 'Auto-Submitted: auto-replied', 'Precedence: auto_reply'])}

Hello,

I am out of the office until 12 December with limited access to email.
For urgent matters please call the front desk.

Kind regards
`);
}

export function movedNotice(o: AnswerMailOptions & { newAddress: string }): string {
	const subject = `Automatic reply: ${o.subject ?? 'Our offer'}`;
	const extra = [
		`Subject: ${subject}`,
		'Auto-Submitted: auto-generated',
		'X-MS-Exchange-Inbox-Rules-Loop: lead@client.example',
		'X-Auto-Response-Suppress: All',
	];
	return crlf(`${head(o, extra)}

Thank you for your email. Pat Lee has left the company as of 1 November.
For anything Pat used to handle, please write to ${o.newAddress} from now on.

Client Example Ltd, Harbour Road 3
`);
}

export function ticketAcknowledgement(o: AnswerMailOptions): string {
	const subject = `[Ticket #48213] We received your request: ${o.subject ?? 'Our offer'}`;
	return crlf(`${head(o, [`Subject: ${subject}`, 'Auto-Submitted: auto-generated', 'Precedence: bulk'])}

Hello,

this is an automatic confirmation: your message reached our support desk and
ticket #48213 was opened. An agent will get back to you within one business day.

Client Example Support
`);
}

export function humanReply(o: AnswerMailOptions): string {
	const subject = `Re: ${o.subject ?? 'Our offer'}`;
	return crlf(`${head(o, [`Subject: ${subject}`])}

Thanks, that sounds good. Could you send me the price list for 50 seats?
Call me on Thursday if that suits you.

Sam

On Mon, 16 Nov 2026 at 09:30, Sales <sales@shop.example> wrote:
> Hello Sam,
> here is our offer for the licences we talked about.
`);
}

/** A Postfix-style DSN for a message that itself answered one of ours: a failure, never an answer. */
export function bounceWithInReplyTo(o: AnswerMailOptions & { failed: string }): string {
	return crlf(`From: Mail Delivery System <MAILER-DAEMON@mx.shop.example>
To: ${o.to ?? 'sales@shop.example'}
Date: ${(o.date ?? new Date()).toUTCString()}
Subject: Undelivered Mail Returned to Sender
In-Reply-To: ${o.inReplyTo}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="R1"

--R1
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

<${o.failed}>: host mx.client.example said: 550 5.1.1 User unknown

--R1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.shop.example

Final-Recipient: rfc822; ${o.failed}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <${o.failed}>: Recipient address rejected: User unknown

--R1
Content-Type: text/rfc822-headers

From: ${o.to ?? 'sales@shop.example'}
To: ${o.failed}
Subject: ${o.subject ?? 'Our offer'}
Message-ID: ${o.inReplyTo}

--R1--
`);
}
