import type {
	IDataObject,
	IHookFunctions,
	ILoadOptionsFunctions,
	INodeExecutionData,
	INodePropertyOptions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { companyLocator, projectLocator } from '../Procore/actions/common.descriptions';
import { chosenId } from '../Procore/helpers/locators';
import { listSearch } from '../Procore/methods';
import { CREDENTIAL_TYPE, getConnection, procoreRequest } from '../Procore/transport';
import { asNodeError } from '../Procore/transport/errors';
import { procorePath } from '../Procore/transport/paths';
import { authorizationMatches, deliveryBody, type DeliveryRequest, forgetDeliveries, isFirstDelivery, newSecret, readEvent } from './delivery';
import {
	createHook,
	createTriggers,
	activationState,
	forgetActivation,
	listOurHooks,
	readHook,
	rememberActivation,
	removeHook,
	type EventType,
	type HookState,
} from './hooks';
import { asProcoreContext, chosenScope, downloadPhoto, READABLE_RESOURCES, readRecord } from './records';

/** Resources a photo workflow needs, shown first whatever Procore lists (docs/procore-api.md §8). */
const PHOTO_RESOURCES = ['Images', 'Image Categories'];

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0)$/i;

interface TriggerOptions {
	binaryPropertyName?: string;
	downloadPhoto?: boolean;
	fetchRecord?: boolean;
	ignoreOwnApp?: boolean;
}


function clearState(state: HookState) {
	for (const key of Object.keys(state) as Array<keyof HookState>) delete state[key];
}

