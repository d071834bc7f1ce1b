/** MSC servers: the managed sending service (the default channel). */
import { DeliveryError } from '../errors';
import type { Channel, ChannelContext, ChannelSession } from '../types';

export const mscChannel: Channel = {
	key: 'msc',
	displayName: 'MSC Servers',
	description: 'The managed sending service; knows every failed delivery',
	credentialType: 'deliveryChannelMscApi',
	async open(_context: ChannelContext): Promise<ChannelSession> {
		throw new DeliveryError('Sending through MSC Servers is not available yet', {
			code: 'ENOTAVAILABLE',
			hint: 'Pick the Custom SMTP channel for now.',
			stopsBatch: true,
		});
	},
};
