/** Editor-side methods: identity lists and credential tests, each answered by the chosen channel. */
import type { ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';

import { getChannel } from '../channels/registry';

export async function searchIdentities(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	// The editor may omit a parameter left at its default: fall back to the default channel.
	const channel = getChannel(this.getNodeParameter('channel', 'msc'));
	if (!channel.listIdentities) return { results: [] };
	const identities = await channel.listIdentities.call(this, filter);
	const needle = (filter ?? '').toLowerCase();
	return {
		results: identities.filter(
			(identity) => !needle || `${identity.name} ${identity.value}`.toLowerCase().includes(needle),
		),
	};
}

export { credentialTest } from '../../shared/credentialTest';

export const listSearch = { searchIdentities };
