/**
 * Runs a polling trigger's `poll` the way an active n8n workflow does: n8n-core's real PollContext
 * (mode 'trigger', activation 'activate') driven through TriggersAndPollers.runPollFunction, with
 * the node's static data carried from one poll to the next as n8n saves it (a JSON copy, so state
 * that does not survive serialisation is caught).
 *
 * The in-process harness (test/helpers/n8n.ts) runs polls in manual mode only; this covers the
 * active-workflow path.
 */
import '../helpers/n8n-env';

import { Container } from '@n8n/di';
import { PollContext, TriggersAndPollers } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentials,
	ICredentialType,
	IDataObject,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeExecutionData,
	INodeParameters,
	INodeProperties,
	INodeType,
	INodeTypes,
	IVersionedNodeType,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { ICredentialsHelper, NodeHelpers, Workflow } from 'n8n-workflow';

class StoreCredentialsHelper extends ICredentialsHelper {
	constructor(
		private readonly store: Record<string, ICredentialDataDecryptedObject>,
		private readonly types: Record<string, ICredentialType>,
	) {
		super();
	}

	getParentTypes(): string[] {
		return [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.types[type]?.properties ?? [];
	}

	/** A credential type's generic `authenticate` (headers, query string), as n8n applies it. */
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		type: string,
		options: IHttpRequestOptions,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const authenticate = this.types[type]?.authenticate;
		if (typeof authenticate !== 'object' || authenticate.type !== 'generic' || !workflow || !node)
			return options;
		const resolve = (value: unknown) =>
			typeof value === 'string' && value.startsWith('=')
				? workflow.expression.getSimpleParameterValue(
						node,
						value,
						'internal',
						{ $credentials: credentials } as never,
						undefined,
						'',
					)
				: value;
		for (const [where, entries] of Object.entries(authenticate.properties)) {
			const target = ((options as unknown as IDataObject)[where] ??= {}) as IDataObject;
			for (const [key, value] of Object.entries(entries as IDataObject))
				target[key] = resolve(value) as IDataObject[string];
		}
		return options;
	}

	async preAuthentication(): Promise<undefined> {
		return undefined;
	}

	async runPreAuthentication(): Promise<undefined> {
		return undefined;
	}

	async getCredentials(details: INodeCredentialsDetails, type: string): Promise<ICredentials> {
		const data = this.read(type);
		return {
			id: details.id,
			name: details.name,
			type,
			getData: () => structuredClone(data),
		} as unknown as ICredentials;
	}

	async getDecrypted(
		_additionalData: IWorkflowExecuteAdditionalData,
		_details: INodeCredentialsDetails,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		const data = structuredClone(this.read(type));
		const properties = this.getCredentialsProperties(type);
		// Defaults of the credential type's fields, as n8n fills them in.
		const filled = (NodeHelpers.getNodeParameters(
			properties,
			data as INodeParameters,
			true,
			false,
			null,
			null,
		) ?? data) as ICredentialDataDecryptedObject;
		// n8n copies the stored OAuth token back (it is no declared field).
		if (data.oauthTokenData !== undefined) filled.oauthTokenData = data.oauthTokenData;
		return filled;
	}

	async updateCredentials(): Promise<void> {}

	async updateCredentialsOauthTokenData(): Promise<void> {}

	private read(type: string): ICredentialDataDecryptedObject {
		const data = this.store[type];
		if (!data) throw new Error(`No credential of type ${type} in the test store`);
		return data;
	}
}

class NodeTypes implements INodeTypes {
	constructor(private readonly types: Record<string, INodeType | IVersionedNodeType>) {}

	getByName(name: string): INodeType | IVersionedNodeType {
		const type = this.types[name];
		if (!type) throw new Error(`Unknown node type ${name}`);
		return type;
	}

	getByNameAndVersion(name: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.getByName(name), version);
	}

	getKnownTypes(): IDataObject {
		return {};
	}
}

export interface PollOptions {
	node: INode;
	nodeType: INodeType;
	credentials: Record<string, ICredentialDataDecryptedObject>;
	credentialTypes?: Record<string, ICredentialType>;
	/** The workflow's static data as saved after the previous poll ({} before the first). */
	staticData: IDataObject;
	mode?: WorkflowExecuteMode;
}

export interface PollResult {
	items: INodeExecutionData[];
	/** null when the poll returned nothing (n8n then starts no execution). */
	raw: INodeExecutionData[][] | null;
	/** The static data as n8n would save it after this poll. */
	staticData: IDataObject;
}

export async function pollOnce(options: PollOptions): Promise<PollResult> {
	const node = structuredClone(options.node);
	const workflow = new Workflow({
		id: 'poll-test-workflow',
		name: 'Poll test',
		nodes: [node],
		connections: {},
		active: true,
		nodeTypes: new NodeTypes({ [node.type]: options.nodeType }),
		staticData: JSON.parse(JSON.stringify(options.staticData)) as IDataObject,
		settings: { executionOrder: 'v1' },
	});
	const additionalData = {
		credentialsHelper: new StoreCredentialsHelper(
			options.credentials,
			options.credentialTypes ?? {},
		),
		executionId: undefined,
		workflowId: workflow.id,
		userId: 'test-user',
		currentNodeExecutionIndex: 0,
		variables: {},
		restApiUrl: 'http://localhost:5678/rest',
		instanceBaseUrl: 'http://localhost:5678/',
		webhookBaseUrl: 'http://localhost:5678/webhook',
		webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
		formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
	} as unknown as IWorkflowExecuteAdditionalData;
	const mode = options.mode ?? 'trigger';
	const context = new PollContext(
		workflow,
		workflow.getNode(node.name)!,
		additionalData,
		mode,
		mode === 'manual' ? 'manual' : 'activate',
	);
	const raw = (await Container.get(TriggersAndPollers).runPollFunction(
		workflow,
		workflow.getNode(node.name)!,
		context,
	)) as INodeExecutionData[][] | null;
	return {
		raw,
		items: raw?.[0] ?? [],
		staticData: JSON.parse(JSON.stringify(workflow.staticData)) as IDataObject,
	};
}
