/** Builds the node's parameters from the operations and the channel registry. */
import type { INodeCredentialDescription, INodeProperties } from 'n8n-workflow';

import { channelList } from '../channels/registry';
import { operations } from './router';

/** Attaches a display rule once to a group of fields: shown only when `parameter` is `value`. */
function showOnlyWhen(parameter: 'operation' | 'channel', value: string, properties: INodeProperties[]): INodeProperties[] {
	return properties.map((property) => ({
		...property,
		displayOptions: {
			...property.displayOptions,
			show: { ...property.displayOptions?.show, [parameter]: [value] },
		},
	}));
}

/** Each channel shows only its own credential. */
export function channelCredentials(): INodeCredentialDescription[] {
	return channelList().map((channel) => ({
		name: channel.credentialType,
		required: true,
		displayOptions: { show: { channel: [channel.key] } },
		...(channel.testCredential ? { testedBy: `${channel.key}CredentialTest` } : {}),
	}));
}

export function channelOptions() {
	return channelList().map((channel) => ({ name: channel.displayName, value: channel.key, description: channel.description }));
}

/** Parameters that only one channel shows, then each operation's fields. */
export function channelAndOperationFields(): INodeProperties[] {
	return [
		...channelList().flatMap((channel) => showOnlyWhen('channel', channel.key, channel.properties ?? [])),
		...Object.entries(operations).flatMap(([name, operation]) => showOnlyWhen('operation', name, operation.description)),
	];
}

/** The Channel parameter, the same on the node and the trigger. */
export function channelParameter(description: string): INodeProperties {
	return {
		displayName: 'Channel',
		name: 'channel',
		type: 'options',
		noDataExpression: true,
		options: channelOptions(),
		// The options come from the channel registry, which the rule cannot read; 'msc' is one of them.
		// eslint-disable-next-line n8n-nodes-base/node-param-default-wrong-for-options
		default: 'msc',
		description,
	};
}
