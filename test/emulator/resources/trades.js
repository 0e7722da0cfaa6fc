// @ts-check
'use strict';

/**
 * Company trades (docs/procore-api.md §6.4): `GET /rest/v1.0/companies/{company_id}/trades`
 * (paginated; filters[query] by name, filters[active]).
 */

const { paginate, procoreErrors, isPlainObject } = require('../http');
const { requireCompanyParam } = require('../access');

/** @param {import('../seed').Trade} t */
function tradeJson(t) {
	return { id: t.id, name: t.name, active: t.active, updated_at: t.updatedAt };
}

/** @param {{ api: import('../router').Router }} app */
function register(app) {
	app.api.get('/rest/v1.0/companies/:company_id/trades', (ctx) => {
		const company = requireCompanyParam(ctx, ctx.params.company_id);
		const filters = isPlainObject(ctx.query.filters) ? ctx.query.filters : {};
		let list = [...ctx.state.trades.values()].filter((t) => t.companyId === company.id);
		if (typeof filters.query === 'string' && filters.query !== '') {
			const needle = filters.query.toLowerCase();
			list = list.filter((t) => t.name.toLowerCase().includes(needle));
		}
		if (filters.active !== undefined) {
			if (filters.active !== 'true' && filters.active !== 'false') throw procoreErrors.nestedError(400, 'invalid_parameter', 'filters[active] must be true or false');
			list = list.filter((t) => t.active === (filters.active === 'true'));
		}
		list.sort((a, b) => a.id - b.id);
		ctx.json(200, paginate(ctx, list).map(tradeJson));
	});
}

module.exports = { register, tradeJson };
