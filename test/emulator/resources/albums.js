// @ts-check
'use strict';

/**
 * Photo albums = image categories (procore-api.md §6.3): list (paginated), create, show, update,
 * delete, and the ids of albums with photos. All take `project_id` in the query and need the
 * Photos tool. Choices where the documents are silent (README "UNCONFIRMED points"):
 *  - The default album ("Unclassified") cannot be updated or deleted: 403 `{"errors": …}` (it has
 *    no update/delete links, procore-api.md §6.3).
 *  - Deleting an album moves its photos (recycle bin included) to the default album.
 *  - Names are unique in a project, compared trimmed and case-insensitively: 422 otherwise.
 *  - `album_cover_id` must be a photo of the project that is not deleted (any album).
 *  - `count` counts the album's photos that are not deleted.
 */

const { paginate, procoreErrors, isPlainObject, parseBool, toId } = require('../http');
const { requireProjectFromQuery } = require('../access');
const { fileLink } = require('../files');
const { isDeleted } = require('../photos');

/** @typedef {import('../server').Context} Context */
/** @typedef {import('../seed').Album} Album */

/** @param {Context} ctx @param {Album} a */
function imageCount(ctx, a) {
	let n = 0;
	for (const img of ctx.state.images.values()) if (img.albumId === a.id && !isDeleted(img)) n++;
	return n;
}

/** The object create, show and update return. @param {Context} ctx @param {Album} a */
function albumJson(ctx, a) {
	return { id: a.id, name: a.name, position: a.position, album_cover_id: a.albumCoverId, created_at: a.createdAt, private: a.private, count: imageCount(ctx, a) };
}

/**
 * An item of the list. `cover_photo` is the cover photo's thumbnail file link (needs the token,
 * like every file link), or null without a cover.
 * @param {Context} ctx @param {Album} a
 */
function albumListJson(ctx, a) {
	const self = `/rest/v1.0/image_categories/${a.id}?project_id=${a.projectId}`;
	const cover = a.albumCoverId ? ctx.state.images.get(a.albumCoverId) : undefined;
	return {
		id: a.id,
		count: imageCount(ctx, a),
		cover_photo: cover && !isDeleted(cover) ? fileLink(ctx, cover, 'thumbnail') : null,
		created_at: a.createdAt,
		links: a.isDefault ? {} : { show: self, delete: self, update: self },
		name: a.name,
		private: a.private,
		updated_at: a.updatedAt,
		position: a.position,
	};
}

/** @param {Context} ctx */
function findAlbum(ctx) {
	const project = requireProjectFromQuery(ctx, { photos: true });
	const album = ctx.state.albums.get(toId(ctx.params.id) ?? -1);
	if (!album || album.projectId !== project.id) throw procoreErrors.errorString(404, `Couldn't find ImageCategory with 'id'=${ctx.params.id}`);
	return { project, album };
}

/** @param {Album} album */
function refuseDefault(album) {
	if (album.isDefault) throw procoreErrors.errorsString(403, `The default album "${album.name}" cannot be updated or deleted`);
}

/**
 * Reads and checks `{"image_category": {name, private, album_cover_id}}` (create and update:
 * `name` is required by both, procore-api.md §6.3).
 * @param {Context} ctx @param {import('../seed').Project} project @param {Album | null} self
 */
async function albumBody(ctx, project, self) {
	const p = (await ctx.body()).params;
	const body = p.image_category;
	if (!isPlainObject(body)) throw procoreErrors.paramMissing('image_category');
	/** @type {Record<string, string[]>} */
	const errors = {};
	const name = typeof body.name === 'string' ? body.name.trim() : '';
	if (body.name !== undefined && body.name !== null && typeof body.name !== 'string') errors.name = ['must be a string'];
	else if (name === '') errors.name = ["can't be blank"];
	else {
		const taken = [...ctx.state.albums.values()].some((a) => a.projectId === project.id && a !== self && a.name.toLowerCase() === name.toLowerCase());
		if (taken) errors.name = ['has already been taken'];
	}
	const priv = body.private === undefined ? undefined : parseBool(body.private);
	if (body.private !== undefined && priv === undefined) errors.private = ['must be true or false'];
	/** @type {number | null | undefined} */
	let coverId;
	if (body.album_cover_id === null || body.album_cover_id === '') coverId = null;
	else if (body.album_cover_id !== undefined) {
		const img = ctx.state.images.get(toId(body.album_cover_id) ?? -1);
		if (!img || img.projectId !== project.id || isDeleted(img)) errors.album_cover_id = ['is invalid'];
		else coverId = img.id;
	}
	for (const k of Object.keys(body)) if (!['name', 'private', 'album_cover_id'].includes(k)) errors[k] = ['is not an album attribute (allowed: name, private, album_cover_id)'];
	if (Object.keys(errors).length) throw procoreErrors.validation(errors);
	return { name, private: priv, coverId };
}

