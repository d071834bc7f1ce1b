/**
 * Which credential a channel signs in with. Most channels have one; a channel with `authentications`
 * (Custom SMTP: password or OAuth2) lets the node's Authentication parameter pick it.
 */
import type { ILoadOptionsFunctions } from 'n8n-workflow';

import type { Channel, ChannelContext } from './types';

type Context = ChannelContext | ILoadOptionsFunctions;

/** The Authentication parameter as the node holds it (its default when unset). */
function authenticationOf(context: Context, fallback: string): unknown {
	// A context without node parameters (a channel driven on its own) uses the default.
	if (typeof context.getNodeParameter !== 'function') return fallback;
	// Only the execute context asks for an item index; the trigger and the editor do not.
	if ('getInputData' in context) return context.getNodeParameter('authentication', 0, fallback);
	return (context as ILoadOptionsFunctions).getNodeParameter('authentication', fallback);
}

/** The credential type the node uses for this channel. */
export function channelCredentialType(
	channel: Pick<Channel, 'credentialType' | 'authentications'>,
	context: Context,
): string {
	const choices = channel.authentications;
	if (!choices?.length) return channel.credentialType;
	const value = authenticationOf(context, choices[0].value);
	return choices.find((choice) => choice.value === value)?.credentialType ?? channel.credentialType;
}
