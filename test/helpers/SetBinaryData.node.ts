import type {
	IBinaryKeyData,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

export interface BinaryFileSpec {
	/** Binary property name on the item, e.g. 'data' or 'attachment_0'. */
	propertyName: string;
	fileName: string;
	mimeType?: string;
	/** File content; may be an n8n expression (e.g. '={{ $json.body }}'). */
	content: string;
	/** How `content` is encoded. Default 'utf8'. */
	encoding?: 'utf8' | 'base64';
}

/**
 * Test-only node (type `test.setBinaryData`): for every input item, keeps its json and existing
 * binaries and adds one binary property per entry of the `files` fixedCollection, stored through the
 * real `this.helpers.prepareBinaryData`, i.e. through n8n-core's BinaryDataService (in memory in
 * 'default' mode, on disk with an `id` in 'filesystem' mode, exactly as n8n would store it).
 */
export class SetBinaryData implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Set Binary Data (test)',
		name: 'setBinaryData',
		group: ['transform'],
		version: 1,
		description: 'Attach binary properties to items (test helper)',
		defaults: { name: 'Set Binary Data' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [
			{
				displayName: 'Files',
				name: 'files',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				default: {},
				options: [
					{
						displayName: 'File',
						name: 'file',
						values: [
							{
								displayName: 'Property Name',
								name: 'propertyName',
								type: 'string',
								default: 'data',
							},
							{ displayName: 'File Name', name: 'fileName', type: 'string', default: 'file.txt' },
							{ displayName: 'MIME Type', name: 'mimeType', type: 'string', default: '' },
							{ displayName: 'Content', name: 'content', type: 'string', default: '' },
							{
								displayName: 'Encoding',
								name: 'encoding',
								type: 'options',
								options: [
									{ name: 'UTF-8', value: 'utf8' },
									{ name: 'Base64', value: 'base64' },
								],
								default: 'utf8',
							},
						],
					},
				],
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i++) {
			const files = (this.getNodeParameter('files.file', i, []) as IDataObject[]) ?? [];
			const binary: IBinaryKeyData = { ...(items[i].binary ?? {}) };
			for (const file of files) {
				const encoding = (file.encoding as BufferEncoding | undefined) ?? 'utf8';
				const buffer = Buffer.from(String(file.content ?? ''), encoding);
				binary[String(file.propertyName)] = await this.helpers.prepareBinaryData(
					buffer,
					String(file.fileName),
					file.mimeType ? String(file.mimeType) : undefined,
				);
			}
			out.push({ json: items[i].json, binary, pairedItem: { item: i } });
		}
		return [out];
	}
}
