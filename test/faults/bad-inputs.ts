/**
 * The bad-input table: each row puts one bad input on the middle item of a batch of three and runs
 * the real node (n8n-core in-process, On Error = Continue (regular output)) on the Custom SMTP channel
 * against a real SMTP server on 127.0.0.1. A row holds when the bad item fails with status 'failed',
 * code EINPUT, the field named and the offending value shown (cut, control characters escaped), the
 * two good items reach the server, and nothing crashes. A few rows are inputs that look wrong but are
 * accepted on purpose (an internationalised domain, "Doe, Jane" <jane@x>, duplicates left out):
 * there the check is what the server received.
 * `runBadInputTable` runs it; `bad-inputs.test.ts` (part of `npm run faults`) prints it and holds it to the rules.
 */
import {
	NodeConnectionTypes,
	type IDataObject,
	type IExecuteFunctions,
	type INode,
	type INodeExecutionData,
	type INodeParameters,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { DeliveryChannel } from '../../nodes/DeliveryChannel/DeliveryChannel.node';
import {
	chain,
	itemsNode,
	manualTrigger,
	node,
	runWorkflow,
	setBinaryDataNode,
	type BinaryFileSpec,
} from '../helpers/n8n';
import { startSmtpServer, type ReceivedMessage, type TestSmtpServer } from '../helpers/smtp-server';
import { simpleParser } from '../helpers/parse-mail';

export interface BadInputResult {
	label: string;
	field?: string;
	/** The item's error message as the user sees it. */
	error: string;
	/** e.g. "2/2" */
	othersSent: string;
	problems: string[];
}

const TYPE = 'CUSTOM.deliveryChannel';
/** Credential values no output may ever contain. */
const SECRET = { user: 'bad-input-user-4b1d', pass: 'bad-input-secret-9c2e7f' };
/** An error longer than this is not "a readable length" any more. */
const READABLE_ERROR = 400;

/** One lead as the Items node emits it; the node's parameters map each field with an expression. */
interface Lead extends IDataObject {
	identity: IDataObject[string];
	to: IDataObject[string];
	cc: IDataObject[string];
	bcc: IDataObject[string];
	replyTo: IDataObject[string];
	subject: IDataObject[string];
	text: IDataObject[string];
	headerName: IDataObject[string];
	headerValue: IDataObject[string];
	inReplyTo: IDataObject[string];
	references: IDataObject[string];
	binaryField: IDataObject[string];
	contentId: IDataObject[string];
	maxMb: IDataObject[string];
	fileName: string;
	fileSize: number;
}

function goodLead(index: number): Lead {
	return {
		identity: 'Sales Team <sales@example.com>',
		to: `lead${index}@example.org`,
		cc: '',
		bcc: '',
		replyTo: '',
		subject: `Offer ${index}`,
		text: 'Hello, here is the offer.',
		headerName: 'X-Campaign',
		headerValue: 'Q4',
		inReplyTo: '',
		references: '',
		binaryField: 'data',
		contentId: 'logo',
		maxMb: 1,
		fileName: 'offer.txt',
		fileSize: 16,
	};
}

const attachments = {
	attachment: [
		{ binaryPropertyName: '={{ $json.binaryField }}', inline: false },
		{ binaryPropertyName: 'logo', inline: true, contentId: '={{ $json.contentId }}' },
	],
};

function baseParameters(): INodeParameters {
	return {
		channel: 'smtp',
		operation: 'send',
		identity: { __rl: true, mode: 'address', value: '={{ $json.identity }}' },
		to: '={{ $json.to }}',
		subject: '={{ $json.subject }}',
		emailFormat: 'both',
		text: '={{ $json.text }}',
		html: '<p>Hello</p><img src="cid:logo">',
		options: {
			cc: '={{ $json.cc }}',
			bcc: '={{ $json.bcc }}',
			replyTo: '={{ $json.replyTo }}',
			inReplyTo: '={{ $json.inReplyTo }}',
			references: '={{ $json.references }}',
			headers: { header: [{ name: '={{ $json.headerName }}', value: '={{ $json.headerValue }}' }] },
			attachments,
			maxAttachmentSizeMb: '={{ $json.maxMb }}',
		},
	};
}

const files: BinaryFileSpec[] = [
	{
		propertyName: 'data',
		fileName: 'offer.txt',
		mimeType: 'text/plain',
		content: '={{ "x".repeat($json.fileSize) }}',
	},
	{
		propertyName: 'logo',
		fileName: 'logo.png',
		mimeType: 'image/png',
		content: 'iVBORw0KGgo=',
		encoding: 'base64',
	},
];

const NAME_FILES_TYPE = 'test.nameFiles';

/**
 * What a Code node does with `item.binary.data.fileName = $json.fileName`: n8n's own
 * prepareBinaryData keeps only the base name of a file name, but a Code node (or a binary carried in
 * JSON) can set any name, folders and line breaks included.
 */
class NameFiles implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Name Files (test)',
		name: 'nameFiles',
		group: ['transform'],
		version: 1,
		description: 'Sets binary.data.fileName from $json.fileName, as a Code node would',
		defaults: { name: 'Name Files' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [
			this.getInputData().map((item, index) => ({
				json: item.json,
				binary: item.binary?.data
					? { ...item.binary, data: { ...item.binary.data, fileName: String(item.json.fileName) } }
					: item.binary,
				pairedItem: { item: index },
			})),
		];
	}
}

