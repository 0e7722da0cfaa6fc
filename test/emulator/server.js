// @ts-check
'use strict';

/**
 * One listener (login, api or storage): an http.Server whose requests go through the same
 * pipeline — log, latency, listener hooks, injected faults, route, handler — and a Context that
 * handlers use to read the body and answer.
 */

const http = require('http');
const { URL } = require('url');
const { HttpError, parseQuery, flatQuery, parseBody, JSON_TYPE, TEXT_TYPE } = require('./http');

/** The client went away while the body was being read. */
class ClientGone extends Error {}

/**
 * @typedef {'login' | 'api' | 'storage'} ListenerName
 * @typedef {{ listener: ListenerName, method: string, path: string, query: Record<string, string | string[]>, headers: Record<string, string | string[] | undefined>, bodyBytes: number, at: number, status: number, answeredAt?: number, dropped?: boolean, fault?: string }} RequestRecord
 * @typedef {{
 *   before?: (ctx: Context) => void | Promise<void>,
 *   afterFaults?: (ctx: Context) => void | Promise<void>,
 *   beforeRoute?: (ctx: Context, route: import('./router').Route) => void | Promise<void>,
 *   notFound: (ctx: Context) => HttpError,
 *   internalError: (ctx: Context, err: Error) => HttpError,
 * }} ListenerHooks
 */

class Context {
	/**
	 * @param {any} emu
	 * @param {ListenerName} listener
	 * @param {http.IncomingMessage} req
	 * @param {http.ServerResponse} res
	 * @param {RequestRecord} record
	 */
	constructor(emu, listener, req, res, record) {
		this.emu = emu;
		/** @type {ReturnType<typeof import('./seed').createState>} */
		this.state = emu.state;
		this.options = emu.options;
		this.listener = listener;
		this.req = req;
		this.res = res;
		this.record = record;
		this.method = req.method ?? 'GET';
		this.url = new URL(req.url ?? '/', 'http://emulator.invalid');
		this.path = this.url.pathname;
		/** Nested query params (`filters[name]` → `query.filters.name`). @type {Record<string, any>} */
		this.query = parseQuery(this.url.searchParams);
		/** @type {Record<string, string>} */
		this.params = {};
		/** Set by the api listener for authenticated routes. @type {{ token: any, user: import('./seed').User, serviceAccount: boolean } | null} */
		this.auth = null;
		/** The Procore-Company-Id header value once checked. @type {number | null} */
		this.companyId = null;
		/** Key the rate limiter counts this request under (api listener). */
		this.rateKey = '';
		this.bodyConsumed = false;
		/** Set by an 'after-processing' fault: run the handler, then drop instead of answering. */
		this.dropResponse = false;
		this.done = false;
		/** @type {Promise<import('./http').ParsedBody> | null} */
		this.parsed = null;
	}

	/** @param {string} name @param {string} value */
	setHeader(name, value) {
		if (!this.res.headersSent) this.res.setHeader(name, value);
	}

	/**
	 * Reads the request body once, counting its bytes into the request log.
	 * @param {(chunk: Buffer) => void} onChunk
	 * @param {number} [limit]
	 * @returns {Promise<void>}
	 */
	consume(onChunk, limit = this.options.maxBodyBytes) {
		if (this.bodyConsumed) return Promise.reject(new Error('request body already consumed'));
		this.bodyConsumed = true;
		const req = this.req;
		return new Promise((resolve, reject) => {
			if (req.complete && req.readableEnded) return resolve();
			let tooLarge = false;
			/** @type {Error | null} */
			let failure = null;
			req.on('data', (/** @type {Buffer} */ chunk) => {
				this.record.bodyBytes += chunk.length;
				if (tooLarge || failure) return;
				if (this.record.bodyBytes > limit) {
					tooLarge = true;
					return;
				}
				try {
					onChunk(chunk);
				} catch (e) {
					failure = /** @type {Error} */ (e);
				}
			});
			req.once('end', () => {
				if (failure) reject(failure);
				else if (tooLarge) reject(new HttpError(413, { errors: `Request body larger than ${limit} bytes` }));
				else resolve();
			});
			req.once('error', () => reject(new ClientGone('client went away')));
			req.once('close', () => {
				if (!req.complete) reject(new ClientGone('client went away'));
			});
		});
	}

	/** The parsed body (JSON, urlencoded or multipart), read once. */
	body() {
		if (!this.parsed) this.parsed = parseBody(this);
		return this.parsed;
	}

	/**
	 * @param {number} status
	 * @param {string | Buffer | null} payload
	 * @param {string | undefined} contentType
	 * @param {Record<string, string>} [headers]
	 */
	send(status, payload, contentType, headers = {}) {
		if (this.done) return;
		this.done = true;
		if (this.dropResponse) {
			this.record.fault = this.record.fault ?? 'after-processing';
			this.destroy();
			return;
		}
		const res = this.res;
		for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
		if (contentType && payload !== null) res.setHeader('Content-Type', contentType);
		const body = payload === null ? null : Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
		if (body && status !== 204) res.setHeader('Content-Length', String(body.length));
		res.statusCode = status;
		this.record.status = status;
		if (!this.bodyConsumed) this.drain();
		res.end(body && status !== 204 && this.method !== 'HEAD' ? body : undefined);
	}

