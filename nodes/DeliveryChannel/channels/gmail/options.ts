/**
 * The Gmail channel's own Send options (in the Send operation's Options collection): the pace (Sends
 * per Minute), the time for one answer, and what to do with an identity Gmail would replace. Read per
 * item through `readGmailOptions`.
 */
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { DeliveryError, inputError } from '../../../../core/errors';
import type { ChannelOptions } from '../types';
import type { UnverifiedIdentityPolicy } from './identity';
import { DEFAULT_TIMEOUT_MS } from './transport';

/** New Google Cloud projects get 6,000 quota units per user per minute; a send costs 100. */
export const DEFAULT_SENDS_PER_MINUTE = 60;

export type GmailOptions = {
	sendsPerMinute: number;
	timeoutMs: number;
	unverifiedIdentity: UnverifiedIdentityPolicy;
};

/** Where no options were read (the trigger, the editor): the defaults. */
export const DEFAULT_GMAIL_OPTIONS: GmailOptions = {
	sendsPerMinute: DEFAULT_SENDS_PER_MINUTE,
	timeoutMs: DEFAULT_TIMEOUT_MS,
	unverifiedIdentity: 'fail',
};

/** Gmail's fields in the Send operation's Options collection (shown for Gmail only). */
export const gmailSendOptions: INodeProperties[] = [
	{
		displayName: 'If the Identity Is Not Verified',
		name: 'unverifiedIdentity',
		type: 'options',
		default: 'fail',
		description:
			'Gmail silently replaces a From that is not the account address or one of its verified send-as aliases. ' +
			'Choose what happens instead.',
		options: [
			{
				name: 'Fail the Item',
				value: 'fail',
				description: 'Nothing is sent for the item; it fails with code EIDENTITY',
			},
			{
				name: 'Send as the Connected Account and Warn',
				value: 'sendAsAccount',
				description:
					'Send from the account address; the item shows the requested and the used identity and a warning',
			},
		],
	},
	{
		displayName: 'Sends per Minute',
		name: 'sendsPerMinute',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 10000 },
		default: DEFAULT_SENDS_PER_MINUTE,
		description:
			"Pace sends to the account's Gmail API quota: 6,000 units per user per minute by default, and a send costs 100 units. " +
			'Raise it only if your Google Cloud project has a higher quota.',
	},
	{
		displayName: 'Timeout (Seconds)',
		name: 'timeoutSeconds',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 600 },
		default: 60,
		description:
			"How long to wait for Google's answer to each request. A send that gets no answer in time may still have gone out: " +
			'the node then looks for it in Sent (with read access to the mailbox) and never sends it twice.',
	},
];

function sendsPerMinute(options: IDataObject): number {
	const value =
		options.sendsPerMinute === undefined
			? DEFAULT_SENDS_PER_MINUTE
			: Number(options.sendsPerMinute);
	if (!Number.isFinite(value) || value <= 0 || value > 10_000) {
		throw new DeliveryError(
			`Sends per Minute must be between 1 and 10000, got ${JSON.stringify(options.sendsPerMinute)}`,
			{
				code: 'EINPUT',
				field: 'options.sendsPerMinute',
				stopsBatch: true,
			},
		);
	}
	return value;
}

function timeoutMs(options: IDataObject): number {
	if (options.timeoutSeconds === undefined) return DEFAULT_TIMEOUT_MS;
	const value = Number(options.timeoutSeconds);
	if (!Number.isFinite(value) || value < 1 || value > 600) {
		throw new DeliveryError(
			`Timeout (Seconds) must be between 1 and 600, got ${JSON.stringify(options.timeoutSeconds)}`,
			{
				code: 'EINPUT',
				field: 'options.timeoutSeconds',
				stopsBatch: true,
			},
		);
	}
	return Math.round(value * 1000);
}

function identityPolicy(value: unknown): UnverifiedIdentityPolicy {
	if (value !== 'fail' && value !== 'sendAsAccount') {
		const shown = JSON.stringify(value);
		throw inputError(
			'options.unverifiedIdentity',
			`If the Identity Is Not Verified must be "fail" or "sendAsAccount", got ${shown}`,
		);
	}
	return value;
}

/** One item's Gmail options, each checked; a wrong pace or timeout stops the batch. */
export function readGmailOptions(context: IExecuteFunctions, itemIndex: number): GmailOptions {
	// Failed Deliveries has no such options: the defaults.
	const options = (context.getNodeParameter('options', itemIndex, {}) ?? {}) as IDataObject;
	return {
		sendsPerMinute: sendsPerMinute(options),
		timeoutMs: timeoutMs(options),
		unverifiedIdentity: identityPolicy(options.unverifiedIdentity ?? 'fail'),
	};
}

/** The Gmail options a caller passed on, or the defaults where it passed none. */
export function gmailOptions(options: ChannelOptions | undefined): GmailOptions {
	return { ...DEFAULT_GMAIL_OPTIONS, ...(options as Partial<GmailOptions> | undefined) };
}
