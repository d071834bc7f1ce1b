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
		// n8n's node panel shows one entry for the node and its trigger, with the trigger's description
		// (its generateMergedNodesAndActions), so this one speaks for both.
		description:
			'Send email through MSC servers, Gmail or your own SMTP, and start a workflow when a delivery fails ' +
			'or a recipient replies or auto-replies (each event once)',
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
				// Several at once: one workflow can stop a sequence on a reply and pause it on an out-of-office.
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				noDataExpression: true,
				options: [
					{
						name: 'Auto-Reply',
						value: 'autoReply',
						description:
							'An automatic answer to a message sent: out of office, moved (the address changed), auto-acknowledgement. Never a failure.',
					},
					{
						name: 'Failed Delivery',
						value: 'failedDelivery',
						description: 'A recipient could not be reached (each failed recipient is emitted once)',
					},
					{
						name: 'Reply',
						value: 'reply',
						description: 'A person answered a message sent (each reply is emitted once)',
					},
				],
				default: ['failedDelivery'],
				description:
					'What starts the workflow. Replies and auto-replies are read from the mailbox they reach (Gmail, Custom SMTP); ' +
					'MSC cannot list them.',
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
