// @ts-check
'use strict';

/**
 * Contested readings (docs/procore-api.md §11) played on routes whose handlers live in other modules
 * (photos.js, albums.js), run by the api listener after authentication and the company header
 * check (access.js): Photos permission levels on photo update and delete and on album create,
 * "Disable Dynamic Location Creation" on photo update, milliseconds in list date-time ranges
 * (`refuseMillisecondsInRanges: false`) and the images list's lag (`listLagMs`).
 */

const { procoreErrors, isPlainObject, parseBool, toId } = require('./http');
const { requireProjectFromQuery, requirePhotosPermission } = require('./access');
const { parsePath, planMtLocation } = require('./resources/locations');

/** @typedef {import('./server').Context} Context */

/**
 * @param {Context} ctx
 * @param {import('./router').Route} route
 */
async function gate(ctx, route) {
	switch (`${route.method} ${route.pattern}`) {
		case 'GET /rest/v1.0/images':
			acceptMilliseconds(ctx);
			hideLaggingImages(ctx);
			return;
		case 'PATCH /rest/v1.0/images/:id': {
			// The project is checked first, so a project the caller cannot use stays a 404/403 of its own.
			const project = requireProjectFromQuery(ctx, { photos: true });
			requirePhotosPermission(ctx, 'standard', 'edit photos');
			// The body is parsed once and kept, so the handler reads the same params.
			const p = (await ctx.body()).params;
			if (!isPlainObject(p.image)) return;
			if (parseBool(p.image.private) === true) requirePhotosPermission(ctx, 'admin', 'mark photos private');
			const img = ctx.state.images.get(toId(ctx.params.id) ?? -1);
			if (img && img.projectId === project.id) planUpdateLocation(ctx, project, p.image);
			return;
		}
		case 'DELETE /rest/v1.0/images/:id':
			requireProjectFromQuery(ctx, { photos: true });
			requirePhotosPermission(ctx, 'admin', 'delete photos');
			return;
		case 'POST /rest/v1.0/image_categories':
			requireProjectFromQuery(ctx, { photos: true });
			requirePhotosPermission(ctx, 'standard', 'create albums');
			return;
		default:
	}
}

/**
 * Date-time ranges are documented as `YYYY-MM-DDTHH:MM:SSZ...YYYY-MM-DDTHH:MM:SSZ`, without
 * milliseconds (docs/procore-api.md §11 "Filters"); the list handler refuses fractions of a second
 * with 400 (strict, `refuseMillisecondsInRanges: true`). With `false` the emulator plays a Procore
 * that accepts them: each end is widened to whole seconds (start down, end up) before the handler
 * reads the range, so no photo inside the asked range is missed.
 * @param {Context} ctx
 */
function acceptMilliseconds(ctx) {
	if (ctx.options.refuseMillisecondsInRanges) return;
	const filters = isPlainObject(ctx.query.filters) ? ctx.query.filters : {};
	for (const field of ['created_at', 'updated_at']) {
		const value = filters[field];
		if (typeof value !== 'string') continue;
		const ends = value.split('...');
		if (ends.length !== 2) continue;
		filters[field] = ends
			.map((end, i) => {
				if (!/T\d{2}:\d{2}:\d{2}[.,]\d+/.test(end)) return end;
				const ms = Date.parse(end.replace(',', '.'));
				if (!Number.isFinite(ms)) return end;
				const whole = (i === 0 ? Math.floor : Math.ceil)(ms / 1000) * 1000;
				return new Date(whole).toISOString().replace(/\.\d{3}Z$/, 'Z');
			})
			.join('...');
	}
}

/**
 * "Disable Dynamic Location Creation" on photo update (docs/procore-api.md §11 "Locations"), as on
 * create: a new `mt_location` path (without `location_id`) is refused with 422, or with
 * `dynamicLocationRefusal: 'ignore'` dropped from the request, so the photo keeps its location.
 * @param {Context} ctx @param {import('./seed').Project} project @param {Record<string, any>} image
 */
function planUpdateLocation(ctx, project, image) {
	if (!project.disableDynamicLocationCreation || image.mt_location === undefined) return;
	if (image.location_id !== undefined && image.location_id !== null && image.location_id !== '') return;
	let path;
	try {
		path = parsePath(image.mt_location, 'mt_location');
	} catch {
		return; // the handler names a malformed path itself
	}
	const plan = planMtLocation(ctx, project, path);
	if ('refused' in plan) throw procoreErrors.validation({ mt_location: [plan.refused] });
	if ('ignored' in plan) delete image.mt_location;
}

/**
 * With `listLagMs`, a photo shows in the images list only that long after it was created (its
 * record's `listedAfter`), as a search index that lags behind the database would; show sees it at
 * once. The list handler reads `ctx.state.images`; this request gets a view without the photos not
 * listed yet.
 * @param {Context} ctx
 */
function hideLaggingImages(ctx) {
	const now = Date.now();
	const all = ctx.state.images;
	let lagging = false;
	for (const img of all.values()) {
		if (img.listedAfter !== undefined && img.listedAfter > now) {
			lagging = true;
			break;
		}
	}
	if (!lagging) return;
	const listed = new Map([...all].filter(([, img]) => img.listedAfter === undefined || img.listedAfter <= now));
	ctx.state = Object.create(ctx.state, { images: { value: listed, enumerable: true } });
}

module.exports = { gate };
