import { DeliveryError } from '../../../../nodes/DeliveryChannel/channels/errors';
import { formatAddress, isValidAddress, parseAddressList } from '../../../../nodes/DeliveryChannel/message/addresses';
import { composeMessage, type MessageInput } from '../../../../nodes/DeliveryChannel/message/compose';
import { buildMime } from '../../../../nodes/DeliveryChannel/message/mime';
import { simpleParser } from '../../../helpers/parse-mail';

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
	it.each(['a@b.co', 'first.last+tag@sub.example.com', 'x@[127.0.0.1]', 'jürgen@müller.de', '"quoted name"@example.com'])('accepts %s', (address) => {
		expect(isValidAddress(address)).toBe(true);
	});

	it.each(['', 'plain', '@example.com', 'a@', 'a@localhost', 'a b@example.com', 'a..b@example.com', 'a@-bad-.com', `${'x'.repeat(65)}@example.com`])(
		'rejects %j',
		(address) => {
			expect(isValidAddress(address)).toBe(false);
		},
	);

	it('parses lists with names, groups and stray commas', () => {
		expect(parseAddressList('to', 'To Email', 'a@example.com, "Doe, Jane" <jane@example.com>,, team: b@example.com;')).toEqual([
			{ name: '', address: 'a@example.com' },
			{ name: 'Doe, Jane', address: 'jane@example.com' },
			{ name: '', address: 'b@example.com' },
		]);
	});

	it('accepts arrays and address objects from expressions', () => {
		expect(parseAddressList('to', 'To Email', ['a@example.com', { name: 'B', address: 'b@example.com' }]).map((entry) => entry.address)).toEqual([
			'a@example.com',
			'b@example.com',
		]);
	});

	it('names the field and the value of a bad address', () => {
		const error = inputErrorOf(() => parseAddressList('options.cc', 'CC Email', 'good@example.com, not-an-address'));
		expect(error.field).toBe('options.cc');
		expect(error.message).toContain('CC Email');
		expect(error.message).toContain('not-an-address');
	});

	it('quotes display names that need it', () => {
		expect(formatAddress({ name: 'Doe, Jane', address: 'j@example.com' })).toBe('"Doe, Jane" <j@example.com>');
		expect(formatAddress({ name: 'Jane', address: 'j@example.com' })).toBe('Jane <j@example.com>');
	});
});

describe('composeMessage', () => {
	it('builds one message with a Message-ID on the identity domain', () => {
		const message = composeMessage({ ...base, cc: 'c@example.net', bcc: 'b@example.net' }, 'dc-fixed');
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
		const error = inputErrorOf(() => composeMessage({ ...base, ...(patch as Partial<MessageInput>) }));
		expect(error.field).toBe(field);
	});

	it('adds In-Reply-To to References so threads hold together', () => {
		const message = composeMessage({ ...base, inReplyTo: '<a@x.com>', references: '<b@x.com>' });
		expect(message.inReplyTo).toBe('<a@x.com>');
		expect(message.references).toEqual(['<b@x.com>', '<a@x.com>']);
	});

	it('refuses attachments over the size limit before anything is sent', () => {
		const attachments = [{ filename: 'big.bin', contentType: 'application/octet-stream', content: Buffer.alloc(2048), inline: false }];
		const error = inputErrorOf(() => composeMessage({ ...base, attachments, maxAttachmentBytes: 1024 }));
		expect(error.message).toContain('big.bin');
		expect(composeMessage({ ...base, attachments, maxAttachmentBytes: 4096 }).attachments).toHaveLength(1);
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
				{ filename: 'offer.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4 test'), inline: false },
				{ filename: 'logo.png', contentType: 'image/png', content: Buffer.from('png-bytes'), inline: true, contentId: 'logo' },
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
		expect(parsed.headers.find((header) => header.key === 'x-delivery-id')?.value).toBe(message.deliveryId);
		expect(parsed.headers.some((header) => header.key === 'bcc')).toBe(false);
		const pdf = parsed.attachments.find((attachment) => attachment.filename === 'offer.pdf');
		expect(pdf?.disposition).toBe('attachment');
		expect(Buffer.from(pdf!.content as ArrayBuffer).toString()).toBe('%PDF-1.4 test');
		const logo = parsed.attachments.find((attachment) => attachment.filename === 'logo.png');
		expect(logo?.disposition).toBe('inline');
		expect(logo?.contentId).toBe('<logo>');
	});
});
