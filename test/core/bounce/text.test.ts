import { parseText, splitNotification, unquote } from '../../../core/bounce/text';
import { findBlocks } from '../../../core/bounce/textAnchors';
import { findReplyCode, findStatus } from '../../../core/bounce/util';

const EXIM = `This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  alice@example.net
    SMTP error from remote mail server after RCPT TO:<alice@example.net>:
    host mx.example.net [192.0.2.1]: 550 5.1.1 <alice@example.net>: Recipient address rejected: User unknown
  bob@example.net
    SMTP error from remote mail server after RCPT TO:<bob@example.net>:
    host mx.example.net [192.0.2.1]: 452 4.2.2 Mailbox full

------ This is a copy of the message, including all the headers. ------

Message-Id: <orig-1@sender.example>
Subject: Hello
`;

const QMAIL = `Hi. This is the qmail-send program at mail.example.org.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<carol@example.com>:
192.0.2.9 does not like recipient.
Remote host said: 550 Requested action not taken: mailbox unavailable
Giving up on 192.0.2.9.

--- Below this line is a copy of the message.
`;

const SENDMAIL_TRANSCRIPT = `   ----- Transcript of session follows -----
... while talking to mx.example.com.:
>>> RCPT To:<dave@example.com>
<<< 550 5.1.1 <dave@example.com>... User unknown
550 5.1.1 <dave@example.com>... User unknown
`;

describe('plain-text reports', () => {
	it('parses an Exim report with two recipients in order', () => {
		const r = parseText(EXIM, new Set(), []);
		expect(r.recipients.map((x) => [x.recipient, x.replyCode, x.status])).toEqual([
			['alice@example.net', '550', '5.1.1'],
			['bob@example.net', '452', '4.2.2'],
		]);
		expect(r.original).toContain('Message-Id: <orig-1@sender.example>');
	});

	it('parses a qmail report', () => {
		const r = parseText(QMAIL, new Set(), []);
		expect(r.recipients).toHaveLength(1);
		expect(r.recipients[0]).toMatchObject({
			recipient: 'carol@example.com',
			replyCode: '550',
			action: 'failed',
		});
		expect(r.recipients[0].diagnostic).toContain('mailbox unavailable');
	});

	it('parses a Sendmail transcript once per address', () => {
		const r = parseText(SENDMAIL_TRANSCRIPT, new Set(), []);
		expect(r.recipients.map((x) => x.recipient)).toEqual(['dave@example.com']);
		expect(r.recipients[0].status).toBe('5.1.1');
	});

	it('uses X-Failed-Recipients as the authoritative list', () => {
		const r = parseText('Delivery failed.\n\nSomething went wrong: 550 no such user\n', new Set(), [
			'erin@example.org',
		]);
		expect(r.recipients.map((x) => x.recipient)).toEqual(['erin@example.org']);
		expect(r.recipients[0].replyCode).toBe('550');
	});

	it('treats the report sender as a recipient only when nothing else is named', () => {
		const text =
			'Your message to <frank@example.org> could not be delivered to <frank@example.org>.\nme@example.com wrote:\n';
		const blocks = findBlocks(text, new Set(['me@example.com']));
		expect(blocks.map((b) => b.recipient)).toEqual(['frank@example.org']);
	});

	it('removes forward quoting and finds the returned message marker', () => {
		expect(unquote('> a\n> b\n> c\n> d\n')).toBe('a\nb\nc\nd\n');
		const { notice, original } = splitNotification(
			'notice\n----- Original message -----\nSubject: x\n',
		);
		expect(notice).toBe('notice');
		expect(original).toBe('Subject: x\n');
	});

	it('finds codes without mistaking IP addresses or dates', () => {
		expect(findStatus('host 192.0.2.153 said 550 5.1.1 unknown')).toBe('5.1.1');
		expect(findStatus('host [192.0.2.153]')).toBe('');
		expect(findReplyCode('Remote host said: 552 Mailbox full')).toBe('552');
		expect(findReplyCode('at 23:45:00 2024 nothing')).toBe('');
		expect(findReplyCode('Error message below: 552 - Requested mail action aborted')).toBe('552');
	});

	it('reads the reason written above each bare address (Lotus Notes)', () => {
		const notice = [
			'------- Failure Reasons  --------',
			'',
			'User not listed in public Name & Address Book',
			'aki@corp.example.com',
			'No route found to domain nowhere.example.net from server GW/Shop.',
			'ken@nowhere.example.net',
			'',
		].join('\n');
		const r = parseText(notice, new Set(), [], { notice, original: '' }).recipients;
		expect(r.map((x) => x.recipient)).toEqual(['aki@corp.example.com', 'ken@nowhere.example.net']);
		expect(r[0].diagnostic).toContain('not listed');
		expect(r[0].diagnostic).not.toContain('No route');
		expect(r[1].diagnostic).toContain('No route found');
	});

	it('shares a reason stated once above the list of recipients', () => {
		const notice = [
			'Could not be delivered because of',
			'',
			'552 5.2.2 Mailbox full',
			'',
			'The following recipients were affected:',
			'    paul@corp.example.com',
			'    rita@corp.example.com',
			'',
			'Additional Information',
			'Reporting-MTA:      <gw.corp.example.com>',
		].join('\n');
		const r = parseText(notice, new Set(), [], { notice, original: '' }).recipients;
		expect(r.map((x) => x.replyCode)).toEqual(['552', '552']);
	});

	it('finds "Recipient address:" lines, also for a domain with an underscore', () => {
		const notice = [
			'Your message cannot be delivered to the following recipients:',
			'',
			'  Recipient address: olli@example.jp',
			'  Reason: Remote SMTP server has rejected address',
			'  Diagnostic code: smtp;552 5.3.4 Message size exceeds fixed maximum message size',
			'',
			'  Recipient address: pia@bad_host.example.jp',
			'  Reason: Illegal host/domain name found',
		].join('\n');
		const r = parseText(notice, new Set(), [], { notice, original: '' }).recipients;
		expect(r.map((x) => x.recipient)).toEqual(['olli@example.jp', 'pia@bad_host.example.jp']);
		expect(r[1].diagnostic).toContain('Illegal host');
		expect(r[1].diagnostic).not.toContain('5.3.4');
	});

	it('finds an internationalised address but keeps Japanese words out of it', () => {
		const notice =
			'<jörg.müller@example.de>: host mx.example.de[192.0.2.31] said: 550 5.1.1 User unknown';
		expect(
			parseText(notice, new Set(), [], { notice, original: '' }).recipients.map((x) => x.recipient),
		).toEqual(['jörg.müller@example.de']);
		const jp = [
			'以下のアドレスへの送信に失敗しました。',
			'宛先:taro@example.jp',
			'550 5.1.1 User unknown',
		].join('\n');
		expect(
			parseText(jp, new Set(), [], { notice: jp, original: '' }).recipients.map((x) => x.recipient),
		).toEqual(['taro@example.jp']);
	});

	it('does not read a size or count field as a reply code', () => {
		const notice = [
			'Error: Recipient mailbox is full',
			'',
			'  RCPT TO: a@vtext.example.com',
			'  Size (in bytes): 512',
			'  Number of lines: 4',
		].join('\n');
		const r = parseText(notice, new Set(), [], { notice, original: '' }).recipients;
		expect(r[0].replyCode).toBe('');
	});
});
