// @ts-check
'use strict';

/**
 * OAuth 2.0 on the login listener (docs/procore-api.md §1): authorize (HTML approval page), token
 * (authorization_code, refresh_token, client_credentials), token info and revoke.
 */

const crypto = require('crypto');
const { HttpError, escapeHtml } = require('../http');

const OOB = 'urn:ietf:wg:oauth:2.0:oob';
const INVALID_GRANT =
	'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.';
const INVALID_CLIENT = 'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.';

/** @typedef {import('../server').Context} Context */

/** @param {number} status @param {string} error @param {string} description */
function oauthError(status, error, description) {
	return new HttpError(status, { error, error_description: description }, { headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } });
}

/** @param {number} bytes */
function randomToken(bytes = 32) {
	return crypto.randomBytes(bytes).toString('base64url');
}

/** @param {string} a @param {string} b */
function safeEqual(a, b) {
	const x = Buffer.from(a);
	const y = Buffer.from(b);
	return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/**
 * A registered redirect URI: an exact match of the client's list (Procore requires exact matches,
 * docs/procore-api.md §1.2), or — for tests, when allowed — any http(s) URI on localhost/127.0.0.1.
 * @param {Context} ctx
 * @param {import('../seed').Client} client
 * @param {unknown} uri
 */
function redirectAllowed(ctx, client, uri) {
	if (typeof uri !== 'string' || uri === '') return false;
	if (client.redirectUris.includes(uri)) return true;
	if (!(client.allowLoopbackRedirects ?? ctx.options.allowLoopbackRedirects)) return false;
	try {
		const u = new URL(uri);
		return (u.protocol === 'http:' || u.protocol === 'https:') && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) && u.hash === '';
	} catch {
		return false;
	}
}

/** @param {number} status @param {string} title @param {string} detail */
function errorPage(status, title, detail) {
	return new HttpError(status, page(title, `<p class="error">${escapeHtml(detail)}</p>`), { contentType: 'text/html; charset=utf-8' });
}

/** @param {string} title @param {string} body */
function page(title, body) {
	return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/**
 * Checks client_id and redirect_uri of an authorize request; errors here are shown on a page, never
 * redirected (the redirect target is not trusted yet).
 * @param {Context} ctx
 * @param {Record<string, any>} p
 */
function authorizeTarget(ctx, p) {
	const client = typeof p.client_id === 'string' ? ctx.state.clients.get(p.client_id) : undefined;
	if (!client) throw errorPage(400, 'Authorization error', 'invalid_client: Client authentication failed due to unknown client.');
	if (!redirectAllowed(ctx, client, p.redirect_uri)) {
		throw errorPage(400, 'Authorization error', 'invalid_redirect_uri: The requested redirect uri is malformed or doesn\'t match client redirect URI.');
	}
	return { client, redirectUri: /** @type {string} */ (p.redirect_uri), state: typeof p.state === 'string' ? p.state : undefined };
}

/**
 * @param {string} redirectUri
 * @param {Record<string, string | undefined>} params
 */
function withParams(redirectUri, params) {
	const u = new URL(redirectUri);
	for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
	return u.toString();
}

/**
 * Issues a code for the user and answers with the redirect (or the out-of-band page).
 * @param {Context} ctx
 * @param {{ client: import('../seed').Client, redirectUri: string, state?: string }} target
 * @param {number} userId
 */
function grantCode(ctx, target, userId) {
	const code = randomToken(24);
	const now = Date.now();
	ctx.state.authCodes.set(code, {
		code,
		clientId: target.client.clientId,
		redirectUri: target.redirectUri,
		userId,
		createdAt: now,
		expiresAt: now + ctx.options.authCodeTtlSeconds * 1000,
		usedAt: null,
	});
	if (target.redirectUri === OOB) {
		return ctx.html(200, page('Authorization code', `<p>Copy this code into your application:</p><code id="auth-code">${escapeHtml(code)}</code>`));
	}
	ctx.redirect(withParams(target.redirectUri, { code, state: target.state }));
}

/** @param {Context} ctx */
function authorizePage(ctx) {
	const p = ctx.query;
	const target = authorizeTarget(ctx, p);
	if (p.response_type !== 'code') {
		return ctx.redirect(withParams(target.redirectUri, { error: 'unsupported_response_type', error_description: 'The authorization server does not support this response type.', state: target.state }));
	}
	const auto = ctx.options.autoApprove;
	if (auto) return grantCode(ctx, target, typeof auto === 'number' ? auto : ctx.emu.seed.userId);
	const users = [...ctx.state.users.values()].filter((u) => !u.serviceAccount);
	const hidden = ['client_id', 'redirect_uri', 'state', 'response_type']
		.filter((k) => typeof p[k] === 'string')
		.map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(p[k])}">`)
		.join('');
	const options = users.map((u) => `<option value="${u.id}">${escapeHtml(`${u.name} <${u.login}>`)}</option>`).join('');
	ctx.html(
		200,
		page(
			'Authorize application',
			`<p><strong>${escapeHtml(target.client.name)}</strong> would like to access your Procore account.</p>` +
				`<form method="post" action="/oauth/authorize/approve">${hidden}` +
				`<label>Sign in as <select name="user_id">${options}</select></label> ` +
				`<button type="submit" name="decision" value="approve" id="approve">Approve</button> ` +
				`<button type="submit" name="decision" value="deny" id="deny">Deny</button></form>`,
		),
	);
}

