/**
 * Runs this package's node through n8n-core's own execution engine (WorkflowExecute, the real
 * node execution contexts, request helpers, OAuth2 refresh and binary-data service), so tests
 * exercise n8n itself rather than an imitation of it.
 */

import { Container } from '@n8n/di';
import { createReadStream, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodeListSearchResult,
	INodeParameters,
	INodePropertyOptions,
	INodeType,
	INodeTypes,
	IRunExecutionData,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';
import { createRunExecutionData, Workflow } from 'n8n-workflow';

import { TestCredentialsHelper } from './credentials';
import './regex';

// n8n-core reads its instance folder when its services are first built.
const userFolder = mkdtempSync(join(tmpdir(), 'procore-n8n-'));
process.env.N8N_USER_FOLDER = userFolder;
process.env.N8N_DIAGNOSTICS_ENABLED = 'false';
process.env.N8N_LOG_LEVEL = 'silent';

const core = require('n8n-core') as typeof import('n8n-core');

export type BinaryMode = 'default' | 'filesystem';

export type InputBinary =
	| { bytes: Buffer | Uint8Array; fileName?: string; mimeType?: string }
	| { filePath: string; fileName?: string; mimeType?: string };

export interface InputItem {
	json?: IDataObject;
	binary?: Record<string, InputBinary>;
}

export interface RunOptions {
	nodeType: INodeType;
	parameters: INodeParameters;
	inputItems?: InputItem[];
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	credentialTypes?: ICredentialType[];
	binaryMode?: BinaryMode;
	continueOnFail?: boolean;
}

export interface RunResult {
	items: INodeExecutionData[];
	error?: Error & { description?: string; httpCode?: string | null; context?: IDataObject };
	credentials: TestCredentialsHelper;
	runData: IRunExecutionData;
}

let binaryReady: Promise<void> | undefined;
async function useBinaryMode(mode: BinaryMode) {
	const config = Container.get(core.BinaryDataConfig);
	const service = Container.get(core.BinaryDataService);
	binaryReady ??= (async () => {
		config.localStoragePath = join(userFolder, 'binaryData');
	})();
	await binaryReady;
	config.mode = mode;
	await service.init();
}

/** n8n's binary-data service, for spying on how a node reads binaries. */
export function binaryDataService() {
	return Container.get(core.BinaryDataService);
}

// Each test file gets its own n8n folder; it goes when the file's tests are done.
afterAll(() => rmSync(userFolder, { recursive: true, force: true }));

const SOURCE_TYPE = 'harness.source';
const sources = new Map<string, InputItem[]>();

/** The first node: emits the given items, making each binary with n8n's own prepareBinaryData. */
class SourceNode implements INodeType {
	description = {
		displayName: 'Source',
		name: SOURCE_TYPE,
		group: ['input'],
		version: 1,
		description: 'Test items',
		defaults: { name: 'Source' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [{ displayName: 'Key', name: 'key', type: 'string' as const, default: '' }],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = sources.get(this.getNodeParameter('key', 0) as string) ?? [];
		const output: INodeExecutionData[] = [];
		for (const item of items) {
			const binary: INodeExecutionData['binary'] = {};
			for (const [name, input] of Object.entries(item.binary ?? {})) {
				const data =
					'filePath' in input
						? createReadStream(input.filePath)
						: Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
				binary[name] = await this.helpers.prepareBinaryData(data, input.fileName, input.mimeType);
			}
			output.push({ json: item.json ?? {}, ...(item.binary ? { binary } : {}) });
		}
		return [output];
	}
}

function nodeTypesFor(nodeType: INodeType): INodeTypes {
	const source = new SourceNode();
	const byName = (name: string) => (name === SOURCE_TYPE ? source : nodeType);
	return {
		getByName: byName,
		getByNameAndVersion: byName,
		getKnownTypes: () => ({}),
	} as INodeTypes;
}

function additionalDataFor(credentialsHelper: TestCredentialsHelper, hooks: unknown): IWorkflowExecuteAdditionalData {
	return {
		credentialsHelper,
		hooks,
		executeWorkflow: async () => {
			throw new Error('not in tests');
		},
		restApiUrl: 'http://localhost:5678/rest',
		instanceBaseUrl: 'http://localhost:5678/',
		formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
		webhookBaseUrl: 'http://localhost:5678/webhook',
		webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
		currentNodeParameters: undefined,
		executionTimeoutTimestamp: undefined,
		userId: 'test-user',
		variables: {},
		setExecutionStatus: () => {},
		sendDataToUI: () => {},
		logAiEvent: () => {},
		startRunnerTask: async () => {
			throw new Error('not in tests');
		},
	} as unknown as IWorkflowExecuteAdditionalData;
}

const CREDENTIAL_ID = 'credential-1';
let runCounter = 0;

function credentialsOf(nodeType: INodeType) {
	return Object.fromEntries(
		(nodeType.description.credentials ?? []).map((credential) => [
			credential.name,
			{ id: CREDENTIAL_ID, name: `${credential.name} (test)` },
		]),
	);
}

export async function runNode(options: RunOptions): Promise<RunResult> {
	await useBinaryMode(options.binaryMode ?? 'default');
	const key = `run-${++runCounter}`;
	sources.set(key, options.inputItems ?? [{ json: {} }]);
	const credentialsHelper = new TestCredentialsHelper(options.credentialTypes ?? [], options.credentials ?? {});
	const nodeName = options.nodeType.description.defaults.name ?? 'Node';
	const nodes: INode[] = [
		{ id: 'source', name: 'Source', type: SOURCE_TYPE, typeVersion: 1, position: [0, 0], parameters: { key } },
		{
			id: 'subject',
			name: nodeName,
			type: options.nodeType.description.name,
			typeVersion: 1,
			position: [200, 0],
			parameters: options.parameters,
			credentials: credentialsOf(options.nodeType),
			...(options.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
		},
	];
	const workflow = new Workflow({
		id: 'workflow-1',
		name: 'Test',
		nodes,
		connections: { Source: { main: [[{ node: nodeName, type: 'main', index: 0 }]] } },
		active: false,
		nodeTypes: nodeTypesFor(options.nodeType),
		settings: { executionOrder: 'v1' },
	});
	const hooks = new core.ExecutionLifecycleHooks('manual', key, {
		id: 'workflow-1',
		name: 'Test',
		nodes,
		connections: workflow.connectionsBySourceNode,
		active: false,
		activeVersionId: null,
		isArchived: false,
		createdAt: new Date(),
		updatedAt: new Date(),
	} as never);
	const additionalData = additionalDataFor(credentialsHelper, hooks);
	credentialsHelper.workflow = workflow;
	const runExecutionData = createRunExecutionData({
		executionData: {
			nodeExecutionStack: [{ node: nodes[0], data: { main: [[{ json: {} }]] }, source: null }],
		},
	});
	const execute = new core.WorkflowExecute(additionalData, 'manual', runExecutionData);
	let result;
	try {
		result = await execute.processRunExecutionData(workflow);
	} catch (error) {
		// n8n refuses to start a workflow whose node parameters fail their own checks.
		sources.delete(key);
		return { items: [], error: error as RunResult['error'], credentials: credentialsHelper, runData: runExecutionData };
	}
	sources.delete(key);
	const runData = result.data;
	const nodeRuns = runData.resultData.runData[nodeName];
	const items = nodeRuns?.[0]?.data?.main?.[0] ?? [];
	const error = (runData.resultData.error ?? nodeRuns?.[0]?.error) as RunResult['error'];
	return { items, error, credentials: credentialsHelper, runData };
}

export interface LoadOptionsRun {
	nodeType: INodeType;
	parameters: INodeParameters;
	credentials: Record<string, ICredentialDataDecryptedObject>;
	credentialTypes: ICredentialType[];
}

function loadOptionsContext(options: LoadOptionsRun) {
	const credentialsHelper = new TestCredentialsHelper(options.credentialTypes, options.credentials);
	const node: INode = {
		id: 'subject',
		name: options.nodeType.description.defaults.name ?? 'Node',
		type: options.nodeType.description.name,
		typeVersion: 1,
		position: [0, 0],
		parameters: options.parameters,
		credentials: credentialsOf(options.nodeType),
	};
	const workflow = new Workflow({
		id: 'workflow-1',
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: nodeTypesFor(options.nodeType),
	});
	credentialsHelper.workflow = workflow;
	const additionalData = additionalDataFor(credentialsHelper, undefined);
	additionalData.currentNodeParameters = options.parameters;
	return new core.LoadOptionsContext(workflow, node, additionalData, '');
}

export async function runListSearch(
	method: string,
	options: LoadOptionsRun & { filter?: string; paginationToken?: string },
): Promise<INodeListSearchResult> {
	const search = options.nodeType.methods?.listSearch?.[method];
	if (!search) throw new Error(`No listSearch method ${method}`);
	return await search.call(loadOptionsContext(options), options.filter, options.paginationToken);
}

export async function runLoadOptions(method: string, options: LoadOptionsRun): Promise<INodePropertyOptions[]> {
	const load = options.nodeType.methods?.loadOptions?.[method];
	if (!load) throw new Error(`No loadOptions method ${method}`);
	return await load.call(loadOptionsContext(options));
}

/** A credential's data as n8n would hand it over: defaults applied and expressions resolved. */
export function resolveCredential(
	credentialTypes: ICredentialType[],
	type: string,
	data: ICredentialDataDecryptedObject,
): ICredentialDataDecryptedObject {
	const helper = new TestCredentialsHelper(credentialTypes, { [type]: data });
	helper.workflow = expressionWorkflow();
	return helper.resolve(type);
}

/** Evaluates an n8n expression such as a credential test request's, with `$credentials` set. */
export function evaluateWithCredentials(expression: string, credentials: ICredentialDataDecryptedObject): unknown {
	const workflow = expressionWorkflow();
	const node = Object.values(workflow.nodes)[0];
	return workflow.expression.getComplexParameterValue(node, expression, 'internal', {
		$credentials: credentials,
	} as never);
}

function expressionWorkflow(): Workflow {
	return new Workflow({
		id: 'expressions',
		nodes: [{ id: 'n', name: 'N', type: SOURCE_TYPE, typeVersion: 1, position: [0, 0], parameters: {} }],
		connections: {},
		active: false,
		nodeTypes: nodeTypesFor(new SourceNode()),
	});
}
