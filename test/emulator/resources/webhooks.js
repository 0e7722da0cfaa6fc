// @ts-check
'use strict';

/**
 * Webhooks API v1.0 (procore-api.md §8 and §11 "Webhooks, more"): hooks, triggers (one by one and
 * in bulk), the list of resources and the delivery log. Records and the delivery worker live in
 * ../deliveries.js. Every route is scoped by `project_id` or `company_id` (query or body).
 *
 * Choices where the documents are silent (README "Webhooks"):
 *  - Permission: a user whose `projectAdmin` flag is false, or a service account whose
 *    `webhooksApi` flag is false, gets 403 (§11 "Permissions": DMSA needs "Webhooks API", a user
 *    probably project Admin). Both default to allowed.
 *  - Validation errors are Rails-style 422 `{"errors": {field: [...]}}`; unknown keys are refused.
 *  - DELETE answers 204 with no body.
 *  - A hook of another scope is 404, as a hook that does not exist.
 */

const { procoreErrors, isPlainObject, toId, paginate } = require('../http');
const { requireProject, requireCompanyParam } = require('../access');
const { maskSecret, PROJECT_ONLY_RESOURCES, PAYLOAD_VERSIONS } = require('../deliveries');

/** @typedef {import('../server').Context} Context */
/** @typedef {import('../deliveries').Hook} Hook */
/** @typedef {import('../deliveries').Trigger} Trigger */
/** @typedef {{ companyId: number, projectId: number | null, label: string }} Scope */

const EVENT_TYPES = ['create', 'update', 'delete'];
const MAX_BULK_TRIGGERS = 500;
const HOOK_KEYS = ['api_version', 'namespace', 'destination_url', 'destination_headers'];

/**
 * The resources `GET /rest/v1.0/webhooks/resources` lists. `Images` and `Image Categories` are
 * the Photos tool's (procore-api.md §8); the others are a few common ones so the list is not only
 * Photos. Project-level ones are offered only with `project_id`, company-level ones only with
 * `company_id`.
 */
const RESOURCES = [
	{ resource_name: 'Images', product_category: 'Project Management', tools: ['Photos'], level: 'project' },
	{ resource_name: 'Image Categories', product_category: 'Project Management', tools: ['Photos'], level: 'project' },
	{ resource_name: 'RFIs', product_category: 'Project Management', tools: ['RFIs'], level: 'project' },
	{ resource_name: 'Submittals', product_category: 'Project Management', tools: ['Submittals'], level: 'project' },
	{ resource_name: 'Punch Items', product_category: 'Quality & Safety', tools: ['Punch List'], level: 'project' },
	{ resource_name: 'Daily Logs', product_category: 'Project Management', tools: ['Daily Log'], level: 'project' },
	{ resource_name: 'Projects', product_category: 'Core', tools: ['Portfolio'], level: 'company' },
	{ resource_name: 'Company Users', product_category: 'Core', tools: ['Directory'], level: 'company' },
	{ resource_name: 'Company Vendors', product_category: 'Core', tools: ['Directory'], level: 'company' },
];

/** @param {string} level */
function resourcesAt(level) {
	return RESOURCES.filter((r) => r.level === level);
}

/** Query and body together, as Rails params are. @param {Context} ctx */
async function allParams(ctx) {
	const body = ctx.method === 'GET' ? {} : (await ctx.body()).params;
	return { ...ctx.query, ...body };
}

/**
 * `project_id` or `company_id` (procore-api.md §8: "You must supply either"). A project of
 * another company is 404; a company other than the header's is 403 (access.js).
 * @param {Context} ctx @param {Record<string, any>} p
 * @returns {Scope}
 */
function scopeOf(ctx, p) {
	if (p.project_id !== undefined && p.project_id !== '') {
		const project = requireProject(ctx, p.project_id);
		return { companyId: project.companyId, projectId: project.id, label: `project ${project.id}` };
	}
	if (p.company_id !== undefined && p.company_id !== '') {
		const company = requireCompanyParam(ctx, p.company_id);
		return { companyId: company.id, projectId: null, label: `company ${company.id}` };
	}
	throw procoreErrors.paramMissing('project_id or company_id');
}

