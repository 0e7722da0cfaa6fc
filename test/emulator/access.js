// @ts-check
'use strict';

/**
 * The api listener's gatekeeping: rate limiting, the Bearer token, the Procore-Company-Id header
 * (docs/procore-api.md §2) and who may see which company and project.
 */

const { HttpError, procoreErrors, toId } = require('./http');
const { RATE_LIMIT_TEXT } = require('./faults');

const MISSING_COMPANY_TEXT =
	'Missing Procore-Company-Id header!  Each call your application makes to the Procore API must contain a request header that includes the Procore-Company-Id field.';

const INVALID_TOKEN = 'The access token is invalid';

/** @typedef {import('./server').Context} Context */

/**
 * 401 for a missing, unknown, expired or revoked token. The body uses the generic error object's
 * `message` field (docs/procore-api.md §5 lists it for v1.0 401s) with the documented text; the exact
 * shape is UNCONFIRMED. The WWW-Authenticate header is the usual Doorkeeper one (UNCONFIRMED).
 */
function invalidToken() {
	return new HttpError(401, { message: INVALID_TOKEN }, {
		headers: { 'WWW-Authenticate': `Bearer realm="Procore", error="invalid_token", error_description="${INVALID_TOKEN}"` },
	});
}

/**
 * The missing-header message is documented; its status is UNCONFIRMED (docs/procore-api.md §2): 400
 * with the plain-text message. A header that is not an integer counts as missing (strict reading).
 */
function missingCompanyHeader() {
	return procoreErrors.plain(400, MISSING_COMPANY_TEXT);
}

/** @param {Context} ctx */
function rateKey(ctx) {
	const m = /^Bearer\s+(\S+)\s*$/i.exec(String(ctx.req.headers.authorization ?? ''));
	return m ? `token:${m[1]}` : `anonymous:${ctx.req.socket.remoteAddress ?? ''}`;
}

/**
 * Hooks for the api listener's pipeline.
 * @param {any} emu
 * @returns {import('./server').ListenerHooks}
 */
function apiHooks(emu) {
	return {
		before(ctx) {
			// The emulator's own clock (clockOffsetMs) for the Date header and the rate limits.
			const now = ctx.record.at + emu.options.clockOffsetMs;
			ctx.setHeader('Date', new Date(now).toUTCString());
			ctx.rateKey = rateKey(ctx);
			emu.rate.noteArrival(ctx.rateKey, ctx.record, now);
			const r = emu.rate.account(ctx.rateKey, now);
			for (const [k, v] of Object.entries(r.headers)) ctx.setHeader(k, v);
			/** @type {any} */ (ctx).rateResult = r;
		},
		afterFaults(ctx) {
			const r = /** @type {any} */ (ctx).rateResult;
			if (!r.exceeded) return;
			emu.stats.rateLimited++;
			emu.rate.block(ctx.rateKey, r.resetMs, '429');
			// UNCONFIRMED whether the 429 body is plain text or JSON, and whether Retry-After comes
			// with it (docs/procore-api.md §3): plain text, and no Retry-After unless retryAfterOn429.
			/** @type {Record<string, string>} */
			const headers = {};
			if (emu.options.retryAfterOn429) headers['Retry-After'] = String(Math.max(1, Math.ceil((r.resetMs - emu.now()) / 1000)));
			throw new HttpError(429, RATE_LIMIT_TEXT, { headers, contentType: 'text/plain; charset=utf-8' });
		},
		async beforeRoute(ctx, route) {
			if (route.options.auth === 'none') return;
			authenticate(ctx);
			checkCompanyHeader(ctx, route.options.company ?? 'required');
			// Permission levels and contested readings on routes whose handlers live elsewhere
			// (required here, not at the top: readings.js uses this module).
			await require('./readings').gate(ctx, route);
		},
		notFound: () => procoreErrors.errorString(404, 'Not Found'),
		internalError: (_ctx, err) => new HttpError(500, { error: 'Internal Server Error', message: err.message }),
	};
}

/** @param {Context} ctx */
function authenticate(ctx) {
	const m = /^Bearer\s+(\S+)\s*$/i.exec(String(ctx.req.headers.authorization ?? ''));
	if (!m) throw invalidToken();
	const token = ctx.state.tokens.get(m[1]);
	const now = Date.now();
	if (!token || token.revokedAt || token.expiresAt <= now) throw invalidToken();
	const limit = ctx.options.tokenExpiresAfterRequests;
	if (limit > 0 && token.uses >= limit) {
		token.expiresAt = now;
		throw invalidToken();
	}
	token.uses++;
	const user = ctx.state.users.get(token.userId);
	if (!user) throw invalidToken();
	ctx.auth = { token, user, serviceAccount: token.grantType === 'client_credentials' };
}

/**
 * `required`: every call; `user-optional`: /me and /companies, where an authorization-code token
 * may leave it out but a client-credentials (DMSA) token must send it (docs/procore-api.md §1.5, §2).
 * A header that is present is always checked.
 * @param {Context} ctx
 * @param {'required' | 'user-optional'} mode
 */
