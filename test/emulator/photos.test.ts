/**
 * Self-tests of the emulator's Photos tool beyond Create (procore-api.md §6.2, §6.3, §11): list
 * filters, show, update, delete, albums, file links and downloads — over real HTTP with Node's
 * fetch, photos created through the real upload flow.
 */
import { randomBytes } from 'crypto';
import { SEED } from './index';
import { sha256, useSelfTestEmulator, type Json } from './selftest';

const MiB = 1024 * 1024;

const kit = useSelfTestEmulator();
const { api } = kit;

interface PhotoOptions {
	project?: number;
	company?: number;
	token?: string;
	name?: string;
	image?: Record<string, unknown>;
	segmentBytes?: number;
}

/**
 * Creates a photo the way the node does: Create Upload, send the bytes to storage (one form POST,
 * or segment PUTs when segmentBytes is given), then Create Image with the upload's uuid.
 */
async function createPhoto(bytes: Buffer, o: PhotoOptions = {}): Promise<Json> {
	const project = o.project ?? 2001;
	const company = o.company ?? 1001;
	const token = o.token ?? kit.userToken;
	const name = o.name ?? 'photo.jpg';
	const path = `/rest/v1.1/projects/${project}/uploads`;
	let uuid: string;
	if (o.segmentBytes) {
		const parts: Buffer[] = [];
		for (let at = 0; at < bytes.length; at += o.segmentBytes) parts.push(bytes.subarray(at, at + o.segmentBytes));
		const up = await api(path, { token, company, json: { response_filename: name, segments: parts.map((p) => ({ size: p.length, sha256: sha256(p) })) } });
		expect(up.status).toBe(201);
		const etags: string[] = [];
		for (let i = 0; i < parts.length; i++) {
			const seg = up.json.segments[i];
			const res = await fetch(seg.url, { method: 'PUT', headers: seg.headers, body: parts[i] as Uint8Array<ArrayBuffer> });
			expect(res.status).toBe(200);
			etags.push(res.headers.get('etag')!);
		}
		const done = await api(`${path}/${up.json.uuid}`, { method: 'PATCH', token, company, json: { segments: etags.map((etag) => ({ etag })) } });
		expect(done.status).toBe(200);
		uuid = up.json.uuid;
	} else {
		const up = await api(path, { token, company, json: { response_filename: name } });
		expect(up.status).toBe(201);
		const fd = new FormData();
		for (const [k, v] of Object.entries(up.json.fields as Record<string, string>)) fd.append(k, v);
		fd.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), name);
		expect((await fetch(up.json.url, { method: 'POST', body: fd })).status).toBe(204);
		uuid = up.json.uuid;
	}
	const albumId = (o.image?.image_category_id as number | undefined) ?? (project === 2001 ? 5002 : undefined);
	const created = await api(`/rest/v1.0/images?project_id=${project}`, { token, company, json: { upload_uuid: uuid, image_name: name, image: { ...o.image, image_category_id: albumId } } });
	expect(created.status).toBe(201);
	return created.json;
}

/** Follows a file link by hand: the token to the api host only, then the redirect without it. */
async function download(link: string, token: string | null = kit.userToken) {
	const first = await fetch(link, { headers: token ? { authorization: `Bearer ${token}` } : {}, redirect: 'manual' });
	if (first.status !== 302) return { status: first.status, first, text: await first.text() };
	const location = first.headers.get('location')!;
	const res = await fetch(location);
	return { status: res.status, first, location, res, bytes: Buffer.from(await res.arrayBuffer()) };
}

const fakeJpeg = (n: number) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(n - 4)]);

