import type {
	INodeType,
	INodeTypeDescription,
	ITriggerFunctions,
	ITriggerResponse,
} from 'n8n-workflow';

/**
 * Minimal stand-in for n8n-nodes-base's Manual Trigger (registered by the harness under the real
 * type name `n8n-nodes-base.manualTrigger`, so workflow JSON exported from n8n runs unchanged).
 * Like the real one it is a trigger node: in 'manual' mode WorkflowExecute calls `trigger()`, then
 * `manualTriggerFunction()`, and the node emits a single empty item.
 */
export class ManualTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Manual Trigger',
		name: 'manualTrigger',
		group: ['trigger'],
		version: 1,
		description: 'Runs the flow on clicking a button in n8n',
		maxNodes: 1,
		defaults: { name: 'When clicking ‘Execute workflow’' },
		inputs: [],
		outputs: ['main'],
		properties: [],
	};

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		const manualTriggerFunction = async () => {
			this.emit([this.helpers.returnJsonArray([{}])]);
		};
		return { manualTriggerFunction };
	}
}
