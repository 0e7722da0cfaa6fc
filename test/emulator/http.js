// @ts-check
'use strict';

/**
 * Shared HTTP helpers: error values in Procore's documented body shapes (docs/procore-api.md §5),
 * request-body parsing (JSON, urlencoded, multipart with binary parts, Rails bracket names),
 * pagination headers (§4) and S3-style XML errors for the storage listener.
 */

const { MultipartParser, MultipartError, parseHeaderParams, multipartBoundary } = require('./multipart');

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const XML_TYPE = 'application/xml';

/** A response a handler throws; the listener sends it as is. */
class HttpError extends Error {
	/**
	 * @param {number} status
	 * @param {unknown} body object (sent as JSON) or string (sent with contentType, default text/plain)
	 * @param {{ headers?: Record<string, string>, contentType?: string }} [extra]
	 */
	constructor(status, body, extra = {}) {
		super(typeof body === 'string' ? body : JSON.stringify(body));
		this.status = status;
		this.body = body;
		this.headers = extra.headers ?? {};
		this.contentType = extra.contentType;
	}
}

/** Procore's v1.x error shapes (docs/procore-api.md §5). Each returns an HttpError to throw. */
const procoreErrors = {
	/** `{"errors": "<string>"}`: the documented 403 shape. @param {number} status @param {string} text */
	errorsString: (status, text) => new HttpError(status, { errors: text }),
	/** `{"error": "<string>"}`: the documented 404 shape. @param {number} status @param {string} text */
	errorString: (status, text) => new HttpError(status, { error: text }),
	/** `{"message": "...", "error": "..."}`: the documented 422 example shape. @param {number} status @param {string} message @param {string} error */
	messageError: (status, message, error) => new HttpError(status, { message, error }),
	/** `{"message": "..."}`: the generic error object with only `message`. @param {number} status @param {string} message */
	message: (status, message) => new HttpError(status, { message }),
	/** `{"error": {"code", "message"}}`: the documented shape of some v1.0 400s. @param {number} status @param {string} code @param {string} message */
	nestedError: (status, code, message) => new HttpError(status, { error: { code, message } }),
	/**
	 * Rails-style validation errors `{"errors": {field: [messages]}}`.
	 * UNCONFIRMED for a plain v1.0 422 (docs/procore-api.md §5); the strict, most structured reading.
	 * @param {Record<string, string[]>} fields
	 */
	validation: (fields) => new HttpError(422, { errors: fields }),
	/** A required parameter is missing (Rails ParameterMissing → 400). @param {string} name */
	paramMissing: (name) => new HttpError(400, { error: { code: 'parameter_missing', message: `param is missing or the value is empty: ${name}` } }),
	/** A plain-text body (the missing-company-header and 429 messages). @param {number} status @param {string} text */
	plain: (status, text) => new HttpError(status, text, { contentType: TEXT_TYPE }),
	/** REST v2.x standardized error; only reachable through injected faults here. @param {number} status @param {string} message */
	v2: (status, message) =>
		new HttpError(status, {
			error: { code: statusCode(status), message, details: [{ reason_code: 'INVALID_PROPERTY', message, source: 'emulator' }] },
		}),
};

/** @param {number} status */
function statusCode(status) {
	const names = { 400: 'BAD_REQUEST', 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 409: 'CONFLICT', 422: 'UNPROCESSABLE_ENTITY', 429: 'TOO_MANY_REQUESTS', 500: 'INTERNAL_SERVER_ERROR', 503: 'SERVICE_UNAVAILABLE' };
	return /** @type {Record<number, string>} */ (names)[status] ?? `HTTP_${status}`;
}

/**
 * An S3-style XML error (storage listener).
 * @param {number} status
 * @param {string} code
 * @param {string} message
 */
function s3Error(status, code, message) {
	const id = Math.random().toString(16).slice(2, 18).toUpperCase();
	const xml =
		'<?xml version="1.0" encoding="UTF-8"?>\n' +
		`<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message><RequestId>${id}</RequestId><HostId>emulator</HostId></Error>`;
	return new HttpError(status, xml, { contentType: XML_TYPE });
}

