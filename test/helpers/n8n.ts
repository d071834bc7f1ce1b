/**
 * In-process n8n workflow runner for jest: runs workflow JSON through n8n-core's real
 * `WorkflowExecute` (the engine n8n itself uses), so the node under test gets the real
 * execute-functions context: parameter + expression resolution, pairedItem, continueOnFail /
 * onError, credentials via a credentials helper, binary data via n8n-core's BinaryDataService.
 *
 * Usage:
 *
 *   import { runWorkflow, manualTrigger, node, chain } from './helpers/n8n';
 *   import { DeliveryChannel } from '../nodes/DeliveryChannel/DeliveryChannel.node';
 *
 *   const trigger = manualTrigger();
 *   const send = node('Send', 'CUSTOM.deliveryChannel', { to: '={{ $json.email }}' }, {
 *   	credentials: ['deliveryChannelSmtpApi'], // or a full INodeCredentials map
 *   	onError: 'continueRegularOutput', // optional, as in n8n's node settings
 *   });
 *   const { output, error } = await runWorkflow({
 *   	workflow: { nodes: [trigger, send], connections: chain(trigger, send) },
 *   	nodeTypes: { 'CUSTOM.deliveryChannel': new DeliveryChannel() },
 *   	credentials: { deliveryChannelSmtpApi: { host: '127.0.0.1', port: 2525 } },
 *   });
 *   expect(error).toBeUndefined();
 *   expect(output('Send')).toHaveLength(1);
 *
 * - Always registered (no need to pass them): `n8n-nodes-base.manualTrigger` (a minimal Manual
 *   Trigger, so workflows start the way a manual run in n8n does), `test.setBinaryData` (attaches
 *   binary properties via `helpers.prepareBinaryData`; build it with `setBinaryDataNode`) and
 *   `test.items` (emits fixed JSON items; build it with `itemsNode`).
 * - Credentials are keyed by credential TYPE name. A node still has to reference the type in its
 *   `credentials` (as saved workflow JSON does), and the node type must declare it, exactly as n8n
 *   checks. Pass `credentialTypes` for defaults, `extends` (OAuth2), `authenticate` and
 *   `preAuthentication` to take effect.
 * - Binary data: `binaryDataMode: 'default'` (the default here) keeps binaries in memory as base64 in
 *   `binary.data`; `'filesystem'` stores them on disk under the temp N8N_USER_FOLDER and items then
 *   carry `binary.id` with `binary.data === 'filesystem-v2'`, which is what n8n 2.x does by default.
 *   Node code must read binaries through `this.helpers.getBinaryDataBuffer` / `assertBinaryData` to
 *   work in both. Workflow setting `binaryMode: 'combined'` (n8n 2.x) moves stored binaries into
 *   `json._files` after each node (only with a non-'default' binaryDataMode).
 * - Never rejects for node errors: a failed run resolves with `error` set, `failedNode` naming the
 *   node, and `run.status === 'error'`. n8n-core's logger is silenced (N8N_LOG_LEVEL=silent) unless
 *   N8N_LOG_LEVEL is set.
 * - On import it points N8N_USER_FOLDER at a temp folder per test file (see ./n8n-env), removed in
 *   afterAll. n8n-core reads it lazily at the first run, so import order does not matter.
 * - Cost: importing n8n-core takes ~1.7 s once per test file; the first run ~0.1 s; later runs a few ms.
 */
import './n8n-env';

