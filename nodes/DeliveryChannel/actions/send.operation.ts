import type {
	IDataObject,
	IExecuteFunctions,
	IGetNodeParameterOptions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { DeliveryError, inputError } from '../../../core/errors';
import type { OutgoingMessage } from '../channels/types';
import { formatAddress } from '../../../core/message/addresses';
import { checkAttachmentSize, checkedAttachments } from '../../../core/message/attachments';
import { composeChecked, type EmailFormat } from '../../../core/message/compose';
import { show } from '../../../core/message/show';
import { findAttachments, readAttachments, type AttachmentSource } from './attachments';
import { deliver } from './deliver';
import { duplicateItem, sentItem } from './sendOutput';
import { idempotencyKeyOption, readIdempotencyKey } from './idempotencyKey';
import { itemParameter, parameterError, parameterLabels } from './parameters';
import * as suppression from './suppression';
import type { OperationContext } from './types';

export const concurrent = true;

export const sendsEmail = true;

const DEFAULT_MAX_ATTACHMENT_MB = 25;

/** The body of one format (Text or HTML), shown when Email Format includes it. */
function bodyField(
	name: 'text' | 'html',
	displayName: string,
	description: string,
): INodeProperties {
	return {
		displayName,
		name,
		type: 'string',
		typeOptions: { rows: 5 },
		default: '',
		description,
		displayOptions: { show: { emailFormat: [name, 'both'] } },
	};
}

export const description: INodeProperties[] = [
	{
		displayName: 'Identity',
		name: 'identity',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description:
			'Who the email is from, as recipients see it: an identity of the channel or an address',
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select an identity...',
				typeOptions: { searchListMethod: 'searchIdentities', searchable: true },
			},
			{
				displayName: 'Address',
				name: 'address',
				type: 'string',
				placeholder: 'Jane Doe <jane@example.com>',
			},
		],
	},
	{
		displayName: 'To Email',
		name: 'to',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'info@example.com, "Jane Doe" <jane@example.com>',
		description: 'Email address of the recipient. Separate several with commas.',
	},
	{
		displayName: 'Subject',
		name: 'subject',
		type: 'string',
		default: '',
		placeholder: 'e.g. Following up on our call',
	},
	{
		displayName: 'Email Format',
		name: 'emailFormat',
		type: 'options',
		options: [
			{ name: 'Text', value: 'text', description: 'Send the email as plain text' },
			{ name: 'HTML', value: 'html', description: 'Send the email as HTML' },
			{
				name: 'Both',
				value: 'both',
				description: "Send both formats; the recipient's client picks one",
			},
		],
		default: 'html',
	},
	bodyField('text', 'Text', 'Plain text message of the email'),
	bodyField('html', 'HTML', 'HTML message of the email'),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Attachments',
				name: 'attachments',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				default: {},
				placeholder: 'Add Attachment',
				options: [
					{
						displayName: 'Attachment',
						name: 'attachment',
						values: [
							{
								displayName: 'Input Binary Field',
								name: 'binaryPropertyName',
								type: 'string',
								default: 'data',
								description: 'Name of the binary field of the input item that holds the file',
							},
							{
								displayName: 'Inline',
								name: 'inline',
								type: 'boolean',
								default: false,
								description:
									'Whether to embed the file in the HTML body (reference it as cid:Content ID) instead of attaching it',
							},
							{
								displayName: 'Content ID',
								name: 'contentId',
								type: 'string',
								default: '',
								description:
									'The ID to use in the HTML as src="cid:…". Defaults to the binary field name.',
								displayOptions: { show: { inline: [true] } },
							},
						],
					},
				],
			},
			{
				displayName: 'BCC Email',
				name: 'bcc',
				type: 'string',
				default: '',
				description: 'Email address of BCC recipient. Separate several with commas.',
			},
			{
				displayName: 'CC Email',
				name: 'cc',
				type: 'string',
				default: '',
				description: 'Email address of CC recipient. Separate several with commas.',
			},
			{
				displayName: 'Custom Headers',
				name: 'headers',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				default: {},
				placeholder: 'Add Header',
				options: [
					{
						displayName: 'Header',
						name: 'header',
						values: [
							{
								displayName: 'Name',
								name: 'name',
								type: 'string',
								default: '',
								placeholder: 'X-Campaign',
							},
							{ displayName: 'Value', name: 'value', type: 'string', default: '' },
						],
					},
				],
			},
			idempotencyKeyOption,
			{
				displayName: 'In Reply To',
				name: 'inReplyTo',
				type: 'string',
				default: '',
				placeholder: '<abc123@example.com>',
				description:
					'Message-ID of the email this one replies to, so it appears in the same thread',
			},
			{
				displayName: 'Max Attachment Size (MB)',
				name: 'maxAttachmentSizeMb',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: DEFAULT_MAX_ATTACHMENT_MB,
				description:
					'Items whose attachments add up to more than this fail before anything is sent',
			},
			{
				displayName: 'References',
				name: 'references',
				type: 'string',
				default: '',
				placeholder: '<abc123@example.com> <def456@example.com>',
				description: 'Message-IDs of the earlier emails in the thread, separated by spaces',
			},
			{
				displayName: 'Reply To',
				name: 'replyTo',
				type: 'string',
				default: '',
				placeholder: 'replies@example.com',
				description: 'The address replies go to, when not the identity',
			},
			...suppression.suppressionOptions,
		],
	},
];

