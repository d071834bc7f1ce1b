import type { INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';

import { channelCredentials, channelOptions } from '../DeliveryChannel/actions/descriptionParts';
import { credentialTest } from '../DeliveryChannel/methods';
import { pollFailedDeliveries } from './poll';

export class DeliveryChannelTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Delivery Channel Trigger',
		name: 'deliveryChannelTrigger',
		icon: { light: 'file:deliveryChannelTrigger.svg', dark: 'file:deliveryChannelTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ "Failed deliveries: " + $parameter["channel"] }}',
		description: 'Starts the workflow when a delivery fails: one item per failed recipient, each emitted once',
		defaults: { name: 'Delivery Channel Trigger' },
		polling: true,
		inputs: [],
		outputs: ['main'],
		credentials: channelCredentials(),
		properties: [
			{
				displayName: 'Channel',
				name: 'channel',
				type: 'options',
				noDataExpression: true,
				options: channelOptions(),
				// The options come from the channel registry, which the rule cannot read; 'msc' is one of them.
				// eslint-disable-next-line n8n-nodes-base/node-param-default-wrong-for-options
				default: 'msc',
				description: 'Which service sent the email and knows about its failed deliveries',
			},
			{
				displayName: 'Event',
				name: 'event',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'On Failed Delivery',
						value: 'failedDelivery',
						description: 'A recipient could not be reached (each failed recipient is emitted once)',
					},
				],
				default: 'failedDelivery',
			},
			{
				displayName: 'Filters',
				name: 'filters',
				type: 'collection',
				placeholder: 'Add Filter',
				default: {},
				options: [
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
						description: 'Whether to include deliveries that are delayed but may still arrive. A delay that later fails is emitted again as a failure.',
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
				],
			},
		],
	};

	methods = { credentialTest };

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		return await pollFailedDeliveries.call(this);
	}
}
