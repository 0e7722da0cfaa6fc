// @ts-check
'use strict';

/**
 * Photo albums = image categories (procore-api.md §6.3): list (paginated), create, show. All take
 * `project_id` in the query and need the Photos tool.
 */

const { paginate, procoreErrors, isPlainObject, parseBool } = require('../http');
const { requireProjectFromQuery } = require('../access');

/** @typedef {import('../server').Context} Context */
/** @typedef {import('../seed').Album} Album */

/** @param {Context} ctx @param {Album} a */
function imageCount(ctx, a) {
	let n = 0;
	for (const img of ctx.state.images.values()) if (img.albumId === a.id) n++;
	return n;
}

/** The object create and show return. @param {Context} ctx @param {Album} a */
function albumJson(ctx, a) {
	return { id: a.id, name: a.name, position: a.position, album_cover_id: a.albumCoverId, created_at: a.createdAt, private: a.private, count: imageCount(ctx, a) };
}

/** An item of the list. @param {Context} ctx @param {Album} a */
function albumListJson(ctx, a) {
	const self = `/rest/v1.0/image_categories/${a.id}?project_id=${a.projectId}`;
	return {
		id: a.id,
		count: imageCount(ctx, a),
		cover_photo: null,
		created_at: a.createdAt,
		links: a.isDefault ? {} : { show: self, delete: self, update: self },
		name: a.name,
		private: a.private,
		updated_at: a.updatedAt,
		position: a.position,
	};
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
		const p = (await ctx.body()).params;
		if (!isPlainObject(p.image_category)) throw procoreErrors.paramMissing('image_category');
		const { name } = p.image_category;
		if (typeof name !== 'string' || name.trim() === '') throw procoreErrors.validation({ name: ["can't be blank"] });
		const priv = p.image_category.private;
		if (priv !== undefined && parseBool(priv) === undefined) throw procoreErrors.validation({ private: ['must be true or false'] });
		const siblings = [...ctx.state.albums.values()].filter((a) => a.projectId === project.id);
		const now = new Date().toISOString();
		const id = ctx.state.nextId('album');
		/** @type {Album} */
		const album = {
			id,
			projectId: project.id,
			name: name.trim(),
			private: parseBool(priv) ?? false,
			position: siblings.reduce((m, a) => Math.max(m, a.position), -1) + 1,
			albumCoverId: null,
			isDefault: false,
			createdAt: now,
			updatedAt: now,
		};
		ctx.state.albums.set(id, album);
		ctx.json(201, albumJson(ctx, album));
	});

	app.api.get('/rest/v1.0/image_categories/:id', (ctx) => {
		const project = requireProjectFromQuery(ctx, { photos: true });
		const album = ctx.state.albums.get(Number(ctx.params.id));
		if (!album || album.projectId !== project.id) throw procoreErrors.errorString(404, `Couldn't find ImageCategory with 'id'=${ctx.params.id}`);
		ctx.json(200, albumJson(ctx, album));
	});
}

module.exports = { register };