import { Container } from '@n8n/di';
import {
	BinaryDataConfig,
	BinaryDataService,
	ExecutionLifecycleHooks,
	WorkflowExecute,
} from 'n8n-core';
import type {
	ExecutionError,
	IAuthenticateGeneric,
	ICredentialDataDecryptedObject,
	ICredentials,
	ICredentialsExpressionResolveValues,
	ICredentialType,
	IConnections,
	IDataObject,
	IExecuteData,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeCredentials,
	INodeCredentialsDetails,
	INodeExecutionData,
	INodeParameters,
	INodeProperties,
	INodeType,
	INodeTypes,
	IPinData,
	IRequestOptionsSimplified,
	IRun,
	ITaskData,
	IVersionedNodeType,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	IWorkflowSettings,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { ICredentialsHelper, NodeHelpers, UserError, Workflow } from 'n8n-workflow';

import { ItemsNode } from './Items.node';
import { ManualTrigger } from './ManualTrigger.node';
import type { BinaryFileSpec } from './SetBinaryData.node';
import { SetBinaryData } from './SetBinaryData.node';

export type { BinaryFileSpec } from './SetBinaryData.node';

export const MANUAL_TRIGGER_TYPE = 'n8n-nodes-base.manualTrigger';
export const SET_BINARY_DATA_TYPE = 'test.setBinaryData';
export const ITEMS_TYPE = 'test.items';

/** Node types every run knows about, in addition to `opts.nodeTypes`. */
export const helperNodeTypes: Record<string, INodeType> = {
	[MANUAL_TRIGGER_TYPE]: new ManualTrigger(),
	[SET_BINARY_DATA_TYPE]: new SetBinaryData(),
	[ITEMS_TYPE]: new ItemsNode(),
};

export type BinaryDataMode = 'default' | 'filesystem';

export interface RunWorkflowOptions {
	workflow: {
		nodes: INode[];
		connections: IConnections;
		settings?: IWorkflowSettings;
		pinData?: IPinData;
		staticData?: IDataObject;
		id?: string;
		name?: string;
	};
	/** Keyed by the node type name used in the workflow, e.g. 'CUSTOM.deliveryChannel'. */
	nodeTypes?: Record<string, INodeType | IVersionedNodeType>;
	/** Decrypted credential data keyed by credential TYPE name, e.g. 'deliveryChannelSmtpApi'. */
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	/** Credential type classes keyed by name (defaults, `extends`, `authenticate`, `preAuthentication`). */
	credentialTypes?: Record<string, ICredentialType>;
	/** Default 'manual' (a run started from the editor). */
	mode?: WorkflowExecuteMode;
	/** Node to start from; default: n8n's own choice (the trigger). */
	startNode?: string;
	/** Only run up to (and including) this node, as "execute step" does. */
	destinationNode?: string;
	/** Where prepareBinaryData stores binaries. Default 'default' (in memory). */
	binaryDataMode?: BinaryDataMode;
	/** Cancels the run when it aborts, as n8n's Stop button (or an execution timeout) does. */
	cancelSignal?: AbortSignal;
}

export interface RunWorkflowResult {
	run: IRun;
	/**
	 * Items a node emitted on an output (default main output 0, first run).
	 * Throws if the node did not run or failed.
	 */
	output(nodeName: string, outputIndex?: number, runIndex?: number): INodeExecutionData[];
	/** Raw task data of a node's run (`.error` set if it failed); undefined if it did not run. */
	taskData(nodeName: string, runIndex?: number): ITaskData | undefined;
	/** Names of the nodes that ran, in execution order. */
	executedNodes: string[];
	/**
	 * The run's error, if it failed. `error.node` is set only for NodeOperationError / NodeApiError
	 * (as in n8n); other errors thrown inside a node (e.g. credential not found) have no `node`.
	 */
	error?: ExecutionError;
	/** Name of the node the run failed in (error.node, else the last node executed), if it failed. */
	failedNode?: string;
	/** Credential data after the run (reflects OAuth token refreshes / preAuthentication updates). */
	credentials: Record<string, ICredentialDataDecryptedObject>;
}

/* ------------------------------------------------------------------ */
/* Workflow builders                                                   */
/* ------------------------------------------------------------------ */

let nodeCounter = 0;

export interface NodeOptions {
	typeVersion?: number;
	/** Credential type names (referenced with a dummy id) or a full INodeCredentials map. */
	credentials?: string[] | INodeCredentials;
	onError?: INode['onError'];
	continueOnFail?: boolean;
	alwaysOutputData?: boolean;
	executeOnce?: boolean;
	retryOnFail?: boolean;
	disabled?: boolean;
	position?: [number, number];
}

/** Build an INode as n8n saves it. */
export function node(
	name: string,
	type: string,
	parameters: INodeParameters = {},
	options: NodeOptions = {},
): INode {
	const { typeVersion = 1, credentials, position, ...rest } = options;
	nodeCounter++;
	const result: INode = {
		id: `node-${nodeCounter}`,
		name,
		type,
		typeVersion,
		position: position ?? [nodeCounter * 220, 300],
		parameters,
		...rest,
	};
	if (credentials) {
		result.credentials = Array.isArray(credentials)
			? Object.fromEntries(credentials.map((t) => [t, { id: `cred-${t}`, name: t }]))
			: credentials;
	}
	return result;
}

/** A Manual Trigger node (type `n8n-nodes-base.manualTrigger`). */
export function manualTrigger(name = 'When clicking ‘Execute workflow’'): INode {
	return node(name, MANUAL_TRIGGER_TYPE);
}

/** A node that emits these JSON items (each paired to input item 0). Values may be expressions. */
export function itemsNode(name: string, items: IDataObject[]): INode {
	return node(name, ITEMS_TYPE, { items: JSON.stringify(items) });
}

/** A node that adds binary properties to every input item via `helpers.prepareBinaryData`. */
export function setBinaryDataNode(name: string, files: BinaryFileSpec[]): INode {
	return node(name, SET_BINARY_DATA_TYPE, {
		files: { file: files.map((f) => ({ encoding: 'utf8', mimeType: '', ...f })) },
	});
}

/** Connections linking the nodes one after another through main output 0 → input 0. */
export function chain(...nodes: Array<INode | string>): IConnections {
	const names = nodes.map((n) => (typeof n === 'string' ? n : n.name));
	const connections: IConnections = {};
	for (let i = 0; i < names.length - 1; i++) {
		connect(connections, names[i], names[i + 1]);
	}
	return connections;
}

/** Add one main connection (mutates and returns `connections`). */
export function connect(
	connections: IConnections,
	from: string,
	to: string,
	fromOutput = 0,
	toInput = 0,
): IConnections {
	const outputs = (connections[from] ??= {}).main ?? (connections[from].main = []);
	while (outputs.length <= fromOutput) outputs.push([]);
	(outputs[fromOutput] ??= []).push({ node: to, type: 'main', index: toInput });
	return connections;
}

/* ------------------------------------------------------------------ */
/* Node types                                                          */
/* ------------------------------------------------------------------ */

class TestNodeTypes implements INodeTypes {
	constructor(private readonly types: Record<string, INodeType | IVersionedNodeType>) {}

	getByName(nodeType: string): INodeType | IVersionedNodeType {
		const type = this.types[nodeType];
		if (!type) {
			throw new Error(
				`Unknown node type "${nodeType}". Registered: ${Object.keys(this.types).join(', ')}`,
			);
		}
		return type;
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
	}

	getKnownTypes(): IDataObject {
		return {};
	}
}

/* ------------------------------------------------------------------ */
/* Credentials                                                         */
/* ------------------------------------------------------------------ */

/** Parents of well-known n8n-nodes-base credential types (`extends: ['googleOAuth2Api']` → OAuth2). */
const KNOWN_PARENT_TYPES: Record<string, string[]> = {
	oAuth2Api: [],
	oAuth1Api: [],
	googleOAuth2Api: ['oAuth2Api'],
	microsoftOAuth2Api: ['oAuth2Api'],
};

/** Same message and class family (UserError) as n8n's own CredentialNotFoundError. */
class CredentialNotFoundError extends UserError {}

/**
 * An in-memory ICredentialsHelper modelled on n8n's CLI CredentialsHelper: defaults from the
 * credential type, expressions in credential values, generic/function `authenticate`,
 * `preAuthentication` for expirable properties, parent types via `extends`.
 */
class TestCredentialsHelper extends ICredentialsHelper {
	constructor(
		readonly store: Record<string, ICredentialDataDecryptedObject>,
		private readonly types: Record<string, ICredentialType>,
	) {
		super();
	}

	getParentTypes(name: string): string[] {
		const direct = this.types[name]?.extends ?? KNOWN_PARENT_TYPES[name] ?? [];
		const all: string[] = [];
		for (const parent of direct) {
			all.push(parent, ...this.getParentTypes(parent));
		}
		return all;
	}

	isCredentialUsableByNode(credentialType: string, nodeType: string): boolean {
		const type = this.types[credentialType] as ICredentialType & {
			restrictToSupportedNodes?: boolean;
			supportedNodes?: string[];
		};
		if (!type?.restrictToSupportedNodes) return true;
		return (type.supportedNodes ?? []).includes(nodeType);
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		const own = this.types[type]?.properties ?? [];
		const parents = this.types[type]?.extends ?? [];
		const merged: INodeProperties[] = [];
		for (const parent of parents) {
			for (const prop of this.getCredentialsProperties(parent)) {
				const index = merged.findIndex((p) => p.name === prop.name);
				if (index === -1) merged.push(prop);
				else merged[index] = prop;
			}
		}
		for (const prop of own) {
			const index = merged.findIndex((p) => p.name === prop.name);
			if (index === -1) merged.push(prop);
			else merged[index] = prop;
		}
		return merged;
	}

	async getCredentials(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
	): Promise<ICredentials> {
		const data = this.read(nodeCredentials, type);
		const id = nodeCredentials.id;
		const name = nodeCredentials.name;
		return {
			id: id ?? undefined,
			name,
			type,
			getData: () => structuredClone(data),
			getDataToSave: () => ({ id, name, type, data: JSON.stringify(data) }),
			setData: () => undefined,
		} as unknown as ICredentials;
	}

	async getDecrypted(
		additionalData: IWorkflowExecuteAdditionalData,
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		mode: WorkflowExecuteMode,
		_executeData?: IExecuteData,
		raw?: boolean,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): Promise<ICredentialDataDecryptedObject> {
		let data = structuredClone(this.read(nodeCredentials, type));
		if (raw) return data;

		// Defaults of the credential type's properties, as n8n applies them.
		const properties = this.getCredentialsProperties(type);
		if (properties.length > 0) {
			const withDefaults = NodeHelpers.getNodeParameters(
				properties,
				data as INodeParameters,
				true,
				false,
				null,
				null,
			);
			// getNodeParameters keeps only declared properties; n8n copies the stored OAuth token back
			// afterwards (credentials-helper), so do the same.
			const oauthTokenData = data.oauthTokenData;
			data = (withDefaults ?? data) as ICredentialDataDecryptedObject;
			if (oauthTokenData !== undefined) data.oauthTokenData = oauthTokenData;
		}

		// Expressions inside credential values ('={{ ... }}'), resolved against the current item.
		if (expressionResolveValues) {
			const { workflow, runExecutionData, runIndex, itemIndex, node, connectionInputData } =
				expressionResolveValues;
			try {
				data = workflow.expression.getParameterValue(
					data as INodeParameters,
					runExecutionData,
					runIndex,
					itemIndex,
					node.name,
					connectionInputData,
					mode,
					{ $vars: additionalData.variables },
					undefined,
					false,
					data,
				) as ICredentialDataDecryptedObject;
			} catch (e) {
				(e as Error).message += ' [Error resolving credentials]';
				throw e;
			}
		}
		return data;
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		incomingRequestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const requestOptions = incomingRequestOptions as IHttpRequestOptions & IDataObject;
		const authenticate = this.types[typeName]?.authenticate;
		if (typeof authenticate === 'function') {
			return await authenticate(credentials, requestOptions);
		}
		if (typeof authenticate === 'object' && authenticate.type === 'generic') {
			requestOptions.headers ??= {};
			const resolve = (value: unknown): unknown => {
				if (typeof value !== 'string' || !value.startsWith('=')) return value;
				if (!workflow || !node) {
					throw new Error(
						`Cannot resolve credential expression "${value}" without a workflow and node`,
					);
				}
				return workflow.expression.getSimpleParameterValue(
					node,
					value,
					'internal',
					{ $credentials: credentials } as never,
					undefined,
					'',
				);
			};
			for (const [outerKey, outerValue] of Object.entries(
				(authenticate as IAuthenticateGeneric).properties,
			)) {
				const target = ((requestOptions as IDataObject)[outerKey] ??= {}) as IDataObject;
				for (const [key, value] of Object.entries(outerValue as IDataObject)) {
					target[String(resolve(key))] = resolve(value) as IDataObject[string];
				}
			}
		}
		return requestOptions;
	}

	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const output = await this.runPreAuth(helpers, credentials, typeName, credentialsExpired);
		if (output && node.credentials?.[typeName]) {
			await this.updateCredentials(node.credentials[typeName], typeName, {
				...credentials,
				...output,
			});
		}
		return output;
	}

	async runPreAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		return await this.runPreAuth(helpers, credentials, typeName, false);
	}

	async updateCredentials(
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.store[type] = structuredClone(data);
	}

	async updateCredentialsOauthTokenData(
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.store[type] = {
			...this.store[type],
			oauthTokenData: structuredClone(data.oauthTokenData),
		} as ICredentialDataDecryptedObject;
	}

	private async runPreAuth(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const type = this.types[typeName];
		if (typeof type?.preAuthentication !== 'function') return undefined;
		const expirable = this.getCredentialsProperties(typeName).find(
			(p) => p.type === 'hidden' && p.typeOptions?.expirable === true,
		);
		if (!expirable) return undefined;
		const current = credentials[expirable.name];
		if (current !== '' && current !== undefined && !credentialsExpired) return undefined;
		return (await type.preAuthentication.call(
			helpers,
			credentials,
		)) as ICredentialDataDecryptedObject;
	}

	private read(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
	): ICredentialDataDecryptedObject {
		const data = this.store[type];
		if (data === undefined) {
			throw new CredentialNotFoundError(
				`Credential with ID "${nodeCredentials?.id}" does not exist for type "${type}" ` +
					`(runWorkflow got credentials for: ${Object.keys(this.store).join(', ') || 'none'})`,
			);
		}
		return data;
	}
}

