/**
 * The one place that knows which channels exist. Typed by ChannelKey, so a channel cannot be added
 * to the Channel parameter without an implementation, nor the other way round.
 */
import { DeliveryError } from '../../../core/errors';
import { gmailChannel } from './gmail';
import { mscChannel } from './msc';
import { smtpChannel } from './smtp';
import type { Channel, ChannelKey } from './types';

export const channels: { readonly [K in ChannelKey]: Channel & { key: K } } = {
	msc: mscChannel as Channel & { key: 'msc' },
	gmail: gmailChannel as Channel & { key: 'gmail' },
	smtp: smtpChannel as Channel & { key: 'smtp' },
};

export function channelList(): Channel[] {
	return Object.values(channels);
}

export function getChannel(key: unknown): Channel {
	if (typeof key === 'string' && Object.prototype.hasOwnProperty.call(channels, key)) {
		return channels[key as ChannelKey];
	}
	throw new DeliveryError(`Unknown channel: ${JSON.stringify(key)}`, {
		code: 'EINPUT',
		field: 'channel',
		hint: `Pick one of: ${channelList()
			.map((channel) => `${channel.displayName} (${channel.key})`)
			.join(', ')}.`,
		stopsBatch: true,
	});
}
