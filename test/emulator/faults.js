// @ts-check
'use strict';

/**
 * Fault injection: a queue of one-shot (or n-shot) responses or dropped connections for requests
 * matching a listener + method + path, seeded random faults (bounded by `max`), and switches that
 * expire or revoke tokens and storage URLs.
 */

const { HttpError, s3Error, procoreErrors } = require('./http');
const { ceilSecond } = require('./ratelimit');

const RATE_LIMIT_TEXT = 'You have surpassed the max number of requests for an hour. Please wait until your limit resets.';

/**
 * @typedef {'on-request' | 'mid-body' | 'before-response' | 'after-processing'} DropMode
 * @typedef {{
 *   listener?: 'login' | 'api' | 'storage' | 'any',
 *   method?: string,
 *   path?: string | RegExp,
 *   times?: number,
 *   status?: number,
 *   headers?: Record<string, string>,
 *   body?: unknown,
 *   contentType?: string,
 *   retryAfterSeconds?: number,
 *   resetInSeconds?: number,
 *   delayMs?: number,
 *   drop?: DropMode | boolean,
 *   afterBytes?: number,
 * }} FaultSpec
 * @typedef {FaultSpec & { id: number, hits: number, random?: boolean }} Fault
 * @typedef {{ seed?: number, rate: number, kinds?: string[], listeners?: string[], max?: number, methods?: string[] }} RandomFaults
 */

