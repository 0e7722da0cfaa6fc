// @ts-check
'use strict';

/**
 * `GET /rest/v1.0/companies` (docs/procore-api.md §6.4): the user's companies, or for a DMSA the
 * companies where the app is installed. Paginated. And `GET /rest/v1.0/company_base_url`.
 */

const { paginate } = require('../http');
const { visibleCompanies } = require('../access');

/** @param {{ api: import('../router').Router }} app */
function register(app) {
	app.api.get(
		'/rest/v1.0/companies',
		(ctx) => {
			const auth = /** @type {NonNullable<typeof ctx.auth>} */ (ctx.auth);
			const companies = visibleCompanies(ctx).sort((a, b) => a.id - b.id);
			const page = paginate(ctx, companies);
			ctx.json(
				200,
				page.map((c) => ({
					id: c.id,
					name: c.name,
					is_active: c.isActive,
					logo_url: null,
					pcn_business_experience: null,
					my_company: !auth.serviceAccount && auth.user.myCompanyId === c.id,
				})),
			);
		},
		{ company: 'user-optional' },
	);

	// The web host of the header's company's zone (docs/procore-api.md §11 "Web hosts and regions"):
	// `{"web_base_url": "https://us02.procore.com"}`, the shape the 3P spec digest gives; nothing
	// else is documented. The Procore-Company-Id header is required, as on every other call.
	app.api.get('/rest/v1.0/company_base_url', (ctx) => {
		const company = /** @type {import('../seed').Company} */ (ctx.state.companies.get(/** @type {number} */ (ctx.companyId)));
		ctx.json(200, { web_base_url: company.webBaseUrl });
	});
}

module.exports = { register };