/** What an accepted row checks about the middle item: its output and what the server received. */
type AcceptedCheck = (
	item: IDataObject,
	received: ReceivedMessage | undefined,
) => Promise<string[]> | string[];

interface Row {
	label: string;
	/** The middle item's fields, over a good lead's. */
	bad?: Partial<Lead>;
	/** Changes to the node's parameters (every item), e.g. a typed-in expression. */
	parameters?: (base: INodeParameters) => INodeParameters;
	/** The field the error must name. */
	field: string;
	/** Text the error message must contain: the offending value as the user should see it. */
	shows: string;
	/** 'failed' (default): only the middle item fails; 'all': a node-level error every item carries. */
	expect?: 'failed' | 'all';
}

interface AcceptedRow {
	label: string;
	bad?: Partial<Lead>;
	parameters?: (base: INodeParameters) => INodeParameters;
	accepted: AcceptedCheck;
}

const addresses = (count: number, prefix = 'r') =>
	Array.from({ length: count }, (_, i) => `${prefix}${i}@example.net`).join(', ');
const withOption =
	(key: string, value: IDataObject[string]) =>
	(base: INodeParameters): INodeParameters => ({
		...base,
		options: { ...(base.options as IDataObject), [key]: value } as INodeParameters,
	});

export const rows: Row[] = [
	// Malformed addresses
	{
		label: 'To without @',
		bad: { to: 'jane.example.com' },
		field: 'to',
		shows: '"jane.example.com": it has no @',
	},
	{
		label: 'To with two @ in a row',
		bad: { to: 'jane@@example.com' },
		field: 'to',
		shows: '"jane@@example.com": it has more than one @',
	},
	{
		label: 'To with two @ apart',
		bad: { to: 'jane@example@com' },
		field: 'to',
		shows: '"jane@example@com"',
	},
	{
		label: 'To with a space in the local part',
		bad: { to: 'jane doe@example.com' },
		field: 'to',
		shows: '"jane doe@example.com": it contains a space',
	},
	{
		label: 'To with a space in the domain',
		bad: { to: 'jane@exa mple.com' },
		field: 'to',
		shows: '"jane@exa mple.com"',
	},
	{
		label: 'To with a trailing dot',
		bad: { to: 'jane@example.com.' },
		field: 'to',
		shows: '"jane@example.com.": it ends with a dot',
	},
	{
		label: 'To with an empty local part',
		bad: { to: '@example.com' },
		field: 'to',
		shows: '"@example.com": nothing comes before the @',
	},
	{
		label: 'To with nothing after the @',
		bad: { to: 'jane@' },
		field: 'to',
		shows: '"jane@": nothing comes after the @',
	},
	{
		label: 'To with a domain without a dot',
		bad: { to: 'jane@localhost' },
		field: 'to',
		shows: '"jane@localhost"',
	},
	{
		label: 'To with two dots in the local part',
		bad: { to: 'jane..doe@example.com' },
		field: 'to',
		shows: '"jane..doe@example.com"',
	},
	{
		label: 'To starting with a dot',
		bad: { to: '.jane@example.com' },
		field: 'to',
		shows: '".jane@example.com"',
	},
	{
		label: 'To with two dots in the domain',
		bad: { to: 'jane@example..com' },
		field: 'to',
		shows: '"jane@example..com"',
	},
	{
		label: 'To with a hyphen starting the domain',
		bad: { to: 'jane@-example.com' },
		field: 'to',
		shows: '"jane@-example.com"',
	},
	{
		label: 'To with an underscore in the domain',
		bad: { to: 'jane@ex_ample.com' },
		field: 'to',
		shows: '"jane@ex_ample.com"',
	},
	{
		label: 'To in square brackets',
		bad: { to: '[jane@example.com]' },
		field: 'to',
		shows: '"[jane@example.com]"',
	},
	{
		label: 'To ending in a number',
		bad: { to: 'jane@192.0.2.1' },
		field: 'to',
		shows: '"jane@192.0.2.1"',
	},
	{
		label: 'To with a bad IP literal',
		bad: { to: 'jane@[300.1.1.1]' },
		field: 'to',
		shows: '"jane@[300.1.1.1]"',
	},
	{
		label: 'To with a 65-character local part',
		bad: { to: `${'x'.repeat(65)}@example.com` },
		field: 'to',
		shows: 'longer than 64 characters',
	},
	{
		label: 'To longer than 254 characters',
		bad: {
			to: `jane@${['a', 'b', 'c', 'd', 'e'].map((letter) => letter.repeat(60)).join('.')}.com`,
		},
		field: 'to',
		shows: 'it is longer than 254 characters',
	},
	{
		label: 'To with an unclosed quote',
		bad: { to: '"Doe, Jane <jane@example.com>' },
		field: 'to',
		shows: 'a quote that is not closed: "\\"Doe, Jane <jane@example.com>"',
	},
	{
		label: 'To with an unclosed <',
		bad: { to: 'Jane <jane@example.com' },
		field: 'to',
		shows: '"Jane <jane@example.com"',
	},
	{
		label: 'To with a stray >',
		bad: { to: 'jane@example.com>' },
		field: 'to',
		shows: '"jane@example.com>"',
	},
	{
		label: 'To with nested angle brackets',
		bad: { to: '<<jane@example.com>>' },
		field: 'to',
		shows: '"<<jane@example.com>>"',
	},
	{
		label: 'To with an unclosed comment',
		bad: { to: 'jane@example.com (Jane' },
		field: 'to',
		shows: '"jane@example.com (Jane"',
	},
	{
		label: 'To that is only a display name',
		bad: { to: 'Jane Doe' },
		field: 'to',
		shows: '"Jane Doe": it is a name without an email address',
	},
	{
		label: 'To with a name and empty <>',
		bad: { to: 'Jane Doe <>' },
		field: 'to',
		shows: '"Jane Doe <>": it has a name but no address',
	},
	{
		label: 'To with two addresses in one entry',
		bad: { to: 'Jane <a@example.com> <b@example.com>' },
		field: 'to',
		shows: 'more than one address in angle brackets',
	},
	{
		label: 'To with an unquoted comma in the name',
		bad: { to: 'Doe, Jane <jane@example.com>' },
		field: 'to',
		shows: '"Doe": it has no @',
	},
	{
		label: 'To with one bad address in a list',
		bad: { to: 'good@example.org, not-an-address, other@example.org' },
		field: 'to',
		shows: '"not-an-address"',
	},
	{
		label: 'To with a mailto link inside <>',
		bad: { to: 'Jane <mailto:jane@example.com>' },
		field: 'to',
		shows: '"mailto:jane@example.com"',
	},
	{ label: 'To empty', bad: { to: '' }, field: 'to', shows: 'To Email is empty' },
	{
		label: 'To only spaces and commas',
		bad: { to: ' , ,' },
		field: 'to',
		shows: 'To Email has no email address: " , ,"',
	},
	{
		label: 'CC with a bad address',
		bad: { cc: 'not-an-address' },
		field: 'options.cc',
		shows: 'CC Email has an invalid email address "not-an-address"',
	},
	{
		label: 'BCC with two @',
		bad: { bcc: 'b@@example.com' },
		field: 'options.bcc',
		shows: '"b@@example.com"',
	},
	{
		label: 'Reply To without a domain',
		bad: { replyTo: 'replies' },
		field: 'options.replyTo',
		shows: '"replies"',
	},
	{
		label: 'Identity written as (at)',
		bad: { identity: 'sales(at)example.com' },
		field: 'identity',
		shows: '"sales(at)example.com": it has no @',
	},
	{
		label: 'Identity with two addresses',
		bad: { identity: 'a@example.com, b@example.com' },
		field: 'identity',
		shows: 'must be one address, got 2: "a@example.com, b@example.com"',
	},
	{ label: 'Identity empty', bad: { identity: '' }, field: 'identity', shows: 'Identity is empty' },

	// Internationalised addresses
	{
		label: 'To with a UTF-8 local part',
		bad: { to: 'jürgen@example.de' },
		field: 'to',
		shows: '"jürgen@example.de": the part before the @ has a non-ASCII character ("ü")',
	},
	{
		label: 'To with a UTF-8 local part and an IDN domain',
		bad: { to: '用户@例子.广告' },
		field: 'to',
		shows: '"用户@例子.广告"',
	},
	{
		label: 'Identity with a UTF-8 local part',
		bad: { identity: 'Jörg <jörg@example.de>' },
		field: 'identity',
		shows: '"jörg@example.de"',
	},
	{
		label: 'To with broken punycode',
		bad: { to: 'jane@xn--zz.com' },
		field: 'to',
		shows:
			'"jane@xn--zz.com": its domain "xn--zz.com" is not a valid internationalised domain name',
	},
	{
		label: 'To with a symbol in an IDN domain',
		bad: { to: 'jane@snow☃.com' },
		field: 'to',
		shows: '"jane@snow☃.com"',
	},

	// CR, LF and NUL in every header-bearing field
	{
		label: 'To with CRLF and a Bcc line',
		bad: { to: 'lead@example.org\r\nBcc: victim@example.com' },
		field: 'to',
		shows: 'contains a line break: "lead@example.org\\r\\nBcc: victim@example.com"',
	},
	{
		label: 'To with NUL',
		bad: { to: 'lead@exam\u0000ple.org' },
		field: 'to',
		shows: 'contains a NUL character: "lead@exam\\u0000ple.org"',
	},
	{
		label: 'CC with LF',
		bad: { cc: 'c@example.org\nX-Evil: 1' },
		field: 'options.cc',
		shows: '"c@example.org\\nX-Evil: 1"',
	},
	{
		label: 'BCC with NUL',
		bad: { bcc: 'b@example.org\u0000x' },
		field: 'options.bcc',
		shows: '"b@example.org\\u0000x"',
	},
	{
		label: 'Reply To with CR',
		bad: { replyTo: 'r@example.org\rBcc: v@example.com' },
		field: 'options.replyTo',
		shows: '"r@example.org\\rBcc: v@example.com"',
	},
	{
		label: 'Identity name with CRLF',
		bad: { identity: 'Sales\r\nBcc: v@example.com <sales@example.com>' },
		field: 'identity',
		shows: '"Sales\\r\\nBcc: v@example.com <sales@example.com>"',
	},
	{
		label: 'Subject with CRLF and a Bcc line',
		bad: { subject: 'Offer\r\nBcc: victim@example.com' },
		field: 'subject',
		shows: 'Subject contains a line break: "Offer\\r\\nBcc: victim@example.com"',
	},
	{
		label: 'Subject with NUL',
		bad: { subject: 'Offer\u0000 for you' },
		field: 'subject',
		shows: '"Offer\\u0000 for you"',
	},
	{
		label: 'Subject with an escape character',
		bad: { subject: 'Offer \u001b[31m red' },
		field: 'subject',
		shows: '"Offer \\u001b[31m red"',
	},
	{
		label: 'Subject with a line break after 100 characters',
		bad: { subject: `${'a'.repeat(100)}\r\nBcc: victim@example.com` },
		field: 'subject',
		shows: '\\r\\nBcc: victim@example.com',
	},
	{
		label: 'Custom header name with CRLF',
		bad: { headerName: 'X-A\r\nBcc' },
		field: 'options.headers',
		shows: '"X-A\\r\\nBcc"',
	},
	{
		label: 'Custom header value with CRLF',
		bad: { headerValue: 'Q4\r\nBcc: victim@example.com' },
		field: 'options.headers',
		shows: '"Q4\\r\\nBcc: victim@example.com"',
	},
	{
		label: 'Custom header value with NUL',
		bad: { headerValue: 'Q4\u0000' },
		field: 'options.headers',
		shows: '"Q4\\u0000"',
	},
	{
		label: 'In Reply To with CRLF and a Bcc line',
		bad: { inReplyTo: '<a@example.com>\r\nBcc: victim@example.com' },
		field: 'options.inReplyTo',
		shows: 'In Reply To has an invalid Message-ID: "Bcc:"',
	},
	{
		label: 'References with CRLF and a header',
		bad: { references: '<a@example.com>\r\nX-Evil: 1' },
		field: 'options.references',
		shows: 'References has an invalid Message-ID: "X-Evil:"',
	},
	{
		label: 'References with NUL',
		bad: { references: '<a@example.com>\u0000' },
		field: 'options.references',
		shows: '"<a@example.com>\\u0000"',
	},
	{
		label: 'Attachment file name with CRLF',
		bad: { fileName: 'offer.txt\r\nContent-Type: text/html' },
		field: 'options.attachments',
		shows: '"offer.txt\\r\\nContent-Type: text/html"',
	},
	{
		label: 'Attachment file name with NUL',
		bad: { fileName: 'offer.txt\u0000.exe' },
		field: 'options.attachments',
		shows: '"offer.txt\\u0000.exe"',
	},
	{
		label: 'Content ID with CRLF',
		bad: { contentId: 'logo\r\nX-Evil: 1' },
		field: 'options.attachments',
		shows: '"logo\\r\\nX-Evil: 1"',
	},
	{
		label: 'Content ID with NUL',
		bad: { contentId: 'logo\u0000' },
		field: 'options.attachments',
		shows: '"logo\\u0000"',
	},
	{
		label: 'Content ID with a space',
		bad: { contentId: 'my logo' },
		field: 'options.attachments',
		shows: 'Content ID "my logo"',
	},

	// Subjects
	{
		label: 'Subject of 100,000 characters',
		bad: { subject: 'A'.repeat(100_000) },
		field: 'subject',
		shows: 'Subject is 100,000 characters long, over the limit of 998: "AAAA',
	},
	{
		label: 'Subject of 999 characters',
		bad: { subject: 'B'.repeat(999) },
		field: 'subject',
		shows: 'is 999 characters long',
	},
	{
		label: 'Subject an object',
		bad: { subject: { a: 1 } },
		field: 'subject',
		shows: 'Subject must be text, got an object: {"a":1}',
	},
	{
		label: 'Subject a list',
		bad: { subject: ['Hello', 'there'] },
		field: 'subject',
		shows: 'got a list: ["Hello","there"]',
	},

	// Custom headers
	...['From', 'To', 'Message-ID', 'X-Delivery-Id', 'Content-Type', 'Bcc'].map((name): Row => ({
		label: `Custom header ${name}`,
		bad: { headerName: name },
		field: 'options.headers',
		shows: `Custom header "${name}" is set by the node`,
	})),
	{
		label: 'Custom header bcc in lower case with spaces',
		bad: { headerName: ' bcc ' },
		field: 'options.headers',
		shows: '"bcc" is set by the node',
	},
	{
		label: 'Custom header Content-Disposition',
		bad: { headerName: 'Content-Disposition' },
		field: 'options.headers',
		shows: '"Content-Disposition"',
	},
	{
		label: 'Custom header name with a space',
		bad: { headerName: 'X Campaign' },
		field: 'options.headers',
		shows: 'Custom header name "X Campaign" is not valid',
	},
	{
		label: 'Custom header name with a colon',
		bad: { headerName: 'X-Campaign:' },
		field: 'options.headers',
		shows: '"X-Campaign:"',
	},
	{
		label: 'Custom header name with a non-ASCII letter',
		bad: { headerName: 'X-Kampagne-Ü' },
		field: 'options.headers',
		shows: '"X-Kampagne-Ü"',
	},
	{
		label: 'Custom header value without a name',
		bad: { headerName: '', headerValue: 'Q4' },
		field: 'options.headers',
		shows: 'has a value but no name: "Q4"',
	},
	{
		label: 'Custom header value of 1,000 characters',
		bad: { headerValue: 'v'.repeat(1000) },
		field: 'options.headers',
		shows: 'is 1,000 characters long',
	},
	{
		label: 'Custom header value an object',
		bad: { headerValue: { a: 1 } },
		field: 'options.headers',
		shows: '{"a":1}',
	},
	{
		label: 'Custom header set twice',
		bad: { headerName: 'x-source' },
		parameters: withOption('headers', {
			header: [
				{ name: 'X-Source', value: 'n8n' },
				{ name: '={{ $json.headerName }}', value: 'again' },
			],
		}),
		field: 'options.headers',
		shows: 'Custom header "x-source" is set twice',
	},

	// Message-IDs
	{
		label: 'In Reply To without @',
		bad: { inReplyTo: 'abc123' },
		field: 'options.inReplyTo',
		shows: 'invalid Message-ID: "abc123"',
	},
	{
		label: 'In Reply To with a space inside',
		bad: { inReplyTo: '<abc 123@example.com>' },
		field: 'options.inReplyTo',
		shows: '"<abc"',
	},
	{
		label: 'In Reply To not closed',
		bad: { inReplyTo: '<abc@example.com' },
		field: 'options.inReplyTo',
		shows: '"<abc@example.com"',
	},
	{
		label: 'In Reply To with two Message-IDs',
		bad: { inReplyTo: '<a@example.com> <b@example.com>' },
		field: 'options.inReplyTo',
		shows: 'got 2: "<a@example.com> <b@example.com>"',
	},
	{
		label: 'References with a word',
		bad: { references: '<a@example.com> not-a-message-id' },
		field: 'options.references',
		shows: '"not-a-message-id"',
	},
	{
		label: 'References with a non-ASCII Message-ID',
		bad: { references: '<ü@example.com>' },
		field: 'options.references',
		shows: '"<ü@example.com>"',
	},

	// Attachments and sizes
	{
		label: 'Attachment from a missing binary field',
		bad: { binaryField: 'nope' },
		field: 'options.attachments',
		shows: 'no binary field "nope"',
	},
	{
		label: 'Attachment with an empty binary field name',
		bad: { binaryField: '' },
		field: 'options.attachments',
		shows: 'empty Input Binary Field',
	},
	{
		label: 'Attachment binary field an object',
		bad: { binaryField: { a: 1 } },
		field: 'options.attachments',
		shows: '{"a":1}',
	},
	{
		label: 'Attachment over Max Attachment Size',
		bad: { fileSize: 1_500_000 },
		field: 'options.attachments',
		shows: 'Attachments are 1.4 MB, over the limit of 1.0 MB: "offer.txt (1.4 MB)',
	},
	{
		label: 'Attachment name that is only folders',
		bad: { fileName: '../../' },
		field: 'options.attachments',
		shows: '"../../" has no name after its folders',
	},
	{
		label: 'Attachment name of 300 characters',
		bad: { fileName: `${'n'.repeat(296)}.txt` },
		field: 'options.attachments',
		shows: 'is 300 characters long, over the limit of 255',
	},
	{
		label: 'Two inline attachments with one Content ID',
		bad: { contentId: 'same' },
		parameters: withOption('attachments', {
			attachment: [
				{ binaryPropertyName: 'logo', inline: true, contentId: '={{ $json.contentId }}' },
				{ binaryPropertyName: 'data', inline: true, contentId: 'same' },
			],
		}),
		field: 'options.attachments',
		shows: 'Content ID "same" is used by two inline attachments',
	},
	{
		label: 'Max Attachment Size -1',
		bad: { maxMb: -1 },
		field: 'options.maxAttachmentSizeMb',
		shows: 'got -1',
	},
	{
		label: "Max Attachment Size 'abc'",
		bad: { maxMb: 'abc' },
		field: 'options.maxAttachmentSizeMb',
		shows: 'got "abc"',
	},

	// Expressions giving objects, lists, numbers, null
	{
		label: 'To = {{ {a:1} }}',
		parameters: (base) => ({ ...base, to: '={{ $itemIndex === 1 ? { a: 1 } : $json.to }}' }),
		field: 'to',
		shows: 'To Email must be text or a list of addresses, got an object: {"a":1}',
	},
	{
		label: 'To = {{ [1,2] }}',
		parameters: (base) => ({ ...base, to: '={{ $itemIndex === 1 ? [1, 2] : $json.to }}' }),
		field: 'to',
		shows: '(a number: 1) in the list [1,2]',
	},
	{
		label: 'To = {{ 42 }}',
		parameters: (base) => ({ ...base, to: '={{ $itemIndex === 1 ? 42 : $json.to }}' }),
		field: 'to',
		shows: '"42": it has no @',
	},
	{
		label: 'To = {{ null }}',
		parameters: (base) => ({ ...base, to: '={{ $itemIndex === 1 ? null : $json.to }}' }),
		field: 'to',
		shows: 'To Email is empty (the value is null)',
	},
	{
		label: 'To a whole contact object',
		bad: { to: { name: 'Jane', email: 'jane@example.com' } },
		field: 'to',
		shows: '{"name":"Jane","email":"jane@example.com"}',
	},
	{
		label: 'CC an object',
		bad: { cc: { a: 1 } },
		field: 'options.cc',
		shows: 'CC Email must be text or a list of addresses, got an object: {"a":1}',
	},
	{
		label: 'BCC a list of lists',
		bad: { bcc: [['a@example.com']] },
		field: 'options.bcc',
		shows: '[["a@example.com"]]',
	},
	{
		label: 'Identity an object',
		bad: { identity: { a: 1 } },
		field: 'identity',
		shows: 'Identity must be text or a list of addresses, got an object: {"a":1}',
	},
	{
		label: 'Text body an object',
		bad: { text: { body: 'hi' } },
		field: 'text',
		shows: 'Text must be text, got an object: {"body":"hi"}',
	},
	{
		label: 'HTML body a list',
		parameters: (base) => ({
			...base,
			html: '={{ $itemIndex === 1 ? ["<p>a</p>"] : "<p>Hello</p>" }}',
		}),
		field: 'html',
		shows: 'HTML must be text, got a list: ["<p>a</p>"]',
	},
	{
		label: 'Email Format from an expression: pdf',
		parameters: (base) => ({ ...base, emailFormat: '={{ $itemIndex === 1 ? "pdf" : "both" }}' }),
		field: 'emailFormat',
		shows: 'got "pdf"',
	},
	{
		label: 'Subject expression failing for one item',
		parameters: (base) => ({
			...base,
			subject: '={{ $itemIndex === 1 ? $("Nope").item.json.subject : $json.subject }}',
		}),
		field: 'subject',
		shows:
			'The expression in Subject could not be evaluated for this item (Referenced node doesn\'t exist): "={{ $itemIndex === 1 ? $(\\"Nope\\")',
	},
	{
		label: 'CC expression failing for one item',
		parameters: withOption('cc', '={{ $itemIndex === 1 ? $("Nope").item.json.cc : $json.cc }}'),
		field: 'options.cc',
		shows: 'The expression in CC Email could not be evaluated',
	},

	// Recipient counts
	{
		label: '1,000 recipients in To',
		bad: { to: addresses(1000) },
		field: 'to',
		shows:
			'The message has 1,000 recipients once To Email is counted; one message can go to at most 500',
	},
	{
		label: '1,000 recipients in BCC',
		bad: { bcc: addresses(1000) },
		field: 'options.bcc',
		shows: 'at most 500 (To, CC and BCC together). BCC Email: "r0@example.net, r1@example.net',
	},
	{
		label: '300 in CC and 201 in BCC',
		bad: { cc: addresses(300, 'c'), bcc: addresses(201, 'b') },
		field: 'options.bcc',
		shows: 'The message has 502 recipients once BCC Email is counted',
	},

	// The channel itself
	{
		label: 'Unknown channel',
		parameters: (base) => ({ ...base, channel: 'fax' }),
		field: 'channel',
		shows: 'Unknown channel: "fax"',
		expect: 'all',
	},
];

