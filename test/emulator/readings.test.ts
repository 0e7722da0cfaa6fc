/**
 * Self-tests of the emulator's switches for the contested readings of Procore's documents
 * (issue #9; see README "Contested readings"): each switch is turned on, shown to change the
 * answer over real HTTP with Node's fetch, and turned back off.
 */
import { DEFAULTS, SEED } from './index';
import { sha256, useSelfTestEmulator, type Emulator, type Json } from './selftest';
import { gate } from './readings';

type Options = Parameters<Emulator['configure']>[0];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const MISSING_COMPANY_TEXT =
	'Missing Procore-Company-Id header!  Each call your application makes to the Procore API must contain a request header that includes the Procore-Company-Id field.';


const kit = useSelfTestEmulator();
const { api } = kit;

/** Runs `body` with options changed, then puts the defaults back. */
async function withOptions(options: Options, body: () => Promise<void>) {
	kit.emu.configure(options);
	try {
		await body();
	} finally {
		const restore: Record<string, unknown> = {};
		for (const k of Object.keys(options)) restore[k] = (DEFAULTS as Record<string, unknown>)[k];
		kit.emu.configure(restore as Options);
	}
}

const photo = Buffer.from('\xff\xd8\xff\xe0 site photo '.repeat(200), 'latin1');

/** A completed one-part upload (create, then the storage POST form with `file` last). */
async function completedUpload(o: { project?: number; company?: number; version?: string; token?: string; bytes?: Uint8Array } = {}) {
	const project = o.project ?? 2001;
	const up = await api(`/rest/v${o.version ?? '1.1'}/projects/${project}/uploads`, { json: { response_filename: 'photo.jpg' }, company: o.company, token: o.token });
	expect(up.status).toBe(201);
	const fd = new FormData();
	for (const [k, v] of Object.entries(up.json.fields as Record<string, string>)) fd.append(k, v);
	fd.append('file', new Blob([(o.bytes ?? photo) as Uint8Array<ArrayBuffer>]), 'photo.jpg');
	const stored = await fetch(up.json.url, { method: 'POST', body: fd });
	expect(stored.status).toBe(204);
	return up.json.uuid as string;
}

/** A segmented upload whose segments are stored; returns what the completion PATCH needs. */
async function storedSegments(version: string, parts: Buffer[]) {
	const base = `/rest/v${version}/projects/2001/uploads`;
	const up = await api(base, { json: { response_filename: 'big.jpg', segments: parts.map((p) => ({ size: p.length, sha256: sha256(p) })) } });
	expect(up.status).toBe(201);
	const etags: string[] = [];
	for (let i = 0; i < parts.length; i++) {
		const seg = up.json.segments[i];
		const res = await fetch(seg.url, { method: 'PUT', headers: { ...seg.headers, 'content-type': 'application/octet-stream' }, body: parts[i] as Uint8Array<ArrayBuffer> });
		expect(res.status).toBe(200);
		etags.push(res.headers.get('etag')!);
	}
	return { path: `${base}/${up.json.uuid}`, uuid: up.json.uuid as string, etags };
}

describe('regional web hosts', () => {
	test('GET /rest/v1.0/company_base_url answers the header company’s web host', async () => {
		const acme = await api('/rest/v1.0/company_base_url');
		expect(acme.status).toBe(200);
		expect(acme.json).toEqual({ web_base_url: 'https://us02.procore.com' });
		expect((await api('/rest/v1.0/company_base_url', { company: 1002 })).json).toEqual({ web_base_url: 'https://app.procore.com' });
		// Per-company state a test may change.
		kit.emu.state.companies.get(1002)!.webBaseUrl = 'https://uk01.procore.com';
		try {
			expect((await api('/rest/v1.0/company_base_url', { company: 1002 })).json).toEqual({ web_base_url: 'https://uk01.procore.com' });
		} finally {
			kit.emu.state.companies.get(1002)!.webBaseUrl = 'https://app.procore.com';
		}
		const missing = await api('/rest/v1.0/company_base_url', { company: null });
		expect(missing.status).toBe(400);
		expect(missing.text).toBe(MISSING_COMPANY_TEXT);
	});
});

