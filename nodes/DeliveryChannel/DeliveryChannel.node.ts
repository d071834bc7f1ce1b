import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import {
	authenticationParameters,
	channelNotices,
	channelNameExpression,
	channelCredentials,
	channelParameter,
} from '../shared/channelParameters';
import { channelAndOperationFields } from './actions/descriptionParts';
import { router } from './actions/router';
import { credentialTest, listSearch } from './methods';

const channelNames = channelNameExpression();

export class DeliveryChannel implements INodeType {
	// The subtitle is built from the channel registry's display names, which the rule cannot read.
	// eslint-disable-next-line n8n-nodes-base/node-class-description-missing-subtitle
	description: INodeTypeDescription = {
		displayName: 'Delivery Channel',
		name: 'deliveryChannel',
		icon: { light: 'file:deliveryChannel.svg', dark: 'file:deliveryChannel.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle:
			'={{ /Suppression/.test($parameter["operation"]) ? "Suppressions" : ' +
			`($parameter["operation"] === "send" ? "Send via " : "Failed deliveries: ") + ${channelNames} }}`,
		description:
			'Send email through a delivery channel (MSC servers, Gmail or your own SMTP) and list the deliveries that failed',
		defaults: { name: 'Delivery Channel' },
		usableAsTool: true,
		inputs: ['main'],
		outputs: ['main'],
		credentials: channelCredentials(),
		properties: [
			channelParameter('Which service sends the email and knows about its failed deliveries'),
			...authenticationParameters(),
			...channelNotices(),
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Add Suppression',
						value: 'addSuppression',
						description: 'Never send to an address again, e.g. after an unsubscribe',
						action: 'Add a suppression',
					},
					{
						name: 'Failed Deliveries',
						value: 'getFailedDeliveries',
						description: 'List deliveries that failed, one item per failed recipient',
						action: 'Get failed deliveries',
					},
					{
						name: 'List Suppressions',
						value: 'listSuppressions',
						description: 'List the addresses that are never sent to, and why',
						action: 'List suppressions',
					},
					{
						name: 'Remove Suppression',
						value: 'removeSuppression',
						description: 'Send to an address again',
						action: 'Remove a suppression',
					},
					{
						name: 'Send via Delivery Channel',
						value: 'send',
						description: 'Send an email through the selected channel',
						action: 'Send an email via a delivery channel',
					},
				],
				default: 'send',
			},
			...channelAndOperationFields(),
		],
	};

	methods = { listSearch, credentialTest };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