describe('file links and downloads', () => {
	test('url needs the token, redirects to storage, which refuses the token and serves the bytes', async () => {
		const bytes = fakeJpeg(40 * 1024);
		const img = await createPhoto(bytes, { name: 'north facade.jpg' });
		expect(img.url.startsWith(`${kit.emu.apiUrl}/`)).toBe(true);
		expect(img.thumbnail_url.startsWith(`${kit.emu.apiUrl}/`)).toBe(true);
		expect(img.url).not.toBe(img.thumbnail_url);

		const anonymous = await download(img.url, null);
		expect(anonymous.status).toBe(401);
		const bogusToken = await download(img.url, 'not-a-token');
		expect(bogusToken.status).toBe(401);

		const first = await fetch(img.url, { headers: { authorization: `Bearer ${kit.userToken}` }, redirect: 'manual' });
		expect(first.status).toBe(302);
		const location = first.headers.get('location')!;
		expect(location.startsWith(`${kit.emu.storageUrl}/`)).toBe(true);
		const withToken = await fetch(location, { headers: { authorization: `Bearer ${kit.userToken}` } });
		expect(withToken.status).toBe(400);
		expect(await withToken.text()).toContain('<Code>InvalidArgument</Code>');

		const res = await fetch(location);
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('image/jpeg');
		expect(res.headers.get('content-length')).toBe(String(bytes.length));
		expect(res.headers.get('content-disposition')).toContain('filename="north facade.jpg"');
		expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(bytes));
	});

	test('the thumbnail is the first tenth of the photo, as a JPEG named thumbnail_…', async () => {
		const bytes = fakeJpeg(12345);
		const img = await createPhoto(bytes, { name: 'slab.png' });
		const thumb = await download(img.thumbnail_url);
		expect(thumb.status).toBe(200);
		expect(thumb.bytes!.equals(bytes.subarray(0, 1235))).toBe(true);
		expect(thumb.res!.headers.get('content-type')).toBe('image/jpeg');
		expect(thumb.res!.headers.get('content-disposition')).toContain('filename="thumbnail_slab.jpg"');
		const full = await download(img.url);
		expect(full.res!.headers.get('content-type')).toBe('image/png');
	});

	test('a service-account token works without Procore-Company-Id; a user of another company gets 404', async () => {
		const img = await createPhoto(fakeJpeg(2000));
		expect((await download(img.url, kit.dmsaToken)).status).toBe(200);
		const outsider = kit.emu.issueToken({ userId: SEED.otherUserId }).access_token;
		expect((await download(img.url, outsider)).status).toBe(200);
		kit.emu.state.users.get(SEED.otherUserId)!.companyIds = [];
		try {
			expect((await download(img.url, outsider)).status).toBe(404);
		} finally {
			kit.emu.state.users.get(SEED.otherUserId)!.companyIds = [1001];
		}
	});

	test('links expire (fileLinkTtlMs → 403); a fresh read gives a working link; a tampered link is 404', async () => {
		const img = await createPhoto(fakeJpeg(3000));
		kit.emu.configure({ fileLinkTtlMs: 1 });
		let stale: Json;
		try {
			stale = (await api(`/rest/v1.0/images/${img.id}?project_id=2001`)).json;
		} finally {
			kit.emu.configure({ fileLinkTtlMs: 3600 * 1000 });
		}
		await new Promise((r) => setTimeout(r, 10));
		const expired = await download(stale.url);
		expect(expired.status).toBe(403);
		expect(JSON.parse(expired.text!).errors).toMatch(/expired/);
		const fresh = (await api(`/rest/v1.0/images/${img.id}?project_id=2001`)).json;
		expect((await download(fresh.url)).status).toBe(200);
		const tampered = fresh.url.replace(/signature=[^&]+/, 'signature=AAAA');
		expect((await download(tampered)).status).toBe(404);
	});

	test('2 MB (form upload) and 50 MB (segmented) photos come back byte for byte, kept on disk', async () => {
		const two = randomBytes(2 * MiB + 17);
		const img2 = await createPhoto(two, { name: 'two.jpg' });
		const obj2 = kit.emu.state.objects.get(kit.emu.state.images.get(img2.id).objectKey);
		expect(obj2.bytes).toBeNull();
		expect(typeof obj2.file).toBe('string');
		const got2 = await download(img2.url);
		expect(got2.res!.headers.get('content-length')).toBe(String(two.length));
		expect(sha256(got2.bytes!)).toBe(sha256(two));

		const fifty = randomBytes(50 * 1000 * 1000);
		const img50 = await createPhoto(fifty, { name: 'fifty.jpg', segmentBytes: 5 * MiB });
		const upload = kit.emu.state.uploads.get(kit.emu.state.images.get(img50.id).uploadUuid);
		expect(upload.segments).toHaveLength(10);
		expect(upload.segments.every((s: Json) => typeof s.file === 'string')).toBe(true);
		const got50 = await download(img50.url);
		expect(got50.status).toBe(200);
		expect(got50.bytes!.length).toBe(fifty.length);
		expect(sha256(got50.bytes!)).toBe(sha256(fifty));
		// Memory stays small: no stored object holds more than keepBytesUpTo in memory.
		expect([...kit.emu.state.objects.values()].every((o: Json) => !o.bytes || o.bytes.length <= kit.emu.options.keepBytesUpTo)).toBe(true);
		const thumb50 = await download(img50.thumbnail_url);
		expect(thumb50.bytes!.equals(fifty.subarray(0, 64 * 1024))).toBe(true);
	}, 60000);
});