export class ProcoreTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Procore Trigger',
		name: 'procoreTrigger',
		icon: { light: 'file:procore.svg', dark: 'file:procore.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["resourceName"] + ": " + $parameter["events"].join(", ")}}',
		description: 'Starts the workflow when a photo or album changes in a Procore project',
		defaults: { name: 'Procore Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_TYPE, required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				// The node answers Procore itself, before it reads the record (see webhook()).
				responseMode: 'onReceived',
				path: 'webhook',
			},
		],
		properties: [
			{
				displayName:
					'Procore must reach this n8n over the internet: set WEBHOOK_URL to n8n\'s public HTTPS address. If it cannot, use the Procore Photos Trigger, which polls.',
				name: 'reachNotice',
				type: 'notice',
				default: '',
			},
			companyLocator,
			projectLocator,
			{
				displayName: 'Resource Name or ID',
				name: 'resourceName',
				type: 'options',
				typeOptions: { loadOptionsMethod: 'getWebhookResources', loadOptionsDependsOn: ['projectId'] },
				default: 'Images',
				required: true,
				description:
					'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
				hint: 'Images are photos, Image Categories are albums; other project-level resources come from Procore\'s list',
			},
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				options: [
					{ name: 'Create', value: 'create', description: 'A record is added' },
					{ name: 'Delete', value: 'delete', description: 'A record is deleted' },
					{ name: 'Update', value: 'update', description: 'A record is changed' },
				],
				default: ['create'],
				required: true,
				description: 'Which changes start the workflow',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Download the Photo',
						name: 'downloadPhoto',
						type: 'boolean',
						default: false,
						description:
							'Whether to add the photo file to the output as binary data (Images only; implies Fetch the Record)',
					},
					{
						displayName: 'Fetch the Record',
						name: 'fetchRecord',
						type: 'boolean',
						default: false,
						description:
							'Whether to read the photo or album after the event and output it in "record". A record deleted meanwhile gives "deleted": true.',
					},
					{
						displayName: 'Ignore Events From This App',
						name: 'ignoreOwnApp',
						type: 'boolean',
						default: false,
						description:
							'Whether to skip changes made with this credential\'s app, such as photos a Procore node uploaded, so a workflow does not start itself',
					},
					{
						displayName: 'Put Output File in Field',
						name: 'binaryPropertyName',
						type: 'string',
						default: 'data',
						description: 'Name of the binary field that receives the photo when Download the Photo is on',
					},
				],
			},
		],
	};

	methods = {
		listSearch,
		loadOptions: {
			/** The project's webhook resources (GET /rest/v1.0/webhooks/resources), photo resources first. */
			async getWebhookResources(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
				const first = PHOTO_RESOURCES.map((name) => ({ name, value: name }));
				let listed: IDataObject[] = [];
				try {
					const connection = await getConnection(this, { interactive: true });
					const companyId = chosenId(this, 'company', connection);
					const projectId = chosenId(this, 'project', connection);
					const response = await procoreRequest<IDataObject[]>(
						this,
						{
							method: 'GET',
							path: procorePath`/rest/v1.0/webhooks/resources`,
							qs: { project_id: projectId },
							companyId,
							action: `Listing the webhook resources of project ${projectId}`,
						},
						connection,
					);
					listed = Array.isArray(response.body) ? response.body : [];
				} catch {
					// Without a project or permission the photo resources can still be chosen.
					return first;
				}
				const others = listed
					.map((resource) => String(resource.resource_name ?? resource.name ?? ''))
					.filter((name) => name && !PHOTO_RESOURCES.includes(name))
					.sort((a, b) => a.localeCompare(b))
					.map((name) => ({ name, value: name }));
				return [...first, ...others];
			},
		},
	};

	webhookMethods = {
		default: {
			/**
			 * Whether the hook this node made still exists in Procore with this URL. A hook Procore
			 * lost, or one for another URL or project, is removed and made afresh.
			 */
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const state = this.getWorkflowStaticData('node') as HookState;
				if (!state.hookId) return false;
				const url = this.getNodeWebhookUrl('default');
				const connection = await getConnection(asProcoreContext(this));
				const current = await chosenScope(this, connection);
				const stored = { companyId: state.companyId ?? current.companyId, projectId: state.projectId ?? current.projectId, connection };
				const hook = await readHook(this, stored, state.hookId);
				if (hook && hook.destination_url === url && stored.projectId === current.projectId) return true;
				if (hook) await removeHook(this, stored, state.hookId, state.triggerIds);
				forgetDeliveries(state.hookId);
				clearState(state);
				return false;
			},

			async create(this: IHookFunctions): Promise<boolean> {
				const node = this.getNode();
				const url = this.getNodeWebhookUrl('default') ?? '';
				const connection = await getConnection(asProcoreContext(this));
				// n8n always gives a URL; an unparsable one is left for Procore to refuse.
				const host = URL.canParse(url) ? new URL(url).hostname : '';
				if (connection.environment !== 'custom' && LOOPBACK_HOST.test(host)) {
					throw new NodeOperationError(node, `Procore cannot send events to ${url}: it is an address on this machine`, {
						description:
							"Procore delivers events over the internet, so n8n needs a public HTTPS address: set n8n's WEBHOOK_URL environment variable to it (see the README, 'Procore Trigger and polling'). If Procore cannot reach this n8n at all, use the Procore Photos Trigger instead: it polls Procore for new photos.",
					});
				}
				const scope = await chosenScope(this, connection);
				const resourceName = String(this.getNodeParameter('resourceName')).trim();
				const events = this.getNodeParameter('events', []) as EventType[];
				if (!resourceName || events.length === 0) {
					throw new NodeOperationError(node, 'Choose a Resource and at least one Event', {
						description: 'The trigger needs to know which changes in Procore start the workflow.',
					});
				}
				// A hook of this package left on this URL (its node's static data lost, e.g. a re-imported
				// workflow) would deliver with a secret nobody knows: every answer 401, and Procore then
				// pauses all deliveries to the URL, the new hook's too (docs/procore-api.md §11). It goes.
				for (const leftover of await listOurHooks(this, scope)) {
					if (leftover.destination_url === url && leftover.id !== undefined) {
						await removeHook(this, scope, String(leftover.id));
					}
				}
				const secret = newSecret();
				const hookId = await createHook(this, scope, { destinationUrl: url, secret });
				const state = this.getWorkflowStaticData('node') as HookState;
				Object.assign(state, {
					hookId,
					companyId: scope.companyId,
					projectId: scope.projectId,
					destinationUrl: url,
					secret,
					triggerIds: [],
					recentUlids: [],
				});
				// Procore may deliver before n8n has saved this state (see rememberActivation).
				rememberActivation(url, state);
				try {
					state.triggerIds = await createTriggers(this, scope, hookId, resourceName, events);
				} catch (error) {
					// Nothing stays behind in Procore from an activation that failed.
					const made = (error as { madeTriggerIds?: string[] }).madeTriggerIds ?? [];
					let leftBehind: string | undefined;
					try {
						await removeHook(this, scope, hookId, made);
					} catch (cleanupError) {
						// The reason the activation failed stays the error; that the hook stayed is added.
						leftBehind = `The webhook ${hookId} made for it could not be removed from Procore (${(cleanupError as Error).message}); the next activation removes it.`;
					} finally {
						forgetActivation(url);
						clearState(state);
					}
					const failure = asNodeError(node, error);
					if (leftBehind) failure.description = [failure.description, leftBehind].filter(Boolean).join(' ');
					throw failure;
				}
				return true;
			},

			async delete(this: IHookFunctions): Promise<boolean> {
				const state = this.getWorkflowStaticData('node') as HookState;
				forgetActivation(this.getNodeWebhookUrl('default') ?? '');
				if (!state.hookId) return true;
				const connection = await getConnection(asProcoreContext(this));
				const fallback = await chosenScope(this, connection);
				const scope = {
					companyId: state.companyId ?? fallback.companyId,
					projectId: state.projectId ?? fallback.projectId,
					connection,
				};
				await removeHook(this, scope, state.hookId, state.triggerIds);
				forgetDeliveries(state.hookId);
				clearState(state);
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const request = this.getRequestObject();
		const response = this.getResponseObject();
		// The saved static data, or the state of an activation n8n has not saved yet (rememberActivation).
		const state = [
			this.getWorkflowStaticData('node') as HookState,
			activationState(this.getNodeWebhookUrl('default') ?? ''),
		].find((candidate) => candidate && authorizationMatches(request.headers.authorization, candidate.secret));
		if (!state) {
			response.status(401).json({ message: 'Unauthorized' });
			return { noWebhookResponse: true };
		}
		// Procore pauses every delivery to this URL after an answer that is late (over 5 s) or not
		// 2xx (docs/procore-api.md §11 "Webhooks, more"). So every genuine delivery is acknowledged
		// at once, before the record is read or the photo downloaded, and deliveries the workflow
		// does not want are acknowledged too, not refused.
		const acknowledge = () => {
			if (!response.headersSent) response.status(200).json({ received: true });
		};
		const event = readEvent(await deliveryBody(request as DeliveryRequest));
		const events = this.getNodeParameter('events', []) as string[];
		const resourceName = String(this.getNodeParameter('resourceName', '')).trim();
		if (!event || !events.includes(event.eventType) || event.resourceName !== resourceName) {
			acknowledge();
			return { noWebhookResponse: true };
		}
		const options = this.getNodeParameter('options', {}) as TriggerOptions;
		if (options.ignoreOwnApp && event.sourceApplicationId !== undefined) {
			const credentials = await this.getCredentials(CREDENTIAL_TYPE);
			if (String(credentials.clientId ?? '') === event.sourceApplicationId) {
				acknowledge();
				return { noWebhookResponse: true };
			}
		}
		// Procore delivers at least once (docs/procore-api.md §8): a repeat starts nothing.
		state.recentUlids ??= [];
		if (event.ulid !== undefined && !isFirstDelivery(state.hookId ?? 'hook', event.ulid, state.recentUlids)) {
			acknowledge();
			return { noWebhookResponse: true };
		}
		acknowledge();

		const item: INodeExecutionData = { json: { ...event.body } };
		const download = options.downloadPhoto === true && event.resourceName === 'Images';
		const fetch = download || (options.fetchRecord === true && READABLE_RESOURCES.includes(event.resourceName));
		if (fetch) {
			const companyId = state.companyId ?? '';
			const projectId = event.projectId ?? state.projectId ?? '';
			try {
				const connection = await getConnection(asProcoreContext(this));
				if (event.eventType === 'delete') {
					item.json.deleted = true;
				} else if (download) {
					const file = await downloadPhoto(this, connection, { companyId, projectId, imageId: event.resourceId });
					if (file) {
						item.json.record = file.image;
						item.binary = { [(options.binaryPropertyName ?? '').trim() || 'data']: file.binary };
					} else {
						item.json.deleted = true;
					}
				} else {
					const record = await readRecord(this, connection, {
						companyId,
						projectId,
						resourceName: event.resourceName,
						resourceId: event.resourceId,
					});
					if (record) item.json.record = record;
					else item.json.deleted = true;
				}
			} catch (error) {
				// Procore has its answer already, so a failure here cannot go back to it as an error
				// status; the event still starts the workflow, and says what went wrong.
				const failure = error as { message?: string; description?: string };
				item.json.fetchError = {
					message: failure.message ?? String(error),
					...(failure.description ? { description: failure.description } : {}),
				};
			}
		}
		return { noWebhookResponse: true, workflowData: [[item]] };
	}
}
