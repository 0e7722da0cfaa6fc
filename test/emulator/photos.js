// @ts-check
'use strict';

/**
 * The Photos tool beyond Create (procore-api.md §6.2, §11 "Filters", "Deleting", "Read-only Image
 * fields"): the Image object, and list, show, update and delete of images. resources/images.js
 * routes them. Every choice where the documents are silent is listed in README.md's
 * "UNCONFIRMED points".
 *
 * Deleting is soft by default: the photo goes to the recycle bin (`deletedAt`), leaves the lists
 * (unless `filters[deleted]=true`, an emulator extension) and can still be shown; `permanent=true`
 * deletes it for good (`permanentlyDeleted`: shown nowhere, its file links answer 404).
 */

const { procoreErrors, isPlainObject, toId, paginate, parseBool } = require('./http');
const { requireProjectFromQuery } = require('./access');
const { fileLink } = require('./files');
const { findOrCreatePath, parsePath, fullName } = require('./resources/locations');
const { tradeJson } = require('./resources/trades');

/** @typedef {import('./server').Context} Context */

/** @param {unknown} v */
function blank(v) {
	return v === undefined || v === null || v === '';
}

/** A calendar date `YYYY-MM-DD` that exists. @param {string} s */
function validDate(s) {
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
	if (!m) return false;
	const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
	return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

/**
 * The Image object (procore-api.md §6.1). `url` and `thumbnail_url` are file links on the api
 * listener (files.js): they need the Bearer token and redirect to storage; null once the photo is
 * permanently deleted.
 * @param {Context} ctx @param {any} img
 */
function imageJson(ctx, img) {
	const state = ctx.state;
	const album = img.albumId ? state.albums.get(img.albumId) : undefined;
	const loc = img.locationId ? state.locations.get(img.locationId) : undefined;
	const uploader = state.users.get(img.uploaderId);
	const gone = Boolean(img.permanentlyDeleted);
	const self = `/rest/v1.0/images/${img.id}?image_category_id=${img.albumId ?? ''}&project_id=${img.projectId}`;
	return {
		id: img.id,
		url: gone ? null : fileLink(ctx, img, 'full'),
		thumbnail_url: gone ? null : fileLink(ctx, img, 'thumbnail'),
		size: img.size,
		filename: img.filename,
		description: img.description,
		taken_at: img.takenAt ?? null,
		created_at: img.createdAt,
		updated_at: img.updatedAt,
		location: loc ? { id: loc.id, name: fullName(state, loc), node_name: loc.nodeName, parent_id: loc.parentId, created_at: loc.createdAt, updated_at: loc.updatedAt } : null,
		image_category_id: img.albumId,
		image_category_name: album ? album.name : null,
		image_category_private: album ? album.private : false,
		permanently_deleted: gone,
		private: img.private,
		starred: img.starred,
		projection: img.projection ?? 'unknown',
		width: null,
		height: null,
		origin_id: null,
		log_date: img.logDate,
		daily_log_header_id: null,
		daily_log_segment_id: img.dailyLogSegmentId,
		daily_log_segment: null,
		gps_lat: null,
		gps_long: null,
		uploader: uploader ? { id: uploader.id, login: uploader.login, name: uploader.name } : null,
		links: {
			self,
			update: self,
			delete: self,
			permanentlyDelete: `${self}&permanent=true`,
			retrieve: `/rest/v1.0/images/${img.id}/retrieve?project_id=${img.projectId}`,
		},
		trades: img.tradeIds.map((/** @type {number} */ id) => tradeJson(/** @type {import('./seed').Trade} */ (state.trades.get(id)))),
		comments_count: 0,
	};
}

/** Is the photo in the recycle bin or gone for good? @param {any} img */
function isDeleted(img) {
	return Boolean(img.deletedAt || img.permanentlyDeleted);
}

/**
 * A bad query parameter: 400, the nested error shape Procore documents for some v1.0 400s
 * (procore-api.md §5: "400 … bad parameter values"). The exact shape is UNCONFIRMED.
 * @param {string} name @param {string} rule
 */
function badParam(name, rule) {
	return procoreErrors.nestedError(400, 'invalid_parameter', `Invalid value for ${name}: ${rule}`);
}

/**
 * An id-array filter, `filters[name][]=1&filters[name][]=2`. A scalar (no `[]`) or a non-integer
 * is refused (strict).
 * @param {Record<string, any>} filters @param {string} name
 * @returns {number[] | undefined}
 */
function idArrayFilter(filters, name) {
	const raw = filters[name];
	if (raw === undefined) return undefined;
	const label = `filters[${name}][]`;
	if (!Array.isArray(raw)) throw badParam(`filters[${name}]`, `must be an array (send ${label}=…)`);
	return raw.map((v) => {
		const id = toId(v);
		if (id === undefined) throw badParam(label, `"${String(v)}" is not an integer id`);
		return id;
	});
}

/** @param {Record<string, any>} filters @param {string} name */
function boolFilter(filters, name) {
	const raw = filters[name];
	if (raw === undefined) return undefined;
	const v = parseBool(raw);
	if (v === undefined) throw badParam(`filters[${name}]`, 'must be true or false');
	return v;
}

/**
 * `filters[log_date]`: a date or `YYYY-MM-DD...YYYY-MM-DD` (procore-api.md §6.2), start ≤ end.
 * @param {unknown} raw
 */
function dateRange(raw) {
	const rule = 'must be a date YYYY-MM-DD or a range YYYY-MM-DD...YYYY-MM-DD';
	if (typeof raw !== 'string') throw badParam('filters[log_date]', rule);
	const parts = raw.split('...');
	if (parts.length > 2 || !parts.every(validDate)) throw badParam('filters[log_date]', rule);
	const [from, to = from] = parts;
	if (from > to) throw badParam('filters[log_date]', 'the range starts after it ends');
	return { from, to };
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:\d{2})$/;

/**
 * `filters[created_at]` / `filters[updated_at]`: `YYYY-MM-DDTHH:MM:SSZ...YYYY-MM-DDTHH:MM:SSZ`,
 * as documented (procore-api.md §11 "Filters": no milliseconds). Both ends are required; a UTC
 * offset instead of Z is accepted; milliseconds are refused (strict).
 * @param {string} name @param {unknown} raw
 */
function dateTimeRange(name, raw) {
	const rule = 'must be a range YYYY-MM-DDTHH:MM:SSZ...YYYY-MM-DDTHH:MM:SSZ (no milliseconds)';
	if (typeof raw !== 'string') throw badParam(`filters[${name}]`, rule);
	const parts = raw.split('...');
	if (parts.length !== 2 || !parts.every((p) => DATE_TIME.test(p) && Number.isFinite(Date.parse(p)))) throw badParam(`filters[${name}]`, rule);
	const [from, to] = parts.map((p) => Date.parse(p));
	if (from > to) throw badParam(`filters[${name}]`, 'the range starts after it ends');
	return { from, to };
}

/** Sort keys of procore-api.md §6.2, each as a value to order by (nulls last). */
const SORT_KEYS = /** @type {Record<string, (img: any) => string | null>} */ ({
	created_at: (i) => i.createdAt,
	most_recent: (i) => i.createdAt,
	taken_at: (i) => i.takenAt ?? null,
	exposure_date: (i) => i.takenAt ?? null,
	deleted_at: (i) => i.deletedAt ?? null,
});

const SERIALIZER_VIEWS = ['normal', 'android', 'mobile', 'mobile_feed', 'prostore_file', 'ids_only'];

/** The ids of a location and every location below it. @param {Context} ctx @param {number[]} ids */
function withSublocations(ctx, ids) {
	const out = new Set(ids);
	let grew = true;
	while (grew) {
		grew = false;
		for (const l of ctx.state.locations.values()) {
			if (l.parentId !== null && out.has(l.parentId) && !out.has(l.id)) {
				out.add(l.id);
				grew = true;
			}
		}
	}
	return out;
}

/**
 * GET /rest/v1.0/images?project_id= with the filters, sorts and views of procore-api.md §6.2.
 * @param {Context} ctx
 */
function list(ctx) {
	const project = requireProjectFromQuery(ctx, { photos: true });
	const q = ctx.query;
	if (q.filters !== undefined && !isPlainObject(q.filters)) throw badParam('filters', 'must be filters[name]=value');
	/** @type {Record<string, any>} */
	const filters = q.filters ?? {};

	/** @type {Array<(img: any) => boolean>} */
	const tests = [];
	// The recycle bin: filters[deleted]=true lists only soft-deleted photos (emulator extension,
	// UNCONFIRMED; Procore documents sort=deleted_at but no filter for it).
	const deleted = boolFilter(filters, 'deleted') ?? false;
	tests.push((i) => !i.permanentlyDeleted && Boolean(i.deletedAt) === deleted);
	if (!blank(q.image_category_id)) {
		const albumId = toId(q.image_category_id);
		if (albumId === undefined) throw badParam('image_category_id', 'must be an integer id');
		tests.push((i) => i.albumId === albumId);
	}
	const idFilter = idArrayFilter(filters, 'id');
	if (idFilter) tests.push((i) => idFilter.includes(i.id));
	const uploaders = idArrayFilter(filters, 'uploader_id');
	if (uploaders) tests.push((i) => uploaders.includes(i.uploaderId));
	const trades = idArrayFilter(filters, 'trade_ids');
	if (trades) tests.push((i) => trades.some((t) => i.tradeIds.includes(t)));
	const segments = idArrayFilter(filters, 'daily_log_segment_id');
	if (segments) tests.push((i) => segments.includes(i.dailyLogSegmentId));
	const locations = idArrayFilter(filters, 'location_id');
	const sub = boolFilter(filters, 'include_sublocations') ?? false;
	if (locations) {
		const wanted = sub ? withSublocations(ctx, locations) : new Set(locations);
		tests.push((i) => i.locationId !== null && wanted.has(i.locationId));
	}
	for (const k of ['private', 'starred']) {
		const v = boolFilter(filters, k);
		if (v !== undefined) tests.push((i) => i[k] === v);
	}
	if (filters.projection !== undefined) {
		const p = filters.projection;
		if (p !== '360' && p !== 'regular') throw badParam('filters[projection]', 'must be 360 or regular');
		tests.push((i) => (i.projection ?? 'unknown') === p);
	}
	if (filters.query !== undefined) {
		if (typeof filters.query !== 'string') throw badParam('filters[query]', 'must be text');
		const needle = filters.query.trim().toLowerCase();
		// Matches the file name or the description, case-insensitively (UNCONFIRMED which fields).
		if (needle) tests.push((i) => String(i.filename).toLowerCase().includes(needle) || String(i.description ?? '').toLowerCase().includes(needle));
	}
	if (filters.log_date !== undefined) {
		const { from, to } = dateRange(filters.log_date);
		tests.push((i) => i.logDate !== null && i.logDate >= from && i.logDate <= to);
	}
	for (const [name, key] of [['created_at', 'createdAt'], ['updated_at', 'updatedAt']]) {
		if (filters[name] === undefined) continue;
		const { from, to } = dateTimeRange(name, filters[name]);
		tests.push((i) => {
			const at = Date.parse(i[key]);
			return at >= from && at <= to;
		});
	}

	const view = q.serializer_view ?? 'normal';
	if (!SERIALIZER_VIEWS.includes(view)) throw badParam('serializer_view', `must be one of ${SERIALIZER_VIEWS.join(', ')}`);

	let images = [...ctx.state.images.values()].filter((i) => i.projectId === project.id && tests.every((t) => t(i)));
	images.sort((a, b) => a.id - b.id);
	if (q.sort !== undefined) {
		const raw = String(q.sort);
		const descending = raw.startsWith('-');
		const by = SORT_KEYS[descending ? raw.slice(1) : raw];
		if (!by || Array.isArray(q.sort)) throw badParam('sort', `must be one of ${Object.keys(SORT_KEYS).join(', ')}, with - in front for descending`);
		// most_recent is newest first by itself, so -most_recent is oldest first (UNCONFIRMED).
		const newestFirst = raw.replace(/^-/, '') === 'most_recent' ? !descending : descending;
		images = sortBy(images, by, newestFirst);
	}
	const page = paginate(ctx, images);
	ctx.json(200, view === 'ids_only' ? page.map((i) => i.id) : page.map((i) => imageJson(ctx, i)));
}

/**
 * A stable sort on a string key (ISO date-times compare as text); nulls always last, ties by id.
 * @param {any[]} images @param {(img: any) => string | null} by @param {boolean} descending
 */
function sortBy(images, by, descending) {
	return [...images].sort((a, b) => {
		const x = by(a);
		const y = by(b);
		if (x === y) return a.id - b.id;
		if (x === null) return 1;
		if (y === null) return -1;
		const order = Date.parse(x) - Date.parse(y);
		return order === 0 ? a.id - b.id : descending ? -order : order;
	});
}

/**
 * The photo `{id}` of the query's project. Another project's photo, or one permanently deleted,
 * is a 404 in Procore's `{"error": …}` shape (procore-api.md §5). Soft-deleted photos are found
 * (they keep `links.permanentlyDelete`, §11 "Deleting").
 * @param {Context} ctx
 */
function findImage(ctx) {
	const project = requireProjectFromQuery(ctx, { photos: true });
	const img = ctx.state.images.get(toId(ctx.params.id) ?? -1);
	if (!img || img.projectId !== project.id || img.permanentlyDeleted) throw procoreErrors.errorString(404, `Couldn't find Image with 'id'=${ctx.params.id}`);
	return { project, img };
}

/** @param {Context} ctx */
function show(ctx) {
	ctx.json(200, imageJson(ctx, findImage(ctx).img));
}

/** Fields PATCH may change (procore-api.md §6.2; `starred` as in Create). */
const UPDATABLE = ['private', 'description', 'image_category_id', 'location_id', 'mt_location', 'trade_ids', 'log_date', 'daily_log_segment_id', 'starred'];

/** Read-only fields (procore-api.md §11 "Read-only Image fields"), plus `id`. */
const READ_ONLY = ['id', 'taken_at', 'gps_lat', 'gps_long', 'filename', 'width', 'height', 'size', 'url', 'thumbnail_url', 'uploader', 'origin_id', 'daily_log_header_id', 'created_at', 'updated_at', 'permanently_deleted'];

/**
 * PATCH /rest/v1.0/images/{id}?project_id= `{"image": {…}}`: only the given fields change, and
 * `updated_at` moves. Read-only or unknown fields are refused with 422 rather than ignored
 * (strict: a client sending them believes they do something). Validation as in Create.
 * @param {Context} ctx
 */
async function update(ctx) {
	const { project, img } = findImage(ctx);
	// A photo in the recycle bin cannot be edited (UNCONFIRMED; strict).
	if (img.deletedAt) throw procoreErrors.errorString(404, `Couldn't find Image with 'id'=${ctx.params.id}`);
	const p = (await ctx.body()).params;
	const image = p.image;
	if (!isPlainObject(image) || Object.keys(image).length === 0) throw procoreErrors.paramMissing('image');
	const state = ctx.state;

	/** @type {Record<string, string[]>} */
	const errors = {};
	for (const k of Object.keys(image)) {
		if (READ_ONLY.includes(k)) errors[k] = ['is read-only and cannot be changed'];
		else if (!UPDATABLE.includes(k)) errors[k] = [`is not an attribute that can be updated (allowed: ${UPDATABLE.join(', ')})`];
	}

	/** @type {Record<string, any>} */
	const changes = {};
	if ('image_category_id' in image) {
		const album = blank(image.image_category_id) ? undefined : state.albums.get(toId(image.image_category_id) ?? -1);
		if (blank(image.image_category_id)) errors.image_category_id = ["can't be blank"];
		else if (!album || album.projectId !== project.id) errors.image_category_id = ['is invalid'];
		else changes.albumId = album.id;
	}
	/** @type {string[] | null} */
	let mtPath = null;
	if ('location_id' in image) {
		if (blank(image.location_id)) changes.locationId = null;
		else {
			const loc = state.locations.get(toId(image.location_id) ?? -1);
			if (!loc || loc.projectId !== project.id) errors.location_id = ['is invalid'];
			else changes.locationId = loc.id;
		}
	} else if ('mt_location' in image) {
		// As in Create: location_id wins, mt_location is used only without it.
		try {
			mtPath = parsePath(image.mt_location, 'mt_location');
		} catch {
			errors.mt_location = ['must be an array of location names (image[mt_location][] in a form)'];
		}
	}
	if ('trade_ids' in image) {
		if (!Array.isArray(image.trade_ids)) errors.trade_ids = ['must be an array (image[trade_ids][] in a form)'];
		else {
			/** @type {number[]} */
			const ids = [];
			for (const raw of image.trade_ids) {
				if (raw === '') continue;
				const trade = state.trades.get(toId(raw) ?? -1);
				if (!trade || trade.companyId !== project.companyId) (errors.trade_ids ??= []).push(`contains an unknown trade: ${String(raw)}`);
				else if (!ids.includes(trade.id)) ids.push(trade.id);
			}
			changes.tradeIds = ids;
		}
	}
	if ('log_date' in image) {
		if (blank(image.log_date)) changes.logDate = null;
		else if (typeof image.log_date !== 'string' || !validDate(image.log_date)) errors.log_date = ['must be a date formatted YYYY-MM-DD'];
		else changes.logDate = image.log_date;
	}
	if ('daily_log_segment_id' in image) {
		if (blank(image.daily_log_segment_id)) changes.dailyLogSegmentId = null;
		else {
			const id = toId(image.daily_log_segment_id);
			if (id === undefined) errors.daily_log_segment_id = ['must be an integer'];
			else changes.dailyLogSegmentId = id;
		}
	}
	for (const k of ['private', 'starred']) {
		if (!(k in image)) continue;
		const v = parseBool(image[k]);
		if (v === undefined) errors[k] = ['must be true or false'];
		else changes[k] = v;
	}
	if ('description' in image) {
		if (image.description !== null && typeof image.description !== 'string') errors.description = ['must be a string'];
		else changes.description = image.description;
	}
	if (Object.keys(errors).length) throw procoreErrors.validation(errors);

	if (mtPath) changes.locationId = findOrCreatePath(state, project.id, mtPath).location.id;
	Object.assign(img, changes);
	touch(img);
	ctx.emu.emitEvent({ projectId: project.id, companyId: project.companyId, resourceName: 'Images', eventType: 'update', resourceId: img.id, userId: ctx.auth?.user.id, applicationId: ctx.auth?.token.clientId });
	ctx.json(200, imageJson(ctx, img));
}

/** Moves `updatedAt` forward, strictly later than before even within one millisecond. @param {any} img */
function touch(img) {
	img.updatedAt = new Date(Math.max(Date.now(), Date.parse(img.updatedAt) + 1)).toISOString();
}

/**
 * DELETE /rest/v1.0/images/{id}?project_id=[&permanent=true]: 200 with no body (procore-api.md
 * §6.2). Without `permanent` the photo goes to the recycle bin (again: 200, nothing changes);
 * with `permanent=true` it is deleted for good, from the bin or not.
 * @param {Context} ctx
 */
function destroy(ctx) {
	const { img } = findImage(ctx);
	const raw = ctx.query.permanent;
	const permanent = raw === undefined ? false : parseBool(raw);
	if (permanent === undefined) throw badParam('permanent', 'must be true or false');
	const now = new Date().toISOString();
	if (!img.deletedAt) ctx.emu.emitEvent({ projectId: img.projectId, companyId: img.companyId, resourceName: 'Images', eventType: 'delete', resourceId: img.id, userId: ctx.auth?.user.id, applicationId: ctx.auth?.token.clientId });
	if (!img.deletedAt) img.deletedAt = now;
	if (permanent) img.permanentlyDeleted = true;
	img.updatedAt = img.updatedAt > now ? img.updatedAt : now;
	// The photo no longer covers an album.
	for (const a of ctx.state.albums.values()) if (a.albumCoverId === img.id) a.albumCoverId = null;
	ctx.send(200, '', undefined);
}

module.exports = { imageJson, list, show, update, destroy, isDeleted, validDate };
