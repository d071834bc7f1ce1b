import type { INodeProperties } from 'n8n-workflow';

/** Which failures count: shared with the Delivery Channel Trigger, so both filter alike. */
export const failureKindFilters: INodeProperties[] = [
	{
		displayName: 'Include Complaints',
		name: 'includeComplaints',
		type: 'boolean',
		default: false,
		description: 'Whether to include spam complaints (feedback reports) from recipients',
	},
	{
		displayName: 'Include Delays',
		name: 'includeDelays',
		type: 'boolean',
		default: false,
		description:
			'Whether to include deliveries that are delayed but may still arrive. A delay that later fails shows up again as a failure.',
	},
	{
		displayName: 'Type',
		name: 'verdict',
		type: 'options',
		options: [
			{ name: 'All', value: 'all' },
			{ name: 'Hard (Address Is Dead)', value: 'hard' },
			{ name: 'Soft (May Work Later)', value: 'soft' },
		],
		default: 'all',
	},
];

/**
 * Failed Deliveries' option for replies and auto-replies (the trigger has events for them instead).
 * What each channel can return is in the README: MSC returns none and says so.
 */
export const includeRepliesFilter: INodeProperties = {
	displayName: 'Include Replies and Auto-Replies',
	name: 'includeReplies',
	type: 'boolean',
	default: false,
	description:
		'Whether to also return replies and auto-replies (out of office, moved, auto-acknowledgement) to the messages sent; ' +
		'they are never failures',
};
