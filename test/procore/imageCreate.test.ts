import { uploadLimits } from '../../nodes/Procore/transport/storage';
import { binaryDataService } from '../engine';
import {
	ACME,
	createImage,
	HARBOR_TOWER,
	jpegBytes,
	photoItem,
	PNG_1X1,
	rl,
	sha256,
	SITE_PROGRESS,
	UNCLASSIFIED,
	uploadOutsideTheNode,
	useEmulator,
} from './fixtures';

const emu = useEmulator();

function storedImage(id: unknown) {
	const image = emu.state.images.get(Number(id));
	if (!image) throw new Error(`image ${String(id)} is not in the emulator`);
	return image;
}

describe('Image → Create, each upload method', () => {
	test('direct upload: one storage POST with the returned fields and the file last, then JSON create', async () => {
		const bytes = jpegBytes(200_000);
		const run = await createImage({}, [photoItem(bytes, 'north-facade.jpg')]);
		expect(run.error).toBeUndefined();
		expect(run.items).toHaveLength(1);
		const image = storedImage(run.items[0].json.id);
		expect(image).toMatchObject({ sha256: sha256(bytes), size: bytes.length, via: 'upload', albumId: SITE_PROGRESS });
		expect(run.items[0].json).toMatchObject({ filename: 'north-facade.jpg', image_category_id: SITE_PROGRESS });
		expect(run.items[0].pairedItem).toEqual({ item: 0 });

		const storage = emu.requests.filter((request) => request.listener === 'storage');
		expect(storage).toHaveLength(1);
		expect(storage[0].headers.authorization).toBeUndefined();
		const createCall = emu.requests.find((request) => request.method === 'POST' && request.path === '/rest/v1.0/images');
		expect(createCall?.query).toEqual({ project_id: HARBOR_TOWER });
		expect(createCall?.headers['content-type']).toMatch(/application\/json/);
	});

	test('inline: one multipart request with image[data]', async () => {
		const run = await createImage({ uploadMethod: 'inline' }, [photoItem(PNG_1X1, 'dot.png', 'image/png')]);
		expect(run.error).toBeUndefined();
		const image = storedImage(run.items[0].json.id);
		expect(image).toMatchObject({ sha256: sha256(PNG_1X1), size: PNG_1X1.length, via: 'data' });
		expect(emu.requests.filter((request) => request.listener === 'storage')).toHaveLength(0);
		const createCall = emu.requests.find((request) => request.path === '/rest/v1.0/images');
		expect(createCall?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
	});

	test('existing upload UUID: no binary needed', async () => {
		const bytes = jpegBytes(3000);
		const uuid = await uploadOutsideTheNode(emu, bytes, 'from-field-app.jpg');
		emu.reset();
		const run = await createImage({ uploadMethod: 'existingUpload', uploadUuid: uuid, imageName: 'from-field-app.jpg' }, [{ json: {} }]);
		expect(run.error).toBeUndefined();
		expect(run.items[0].json).toMatchObject({ filename: 'from-field-app.jpg' });
		expect(storedImage(run.items[0].json.id)).toMatchObject({ uploadUuid: uuid, sha256: sha256(bytes) });
		expect(emu.requests.some((request) => request.path.endsWith('/uploads'))).toBe(false);
		expect(emu.requests.some((request) => request.listener === 'storage')).toBe(false);
	});

	test("another user's upload is refused by Procore with a clear message", async () => {
		const uuid = await uploadOutsideTheNode(emu, jpegBytes(100), 'x.jpg', { userId: 3001 });
		const run = await createImage({ uploadMethod: 'existingUpload', uploadUuid: uuid, imageName: 'x.jpg' }, [{ json: {} }]);
		expect(run.error?.message).toMatch(/^Creating the photo "x.jpg": Procore could not find it \(404\)/);
		expect(run.error?.description).toMatch(/cannot see it/);
	});
});

describe('Image → Create, fields reach Procore in the right form', () => {
	const fields = {
		description: 'North facade, level 2',
		source: 'Drone survey',
		private: true,
		starred: true,
		logDate: '2026-11-27T00:00:00',
		tradeIds: ['4001', '4002'],
		location: rl('Building A > Level 2 > Room 201', 'path'),
	};

	test.each(['direct', 'inline'])('%s', async (uploadMethod) => {
		const run = await createImage({ uploadMethod, additionalFields: fields }, [photoItem(jpegBytes(5000), 'room.jpg')]);
		expect(run.error).toBeUndefined();
		const json = run.items[0].json as Record<string, unknown>;
		expect(json).toMatchObject({
			description: 'North facade, level 2',
			private: true,
			starred: true,
			log_date: '2026-11-27',
			image_category_id: SITE_PROGRESS,
		});
		expect((json.trades as Array<{ id: number }>).map((trade) => trade.id).sort()).toEqual([4001, 4002]);
		expect((json.location as { name: string }).name).toMatch(/Building A.*Level 2.*Room 201/);
		expect(storedImage(json.id).source).toBe('Drone survey');
	});

	test('an existing location by ID', async () => {
		const run = await createImage({ additionalFields: { location: rl('6002', 'list') } }, [photoItem(jpegBytes(100))]);
		expect(run.error).toBeUndefined();
		expect((run.items[0].json.location as { id: number }).id).toBe(6002);
	});

	test('an empty Album files the photo in Unclassified', async () => {
		const run = await createImage({ albumId: rl('', 'list') }, [photoItem(jpegBytes(100))]);
		expect(run.error).toBeUndefined();
		expect(run.items[0].json.image_category_id).toBe(UNCLASSIFIED);
	});
});

describe('Album by name', () => {
	test('is created once for many items and reused', async () => {
		const items = Array.from({ length: 6 }, (_, index) => photoItem(jpegBytes(1000 + index), `p${index}.jpg`));
		const run = await createImage({ albumId: rl('Roof Inspections', 'name') }, items);
		expect(run.error).toBeUndefined();
		const albumIds = new Set(run.items.map((item) => item.json.image_category_id));
		expect(albumIds.size).toBe(1);
		expect(emu.requests.filter((request) => request.method === 'POST' && request.path === '/rest/v1.0/image_categories')).toHaveLength(1);
		expect(emu.requests.filter((request) => request.method === 'GET' && request.path === '/rest/v1.0/image_categories')).toHaveLength(1);
		expect(emu.albums(Number(HARBOR_TOWER)).filter((album: { name: string }) => album.name === 'Roof Inspections')).toHaveLength(1);
	});

	test('an existing album is found by name, case aside, without creating one', async () => {
		const run = await createImage({ albumId: rl('site progress', 'name') }, [photoItem(jpegBytes(100))]);
		expect(run.error).toBeUndefined();
		expect(run.items[0].json.image_category_id).toBe(SITE_PROGRESS);
		expect(emu.requests.some((request) => request.method === 'POST' && request.path === '/rest/v1.0/image_categories')).toBe(false);
	});

	test('a missing album without Create If Missing is a clear error', async () => {
		const run = await createImage({ albumId: rl('Nope', 'name'), createAlbumIfMissing: false }, [photoItem(jpegBytes(100))]);
		expect(run.error?.message).toBe('The project has no album named "Nope"');
	});
});

describe('bytes arrive intact', () => {
	test('a 1-byte photo', async () => {
		const bytes = Buffer.from([0x42]);
		const run = await createImage({}, [photoItem(bytes, 'one.jpg', 'image/jpeg')]);
		expect(run.error).toBeUndefined();
		expect(storedImage(run.items[0].json.id)).toMatchObject({ size: 1, sha256: sha256(bytes) });
	});

	// Up to S3's 5 GB POST limit a file goes in one POST, streamed from n8n's binary data: read once,
	// never whole in memory when n8n keeps it on disk.
	test.each(['default', 'filesystem'] as const)('a 20 MB photo, binary data in %s mode, in one streamed storage POST', async (binaryMode) => {
		const bytes = jpegBytes(20 * 1024 * 1024);
		const wholeFileReads = jest.spyOn(binaryDataService(), 'getAsBuffer');
		const run = await createImage({}, [photoItem(bytes, 'panorama.jpg')], { binaryMode });
		if (binaryMode === 'filesystem') expect(wholeFileReads).not.toHaveBeenCalled();
		wholeFileReads.mockRestore();
		expect(run.error).toBeUndefined();
		expect(storedImage(run.items[0].json.id)).toMatchObject({ size: bytes.length, sha256: sha256(bytes), via: 'upload' });
		const storage = emu.requests.filter((request) => request.listener === 'storage');
		expect(storage.map((request) => request.method)).toEqual(['POST']);
		// The form's fields and the file's part headers come on top of the file's bytes.
		expect(storage[0].bodyBytes).toBeGreaterThan(bytes.length);
		expect(storage[0].headers['content-length']).toBe(String(storage[0].bodyBytes));
		expect(storage[0].headers.authorization).toBeUndefined();
		expect(emu.requests.filter((request) => request.method === 'PATCH')).toHaveLength(0);
	});
});

test.each(['direct', 'inline'] as const)('%s: on disk, a photo of up to 1 MiB is read once, whole; a larger one is streamed', async (uploadMethod) => {
	const small = jpegBytes(1024 * 1024);
	const large = jpegBytes(1024 * 1024 + 1);
	const wholeFileReads = jest.spyOn(binaryDataService(), 'getAsBuffer');
	const streams = jest.spyOn(binaryDataService(), 'getAsStream');
	const run = await createImage({ uploadMethod }, [photoItem(small, 'small.jpg'), photoItem(large, 'large.jpg')], { binaryMode: 'filesystem' });
	const [whole, streamed] = [wholeFileReads.mock.calls.length, streams.mock.calls.length];
	wholeFileReads.mockRestore();
	streams.mockRestore();
	expect(run.error).toBeUndefined();
	// The small photo: one read for the sniff and the upload. The large one: a stream for the
	// sniff, one for the upload.
	expect(whole).toBe(1);
	expect(streamed).toBe(2);
	expect(run.items.map((item) => storedImage(item.json.id as number))).toMatchObject([
		{ size: small.length, sha256: sha256(small) },
		{ size: large.length, sha256: sha256(large) },
	]);
});

test.each(['default', 'filesystem'] as const)('inline: a 20 MB photo, binary data in %s mode, streamed into image[data]', async (binaryMode) => {
	const bytes = jpegBytes(20 * 1024 * 1024);
	const wholeFileReads = jest.spyOn(binaryDataService(), 'getAsBuffer');
	const run = await createImage({ uploadMethod: 'inline' }, [photoItem(bytes, 'inline-panorama.jpg')], { binaryMode });
	if (binaryMode === 'filesystem') expect(wholeFileReads).not.toHaveBeenCalled();
	wholeFileReads.mockRestore();
	expect(run.error).toBeUndefined();
	expect(storedImage(run.items[0].json.id)).toMatchObject({ size: bytes.length, sha256: sha256(bytes), via: 'data' });
});

/**
 * Files over 5 GB take Procore's segmented upload. The limit is lowered here so that the same path
 * runs on a 20 MB file: whole segments and a shorter last one.
 */
describe('segmented upload, above the single-POST limit', () => {
	const singlePostMaxBytes = uploadLimits.singlePostMaxBytes;
	beforeEach(() => (uploadLimits.singlePostMaxBytes = uploadLimits.segmentBytes));
	afterEach(() => (uploadLimits.singlePostMaxBytes = singlePostMaxBytes));

	test.each(['default', 'filesystem'] as const)('a 20 MB photo, binary data in %s mode, in 8 MB segments', async (binaryMode) => {
		const bytes = jpegBytes(20 * 1024 * 1024);
		const wholeFileReads = jest.spyOn(binaryDataService(), 'getAsBuffer');
		const run = await createImage({}, [photoItem(bytes, 'panorama.jpg')], { binaryMode });
		// On disk, the node streams: it never asks n8n for the whole file.
		if (binaryMode === 'filesystem') expect(wholeFileReads).not.toHaveBeenCalled();
		wholeFileReads.mockRestore();
		expect(run.error).toBeUndefined();
		expect(storedImage(run.items[0].json.id)).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
		const puts = emu.requests.filter((request) => request.listener === 'storage' && request.method === 'PUT');
		const segment = 8 * 1024 * 1024;
		expect(puts.map((request) => request.bodyBytes)).toEqual([segment, segment, bytes.length - 2 * segment]);
		expect(puts.every((request) => request.headers.authorization === undefined)).toBe(true);
		expect(emu.requests.filter((request) => request.method === 'PATCH')).toHaveLength(1);
	});

	test('Procore-Company-Id is on every call of a segmented upload, and the token only ever goes to the API host', async () => {
		// A new album by name and a segmented upload: every kind of API call Image → Create makes.
		const run = await createImage({ albumId: rl('Facade', 'name') }, [photoItem(jpegBytes(9 * 1024 * 1024), 'big.jpg')]);
		expect(run.error).toBeUndefined();
		const api = emu.requests.filter((request) => request.listener === 'api');
		expect(api.map((request) => `${request.method} ${request.path.replace(/uploads\/[^/]+$/, 'uploads/UUID')}`)).toEqual([
			'GET /rest/v1.0/image_categories',
			'POST /rest/v1.0/image_categories',
			`POST /rest/v1.1/projects/${HARBOR_TOWER}/uploads`,
			`PATCH /rest/v1.1/projects/${HARBOR_TOWER}/uploads/UUID`,
			'POST /rest/v1.0/images',
		]);
		expect(api.every((request) => request.headers['procore-company-id'] === ACME)).toBe(true);
		// The token grant went to the login host and the segments to storage: neither got the token.
		const elsewhere = emu.requests.filter((request) => request.listener !== 'api');
		expect(new Set(elsewhere.map((request) => request.listener))).toEqual(new Set(['login', 'storage']));
		expect(elsewhere.filter((request) => request.headers.authorization)).toEqual([]);
	});
});

describe('Procore-Company-Id', () => {
	test('is on every API call, and the token only ever goes to the API host', async () => {
		// A new album by name and a 9 MB photo in one storage POST (the segmented path has its own test above).
		const run = await createImage({ albumId: rl('Facade West', 'name') }, [photoItem(jpegBytes(9 * 1024 * 1024), 'big.jpg')]);
		expect(run.error).toBeUndefined();
		const api = emu.requests.filter((request) => request.listener === 'api');
		expect(api.map((request) => `${request.method} ${request.path.replace(/uploads\/[^/]+$/, 'uploads/UUID')}`)).toEqual([
			'GET /rest/v1.0/image_categories',
			'POST /rest/v1.0/image_categories',
			`POST /rest/v1.1/projects/${HARBOR_TOWER}/uploads`,
			'POST /rest/v1.0/images',
		]);
		expect(api.every((request) => request.headers['procore-company-id'] === ACME)).toBe(true);
		// The token grant went to the login host and the file to storage: neither got the token.
		const elsewhere = emu.requests.filter((request) => request.listener !== 'api');
		expect(new Set(elsewhere.map((request) => request.listener))).toEqual(new Set(['login', 'storage']));
		expect(elsewhere.filter((request) => request.headers.authorization)).toEqual([]);
	});
});
