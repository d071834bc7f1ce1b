/** Builds the node's parameters from the operations and the channel registry. */
import type { INodeCredentialDescription, INodeProperties } from 'n8n-workflow';

import { channelList } from '../channels/registry';
import { operations } from './router';

/** Shows each operation's fields only for that operation. */
export function forOperation(operation: string, properties: INodeProperties[]): INodeProperties[] {
	return properties.map((property) => ({
		...property,
		displayOptions: {
			...property.displayOptions,
			show: { ...property.displayOptions?.show, operation: [operation] },
		},
	}));
}

/** Shows each channel's own fields only for that channel. */
export function forChannel(channel: string, properties: INodeProperties[]): INodeProperties[] {
	return properties.map((property) => ({
		...property,
		displayOptions: {
			...property.displayOptions,
			show: { ...property.displayOptions?.show, channel: [channel] },
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
		...channelList().flatMap((channel) => forChannel(channel.key, channel.properties ?? [])),
		...Object.entries(operations).flatMap(([name, operation]) => forOperation(name, operation.description)),
	];
}
