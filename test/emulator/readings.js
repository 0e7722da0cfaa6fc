// @ts-check
'use strict';

/**
 * Contested readings (procore-api.md §11) played on routes whose handlers live in other modules,
 * run by the api listener after authentication and the company header check (access.js):
 * Photos permission levels on photo update and delete and on album create, milliseconds in list
 * date-time ranges (`refuseMillisecondsInRanges`) and the images list's lag (`listLagMs`).
 */

const { procoreErrors, isPlainObject, parseBool } = require('./http');
const { requireProjectFromQuery, requirePhotosPermission } = require('./access');

/** @typedef {import('./server').Context} Context */

/**
 * @param {Context} ctx
 * @param {import('./router').Route} route
 */
async function gate(ctx, route) {
	switch (`${route.method} ${route.pattern}`) {
		case 'GET /rest/v1.0/images':
			refuseMilliseconds(ctx);
			hideLaggingImages(ctx);
			return;
		case 'PATCH /rest/v1.0/images/:id': {
			// The project is checked first, so a project the caller cannot use stays a 404/403 of its own.
			requireProjectFromQuery(ctx, { photos: true });
			requirePhotosPermission(ctx, 'standard', 'edit photos');
			// The body is parsed once and kept, so the handler reads the same params.
			const p = (await ctx.body()).params;
			if (isPlainObject(p.image) && parseBool(p.image.private) === true) requirePhotosPermission(ctx, 'admin', 'mark photos private');
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
 * milliseconds (procore-api.md §11 "Filters"). With `refuseMillisecondsInRanges`, a range whose
 * times carry fractions of a second is refused with 400 in the documented v1.0 400 shape
 * `{"error":{"code","message"}}`; the wording is the emulator's (UNCONFIRMED).
 * @param {Context} ctx
 */
function refuseMilliseconds(ctx) {
	if (!ctx.options.refuseMillisecondsInRanges) return;
	const filters = isPlainObject(ctx.query.filters) ? ctx.query.filters : {};
	for (const field of ['created_at', 'updated_at']) {
		const value = filters[field];
		if (typeof value === 'string' && /\d{2}:\d{2}:\d{2}[.,]\d/.test(value)) {
			throw procoreErrors.nestedError(
				400,
				'invalid_parameter',
				`Invalid filters[${field}]: ${value}. Expected a date-time range formatted YYYY-MM-DDTHH:MM:SSZ...YYYY-MM-DDTHH:MM:SSZ`,
			);
		}
	}
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
