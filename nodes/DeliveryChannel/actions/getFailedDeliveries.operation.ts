import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { DeliveryError, inputError } from '../../../core/errors';
import type { FailedDelivery, FailedDeliveryQuery, MailboxReply } from '../channels/types';
import { sendingAccount } from '../../shared/coordination';
import { failureKindFilters, includeRepliesFilter } from '../../shared/failureFilters';
import { recordFailures } from '../../shared/suppressions';
import { RETURN_ALL_AND_LIMIT } from './parameters';
import type { OperationContext } from './types';

export const concurrent = false;

export const description: INodeProperties[] = [
	...RETURN_ALL_AND_LIMIT,
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		options: [
			...failureKindFilters.slice(0, 2),
			includeRepliesFilter,
			{
				displayName: 'Recipient',
				name: 'recipient',
				type: 'string',
				default: '',
				placeholder: 'jane@example.com',
				description: 'Only failures for this recipient address',
			},
			{
				displayName: 'Since',
				name: 'since',
				type: 'dateTime',
				default: '',
				description: 'Only failures reported at or after this time',
			},
			failureKindFilters[2],
			{
				displayName: 'Until',
				name: 'until',
				type: 'dateTime',
				default: '',
				description: 'Only failures reported before this time',
			},
		],
	},
];

function dateFilter(field: string, label: string, value: unknown): Date | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const date = new Date(value as string);
	if (Number.isNaN(date.getTime())) {
		throw inputError(
			field,
			`${label} is not a valid date: ${JSON.stringify(value)}`,
			'Use an ISO 8601 date such as 2026-11-01T00:00:00Z.',
		);
	}
	return date;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	{ channel, session }: OperationContext,
): Promise<INodeExecutionData[]> {
	if (!session.listFailedDeliveries) {
		throw new DeliveryError(
			`Failed Deliveries is not available for the ${channel.displayName} channel yet`,
			{
				code: 'ENOTAVAILABLE',
				stopsBatch: true,
			},
		);
	}
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const filters = this.getNodeParameter('filters', itemIndex, {}) as IDataObject;
	const query: FailedDeliveryQuery = {
		since: dateFilter('filters.since', 'Since', filters.since),
		until: dateFilter('filters.until', 'Until', filters.until),
		recipient: String(filters.recipient ?? '').trim() || undefined,
		verdict: (filters.verdict as FailedDeliveryQuery['verdict']) ?? 'all',
		includeDelays: filters.includeDelays === true,
		includeComplaints: filters.includeComplaints === true,
		includeReplies: filters.includeReplies === true,
		limit: returnAll ? undefined : (this.getNodeParameter('limit', itemIndex, 50) as number),
	};
	if (query.since && query.until && query.since > query.until) {
		throw inputError(
			'filters.until',
			`Until (${query.until.toISOString()}) is before Since (${query.since.toISOString()})`,
		);
	}
	const listing = await session.listFailedDeliveries(query);
	const { failures, truncated, truncatedReason } = listing;
	// Hard failures and complaints are suppressed for later sends (Skip Suppressed Recipients).
	await recordFailures(failures, `Failed Deliveries (${sendingAccount(this, channel)})`);
	if (listing.repliesUnavailable) {
		// Asked for replies, and the channel has none to give: never an empty answer without a word.
		this.addExecutionHints({ message: listing.repliesUnavailable, location: 'outputPane' });
	}
	if (truncated) {
		// The items are right but not all there are: say so where the user looks at them.
		this.addExecutionHints({
			message:
				`Not every failed delivery is listed: ${truncatedReason ?? 'a limit of the channel cut the listing short'}. ` +
				'Narrow Since / Until to see the rest.',
			location: 'outputPane',
		});
	}
	const items = listing.replies?.length ? newestFirst([...failures, ...listing.replies]) : failures;
	const shown = query.limit === undefined ? items : items.slice(0, query.limit);
	return shown.map((item) => ({ json: item as unknown as IDataObject }));
}

/** When it reached the channel (a failure: else when it happened); newest first, unknown times last. */
function newestFirst(
	items: Array<FailedDelivery | MailboxReply>,
): Array<FailedDelivery | MailboxReply> {
	const time = (item: FailedDelivery | MailboxReply) => {
		const at =
			item.details?.reportReceivedAt ?? ('excerpt' in item ? item.receivedAt : item.failedAt);
		const parsed = Date.parse(String(at ?? ''));
		return Number.isNaN(parsed) ? Number.NEGATIVE_INFINITY : parsed;
	};
	return items
		.map((item, index) => ({ item, index, at: time(item) }))
		.sort((a, b) => b.at - a.at || a.index - b.index)
		.map((entry) => entry.item);
}