describe('Create Image body form', () => {
	const nestedBody = (uuid: string) => ({ upload: { uuid, image_name: 'nested.jpg', source: 'Image from API' }, image: { image_category_id: 5002 } });
	const flatBody = (uuid: string) => ({ upload_uuid: uuid, image_name: 'flat.jpg', image: { image_category_id: 5002 } });

	test('flat (default) refuses the tutorial’s nested body', async () => {
		const r = await api('/rest/v1.0/images?project_id=2001', { json: nestedBody(await completedUpload()) });
		expect(r.status).toBe(422);
		expect(r.json).toEqual({ errors: { data: ["can't be blank"] } });
	});

	test('nested accepts upload{uuid, image_name, source} and refuses the flat body naming upload_uuid', async () => {
		await withOptions({ createImageBodyForm: 'nested' }, async () => {
			const created = await api('/rest/v1.0/images?project_id=2001', { json: nestedBody(await completedUpload()) });
			expect(created.status).toBe(201);
			expect(created.json.filename).toBe('nested.jpg');
			expect(kit.emu.state.images.get(created.json.id).source).toBe('Image from API');
			const flat = await api('/rest/v1.0/images?project_id=2001', { json: flatBody(await completedUpload()) });
			expect(flat.status).toBe(422);
			expect(flat.json).toEqual({ errors: { upload_uuid: ["can't be blank"], image_name: ["can't be blank"] } });
			const noName = await api('/rest/v1.0/images?project_id=2001', { json: { upload: { uuid: await completedUpload() }, image: { image_category_id: 5002 } } });
			expect(noName.status).toBe(422);
			expect(noName.json).toEqual({ errors: { image_name: ["can't be blank"] } });
		});
	});

	test('both accepts either form, and refuses two different uploads', async () => {
		await withOptions({ createImageBodyForm: 'both' }, async () => {
			expect((await api('/rest/v1.0/images?project_id=2001', { json: nestedBody(await completedUpload()) })).status).toBe(201);
			expect((await api('/rest/v1.0/images?project_id=2001', { json: flatBody(await completedUpload()) })).status).toBe(201);
			const a = await completedUpload();
			const b = await completedUpload();
			const two = await api('/rest/v1.0/images?project_id=2001', { json: { ...flatBody(a), ...nestedBody(b) } });
			expect(two.status).toBe(422);
			expect(Object.keys(two.json.errors)).toEqual(['base']);
		});
	});
});

