import { randomBytes } from 'crypto';

import { createImage, jpegBytes, photoItem, rl, sha256, SITE_PROGRESS, useEmulator } from './fixtures';

/** Image → Create's Skip If Already There and Log Date From Photo. */

const emu = useEmulator();

let serial = 0;
const unique = (prefix: string) => `${prefix}-${++serial}.jpg`;

/** A JPEG whose EXIF says when it was taken (big-endian TIFF: IFD0 → Exif IFD → DateTimeOriginal). */
function jpegTakenAt(exifDateTime: string, bodyBytes = 4000): Buffer {
	const u16 = (value: number) => [value >> 8, value & 0xff];
	const u32 = (value: number) => [value >>> 24, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
	const text = [...Buffer.from(`${exifDateTime}\0`, 'latin1')];
	const tiff = [
		...Buffer.from('MM'), ...u16(42), ...u32(8),
		// IFD0 at 8: one entry, the Exif IFD pointer (0x8769, LONG) to offset 26.
		...u16(1), ...u16(0x8769), ...u16(4), ...u32(1), ...u32(26), ...u32(0),
		// Exif IFD at 26: one entry, DateTimeOriginal (0x9003, ASCII, 20 bytes) at offset 44.
		...u16(1), ...u16(0x9003), ...u16(2), ...u32(text.length), ...u32(44), ...u32(0),
		...text,
	];
	const app1 = [0xff, 0xe1, ...u16(2 + 6 + tiff.length), ...Buffer.from('Exif\0\0', 'latin1'), ...tiff];
	return Buffer.concat([Buffer.from([0xff, 0xd8, ...app1, 0xff, 0xda, 0x00, 0x02]), randomBytes(bodyBytes), Buffer.from([0xff, 0xd9])]);
}

const imagePosts = () => emu.requests.filter((request) => request.method === 'POST' && request.path === '/rest/v1.0/images');

describe('Skip If Already There', () => {
	test('a second run of the same photos uploads nothing and outputs the photos already there', async () => {
		const items = [photoItem(jpegBytes(3000), unique('rerun')), photoItem(jpegBytes(4000), unique('rerun'))];
		const first = await createImage({ skipIfExists: true }, items);
		expect(first.error).toBeUndefined();
		expect(first.items.map((item) => item.json.skipped)).toEqual([false, false]);
		emu.reset();
		const second = await createImage({ skipIfExists: true }, items);
		expect(second.error).toBeUndefined();
		expect(second.items.map((item) => item.json.skipped)).toEqual([true, true]);
		expect(second.items.map((item) => item.json.id)).toEqual(first.items.map((item) => item.json.id));
		expect(second.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		// One listing of the album for both photos, and nothing uploaded.
		expect(emu.requests.filter((request) => request.listener === 'api').map((request) => `${request.method} ${request.path}`)).toEqual([
			'GET /rest/v1.0/images',
		]);
		expect(emu.requests.filter((request) => request.listener === 'storage')).toEqual([]);
	});

	test('the same name with another size is another photo: it is uploaded', async () => {
		const name = unique('same-name');
		await createImage({ skipIfExists: true }, [photoItem(jpegBytes(3000), name)]);
		const run = await createImage({ skipIfExists: true }, [photoItem(jpegBytes(3500), name)]);
		expect(run.error).toBeUndefined();
		expect(run.items[0].json.skipped).toBe(false);
		expect([...emu.state.images.values()].filter((image) => image.filename === name)).toHaveLength(2);
	});

	test('a photo in another album does not count', async () => {
		const bytes = jpegBytes(3000);
		const name = unique('other-album');
		await createImage({ albumId: rl('5003') }, [photoItem(bytes, name)]);
		const run = await createImage({ skipIfExists: true }, [photoItem(bytes, name)]);
		expect(run.items[0].json).toMatchObject({ skipped: false, image_category_id: SITE_PROGRESS });
	});

	test('the same photo twice in one run is uploaded once', async () => {
		const bytes = jpegBytes(3000);
		const name = unique('twice');
		const run = await createImage({ skipIfExists: true, advancedOptions: { parallelUploads: 1 } }, [
			photoItem(bytes, name),
			photoItem(bytes, name),
		]);
		expect(run.items.map((item) => item.json.skipped)).toEqual([false, true]);
		expect(imagePosts()).toHaveLength(1);
	});

	test('the same photo in items that run at once (default Parallel Items) is uploaded once', async () => {
		const bytes = jpegBytes(3000);
		const name = unique('at-once');
		const run = await createImage({ skipIfExists: true }, [photoItem(bytes, name), photoItem(bytes, name), photoItem(bytes, name)]);
		expect(run.error).toBeUndefined();
		expect(run.items.map((item) => item.json.skipped).sort()).toEqual([false, true, true]);
		expect(new Set(run.items.map((item) => item.json.id)).size).toBe(1);
		expect(imagePosts()).toHaveLength(1);
	});

	test('when the item making the photo fails, the next item with the same file makes it', async () => {
		const bytes = jpegBytes(3000);
		const name = unique('first-fails');
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 422, body: { errors: { log_date: ['is invalid'] } } });
		const run = await createImage({ skipIfExists: true }, [photoItem(bytes, name), photoItem(bytes, name)], { continueOnFail: true });
		emu.faults.clear();
		const made = run.items.filter((item) => typeof item.json.id === 'number');
		expect(made).toHaveLength(1);
		expect(made[0].json.skipped).toBe(false);
		expect(run.items.filter((item) => item.json.error !== undefined)).toHaveLength(1);
		expect([...emu.state.images.values()].filter((image) => image.filename === name)).toHaveLength(1);
	});

	test('off by default: the output has no skipped field and a re-run uploads again', async () => {
		const item = photoItem(jpegBytes(3000), unique('default'));
		await createImage({}, [item]);
		const run = await createImage({}, [item]);
		expect(run.items[0].json.skipped).toBeUndefined();
		expect(imagePosts()).toHaveLength(2);
	});
});