/** @param {Context} ctx */
async function authorizeDecision(ctx) {
	const p = (await ctx.body()).params;
	const target = authorizeTarget(ctx, p);
	if (p.decision === 'deny') {
		return ctx.redirect(withParams(target.redirectUri, { error: 'access_denied', error_description: 'The resource owner or authorization server denied the request.', state: target.state }));
	}
	const userId = p.user_id === undefined ? ctx.emu.seed.userId : Number(p.user_id);
	const user = ctx.state.users.get(userId);
	if (!user || user.serviceAccount) throw errorPage(400, 'Authorization error', 'Unknown user.');
	grantCode(ctx, target, userId);
}

/** @param {Context} ctx */
async function token(ctx) {
	ctx.setHeader('Cache-Control', 'no-store');
	ctx.setHeader('Pragma', 'no-cache');
	/** @type {Record<string, any>} */
	let p;
	try {
		p = (await ctx.body()).params;
	} catch {
		throw oauthError(400, 'invalid_request', 'The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.');
	}
	const stats = ctx.emu.stats;
	const now = Date.now();
	const grantType = p.grant_type;

	// Refresh tokens are single-use: any refresh call, successful or not, burns the token it
	// presents (docs/procore-api.md §1.4) — even one that then fails client authentication.
	let refresh = null;
	let refreshWasUsable = false;
	if (grantType === 'refresh_token') {
		stats.refreshAttempts++;
		refresh = typeof p.refresh_token === 'string' ? ctx.state.refreshTokens.get(p.refresh_token) : undefined;
		if (refresh) {
			refreshWasUsable = !refresh.usedAt && !refresh.revokedAt;
			if (!refresh.usedAt) refresh.usedAt = now;
		}
	}

	// Client authentication: client_id and client_secret in the body (docs/procore-api.md §1.2).
	// HTTP Basic is UNCONFIRMED; strict reading: Basic alone is refused with invalid_client.
	if (typeof p.client_id !== 'string' || typeof p.client_secret !== 'string') throw oauthError(401, 'invalid_client', INVALID_CLIENT);
	const client = ctx.state.clients.get(p.client_id);
	if (!client || !safeEqual(client.clientSecret, p.client_secret)) throw oauthError(401, 'invalid_client', INVALID_CLIENT);

	switch (grantType) {
		case 'authorization_code': {
			if (typeof p.code !== 'string' || p.code === '') throw oauthError(400, 'invalid_request', 'Missing required parameter: code.');
			const code = ctx.state.authCodes.get(p.code);
			if (!code || code.usedAt || code.expiresAt <= now || code.clientId !== client.clientId || code.redirectUri !== p.redirect_uri) {
				throw oauthError(400, 'invalid_grant', INVALID_GRANT);
			}
			code.usedAt = now;
			return ctx.json(200, ctx.emu.issueToken({ clientId: client.clientId, userId: code.userId, grantType, withRefresh: true }));
		}
		case 'refresh_token': {
			if (typeof p.refresh_token !== 'string' || p.refresh_token === '') throw oauthError(400, 'invalid_request', 'Missing required parameter: refresh_token.');
			if (!refresh || !refreshWasUsable || refresh.clientId !== client.clientId) {
				stats.refreshFailures++;
				throw oauthError(400, 'invalid_grant', INVALID_GRANT);
			}
			const previous = ctx.state.tokens.get(refresh.accessToken);
			// UNCONFIRMED whether the previous access token stays valid after a refresh. Procore's
			// refresh tokens are single-use rows shared with their access token (Doorkeeper), so the
			// strict reading revokes it too (option revokeAccessTokenOnRefresh, default true).
			if (previous && ctx.options.revokeAccessTokenOnRefresh && !previous.revokedAt) previous.revokedAt = now;
			return ctx.json(200, ctx.emu.issueToken({ clientId: client.clientId, userId: refresh.userId, grantType: refresh.grantType, withRefresh: true }));
		}
		case 'client_credentials': {
			if (!client.serviceAccountUserId) throw oauthError(400, 'unauthorized_client', 'The client is not authorized to perform this request using this method.');
			return ctx.json(200, ctx.emu.issueToken({ clientId: client.clientId, userId: client.serviceAccountUserId, grantType, withRefresh: false }));
		}
		case undefined:
			throw oauthError(400, 'invalid_request', 'Missing required parameter: grant_type.');
		default:
			throw oauthError(400, 'unsupported_grant_type', 'The authorization grant type is not supported by the authorization server.');
	}
}

