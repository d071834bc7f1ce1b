/**
 * Builds a Channel from its parts, so that a channel's index says only what is its own: its names,
 * its node options, how it opens a session, and (where it has them) its credential test and the
 * identities it offers. n8n's `this`-bound editor hooks and the identity labels are made here once.
 */
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	ILoadOptionsFunctions,
	INodeCredentialTestResult,
	INodeListSearchItems,
} from 'n8n-workflow';

import { formatAddress } from '../../../core/message/addresses';
import type { Channel, ChannelContext, ChannelSession, OpenOptions } from './types';

/** One identity the editor offers: the address, its display name, a note shown after it. */
export interface IdentityChoice {
	address: string;
	name?: string;
	/** Shown in parentheses after the address ("account", "mailbox"). */
	note?: string;
	/**
	 * Shown before the address ("Not verified"): what the user must see even when the editor's list
	 * cuts a long entry at its end.
	 */
	flag?: string;
}

/** What a channel gives `defineChannel`: the Channel's fields, with its hooks as plain functions. */
export interface ChannelParts extends Omit<Channel, 'open' | 'testCredential' | 'listIdentities'> {
	/** Opens a session; `options` is `{}` when the caller gave none. */
	open(context: ChannelContext, options: OpenOptions): Promise<ChannelSession>;
	/** The credential test: the credential's data, and n8n's context of the test. */
	testCredential?(
		credentials: ICredentialDataDecryptedObject,
		context: ICredentialTestFunctions,
		credentialType?: string,
	): Promise<INodeCredentialTestResult>;
	/** The identities the editor offers, in the order it shows them. */
	listIdentities?(context: ILoadOptionsFunctions): Promise<IdentityChoice[]>;
}

/** An identity as an entry of the editor's Identity list: the address as From shows it. */
export function identityOption({
	address,
	name,
	note,
	flag,
}: IdentityChoice): INodeListSearchItems {
	const value = formatAddress({ name: name ?? '', address });
	const shown = [flag ? `${flag}:` : '', value, note ? `(${note})` : ''].filter(Boolean).join(' ');
	return { name: shown, value };
}

export function defineChannel(parts: ChannelParts): Channel {
	const { open, testCredential, listIdentities, ...fields } = parts;
	const channel: Channel = {
		...fields,
		async open(context: ChannelContext, options: OpenOptions = {}): Promise<ChannelSession> {
			return await open(context, options);
		},
	};
	if (testCredential) {
		channel.testCredential = async function (
			this: ICredentialTestFunctions,
			credentials: ICredentialDataDecryptedObject,
			credentialType?: string,
		): Promise<INodeCredentialTestResult> {
			return await testCredential(credentials, this, credentialType);
		};
	}
	if (listIdentities) {
		channel.listIdentities = async function (
			this: ILoadOptionsFunctions,
		): Promise<INodeListSearchItems[]> {
			return (await listIdentities(this)).map(identityOption);
		};
	}
	return channel;
}