function headerEntries(options: IDataObject): Array<{ name?: unknown; value?: unknown }> {
	return ((options.headers as IDataObject | undefined)?.header ?? []) as Array<{
		name?: unknown;
		value?: unknown;
	}>;
}

export interface PreparedSend {
	/** The message without its attachments' bytes, which are read right before it is sent. */
	message: OutgoingMessage;
	attachments: AttachmentSource[];
	/** The identity as the user asked for it, before a channel may change it. */
	requested: string;
	/** What the node changed on the way (duplicate recipients left out, folders cut from file names). */
	warnings: string[];
	suppression: suppression.SuppressionSettings;
}

const labels = parameterLabels(description);

/**
 * Reads and checks everything an item asks for (identity, recipients, headers, attachments, sizes)
 * and builds its message. The router runs this for every item before the first send, so bad input
 * stops the batch before anything goes out.
 */
export async function prepare(this: IExecuteFunctions, itemIndex: number): Promise<PreparedSend> {
	const read = (name: string, fallback: unknown, options?: IGetNodeParameterOptions) => {
		try {
			return itemParameter(this, name, itemIndex, fallback as object, options);
		} catch (error) {
			throw parameterError(this, name, itemIndex, error, labels);
		}
	};
	const identity = read('identity', '', { extractValue: true });
	const emailFormat = read('emailFormat', 'html') as EmailFormat;
	const options = read('options', {}) as IDataObject;
	const maxMb = maxAttachmentMb(options.maxAttachmentSizeMb);
	const { idempotencyKey, deliveryId } = readIdempotencyKey(this, options.idempotencyKey);
	const suppressionSettings = await suppression.readSuppressionSettings(this, itemIndex, options);

	const input = {
		identity,
		to: read('to', ''),
		cc: options.cc,
		bcc: options.bcc,
		replyTo: options.replyTo,
		subject: read('subject', ''),
		emailFormat,
		text: emailFormat === 'html' ? undefined : read('text', ''),
		html: emailFormat === 'text' ? undefined : read('html', ''),
		headers: headerEntries(options),
		inReplyTo: options.inReplyTo,
		references: options.references,
	};
	const found = await findAttachments(this, itemIndex, options);
	const { message, warnings } = composeChecked(input, deliveryId);
	const attachments = checkedAttachments(found, warnings);
	checkAttachmentSize(attachments, Math.round(maxMb * 1024 * 1024));
	if (idempotencyKey) message.idempotencyKey = idempotencyKey;
	const requested = formatAddress(message.identity);
	return { message, attachments, requested, warnings, suppression: suppressionSettings };
}

/** Max Attachment Size (MB): a number of zero or more; an expression may give it as text ("10"). */
function maxAttachmentMb(value: unknown): number {
	if (value === undefined || value === '' || value === null) return DEFAULT_MAX_ATTACHMENT_MB;
	const number =
		typeof value === 'number'
			? value
			: typeof value === 'string' && value.trim()
				? Number(value)
				: Number.NaN;
	if (!Number.isFinite(number) || number < 0) {
		throw inputError(
			'options.maxAttachmentSizeMb',
			`Max Attachment Size (MB) must be a number of zero or more, got ${show(value)}`,
			`Enter a size in megabytes, e.g. ${DEFAULT_MAX_ATTACHMENT_MB}.`,
		);
	}
	return number;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	{ channel, session, options, shared, signal }: OperationContext,
	prepared?: unknown,
): Promise<INodeExecutionData[]> {
	const ready = (prepared as PreparedSend | undefined) ?? (await prepare.call(this, itemIndex));
	const { requested, warnings } = ready;
	const base: IDataObject = {
		channel: channel.key,
		...(ready.message.idempotencyKey ? { idempotencyKey: ready.message.idempotencyKey } : {}),
	};
	// Before the key is reserved and the channel used: a held message touches neither.
	const check = await suppression.checkSuppressions(ready.message, ready.suppression);
	if (check.held) return [{ json: suppression.suppressedItem(base, check, requested) }];
	// The files are read now, so only the emails on their way hold theirs.
	const attachments = await readAttachments(this, itemIndex, ready.attachments);
	const message: OutgoingMessage = { ...check.message, attachments };
	try {
		const delivered = shared
			? await deliver({ channel, session, options, message, shared, signal })
			: { kind: 'sent' as const, result: await session.send(message, options) };
		if (delivered.kind === 'duplicate')
			return [{ json: duplicateItem(base, delivered, message, requested) }];
		const json = sentItem(base, delivered.result, message, requested, warnings);
		return [{ json: suppression.withSuppressed(json, check) }];
	} catch (error) {
		if (error instanceof DeliveryError) {
			error.context = {
				messageId: message.messageId,
				deliveryId: message.deliveryId,
				identity: { requested },
				subject: message.subject,
				...(message.idempotencyKey ? { idempotencyKey: message.idempotencyKey } : {}),
				...error.context,
			};
		}
		throw error;
	}
}
