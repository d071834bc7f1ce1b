/**
 * The Send options that keep suppressed addresses from being mailed: the recipients of a message
 * found on the suppression list (core/coordination/suppressions.ts) or on the item's own list are
 * left out, or the whole message is held. Checked before the Idempotency Key is reserved and before
 * the message reaches the channel, so a held message never opens a connection.
 */
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { Suppression, SuppressionStore } from '../../../core/coordination';
import { suppressionKey } from '../../../core/coordination/suppressions';
import { inputError } from '../../../core/errors';
import { parseAddressList } from '../../../core/message/addresses';
import { findBinary } from './attachments';
import type { MailAddress, OutgoingMessage } from '../channels/types';
import { sharedSuppressions } from '../../shared/suppressions';

export const suppressionOptions: INodeProperties[] = [
	{
		displayName: 'If Some Recipients Are Suppressed',
		name: 'ifSuppressed',
		type: 'options',
		options: [
			{
				name: 'Send to the Others',
				value: 'sendToOthers',
				description: 'Leave the suppressed recipients out and send to the rest',
			},
			{
				name: 'Hold the Whole Message',
				value: 'hold',
				description: 'Send to nobody; the item comes out with status "suppressed"',
			},
		],
		default: 'sendToOthers',
	},
	{
		displayName: 'Skip Suppressed Recipients',
		name: 'skipSuppressed',
		type: 'boolean',
		default: true,
		description:
			'Whether to leave out addresses on the suppression list: hard bounces and complaints found by Failed Deliveries ' +
			'or the trigger, and addresses added with Add Suppression. A message with no recipient left is not sent.',
	},
	{
		displayName: 'Suppressed Recipients List',
		name: 'suppressedList',
		type: 'string',
		typeOptions: { rows: 2 },
		default: '',
		placeholder: 'e.g. {{ $json.unsubscribed }}',
		description:
			'More addresses never to send to, such as an unsubscribe list: an expression giving a list, ' +
			'or addresses separated by commas or new lines. Applies even when Skip Suppressed Recipients is off.',
	},
	{
		displayName: 'Suppressed Recipients File',
		name: 'suppressedListFile',
		type: 'string',
		default: '',
		placeholder: 'e.g. data',
		description:
			'Name of the input binary field holding a CSV file of addresses never to send to (every cell that is an email ' +
			'address counts, e.g. an unsubscribe export). Applies even when Skip Suppressed Recipients is off.',
	},
];

export interface SuppressionSettings {
	/** Check the suppression list. */
	useStore: boolean;
	/** The item's own list and file: comparison key → where it was listed. */
	listed: Map<string, string>;
	hold: boolean;
}

/**
 * What the Send options say for one item: a bad address in the list, or a file field the item does
 * not have, is an input error.
 */
export async function readSuppressionSettings(
	context: IExecuteFunctions,
	itemIndex: number,
	options: IDataObject,
): Promise<SuppressionSettings> {
	const raw = options.suppressedList;
	const value = typeof raw === 'string' ? raw.replace(/[\r\n]+/g, ',') : raw;
	const listed = parseAddressList('options.suppressedList', 'Suppressed Recipients List', value);
	const file =
		typeof options.suppressedListFile === 'string' ? options.suppressedListFile.trim() : '';
	const fromFile = file ? await csvAddresses(context, itemIndex, file) : [];
	return {
		useStore: options.skipSuppressed !== false,
		listed: new Map([
			...fromFile.map(
				(address) => [suppressionKey(address), 'Suppressed Recipients File'] as const,
			),
			...listed.map(
				(entry) => [suppressionKey(entry.address), 'Suppressed Recipients List'] as const,
			),
		]),
		hold: options.ifSuppressed === 'hold',
	};
}

const BARE_ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

