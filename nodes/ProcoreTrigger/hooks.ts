import type { IDataObject, IHookFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { procoreRequest, type ProcoreConnection } from '../Procore/transport';
import { asNodeError, httpStatusOf } from '../Procore/transport/errors';
import { procorePath } from '../Procore/transport/paths';
import { asProcoreContext } from './records';

/**
 * Procore's webhooks API (docs/procore-api.md §8 and §11 "Webhooks, more"): one hook per project
 * (Images and Image Categories are project-level resources), its triggers one per resource and
 * event type. Every hook this package makes is in its own namespace, so that it never touches
 * hooks of other apps.
 */
export const HOOK_NAMESPACE = 'n8n-nodes-procore';
/** The payload version the handler reads (docs/procore-api.md §8 "Legacy v2.0"). */
export const PAYLOAD_VERSION = 'v2';

export type EventType = 'create' | 'update' | 'delete';

/** What the node keeps of the hook it made, in the workflow's static data for this node. */
export interface HookState {
	hookId?: string;
	projectId?: string;
	companyId?: string;
	destinationUrl?: string;
	/** Sent by Procore as the Authorization header of every delivery; Procore shows it masked. */
	secret?: string;
	triggerIds?: string[];
	/** ulids of recent deliveries, oldest first, to drop repeats (Procore delivers at least once). */
	recentUlids?: string[];
}

/**
 * The hook state of activations made by this process, by delivery URL. n8n saves the node's static
 * data only after create() has returned (n8n 2.41.1, ActiveWorkflowManager.addWebhooks: the
 * webhook is registered first, then create() runs, then the static data is saved), and a delivery
 * is handled with the static data n8n last saved. Procore may deliver as soon as the hook's
 * triggers exist: such a delivery would find no secret, be answered 401, and Procore would then
 * pause every delivery to the URL for its backoff (docs/procore-api.md §11). In the process that
 * made the hook (n8n's main process, unless a webhook processor serves production webhooks), the
 * delivery is also checked against the state create() made.
 */
const activations = new Map<string, HookState>();

/** Records the state of a hook this process is making for `url` (the object n8n will save). */
export function rememberActivation(url: string, state: HookState): void {
	activations.set(url, state);
}

export function forgetActivation(url: string): void {
	activations.delete(url);
}

/** The state of the last hook this process made for `url`, saved by n8n or not yet. */
export function activationState(url: string): HookState | undefined {
	return activations.get(url);
}

interface Scope {
	companyId: string;
	projectId: string;
	connection: ProcoreConnection;
}

const WEBHOOK_PERMISSION =
	"Procore refused access: managing webhooks needs the 'Webhooks API' permission (Standard) for a service account, or Admin on the project's tools for a user (docs in the README).";

const idOf = (value: unknown): string | undefined =>
	typeof value === 'number' || (typeof value === 'string' && value !== '') ? String(value) : undefined;

/** The hook as Procore holds it now; undefined when Procore has no such hook. */
export async function readHook(context: IHookFunctions, scope: Scope, hookId: string): Promise<IDataObject | undefined> {
	try {
		const response = await procoreRequest<IDataObject>(
			asProcoreContext(context),
			{
				method: 'GET',
				path: procorePath`/rest/v1.0/webhooks/hooks/${hookId}`,
				qs: { project_id: scope.projectId },
				companyId: scope.companyId,
				action: `Reading webhook ${hookId} of project ${scope.projectId}`,
				explain: { 403: WEBHOOK_PERMISSION },
			},
			scope.connection,
		);
		return response.body;
	} catch (error) {
		if (httpStatusOf(error) === 404) return undefined;
		throw asNodeError(context.getNode(), error);
	}
}

/** The hooks of this package in the project. */
export async function listOurHooks(context: IHookFunctions, scope: Scope): Promise<IDataObject[]> {
	const response = await procoreRequest<IDataObject[]>(
		asProcoreContext(context),
		{
			method: 'GET',
			path: procorePath`/rest/v1.0/webhooks/hooks`,
			qs: { project_id: scope.projectId, namespace: HOOK_NAMESPACE },
			companyId: scope.companyId,
			action: `Listing the webhooks of project ${scope.projectId}`,
			explain: { 403: WEBHOOK_PERMISSION },
		},
		scope.connection,
	);
	return Array.isArray(response.body) ? response.body : [];
}

/**
 * Makes the hook. A create whose answer was lost is looked for by its URL before it is sent again,
 * so that a retry never leaves a second hook behind.
 */
export async function createHook(
	context: IHookFunctions,
	scope: Scope,
	hook: { destinationUrl: string; secret: string },
): Promise<string> {
	const response = await procoreRequest<IDataObject>(
		asProcoreContext(context),
		{
			method: 'POST',
			path: procorePath`/rest/v1.0/webhooks/hooks`,
			body: {
				project_id: Number(scope.projectId),
				hook: {
					api_version: PAYLOAD_VERSION,
					namespace: HOOK_NAMESPACE,
					destination_url: hook.destinationUrl,
					destination_headers: { Authorization: `Bearer ${hook.secret}` },
				},
			},
			companyId: scope.companyId,
			action: `Creating the webhook of project ${scope.projectId}`,
			explain: { 403: WEBHOOK_PERMISSION },
			retry: 'once',
			recover: async () => {
				const found = (await listOurHooks(context, scope)).find(
					(existing) => existing.destination_url === hook.destinationUrl,
				);
				return found ? { body: found, headers: {}, statusCode: 201 } : undefined;
			},
		},
		scope.connection,
	);
	const hookId = idOf(response.body?.id);
	if (!hookId) {
		throw new NodeOperationError(context.getNode(), `Procore created no webhook in project ${scope.projectId}: its answer had no hook ID`, {
			description: 'Deactivate and activate the workflow again. If it keeps failing, check the webhooks of the project in Procore\'s Developer Tools.',
		});
	}
	return hookId;
}

/** The triggers of a hook as Procore lists them; undefined when Procore does not list them. */
export async function listTriggers(context: IHookFunctions, scope: Scope, hookId: string): Promise<IDataObject[] | undefined> {
	try {
		const response = await procoreRequest<IDataObject[]>(
			asProcoreContext(context),
			{
				method: 'GET',
				path: procorePath`/rest/v1.0/webhooks/hooks/${hookId}/triggers`,
				qs: { project_id: scope.projectId },
				companyId: scope.companyId,
				action: `Listing the triggers of webhook ${hookId} of project ${scope.projectId}`,
				explain: { 403: WEBHOOK_PERMISSION },
			},
			scope.connection,
		);
		return Array.isArray(response.body) ? response.body : undefined;
	} catch (error) {
		if (httpStatusOf(error) === 404 || httpStatusOf(error) === 405) return undefined;
		throw asNodeError(context.getNode(), error);
	}
}

/**
 * Adds the triggers in one bulk request (docs/procore-api.md §11: up to 500; 207 lists the ones
 * that failed). Procore may spell event types in capitals in its answers, so they are compared in
 * lower case. Returns the IDs of the triggers made.
 */
export async function createTriggers(
	context: IHookFunctions,
	scope: Scope,
	hookId: string,
	resourceName: string,
	events: EventType[],
): Promise<string[]> {
	const response = await procoreRequest<IDataObject>(
		asProcoreContext(context),
		{
			method: 'POST',
			path: procorePath`/rest/v1.0/webhooks/hooks/${hookId}/triggers/bulk`,
			body: {
				project_id: Number(scope.projectId),
				api_version: PAYLOAD_VERSION,
				triggers: events.map((event_type) => ({ resource_name: resourceName, event_type })),
			},
			companyId: scope.companyId,
			action: `Adding the ${resourceName} triggers to webhook ${hookId} of project ${scope.projectId}`,
			explain: {
				403: WEBHOOK_PERMISSION,
				422: `Procore refused a trigger: check that "${resourceName}" is a project-level webhook resource of this project.`,
			},
			retry: 'once',
			// A lost answer: what the hook has now tells whether the triggers were made.
			recover: async () => {
				const existing = await listTriggers(context, scope, hookId);
				const ours = (existing ?? []).filter((trigger) => trigger.resource_name === resourceName);
				return ours.length >= events.length ? { body: { success: ours }, headers: {}, statusCode: 200 } : undefined;
			},
		},
		scope.connection,
	);
	const body = response.body ?? {};
	const made = (Array.isArray(body.success) ? (body.success as IDataObject[]) : [])
		.map((trigger) => idOf(trigger.id))
		.filter((id): id is string => id !== undefined);
	const failed = Array.isArray(body.failed) ? (body.failed as IDataObject[]) : [];
	if (failed.length > 0) {
		const which = failed
			.map((trigger) => `${String(trigger.resource_name ?? resourceName)} ${String(trigger.event_type ?? '').toLowerCase()}`)
			.join(', ');
		const error = new NodeOperationError(context.getNode(), `Procore refused ${failed.length} trigger(s) of the webhook: ${which}`, {
			description: `Check that "${resourceName}" supports these events in project ${scope.projectId} (Procore's list of webhook resources), and that the credential may manage webhooks.`,
		});
		(error as NodeOperationError & { madeTriggerIds?: string[] }).madeTriggerIds = made;
		throw error;
	}
	return made;
}

/** Deletes triggers in one bulk request; triggers Procore no longer has are not an error. */
export async function deleteTriggers(context: IHookFunctions, scope: Scope, hookId: string, triggerIds: string[]) {
	if (triggerIds.length === 0) return;
	try {
		await procoreRequest(
			asProcoreContext(context),
			{
				method: 'DELETE',
				path: procorePath`/rest/v1.0/webhooks/hooks/${hookId}/triggers/bulk`,
				body: { project_id: Number(scope.projectId), triggers: triggerIds.map(Number) },
				companyId: scope.companyId,
				action: `Deleting the triggers of webhook ${hookId} of project ${scope.projectId}`,
				explain: { 403: WEBHOOK_PERMISSION },
			},
			scope.connection,
		);
	} catch (error) {
		if (httpStatusOf(error) !== 404) throw asNodeError(context.getNode(), error);
	}
}

/** Deletes the hook; a hook Procore no longer has is not an error. */
export async function deleteHook(context: IHookFunctions, scope: Scope, hookId: string) {
	try {
		await procoreRequest(
			asProcoreContext(context),
			{
				method: 'DELETE',
				path: procorePath`/rest/v1.0/webhooks/hooks/${hookId}`,
				qs: { project_id: scope.projectId },
				companyId: scope.companyId,
				action: `Deleting webhook ${hookId} of project ${scope.projectId}`,
				explain: { 403: WEBHOOK_PERMISSION },
			},
			scope.connection,
		);
	} catch (error) {
		if (httpStatusOf(error) !== 404) throw asNodeError(context.getNode(), error);
	}
}

/**
 * Removes a hook and all its triggers. Whether deleting a hook deletes its triggers is undocumented
 * (docs/procore-api.md §11), so the triggers go first: the ones Procore lists, or else the ones the
 * node remembers making.
 */
export async function removeHook(context: IHookFunctions, scope: Scope, hookId: string, knownTriggerIds: string[] = []) {
	const listed = await listTriggers(context, scope, hookId);
	const triggerIds = listed
		? listed.map((trigger) => idOf(trigger.id)).filter((id): id is string => id !== undefined)
		: knownTriggerIds;
	await deleteTriggers(context, scope, hookId, triggerIds);
	await deleteHook(context, scope, hookId);
}
