/**
 * The field-template shortcut of itemParameter against n8n's own expression engine: inside a real
 * n8n-core execution, every parameter read through itemParameter must equal what
 * getNodeParameter returns, for templates the shortcut fills and for ones it hands to n8n.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { compileFieldTemplate, itemParameter } from '../../../../nodes/DeliveryChannel/actions/parameters';
import { chain, itemsNode, manualTrigger, node, runWorkflow } from '../../../helpers/n8n';

const TEMPLATES: Record<string, string> = {
	whole: '={{ $json.to }}',
	tight: '={{$json.to}}',
	mixed: '=Hello {{ $json.name }}, re: {{ $json["subject line"] }}!',
	quoted: "={{ $json['nested'].inner }}",
	deep: '=plain {{ $json.nested.inner }} text',
	number: '={{ $json.count }}',
	missing: '={{ $json.absent }}',
	nullish: '={{ $json.nothing }}',
	object: '={{ $json.nested }}',
	method: '={{ $json.to.toUpperCase() }}',
	empty: '={{ $json.blank }}',
	unicode: '=Grüße, {{ $json.name }} — 👋',
	staticText: 'no expression at all',
};

const ITEMS: IDataObject[] = [
	{ to: 'a@client.example', name: 'Ada', 'subject line': 'Offer', nested: { inner: 'deep' }, count: 3, nothing: null, blank: '' },
	{ to: 'b@client.example', name: 'Bo {{ not an expression }} = x', 'subject line': '', nested: { inner: 'x' }, count: '3', nothing: 'now a string', blank: ' ' },
	{ to: 'c@client.example', name: '', nested: { inner: 7 }, count: -1 },
	{ to: 42, name: 'Émile', 'subject line': 'Re: "quotes" and \\backslashes\\', nested: 'not an object' },
	{},
];

class ParameterProbe implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Parameter Probe',
		name: 'parameterProbe',
		group: ['transform'],
		version: 1,
		description: 'Reads parameters both ways',
		defaults: { name: 'Parameter Probe' },
		inputs: ['main'],
		outputs: ['main'],
		properties: Object.keys(TEMPLATES).map((name) => ({ displayName: name, name, type: 'string' as const, default: '' })),
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [
			this.getInputData().map((_, itemIndex) => {
				const json: IDataObject = {};
				for (const name of Object.keys(TEMPLATES)) {
					let ours: unknown;
					let n8n: unknown;
					try {
						ours = itemParameter(this, name, itemIndex, '');
					} catch (error) {
						ours = `error: ${(error as Error).message}`;
					}
					try {
						n8n = this.getNodeParameter(name, itemIndex, '');
					} catch (error) {
						n8n = `error: ${(error as Error).message}`;
					}
					json[name] = { ours, n8n } as IDataObject;
				}
				return { json, pairedItem: { item: itemIndex } };
			}),
		];
	}
}

describe('itemParameter inside n8n-core', () => {
	it('returns what n8n returns for every template and item', async () => {
		const trigger = manualTrigger();
		const items = itemsNode('Items', ITEMS);
		const probe = node('Probe', 'test.parameterProbe', TEMPLATES);
		const { output, error } = await runWorkflow({
			workflow: { nodes: [trigger, items, probe], connections: chain(trigger, items, probe) },
			nodeTypes: { 'test.parameterProbe': new ParameterProbe() },
		});
		expect(error).toBeUndefined();
		const rows = output('Probe');
		expect(rows).toHaveLength(ITEMS.length);
		for (const [index, row] of rows.entries()) {
			for (const name of Object.keys(TEMPLATES)) {
				const { ours, n8n } = row.json[name] as { ours: unknown; n8n: unknown };
				expect({ item: index, name, value: ours }).toEqual({ item: index, name, value: n8n });
			}
		}
		// the shortcut really filled the string cases (n8n's answer, the same text)
		expect((rows[0].json.mixed as IDataObject).ours).toBe('Hello Ada, re: Offer!');
		expect((rows[1].json.mixed as IDataObject).ours).toBe('Hello Bo {{ not an expression }} = x, re: !');
	});
});

describe('compileFieldTemplate', () => {
	it.each([
		['={{ $json.to }}', { texts: ['', ''], paths: [['to']] }],
		['=Hi {{ $json["first name"] }}!', { texts: ['Hi ', '!'], paths: [['first name']] }],
		["={{ $json['a'].b }}", { texts: ['', ''], paths: [['a', 'b']] }],
	])('%s compiles', (raw, template) => {
		expect(compileFieldTemplate(raw)).toEqual(template);
	});

	it.each([
		'plain text',
		'=no fields',
		'={{ $json }}',
		'={{ $json.to.trim() }}',
		'={{ $("Other").item.json.to }}',
		'={{ $json.to }} {{ $now }}',
		'=a \\{{ $json.to }}',
		'=a } {{ $json.to }}',
		'={{ $json[0] }}',
		'={{ $json.to',
		42,
	])('%s is left to n8n', (raw) => {
		expect(compileFieldTemplate(raw)).toBeUndefined();
	});
});