/** @param {Context} ctx */
function tokenInfo(ctx) {
	const m = /^Bearer\s+(\S+)\s*$/i.exec(String(ctx.req.headers.authorization ?? ''));
	const t = m ? ctx.state.tokens.get(m[1]) : undefined;
	const now = Date.now();
	if (!t || t.revokedAt || t.expiresAt <= now) throw oauthError(401, 'invalid_token', 'The access token is invalid');
	ctx.json(200, {
		resource_owner_id: t.userId,
		scope: [],
		scopes: [],
		expires_in_seconds: Math.max(0, Math.floor((t.expiresAt - now) / 1000)),
		application: { uid: t.clientId },
		created_at: Math.floor(t.createdAt / 1000),
	});
}

/**
 * Always 200 (docs/procore-api.md §1.2). It revokes only a token of the authenticated client; revoking
 * an access token revokes its refresh token, and the other way round.
 * @param {Context} ctx
 */
async function revoke(ctx) {
	/** @type {Record<string, any>} */
	let p = {};
	try {
		p = (await ctx.body()).params;
	} catch {
		/* 200 regardless */
	}
	const client = typeof p.client_id === 'string' ? ctx.state.clients.get(p.client_id) : undefined;
	const authenticated = client && typeof p.client_secret === 'string' && safeEqual(client.clientSecret, p.client_secret);
	if (authenticated && typeof p.token === 'string') {
		const now = Date.now();
		const access = ctx.state.tokens.get(p.token);
		const refresh = ctx.state.refreshTokens.get(p.token);
		const accessRec = access ?? (refresh ? ctx.state.tokens.get(refresh.accessToken) : undefined);
		if (accessRec && accessRec.clientId === client.clientId) {
			accessRec.revokedAt = accessRec.revokedAt ?? now;
			const r = accessRec.refreshToken ? ctx.state.refreshTokens.get(accessRec.refreshToken) : undefined;
			if (r) r.revokedAt = r.revokedAt ?? now;
		}
		if (refresh && refresh.clientId === client.clientId) refresh.revokedAt = refresh.revokedAt ?? now;
	}
	ctx.json(200, {});
}

/** @param {{ login: import('../router').Router }} app */
function register(app) {
	app.login.get('/oauth/authorize', authorizePage);
	app.login.post('/oauth/authorize/approve', authorizeDecision);
	app.login.post('/oauth/token', token);
	app.login.get('/oauth/token/info', tokenInfo);
	app.login.post('/oauth/revoke', revoke);
}

module.exports = { register, INVALID_GRANT, INVALID_CLIENT, OOB };
