import { DeliveryError } from '../../../core/errors';
import { formatAddress, isValidAddress, parseAddressList } from '../../../core/message/addresses';
import {
	composeChecked,
	composeMessage,
	MAX_HEADER_LENGTH,
	MAX_RECIPIENTS,
	type MessageInput,
} from '../../../core/message/compose';
import { show, showAt } from '../../../core/message/show';
import { buildMime } from '../../../core/message/mime';
import { simpleParser } from '../../helpers/parse-mail';

const base: MessageInput = {
	identity: 'Jane Doe <jane@example.com>',
	to: 'lead@example.org',
	subject: 'Hello',
	emailFormat: 'text',
	text: 'Hi there',
};

function inputErrorOf(fn: () => unknown): DeliveryError {
	try {
		fn();
	} catch (error) {
		expect(error).toBeInstanceOf(DeliveryError);
		expect((error as DeliveryError).code).toBe('EINPUT');
		return error as DeliveryError;
	}
	throw new Error('expected an input error');
}

describe('addresses', () => {
	it.each([
		'a@b.co',
		'first.last+tag@sub.example.com',
		'x@[127.0.0.1]',
		'jane@müller.de',
		'jane@xn--mller-kva.de',
		'"quoted name"@example.com',
	])('accepts %s', (address) => {
		expect(isValidAddress(address)).toBe(true);
	});

	it.each([
		'',
		'plain',
		'@example.com',
		'a@',
		'a@localhost',
		'a b@example.com',
		'a..b@example.com',
		'a@-bad-.com',
		`${'x'.repeat(65)}@example.com`,
		// SMTPUTF8 is not promised by every server on the way: refused, not sent and lost.
		'jürgen@müller.de',
		'jane@xn--zz.com',
		'a:b@example.com',
		'jane@example.com.',
		'jane@ex_ample.com',
		'jane@[300.1.1.1]',
	])('rejects %j', (address) => {
		expect(isValidAddress(address)).toBe(false);
	});

	it('parses lists with names, groups and stray commas', () => {
		expect(
			parseAddressList(
				'to',
				'To Email',
				'a@example.com, "Doe, Jane" <jane@example.com>,, team: b@example.com;',
			),
		).toEqual([
			{ name: '', address: 'a@example.com' },
			{ name: 'Doe, Jane', address: 'jane@example.com' },
			{ name: '', address: 'b@example.com' },
		]);
	});

	it('accepts arrays and address objects from expressions', () => {
		expect(
			parseAddressList('to', 'To Email', [
				'a@example.com',
				{ name: 'B', address: 'b@example.com' },
			]).map((entry) => entry.address),
		).toEqual(['a@example.com', 'b@example.com']);
	});

	it('names the field and the value of a bad address', () => {
		const error = inputErrorOf(() =>
			parseAddressList('options.cc', 'CC Email', 'good@example.com, not-an-address'),
		);
		expect(error.field).toBe('options.cc');
		expect(error.message).toContain('CC Email');
		expect(error.message).toContain('not-an-address');
	});

	it('writes internationalised domains in ASCII, for the envelope and the headers', () => {
		expect(parseAddressList('to', 'To Email', 'Jörg <joerg@bücher.de>, b@例え.テスト')).toEqual([
			{ name: 'Jörg', address: 'joerg@xn--bcher-kva.de' },
			{ name: '', address: 'b@xn--r8jz45g.xn--zckzah' },
		]);
	});

	it('takes semicolons, groups and a pasted mailto: as a lenient reader would, and guesses nothing else', () => {
		expect(
			parseAddressList('to', 'To Email', 'a@example.com; b@example.com').map(
				(entry) => entry.address,
			),
		).toEqual(['a@example.com', 'b@example.com']);
		expect(
			parseAddressList('to', 'To Email', 'mailto:a@example.com').map((entry) => entry.address),
		).toEqual(['a@example.com']);
		expect(parseAddressList('to', 'To Email', 'a@example.com (Jane Doe)')).toEqual([
			{ name: 'Jane Doe', address: 'a@example.com' },
		]);
		// nodemailer's parser reads these as doe@example.com and as a@example.com alone.
		expect(
			inputErrorOf(() => parseAddressList('to', 'To Email', 'jane doe@example.com')).message,
		).toContain('"jane doe@example.com": it contains a space');
		expect(
			inputErrorOf(() => parseAddressList('to', 'To Email', 'Jane <a@example.com> <b@example.com>'))
				.message,
		).toContain('more than one address');
		expect(
			inputErrorOf(() => parseAddressList('to', 'To Email', 'Jane <a@example.com')).message,
		).toContain('not closed');
		expect(
			inputErrorOf(() => parseAddressList('to', 'To Email', 'Doe, Jane <jane@example.com>')).hint,
		).toContain('"Doe, Jane" <jane@example.com>');
	});

	it('shows control characters escaped and refuses them anywhere in an entry', () => {
		const error = inputErrorOf(() =>
			parseAddressList('options.cc', 'CC Email', 'ok@example.com, Jane\u0000 <j@example.com>'),
		);
		expect(error.message).toBe('CC Email contains a NUL character: "Jane\\u0000 <j@example.com>"');
	});

	it('says what an expression gave when it is no address', () => {
		expect(inputErrorOf(() => parseAddressList('to', 'To Email', { a: 1 })).message).toBe(
			'To Email must be text or a list of addresses, got an object: {"a":1}',
		);
		expect(
			inputErrorOf(() => parseAddressList('to', 'To Email', null, { required: true })).message,
		).toBe('To Email is empty (the value is null)');
		expect(inputErrorOf(() => parseAddressList('to', 'To Email', [1, 2])).message).toContain(
			'in the list [1,2]',
		);
	});

	it('quotes display names that need it', () => {
		expect(formatAddress({ name: 'Doe, Jane', address: 'j@example.com' })).toBe(
			'"Doe, Jane" <j@example.com>',
		);
		expect(formatAddress({ name: 'Jane', address: 'j@example.com' })).toBe('Jane <j@example.com>');
	});
});

