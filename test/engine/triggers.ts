/**
 * Runs this package's trigger nodes in n8n-core's own trigger contexts (HookContext for the webhook
 * lifecycle, WebhookContext for deliveries, PollContext for polls), the way n8n's webhook server and
 * poll scheduler call them. Deliveries reach the node over real HTTP on 127.0.0.1: a small server
 * stands in for n8n's webhook endpoint and answers the way n8n 2.41's webhook helpers do after the
 * node's webhook() (noWebhookResponse: the node answered itself; otherwise 200 "Workflow was started").
 */

import { Container } from '@n8n/di';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { join } from 'path';

import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	INodeTypes,
	IWebhookData,
	IWorkflowExecuteAdditionalData,
	WorkflowActivateMode,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import { binaryDataService } from './index';
import { TestCredentialsHelper } from './credentials';

const core = require('n8n-core') as typeof import('n8n-core');

export interface TriggerOptions {
	nodeType: INodeType;
	parameters: INodeParameters;
	credentials: Record<string, ICredentialDataDecryptedObject>;
	credentialTypes: ICredentialType[];
	/** n8n's public webhook address; by default the harness's own server on 127.0.0.1. */
	webhookBaseUrl?: string;
	/**
	 * How long n8n takes to save the node's static data once an activation's create() has
	 * returned (its database write; n8n 2.41.1, ActiveWorkflowManager.addWebhooks). Deliveries are
	 * handled as n8n's webhook server handles them: with the static data as last saved, so one
	 * arriving meanwhile sees the state from before the activation.
	 */
	saveDelayMs?: number;
}

/** One delivery the node handled: what it answered, when, and what it started. */
export interface Delivery {
	status: number;
	/** Milliseconds from the request's arrival to the answer's last byte. */
	answeredAfterMs: number;
	/** Milliseconds from the request's arrival until webhook() returned. */
	handledAfterMs: number;
	/** The items the workflow ran with; undefined when the delivery started nothing. */
	items?: INodeExecutionData[];
	error?: Error;
}

let binaryReady: Promise<void> | undefined;
async function useMemoryBinaryData() {
	binaryReady ??= (async () => {
		const config = Container.get(core.BinaryDataConfig);
		config.mode = 'default';
		config.localStoragePath ??= join(process.env.N8N_USER_FOLDER ?? '.', 'binaryData');
		await binaryDataService().init();
	})();
	await binaryReady;
}

/** A minimal Express-like response over Node's, with the calls trigger nodes make. */
function expressLike(res: ServerResponse) {
	const wrapped = res as ServerResponse & {
		status(code: number): typeof wrapped;
		json(body: unknown): typeof wrapped;
		send(body?: unknown): typeof wrapped;
	};
	wrapped.status = (code: number) => {
		res.statusCode = code;
		return wrapped;
	};
	wrapped.json = (body: unknown) => {
		res.setHeader('Content-Type', 'application/json');
		res.end(JSON.stringify(body));
		return wrapped;
	};
	wrapped.send = (body?: unknown) => {
		res.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
		return wrapped;
	};
	return wrapped;
}

export class TriggerHarness {
	readonly workflow: Workflow;
	readonly node: INode;
	readonly deliveries: Delivery[] = [];
	private server?: Server;
	private readonly credentialsHelper: TestCredentialsHelper;
	private baseUrl: string;
	private waiters: Array<() => void> = [];
	/** The workflow's static data as n8n last saved it (to its database): what a delivery starts from. */
	private saved: IDataObject = {};
	private readonly nodeTypes: INodeTypes;