describe('list filters (project 2101, company 1002)', () => {
	const list = (query: string) => api(`/rest/v1.0/images?project_id=2101&${query}`, { company: 1002 });
	const ids = async (query: string) => {
		const r = await list(query);
		expect(r.status).toBe(200);
		return (r.json as Json[]).map((i) => i.id);
	};
	let a: Json;
	let b: Json;
	let c: Json;
	let createdFrom: string;

	beforeAll(async () => {
		createdFrom = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000).toISOString().replace(/\.\d{3}/, '');
		const on = { project: 2101, company: 1002 };
		a = await createPhoto(fakeJpeg(900), { ...on, name: 'north.jpg', image: { image_category_id: 5009, location_id: 6010, trade_ids: [4006], log_date: '2026-11-01', starred: true, description: 'Facade, day 1' } });
		b = await createPhoto(fakeJpeg(900), { ...on, name: 'rebar.png', image: { image_category_id: 5009, location_id: 6011, trade_ids: [4007], log_date: '2026-11-15', private: true, description: 'Rebar check' } });
		c = await createPhoto(fakeJpeg(900), { ...on, token: kit.dmsaToken, name: 'site.jpg', image: { image_category_id: 5008, location_id: 6012 } });
	});

	test('no filter: every photo, oldest first, with paging headers', async () => {
		expect(await ids('')).toEqual([a.id, b.id, c.id]);
		const page2 = await list('per_page=2&page=2');
		expect(page2.json.map((i: Json) => i.id)).toEqual([c.id]);
		expect(page2.headers.get('total')).toBe('3');
		expect(page2.headers.get('per-page')).toBe('2');
		expect(page2.headers.get('link')).toContain('rel="prev"');
	});

	test('album, dates, flags, locations with sublocations, trades, query, ids, uploader', async () => {
		expect(await ids('image_category_id=5009')).toEqual([a.id, b.id]);
		expect(await ids('filters[log_date]=2026-11-01')).toEqual([a.id]);
		expect(await ids('filters[log_date]=2026-11-01...2026-11-30')).toEqual([a.id, b.id]);
		expect(await ids('filters[private]=true')).toEqual([b.id]);
		expect(await ids('filters[starred]=true')).toEqual([a.id]);
		expect(await ids('filters[location_id][]=6010')).toEqual([a.id]);
		expect(await ids('filters[location_id][]=6010&filters[include_sublocations]=true')).toEqual([a.id, b.id]);
		expect(await ids('filters[location_id][]=6011&filters[location_id][]=6012')).toEqual([b.id, c.id]);
		expect(await ids('filters[trade_ids][]=4007')).toEqual([b.id]);
		expect(await ids('filters[query]=REBAR')).toEqual([b.id]);
		expect(await ids('filters[query]=facade')).toEqual([a.id]);
		expect(await ids('filters[query]=site.j')).toEqual([c.id]);
		expect(await ids(`filters[id][]=${a.id}&filters[id][]=${c.id}`)).toEqual([a.id, c.id]);
		expect(await ids(`filters[uploader_id][]=${SEED.serviceAccountUserId}`)).toEqual([c.id]);
		expect(await ids(`filters[uploader_id][]=${SEED.userId}&filters[starred]=false`)).toEqual([b.id]);
	});

	test('created_at / updated_at ranges YYYY-MM-DDTHH:MM:SSZ...YYYY-MM-DDTHH:MM:SSZ', async () => {
		const until = new Date(Date.now() + 60000).toISOString().replace(/\.\d{3}/, '');
		expect(await ids(`filters[created_at]=${createdFrom}...${until}`)).toEqual([a.id, b.id, c.id]);
		expect(await ids('filters[created_at]=2020-01-01T00:00:00Z...2020-12-31T23:59:59Z')).toEqual([]);
		expect(await ids(`filters[updated_at]=${createdFrom}...${until}`)).toEqual([a.id, b.id, c.id]);
		expect(await ids('filters[updated_at]=2020-01-01T00:00:00%2B02:00...2020-01-02T00:00:00%2B02:00')).toEqual([]);
	});

	test('sorts and the ids_only view', async () => {
		expect(await ids('sort=-created_at')).toEqual([c.id, b.id, a.id]);
		expect(await ids('sort=created_at')).toEqual([a.id, b.id, c.id]);
		expect(await ids('sort=most_recent')).toEqual([c.id, b.id, a.id]);
		expect(await ids('sort=-most_recent')).toEqual([a.id, b.id, c.id]);
		expect(await ids('sort=taken_at')).toEqual([a.id, b.id, c.id]);
		const idsOnly = await list('serializer_view=ids_only&sort=-created_at');
		expect(idsOnly.json).toEqual([c.id, b.id, a.id]);
	});

	test.each([
		['filters[log_date]=2026-13-01', 'filters[log_date]'],
		['filters[log_date]=2026-11-30...2026-11-01', 'filters[log_date]'],
		['filters[private]=yes', 'filters[private]'],
		['filters[location_id]=6010', 'filters[location_id]'],
		['filters[trade_ids][]=concrete', 'filters[trade_ids][]'],
		['filters[id][]=1.5', 'filters[id][]'],
		['filters[created_at]=2026-01-01T00:00:00.000Z...2026-01-02T00:00:00.000Z', 'filters[created_at]'],
		['filters[created_at]=2026-01-01T00:00:00Z', 'filters[created_at]'],
		['filters[updated_at]=2026-01-01...2026-01-02', 'filters[updated_at]'],
		['filters[projection]=fisheye', 'filters[projection]'],
		['sort=name', 'sort'],
		['serializer_view=everything', 'serializer_view'],
		['image_category_id=abc', 'image_category_id'],
	])('a bad value is refused with 400: %s', async (query, name) => {
		const r = await list(query);
		expect(r.status).toBe(400);
		expect(r.json.error.code).toBe('invalid_parameter');
		expect(r.json.error.message).toContain(name);
	});
});