/** @param {string} s */
function escapeXml(s) {
	return s.replace(/[<>&"']/g, (c) => /** @type {Record<string, string>} */ ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]);
}

/** @param {string} s */
function escapeHtml(s) {
	return escapeXml(s);
}

/** A file part of a multipart body. */
class UploadedFile {
	/**
	 * @param {string} filename
	 * @param {string | undefined} contentType
	 * @param {Buffer} data
	 */
	constructor(filename, contentType, data) {
		this.filename = filename;
		this.contentType = contentType;
		this.data = data;
		this.size = data.length;
	}
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/** @param {unknown} v @returns {v is Record<string, any>} */
function isPlainObject(v) {
	return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof UploadedFile);
}

/**
 * Sets `value` under a Rails/Rack bracket name (`image[trade_ids][]`, `segments[][size]`), the way
 * Rack builds nested params from form fields.
 * @param {Record<string, any>} target
 * @param {string} name
 * @param {unknown} value
 */
function setNestedParam(target, name, value) {
	const m = /^[[\]]*([^[\]]+)\]*/.exec(name);
	if (!m) return;
	const key = m[1];
	if (FORBIDDEN_KEYS.has(key)) return;
	const after = name.slice(m[0].length);
	if (after === '') {
		target[key] = value;
		return;
	}
	if (after === '[]') {
		ensureArray(target, key, name).push(value);
		return;
	}
	const child = /^\[\]\[([^[\]]+)\]$/.exec(after) ?? /^\[\](.+)$/.exec(after);
	if (child) {
		const list = ensureArray(target, key, name);
		const last = list[list.length - 1];
		if (isPlainObject(last) && !hasNestedKey(last, child[1])) {
			setNestedParam(last, child[1], value);
		} else {
			/** @type {Record<string, any>} */
			const fresh = {};
			setNestedParam(fresh, child[1], value);
			list.push(fresh);
		}
		return;
	}
	const existing = target[key];
	if (existing === undefined) target[key] = {};
	else if (!isPlainObject(existing)) throw procoreErrors.nestedError(400, 'invalid_parameter', `Invalid parameter: expected a hash for ${name}`);
	setNestedParam(target[key], after, value);
}

/** @param {Record<string, any>} target @param {string} key @param {string} name @returns {any[]} */
function ensureArray(target, key, name) {
	const existing = target[key];
	if (existing === undefined) return (target[key] = []);
	if (!Array.isArray(existing)) throw procoreErrors.nestedError(400, 'invalid_parameter', `Invalid parameter: expected an array for ${name}`);
	return existing;
}

/** @param {Record<string, any>} obj @param {string} path */
function hasNestedKey(obj, path) {
	const keys = path.split(/[[\]]+/).filter(Boolean);
	/** @type {any} */
	let cur = obj;
	for (const k of keys) {
		if (!isPlainObject(cur) || !(k in cur)) return false;
		cur = cur[k];
	}
	return true;
}

/**
 * Query string → nested params object (`filters[name]=x` → `{filters: {name: 'x'}}`).
 * @param {URLSearchParams} search
 */
function parseQuery(search) {
	/** @type {Record<string, any>} */
	const out = {};
	for (const [k, v] of search) {
		try {
			setNestedParam(out, k, v);
		} catch {
			/* a conflicting query key is ignored */
		}
	}
	return out;
}

/**
 * Query string → flat object for the request log (repeated keys become arrays).
 * @param {URLSearchParams} search
 */
function flatQuery(search) {
	/** @type {Record<string, string | string[]>} */
	const out = {};
	for (const [k, v] of search) {
		const prev = out[k];
		if (prev === undefined) out[k] = v;
		else if (Array.isArray(prev)) prev.push(v);
		else out[k] = [prev, v];
	}
	return out;
}

/**
 * @typedef {{ kind: 'empty' | 'json' | 'form' | 'multipart', params: Record<string, any> }} ParsedBody
 * @typedef {{ consume(onChunk: (chunk: Buffer) => void): Promise<void>, req: import('http').IncomingMessage }} BodySource
 */

/**
 * Reads and parses a request body: JSON, urlencoded or multipart (files become UploadedFile).
 * Anything else with a body is refused with 406 (docs/procore-api.md §5: "unsupported content type").
 * @param {BodySource} source
 * @returns {Promise<ParsedBody>}
 */
async function parseBody(source) {
	const contentType = source.req.headers['content-type'];
	const type = parseHeaderParams(contentType ?? '').value;
	const boundary = multipartBoundary(contentType);
	if (type === 'multipart/form-data') {
		if (!boundary) {
			await source.consume(() => {});
			throw procoreErrors.nestedError(400, 'bad_request', 'multipart/form-data body without a boundary');
		}
		return { kind: 'multipart', params: await parseMultipartParams(source, boundary) };
	}
	const raw = await readAll(source);
	if (type === 'application/json' || type.endsWith('+json')) {
		if (raw.length === 0) return { kind: 'json', params: {} };
		let parsed;
		try {
			parsed = JSON.parse(raw.toString('utf8'));
		} catch (e) {
			throw procoreErrors.nestedError(400, 'bad_request', `Malformed JSON in request body: ${/** @type {Error} */ (e).message}`);
		}
		if (!isPlainObject(parsed)) throw procoreErrors.nestedError(400, 'bad_request', 'The JSON request body must be an object');
		return { kind: 'json', params: parsed };
	}
	if (type === 'application/x-www-form-urlencoded') {
		/** @type {Record<string, any>} */
		const params = {};
		for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) setNestedParam(params, k, v);
		return { kind: 'form', params };
	}
	if (raw.length === 0) return { kind: 'empty', params: {} };
	throw procoreErrors.errorsString(406, `Unsupported content type: ${contentType ?? '(none)'}`);
}

/** @param {BodySource} source */
async function readAll(source) {
	/** @type {Buffer[]} */
	const chunks = [];
	await source.consume((c) => chunks.push(c));
	return Buffer.concat(chunks);
}

