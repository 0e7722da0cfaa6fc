/**
 * The Album resource, run through n8n's engine against the emulator: Create, Get, Get Many, Update
 * (the name Procore requires is read when not changed), Delete (the default album protected) and
 * Get or Create (one album however many items name it).
 */
import type { InputItem } from '../engine';
import {
	ACME,
	BETA,
	createImage,
	HARBOR_TOWER,
	photoItem,
	PNG_1X1,
	rl,
	runOperation,
	SITE_PROGRESS,
	UNCLASSIFIED,
	useEmulator,
} from './fixtures';

const SAFETY_WALKS = 5003;
const PROJECT = Number(HARBOR_TOWER);
/** The service account the tests' credential uses (emulator README, seeded data). */
const SERVICE_ACCOUNT_USER = 3900;

const emu = useEmulator();
beforeEach(() => setPhotosPermission('admin'));

/** The service account's level on the Photos tool (emulator: Procore's permissions matrix). */
function setPhotosPermission(level: 'read_only' | 'standard' | 'admin') {
	const user = emu.state.users.get(SERVICE_ACCOUNT_USER) as { photosPermission?: string } | undefined;
	if (!user) throw new Error('the service account is not in the emulator');
	user.photosPermission = level;
}

/** Runs an Album operation in Harbor Tower (parameters may name another company and project). */
async function runAlbum(
	operation: string,
	parameters: Record<string, unknown> = {},
	items: InputItem[] = [{ json: {} }],
	options: { continueOnFail?: boolean } = {},
) {
	return await runOperation({
		resource: 'album',
		operation,
		parameters: { companyId: rl(ACME), projectId: rl(HARBOR_TOWER), advancedOptions: {}, ...parameters },
		items,
		...options,
	});
}

/** A photo made by the node in the given album. */
async function newPhoto(albumId: number): Promise<number> {
	const run = await createImage({ uploadMethod: 'inline', albumId: rl(String(albumId)) }, [
		photoItem(PNG_1X1, 'cover.png', 'image/png'),
	]);
	expect(run.error).toBeUndefined();
	emu.reset();
	return Number(run.items[0].json.id);
}

/** A fresh album made by the node (Album → Create), so each test owns its own. */
async function newAlbum(name: string): Promise<number> {
	const run = await runAlbum('create', { albumName: name, additionalFields: {} });
	expect(run.error).toBeUndefined();
	emu.reset();
	return Number(run.items[0].json.id);
}

const albumsNamed = (name: string) =>
	emu.albums(PROJECT).filter((album) => album.name.toLowerCase() === name.toLowerCase());

const apiCalls = (method?: string, path?: string) =>
	emu.requests.filter(
		(request) =>
			request.listener === 'api' &&
			(!method || request.method === method) &&
			(!path || request.path === path || (path.endsWith('*') && request.path.startsWith(path.slice(0, -1)))),
	);