/**
 * Managing webhooks needs project (or company) Admin for a user and the "Webhooks API" permission
 * for a service account (procore-api.md §8, §11 "Permissions"). Wording is the emulator's.
 * @param {Context} ctx @param {Scope} scope
 */
function requireWebhooksPermission(ctx, scope) {
	const auth = /** @type {NonNullable<Context['auth']>} */ (ctx.auth);
	const user = /** @type {any} */ (auth.user);
	if (auth.serviceAccount) {
		if (user.webhooksApi === false) {
			throw procoreErrors.errorsString(403, `This service account may not manage webhooks in ${scope.label}: its permission template lacks the "Webhooks API" tool. Give it "Webhooks API" at level Standard in the company's App Management.`);
		}
	} else if (user.projectAdmin === false) {
		throw procoreErrors.errorsString(403, `You do not have permission to manage webhooks in ${scope.label}. This needs the Admin permission level on the ${scope.projectId === null ? 'company' : 'project'}.`);
	}
}

/** @param {Context} ctx */
async function scoped(ctx) {
	const p = await allParams(ctx);
	const scope = scopeOf(ctx, p);
	requireWebhooksPermission(ctx, scope);
	return { p, scope };
}

/** The hook in the path, in this scope (else 404). @param {Context} ctx @param {Scope} scope */
function findHook(ctx, scope) {
	const hook = ctx.emu.webhooks.hookRecords.get(toId(ctx.params.id) ?? -1);
	if (!hook || hook.companyId !== scope.companyId || hook.projectId !== scope.projectId) {
		throw procoreErrors.errorString(404, `Couldn't find Webhooks::Hook with 'id'=${ctx.params.id}`);
	}
	return hook;
}

/** The hook as answered: `Authorization` masked, every time (procore-api.md §11). @param {Hook} hook */
function hookJson(hook) {
	/** @type {Record<string, string>} */
	const headers = {};
	for (const [k, v] of Object.entries(hook.destinationHeaders)) headers[k] = k.toLowerCase() === 'authorization' ? maskSecret(v) : v;
	return {
		id: hook.id,
		owned_by_company_id: hook.companyId,
		owned_by_project_id: hook.projectId,
		owned_by_user_id: hook.ownerUserId,
		api_version: hook.apiVersion,
		namespace: hook.namespace,
		destination_url: hook.destinationUrl,
		destination_headers: headers,
	};
}

/** @param {Context} ctx @param {Trigger} t */
function triggerJson(ctx, t) {
	return {
		id: t.id,
		hook_id: t.hookId,
		api_version: t.apiVersion,
		resource_name: t.resourceName,
		event_type: ctx.options.triggerEventTypeCapitals ? t.eventType.toUpperCase() : t.eventType,
	};
}

/** @param {import('../deliveries').Delivery} d */
function deliveryJson(d) {
	return {
		id: d.id,
		hook_id: d.hookId,
		event_id: d.eventId,
		status: d.status,
		attempts: d.attempts.length,
		started_at: d.startedAt,
		completed_at: d.completedAt,
		response_status: d.responseStatus,
		response_error: d.responseError,
		payload: d.payload,
	};
}

/**
 * Checks a `hook` object (create: all required; update: only what is given).
 * @param {unknown} raw @param {boolean} partial
 */