describe('Log Date From Photo', () => {
	test('files the photo under the day its EXIF says it was taken, with the EXIF left in the bytes', async () => {
		const bytes = jpegTakenAt('2025:06:14 09:30:00');
		const run = await createImage({ additionalFields: { logDateFromPhoto: true, logDate: '2026-01-02' } }, [
			photoItem(bytes, unique('exif')),
		]);
		expect(run.error).toBeUndefined();
		expect(run.items[0].json.log_date).toBe('2025-06-14');
		expect(emu.state.images.get(Number(run.items[0].json.id))?.sha256).toBe(sha256(bytes));
	});

	test('a photo without a capture date falls back to Log Date, or none', async () => {
		const withField = await createImage({ additionalFields: { logDateFromPhoto: true, logDate: '2026-01-02' } }, [
			photoItem(jpegBytes(3000), unique('no-exif')),
		]);
		expect(withField.items[0].json.log_date).toBe('2026-01-02');
		const without = await createImage({ additionalFields: { logDateFromPhoto: true } }, [photoItem(jpegBytes(3000), unique('no-exif'))]);
		expect(without.error).toBeUndefined();
		expect(without.items[0].json.log_date ?? null).toBeNull();
	});

	test('off, the EXIF date is not used', async () => {
		const run = await createImage({}, [photoItem(jpegTakenAt('2025:06:14 09:30:00'), unique('exif-off'))]);
		expect(run.items[0].json.log_date ?? null).toBeNull();
	});
});

describe("Procore's words, not the user's", () => {
	test('a 422 for a photo whose name says "upload" is Procore\'s answer, not a sign to send the other body form', async () => {
		// The node sends Create Image's other documented body only when Procore's own words name
		// the upload fields (helpers/imageCreation.ts); the image name is in the node's message too.
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 422, body: { errors: { log_date: ['is invalid'] } } });
		const run = await createImage({}, [photoItem(jpegBytes(3000), unique('upload of the day'))]);
		emu.faults.clear();
		expect(run.error?.message).toMatch(/log date is invalid/);
		expect(imagePosts()).toHaveLength(1);
	});
});