const headerOf = (received: ReceivedMessage | undefined, name: string) =>
	received?.headers[name] ?? '';
const must = (ok: boolean, problem: string) => (ok ? [] : [problem]);
const warned = (item: IDataObject, pattern: RegExp) =>
	must(
		((item.warnings as string[] | undefined) ?? []).some((warning) => pattern.test(warning)),
		`no warning matching ${pattern} on the item (warnings: ${JSON.stringify(item.warnings)})`,
	);

export const acceptedRows: AcceptedRow[] = [
	{
		label: 'Display name with a comma in quotes: "Doe, Jane" <jane@x>',
		bad: { to: '"Doe, Jane" <jane@example.com>' },
		accepted: (_item, received) => [
			...must(received?.to.join() === 'jane@example.com', `envelope ${received?.to}`),
			...must(
				headerOf(received, 'to') === '"Doe, Jane" <jane@example.com>',
				`To header ${headerOf(received, 'to')}`,
			),
		],
	},
	{
		label: 'IDN domain jane@bücher.de is sent as punycode',
		bad: { to: 'Jane <jane@bücher.de>' },
		// smtp-server shows envelope domains decoded; what the node sent is in `accepted` and the header.
		accepted: (item, received) => [
			...must(
				JSON.stringify(item.accepted) === '["jane@xn--bcher-kva.de"]',
				`accepted ${JSON.stringify(item.accepted)}`,
			),
			...must(
				headerOf(received, 'to') === 'Jane <jane@xn--bcher-kva.de>',
				`To header ${headerOf(received, 'to')}`,
			),
		],
	},
	{
		label: 'A list of address texts from an expression',
		bad: { to: ['a@example.org', 'Jane Doe <b@example.org>'] },
		accepted: (_item, received) =>
			must(received?.to.join() === 'a@example.org,b@example.org', `envelope ${received?.to}`),
	},
	{
		label: 'Addresses separated by semicolons',
		bad: { to: 'a@example.org; b@example.org' },
		accepted: (_item, received) =>
			must(received?.to.join() === 'a@example.org,b@example.org', `envelope ${received?.to}`),
	},
	{
		label: 'The same address in To, CC and BCC (any case)',
		bad: {
			to: 'lead1@example.org, Lead1@Example.org',
			cc: 'LEAD1@example.org, c@example.org',
			bcc: 'c@example.org, lead1@example.org',
		},
		accepted: (item, received) => [
			...must(
				received?.to.join() === 'lead1@example.org,c@example.org',
				`envelope ${received?.to}`,
			),
			...warned(item, /duplicate recipients.*lead1@example\.org/i),
		],
	},
	{
		label: 'Attachment name ../../etc/passwd is sent as passwd',
		bad: { fileName: '../../etc/passwd' },
		accepted: async (item, received) => {
			const parsed = received ? await simpleParser(received.raw) : undefined;
			const names = parsed?.attachments.map((attachment) => attachment.filename) ?? [];
			return [
				...must(
					names.includes('passwd') && !names.some((name) => name?.includes('/')),
					`attachment names ${JSON.stringify(names)}`,
				),
				...warned(item, /"passwd"/),
			];
		},
	},
	{
		label: 'Attachment name C:\\x\\y.pdf is sent as y.pdf',
		bad: { fileName: 'C:\\x\\y.pdf' },
		accepted: async (item, received) => {
			const parsed = received ? await simpleParser(received.raw) : undefined;
			const names = parsed?.attachments.map((attachment) => attachment.filename) ?? [];
			return [
				...must(names.includes('y.pdf'), `attachment names ${JSON.stringify(names)}`),
				...warned(item, /"y\.pdf"/),
			];
		},
	},
	{
		label: 'Empty Subject is sent (RFC 5322 allows it)',
		bad: { subject: '' },
		accepted: (item, received) =>
			must(
				received !== undefined && item.subject === '',
				`subject ${JSON.stringify(item.subject)}`,
			),
	},
	{
		label: 'Subject = {{ null }} is sent with an empty subject',
		bad: { subject: null },
		accepted: (item, received) =>
			must(
				received !== undefined && item.subject === '',
				`subject ${JSON.stringify(item.subject)}`,
			),
	},
	{
		label: 'Subject = {{ 42 }} is sent as "42"',
		bad: { subject: 42 },
		accepted: (_item, received) =>
			must(
				headerOf(received, 'subject') === '42',
				`Subject header ${headerOf(received, 'subject')}`,
			),
	},
	{
		label: 'Subject of 998 characters (the limit) is sent, folded',
		bad: { subject: 'word '.repeat(199).slice(0, 998) },
		accepted: (_item, received) => {
			const lines = received?.raw.toString('latin1').split('\r\n') ?? [];
			return [
				...must(headerOf(received, 'subject').length >= 990, 'subject cut'),
				...must(
					lines.every((line) => line.length <= 998),
					'a line over 998 characters',
				),
			];
		},
	},
	{
		label: 'Subject with a trailing line break is sent without it',
		bad: { subject: 'Offer\n' },
		accepted: (_item, received) =>
			must(
				headerOf(received, 'subject') === 'Offer',
				`Subject header ${JSON.stringify(headerOf(received, 'subject'))}`,
			),
	},
	{
		label: 'To with a line break at the end (a spreadsheet cell) is sent',
		bad: { to: 'lead1@example.org\r\n' },
		accepted: (_item, received) =>
			must(received?.to.join() === 'lead1@example.org', `envelope ${received?.to}`),
	},
	{
		label: 'References separated by a line break',
		bad: { references: '<a@example.com>\n<b@example.com>' },
		accepted: (_item, received) =>
			must(
				headerOf(received, 'references') === '<a@example.com> <b@example.com>',
				`References ${headerOf(received, 'references')}`,
			),
	},
	{
		label: '500 recipients in To (the limit) are sent in one message',
		bad: { to: addresses(500) },
		accepted: (_item, received) =>
			must(received?.to.length === 500, `envelope has ${received?.to.length} recipients`),
	},
];