describe('composeMessage', () => {
	it('builds one message with a Message-ID on the identity domain', () => {
		const message = composeMessage(
			{ ...base, cc: 'c@example.net', bcc: 'b@example.net' },
			'dc-fixed',
		);
		expect(message.messageId).toBe('<dc-fixed@example.com>');
		expect(message.identity).toEqual({ name: 'Jane Doe', address: 'jane@example.com' });
		expect(message.to.map((entry) => entry.address)).toEqual(['lead@example.org']);
		expect(message.text).toBe('Hi there');
		expect(message.html).toBeUndefined();
	});

	it('gives every message its own delivery id', () => {
		expect(composeMessage(base).deliveryId).not.toBe(composeMessage(base).deliveryId);
	});

	it.each([
		['identity', { identity: '' }],
		['identity', { identity: 'a@example.com, b@example.com' }],
		['to', { to: '' }],
		['to', { to: 'nobody' }],
		['subject', { subject: 'Hi\r\nBcc: victim@example.com' }],
		['options.inReplyTo', { inReplyTo: 'no-brackets-and-no-at' }],
		['options.headers', { headers: [{ name: 'X-Ok', value: 'line\nbreak' }] }],
		['options.headers', { headers: [{ name: 'Bad Name', value: 'v' }] }],
		['options.headers', { headers: [{ name: 'From', value: 'x@example.com' }] }],
		['emailFormat', { emailFormat: 'pdf' }],
	])('refuses a bad %s', (field, patch) => {
		const error = inputErrorOf(() =>
			composeMessage({ ...base, ...(patch as Partial<MessageInput>) }),
		);
		expect(error.field).toBe(field);
	});

	it('leaves out duplicate recipients (any case), keeping the first place, and says so', () => {
		const { message, warnings } = composeChecked({
			...base,
			to: 'a@example.com, A@Example.com',
			cc: 'a@example.com, c@example.com',
			bcc: 'C@example.com, d@example.com',
		});
		expect(message.to.map((entry) => entry.address)).toEqual(['a@example.com']);
		expect(message.cc.map((entry) => entry.address)).toEqual(['c@example.com']);
		expect(message.bcc.map((entry) => entry.address)).toEqual(['d@example.com']);
		expect(warnings).toEqual([
			'Left out duplicate recipients so nobody gets this message twice: A@Example.com (twice in To Email), a@example.com (in To Email and CC Email), C@example.com (in CC Email and BCC Email).',
		]);
	});

	it(`allows ${MAX_RECIPIENTS} recipients and names the field that goes over`, () => {
		const list = (count: number, prefix: string) =>
			Array.from({ length: count }, (_, i) => `${prefix}${i}@example.com`).join(', ');
		expect(composeMessage({ ...base, to: list(300, 't'), cc: list(200, 'c') }).cc).toHaveLength(
			200,
		);
		const error = inputErrorOf(() =>
			composeMessage({
				...base,
				to: list(300, 't'),
				cc: list(200, 'c'),
				bcc: 'one-more@example.com',
			}),
		);
		expect(error.field).toBe('options.bcc');
		expect(error.message).toContain('501 recipients');
		expect(error.hint).toContain('Microsoft 365');
	});

	it('allows an empty Subject and one of 998 characters, not 999; drops a line break at either end only', () => {
		expect(composeMessage({ ...base, subject: '' }).subject).toBe('');
		expect(
			composeMessage({ ...base, subject: 'x'.repeat(MAX_HEADER_LENGTH) }).subject,
		).toHaveLength(998);
		expect(
			inputErrorOf(() => composeMessage({ ...base, subject: 'x'.repeat(999) })).message,
		).toMatch(/^Subject is 999 characters long, over the limit of 998: "x{80}…"$/);
		expect(composeMessage({ ...base, subject: 'Offer\r\n' }).subject).toBe('Offer');
		expect(
			inputErrorOf(() => composeMessage({ ...base, subject: 'Offer\rBcc: x@example.com' })).message,
		).toBe('Subject contains a line break: "Offer\\rBcc: x@example.com"');
	});

	it('reads Message-IDs across line breaks and refuses anything else in them', () => {
		expect(composeMessage({ ...base, references: '<a@x.com>\r\n <b@x.com>' }).references).toEqual([
			'<a@x.com>',
			'<b@x.com>',
		]);
		const error = inputErrorOf(() =>
			composeMessage({ ...base, inReplyTo: '<a@x.com>\r\nBcc: v@x.com' }),
		);
		expect(error.message).toBe('In Reply To has an invalid Message-ID: "Bcc:"');
		expect(inputErrorOf(() => composeMessage({ ...base, references: '<ü@x.com>' })).field).toBe(
			'options.references',
		);
	});

	it.each([
		[[{ name: 'content-disposition', value: 'inline' }], 'is set by the node'],
		[
			[
				{ name: 'X-A', value: '1' },
				{ name: 'x-a', value: '2' },
			],
			'is set twice',
		],
		[[{ name: '', value: 'orphan' }], 'has a value but no name'],
		[[{ name: 'X-A', value: 'v'.repeat(999) }], 'over the limit of 998'],
	])('refuses custom headers %j', (headers, text) => {
		const error = inputErrorOf(() => composeMessage({ ...base, headers }));
		expect(error.field).toBe('options.headers');
		expect(error.message).toContain(text);
	});

	it('skips an empty custom header row', () => {
		expect(composeMessage({ ...base, headers: [{ name: '', value: '' }] }).headers).toEqual([]);
	});

	it('sends an attachment named with folders under its base name, with a warning', () => {
		const file = (filename: string) => ({
			filename,
			contentType: 'text/plain',
			content: Buffer.from('x'),
			inline: false,
		});
		const { message, warnings } = composeChecked({
			...base,
			attachments: [file('../../etc/passwd'), file('C:\\x\\y.pdf')],
		});
		expect(message.attachments.map((attachment) => attachment.filename)).toEqual([
			'passwd',
			'y.pdf',
		]);
		expect(warnings).toHaveLength(2);
		expect(warnings[0]).toBe(
			'Attachment "../../etc/passwd" is sent as "passwd": folder names are left out of attachment names.',
		);
		expect(
			inputErrorOf(() => composeMessage({ ...base, attachments: [file('a\r\nb.txt')] })).message,
		).toBe('Attachment file name contains a line break: "a\\r\\nb.txt"');
		expect(
			inputErrorOf(() => composeMessage({ ...base, attachments: [file('/tmp/')] })).message,
		).toContain('has no name after its folders');
	});

	it('refuses a Content ID two inline attachments share, or one with spaces', () => {
		const inline = (contentId: string) => ({
			filename: 'a.png',
			contentType: 'image/png',
			content: Buffer.from('x'),
			inline: true,
			contentId,
		});
		expect(
			inputErrorOf(() => composeMessage({ ...base, attachments: [inline('logo'), inline('LOGO')] }))
				.message,
		).toContain('used by two inline attachments');
		expect(
			inputErrorOf(() => composeMessage({ ...base, attachments: [inline('my logo')] })).message,
		).toContain('Content ID "my logo" is not valid');
	});

	it('adds In-Reply-To to References so threads hold together', () => {
		const message = composeMessage({ ...base, inReplyTo: '<a@x.com>', references: '<b@x.com>' });
		expect(message.inReplyTo).toBe('<a@x.com>');
		expect(message.references).toEqual(['<b@x.com>', '<a@x.com>']);
	});

	it('refuses attachments over the size limit before anything is sent', () => {
		const attachments = [
			{
				filename: 'big.bin',
				contentType: 'application/octet-stream',
				content: Buffer.alloc(2048),
				inline: false,
			},
		];
		const error = inputErrorOf(() =>
			composeMessage({ ...base, attachments, maxAttachmentBytes: 1024 }),
		);
		expect(error.message).toContain('big.bin');
		expect(
			composeMessage({ ...base, attachments, maxAttachmentBytes: 4096 }).attachments,
		).toHaveLength(1);
	});
});