function checkCompanyHeader(ctx, mode) {
	const auth = /** @type {NonNullable<Context['auth']>} */ (ctx.auth);
	const raw = ctx.req.headers['procore-company-id'];
	const value = Array.isArray(raw) ? raw[0] : raw;
	const needed = mode === 'required' || auth.serviceAccount;
	if (value === undefined || value.trim() === '') {
		if (needed) throw missingCompanyHeader();
		return;
	}
	const id = /^\d{1,16}$/.test(value.trim()) ? Number(value.trim()) : undefined;
	if (id === undefined) throw missingCompanyHeader();
	const company = ctx.state.companies.get(id);
	if (auth.serviceAccount) {
		// A DMSA reaches exactly the companies where the app is installed.
		if (!company || !company.appInstalled) throw procoreErrors.errorsString(403, 'App is not connected to this company');
	} else {
		if (!company || !auth.user.companyIds.includes(id)) throw procoreErrors.errorsString(403, `You do not have access to company ${id}`);
		if (!company.appInstalled) throw procoreErrors.errorsString(403, 'App is not connected to this company');
	}
	ctx.companyId = id;
}

const PHOTOS_LEVELS = /** @type {const} */ ({ read_only: 0, standard: 1, admin: 2 });
const PHOTOS_LEVEL_NAMES = /** @type {const} */ ({ read_only: 'Read Only', standard: 'Standard', admin: 'Admin' });

/**
 * The caller's permission level on the Photos tool must be at least `needed` (Procore's permissions
 * matrix, docs/procore-api.md §9.10 and §11 "Permissions": uploading and editing photos and creating
 * albums need Standard, marking a photo private and deleting photos need Admin). 403 in the
 * documented `{"errors": "<string>"}` shape; the wording is the emulator's (UNCONFIRMED).
 * @param {Context} ctx
 * @param {'standard' | 'admin'} needed
 * @param {string} action what was refused, e.g. "delete photos"
 */
function requirePhotosPermission(ctx, needed, action) {
	const user = /** @type {NonNullable<Context['auth']>} */ (ctx.auth).user;
	const level = user.photosPermission ?? 'admin';
	if (PHOTOS_LEVELS[level] >= PHOTOS_LEVELS[needed]) return;
	const wanted = needed === 'admin' ? 'Admin' : 'Standard or Admin';
	throw procoreErrors.errorsString(403, `You do not have permission to ${action} in this project. This needs the ${wanted} permission level on the Photos tool; yours is ${PHOTOS_LEVEL_NAMES[level]}.`);
}

/** The companies the caller may see. @param {Context} ctx */
function visibleCompanies(ctx) {
	const auth = /** @type {NonNullable<Context['auth']>} */ (ctx.auth);
	return [...ctx.state.companies.values()].filter((c) => (auth.serviceAccount ? c.appInstalled : auth.user.companyIds.includes(c.id)));
}

/**
 * A `company_id` from the path or query: required, and it must be the header's company.
 * UNCONFIRMED what Procore does on a mismatch; refused here with 403 (strict).
 * @param {Context} ctx
 * @param {unknown} raw
 */
function requireCompanyParam(ctx, raw) {
	if (raw === undefined || raw === '') throw procoreErrors.paramMissing('company_id');
	const id = toId(raw);
	if (id === undefined) throw procoreErrors.errorString(404, `Couldn't find Company with 'id'=${String(raw)}`);
	if (ctx.companyId === null) throw missingCompanyHeader();
	if (id !== ctx.companyId) throw procoreErrors.errorsString(403, `company_id ${id} does not match the Procore-Company-Id header (${ctx.companyId})`);
	return /** @type {import('./seed').Company} */ (ctx.state.companies.get(id));
}

/**
 * A project the caller may use, in the header's company. A project in another company, or one the
 * caller cannot see, is a 404 (docs/procore-api.md §5: 404 also means "cannot read it"). A DMSA outside
 * its permitted projects gets 403; `photos` also requires the Photos tool to be enabled (403).
 * @param {Context} ctx
 * @param {unknown} raw
 * @param {{ photos?: boolean }} [need]
 */
function requireProject(ctx, raw, need = {}) {
	const id = toId(raw);
	const project = id === undefined ? undefined : ctx.state.projects.get(id);
	if (!project || project.companyId !== ctx.companyId) throw procoreErrors.errorString(404, `Couldn't find Project with 'id'=${String(raw)}`);
	const company = /** @type {import('./seed').Company} */ (ctx.state.companies.get(project.companyId));
	const auth = /** @type {NonNullable<Context['auth']>} */ (ctx.auth);
	if (auth.serviceAccount && company.permittedProjectIds && !company.permittedProjectIds.includes(project.id)) {
		throw procoreErrors.errorsString(403, 'This project is not among the permitted projects of the app in this company');
	}
	if (need.photos && !project.photosEnabled) throw procoreErrors.errorsString(403, 'The Photos tool is not enabled in this project');
	return project;
}

/**
 * `project_id` as a required query parameter (images, image_categories).
 * @param {Context} ctx
 * @param {{ photos?: boolean }} [need]
 */
function requireProjectFromQuery(ctx, need) {
	const raw = ctx.query.project_id;
	if (raw === undefined || raw === '') throw procoreErrors.paramMissing('project_id');
	return requireProject(ctx, raw, need);
}

module.exports = {
	apiHooks,
	authenticate,
	checkCompanyHeader,
	missingCompanyHeader,
	invalidToken,
	visibleCompanies,
	requireCompanyParam,
	requireProject,
	requireProjectFromQuery,
	requirePhotosPermission,
	MISSING_COMPANY_TEXT,
	INVALID_TOKEN,
};
