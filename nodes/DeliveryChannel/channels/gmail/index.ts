/** Gmail: the company's Google account sends through the Gmail API. */
import { DeliveryError } from '../errors';
import type { Channel, ChannelContext, ChannelSession } from '../types';

export const gmailChannel: Channel = {
	key: 'gmail',
	displayName: 'Gmail',
	description: "Sends from the company's Google account, no 'via'",
	credentialType: 'deliveryChannelGmailOAuth2Api',
	async open(_context: ChannelContext): Promise<ChannelSession> {
		throw new DeliveryError('Sending through Gmail is not available yet', {
			code: 'ENOTAVAILABLE',
			hint: 'Pick the Custom SMTP channel for now.',
			stopsBatch: true,
		});
	},
};