describe('segmented uploads', () => {
	const parts = [Buffer.from('first segment bytes'), Buffer.from('last')];

	test('completionRequiresSizeAndSha256: etag alone and mismatches → 422; size, sha256 and etag → 200', async () => {
		await withOptions({ minSegmentBytes: 4, completionRequiresSizeAndSha256: true }, async () => {
			const { path, etags } = await storedSegments('1.1', parts);
			const bare = await api(path, { method: 'PATCH', json: { segments: etags.map((etag) => ({ etag })) } });
			expect(bare.status).toBe(422);
			expect(bare.json.errors.segments).toEqual(["segment 1: size can't be blank", "segment 1: sha256 can't be blank", "segment 2: size can't be blank", "segment 2: sha256 can't be blank"]);
			const wrong = await api(path, { method: 'PATCH', json: { segments: [{ etag: etags[0], size: parts[0].length + 1, sha256: sha256(parts[0]) }, { etag: etags[1], size: parts[1].length, sha256: sha256(parts[0]) }] } });
			expect(wrong.status).toBe(422);
			expect(wrong.json.errors.segments).toEqual([`segment 1: size ${parts[0].length + 1} does not match the declared ${parts[0].length}`, 'segment 2: sha256 does not match the declared one']);
			const full = await api(path, { method: 'PATCH', json: { segments: parts.map((p, i) => ({ size: p.length, sha256: sha256(p), etag: etags[i] })) } });
			expect(full.status).toBe(200);
			expect(full.json.status).toBe('complete');
		});
		// Default: the tutorial's etag-only body completes.
		await withOptions({ minSegmentBytes: 4 }, async () => {
			const { path, etags } = await storedSegments('1.1', parts);
			expect((await api(path, { method: 'PATCH', json: { segments: etags.map((etag) => ({ etag })) } })).status).toBe(200);
		});
	});

	test('uploadsV10Gone: every v1.0 uploads route → 404, v1.1 keeps working', async () => {
		const before = await api('/rest/v1.0/projects/2001/uploads', { json: { response_filename: 'a.jpg' } });
		expect(before.status).toBe(201);
		await withOptions({ uploadsV10Gone: true }, async () => {
			const create = await api('/rest/v1.0/projects/2001/uploads', { json: { response_filename: 'a.jpg' } });
			expect(create.status).toBe(404);
			expect(create.json).toEqual({ error: 'Not Found' });
			expect((await api(`/rest/v1.0/projects/2001/uploads/${before.json.uuid}`)).status).toBe(404);
			expect((await api(`/rest/v1.0/projects/2001/uploads/${before.json.uuid}`, { method: 'PATCH', json: { segments: [] } })).status).toBe(404);
			expect((await api('/rest/v1.0/companies/1001/uploads', { json: { response_filename: 'a.jpg' } })).status).toBe(404);
			expect((await api('/rest/v1.1/projects/2001/uploads', { json: { response_filename: 'a.jpg' } })).status).toBe(201);
			expect((await api(`/rest/v1.1/projects/2001/uploads/${before.json.uuid}`)).status).toBe(200);
		});
	});

	test('repeatedCompletion: ok (default) → 200, 410, 422; show says complete on v1.0 and v1.1', async () => {
		await withOptions({ minSegmentBytes: 4 }, async () => {
			for (const [reading, status] of [['ok', 200], [410, 410], [422, 422]] as const) {
				kit.emu.configure({ repeatedCompletion: reading });
				const { path, uuid, etags } = await storedSegments('1.0', parts);
				const body = { segments: etags.map((etag) => ({ etag })) };
				expect((await api(path, { method: 'PATCH', json: body })).status).toBe(200);
				const again = await api(path, { method: 'PATCH', json: body });
				expect(again.status).toBe(status);
				if (status === 410) expect(again.json).toEqual({ error: `Upload ${uuid} has already been completed` });
				if (status === 422) expect(again.json).toEqual({ message: `Upload ${uuid} has already been completed`, error: 'Unprocessable Entity' });
				for (const version of ['1.0', '1.1']) {
					const shown = await api(`/rest/v${version}/projects/2001/uploads/${uuid}`);
					expect(shown.status).toBe(200);
					expect(shown.json.status).toBe('complete');
				}
			}
			kit.emu.configure({ repeatedCompletion: 'ok' });
		});
	});

	test('v1.1 project uploads: response_filename required; one-part and segmented both make a photo', async () => {
		const missing = await api('/rest/v1.1/projects/2001/uploads', { json: {} });
		expect(missing.status).toBe(400);
		expect(missing.json.error.message).toContain('response_filename');
		const onePart = await completedUpload({ version: '1.1' });
		const shown = await api(`/rest/v1.1/projects/2001/uploads/${onePart}`);
		expect(shown.json.status).toBe('complete');
		await withOptions({ minSegmentBytes: 4 }, async () => {
			const { path, uuid, etags } = await storedSegments('1.1', parts);
			expect((await api(path, { method: 'PATCH', json: { segments: etags.map((etag) => ({ etag })) } })).json.status).toBe('complete');
			for (const upload of [onePart, uuid]) {
				const img = await api('/rest/v1.0/images?project_id=2001', { json: { upload_uuid: upload, image_name: 'v11.jpg', image: { image_category_id: 5002 } } });
				expect(img.status).toBe(201);
			}
			expect(kit.emu.state.images.get([...kit.emu.state.images.keys()].pop()!).size).toBe(parts[0].length + parts[1].length);
		});
	});
});