describe('Album → Create', () => {
	test('name, private and cover photo; 201 album as output, paired', async () => {
		const cover = await newPhoto(SITE_PROGRESS);
		const run = await runAlbum('create', { albumName: '  Level 3 Pour ', additionalFields: { private: true, coverImageId: String(cover) } });
		expect(run.error).toBeUndefined();
		expect(run.items).toHaveLength(1);
		expect(run.items[0].pairedItem).toEqual({ item: 0 });
		expect(run.items[0].json).toMatchObject({ name: 'Level 3 Pour', private: true, album_cover_id: cover });
		const [album] = albumsNamed('Level 3 Pour');
		expect(album).toMatchObject({ id: run.items[0].json.id, private: true, albumCoverId: cover });
		const posts = apiCalls('POST', '/rest/v1.0/image_categories');
		expect(posts).toHaveLength(1);
		expect(posts[0].query).toEqual({ project_id: HARBOR_TOWER });
		expect(posts[0].bodyBytes).toBe(
			Buffer.byteLength(JSON.stringify({ image_category: { name: 'Level 3 Pour', private: true, album_cover_id: cover } })),
		);
	});

	test('a name the project has already: Procore refuses, and the message says why', async () => {
		const run = await runAlbum('create', { albumName: 'site progress', additionalFields: {} });
		expect(run.error?.message).toMatch(/^Creating the album "site progress" in project 2001: Procore could not accept the values \(422\): name has already been taken/);
		expect(albumsNamed('Site Progress')).toHaveLength(1);
	});

	test('an empty name and a cover that is no ID fail before any request', async () => {
		let run = await runAlbum('create', { albumName: '  ', additionalFields: {} });
		expect(run.error?.message).toBe('Name is empty');
		run = await runAlbum('create', { albumName: 'Roof', additionalFields: { coverImageId: 'the first one' } });
		expect(run.error?.message).toBe('Cover Image ID "the first one" is not a Procore ID');
		expect(apiCalls()).toHaveLength(0);
	});

	test('a lost answer: the node finds the album it created instead of creating a second one', async () => {
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/image_categories', drop: 'after-processing' });
		const run = await runAlbum('create', { albumName: 'Façade Mockup', additionalFields: {} });
		expect(run.error).toBeUndefined();
		expect(albumsNamed('Façade Mockup')).toHaveLength(1);
		expect(run.items[0].json).toMatchObject({ id: albumsNamed('Façade Mockup')[0].id, name: 'Façade Mockup' });
		expect(apiCalls('POST', '/rest/v1.0/image_categories')).toHaveLength(1);
	});

	test('403 for a Read Only user says creating albums needs Standard or Admin on Photos', async () => {
		setPhotosPermission('read_only');
		const run = await runAlbum('create', { albumName: 'Not Allowed', additionalFields: {} });
		expect(run.error?.message).toMatch(/^Creating the album "Not Allowed" in project 2001: Procore refused access \(403\)/);
		expect(run.error?.description).toMatch(/^Creating albums needs the Standard or Admin permission level on the project's Photos tool/);
		expect(albumsNamed('Not Allowed')).toHaveLength(0);
	});
});

describe('Album → Get and Get Many', () => {
	test('Get by ID and by name (case aside)', async () => {
		let run = await runAlbum('get', { albumId: rl(String(SAFETY_WALKS)) });
		expect(run.error).toBeUndefined();
		expect(run.items[0].json).toMatchObject({ id: SAFETY_WALKS, name: 'Safety Walks' });
		expect(apiCalls('GET').map((request) => request.path)).toEqual([`/rest/v1.0/image_categories/${SAFETY_WALKS}`]);

		emu.reset();
		run = await runAlbum('get', { albumId: rl('SAFETY walks', 'name') });
		expect(run.error).toBeUndefined();
		expect(run.items[0].json).toMatchObject({ id: SAFETY_WALKS, name: 'Safety Walks' });
	});

	test('Get: 404 names the album and the project; an unknown name says so', async () => {
		let run = await runAlbum('get', { albumId: rl('777777') });
		expect(run.error?.message).toMatch(/^Reading album 777777 in project 2001: Procore could not find it \(404\)/);
		expect(run.error?.description).toBe(
			'Procore has no album 777777 in project 2001 that this user can see. Check the Album and the project.',
		);
		run = await runAlbum('get', { albumId: rl('Level 99', 'name') });
		expect(run.error?.message).toBe('Project 2001 has no album named "Level 99"');
	});

	test('Get Many: Return All gives every album; Limit stops at it', async () => {
		let run = await runAlbum('getMany', { returnAll: true });
		expect(run.error).toBeUndefined();
		const all = emu.albums(PROJECT);
		expect(run.items).toHaveLength(all.length);
		expect(run.items.slice(0, 3).map((item) => item.json.name)).toEqual(['Unclassified', 'Site Progress', 'Safety Walks']);
		expect(run.items.every((item) => (item.pairedItem as { item: number }).item === 0)).toBe(true);

		emu.reset();
		run = await runAlbum('getMany', { returnAll: false, limit: 2 });
		expect(run.items.map((item) => item.json.id)).toEqual([UNCLASSIFIED, SITE_PROGRESS]);
		expect(apiCalls('GET')[0].query).toMatchObject({ per_page: '2', page: '1' });
	});

	test('Get Many over many pages asks page by page, by number, until the last', async () => {
		for (let index = 0; index < 5; index++) await newAlbum(`Paged ${index}`);
		const count = emu.albums(PROJECT).length;
		emu.configure({ maxPerPage: 3 });
		try {
			const run = await runAlbum('getMany', { returnAll: true });
			expect(run.error).toBeUndefined();
			expect(run.items).toHaveLength(count);
			expect(new Set(run.items.map((item) => item.json.id)).size).toBe(count);
			expect(apiCalls('GET').map((request) => request.query.page)).toEqual(
				Array.from({ length: Math.ceil(count / 3) }, (_, index) => String(index + 1)),
			);
		} finally {
			emu.configure({ maxPerPage: 1000 });
		}
	});
});

describe('Album → Update', () => {
	test('rename only: one PATCH with the new name', async () => {
		const id = await newAlbum('Old Name');
		const run = await runAlbum('update', { albumId: rl(String(id)), updateFields: { name: 'New Name' } });
		expect(run.error).toBeUndefined();
		expect(run.items[0].json).toMatchObject({ id, name: 'New Name' });
		expect(apiCalls().map((request) => `${request.method} ${request.path}`)).toEqual([`PATCH /rest/v1.0/image_categories/${id}`]);
		expect(apiCalls('PATCH')[0].bodyBytes).toBe(Buffer.byteLength(JSON.stringify({ image_category: { name: 'New Name' } })));
	});

	test('private and cover without a rename: the current name is read first and sent back', async () => {
		const id = await newAlbum('Keep This Name');
		const cover = await newPhoto(id);
		const run = await runAlbum('update', { albumId: rl('keep this name', 'name'), updateFields: { private: true, coverImageId: String(cover) } });
		expect(run.error).toBeUndefined();
		expect(apiCalls().map((request) => `${request.method} ${request.path}`)).toEqual([
			'GET /rest/v1.0/image_categories',
			`GET /rest/v1.0/image_categories/${id}`,
			`PATCH /rest/v1.0/image_categories/${id}`,
		]);
		expect(apiCalls('PATCH')[0].bodyBytes).toBe(
			Buffer.byteLength(JSON.stringify({ image_category: { private: true, album_cover_id: cover, name: 'Keep This Name' } })),
		);
		expect(emu.state.albums.get(id)).toMatchObject({ name: 'Keep This Name', private: true, albumCoverId: cover });
	});

	test('nothing to update: a clear error before any request', async () => {
		const run = await runAlbum('update', { albumId: rl(String(SITE_PROGRESS)), updateFields: {} });
		expect(run.error?.message).toBe('No field to update');
		expect(apiCalls()).toHaveLength(0);
	});

	test('the default album cannot be changed: a clear error, nothing changed', async () => {
		const run = await runAlbum('update', { albumId: rl(String(UNCLASSIFIED)), updateFields: { name: 'Misc' } });
		expect(run.error?.message).toBe(`Album ${UNCLASSIFIED} is the project's default album, which Procore does not let anyone change`);
		expect(emu.state.albums.get(UNCLASSIFIED)?.name).toBe('Unclassified');
	});

	test('a PATCH whose answer is lost is sent again and ends renamed once', async () => {
		const id = await newAlbum('Before Drop');
		emu.faults.inject({ method: 'PATCH', path: '/rest/v1.0/image_categories/*', drop: 'after-processing' });
		const run = await runAlbum('update', { albumId: rl(String(id)), updateFields: { name: 'After Drop' } });
		expect(run.error).toBeUndefined();
		expect(apiCalls('PATCH').map((request) => request.status)).toEqual([0, 200]);
		expect(emu.state.albums.get(id)?.name).toBe('After Drop');
	});
});

describe('Album → Delete', () => {
	test('deletes the album (its photos go to the default album, as the emulator plays it)', async () => {
		const id = await newAlbum('Short Lived');
		const photo = await newPhoto(id);
		const run = await runAlbum('delete', { albumId: rl(String(id)) });
		expect(run.error).toBeUndefined();
		expect(run.items).toEqual([{ json: { id, deleted: true }, pairedItem: { item: 0 } }]);
		expect(emu.state.albums.has(id)).toBe(false);
		expect(emu.state.images.get(photo)?.albumId).toBe(UNCLASSIFIED);
	});

	test('the default album cannot be deleted: a clear error, the album stays', async () => {
		const run = await runAlbum('delete', { albumId: rl(String(UNCLASSIFIED)) });
		expect(run.error?.message).toBe(`Album ${UNCLASSIFIED} is the project's default album, which Procore does not let anyone delete`);
		expect(run.error?.description).toMatch(/Choose another album/);
		expect(emu.state.albums.has(UNCLASSIFIED)).toBe(true);
	});

	test('a default album under another name ("Sin clasificar") is recognised as the default too', async () => {
		const secondBeta = 2102;
		const fallback = emu.defaultAlbum(secondBeta);
		if (!fallback) throw new Error('project 2102 has no default album in the emulator');
		expect(fallback.name).toBe('Sin clasificar');
		const run = await runAlbum('delete', { companyId: rl(BETA), projectId: rl(String(secondBeta)), albumId: rl(String(fallback.id)) });
		expect(run.error?.message).toBe(`Album ${fallback.id} is the project's default album, which Procore does not let anyone delete`);
		expect(emu.state.albums.has(fallback.id)).toBe(true);
	});

	test('a 404 on the first send fails and names the album and project', async () => {
		const run = await runAlbum('delete', { albumId: rl('777777') });
		expect(run.error?.message).toMatch(/^Deleting album 777777 in project 2001: Procore could not find it \(404\)/);
	});

	test('a delete whose answer is lost is sent again; its 404 means done', async () => {
		const id = await newAlbum('Dropped Delete');
		emu.faults.inject({ method: 'DELETE', path: '/rest/v1.0/image_categories/*', drop: 'after-processing' });
		const run = await runAlbum('delete', { albumId: rl(String(id)) });
		expect(run.error).toBeUndefined();
		expect(run.items[0].json).toEqual({ id, deleted: true });
		expect(apiCalls('DELETE').map((request) => request.status)).toEqual([0, 404]);
		expect(emu.state.albums.has(id)).toBe(false);
	});
});

describe('Album → Get or Create', () => {
	test('many items naming one missing album create it once; only the creating item says created', async () => {
		const names = ['Level 4 Deck', 'level 4 deck', 'LEVEL 4 DECK', 'Level 4 Deck', 'Level 4 deck'];
		const run = await runAlbum('getOrCreate', { albumName: '={{ $json.name }}' }, names.map((name) => ({ json: { name } })));
		expect(run.error).toBeUndefined();
		expect(albumsNamed('Level 4 Deck')).toHaveLength(1);
		expect(apiCalls('POST', '/rest/v1.0/image_categories')).toHaveLength(1);
		expect(apiCalls('GET', '/rest/v1.0/image_categories')).toHaveLength(1);
		const id = albumsNamed('Level 4 Deck')[0].id;
		expect(run.items.map((item) => item.json.id)).toEqual(names.map(() => id));
		expect(run.items.filter((item) => item.json.created === true)).toHaveLength(1);
		expect(run.items.map((item) => item.pairedItem)).toEqual(names.map((_, item) => ({ item })));
	});

	test('an existing album is found, not created', async () => {
		const run = await runAlbum('getOrCreate', { albumName: 'safety walks' });
		expect(run.error).toBeUndefined();
		expect(run.items[0].json).toMatchObject({ id: SAFETY_WALKS, name: 'Safety Walks', created: false });
		expect(apiCalls('POST')).toHaveLength(0);
	});

	test('a lost answer to the create: found by name, still one album', async () => {
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/image_categories', drop: 'after-processing' });
		const run = await runAlbum('getOrCreate', { albumName: 'Curtain Wall' }, [{ json: {} }, { json: {} }]);
		expect(run.error).toBeUndefined();
		expect(albumsNamed('Curtain Wall')).toHaveLength(1);
		expect(run.items.map((item) => item.json.id)).toEqual([albumsNamed('Curtain Wall')[0].id, albumsNamed('Curtain Wall')[0].id]);
	});

	test('Continue On Fail: an empty name fails in its own item, the others go on, in order', async () => {
		const run = await runAlbum(
			'getOrCreate',
			{ albumName: '={{ $json.name }}' },
			[{ json: { name: 'Site Progress' } }, { json: { name: ' ' } }, { json: { name: 'Stair Core' } }],
			{ continueOnFail: true },
		);
		expect(run.error).toBeUndefined();
		expect(run.items[0].json).toMatchObject({ id: SITE_PROGRESS, created: false });
		expect(run.items[1].json.error).toBe('Name is empty');
		expect(run.items[2].json).toMatchObject({ name: 'Stair Core', created: true });
		expect(run.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});
});
