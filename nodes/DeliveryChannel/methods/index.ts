/** Editor-side methods: identity lists and credential tests, each answered by the chosen channel. */
import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	ICredentialTestFunction,
	ILoadOptionsFunctions,
	INodeCredentialTestResult,
	INodeListSearchResult,
} from 'n8n-workflow';

import { channelList, getChannel } from '../channels/registry';

export async function searchIdentities(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	// The editor may omit a parameter left at its default: fall back to the default channel.
	const channel = getChannel(this.getNodeParameter('channel', 'msc'));
	if (!channel.listIdentities) return { results: [] };
	const identities = await channel.listIdentities.call(this, filter);
	const needle = (filter ?? '').toLowerCase();
	return {
		results: identities.filter((identity) => !needle || `${identity.name} ${identity.value}`.toLowerCase().includes(needle)),
	};
}

export const credentialTest: Record<string, ICredentialTestFunction> = Object.fromEntries(
	channelList()
		.filter((channel) => channel.testCredential)
		.map((channel) => [
			`${channel.key}CredentialTest`,
			async function (this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
				return await channel.testCredential!.call(this, credential.data ?? {});
			},
		]),
);

export const listSearch = { searchIdentities };