interface RunContext {
	server: TestSmtpServer;
}

async function runRow(
	context: RunContext,
	row: { bad?: Partial<Lead>; parameters?: (base: INodeParameters) => INodeParameters },
) {
	const leads = [goodLead(0), { ...goodLead(1), ...row.bad }, goodLead(2)];
	const trigger = manualTrigger();
	const source = itemsNode('Leads', leads);
	const withFiles = setBinaryDataNode('Files', files);
	const named = node('Name Files', NAME_FILES_TYPE);
	const parameters = row.parameters ? row.parameters(baseParameters()) : baseParameters();
	const send = node('Send', TYPE, parameters, {
		credentials: ['deliveryChannelSmtpApi'],
		onError: 'continueRegularOutput',
	});
	const nodes: INode[] = [trigger, source, withFiles, named, send];
	const before = context.server.received.length;
	const result = await runWorkflow({
		workflow: { nodes, connections: chain(...nodes) },
		nodeTypes: { [TYPE]: new DeliveryChannel(), [NAME_FILES_TYPE]: new NameFiles() },
		credentials: {
			deliveryChannelSmtpApi: {
				host: context.server.host,
				port: context.server.port,
				security: 'none',
				user: SECRET.user,
				password: SECRET.pass,
				allowSelfSigned: false,
			},
		},
	});
	const received = context.server.received.slice(before);
	const problems: string[] = [];
	let items: INodeExecutionData[] = [];
	if (result.error) problems.push(`the run failed: ${result.error.message}`);
	else items = result.output('Send');
	if (items.length !== 3) problems.push(`${items.length} output items for 3 inputs`);
	items.forEach((item, index) => {
		const paired = item.pairedItem as { item?: number } | undefined;
		if (paired?.item !== index)
			problems.push(`output ${index} is paired with ${JSON.stringify(item.pairedItem)}`);
	});
	const output = JSON.stringify(items);
	if (output.includes(SECRET.pass) || output.includes(SECRET.user))
		problems.push('an output item holds the credential');
	const sentAndReceived = (item: INodeExecutionData | undefined) =>
		item?.json.status === 'sent' &&
		received.filter((message) => message.headers['message-id'] === item.json.messageId).length ===
			1;
	return { items, received, problems, sentAndReceived };
}