describe('show, update, delete', () => {
	test('show: another project\'s photo or an unknown id is 404 in Procore\'s {"error"} shape', async () => {
		const img = await createPhoto(fakeJpeg(500));
		const shown = await api(`/rest/v1.0/images/${img.id}?project_id=2001`);
		expect(shown.status).toBe(200);
		expect(shown.json).toMatchObject({ id: img.id, permanently_deleted: false, image_category_id: 5002 });
		const elsewhere = await api(`/rest/v1.0/images/${img.id}?project_id=2003`);
		expect(elsewhere.status).toBe(404);
		expect(elsewhere.json).toEqual({ error: `Couldn't find Image with 'id'=${img.id}` });
		expect((await api('/rest/v1.0/images/999999?project_id=2001')).status).toBe(404);
		expect((await api(`/rest/v1.0/images/${img.id}`)).status).toBe(400);
	});

	test('update changes only the given fields, moves updated_at, and can move the photo to another album', async () => {
		const img = await createPhoto(fakeJpeg(500), { image: { description: 'before', trade_ids: [4001], location_id: 6001, log_date: '2026-10-01', starred: true } });
		await new Promise((r) => setTimeout(r, 5));
		const path = `/rest/v1.0/images/${img.id}?project_id=2001`;
		const r = await api(path, { method: 'PATCH', json: { image: { description: 'after' } } });
		expect(r.status).toBe(200);
		// Everything but description, updated_at and the freshly signed file links is unchanged.
		const unchanged = (o: Json) => Object.fromEntries(Object.entries(o).filter(([k]) => !['url', 'thumbnail_url', 'updated_at', 'description'].includes(k)));
		expect(unchanged(r.json)).toEqual(unchanged(img));
		expect(Object.keys(unchanged(img)).length).toBeGreaterThan(20);
		expect(r.json.description).toBe('after');
		expect(Date.parse(r.json.updated_at)).toBeGreaterThan(Date.parse(img.updated_at));

		const moved = await api(path, { method: 'PATCH', json: { image: { image_category_id: 5003, private: true, starred: false, trade_ids: [4003, 4004], log_date: null, location_id: null, daily_log_segment_id: 77 } } });
		expect(moved.status).toBe(200);
		expect(moved.json).toMatchObject({ image_category_id: 5003, image_category_name: 'Safety Walks', private: true, starred: false, log_date: null, location: null, daily_log_segment_id: 77, description: 'after' });
		expect(moved.json.trades.map((t: Json) => t.id)).toEqual([4003, 4004]);
		expect((await api(`/rest/v1.0/images?project_id=2001&image_category_id=5003&serializer_view=ids_only`)).json).toContain(img.id);

		const mt = await api(path, { method: 'PATCH', json: { image: { mt_location: ['Building Z', 'Roof'] } } });
		expect(mt.json.location).toMatchObject({ name: 'Building Z>Roof', node_name: 'Roof' });
		const form = new URLSearchParams([['image[trade_ids][]', '4002'], ['image[starred]', 'true']]);
		const viaForm = await api(path, { method: 'PATCH', body: form });
		expect(viaForm.status).toBe(200);
		expect(viaForm.json).toMatchObject({ starred: true, trades: [expect.objectContaining({ id: 4002 })] });
	});

	test('update refuses read-only and unknown fields, bad values, and changes nothing then', async () => {
		const img = await createPhoto(fakeJpeg(500), { image: { description: 'kept' } });
		const path = `/rest/v1.0/images/${img.id}?project_id=2001`;
		const readOnly = await api(path, { method: 'PATCH', json: { image: { taken_at: '2026-01-01T00:00:00Z', filename: 'x.jpg', description: 'changed' } } });
		expect(readOnly.status).toBe(422);
		expect(Object.keys(readOnly.json.errors).sort()).toEqual(['filename', 'taken_at']);
		const unknown = await api(path, { method: 'PATCH', json: { image: { source: 'API' } } });
		expect(unknown.status).toBe(422);
		expect(unknown.json.errors.source[0]).toContain('allowed:');
		const bad = await api(path, { method: 'PATCH', json: { image: { image_category_id: 5004, log_date: '2026-02-30', trade_ids: [4006], private: 'yes', location_id: 6004 } } });
		expect(bad.status).toBe(422);
		expect(Object.keys(bad.json.errors).sort()).toEqual(['image_category_id', 'location_id', 'log_date', 'private', 'trade_ids']);
		expect((await api(path, { method: 'PATCH', json: { image: { image_category_id: null } } })).json.errors.image_category_id).toEqual(["can't be blank"]);
		expect((await api(path, { method: 'PATCH', json: { image: { trade_ids: 4001 } } })).status).toBe(422);
		const missing = await api(path, { method: 'PATCH', json: { description: 'top level' } });
		expect(missing.status).toBe(400);
		expect((await api(path, { method: 'PATCH', json: { image: {} } })).status).toBe(400);
		const after = await api(path);
		expect(after.json).toMatchObject({ description: 'kept', updated_at: img.updated_at, image_category_id: 5002 });
		expect((await api(`/rest/v1.0/images/${img.id}?project_id=2003`, { method: 'PATCH', json: { image: { description: 'x' } } })).status).toBe(404);
	});

	test('delete: soft to the recycle bin (200, no body), then permanent; file links die', async () => {
		const img = await createPhoto(fakeJpeg(700), { image: { image_category_id: 5003 } });
		const path = `/rest/v1.0/images/${img.id}?project_id=2001`;
		const countBefore = (await api('/rest/v1.0/image_categories/5003?project_id=2001')).json.count;

		const soft = await api(path, { method: 'DELETE' });
		expect(soft.status).toBe(200);
		expect(soft.text).toBe('');
		expect((await api('/rest/v1.0/images?project_id=2001&serializer_view=ids_only&per_page=1000')).json).not.toContain(img.id);
		expect((await api('/rest/v1.0/images?project_id=2001&serializer_view=ids_only&filters[deleted]=true')).json).toContain(img.id);
		expect((await api('/rest/v1.0/image_categories/5003?project_id=2001')).json.count).toBe(countBefore - 1);
		const inBin = await api(path);
		expect(inBin.status).toBe(200);
		expect(inBin.json.permanently_deleted).toBe(false);
		expect((await api(path, { method: 'PATCH', json: { image: { description: 'x' } } })).status).toBe(404);
		expect((await api(path, { method: 'DELETE' })).status).toBe(200);
		expect((await api(`${path}&permanent=maybe`, { method: 'DELETE' })).status).toBe(400);

		const permanent = await api(`${path}&permanent=true`, { method: 'DELETE' });
		expect(permanent.status).toBe(200);
		expect(permanent.text).toBe('');
		expect((await api(path)).status).toBe(404);
		expect((await api(path, { method: 'DELETE' })).status).toBe(404);
		expect((await download(inBin.json.url)).status).toBe(404);
		expect((await api('/rest/v1.0/images?project_id=2001&serializer_view=ids_only&filters[deleted]=true')).json).not.toContain(img.id);
		expect(kit.emu.state.images.get(img.id)).toMatchObject({ permanentlyDeleted: true });

		const direct = await createPhoto(fakeJpeg(700));
		expect((await api(`/rest/v1.0/images/${direct.id}?project_id=2001&permanent=true`, { method: 'DELETE' })).status).toBe(200);
		expect((await api(`/rest/v1.0/images/${direct.id}?project_id=2001`)).status).toBe(404);
		expect((await api(`/rest/v1.0/images/${direct.id}?project_id=2003`, { method: 'DELETE' })).status).toBe(404);
	});
});

