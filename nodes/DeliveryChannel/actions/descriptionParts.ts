/** Builds the node's parameters from the operations and the channel registry. */
import type { INodeProperties } from 'n8n-workflow';

import { channelList } from '../channels/registry';
import { operations } from './router';

/** Attaches a display rule once to a group of fields: shown only when `parameter` is `value`. */
function showOnlyWhen(
	parameter: 'operation' | 'channel',
	value: string,
	properties: INodeProperties[],
): INodeProperties[] {
	return properties.map((property) => ({
		...property,
		displayOptions: {
			...property.displayOptions,
			show: { ...property.displayOptions?.show, [parameter]: [value] },
		},
	}));
}

/** Parameters that only one channel shows, then each operation's fields. */
export function channelAndOperationFields(): INodeProperties[] {
	return [
		...channelList().flatMap((channel) =>
			showOnlyWhen('channel', channel.key, channel.properties ?? []),
		),
		...Object.entries(operations).flatMap(([name, operation]) =>
			showOnlyWhen('operation', name, operation.description),
		),
	];
}
