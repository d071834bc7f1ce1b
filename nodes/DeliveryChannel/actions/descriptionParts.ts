/** Builds the node's parameters from the operations and the channel registry. */
import type { INodeProperties } from 'n8n-workflow';

import { channelList } from '../channels/registry';
import { operations } from './router';

/** Attaches a display rule once to a group of fields: shown only when the root parameter `parameter` is `value`. */
function showOnlyWhen(
	parameter: string,
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

/**
 * The Send operation's Options collection with each channel's own options added, shown only for
 * that channel ('/channel': a root parameter seen from inside the collection), sorted by name.
 */
function withChannelOptions(properties: INodeProperties[]): INodeProperties[] {
	const extra = channelList().flatMap((channel) =>
		showOnlyWhen('/channel', channel.key, channel.sendOptions ?? []),
	);
	return properties.map((property) =>
		property.name === 'options' && property.type === 'collection' && extra.length
			? {
					...property,
					options: [...(property.options as INodeProperties[]), ...extra].sort((a, b) =>
						a.displayName.localeCompare(b.displayName),
					),
				}
			: property,
	);
}

/** Each operation's fields; the Send operation's Options carry the channels' own options. */
export function channelAndOperationFields(): INodeProperties[] {
	return Object.entries(operations).flatMap(([name, operation]) =>
		showOnlyWhen(
			'operation',
			name,
			name === 'send' ? withChannelOptions(operation.description) : operation.description,
		),
	);
}