describe('albums', () => {
	const base = '/rest/v1.0/image_categories';

	test('create (201), duplicate names refused, cover photo is a working file link', async () => {
		const cover = await createPhoto(fakeJpeg(5000));
		const created = await api(`${base}?project_id=2001`, { json: { image_category: { name: '  Concrete Pours ', private: true, album_cover_id: cover.id } } });
		expect(created.status).toBe(201);
		expect(created.json).toEqual({ id: expect.any(Number), name: 'Concrete Pours', position: 3, album_cover_id: cover.id, created_at: expect.any(String), private: true, count: 0 });
		const dup = await api(`${base}?project_id=2001`, { json: { image_category: { name: 'concrete pours' } } });
		expect(dup.status).toBe(422);
		expect(dup.json).toEqual({ errors: { name: ['has already been taken'] } });
		expect((await api(`${base}?project_id=2001`, { json: { image_category: { name: 'X', album_cover_id: 999999 } } })).json.errors.album_cover_id).toEqual(['is invalid']);
		expect((await api(`${base}?project_id=2001`, { json: { name: 'X' } })).status).toBe(400);

		const listed = (await api(`${base}?project_id=2001`)).json.find((a: Json) => a.id === created.json.id);
		expect(listed).toMatchObject({ name: 'Concrete Pours', private: true, count: 0, position: 3, links: { show: expect.any(String), update: expect.any(String), delete: expect.any(String) } });
		expect(listed.cover_photo.startsWith(kit.emu.apiUrl)).toBe(true);
		expect((await download(listed.cover_photo)).status).toBe(200);
		const unclassified = (await api(`${base}?project_id=2001`)).json.find((a: Json) => a.id === 5001);
		expect(unclassified).toMatchObject({ links: {}, cover_photo: null, position: 0 });
	});

	test('update: rename, private, cover; name required; the default album cannot change', async () => {
		const album = (await api(`${base}?project_id=2001`, { json: { image_category: { name: 'Formwork' } } })).json;
		const photo = await createPhoto(fakeJpeg(800), { image: { image_category_id: album.id } });
		const path = `${base}/${album.id}?project_id=2001`;
		const r = await api(path, { method: 'PATCH', json: { image_category: { name: 'Formwork (level 3)', private: true, album_cover_id: photo.id } } });
		expect(r.status).toBe(200);
		expect(r.json).toMatchObject({ id: album.id, name: 'Formwork (level 3)', private: true, album_cover_id: photo.id, count: 1 });
		expect((await api(`/rest/v1.0/images/${photo.id}?project_id=2001`)).json).toMatchObject({ image_category_name: 'Formwork (level 3)', image_category_private: true });
		const noName = await api(path, { method: 'PATCH', json: { image_category: { private: false } } });
		expect(noName.status).toBe(422);
		expect(noName.json.errors.name).toEqual(["can't be blank"]);
		expect((await api(path, { method: 'PATCH', json: { image_category: { name: 'Site Progress' } } })).json.errors.name).toEqual(['has already been taken']);
		expect((await api(path, { method: 'PATCH', json: { image_category: { name: 'Formwork (level 3)', album_cover_id: null } } })).json.album_cover_id).toBeNull();
		const defaultAlbum = await api(`${base}/5001?project_id=2001`, { method: 'PATCH', json: { image_category: { name: 'Misc' } } });
		expect(defaultAlbum.status).toBe(403);
		expect(typeof defaultAlbum.json.errors).toBe('string');
		expect((await api(`${base}/5004?project_id=2001`, { method: 'PATCH', json: { image_category: { name: 'Y' } } })).status).toBe(404);
	});

	test('delete: 200, its photos move to Unclassified; the default album cannot be deleted; ids_with_images', async () => {
		const album = (await api(`${base}?project_id=2001`, { json: { image_category: { name: 'Temporary' } } })).json;
		const photo = await createPhoto(fakeJpeg(800), { image: { image_category_id: album.id } });
		expect((await api(`${base}/ids_with_images?project_id=2001`)).json).toContain(album.id);
		const gone = await api(`${base}/${album.id}?project_id=2001`, { method: 'DELETE' });
		expect(gone.status).toBe(200);
		expect(gone.text).toBe('');
		expect((await api(`${base}/${album.id}?project_id=2001`)).status).toBe(404);
		expect((await api(`/rest/v1.0/images/${photo.id}?project_id=2001`)).json).toMatchObject({ image_category_id: 5001, image_category_name: 'Unclassified' });
		expect((await api(`${base}/ids_with_images?project_id=2001`)).json).not.toContain(album.id);
		expect((await api(`${base}/5001?project_id=2001`, { method: 'DELETE' })).status).toBe(403);
		expect((await api(`${base}/5001?project_id=2001`)).status).toBe(200);
	});
});