	constructor(private readonly options: TriggerOptions) {
		this.credentialsHelper = new TestCredentialsHelper(options.credentialTypes, options.credentials);
		const nodeType = options.nodeType;
		this.node = {
			id: 'trigger',
			name: nodeType.description.defaults.name ?? 'Trigger',
			type: nodeType.description.name,
			typeVersion: 1,
			position: [0, 0],
			parameters: options.parameters,
			webhookId: 'b0c1f2a3-0000-4000-8000-000000000001',
			credentials: Object.fromEntries(
				(nodeType.description.credentials ?? []).map((credential) => [
					credential.name,
					{ id: 'credential-1', name: `${credential.name} (test)` },
				]),
			),
		};
		this.nodeTypes = {
			getByName: () => nodeType,
			getByNameAndVersion: () => nodeType,
			getKnownTypes: () => ({}),
		} as unknown as INodeTypes;
		this.workflow = this.workflowWith({});
		this.credentialsHelper.workflow = this.workflow;
		this.baseUrl = options.webhookBaseUrl ?? '';
	}

	private workflowWith(staticData: IDataObject): Workflow {
		return new Workflow({
			id: 'workflow-1',
			name: 'Trigger test',
			nodes: [this.node],
			connections: {},
			active: true,
			nodeTypes: this.nodeTypes,
			staticData,
			settings: { executionOrder: 'v1' },
		});
	}

	/** n8n saving the workflow's static data, as the activation or a delivery left it. */
	private save(from: Workflow) {
		const data = JSON.parse(JSON.stringify(from.getStaticData('node', this.node))) as IDataObject;
		const kept = this.workflow.getStaticData('node', this.node);
		if (from !== this.workflow) {
			// The same object stays: the node may hold it (an activation it has not saved yet).
			for (const key of Object.keys(kept)) delete kept[key];
			Object.assign(kept, data);
		}
		this.saved = { [`node:${this.node.name}`]: data };
	}

	/** The node's own static data, as n8n keeps it between calls. */
	get staticData(): IDataObject {
		return this.workflow.getStaticData('node', this.node);
	}

	/** Starts the stand-in for n8n's webhook endpoint. */
	async listen(): Promise<string> {
		this.server = createServer((req, res) => void this.handle(req, res));
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
		const port = (this.server.address() as AddressInfo).port;
		this.baseUrl ||= `http://127.0.0.1:${port}`;
		return this.baseUrl;
	}

	async close() {
		await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
		this.server?.closeAllConnections();
	}

	private additionalData(extra: Partial<IWorkflowExecuteAdditionalData> = {}): IWorkflowExecuteAdditionalData {
		return {
			credentialsHelper: this.credentialsHelper,
			restApiUrl: `${this.baseUrl}/rest`,
			instanceBaseUrl: `${this.baseUrl}/`,
			webhookBaseUrl: `${this.baseUrl}/webhook`,
			webhookTestBaseUrl: `${this.baseUrl}/webhook-test`,
			webhookWaitingBaseUrl: `${this.baseUrl}/webhook-waiting`,
			formWaitingBaseUrl: `${this.baseUrl}/form-waiting`,
			variables: {},
			userId: 'test-user',
			executionId: `trigger-${this.deliveries.length}`,
			...extra,
		} as unknown as IWorkflowExecuteAdditionalData;
	}

	private webhookData(isTest: boolean): IWebhookData {
		const description = this.options.nodeType.description.webhooks![0];
		return {
			httpMethod: 'POST',
			node: this.node.name,
			path: String(description.path),
			webhookDescription: description,
			workflowId: 'workflow-1',
			workflowExecuteAdditionalData: this.additionalData(),
			webhookId: this.node.webhookId,
			isTest,
		} as IWebhookData;
	}

	/** Calls one of the node's webhookMethods.default as n8n does on activation / deactivation. */
	async hook(method: 'checkExists' | 'create' | 'delete', test = false): Promise<boolean> {
		const methods = this.options.nodeType.webhookMethods?.default;
		if (!methods) throw new Error('The node has no webhook methods');
		const mode: WorkflowExecuteMode = test ? 'manual' : 'trigger';
		const activation: WorkflowActivateMode = test ? 'manual' : 'activate';
		const context = new core.HookContext(this.workflow, this.node, this.additionalData(), mode, activation, this.webhookData(test));
		const result = await methods[method].call(context);
		if (method === 'create' && this.options.saveDelayMs) await new Promise((resolve) => setTimeout(resolve, this.options.saveDelayMs));
		this.save(this.workflow);
		return result;
	}