describe('buildMime', () => {
	it('writes headers, both bodies, attachments and inline parts; keeps Bcc out', async () => {
		const message = composeMessage({
			...base,
			emailFormat: 'both',
			html: '<p>Hi <img src="cid:logo"></p>',
			bcc: 'hidden@example.net',
			replyTo: 'replies@example.com',
			headers: [{ name: 'X-Campaign', value: 'Q4' }],
			inReplyTo: '<earlier@example.com>',
			attachments: [
				{
					filename: 'offer.pdf',
					contentType: 'application/pdf',
					content: Buffer.from('%PDF-1.4 test'),
					inline: false,
				},
				{
					filename: 'logo.png',
					contentType: 'image/png',
					content: Buffer.from('png-bytes'),
					inline: true,
					contentId: 'logo',
				},
			],
		});
		const raw = await buildMime(message);
		const parsed = await simpleParser(raw);
		expect(parsed.messageId).toBe(message.messageId);
		expect(parsed.from?.address).toBe('jane@example.com');
		expect(parsed.subject).toBe('Hello');
		expect(parsed.text?.trim()).toBe('Hi there');
		expect(parsed.html).toContain('cid:logo');
		expect(parsed.inReplyTo).toBe('<earlier@example.com>');
		expect(parsed.replyTo?.[0].address).toBe('replies@example.com');
		expect(parsed.headers.find((header) => header.key === 'x-campaign')?.value).toBe('Q4');
		expect(parsed.headers.find((header) => header.key === 'x-delivery-id')?.value).toBe(
			message.deliveryId,
		);
		expect(parsed.headers.some((header) => header.key === 'bcc')).toBe(false);
		const pdf = parsed.attachments.find((attachment) => attachment.filename === 'offer.pdf');
		expect(pdf?.disposition).toBe('attachment');
		expect(Buffer.from(pdf!.content as ArrayBuffer).toString()).toBe('%PDF-1.4 test');
		const logo = parsed.attachments.find((attachment) => attachment.filename === 'logo.png');
		expect(logo?.disposition).toBe('inline');
		expect(logo?.contentId).toBe('<logo>');
	});
});

describe('show', () => {
	it('quotes and escapes text, cuts it on whole characters, and writes lists and objects as JSON', () => {
		expect(show('a\r\nb\u0000')).toBe('"a\\r\\nb\\u0000"');
		expect(show('é'.repeat(100))).toBe(`"${'é'.repeat(80)}…"`);
		expect(show('😀'.repeat(100))).toBe(`"${'😀'.repeat(80)}…"`);
		expect(show({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}');
		expect(show(null)).toBe('null');
		expect(show(42)).toBe('42');
	});

	it('shows the place of a bad character deep inside a long value', () => {
		const text = `${'a'.repeat(200)}\nBcc: x`;
		expect(showAt(text, 200)).toBe(`"…${'a'.repeat(40)}\\nBcc: x"`);
	});
});