	/** @param {number} status @param {unknown} obj @param {Record<string, string>} [headers] */
	json(status, obj, headers) {
		this.send(status, JSON.stringify(obj), JSON_TYPE, headers);
	}

	/** @param {number} status @param {string} text @param {Record<string, string>} [headers] @param {string} [contentType] */
	text(status, text, headers, contentType = TEXT_TYPE) {
		this.send(status, text, contentType, headers);
	}

	/** @param {number} status @param {string} html */
	html(status, html) {
		this.send(status, html, 'text/html; charset=utf-8');
	}

	/** @param {number} status @param {Record<string, string>} [headers] */
	empty(status, headers) {
		this.send(status, null, undefined, headers);
	}

	/** @param {string} location */
	redirect(location) {
		this.send(302, null, undefined, { Location: location });
	}

	/** @param {HttpError} err */
	sendError(err) {
		const body = err.body;
		if (typeof body === 'string') this.send(err.status, body, err.contentType ?? TEXT_TYPE, err.headers);
		else if (body === null || body === undefined) this.send(err.status, null, undefined, err.headers);
		else this.send(err.status, JSON.stringify(body), err.contentType ?? JSON_TYPE, err.headers);
	}

	/** Drops the connection without an answer. */
	drop() {
		if (this.done) return;
		this.done = true;
		this.destroy();
	}

	destroy() {
		this.record.dropped = true;
		this.record.status = 0;
		this.req.socket.destroy();
	}

	/** Reads and discards what is left of the body, still counting its bytes. */
	drain() {
		this.bodyConsumed = true;
		this.req.on('data', (/** @type {Buffer} */ c) => {
			this.record.bodyBytes += c.length;
		});
		this.req.resume();
	}
}

/**
 * @param {any} emu
 * @param {ListenerName} name
 * @param {import('./router').Router} router
 * @param {ListenerHooks} hooks
 */
function createListener(emu, name, router, hooks) {
	const server = http.createServer({ keepAlive: true, requestTimeout: 0 }, (req, res) => {
		handle(emu, name, router, hooks, req, res).catch((err) => {
			emu.errors.push(err);
			try {
				res.socket?.destroy();
			} catch {
				/* already gone */
			}
		});
	});
	// Idle kept-alive sockets stay open longer than any test idles between two requests: a client
	// that reuses a socket in the very moment the server times it out gets ECONNRESET, which on a
	// loaded machine (timers late) happened with 5 s. close() ends every socket anyway.
	server.keepAliveTimeout = 65_000;
	server.headersTimeout = 66_000;
	return server;
}

/**
 * @param {any} emu
 * @param {ListenerName} name
 * @param {import('./router').Router} router
 * @param {ListenerHooks} hooks
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 */
async function handle(emu, name, router, hooks, req, res) {
	const url = new URL(req.url ?? '/', 'http://emulator.invalid');
	/** @type {RequestRecord} */
	const record = {
		listener: name,
		method: req.method ?? 'GET',
		path: url.pathname,
		query: flatQuery(url.searchParams),
		headers: { ...req.headers },
		bodyBytes: 0,
		at: Date.now(),
		status: 0,
	};
	emu.logRequest(record);
	req.on('error', () => {});
	res.on('error', () => {});
	// When the answer's last byte went out: with `at`, how long the request was being served.
	res.on('finish', () => (record.answeredAt = Date.now()));
	const ctx = new Context(emu, name, req, res, record);
	try {
		const latency = emu.options.latencyMs;
		if (latency > 0) await sleep(latency);
		if (hooks.before) await hooks.before(ctx);
		const fault = emu.faults.take(ctx);
		if (fault && (await emu.faults.apply(ctx, fault)) === 'handled') return;
		if (hooks.afterFaults) await hooks.afterFaults(ctx);
		const match = router.match(ctx.method, ctx.path);
		if (!match) throw hooks.notFound(ctx);
		ctx.params = match.params;
		if (hooks.beforeRoute) await hooks.beforeRoute(ctx, match.route);
		await match.route.handler(ctx);
		if (!ctx.done) throw new Error(`handler for ${match.route.method} ${match.route.pattern} sent no response`);
	} catch (err) {
		if (ctx.done) return;
		if (err instanceof HttpError) ctx.sendError(err);
		else if (err instanceof ClientGone) ctx.drop();
		else {
			emu.errors.push(err);
			ctx.sendError(hooks.internalError(ctx, /** @type {Error} */ (err)));
		}
	}
}

/** @param {number} ms */
function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * @param {http.Server} server
 * @param {string} host
 * @param {number} port
 * @returns {Promise<number>}
 */
function listen(server, host, port) {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			const address = server.address();
			resolve(typeof address === 'object' && address ? address.port : port);
		});
	});
}

/** @param {http.Server} server @returns {Promise<void>} */
function close(server) {
	return new Promise((resolve) => {
		if (!server.listening) return resolve();
		server.close(() => resolve());
		server.closeAllConnections();
	});
}

module.exports = { Context, ClientGone, createListener, listen, close, sleep };