function checkError(item: IDataObject | undefined, row: Row, problems: string[]): string {
	if (!item) return '';
	const error = String(item.error ?? '');
	if (item.status !== 'failed')
		problems.push(`status ${JSON.stringify(item.status)}, expected "failed"`);
	if (item.code !== 'EINPUT') problems.push(`code ${JSON.stringify(item.code)}, expected "EINPUT"`);
	if (item.field !== row.field)
		problems.push(`field ${JSON.stringify(item.field)}, expected ${JSON.stringify(row.field)}`);
	if (!error.includes(row.shows))
		problems.push(`the error does not show ${JSON.stringify(row.shows)}`);
	if (error.length > READABLE_ERROR) problems.push(`the error is ${error.length} characters long`);
	// eslint-disable-next-line no-control-regex
	if (/[\x00-\x08\x0a-\x1f\x7f]/.test(error + String(item.hint ?? '')))
		problems.push('the error or hint holds a raw control character');
	return error;
}

async function runFailingRow(context: RunContext, row: Row): Promise<BadInputResult> {
	const { items, received, problems, sentAndReceived } = await runRow(context, row);
	if (row.expect === 'all') {
		const errors = items.map((item) => checkError(item.json, row, problems));
		if (received.length) problems.push(`the server received ${received.length} message(s)`);
		return {
			label: row.label,
			field: items[0]?.json.field as string | undefined,
			error: errors[0] ?? '',
			othersSent: `0/0 (${items.length} items carry the error)`,
			problems,
		};
	}
	const error = checkError(items[1]?.json, row, problems);
	const others = [items[0], items[2]].filter(sentAndReceived).length;
	if (others !== 2)
		problems.push(
			`${others} of the 2 good items were sent and received (${JSON.stringify([items[0]?.json.error, items[2]?.json.error])})`,
		);
	if (received.length !== 2)
		problems.push(`the server received ${received.length} messages, expected 2`);
	return {
		label: row.label,
		field: items[1]?.json.field as string | undefined,
		error,
		othersSent: `${others}/2`,
		problems,
	};
}

