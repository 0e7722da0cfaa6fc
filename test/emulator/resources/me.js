// @ts-check
'use strict';

/** `GET /rest/v1.0/me` (docs/procore-api.md §1.5): the token's user. */

const { missingCompanyHeader } = require('../access');

/** @param {{ api: import('../router').Router }} app */
function register(app) {
	app.api.get(
		'/rest/v1.0/me',
		(ctx) => {
			// The header may be left out by user tokens, unless company_id/project_id is passed.
			if ((ctx.query.company_id !== undefined || ctx.query.project_id !== undefined) && ctx.companyId === null) throw missingCompanyHeader();
			const user = /** @type {NonNullable<typeof ctx.auth>} */ (ctx.auth).user;
			ctx.json(200, { id: user.id, login: user.login, name: user.name });
		},
		{ company: 'user-optional' },
	);
}

module.exports = { register };
