import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

/**
 * Test-only node (type `test.items`): emits the JSON items of its `items` parameter (a JSON array,
 * or an expression producing one), each paired to input item 0. Like a Code node returning fixed
 * data; use it to feed recipients etc. into the node under test.
 */
export class ItemsNode implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Items (test)',
		name: 'items',
		group: ['transform'],
		version: 1,
		description: 'Emit fixed JSON items (test helper)',
		defaults: { name: 'Items' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [{ displayName: 'Items (JSON)', name: 'items', type: 'json', default: '[]' }],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const raw = this.getNodeParameter('items', 0) as string | IDataObject[];
		const items = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
		if (!Array.isArray(items)) {
			throw new NodeOperationError(this.getNode(), 'Parameter "items" must be a JSON array');
		}
		return [items.map((json: IDataObject) => ({ json, pairedItem: { item: 0 } }))];
	}
}
