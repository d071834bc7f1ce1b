import type {
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
} from 'n8n-workflow';

import {
	authenticationParameters,
	channelNotices,
	channelNameExpression,
	channelCredentials,
	channelParameter,
} from '../shared/channelParameters';
import { credentialTest } from '../shared/credentialTest';
import { failureKindFilters } from '../shared/failureFilters';
import { pollFailedDeliveries } from './poll';

const channelNames = channelNameExpression();

export class DeliveryChannelTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Delivery Channel Trigger',
		name: 'deliveryChannelTrigger',
		icon: {
			light: 'file:deliveryChannelTrigger.svg',
			dark: 'file:deliveryChannelTrigger.dark.svg',
		},
		group: ['trigger'],
		version: 1,
		subtitle: `={{ "Failed deliveries: " + ${channelNames} }}`,
		description:
			'Starts the workflow when a delivery fails: one item per failed recipient, each emitted once',
		defaults: { name: 'Delivery Channel Trigger' },
		polling: true,
		inputs: [],
		outputs: ['main'],
		credentials: channelCredentials(),
		properties: [
			channelParameter('Which service sent the email and knows about its failed deliveries'),
			...authenticationParameters(),
			...channelNotices(),
			{
				displayName: 'Event',
				name: 'event',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						// n8n's node panel prefixes trigger events with "On"
						name: 'Failed Delivery',
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
				options: failureKindFilters,
			},
		],
	};

	methods = { credentialTest };

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		return await pollFailedDeliveries.call(this);
	}
}