function hookFields(raw, partial) {
	if (!isPlainObject(raw) || (partial && Object.keys(raw).length === 0)) throw procoreErrors.paramMissing('hook');
	const hook = /** @type {Record<string, any>} */ (raw);
	/** @type {Record<string, string[]>} */
	const errors = {};
	/** @type {Record<string, any>} */
	const out = {};
	for (const k of Object.keys(hook)) if (!HOOK_KEYS.includes(k)) errors[k] = [`is not a hook attribute (allowed: ${HOOK_KEYS.join(', ')})`];
	if (!partial || 'api_version' in hook) {
		if (hook.api_version === undefined || hook.api_version === '') errors.api_version = ["can't be blank"];
		else if (!PAYLOAD_VERSIONS.includes(hook.api_version)) errors.api_version = [`is not included in the list (${PAYLOAD_VERSIONS.join(', ')})`];
		else out.apiVersion = hook.api_version;
	}
	if (!partial || 'namespace' in hook) {
		// procore-api.md §8: only a-z, 0-9 and -.
		if (typeof hook.namespace !== 'string' || hook.namespace === '') errors.namespace = ["can't be blank"];
		else if (!/^[a-z0-9-]+$/.test(hook.namespace)) errors.namespace = ['may contain only lower-case letters a-z, digits 0-9 and "-"'];
		else out.namespace = hook.namespace;
	}
	if (!partial || 'destination_url' in hook) {
		/** @type {URL | null} */
		let url = null;
		try {
			url = typeof hook.destination_url === 'string' ? new URL(hook.destination_url) : null;
		} catch {
			url = null;
		}
		if (typeof hook.destination_url !== 'string' || hook.destination_url === '') errors.destination_url = ["can't be blank"];
		else if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) errors.destination_url = ['must be an http or https URL'];
		else out.destinationUrl = hook.destination_url;
	}
	if ('destination_headers' in hook) {
		const h = hook.destination_headers;
		if (h === null) out.destinationHeaders = {};
		else if (!isPlainObject(h) || Object.values(h).some((v) => typeof v !== 'string')) errors.destination_headers = ['must be an object of header names to string values'];
		else out.destinationHeaders = { ...h };
	} else if (!partial) out.destinationHeaders = {};
	if (Object.keys(errors).length) throw procoreErrors.validation(errors);
	return out;
}

/**
 * Checks one trigger `{resource_name, event_type}` for a hook: the resource must be offered at
 * the hook's level (`Images` and `Image Categories` are project-level only, §11) and the same
 * trigger must not exist yet. Returns the error messages, or the normalized fields.
 * @param {Context} ctx @param {Hook} hook @param {unknown} raw @param {Array<{ resourceName: string, eventType: string }>} pending
 */
function checkTrigger(ctx, hook, raw, pending) {
	/** @type {Record<string, string[]>} */
	const errors = {};
	if (!isPlainObject(raw)) return { errors: { trigger: ["can't be blank"] } };
	const t = /** @type {Record<string, any>} */ (raw);
	for (const k of Object.keys(t)) if (!['resource_name', 'event_type'].includes(k)) errors[k] = ['is not a trigger attribute (allowed: resource_name, event_type)'];
	const level = hook.projectId === null ? 'company' : 'project';
	const resourceName = typeof t.resource_name === 'string' ? t.resource_name : '';
	if (resourceName === '') errors.resource_name = ["can't be blank"];
	else if (!RESOURCES.some((r) => r.resource_name === resourceName)) errors.resource_name = [`is not a webhook resource: "${resourceName}" (see GET /rest/v1.0/webhooks/resources)`];
	else if (!resourcesAt(level).some((r) => r.resource_name === resourceName)) {
		errors.resource_name = PROJECT_ONLY_RESOURCES.has(resourceName) || level === 'company'
			? [`"${resourceName}" is a project-level resource; create the hook and its triggers with project_id`]
			: [`"${resourceName}" is a company-level resource; create the hook and its triggers with company_id`];
	}
	const eventType = typeof t.event_type === 'string' ? t.event_type.toLowerCase() : '';
	if (eventType === '') errors.event_type = ["can't be blank"];
	else if (!EVENT_TYPES.includes(eventType)) errors.event_type = [`is not included in the list (${EVENT_TYPES.join(', ')})`];
	if (!Object.keys(errors).length) {
		const same = (/** @type {{ resourceName: string, eventType: string }} */ x) => x.resourceName === resourceName && x.eventType === eventType;
		if (ctx.emu.webhooks.triggers(hook.id).some(same) || pending.some(same)) errors.base = [`A trigger for ${resourceName} ${eventType} already exists on hook ${hook.id}`];
	}
	if (Object.keys(errors).length) return { errors };
	return { fields: { resourceName, eventType } };
}