/** @param {{ api: import('../router').Router }} app */
function register(app) {
	app.api.get('/rest/v1.0/image_categories', (ctx) => {
		const project = requireProjectFromQuery(ctx, { photos: true });
		const list = [...ctx.state.albums.values()].filter((a) => a.projectId === project.id).sort((a, b) => a.position - b.position || a.id - b.id);
		// Default and maximum page size UNCONFIRMED (procore-api.md §4): 100 / maxPerPage.
		ctx.json(200, paginate(ctx, list).map((a) => albumListJson(ctx, a)));
	});

	app.api.post('/rest/v1.0/image_categories', async (ctx) => {
		const project = requireProjectFromQuery(ctx, { photos: true });
		const given = await albumBody(ctx, project, null);
		const siblings = [...ctx.state.albums.values()].filter((a) => a.projectId === project.id);
		const now = new Date().toISOString();
		const id = ctx.state.nextId('album');
		/** @type {Album} */
		const album = {
			id,
			projectId: project.id,
			name: given.name,
			private: given.private ?? false,
			position: siblings.reduce((m, a) => Math.max(m, a.position), -1) + 1,
			albumCoverId: given.coverId ?? null,
			isDefault: false,
			createdAt: now,
			updatedAt: now,
		};
		ctx.state.albums.set(id, album);
		ctx.emu.emitEvent({ projectId: project.id, companyId: project.companyId, resourceName: 'Image Categories', eventType: 'create', resourceId: id, userId: ctx.auth?.user.id, applicationId: ctx.auth?.token.clientId });
		ctx.json(201, albumJson(ctx, album));
	});

	// Before /:id, which would take "ids_with_images" as an id.
	app.api.get('/rest/v1.0/image_categories/ids_with_images', (ctx) => {
		const project = requireProjectFromQuery(ctx, { photos: true });
		const ids = new Set();
		for (const img of ctx.state.images.values()) if (img.projectId === project.id && !isDeleted(img) && img.albumId) ids.add(img.albumId);
		ctx.json(200, [...ids].sort((a, b) => a - b));
	});

	app.api.get('/rest/v1.0/image_categories/:id', (ctx) => ctx.json(200, albumJson(ctx, findAlbum(ctx).album)));

	app.api.patch('/rest/v1.0/image_categories/:id', async (ctx) => {
		const { project, album } = findAlbum(ctx);
		refuseDefault(album);
		const given = await albumBody(ctx, project, album);
		album.name = given.name;
		if (given.private !== undefined) album.private = given.private;
		if (given.coverId !== undefined) album.albumCoverId = given.coverId;
		album.updatedAt = new Date(Math.max(Date.now(), Date.parse(album.updatedAt) + 1)).toISOString();
		ctx.emu.emitEvent({ projectId: project.id, companyId: project.companyId, resourceName: 'Image Categories', eventType: 'update', resourceId: album.id, userId: ctx.auth?.user.id, applicationId: ctx.auth?.token.clientId });
		ctx.json(200, albumJson(ctx, album));
	});

	app.api.delete('/rest/v1.0/image_categories/:id', (ctx) => {
		const { project, album } = findAlbum(ctx);
		refuseDefault(album);
		const fallback = [...ctx.state.albums.values()].find((a) => a.projectId === project.id && a.isDefault);
		const now = new Date().toISOString();
		for (const img of ctx.state.images.values()) {
			if (img.albumId !== album.id) continue;
			img.albumId = fallback ? fallback.id : null;
			img.updatedAt = now > img.updatedAt ? now : img.updatedAt;
		}
		ctx.state.albums.delete(album.id);
		ctx.emu.emitEvent({ projectId: project.id, companyId: project.companyId, resourceName: 'Image Categories', eventType: 'delete', resourceId: album.id, userId: ctx.auth?.user.id, applicationId: ctx.auth?.token.clientId });
		// 200 (procore-api.md §6.3); no body, as for images.
		ctx.send(200, '', undefined);
	});
}

module.exports = { register };
