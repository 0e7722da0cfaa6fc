// @ts-check
'use strict';

/**
 * Projects (docs/procore-api.md §6.4): `GET /rest/v1.0/projects?company_id=` (filters, compact view),
 * `GET /rest/v1.1/projects?company_id=` (default 100, max 300 per page, `view`),
 * `GET /rest/v1.0/projects/{id}?company_id=` and `GET /rest/v1.0/companies/{company_id}/projects`.
 */

const { paginate, procoreErrors, toId } = require('../http');
const { requireCompanyParam, requireProject } = require('../access');

/** @typedef {import('../server').Context} Context */
/** @typedef {import('../seed').Project} Project */

/** @param {Context} ctx @param {Project} p */
function projectJson(ctx, p) {
	const company = /** @type {import('../seed').Company} */ (ctx.state.companies.get(p.companyId));
	return {
		id: p.id,
		name: p.name,
		display_name: `${p.projectNumber} - ${p.name}`,
		project_number: p.projectNumber,
		active: p.active,
		address: null,
		city: null,
		state_code: null,
		country_code: 'US',
		zip: null,
		time_zone: 'US/Pacific',
		origin_id: null,
		created_at: p.createdAt,
		updated_at: p.updatedAt,
		company: { id: company.id, name: company.name },
	};
}

/**
 * The company's projects the caller may see, with the v1.0 filters.
 * @param {Context} ctx
 * @param {number} companyId
 */
function listProjects(ctx, companyId) {
	const auth = /** @type {NonNullable<Context['auth']>} */ (ctx.auth);
	const company = /** @type {import('../seed').Company} */ (ctx.state.companies.get(companyId));
	let projects = [...ctx.state.projects.values()].filter((p) => p.companyId === companyId);
	if (auth.serviceAccount && company.permittedProjectIds) projects = projects.filter((p) => company.permittedProjectIds?.includes(p.id));
	const filters = typeof ctx.query.filters === 'object' && ctx.query.filters !== null ? ctx.query.filters : {};
	const status = filters.by_status ?? 'Active';
	if (!['All', 'Active', 'Inactive'].includes(status)) throw procoreErrors.nestedError(400, 'invalid_parameter', 'filters[by_status] must be one of All, Active, Inactive');
	if (status !== 'All') projects = projects.filter((p) => p.active === (status === 'Active'));
	if (typeof filters.name === 'string' && filters.name !== '') {
		const needle = filters.name.toLowerCase();
		projects = projects.filter((p) => p.name.toLowerCase().includes(needle));
	}
	if (filters.id !== undefined) {
		const ids = (Array.isArray(filters.id) ? filters.id : [filters.id]).map(toId);
		projects = projects.filter((p) => ids.includes(p.id));
	}
	const sort = typeof ctx.query.sort === 'string' ? ctx.query.sort : '';
	const field = sort.replace(/^-/, '');
	if (field === 'name' || field === 'display_name') {
		/** @param {Project} p */
		const key = (p) => (field === 'name' ? p.name : `${p.projectNumber} - ${p.name}`);
		projects.sort((a, b) => key(a).localeCompare(key(b)) * (sort.startsWith('-') ? -1 : 1));
	} else {
		projects.sort((a, b) => a.id - b.id);
	}
	return projects;
}

/** @param {{ api: import('../router').Router }} app */
function register(app) {
	app.api.get('/rest/v1.0/projects', (ctx) => {
		const company = requireCompanyParam(ctx, ctx.query.company_id);
		// Default page size UNCONFIRMED for v1.0 (docs/procore-api.md §4): 100 like v1.1.
		const page = paginate(ctx, listProjects(ctx, company.id));
		const compact = ctx.query.serializer_view === 'compact';
		ctx.json(200, page.map((p) => (compact ? { id: p.id, name: p.name, display_name: `${p.projectNumber} - ${p.name}` } : projectJson(ctx, p))));
	});

	app.api.get('/rest/v1.1/projects', (ctx) => {
		const company = requireCompanyParam(ctx, ctx.query.company_id);
		const page = paginate(ctx, listProjects(ctx, company.id), { defaultPerPage: 100, maxPerPage: 300 });
		const view = ctx.query.view ?? 'normal';
		ctx.json(
			200,
			page.map((p) => (view === 'ids' ? { id: p.id } : view === 'compact' ? { id: p.id, name: p.name } : projectJson(ctx, p))),
		);
	});

	app.api.get('/rest/v1.0/projects/:id', (ctx) => {
		requireCompanyParam(ctx, ctx.query.company_id);
		ctx.json(200, projectJson(ctx, requireProject(ctx, ctx.params.id)));
	});

	app.api.get('/rest/v1.0/companies/:company_id/projects', (ctx) => {
		const company = requireCompanyParam(ctx, ctx.params.company_id);
		const page = paginate(ctx, listProjects(ctx, company.id));
		ctx.json(
			200,
			page.map((p) => ({ id: p.id, name: p.name, display_name: `${p.projectNumber} - ${p.name}`, project_number: p.projectNumber, active: p.active })),
		);
	});
}

module.exports = { register, projectJson };