/** @param {unknown} v */
function requireApiVersion(v) {
	if (v === undefined || v === '') throw procoreErrors.paramMissing('api_version');
	if (!PAYLOAD_VERSIONS.includes(String(v))) throw procoreErrors.validation({ api_version: [`is not included in the list (${PAYLOAD_VERSIONS.join(', ')})`] });
	return String(v);
}

/** @param {{ api: import('../router').Router }} app */
function register(app) {
	const base = '/rest/v1.0/webhooks';

	app.api.get(`${base}/resources`, async (ctx) => {
		const p = await allParams(ctx);
		const scope = scopeOf(ctx, p);
		const list = resourcesAt(scope.projectId === null ? 'company' : 'project').map((r) => ({
			api_version: 'v2',
			product_category: r.product_category,
			tools: r.tools,
			except: [],
			create: true,
			update: true,
			delete: true,
			resource_name: r.resource_name,
		}));
		ctx.json(200, list);
	});

	app.api.post(`${base}/hooks`, async (ctx) => {
		const { p, scope } = await scoped(ctx);
		const f = hookFields(p.hook, false);
		const auth = /** @type {NonNullable<Context['auth']>} */ (ctx.auth);
		const hook = ctx.emu.webhooks.addHook({ companyId: scope.companyId, projectId: scope.projectId, ownerUserId: auth.user.id, ...f });
		ctx.json(201, hookJson(hook));
	});

	app.api.get(`${base}/hooks`, async (ctx) => {
		const { p, scope } = await scoped(ctx);
		const list = [...ctx.emu.webhooks.hookRecords.values()].filter(
			(h) => h.companyId === scope.companyId && h.projectId === scope.projectId && (p.namespace === undefined || h.namespace === p.namespace) && (p.api_version === undefined || h.apiVersion === p.api_version),
		);
		ctx.json(200, list.map(hookJson));
	});

	app.api.get(`${base}/hooks/:id`, async (ctx) => {
		const { scope } = await scoped(ctx);
		ctx.json(200, hookJson(findHook(ctx, scope)));
	});

	app.api.patch(`${base}/hooks/:id`, async (ctx) => {
		const { p, scope } = await scoped(ctx);
		const hook = findHook(ctx, scope);
		Object.assign(hook, hookFields(p.hook, true), { updatedAt: new Date(ctx.emu.now()).toISOString() });
		ctx.json(200, hookJson(hook));
	});

	app.api.delete(`${base}/hooks/:id`, async (ctx) => {
		const { scope } = await scoped(ctx);
		const hook = findHook(ctx, scope);
		const triggers = ctx.emu.webhooks.triggers(hook.id);
		if (triggers.length && ctx.options.hookDeleteWithTriggers === 'refuse') {
			// procore-api.md §11: undocumented whether triggers go with the hook; strict = refuse.
			throw procoreErrors.validation({ base: [`Hook ${hook.id} still has ${triggers.length} trigger(s); delete them first (DELETE …/hooks/${hook.id}/triggers/bulk)`] });
		}
		for (const t of triggers) ctx.emu.webhooks.triggerRecords.delete(t.id);
		ctx.emu.webhooks.hookRecords.delete(hook.id);
		ctx.send(204, '', undefined);
	});

	app.api.get(`${base}/hooks/:id/deliveries`, async (ctx) => {
		const { p, scope } = await scoped(ctx);
		const hook = findHook(ctx, scope);
		// §8 writes `filter[status]`; the OAS writes `filters[status]`: both are read.
		const status = p.filter?.status ?? p.filters?.status ?? 'any';
		if (!['any', 'successful', 'discarded', 'failing'].includes(status)) {
			throw procoreErrors.nestedError(400, 'invalid_parameter', `Invalid value for filter[status]: ${String(status)} (any, successful, discarded or failing)`);
		}
		const list = ctx.emu.webhooks.deliveries(hook.id).filter((/** @type {any} */ d) => status === 'any' || d.status === status);
		ctx.json(200, paginate(ctx, list).map(deliveryJson));
	});

	app.api.get(`${base}/hooks/:id/triggers`, async (ctx) => {
		const { scope } = await scoped(ctx);
		const hook = findHook(ctx, scope);
		ctx.json(200, ctx.emu.webhooks.triggers(hook.id).map((/** @type {Trigger} */ t) => triggerJson(ctx, t)));
	});

	app.api.post(`${base}/hooks/:id/triggers`, async (ctx) => {
		const { p, scope } = await scoped(ctx);
		const hook = findHook(ctx, scope);
		const apiVersion = requireApiVersion(p.api_version);
		if (p.trigger === undefined) throw procoreErrors.paramMissing('trigger');
		const r = checkTrigger(ctx, hook, p.trigger, []);
		if (r.errors) throw procoreErrors.validation(r.errors);
		const trigger = ctx.emu.webhooks.addTrigger(hook.id, { apiVersion, ...r.fields });
		ctx.json(201, triggerJson(ctx, trigger));
	});

	// Before /:trigger_id, which would take "bulk" as an id.
	app.api.post(`${base}/hooks/:id/triggers/bulk`, async (ctx) => {
		const { p, scope } = await scoped(ctx);
		const hook = findHook(ctx, scope);
		const apiVersion = requireApiVersion(p.api_version);
		if (!Array.isArray(p.triggers) || p.triggers.length === 0) throw procoreErrors.paramMissing('triggers');
		if (p.triggers.length > MAX_BULK_TRIGGERS) throw tooMany(p.triggers.length);
		/** @type {Array<{ resourceName: string, eventType: string }>} */
		const accepted = [];
		/** @type {any[]} */
		const failed = [];
		for (const raw of p.triggers) {
			const r = checkTrigger(ctx, hook, raw, accepted);
			if (r.errors) failed.push({ ...(isPlainObject(raw) ? raw : { trigger: raw }), errors: r.errors });
			else accepted.push(r.fields);
		}
		const success = accepted.map((f) => triggerJson(ctx, ctx.emu.webhooks.addTrigger(hook.id, { apiVersion, ...f })));
		if (failed.length) ctx.json(207, { success, failed });
		else ctx.json(200, { success });
	});

	app.api.delete(`${base}/hooks/:id/triggers/bulk`, async (ctx) => {
		const { p, scope } = await scoped(ctx);
		const hook = findHook(ctx, scope);
		if (!Array.isArray(p.triggers) || p.triggers.length === 0) throw procoreErrors.paramMissing('triggers');
		if (p.triggers.length > MAX_BULK_TRIGGERS) throw tooMany(p.triggers.length);
		/** @type {number[]} */
		const success = [];
		/** @type {any[]} */
		const failed = [];
		for (const raw of p.triggers) {
			const t = ctx.emu.webhooks.triggerRecords.get(toId(raw) ?? -1);
			if (!t || t.hookId !== hook.id) failed.push({ id: raw, errors: { base: [`Couldn't find Webhooks::Trigger with 'id'=${String(raw)} on hook ${hook.id}`] } });
			else {
				ctx.emu.webhooks.triggerRecords.delete(t.id);
				success.push(t.id);
			}
		}
		if (failed.length) ctx.json(207, { success, failed });
		else ctx.json(200, { success });
	});

	app.api.delete(`${base}/hooks/:id/triggers/:trigger_id`, async (ctx) => {
		const { scope } = await scoped(ctx);
		const hook = findHook(ctx, scope);
		const t = ctx.emu.webhooks.triggerRecords.get(toId(ctx.params.trigger_id) ?? -1);
		if (!t || t.hookId !== hook.id) throw procoreErrors.errorString(404, `Couldn't find Webhooks::Trigger with 'id'=${ctx.params.trigger_id}`);
		ctx.emu.webhooks.triggerRecords.delete(t.id);
		ctx.send(204, '', undefined);
	});
}

/** 413 over the bulk limit (procore-api.md §11: at most 500). @param {number} n */
function tooMany(n) {
	return procoreErrors.errorsString(413, `At most ${MAX_BULK_TRIGGERS} triggers per bulk request; this one has ${n}. Split it into several requests.`);
}

module.exports = { register, RESOURCES };
