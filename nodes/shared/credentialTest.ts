/** The credential tests ("Test" in the credential dialog) of the node and the trigger, one per channel that has one. */
import type {
	ICredentialsDecrypted,
	ICredentialTestFunction,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { channelList } from '../DeliveryChannel/channels/registry';

export const credentialTest: Record<string, ICredentialTestFunction> = Object.fromEntries(
	channelList()
		.filter((channel) => channel.testCredential)
		.map((channel) => [
			`${channel.key}CredentialTest`,
			async function (
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				return await channel.testCredential!.call(this, credential.data ?? {}, credential.type);
			},
		]),
);