describe('default album', () => {
	test('without image_category_id: strict → 422; otherwise the default album, whatever its name', async () => {
		const strict = await api('/rest/v1.0/images?project_id=2001', { json: { upload_uuid: await completedUpload(), image_name: 'a.jpg', image: { description: 'no album' } } });
		expect(strict.status).toBe(422);
		expect(strict.json).toEqual({ errors: { image_category_id: ["can't be blank"] } });
		await withOptions({ requireImageCategory: false }, async () => {
			// Seeded: Beta Project 002's default album is "Sin clasificar".
			const spanish = kit.emu.defaultAlbum(SEED.projects.secondBeta)!;
			expect(spanish.name).toBe('Sin clasificar');
			const uuid = await completedUpload({ project: SEED.projects.secondBeta, company: 1002 });
			const r = await api(`/rest/v1.0/images?project_id=${SEED.projects.secondBeta}`, { company: 1002, json: { upload_uuid: uuid, image_name: 'b.jpg', image: { description: 'no album' } } });
			expect(r.status).toBe(201);
			expect(r.json).toMatchObject({ image_category_id: spanish.id, image_category_name: 'Sin clasificar' });
			// Renamed, and then another album made the default, in Harbor Tower.
			kit.emu.setDefaultAlbum(2001, { name: 'Général' });
			const renamed = await api('/rest/v1.0/images?project_id=2001', { json: { upload_uuid: await completedUpload(), image_name: 'c.jpg', image: { description: 'no album' } } });
			expect(renamed.json).toMatchObject({ image_category_id: 5001, image_category_name: 'Général' });
			kit.emu.setDefaultAlbum(2001, { albumId: 5003 });
			const moved = await api('/rest/v1.0/images?project_id=2001', { json: { upload_uuid: await completedUpload(), image_name: 'd.jpg', image: { description: 'no album' } } });
			expect(moved.json).toMatchObject({ image_category_id: 5003, image_category_name: 'Safety Walks' });
		});
		kit.emu.setDefaultAlbum(2001, { albumId: 5001, name: 'Unclassified' });
	});
});

describe('Disable Dynamic Location Creation', () => {
	const create = async (mt_location: string[]) =>
		api('/rest/v1.0/images?project_id=2001', { json: { upload_uuid: await completedUpload(), image_name: 'loc.jpg', image: { image_category_id: 5002, mt_location } } });

	test('on: an existing path resolves; a new one is refused (or ignored); find_or_create_by_path refuses too', async () => {
		const project = kit.emu.state.projects.get(2001)!;
		project.disableDynamicLocationCreation = true;
		try {
			const locationsBefore = kit.emu.locations(2001).length;
			const existing = await create(['Building A', 'Level 2']);
			expect(existing.status).toBe(201);
			expect(existing.json.location).toMatchObject({ id: 6002, name: 'Building A>Level 2' });
			const refused = await create(['Building A', 'Level 9']);
			expect(refused.status).toBe(422);
			expect(refused.json.errors.mt_location[0]).toContain('"Disable Dynamic Location Creation"');
			const byPath = await api('/rest/v1.0/projects/2001/locations/find_or_create_by_path', { json: { location: { path: ['Building C'] } } });
			expect(byPath.status).toBe(422);
			expect(byPath.json.errors.path[0]).toContain('"Disable Dynamic Location Creation"');
			expect((await api('/rest/v1.0/projects/2001/locations/find_or_create_by_path', { json: { location: { path: ['Building B'] } } })).status).toBe(200);
			await withOptions({ dynamicLocationRefusal: 'ignore' }, async () => {
				const ignored = await create(['Building A', 'Level 9']);
				expect(ignored.status).toBe(201);
				expect(ignored.json.location).toBeNull();
			});
			expect(kit.emu.locations(2001).length).toBe(locationsBefore);
		} finally {
			project.disableDynamicLocationCreation = false;
		}
		// Update: the same refusal, or the path is dropped and the photo keeps its location.
		const photoId = (await create(['Building B'])).json.id;
		project.disableDynamicLocationCreation = true;
		try {
			const path = `/rest/v1.0/images/${photoId}?project_id=2001`;
			const refused = await api(path, { method: 'PATCH', json: { image: { mt_location: ['Building Q'] } } });
			expect(refused.status).toBe(422);
			expect(refused.json.errors.mt_location[0]).toContain('"Disable Dynamic Location Creation"');
			await withOptions({ dynamicLocationRefusal: 'ignore' }, async () => {
				const ignored = await api(path, { method: 'PATCH', json: { image: { mt_location: ['Building Q'], description: 'kept' } } });
				expect(ignored.status).toBe(200);
				expect(ignored.json).toMatchObject({ description: 'kept', location: { id: 6003 } });
			});
			expect((await api(path, { method: 'PATCH', json: { image: { mt_location: ['Building A', 'Level 2'] } } })).json.location.id).toBe(6002);
		} finally {
			project.disableDynamicLocationCreation = false;
		}
		// Off (seeded): the new path is created.
		const created = await create(['Building A', 'Level 9']);
		expect(created.status).toBe(201);
		expect(created.json.location.name).toBe('Building A>Level 9');
	});
});

