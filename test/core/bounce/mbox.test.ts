/** Mailbox files (mbox) holding several messages. Every mail here is written for the test. */
import { parseBounce } from '../../../core/bounce';
import { splitMbox } from '../../../core/bounce/mbox';

const bounce = (recipient: string, code: string) => `Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@out.sender.example>
To: rep@sender.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <${recipient.replace('@', '.')}-report@out.sender.example>

This is the mail system at host out.sender.example.

<${recipient}>: host mx.dest.example[192.0.2.7] said: ${code} (in reply to RCPT TO command)

--- Original message follows.
From: rep@sender.example
To: ${recipient}
Message-ID: <offer-${recipient.replace('@', '.')}@sender.example>
Subject: Offer

>From the desk of the rep: hello
`;

const fromLine = (sender: string) => `From ${sender}  Thu Jul  2 12:05:05 2020\n`;

describe('splitMbox', () => {
	it('splits on From lines with a full date, also without an empty line before them, and unescapes >From', () => {
		const file =
			fromLine('MAILER-DAEMON') +
			bounce('a@dest.example', '550 5.1.1 no such user') +
			'--end--\n' +
			fromLine('MAILER-DAEMON') +
			bounce('b@dest.example', '552 5.2.2 mailbox full');
		const { messages, truncated } = splitMbox(Buffer.from(file));
		expect(truncated).toBe(false);
		expect(messages).toHaveLength(2);
		expect(messages[0].toString()).toMatch(/^Return-Path: <>/);
		expect(messages[1].toString()).toContain('<b@dest.example>');
		expect(messages[1].toString()).toContain('\nFrom the desk of the rep');
	});

	it('leaves a single message and text without mbox From lines alone', () => {
		const one = Buffer.from(
			fromLine('MAILER-DAEMON') + bounce('a@dest.example', '550 5.1.1 no such user'),
		);
		expect(splitMbox(one).messages).toEqual([one]);
		const plain = Buffer.from(
			bounce('a@dest.example', '550 5.1.1 no such user') + '\nFrom here on, nothing.\n',
		);
		expect(splitMbox(plain).messages).toEqual([plain]);
	});
});

describe('parseBounce on a mailbox file', () => {
	it('reports the failures of every bounce in the file, in file order', async () => {
		const file =
			fromLine('MAILER-DAEMON') +
			bounce('a@dest.example', '550 5.1.1 no such user') +
			'\n' +
			fromLine('MAILER-DAEMON') +
			bounce('b@dest.example', '552 5.2.2 mailbox full');
		const r = await parseBounce(file);
		expect(r.kind).toBe('failure');
		expect(r.failures.map((f) => [f.recipient, f.reason, f.hard])).toEqual([
			['a@dest.example', 'userunknown', true],
			['b@dest.example', 'mailboxfull', false],
		]);
		expect(r.original.messageId).toBe('<offer-a.dest.example@sender.example>');
	});

	it('reads a bounce that quotes its original after a From line as one message (the original stays linked)', async () => {
		const quoted = bounce('a@dest.example', '550 5.1.1 no such user').replace(
			'--- Original message follows.\n',
			`--- Original message follows.\n\n${fromLine('rep@sender.example')}`,
		);
		const r = await parseBounce(fromLine('MAILER-DAEMON') + quoted);
		expect(r.failures.map((f) => f.recipient)).toEqual(['a@dest.example']);
		expect(r.original.messageId).toBe('<offer-a.dest.example@sender.example>');
	});
});
