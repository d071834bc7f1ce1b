/** Runs the real Delivery Channel node on the Gmail channel against the fake Google server. */
import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters } from 'n8n-workflow';

import type { ChannelContext } from '../../../../../nodes/DeliveryChannel/channels/types';
import { DeliveryChannel } from '../../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import type { FakeGmail, OAuthTokenData } from '../../../../fakes/gmail';
import { gmailBounce } from '../../../../fakes/gmail/bounce';
import {
	chain,
	itemsNode,
	manualTrigger,
	node,
	runWorkflow,
	setBinaryDataNode,
	type BinaryFileSpec,
	type RunWorkflowResult,
} from '../../../../helpers/n8n';

/** The credential's fields that point it at the fake, shared with the real-n8n end-to-end part. */
const { fakeGmailCredential } = require('../../../../../scripts/lib/fake-gmail-credential.js') as {
	fakeGmailCredential(fake: FakeGmail, oauthTokenData: IDataObject): ICredentialDataDecryptedObject;
};

export const NODE = 'Delivery Channel';
export const CREDENTIAL = 'deliveryChannelGmailOAuth2Api';

export function gmailCredential(
	fake: FakeGmail,
	tokenData: OAuthTokenData | IDataObject = fake.issueTokens(),
): ICredentialDataDecryptedObject {
	return {
		grantType: 'authorizationCode',
		authentication: 'body',
		scope:
			'https://www.googleapis.com/auth/gmail.send https://www.googleapis.com/auth/gmail.readonly',
		...fakeGmailCredential(fake, tokenData as IDataObject),
	};
}

export interface RunOptions {
	items: IDataObject[];
	parameters: INodeParameters;
	credential: ICredentialDataDecryptedObject;
	continueOnFail?: boolean;
	files?: BinaryFileSpec[];
}

export async function runGmail({
	items,
	parameters,
	credential,
	continueOnFail = true,
	files,
}: RunOptions): Promise<RunWorkflowResult> {
	const trigger = manualTrigger();
	const input = itemsNode('Items', items);
	const binary = files ? [setBinaryDataNode('Files', files)] : [];
	const delivery = node(
		NODE,
		'CUSTOM.deliveryChannel',
		{ channel: 'gmail', ...parameters },
		{
			credentials: [CREDENTIAL],
			...(continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
		},
	);
	return await runWorkflow({
		workflow: {
			nodes: [trigger, input, ...binary, delivery],
			connections: chain(trigger, input, ...binary, delivery),
		},
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
		...extra,
		options: { sendsPerMinute: 6000, ...(extra.options as IDataObject | undefined) },
	};
}

export function failedParameters(extra: INodeParameters = {}): INodeParameters {
	return { operation: 'getFailedDeliveries', returnAll: true, ...extra };
}

/**
 * The parts of n8n's execute context the Gmail channel reads, for tests that drive the channel
 * directly (a cancel signal, a checkpoint: what the router and the trigger pass).
 */
export function channelContext(
	fake: FakeGmail,
	parameters: IDataObject = {},
	tokenData: OAuthTokenData | IDataObject = fake.issueTokens(),
): ChannelContext {
	const values: IDataObject = { ...parameters };
	return {
		getCredentials: async () => gmailCredential(fake, tokenData),
		getNodeParameter: (name: string, _index: number, fallback: unknown) => values[name] ?? fallback,
		getInputData: () => [],
		helpers: {},
	} as unknown as ChannelContext;
}

/**
 * Puts `count` Gmail bounce reports (user unknown) into the fake's inbox, the first at `startMs`,
 * one every `spacingMs`; returns their failed recipients, oldest first.
 */
export function addReports(
	fake: FakeGmail,
	{
		count,
		startMs,
		spacingMs = 1_000,
		prefix = 'old',
	}: { count: number; startMs: number; spacingMs?: number; prefix?: string },
): string[] {
	const recipients: string[] = [];
	for (let i = 0; i < count; i++) {
		const recipient = `nosuchuser.${prefix}${i}@example.net`;
		const messageId = `<${prefix}-${i}@acme.example>`;
		const original = `From: jane@acme.example\r\nTo: ${recipient}\r\nSubject: ${prefix} ${i}\r\nMessage-ID: ${messageId}\r\n\r\nhello`;
		const at = startMs + i * spacingMs;
		fake.addMessage(
			gmailBounce({
				sender: fake.account.email,
				recipient,
				kind: 'unknown',
				original,
				originalMessageId: messageId,
				date: new Date(at),
			}),
			['INBOX'],
			at,
		);
		recipients.push(recipient);
	}
	return recipients;
}