describe('lists after a lost answer', () => {
	test('listLagMs: show sees a new photo at once, the list only after the lag', async () => {
		await withOptions({ listLagMs: 400 }, async () => {
			const img = await api('/rest/v1.0/images?project_id=2001', { json: { upload_uuid: await completedUpload(), image_name: 'lag.jpg', image: { image_category_id: 5002 } } });
			expect(img.status).toBe(201);
			const byId = `/rest/v1.0/images?project_id=2001&filters[id][]=${img.json.id}`;
			expect((await api(byId)).json).toEqual([]);
			expect((await api(`/rest/v1.0/images/${img.json.id}?project_id=2001`)).status).toBe(200);
			// Photos made before the lag was switched on stay listed.
			const listedBefore = Number((await api('/rest/v1.0/images?project_id=2001')).headers.get('total'));
			expect(listedBefore).toBeGreaterThan(0);
			await sleep(450);
			expect((await api(byId)).json.map((i: Json) => i.id)).toEqual([img.json.id]);
			expect(Number((await api('/rest/v1.0/images?project_id=2001')).headers.get('total'))).toBe(listedBefore + 1);
		});
	});

	test('another user’s photo with the same file name; filters[uploader_id][]; /me names the token’s user', async () => {
		const mine = await api('/rest/v1.0/images?project_id=2001', { json: { upload_uuid: await completedUpload(), image_name: 'IMG_0420.jpg', image: { image_category_id: 5002 } } });
		const theirs = kit.emu.createImageAs({ userId: SEED.otherUserId, projectId: 2001, filename: 'IMG_0420.jpg', size: 2048, albumId: 5002 });
		expect(theirs).toMatchObject({ uploaderId: 3002, filename: 'IMG_0420.jpg', size: 2048, albumId: 5002, projectId: 2001 });
		const both = await api('/rest/v1.0/images?project_id=2001&filters[id][]=' + mine.json.id + '&filters[id][]=' + theirs.id);
		expect(both.json.map((i: Json) => [i.filename, i.uploader.id])).toEqual([
			['IMG_0420.jpg', 3001],
			['IMG_0420.jpg', 3002],
		]);
		const onlyMine = await api(`/rest/v1.0/images?project_id=2001&filters[uploader_id][]=3001&filters[id][]=${mine.json.id}&filters[id][]=${theirs.id}`);
		expect(onlyMine.json.map((i: Json) => i.id)).toEqual([mine.json.id]);
		expect((await api('/rest/v1.0/me', { company: null })).json.id).toBe(3001);
		expect((await api('/rest/v1.0/me', { company: null, token: kit.emu.issueToken({ userId: 3002 }).access_token })).json.id).toBe(3002);
	});

	test('refuseMillisecondsInRanges: strict (default) → 400; false accepts them without missing a photo', async () => {
		const img = kit.emu.createImageAs({ filename: 'ms.jpg', createdAt: '2025-03-04T05:06:07Z' });
		const range = (field: string, from: string, to: string) => `/rest/v1.0/images?project_id=2001&filters[${field}]=${from}...${to}&filters[id][]=${img.id}`;
		const withMs = range('created_at', '2025-03-04T05:06:07.400Z', '2025-03-04T05:06:07.600Z');
		const documented = range('updated_at', '2025-03-04T05:06:07Z', '2025-03-04T05:06:07Z');
		const refused = await api(withMs);
		expect(refused.status).toBe(400);
		expect(refused.json.error.code).toBe('invalid_parameter');
		expect(refused.json.error.message).toContain('filters[created_at]');
		expect(refused.json.error.message).toContain('YYYY-MM-DDTHH:MM:SSZ...YYYY-MM-DDTHH:MM:SSZ');
		expect((await api(withMs.replace('created_at', 'updated_at'))).status).toBe(400);
		expect((await api(documented)).json.map((i: Json) => i.id)).toEqual([img.id]);
		await withOptions({ refuseMillisecondsInRanges: false }, async () => {
			const accepted = await api(withMs);
			expect(accepted.status).toBe(200);
			expect(accepted.json.map((i: Json) => i.id)).toEqual([img.id]);
			expect((await api(range('created_at', '2025-03-04T05:06:08.001Z', '2025-03-04T06:00:00.000Z'))).json).toEqual([]);
		});
	});
});

