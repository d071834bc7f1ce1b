/** The parameters the Delivery Channel node and its trigger share: the Channel picker and each channel's credential. */
import type { INodeCredentialDescription, INodeProperties } from 'n8n-workflow';

import { channelList } from '../DeliveryChannel/channels/registry';

/** Each channel shows only its own credential (with several: the one its Authentication picks). */
export function channelCredentials(): INodeCredentialDescription[] {
	return channelList().flatMap((channel) =>
		(channel.authentications ?? [{ value: '', credentialType: channel.credentialType }]).map(
			(choice) => ({
				name: choice.credentialType,
				required: true,
				displayOptions: {
					show: {
						channel: [channel.key],
						...(choice.value ? { authentication: [choice.value] } : {}),
					},
				},
				...(channel.testCredential ? { testedBy: `${channel.key}CredentialTest` } : {}),
			}),
		),
	);
}

/** The Authentication parameter of each channel that signs in more than one way. */
export function authenticationParameters(): INodeProperties[] {
	return channelList().flatMap((channel) =>
		channel.authentications
			? [
					{
						displayName: 'Authentication',
						name: 'authentication',
						type: 'options' as const,
						noDataExpression: true,
						options: channel.authentications.map(({ name, value }) => ({ name, value })),
						default: channel.authentications[0].value,
						displayOptions: { show: { channel: [channel.key] } },
					},
				]
			: [],
	);
}

export function channelOptions() {
	return channelList().map((channel) => ({
		name: channel.displayName,
		value: channel.key,
		description: channel.description,
	}));
}

/**
 * An n8n expression (without braces) giving the selected channel's display name, for subtitles: the
 * raw key ("smtp") when a channel is unknown.
 */
export function channelNameExpression(): string {
	const names = Object.fromEntries(
		channelList().map((channel) => [channel.key, channel.displayName]),
	);
	return `(${JSON.stringify(names)}[$parameter["channel"]] || $parameter["channel"])`;
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

/** One notice per channel, shown when it is selected: what the channel means and how to switch. */
export function channelNotices(): INodeProperties[] {
	return channelList().map((channel) => ({
		displayName:
			`${channel.notice} To use another channel, pick or create a credential of that channel under ` +
			'Credential (MSC Servers, Gmail or Custom SMTP).',
		name: `${channel.key}ChannelNotice`,
		type: 'notice' as const,
		default: '',
		displayOptions: { show: { channel: [channel.key] } },
	}));
}
