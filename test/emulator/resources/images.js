// @ts-check
'use strict';

/**
 * Images in the Photos tool (procore-api.md §6.1, §6.2): create here; list, show, update, delete
 * and the Image object in ../photos.js; file links in ../files.js. All take `project_id` in the
 * query, and need the Photos tool enabled in the project.
 *
 * Create accepts the spec's body form — top-level `upload_uuid` + `image_name` + `image{…}` — as
 * JSON or as multipart form fields, and the legacy multipart `image[data]` file part. The 2026
 * tutorial's `upload:{uuid,…}` form is UNCONFIRMED and accepted only under the
 * `createImageBodyForm` option ('nested' or 'both').
 */

const crypto = require('crypto');
const { procoreErrors, isPlainObject, toId, parseBool, UploadedFile } = require('../http');
const { requireProjectFromQuery, requirePhotosPermission } = require('../access');
const { keepBuffer, registerFileLinks } = require('../files');
// List, show, update, delete and the Image object live in photos.js.
const { imageJson, list, show, update, destroy } = require('../photos');
const { findOrCreatePath, parsePath, planMtLocation } = require('./locations');

/** @typedef {import('../server').Context} Context */

/** @param {unknown} v */
function blank(v) {
	return v === undefined || v === null || v === '';
}

/** @param {string} s */
function validDate(s) {
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
	if (!m) return false;
	const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
	return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

/**
 * Where the upload-first fields sit, per the `createImageBodyForm` reading (procore-api.md §6.1,
 * §11 "Create Image body"): 'flat' = top-level `upload_uuid` + `image_name` (every spec), 'nested'
 * = `upload: {uuid, image_name, source}` (2026-05 tutorial), 'both' = either. Keys of the form not
 * played are not read (Rails drops unpermitted params), so they count as absent.
 * @param {Context} ctx @param {Record<string, any>} p
 * @returns {{ uploadUuid: unknown, imageName: unknown, source: unknown, nested: boolean }}
 */
function uploadFields(ctx, p) {
	const form = ctx.options.createImageBodyForm;
	const flat = { uploadUuid: p.upload_uuid, imageName: p.image_name, source: undefined, nested: false };
	if (form === 'flat') return flat;
	if (p.upload !== undefined && !isPlainObject(p.upload)) throw procoreErrors.validation({ upload: ['must be an object'] });
	const upload = p.upload;
	if (!upload) return form === 'both' ? flat : { uploadUuid: undefined, imageName: undefined, source: undefined, nested: true };
	if (form === 'both' && !blank(p.upload_uuid) && p.upload_uuid !== upload.uuid) {
		throw procoreErrors.validation({ base: ['upload_uuid and upload[uuid] name different uploads; send one of them'] });
	}
	return { uploadUuid: upload.uuid, imageName: upload.image_name ?? (form === 'both' ? p.image_name : undefined), source: upload.source, nested: true };
}

/** @param {Context} ctx */
async function create(ctx) {
	const project = requireProjectFromQuery(ctx, { photos: true });
	// Uploading photos needs Standard or Admin on Photos (procore-api.md §9.10).
	requirePhotosPermission(ctx, 'standard', 'upload photos');
	const p = (await ctx.body()).params;
	const state = ctx.state;
	const user = /** @type {NonNullable<Context['auth']>} */ (ctx.auth).user;

	// `image` must carry at least one attribute, even with upload_uuid (procore-api.md §6.1, §9.2).
	// Status and body shape UNCONFIRMED: 422 with Rails-style errors.
	const image = p.image;
	if (blank(image) || (isPlainObject(image) && Object.keys(image).length === 0)) throw procoreErrors.validation({ image: ["can't be blank"] });
	if (!isPlainObject(image)) throw procoreErrors.validation({ image: ['must be an object'] });

	const data = image.data;
	const { uploadUuid, imageName, source: uploadSource } = uploadFields(ctx, p);
	if (data !== undefined && !blank(uploadUuid)) throw procoreErrors.validation({ base: ['Use either image[data] or upload_uuid, not both'] });
	if (data === undefined && blank(uploadUuid)) {
		// Under the nested reading the server maps upload[uuid] to upload_uuid, so a body without it
		// (e.g. the flat form) is refused naming the attributes Rails validates.
		if (ctx.options.createImageBodyForm === 'nested') {
			throw procoreErrors.validation({ upload_uuid: ["can't be blank"], ...(blank(imageName) ? { image_name: ["can't be blank"] } : {}) });
		}
		throw procoreErrors.validation({ data: ["can't be blank"] });
	}
	if (uploadSource !== undefined && uploadSource !== null && typeof uploadSource !== 'string') throw procoreErrors.validation({ source: ['must be a string'] });

	/** @type {{ filename: string, size: number, sha256: string, contentType: string | null, objectKey: string | null, upload: any, bytes: Buffer | null, file?: string | null }} */
	let file;
	if (data !== undefined) {
		// image[data] only works as a file part of a multipart body (procore-api.md §9.4).
		if (!(data instanceof UploadedFile)) throw procoreErrors.validation({ data: ['must be a file part of a multipart/form-data body'] });
		if (data.size === 0) throw procoreErrors.validation({ data: ["can't be blank"] });
		const filename = typeof imageName === 'string' && imageName.trim() !== '' ? imageName : data.filename || 'image';
		file = {
			filename,
			size: data.size,
			sha256: crypto.createHash('sha256').update(data.data).digest('hex'),
			contentType: data.contentType ?? null,
			objectKey: null,
			upload: null,
			// Kept whole for downloads: in memory when small, in a temp file when larger.
			...keepBuffer(ctx.emu, data.data),
		};
	} else {
		if (typeof uploadUuid !== 'string') throw procoreErrors.validation({ upload_uuid: ['is invalid'] });
		if (typeof imageName !== 'string' || imageName.trim() === '') throw procoreErrors.validation({ image_name: ["can't be blank"] });
		const upload = state.uploads.get(uploadUuid);
		// Only the user who created an upload may use it, in its own company and project (§7).
		if (!upload || upload.userId !== user.id || upload.companyId !== project.companyId || (upload.projectId !== null && upload.projectId !== project.id)) {
			throw procoreErrors.errorString(404, `Couldn't find Upload with 'uuid'=${uploadUuid}`);
		}
		if (upload.status !== 'complete' || !upload.object) throw procoreErrors.validation({ upload_uuid: ['refers to an upload that is not complete'] });
		file = { filename: imageName, size: upload.object.size, sha256: upload.object.sha256, contentType: upload.contentType, objectKey: upload.key, upload, bytes: null };
	}

	/** @type {Record<string, string[]>} */
	const errors = {};

	// Album. Omitting it is UNCONFIRMED (procore-api.md §9.3); strict: required unless the
	// requireImageCategory option is false, then the project's default album, whatever its name
	// ("Unclassified", renamed, or another language such as "Sin clasificar").
	let albumId = null;
	if (blank(image.image_category_id)) {
		if (ctx.options.requireImageCategory) errors.image_category_id = ["can't be blank"];
		else albumId = [...state.albums.values()].find((a) => a.projectId === project.id && a.isDefault)?.id ?? null;
	} else {
		const album = state.albums.get(toId(image.image_category_id) ?? -1);
		if (!album || album.projectId !== project.id) errors.image_category_id = ['is invalid'];
		else albumId = album.id;
	}

	// Location: location_id wins; mt_location is ignored when location_id is given.
	let locationId = null;
	/** @type {string[] | null} */
	let mtPath = null;
	if (!blank(image.location_id)) {
		const loc = state.locations.get(toId(image.location_id) ?? -1);
		if (!loc || loc.projectId !== project.id) errors.location_id = ['is invalid'];
		else locationId = loc.id;
	} else if (image.mt_location !== undefined) {
		try {
			mtPath = parsePath(image.mt_location, 'mt_location');
		} catch {
			errors.mt_location = ['must be an array of location names (image[mt_location][] in a form)'];
		}
		if (mtPath) {
			// "Disable Dynamic Location Creation" (procore-api.md §11 "Locations").
			const plan = planMtLocation(ctx, project, mtPath);
			if ('refused' in plan) errors.mt_location = [plan.refused];
			else if ('ignored' in plan) mtPath = null;
		}
	}

	/** @type {number[]} */
	const tradeIds = [];
	if (image.trade_ids !== undefined) {
		// A scalar (image[trade_ids] without []) is refused (strict; Rails would drop it silently).
		if (!Array.isArray(image.trade_ids)) errors.trade_ids = ['must be an array (image[trade_ids][] in a form)'];
		else {
			for (const raw of image.trade_ids) {
				if (raw === '') continue;
				const trade = state.trades.get(toId(raw) ?? -1);
				if (!trade || trade.companyId !== project.companyId) (errors.trade_ids ??= []).push(`contains an unknown trade: ${String(raw)}`);
				else if (!tradeIds.includes(trade.id)) tradeIds.push(trade.id);
			}
		}
	}

	let logDate = null;
	if (!blank(image.log_date)) {
		if (typeof image.log_date !== 'string' || !validDate(image.log_date)) errors.log_date = ['must be a date formatted YYYY-MM-DD'];
		else logDate = image.log_date;
	}

	/** @type {Record<string, boolean>} */
	const flags = { private: project.photosPrivateByDefault, starred: false };
	for (const k of ['private', 'starred']) {
		if (image[k] === undefined) continue;
		const v = parseBool(image[k]);
		if (v === undefined) errors[k] = ['must be true or false'];
		else flags[k] = v;
	}

	for (const k of ['description', 'source']) {
		if (image[k] !== undefined && image[k] !== null && typeof image[k] !== 'string') errors[k] = ['must be a string'];
	}
	if (image.provider_type !== undefined && image.provider_type !== 'MarkupLayer') errors.provider_type = ['is not included in the list (only MarkupLayer)'];
	if (image.provider_id !== undefined && toId(image.provider_id) === undefined) errors.provider_id = ['must be an integer'];
	let dailyLogSegmentId = null;
	if (!blank(image.daily_log_segment_id)) {
		dailyLogSegmentId = toId(image.daily_log_segment_id) ?? null;
		if (dailyLogSegmentId === null) errors.daily_log_segment_id = ['must be an integer'];
	}
	if (Object.keys(errors).length) throw procoreErrors.validation(errors);
	// Marking a photo private needs Admin on Photos (procore-api.md §11 "Permissions").
	if (parseBool(image.private) === true) requirePhotosPermission(ctx, 'admin', 'mark photos private');

	if (mtPath) locationId = findOrCreatePath(state, project.id, mtPath).location.id;
	const img = storeImage(ctx.emu, {
		project,
		uploaderId: user.id,
		albumId,
		locationId,
		tradeIds,
		description: typeof image.description === 'string' ? image.description : null,
		source: typeof image.source === 'string' ? image.source : typeof uploadSource === 'string' ? uploadSource : null,
		private: flags.private,
		starred: flags.starred,
		logDate,
		dailyLogSegmentId,
		providerType: image.provider_type ?? null,
		providerId: image.provider_id === undefined ? null : (toId(image.provider_id) ?? null),
		filename: file.filename,
		size: file.size,
		sha256: file.sha256,
		contentType: file.contentType,
		objectKey: file.objectKey,
		upload: file.upload,
		bytes: file.bytes,
		file: file.file ?? null,
		applicationId: ctx.auth?.token.clientId ?? null,
	});
	ctx.emu.noteImageCreated(img);
	ctx.json(201, imageJson(ctx, img));
}

/**
 * Stores a new photo record (and its stored object when it has no upload): the one place Create
 * Image and `emu.createImageAs` build an image. `listedAfter` plays the `listLagMs` reading.
 * @param {any} emu
 * @param {{ project: import('../seed').Project, uploaderId: number, albumId: number | null, locationId?: number | null, tradeIds?: number[],
 *   description?: string | null, source?: string | null, private?: boolean, starred?: boolean, logDate?: string | null,
 *   dailyLogSegmentId?: number | null, providerType?: string | null, providerId?: number | null,
 *   filename: string, size: number, sha256: string, contentType: string | null, objectKey?: string | null, upload?: any,
 *   bytes?: Buffer | null, file?: string | null, createdAt?: string, applicationId?: string | null }} spec
 */
function storeImage(emu, spec) {
	const state = emu.state;
	const project = spec.project;
	const id = state.nextId('image');
	const now = spec.createdAt ?? new Date().toISOString();
	const objectKey = spec.objectKey ?? `companies/${project.companyId}/projects/${project.id}/images/${id}/${spec.filename}`;
	if (!spec.objectKey) {
		state.objects.set(objectKey, { key: objectKey, size: spec.size, sha256: spec.sha256, md5: null, contentType: spec.contentType, bytes: spec.bytes ?? null, file: spec.file ?? null, storedAt: Date.now() });
	}
	const img = {
		id,
		projectId: project.id,
		companyId: project.companyId,
		albumId: spec.albumId,
		locationId: spec.locationId ?? null,
		tradeIds: spec.tradeIds ?? [],
		description: spec.description ?? null,
		source: spec.source ?? null,
		private: spec.private ?? project.photosPrivateByDefault,
		starred: spec.starred ?? false,
		logDate: spec.logDate ?? null,
		dailyLogSegmentId: spec.dailyLogSegmentId ?? null,
		providerType: spec.providerType ?? null,
		providerId: spec.providerId ?? null,
		filename: spec.filename,
		size: spec.size,
		sha256: spec.sha256,
		contentType: spec.contentType,
		objectKey,
		uploadUuid: spec.upload ? spec.upload.uuid : null,
		via: spec.upload ? 'upload' : 'data',
		uploaderId: spec.uploaderId,
		createdAt: now,
		updatedAt: now,
		/** Machine time (ms) from which GET /rest/v1.0/images lists it (listLagMs). */
		listedAfter: Date.now() + emu.options.listLagMs,
	};
	state.images.set(id, img);
	emu.emitEvent({ projectId: project.id, companyId: project.companyId, resourceName: 'Images', eventType: 'create', resourceId: id, userId: spec.uploaderId, applicationId: spec.applicationId ?? null });
	return img;
}

/** @param {{ api: import('../router').Router }} app */
function register(app) {
	app.api.post('/rest/v1.0/images', create);
	app.api.get('/rest/v1.0/images', list);
	app.api.get('/rest/v1.0/images/:id', show);
	app.api.patch('/rest/v1.0/images/:id', update);
	app.api.delete('/rest/v1.0/images/:id', destroy);
	registerFileLinks(app);
}

module.exports = { register, imageJson, storeImage };
