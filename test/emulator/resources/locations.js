// @ts-check
'use strict';

/**
 * Project locations (docs/procore-api.md §6.4): `GET /rest/v1.0/projects/{project_id}/locations`
 * (paginated; filters[search], filters[parent_id], filters[id][]) and
 * `POST …/locations/find_or_create_by_path` ({"location":{"path":[…]}} → 200 found / 201 created).
 */

const { paginate, procoreErrors, isPlainObject, toId } = require('../http');
const { requireProject } = require('../access');

/** @typedef {import('../server').Context} Context */
/** @typedef {import('../seed').Location} Location */

/**
 * The full name of a location: its tiers joined with ">" (docs/procore-api.md §6.4 example "1space>1 space").
 * @param {Context['state']} state @param {Location} loc
 */
function fullName(state, loc) {
	/** @type {string[]} */
	const names = [];
	for (let cur = /** @type {Location | undefined} */ (loc); cur; cur = cur.parentId ? state.locations.get(cur.parentId) : undefined) names.unshift(cur.nodeName);
	return names.join('>');
}

/** @param {Context['state']} state @param {Location} loc */
function locationJson(state, loc) {
	return { id: loc.id, name: fullName(state, loc), node_name: loc.nodeName, parent_id: loc.parentId, created_at: loc.createdAt, updated_at: loc.updatedAt, code: loc.code };
}

/**
 * Finds or creates the location at `path` (one node name per tier) in the project.
 * @param {Context['state']} state @param {number} projectId @param {string[]} path
 * @returns {{ location: Location, created: boolean }}
 */
function findOrCreatePath(state, projectId, path) {
	/** @type {Location | undefined} */
	let parent;
	let created = false;
	for (const nodeName of path) {
		const parentId = parent ? parent.id : null;
		let node = [...state.locations.values()].find((l) => l.projectId === projectId && l.parentId === parentId && l.nodeName === nodeName);
		if (!node) {
			const now = new Date().toISOString();
			const id = state.nextId('location');
			node = { id, projectId, nodeName, parentId, code: null, createdAt: now, updatedAt: now };
			state.locations.set(id, node);
			created = true;
		}
		parent = node;
	}
	return { location: /** @type {Location} */ (parent), created };
}

/**
 * The location at `path` if every tier exists, else undefined (creates nothing).
 * @param {Context['state']} state @param {number} projectId @param {string[]} path
 * @returns {Location | undefined}
 */
function findPath(state, projectId, path) {
	/** @type {Location | undefined} */
	let node;
	for (const nodeName of path) {
		const parentId = node ? node.id : null;
		node = [...state.locations.values()].find((l) => l.projectId === projectId && l.parentId === parentId && l.nodeName === nodeName);
		if (!node) return undefined;
	}
	return node;
}

/** Why a new path is refused when the project disables dynamic location creation. */
const DYNAMIC_LOCATIONS_DISABLED =
	'names a location that does not exist, and this project has "Disable Dynamic Location Creation" turned on: pick an existing location, or ask a project admin to create it';

/**
 * What an `mt_location` path becomes (docs/procore-api.md §11 "Locations"): an existing path always
 * resolves; a new one is created, unless the project has "Disable Dynamic Location Creation" on,
 * where it is refused (`dynamicLocationRefusal: 'refuse'` → `{refused: message}`) or ignored
 * ('ignore' → `{ignored: true}`, no location). Creates nothing; call `findOrCreatePath` with a
 * `create` answer once the rest of the request is valid.
 * @param {Context} ctx @param {import('../seed').Project} project @param {string[]} path
 * @returns {{ existing: Location } | { create: string[] } | { ignored: true } | { refused: string }}
 */
function planMtLocation(ctx, project, path) {
	const existing = findPath(ctx.state, project.id, path);
	if (existing) return { existing };
	if (!project.disableDynamicLocationCreation) return { create: path };
	if (ctx.options.dynamicLocationRefusal === 'ignore') return { ignored: true };
	return { refused: DYNAMIC_LOCATIONS_DISABLED };
}

/**
 * A location path from a request: a non-empty array of non-empty strings.
 * @param {unknown} raw @param {string} field
 */
function parsePath(raw, field) {
	if (!Array.isArray(raw) || raw.length === 0 || !raw.every((s) => typeof s === 'string' && s.trim() !== '')) {
		throw procoreErrors.validation({ [field]: ['must be a non-empty array of location names'] });
	}
	return raw.map((s) => s.trim());
}

/** @param {{ api: import('../router').Router }} app */
function register(app) {
	app.api.get('/rest/v1.0/projects/:project_id/locations', (ctx) => {
		const project = requireProject(ctx, ctx.params.project_id);
		const state = ctx.state;
		const filters = isPlainObject(ctx.query.filters) ? ctx.query.filters : {};
		let list = [...state.locations.values()].filter((l) => l.projectId === project.id);
		if (typeof filters.search === 'string' && filters.search !== '') {
			const needle = filters.search.toLowerCase();
			list = list.filter((l) => fullName(state, l).toLowerCase().includes(needle));
		}
		if (filters.parent_id !== undefined) {
			const parentId = toId(filters.parent_id) ?? null;
			list = list.filter((l) => l.parentId === parentId);
		}
		if (filters.id !== undefined) {
			const ids = (Array.isArray(filters.id) ? filters.id : [filters.id]).map(toId);
			list = list.filter((l) => ids.includes(l.id));
		}
		list.sort((a, b) => a.id - b.id);
		ctx.json(200, paginate(ctx, list).map((l) => locationJson(state, l)));
	});

	app.api.post('/rest/v1.0/projects/:project_id/locations/find_or_create_by_path', async (ctx) => {
		const project = requireProject(ctx, ctx.params.project_id);
		const p = (await ctx.body()).params;
		if (!isPlainObject(p.location)) throw procoreErrors.paramMissing('location');
		const path = parsePath(p.location.path, 'path');
		// This endpoint is not the admin Create Location, the only one documented to ignore the
		// setting (docs/procore-api.md §6.4), so it cannot create a new path when the setting is on,
		// whatever dynamicLocationRefusal says (it has no "ignore" to fall back to).
		if (project.disableDynamicLocationCreation && !findPath(ctx.state, project.id, path)) throw procoreErrors.validation({ path: [DYNAMIC_LOCATIONS_DISABLED] });
		const { location, created } = findOrCreatePath(ctx.state, project.id, path);
		ctx.json(created ? 201 : 200, locationJson(ctx.state, location));
	});
}

module.exports = { register, findOrCreatePath, findPath, planMtLocation, locationJson, parsePath, fullName, DYNAMIC_LOCATIONS_DISABLED };