describe('clock skew', () => {
	test('clockOffsetMs moves the Date header and X-Rate-Limit-Reset; a client trusting a clock ahead comes back early', async () => {
		const token = kit.emu.issueToken().access_token;
		await withOptions({ clockOffsetMs: -60000, spikeLimit: 2, spikeWindowMs: 2000 }, async () => {
			// The token response's created_at is stamped on the emulator's clock too.
			expect(Math.abs(kit.emu.issueToken().created_at - (Date.now() - 60000) / 1000)).toBeLessThan(2);
			const first = await api('/rest/v1.0/me', { token, company: null });
			const dateHeader = Date.parse(first.headers.get('date')!);
			expect(Math.abs(dateHeader - (Date.now() - 60000))).toBeLessThan(2500);
			const storageDate = Date.parse((await fetch(`${kit.emu.storageUrl}/nothing`)).headers.get('date')!);
			expect(Math.abs(storageDate - (Date.now() - 60000))).toBeLessThan(2500);
			await api('/rest/v1.0/me', { token, company: null });
			const limited = await api('/rest/v1.0/me', { token, company: null });
			expect(limited.status).toBe(429);
			const resetMs = Number(limited.headers.get('x-rate-limit-reset')) * 1000;
			// On the emulator's clock the reset is at most a window away; on the machine's it has passed.
			expect(resetMs).toBeGreaterThan(kit.emu.now());
			expect(resetMs).toBeLessThan(Date.now());
			// A client that waits until its own clock reaches the reset sends at once: early.
			await sleep(kit.emu.options.inFlightGraceMs + 50);
			const before = kit.emu.stats.requestsBeforeReset;
			expect((await api('/rest/v1.0/me', { token, company: null })).status).toBe(429);
			expect(kit.emu.stats.requestsBeforeReset).toBe(before + 1);
			// One that waits on the emulator's clock (learned from the Date header) is not.
			await sleep(resetMs - kit.emu.now() + 20);
			expect((await api('/rest/v1.0/me', { token, company: null })).status).toBe(200);
			expect(kit.emu.stats.requestsBeforeReset).toBe(before + 1);
		});
		expect(Math.abs(Date.parse((await api('/rest/v1.0/me', { company: null })).headers.get('date')!) - Date.now())).toBeLessThan(2500);
	});
});

describe('company header', () => {
	test('an empty Procore-Company-Id is answered exactly as a missing one', async () => {
		for (const value of ['', '   ']) {
			const empty = await api('/rest/v1.0/images?project_id=2001', { company: value });
			const missing = await api('/rest/v1.0/images?project_id=2001', { company: null });
			expect(empty.status).toBe(400);
			expect([empty.status, empty.text, empty.headers.get('content-type')]).toEqual([missing.status, missing.text, missing.headers.get('content-type')]);
			expect(empty.text).toBe(MISSING_COMPANY_TEXT);
			// /me: a user token may leave the header out, so an empty one is fine too.
			expect((await api('/rest/v1.0/me', { company: value })).status).toBe(200);
		}
		// fetch really sent the empty header.
		const logged = kit.emu.requests.filter((r) => r.path === '/rest/v1.0/images' && r.status === 400).map((r) => r.headers['procore-company-id']);
		expect(logged).toContain('');
		expect(logged).toContain(undefined);
	});
});