async function runAcceptedRow(context: RunContext, row: AcceptedRow): Promise<BadInputResult> {
	const { items, received, problems, sentAndReceived } = await runRow(context, row);
	const middle = items[1]?.json;
	if (!sentAndReceived(items[1]))
		problems.push(`the item was not sent: ${JSON.stringify(middle?.error ?? middle?.status)}`);
	const message = received.find((entry) => entry.headers['message-id'] === middle?.messageId);
	if (middle) problems.push(...(await row.accepted(middle, message)));
	const others = [items[0], items[2]].filter(sentAndReceived).length;
	if (others !== 2) problems.push(`${others} of the 2 other items were sent and received`);
	const warnings = ((middle?.warnings as string[] | undefined) ?? []).join(' ');
	return {
		label: `(accepted) ${row.label}`,
		error: warnings ? `sent; warning: ${warnings}` : 'sent',
		othersSent: `${others}/2`,
		problems,
	};
}

export async function runBadInputTable(): Promise<BadInputResult[]> {
	const server = await startSmtpServer({ auth: SECRET });
	const context = { server };
	const results: BadInputResult[] = [];
	try {
		for (const row of rows) {
			results.push(await guarded(row.label, () => runFailingRow(context, row)));
		}
		for (const row of acceptedRows) {
			results.push(await guarded(`(accepted) ${row.label}`, () => runAcceptedRow(context, row)));
		}
	} finally {
		await server.close();
	}
	return results;
}

async function guarded(label: string, run: () => Promise<BadInputResult>): Promise<BadInputResult> {
	try {
		return await run();
	} catch (error) {
		return {
			label,
			error: '',
			othersSent: '?',
			problems: [`the row crashed: ${(error as Error).stack ?? error}`],
		};
	}
}
