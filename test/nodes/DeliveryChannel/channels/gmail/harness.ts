/** Runs the real Delivery Channel node on the Gmail channel against the fake Google server. */
import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters } from 'n8n-workflow';

import { DeliveryChannel } from '../../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import type { FakeGmail, OAuthTokenData } from '../../../../fakes/gmail';
import { chain, itemsNode, manualTrigger, node, runWorkflow, setBinaryDataNode, type BinaryFileSpec, type RunWorkflowResult } from '../../../../helpers/n8n';

export const NODE = 'Delivery Channel';
export const CREDENTIAL = 'deliveryChannelGmailOAuth2Api';

export function gmailCredential(fake: FakeGmail, tokenData: OAuthTokenData | IDataObject = fake.issueTokens()): ICredentialDataDecryptedObject {
	return {
		grantType: 'authorizationCode',
		authentication: 'body',
		scope: 'https://www.googleapis.com/auth/gmail.send https://www.googleapis.com/auth/gmail.readonly',
		clientId: fake.client.id,
		clientSecret: fake.client.secret,
		authUrl: fake.authUrl,
		accessTokenUrl: fake.tokenUrl,
		useCustomApiBaseUrl: true,
		apiBaseUrl: fake.apiBaseUrl,
		readMailbox: true,
		oauthTokenData: tokenData as IDataObject,
	};
}

export interface RunOptions {
	items: IDataObject[];
	parameters: INodeParameters;
	credential: ICredentialDataDecryptedObject;
	continueOnFail?: boolean;
	files?: BinaryFileSpec[];
}

export async function runGmail({ items, parameters, credential, continueOnFail = true, files }: RunOptions): Promise<RunWorkflowResult> {
	const trigger = manualTrigger();
	const input = itemsNode('Items', items);
	const binary = files ? [setBinaryDataNode('Files', files)] : [];
	const delivery = node(NODE, 'CUSTOM.deliveryChannel', { channel: 'gmail', ...parameters }, {
		credentials: [CREDENTIAL],
		...(continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
	});
	return await runWorkflow({
		workflow: { nodes: [trigger, input, ...binary, delivery], connections: chain(trigger, input, ...binary, delivery) },
		nodeTypes: { 'CUSTOM.deliveryChannel': new DeliveryChannel() },
		// No credentialTypes: test/helpers/n8n.ts then drops oauthTokenData while applying the type's
		// defaults (real n8n copies it back), so the credential is given complete instead.
		credentials: { [CREDENTIAL]: credential },
	});
}

export function sendParameters(extra: INodeParameters = {}): INodeParameters {
	return {
		operation: 'send',
		identity: { __rl: true, mode: 'address', value: '={{ $json.from }}' },
		to: '={{ $json.to }}',
		subject: '={{ $json.subject }}',
		emailFormat: 'text',
		text: '={{ $json.text }}',
		// Fast pacing for tests; the pacing itself is tested in pacing.test.ts and the benchmark.
		gmailOptions: { sendsPerMinute: 6000 },
		...extra,
	};
}

export function failedParameters(extra: INodeParameters = {}): INodeParameters {
	return { operation: 'getFailedDeliveries', returnAll: true, ...extra };
}