/** Every cell of a CSV file (an input binary field) that is a bare email address. */
async function csvAddresses(
	context: IExecuteFunctions,
	itemIndex: number,
	property: string,
): Promise<string[]> {
	const found = findBinary(context, itemIndex, property);
	if (!found.data)
		throw inputError(
			'options.suppressedListFile',
			`Suppressed Recipients File: the item has no binary field "${property}"`,
			`Its binary fields: ${found.available.join(', ') || 'none'}.`,
		);
	const text = (await context.helpers.getBinaryDataBuffer(itemIndex, found.path)).toString('utf8');
	return text
		.split(/[\r\n,;\t]+/)
		.map((cell) => cell.trim().replace(/^"|"$/g, '').trim())
		.filter((cell) => BARE_ADDRESS.test(cell));
}

/** One recipient left out, as the output item shows it. */
export interface SuppressedRecipient {
	address: string;
	reason: string;
	recordedAt: string | null;
	source: string;
	detail?: string;
}

export interface SuppressionCheck {
	/** The message to send: the suppressed recipients left out. */
	message: OutgoingMessage;
	suppressed: SuppressedRecipient[];
	/** Nothing to send: every recipient suppressed, or some and Hold the Whole Message. */
	held: boolean;
	/** For a held message, the recipients that were not suppressed. */
	notSentTo: string[];
}

function shown(entry: Suppression): SuppressedRecipient {
	const out: SuppressedRecipient = {
		address: entry.address,
		reason: entry.reason,
		recordedAt: entry.recordedAt,
		source: entry.source,
	};
	if (entry.detail) out.detail = entry.detail;
	return out;
}

export async function checkSuppressions(
	message: OutgoingMessage,
	settings: SuppressionSettings,
	store: () => SuppressionStore = sharedSuppressions,
): Promise<SuppressionCheck> {
	const recipients = [...message.to, ...message.cc, ...message.bcc].map((entry) => entry.address);
	const found = new Map<string, SuppressedRecipient>();
	if (settings.useStore && recipients.length)
		for (const entry of await store().find(recipients))
			found.set(suppressionKey(entry.address), shown(entry));
	for (const address of recipients) {
		const key = suppressionKey(address);
		const source = settings.listed.get(key);
		if (source && !found.has(key))
			found.set(key, { address, reason: 'list', recordedAt: null, source });
	}
	if (!found.size) return { message, suppressed: [], held: false, notSentTo: [] };
	const keep = (entries: MailAddress[]) =>
		entries.filter((entry) => !found.has(suppressionKey(entry.address)));
	const others = recipients.filter((address) => !found.has(suppressionKey(address)));
	const suppressed = [...found.values()];
	if (settings.hold || !others.length)
		return { message, suppressed, held: true, notSentTo: others };
	const kept = { ...message, to: keep(message.to), cc: keep(message.cc), bcc: keep(message.bcc) };
	return { message: kept, suppressed, held: false, notSentTo: [] };
}

/** The item of a message held back: nothing sent, who was suppressed and why. */
export function suppressedItem(
	base: IDataObject,
	check: SuppressionCheck,
	requested: string,
): IDataObject {
	const { message, suppressed, notSentTo } = check;
	const why = suppressed.map((entry) => `${entry.address} (${entry.reason})`).join(', ');
	return {
		status: 'suppressed',
		...base,
		messageId: null,
		deliveryId: message.deliveryId,
		identity: { requested },
		subject: message.subject,
		suppressed: suppressed as unknown as IDataObject[],
		notSentTo,
		warnings: [
			notSentTo.length
				? `Not sent to anyone: ${why} suppressed, and If Some Recipients Are Suppressed holds the whole message.`
				: `Not sent: every recipient is suppressed: ${why}.`,
		],
	};
}

/** A sent item with the recipients left out. */
export function withSuppressed(json: IDataObject, check: SuppressionCheck): IDataObject {
	if (!check.suppressed.length) return json;
	const left = check.suppressed.map((entry) => `${entry.address} (${entry.reason})`).join(', ');
	const warnings = [
		...((json.warnings as string[] | undefined) ?? []),
		`Not sent to ${left}: suppressed.`,
	];
	return { ...json, suppressed: check.suppressed as unknown as IDataObject[], warnings };
}