/* ------------------------------------------------------------------ */
/* Binary data                                                         */
/* ------------------------------------------------------------------ */

let binaryDataModeInUse: BinaryDataMode | undefined;

/**
 * Initialise n8n-core's BinaryDataService singleton (the one `helpers.prepareBinaryData`,
 * `getBinaryDataBuffer`, `getBinaryStream` use through the DI container) for the given mode.
 */
export async function initBinaryData(mode: BinaryDataMode = 'default'): Promise<void> {
	if (binaryDataModeInUse === mode) return;
	// BinaryDataConfig reads N8N_DEFAULT_BINARY_DATA_MODE once; switching later means setting the field.
	Container.get(BinaryDataConfig).mode = mode;
	await Container.get(BinaryDataService).init();
	binaryDataModeInUse = mode;
}

/* ------------------------------------------------------------------ */
/* Runner                                                              */
/* ------------------------------------------------------------------ */

let executionCounter = 0;

function notSupported(what: string) {
	return () => {
		throw new Error(`${what} is not supported by the test harness (test/helpers/n8n.ts)`);
	};
}

export async function runWorkflow(opts: RunWorkflowOptions): Promise<RunWorkflowResult> {
	await initBinaryData(opts.binaryDataMode ?? 'default');

	const mode: WorkflowExecuteMode = opts.mode ?? 'manual';
	const executionId = String(++executionCounter);
	const workflowId = opts.workflow.id ?? 'test-workflow';
	// The Workflow constructor writes parameter defaults into the nodes: keep the caller's fixture intact.
	const nodes = structuredClone(opts.workflow.nodes);
	const connections = structuredClone(opts.workflow.connections);
	const settings: IWorkflowSettings = { executionOrder: 'v1', ...opts.workflow.settings };
	const nodeTypes = new TestNodeTypes({ ...helperNodeTypes, ...opts.nodeTypes });

	const workflow = new Workflow({
		id: workflowId,
		name: opts.workflow.name ?? 'Test workflow',
		nodes,
		connections,
		active: false,
		nodeTypes,
		settings,
		staticData: opts.workflow.staticData,
		pinData: opts.workflow.pinData,
	});

	const credentialStore = structuredClone(opts.credentials ?? {});
	const credentialsHelper = new TestCredentialsHelper(credentialStore, opts.credentialTypes ?? {});

	const now = new Date();
	const workflowData: IWorkflowBase = {
		id: workflowId,
		name: workflow.name ?? 'Test workflow',
		active: false,
		isArchived: false,
		activeVersionId: null,
		createdAt: now,
		updatedAt: now,
		nodes,
		connections,
		settings,
		staticData: opts.workflow.staticData,
	};

	const executedNodes: string[] = [];
	const hooks = new ExecutionLifecycleHooks(mode, executionId, workflowData);
	hooks.addHandler('nodeExecuteBefore', (nodeName) => {
		executedNodes.push(nodeName);
	});

	const baseUrl = 'http://localhost:5678';
	const additionalData = {
		hooks,
		credentialsHelper,
		executionId,
		workflowId,
		userId: 'test-user',
		currentNodeExecutionIndex: 0,
		variables: {},
		restApiUrl: `${baseUrl}/rest`,
		instanceBaseUrl: `${baseUrl}/`,
		formBaseUrl: `${baseUrl}/form`,
		formWaitingBaseUrl: `${baseUrl}/form-waiting`,
		formTestBaseUrl: `${baseUrl}/form-test`,
		webhookBaseUrl: `${baseUrl}/webhook`,
		webhookWaitingBaseUrl: `${baseUrl}/webhook-waiting`,
		webhookTestBaseUrl: `${baseUrl}/webhook-test`,
		mcpBaseUrl: `${baseUrl}/mcp`,
		mcpTestBaseUrl: `${baseUrl}/mcp-test`,
		logAiEvent: () => undefined,
		executeWorkflow: notSupported('Executing sub-workflows'),
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		startRunnerTask: notSupported('Task runners (Code node)'),
	} as unknown as IWorkflowExecuteAdditionalData;

	const startNode = opts.startNode ? (workflow.getNode(opts.startNode) ?? undefined) : undefined;
	if (opts.startNode && !startNode) {
		throw new Error(`Start node "${opts.startNode}" is not in the workflow`);
	}

	const running = new WorkflowExecute(additionalData, mode).run({
		workflow,
		startNode,
		destinationNode: opts.destinationNode
			? { nodeName: opts.destinationNode, mode: 'inclusive' }
			: undefined,
		pinData: opts.workflow.pinData,
	});
	const cancel = () => running.cancel();
	if (opts.cancelSignal?.aborted) cancel();
	else opts.cancelSignal?.addEventListener('abort', cancel, { once: true });
	const run = await running.finally(() => opts.cancelSignal?.removeEventListener('abort', cancel));

	const runData = run.data.resultData.runData;
	const taskData = (nodeName: string, runIndex = 0) => runData[nodeName]?.[runIndex];
	const output = (nodeName: string, outputIndex = 0, runIndex = 0): INodeExecutionData[] => {
		const task = taskData(nodeName, runIndex);
		if (!task) {
			const ran = Object.keys(runData).join(', ') || 'none';
			const why = run.data.resultData.error
				? ` Run error: ${run.data.resultData.error.message}`
				: '';
			throw new Error(`Node "${nodeName}" has no run #${runIndex}. Nodes that ran: ${ran}.${why}`);
		}
		if (task.error) {
			throw new Error(`Node "${nodeName}" failed, it has no output: ${task.error.message}`);
		}
		return task.data?.main?.[outputIndex] ?? [];
	};

	const { error, lastNodeExecuted } = run.data.resultData;
	return {
		run,
		output,
		taskData,
		executedNodes,
		error,
		failedNode: error ? ((error as { node?: INode }).node?.name ?? lastNodeExecuted) : undefined,
		credentials: credentialStore,
	};
}