	/** What n8n does on activation: create the hook unless it exists. */
	async activate(test = false) {
		if (!(await this.hook('checkExists', test))) await this.hook('create', test);
	}

	async deactivate(test = false) {
		await this.hook('delete', test);
	}

	/** The URL Procore is told to deliver to, as the node computes it. */
	webhookUrl(test = false): string {
		return `${this.baseUrl}/${test ? 'webhook-test' : 'webhook'}/${this.node.webhookId}/webhook`;
	}

	/** Resolves once this many deliveries have been handled (webhook() returned). */
	async handled(count: number, timeoutMs = 10_000): Promise<Delivery[]> {
		const deadline = Date.now() + timeoutMs;
		while (this.deliveries.length < count) {
			if (Date.now() > deadline) throw new Error(`Expected ${count} deliveries, got ${this.deliveries.length}`);
			await new Promise<void>((resolve) => {
				this.waiters.push(resolve);
				setTimeout(resolve, 50);
			});
		}
		return this.deliveries;
	}

	private async handle(req: IncomingMessage, res: ServerResponse) {
		const arrived = Date.now();
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		let body: unknown = {};
		try {
			body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
		} catch {
			body = {};
		}
		const delivery: Delivery = { status: 0, answeredAfterMs: -1, handledAfterMs: -1 };
		res.on('finish', () => {
			delivery.status = res.statusCode;
			delivery.answeredAfterMs = Date.now() - arrived;
		});
		const request = Object.assign(req, { body, query: {}, params: {} });
		const response = expressLike(res);
		const isTest = (req.url ?? '').startsWith('/webhook-test/');
		// n8n's webhook server reads the workflow, and its static data, from the database.
		const workflow = this.workflowWith(JSON.parse(JSON.stringify(this.saved)) as IDataObject);
		try {
			await useMemoryBinaryData();
			const context = new core.WebhookContext(
				workflow,
				this.node,
				this.additionalData({ httpRequest: request, httpResponse: response } as never),
				isTest ? 'manual' : 'webhook',
				this.webhookData(isTest),
				[],
				null,
			);
			const result = await this.options.nodeType.webhook!.call(context);
			delivery.items = result.workflowData?.[0];
			// n8n's webhook helpers: the node answered itself, or n8n answers for it.
			if (result.noWebhookResponse !== true && !res.headersSent) response.status(200).json({ message: 'Workflow was started' });
		} catch (error) {
			delivery.error = error as Error;
			if (!res.headersSent) response.status(500).json({ message: 'Error in workflow' });
		}
		// As n8n's webhook helpers: saved when the run changed it.
		if (workflow.staticData.__dataChanged === true) this.save(workflow);
		delivery.handledAfterMs = Date.now() - arrived;
		this.deliveries.push(delivery);
		for (const wake of this.waiters.splice(0)) wake();
	}

	/** One poll, as n8n's scheduler runs it ('trigger'), or the editor's Fetch Test Event ('manual'). */
	async poll(mode: 'trigger' | 'manual' = 'trigger', options: { budgetMs?: number } = {}): Promise<INodeExecutionData[][] | null> {
		await useMemoryBinaryData();
		const context = new core.PollContext(
			this.workflow,
			this.node,
			this.additionalData(),
			mode,
			mode === 'manual' ? 'manual' : 'activate',
			undefined,
			undefined,
			undefined,
			undefined,
			undefined,
			options.budgetMs === undefined ? undefined : () => options.budgetMs!,
		);
		return await this.options.nodeType.poll!.call(context);
	}
}
