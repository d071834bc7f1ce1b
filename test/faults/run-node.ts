/**
 * Runs the Send operation of the real node in n8n's engine (n8n-core in-process) over a list of
 * leads, as a user's workflow does (On Error = Continue, regular output), and returns every item the
 * node emitted on every output. Shared by the fault scenarios of every channel.
 */
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	INodeExecutionData,
	INodeParameters,
} from 'n8n-workflow';

import { DeliveryChannel } from '../../nodes/DeliveryChannel/DeliveryChannel.node';
import {
	chain,
	itemsNode,
	manualTrigger,
	node,
	runWorkflow,
	type RunWorkflowResult,
} from '../helpers/n8n';

const TYPE = 'CUSTOM.deliveryChannel';

export interface SendRun {
	/** Send's parameters; `operation: 'send'` is added. */
	parameters: INodeParameters;
	leads: IDataObject[];
	credentialType: string;
	credentials: ICredentialDataDecryptedObject;
	/** The credential type's class, for its defaults (n8n fills them in before the node sees them). */
	credentialClass?: ICredentialType;
	cancelSignal?: AbortSignal;
}

export async function runSend(
	run: SendRun,
): Promise<{ items: INodeExecutionData[]; result: RunWorkflowResult }> {
	const trigger = manualTrigger();
	const source = itemsNode('Leads', run.leads);
	const send = node(
		'Send',
		TYPE,
		{ operation: 'send', ...run.parameters },
		{ credentials: [run.credentialType], onError: 'continueRegularOutput' },
	);
	const result = await runWorkflow({
		workflow: { nodes: [trigger, source, send], connections: chain(trigger, source, send) },
		nodeTypes: { [TYPE]: new DeliveryChannel() },
		credentials: { [run.credentialType]: run.credentials },
		credentialTypes: run.credentialClass
			? { [run.credentialType]: run.credentialClass }
			: undefined,
		cancelSignal: run.cancelSignal,
	});
	const items = (result.taskData('Send')?.data?.main ?? []).flatMap((output) => output ?? []);
	return { items, result };
}