/**
 * @param {BodySource} source
 * @param {string} boundary
 */
async function parseMultipartParams(source, boundary) {
	/** @type {Array<{ name: string | undefined, value: string | UploadedFile }>} */
	const fields = [];
	const parser = new MultipartParser(boundary, {
		onPart(part) {
			/** @type {Buffer[]} */
			const chunks = [];
			return {
				write: (c) => chunks.push(c),
				end: () => {
					const data = Buffer.concat(chunks);
					const value = part.filename !== undefined ? new UploadedFile(part.filename, part.contentType, data) : data.toString('utf8');
					fields.push({ name: part.name, value });
				},
			};
		},
	});
	/** @type {Error | null} */
	let failure = null;
	await source.consume((c) => {
		if (failure) return;
		try {
			parser.write(c);
		} catch (e) {
			failure = /** @type {Error} */ (e);
		}
	});
	try {
		if (!failure) parser.end();
	} catch (e) {
		failure = /** @type {Error} */ (e);
	}
	if (failure) {
		if (failure instanceof MultipartError) throw procoreErrors.nestedError(400, 'bad_request', failure.message);
		throw failure;
	}
	/** @type {Record<string, any>} */
	const params = {};
	for (const f of fields) if (f.name) setNestedParam(params, f.name, f.value);
	return params;
}

/**
 * Paginates a list the way Procore's v1.x does (docs/procore-api.md §4): `page`/`per_page` query,
 * `Total`, `Per-Page` and an RFC 5988 `Link` header with absolute URLs on the api listener.
 * Page 1 carries only next and last; the last page only first and prev; a single page has no Link.
 * @template T
 * @param {{ url: URL, query: Record<string, any>, setHeader(name: string, value: string): void, emu: { apiUrl: string, options: { defaultPerPage: number, maxPerPage: number } } }} ctx
 * @param {T[]} items
 * @param {{ defaultPerPage?: number, maxPerPage?: number }} [limits]
 * @returns {T[]}
 */
function paginate(ctx, items, limits = {}) {
	const defaultPerPage = limits.defaultPerPage ?? ctx.emu.options.defaultPerPage;
	const maxPerPage = limits.maxPerPage ?? ctx.emu.options.maxPerPage;
	let perPage = positiveInt(ctx.query.per_page) ?? defaultPerPage;
	// UNCONFIRMED whether Procore clamps or refuses a per_page above the maximum; clamping means a
	// client that asks for more and ignores Link misses items, which tests then catch.
	if (perPage > maxPerPage) perPage = maxPerPage;
	const page = positiveInt(ctx.query.page) ?? 1;
	const total = items.length;
	const lastPage = Math.max(1, Math.ceil(total / perPage));
	ctx.setHeader('Total', String(total));
	ctx.setHeader('Per-Page', String(perPage));
	if (lastPage > 1) {
		/** @param {number} n */
		const link = (n) => {
			const search = new URLSearchParams(ctx.url.search);
			search.set('page', String(n));
			search.set('per_page', String(perPage));
			return `${ctx.emu.apiUrl}${ctx.url.pathname}?${search.toString()}`;
		};
		/** @type {string[]} */
		const links = [];
		if (page > 1) {
			links.push(`<${link(1)}>; rel="first"`);
			links.push(`<${link(Math.min(page - 1, lastPage))}>; rel="prev"`);
		}
		if (page < lastPage) {
			links.push(`<${link(page + 1)}>; rel="next"`);
			links.push(`<${link(lastPage)}>; rel="last"`);
		}
		ctx.setHeader('Link', links.join(', '));
	}
	return items.slice((page - 1) * perPage, page * perPage);
}

/** @param {unknown} v */
function positiveInt(v) {
	if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
	if (typeof v === 'string' && /^\d+$/.test(v)) {
		const n = Number(v);
		return n > 0 ? n : undefined;
	}
	return undefined;
}

/**
 * A boolean from JSON (true/false) or a form (the strings "true"/"false"); undefined otherwise.
 * @param {unknown} v
 */
function parseBool(v) {
	if (v === true || v === 'true') return true;
	if (v === false || v === 'false') return false;
	return undefined;
}

/**
 * An integer id from JSON (number) or a form/query (string of digits); undefined otherwise.
 * @param {unknown} v
 */
function toId(v) {
	if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
	if (typeof v === 'string' && /^\d{1,16}$/.test(v.trim())) {
		const n = Number(v.trim());
		return n > 0 && Number.isSafeInteger(n) ? n : undefined;
	}
	return undefined;
}

module.exports = {
	HttpError,
	procoreErrors,
	s3Error,
	escapeHtml,
	UploadedFile,
	isPlainObject,
	setNestedParam,
	parseQuery,
	flatQuery,
	parseBody,
	readAll,
	paginate,
	positiveInt,
	toId,
	parseBool,
	multipartBoundary,
	parseHeaderParams,
	JSON_TYPE,
	TEXT_TYPE,
	XML_TYPE,
};