describe('Photos permission levels', () => {
	const sam = SEED.otherUserId;
	let samToken: string;
	beforeAll(() => {
		samToken = kit.emu.issueToken({ userId: sam }).access_token;
	});
	afterEach(() => {
		kit.emu.state.users.get(sam)!.photosPermission = 'admin';
	});
	const createAs = async (token: string, image: Json) =>
		api('/rest/v1.0/images?project_id=2001', { token, json: { upload_uuid: await completedUpload({ token }), image_name: 'perm.jpg', image } });

	test('admin (default) may create private photos, delete photos and create albums', async () => {
		const priv = await createAs(samToken, { image_category_id: 5002, private: true });
		expect(priv.status).toBe(201);
		expect(priv.json.private).toBe(true);
		expect((await api(`/rest/v1.0/images/${priv.json.id}?project_id=2001`, { token: samToken, method: 'DELETE' })).status).toBe(200);
		expect((await api('/rest/v1.0/image_categories?project_id=2001', { token: samToken, json: { image_category: { name: 'Sam admin album' } } })).status).toBe(201);
	});

	test('standard: photos and albums yes; private photos and deleting no (403)', async () => {
		kit.emu.state.users.get(sam)!.photosPermission = 'standard';
		const plain = await createAs(samToken, { image_category_id: 5002 });
		expect(plain.status).toBe(201);
		const priv = await createAs(samToken, { image_category_id: 5002, private: true });
		expect(priv.status).toBe(403);
		expect(priv.json).toEqual({
			errors: 'You do not have permission to mark photos private in this project. This needs the Admin permission level on the Photos tool; yours is Standard.',
		});
		const del = await api(`/rest/v1.0/images/${plain.json.id}?project_id=2001`, { token: samToken, method: 'DELETE' });
		expect(del.status).toBe(403);
		expect(del.json.errors).toContain('delete photos');
		expect(kit.emu.state.images.has(plain.json.id)).toBe(true);
		// A project the caller cannot use is still a 404, before any permission.
		expect((await api(`/rest/v1.0/images/${plain.json.id}?project_id=999`, { token: samToken, method: 'DELETE' })).status).toBe(404);
		expect((await api('/rest/v1.0/image_categories?project_id=2001', { token: samToken, json: { image_category: { name: 'Sam album' } } })).status).toBe(201);
	});

	test('read only: no photo, no album (403)', async () => {
		kit.emu.state.users.get(sam)!.photosPermission = 'read_only';
		const photoRefused = await createAs(samToken, { image_category_id: 5002 });
		expect(photoRefused.status).toBe(403);
		expect(photoRefused.json.errors).toBe('You do not have permission to upload photos in this project. This needs the Standard or Admin permission level on the Photos tool; yours is Read Only.');
		const album = await api('/rest/v1.0/image_categories?project_id=2001', { token: samToken, json: { image_category: { name: 'Nope' } } });
		expect(album.status).toBe(403);
		expect(album.json.errors).toContain('create albums');
		// Reading is still allowed.
		expect((await api('/rest/v1.0/images?project_id=2001', { token: samToken })).status).toBe(200);
	});

	test('update over HTTP: standard may edit, not mark private; read only may not edit', async () => {
		const made = await createAs(samToken, { image_category_id: 5002 });
		kit.emu.state.users.get(sam)!.photosPermission = 'standard';
		const path = `/rest/v1.0/images/${made.json.id}?project_id=2001`;
		const priv = await api(path, { token: samToken, method: 'PATCH', json: { image: { private: true } } });
		expect(priv.status).toBe(403);
		expect(priv.json.errors).toContain('mark photos private');
		expect(kit.emu.state.images.get(made.json.id).private).toBe(false);
		expect((await api(path, { token: samToken, method: 'PATCH', json: { image: { description: 'edited' } } })).status).toBe(200);
		kit.emu.state.users.get(sam)!.photosPermission = 'read_only';
		const readOnly = await api(path, { token: samToken, method: 'PATCH', json: { image: { description: 'no' } } });
		expect(readOnly.status).toBe(403);
		expect(readOnly.json.errors).toContain('edit photos');
		kit.emu.state.users.get(sam)!.photosPermission = 'admin';
		expect((await api(path, { token: samToken, method: 'PATCH', json: { image: { private: true } } })).json.private).toBe(true);
	});

	test('the update gate: private: true needs Admin, other edits Standard', async () => {
		// The PATCH handler is another module's; the gate in front of it is tested on its own here.
		const route = { method: 'PATCH', pattern: '/rest/v1.0/images/:id', parts: [], handler: () => undefined, options: {} };
		const ctxFor = (level: 'read_only' | 'standard' | 'admin', image: Json) => {
			const user = { ...kit.emu.state.users.get(sam)!, photosPermission: level };
			const parsed = Promise.resolve({ kind: 'json', params: { image } });
			return { options: kit.emu.options, state: kit.emu.state, query: { project_id: '2001' }, params: { id: '0' }, companyId: 1001, auth: { user, token: {}, serviceAccount: false }, body: () => parsed } as Json;
		};
		await expect(gate(ctxFor('standard', { private: true }), route)).rejects.toMatchObject({ status: 403, body: { errors: expect.stringContaining('mark photos private') } });
		await expect(gate(ctxFor('standard', { description: 'ok' }), route)).resolves.toBeUndefined();
		await expect(gate(ctxFor('admin', { private: true }), route)).resolves.toBeUndefined();
		await expect(gate(ctxFor('read_only', { description: 'no' }), route)).rejects.toMatchObject({ status: 403, body: { errors: expect.stringContaining('edit photos') } });
	});
});
