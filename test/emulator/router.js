// @ts-check
'use strict';

/**
 * A tiny method + path router. Patterns are literal segments, `:name` (one segment) and a final
 * `*name` (the rest of the path, slashes included). Each listener has its own Router.
 *
 * @typedef {import('./server').Context} Context
 * @typedef {{ auth?: 'bearer' | 'none', company?: 'required' | 'user-optional' }} RouteOptions
 * @typedef {{ method: string, pattern: string, parts: string[], handler: (ctx: Context) => any, options: RouteOptions }} Route
 */
class Router {
	constructor() {
		/** @type {Route[]} */
		this.routes = [];
	}

	/**
	 * @param {string} method
	 * @param {string} pattern
	 * @param {(ctx: Context) => any} handler
	 * @param {RouteOptions} [options]
	 */
	add(method, pattern, handler, options = {}) {
		this.routes.push({ method: method.toUpperCase(), pattern, parts: pattern.split('/').slice(1), handler, options });
		return this;
	}

	/** @param {string} p @param {(ctx: Context) => any} h @param {RouteOptions} [o] */
	get(p, h, o) { return this.add('GET', p, h, o); }
	/** @param {string} p @param {(ctx: Context) => any} h @param {RouteOptions} [o] */
	post(p, h, o) { return this.add('POST', p, h, o); }
	/** @param {string} p @param {(ctx: Context) => any} h @param {RouteOptions} [o] */
	put(p, h, o) { return this.add('PUT', p, h, o); }
	/** @param {string} p @param {(ctx: Context) => any} h @param {RouteOptions} [o] */
	patch(p, h, o) { return this.add('PATCH', p, h, o); }
	/** @param {string} p @param {(ctx: Context) => any} h @param {RouteOptions} [o] */
	delete(p, h, o) { return this.add('DELETE', p, h, o); }

	/**
	 * @param {string} method
	 * @param {string} path
	 * @returns {{ route: Route, params: Record<string, string> } | null}
	 */
	match(method, path) {
		const segments = path.split('/').slice(1);
		for (const route of this.routes) {
			if (route.method !== method) continue;
			const params = matchParts(route.parts, segments);
			if (params) return { route, params };
		}
		return null;
	}
}

/**
 * @param {string[]} parts
 * @param {string[]} segments
 * @returns {Record<string, string> | null}
 */
function matchParts(parts, segments) {
	/** @type {Record<string, string>} */
	const params = {};
	for (let i = 0; i < parts.length; i++) {
		const part = parts[i];
		if (part.startsWith('*')) {
			const rest = segments.slice(i);
			if (rest.length === 0 || rest.join('') === '') return null;
			params[part.slice(1)] = rest.map(safeDecode).join('/');
			return params;
		}
		const segment = segments[i];
		if (segment === undefined) return null;
		if (part.startsWith(':')) {
			if (segment === '') return null;
			params[part.slice(1)] = safeDecode(segment);
		} else if (part !== segment) {
			return null;
		}
	}
	return segments.length === parts.length ? params : null;
}

/** @param {string} s */
function safeDecode(s) {
	try {
		return decodeURIComponent(s);
	} catch {
		return s;
	}
}

module.exports = { Router };
