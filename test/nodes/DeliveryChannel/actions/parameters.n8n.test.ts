/**
 * itemParameter inside a real n8n-core execution: per-run settings are read once, yet every item
 * still gets what n8n would give it, including an expression nested deeper than any shortcut looks,
 * and its own copy when items run at once.
 */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeParameters,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import { itemParameter } from '../../../../nodes/DeliveryChannel/actions/parameters';
import { chain, itemsNode, manualTrigger, node, runWorkflow } from '../../../helpers/n8n';

/** `{ next: { next: ... { value } } }`, `depth` levels deep. */
function nested(depth: number, value: string): INodeParameters {
	let out: INodeParameters = { value };
	for (let level = 0; level < depth; level++) out = { next: out };
	return out;
}

const PARAMETERS: INodeParameters = {
	plain: 'the same for every item',
	field: '={{ $json.to }}',
	computed: "={{ 'Re: ' + $json.to.toUpperCase() }}",
	settings: { cc: 'cc@example.com', list: ['a'], deep: nested(30, 'static') },
	deepExpression: nested(30, '={{ $json.to }}'),
	identity: { __rl: true, mode: 'address', value: 'Ops <ops@example.com>' },
};

const ITEMS: IDataObject[] = ['a', 'b', 'c', 'd'].map((name) => ({ to: `${name}@client.example` }));

const property = (name: string, type: INodeProperties['type']): INodeProperties => ({
	displayName: name,
	name,
	type,
	default: '',
});

/** Reads every parameter both ways for every item, all items at once, and changes what it was given. */
class ParameterProbe implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Parameter Probe',
		name: 'parameterProbe',
		group: ['transform'],
		version: 1,
		description: 'Reads parameters through itemParameter and through n8n',
		defaults: { name: 'Parameter Probe' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [
			property('plain', 'string'),
			property('field', 'string'),
			property('computed', 'string'),
			property('settings', 'json'),
			property('deepExpression', 'json'),
			{
				...property('identity', 'resourceLocator'),
				default: { mode: 'address', value: '' },
				modes: [{ displayName: 'By Address', name: 'address', type: 'string' }],
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const rows = await Promise.all(
			this.getInputData().map(async (_, itemIndex) => {
				const json: IDataObject = {};
				for (const name of Object.keys(PARAMETERS)) {
					json[name] = {
						ours: itemParameter(this, name, itemIndex, ''),
						n8n: this.getNodeParameter(name, itemIndex, ''),
					} as IDataObject;
				}
				json.identityExtracted = {
					ours: itemParameter(this, 'identity', itemIndex, '', { extractValue: true }),
					n8n: this.getNodeParameter('identity', itemIndex, '', { extractValue: true }),
				} as IDataObject;
				// An item changes the setting it was given, then yields to the items running beside it.
				const settings = itemParameter(this, 'settings', itemIndex, {}) as IDataObject;
				settings.cc = `item ${itemIndex}`;
				(settings.list as string[]).push(`item ${itemIndex}`);
				await new Promise((resolve) => setImmediate(resolve));
				json.changed = settings;
				return { json, pairedItem: { item: itemIndex } };
			}),
		);
		return [rows];
	}
}

describe('itemParameter inside n8n-core', () => {
	let rows: INodeExecutionData[];

	beforeAll(async () => {
		const trigger = manualTrigger();
		const items = itemsNode('Items', ITEMS);
		const probe = node('Probe', 'test.parameterProbe', PARAMETERS);
		const { output, error } = await runWorkflow({
			workflow: { nodes: [trigger, items, probe], connections: chain(trigger, items, probe) },
			nodeTypes: { 'test.parameterProbe': new ParameterProbe() },
		});
		expect(error).toBeUndefined();
		rows = output('Probe');
		expect(rows).toHaveLength(ITEMS.length);
	});

	it('returns what n8n returns for every parameter and item', () => {
		for (const [index, row] of rows.entries()) {
			for (const name of [...Object.keys(PARAMETERS), 'identityExtracted']) {
				const { ours, n8n } = row.json[name] as { ours: unknown; n8n: unknown };
				expect({ item: index, name, value: ours }).toEqual({ item: index, name, value: n8n });
			}
		}
		expect((rows[2].json.field as IDataObject).ours).toBe('c@client.example');
		expect((rows[3].json.identityExtracted as IDataObject).ours).toBe('Ops <ops@example.com>');
	});

	it('evaluates an expression nested 30 levels deep for each item', () => {
		const values = rows.map((row) => {
			let level = (row.json.deepExpression as IDataObject).ours as IDataObject;
			while (level.next) level = level.next as IDataObject;
			return level.value;
		});
		expect(values).toEqual(ITEMS.map((item) => item.to));
	});

	it('gives each item running at once its own copy of a per-run setting', () => {
		for (const [index, row] of rows.entries()) {
			expect(row.json.changed).toMatchObject({ cc: `item ${index}`, list: ['a', `item ${index}`] });
			// what the other items did to their copies did not reach this item's first read either
			expect((row.json.settings as IDataObject).ours).toMatchObject({
				cc: 'cc@example.com',
				list: ['a'],
			});
		}
	});
});