/** Mulberry32: a small seeded PRNG, so random faults repeat run to run. @param {number} seed */
function prng(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

class Faults {
	/** @param {any} emu */
	constructor(emu) {
		this.emu = emu;
		/** @type {Fault[]} */
		this.queue = [];
		this.nextId = 1;
		/** @type {Required<RandomFaults> | null} */
		this.randomConfig = null;
		this.randomNext = prng(1);
		this.randomCount = 0;
		/** Every fault that fired, in order: { id, listener, method, path, at, kind }. @type {any[]} */
		this.fired = [];
	}

	/**
	 * Queues a fault for the next request(s) matching it. `path` is an exact path, a prefix ending
	 * in `*`, or a RegExp; `times` (default 1) may be Infinity. Returns the fault's id.
	 * @param {FaultSpec} spec
	 */
	inject(spec) {
		if (!spec || (spec.status === undefined && !spec.drop && spec.delayMs === undefined)) throw new Error('a fault needs a status, drop or delayMs');
		const fault = { listener: 'api', times: 1, ...spec, id: this.nextId++, hits: 0 };
		this.queue.push(/** @type {Fault} */ (fault));
		return fault.id;
	}

	/** Queues several faults. @param {FaultSpec[]} specs */
	injectAll(specs) {
		return specs.map((s) => this.inject(s));
	}

	/** Faults still waiting to fire. */
	get pending() {
		return this.queue.slice();
	}

	/** Removes queued faults (one by id, or all) and turns random faults off when clearing all. @param {number} [id] */
	clear(id) {
		if (id === undefined) {
			this.queue = [];
			this.randomConfig = null;
		} else {
			this.queue = this.queue.filter((f) => f.id !== id);
		}
	}

	/**
	 * Random faults: each matching request fails with probability `rate`, picking a kind from
	 * `kinds` ('429' | '503' | '500' | '502' | 'drop' | 'drop-after'), at most `max` times in all.
	 * @param {RandomFaults | null} config
	 */
	setRandom(config) {
		if (!config) {
			this.randomConfig = null;
			return;
		}
		this.randomConfig = {
			seed: config.seed ?? 1,
			rate: config.rate,
			kinds: config.kinds ?? ['429', '503', '500', 'drop'],
			listeners: config.listeners ?? ['api'],
			max: config.max ?? 20,
			methods: config.methods ?? [],
		};
		this.randomNext = prng(this.randomConfig.seed);
		this.randomCount = 0;
	}

	/**
	 * The fault for this request, if any (queued first, then random).
	 * @param {import('./server').Context} ctx
	 * @returns {Fault | null}
	 */
	take(ctx) {
		for (let i = 0; i < this.queue.length; i++) {
			const f = this.queue[i];
			if (!matches(f, ctx)) continue;
			f.hits++;
			f.times = (f.times ?? 1) - 1;
			if (f.times <= 0) this.queue.splice(i, 1);
			return f;
		}
		const cfg = this.randomConfig;
		if (cfg && this.randomCount < cfg.max && cfg.listeners.includes(ctx.listener) && (cfg.methods.length === 0 || cfg.methods.includes(ctx.method))) {
			if (this.randomNext() < cfg.rate) {
				const kind = cfg.kinds[Math.floor(this.randomNext() * cfg.kinds.length)];
				this.randomCount++;
				return { ...randomFault(kind), id: 0, hits: 1, random: true };
			}
		}
		return null;
	}

	/**
	 * Carries out a fault. Returns 'handled' when the request is finished (answered or dropped),
	 * 'continue' when the request should go on (delay only, or drop after processing).
	 * @param {import('./server').Context} ctx
	 * @param {Fault} f
	 * @returns {Promise<'handled' | 'continue'>}
	 */
	async apply(ctx, f) {
		const kind = f.drop ? `drop:${f.drop === true ? 'before-response' : f.drop}` : f.status !== undefined ? String(f.status) : 'delay';
		this.fired.push({ id: f.id, listener: ctx.listener, method: ctx.method, path: ctx.path, at: Date.now(), kind, random: !!f.random });
		ctx.record.fault = kind;
		if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
		if (f.drop) {
			const mode = f.drop === true ? 'before-response' : f.drop;
			if (mode === 'after-processing') {
				ctx.dropResponse = true;
				return 'continue';
			}
			if (mode === 'on-request') {
				ctx.drop();
				return 'handled';
			}
			await dropAfter(ctx, mode === 'mid-body' ? Math.max(1, f.afterBytes ?? 1) : Infinity);
			return 'handled';
		}
		if (f.status === undefined) return 'continue';
		throw this.response(ctx, f);
	}

	/**
	 * @param {import('./server').Context} ctx
	 * @param {Fault} f
	 */
	response(ctx, f) {
		const status = /** @type {number} */ (f.status);
		/** @type {Record<string, string>} */
		const headers = { ...(f.headers ?? {}) };
		// The emulator's clock, as the rate limiter's (clockOffsetMs).
		const now = this.emu.now();
		if (f.retryAfterSeconds !== undefined) headers['Retry-After'] = String(f.retryAfterSeconds);
		if (ctx.listener === 'api' && status === 429) {
			const resetMs = ceilSecond(now + 1000 * (f.resetInSeconds ?? f.retryAfterSeconds ?? 1));
			if (!hasHeader(headers, 'X-Rate-Limit-Remaining')) headers['X-Rate-Limit-Remaining'] = '0';
			if (!hasHeader(headers, 'X-Rate-Limit-Reset')) headers['X-Rate-Limit-Reset'] = String(resetMs / 1000);
			const advertised = Number(getHeader(headers, 'X-Rate-Limit-Reset')) * 1000;
			const retryAfter = Number(getHeader(headers, 'Retry-After'));
			this.emu.rate.block(ctx.rateKey, Math.max(advertised || 0, retryAfter ? now + retryAfter * 1000 : 0), '429');
			this.emu.stats.rateLimited++;
		} else if (ctx.listener === 'api' && getHeader(headers, 'Retry-After')) {
			this.emu.rate.block(ctx.rateKey, now + Number(getHeader(headers, 'Retry-After')) * 1000, '503');
		}
		let body = f.body;
		if (body === undefined) body = defaultBody(ctx.listener, status);
		if (typeof body === 'string') return new HttpError(status, body, { headers, contentType: f.contentType ?? (ctx.listener === 'storage' ? 'application/xml' : 'text/plain; charset=utf-8') });
		if (body instanceof HttpError) {
			Object.assign(body.headers, headers);
			return body;
		}
		return new HttpError(status, body, { headers, contentType: f.contentType });
	}

	/** Every refresh token stops working (as if the user disconnected the app). */
	revokeAllRefreshTokens() {
		const now = Date.now();
		for (const r of this.emu.state.refreshTokens.values()) if (!r.revokedAt) r.revokedAt = now;
	}

	/** Every access token issued so far expires now. */
	expireAllAccessTokens() {
		const now = Date.now();
		for (const t of this.emu.state.tokens.values()) if (t.expiresAt > now) t.expiresAt = now;
	}

	/** Every storage URL and policy issued so far expires now. */
	expireStorageUrls() {
		const now = Date.now();
		for (const u of this.emu.state.uploads.values()) u.urlExpiresAt = Math.min(u.urlExpiresAt, now - 1);
	}
}

/** @param {Fault} f @param {import('./server').Context} ctx */
function matches(f, ctx) {
	if (f.listener && f.listener !== 'any' && f.listener !== ctx.listener) return false;
	if (f.method && f.method.toUpperCase() !== ctx.method) return false;
	if (f.path === undefined) return true;
	if (f.path instanceof RegExp) return f.path.test(ctx.path);
	if (f.path.endsWith('*')) return ctx.path.startsWith(f.path.slice(0, -1));
	return f.path === ctx.path;
}

/** @param {string} kind @returns {FaultSpec} */
function randomFault(kind) {
	switch (kind) {
		case '429':
			return { status: 429, resetInSeconds: 1 };
		case '503':
			return { status: 503, retryAfterSeconds: 1 };
		case '500':
			return { status: 500 };
		case '502':
			return { status: 502 };
		case 'drop':
			return { drop: 'before-response' };
		case 'drop-after':
			return { drop: 'after-processing' };
		default:
			throw new Error(`unknown random fault kind ${kind}`);
	}
}

/** @param {string} listener @param {number} status */
function defaultBody(listener, status) {
	if (listener === 'storage') {
		if (status === 503) return s3Error(503, 'SlowDown', 'Please reduce your request rate.');
		if (status === 500) return s3Error(500, 'InternalError', 'We encountered an internal error. Please try again.');
		if (status === 403) return s3Error(403, 'AccessDenied', 'Access Denied');
		return s3Error(status, 'ServiceUnavailable', 'Injected storage fault');
	}
	if (status === 429) return RATE_LIMIT_TEXT;
	if (status === 503) return 'Service Unavailable';
	if (status === 502) return '<html><body><h1>502 Bad Gateway</h1></body></html>';
	if (status === 500) return procoreErrors.errorString(500, 'Internal Server Error');
	return { error: `Injected fault ${status}` };
}

/**
 * Reads the body until `limit` bytes have arrived (or it ends), then drops the connection.
 * @param {import('./server').Context} ctx
 * @param {number} limit
 */
function dropAfter(ctx, limit) {
	ctx.bodyConsumed = true;
	return new Promise((resolve) => {
		let seen = 0;
		const finish = () => {
			ctx.drop();
			resolve(undefined);
		};
		ctx.req.on('data', (/** @type {Buffer} */ c) => {
			seen += c.length;
			ctx.record.bodyBytes += c.length;
			if (seen >= limit && !ctx.done) finish();
		});
		ctx.req.once('end', () => {
			if (!ctx.done) finish();
		});
		ctx.req.once('close', () => resolve(undefined));
		ctx.req.resume();
	});
}

/** @param {Record<string, string>} headers @param {string} name */
function hasHeader(headers, name) {
	return getHeader(headers, name) !== undefined;
}

/** @param {Record<string, string>} headers @param {string} name */
function getHeader(headers, name) {
	const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
	return key === undefined ? undefined : headers[key];
}

module.exports = { Faults, prng, RATE_LIMIT_TEXT };
