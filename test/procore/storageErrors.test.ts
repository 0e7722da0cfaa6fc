import { appendFileSync, mkdirSync, rmSync, truncateSync } from 'fs';
import { Readable } from 'stream';

import { binaryDataService } from '../engine';
import { createImage, HARBOR_TOWER, jpegBytes, photoItem, sha256, useEmulator } from './fixtures';

/**
 * Direct Upload (docs/procore-api.md §7) when sending the photo to storage fails. Only a failure of
 * the network is worth another send, on the same upload and then on a fresh one; anything else (the
 * file changed while it went, or n8n can no longer read it) fails the same way however often it is
 * sent, so it reaches the user at once, in its own words.
 *
 * The photos are 2 MiB in n8n's filesystem mode: from 1 MiB up the node streams the file from disk
 * as it sends it (helpers/photo.ts), so a file that changes on disk changes the bytes being sent.
 * Larger than the emulator keeps in memory (1 MiB), each body is spooled to a temp file, which a
 * client that gives up half way leaves behind (test/emulator/files.js, spool).
 */
const emu = useEmulator();

const PHOTO_BYTES = 2 * 1024 * 1024;

const storagePosts = () => emu.requests.filter((request) => request.listener === 'storage' && request.method === 'POST');
const createUploads = () =>
	emu.requests.filter((request) => request.method === 'POST' && request.path === `/rest/v1.1/projects/${HARBOR_TOWER}/uploads`);

/**
 * Runs Image → Create on one photo kept on disk, doing `meddle` to the file just before the node
 * opens it to send it. The node opens the file once to check its type, then once per send: the
 * second opening is the first send. Returns the run and how often the file was opened.
 */
async function createWhileTheFileChanges(fileName: string, meddle: (path: string) => void) {
	const service = binaryDataService();
	const open = service.getAsStream.bind(service);
	let opened = 0;
	const streams = jest.spyOn(service, 'getAsStream').mockImplementation(async (binaryDataId, chunkSize) => {
		if (++opened === 2) meddle(service.getPath(binaryDataId));
		return await open(binaryDataId, chunkSize);
	});
	try {
		const run = await createImage({}, [photoItem(jpegBytes(PHOTO_BYTES), fileName)], { binaryMode: 'filesystem' });
		return { run, opened };
	} finally {
		streams.mockRestore();
	}
}

describe('a photo that fails on its way to storage for a reason other than the network', () => {
	test.each<[string, string, (path: string) => void, RegExp, RegExp, 'whole' | 'maybe']>([
		[
			'grew after n8n recorded its size',
			'growing.jpg',
			(path) => appendFileSync(path, Buffer.alloc(1000)),
			/^the file "growing.jpg" grew while it was being sent$/,
			/nothing was stored\. Run the item again once nothing is writing to the file/,
			'whole',
		],
		[
			'shrank after n8n recorded its size',
			'shrinking.jpg',
			(path) => truncateSync(path, PHOTO_BYTES - 1000),
			/^the file "shrinking.jpg" shrank while it was being sent$/,
			/nothing was stored\. Run the item again once nothing is writing to the file/,
			'whole',
		],
		[
			"was removed from n8n's binary data",
			'removed.jpg',
			(path) => rmSync(path),
			/^the file "removed.jpg" could not be read from n8n's binary data: File not found$/,
			/binary data still exists and can be read/,
			'maybe',
		],
		[
			// A code that is not the network's (EISDIR) must not pass for a broken connection either.
			'cannot be read (a folder took its place)',
			'unreadable.jpg',
			(path) => {
				rmSync(path);
				mkdirSync(path);
			},
			/^the file "unreadable.jpg" could not be read from n8n's binary data: illegal operation on a directory, read$/,
			/binary data still exists and can be read .*\(error code EISDIR\)$/,
			'maybe',
		],
	])('%s (%s): sent once, on one upload, and the error says so', async (_label, fileName, meddle, cause, advice, storageSaw) => {
		const { run, opened } = await createWhileTheFileChanges(fileName, meddle);

		// Once for its type, once sent: no second send, no fresh upload.
		expect(opened).toBe(2);
		expect(createUploads()).toHaveLength(1);
		if (storageSaw === 'whole') {
			// A megabyte had gone before the change showed: the request had surely reached storage.
			expect(storagePosts()).toHaveLength(1);
		}
		// A file that cannot be read fails the request as it starts: its headers may reach storage,
		// or not, or after the next test has begun, so storage's log proves nothing there; that the
		// file was opened for sending once does.
		expect(emu.stats.imagesCreated).toBe(0);
		// The real cause, for this photo, and what to do; not a broken connection.
		const prefix = `Sending "${fileName}" to Procore's file storage failed: `;
		expect(run.error?.message.startsWith(prefix)).toBe(true);
		expect(run.error?.message.slice(prefix.length)).toMatch(cause);
		expect(run.error?.description).toMatch(advice);
		expect(`${run.error?.message} ${run.error?.description}`).not.toMatch(/connection|network code/);
	});

	test('the error carries no storage address, signature or policy', async () => {
		const { run } = await createWhileTheFileChanges('secret.jpg', (path) => appendFileSync(path, Buffer.alloc(10)));
		expect(run.error?.message).toBe(`Sending "secret.jpg" to Procore's file storage failed: the file "secret.jpg" grew while it was being sent`);
		const shown = JSON.stringify({ message: run.error?.message, description: run.error?.description, error: run.error });
		// The storage key is one of the signed form's fields (docs/procore-api.md §7).
		const keys = (emu.uploads() as Array<{ key: string; responseFilename: string }>)
			.filter((upload) => upload.responseFilename === 'secret.jpg')
			.map((upload) => upload.key);
		expect(keys).toHaveLength(1);
		for (const secret of [emu.storageUrl, 'x-amz', 'X-Amz', 'policy', ...keys]) {
			expect(shown).not.toContain(secret);
		}
	});
});

describe('a connection to storage that breaks while a streamed photo is sent', () => {
	test('is sent again at once, on the same upload', async () => {
		emu.faults.inject({ listener: 'storage', method: 'POST', drop: 'mid-body', afterBytes: 500_000 });
		const bytes = jpegBytes(PHOTO_BYTES);
		const run = await createImage({}, [photoItem(bytes, 'dropped-once.jpg')], { binaryMode: 'filesystem' });
		expect(run.error).toBeUndefined();
		expect(emu.state.images.get(Number(run.items[0].json.id))).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
		expect(storagePosts().map((request) => request.fault ?? request.status)).toEqual(['drop:mid-body', 204]);
		expect(createUploads()).toHaveLength(1);
	});

	test("on the way from n8n's binary data (kept in S3, say) is sent again too, on the same upload", async () => {
		const service = binaryDataService();
		const open = service.getAsStream.bind(service);
		let opened = 0;
		const streams = jest.spyOn(service, 'getAsStream').mockImplementation(async (binaryDataId, chunkSize) => {
			if (++opened !== 2) return await open(binaryDataId, chunkSize);
			// The first send reads from a store whose connection breaks.
			return new Readable({
				read() {
					this.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
				},
			});
		});
		const bytes = jpegBytes(PHOTO_BYTES);
		const run = await createImage({}, [photoItem(bytes, 'store-blip.jpg')], { binaryMode: 'filesystem' }).finally(() =>
			streams.mockRestore(),
		);
		expect(run.error).toBeUndefined();
		expect(emu.state.images.get(Number(run.items[0].json.id))).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
		expect(opened).toBe(3);
		expect(createUploads()).toHaveLength(1);
	});

	test('that keeps breaking: three sends on one upload, then a fresh upload', async () => {
		emu.faults.inject({ listener: 'storage', method: 'POST', drop: 'mid-body', afterBytes: 500_000, times: 3 });
		const bytes = jpegBytes(PHOTO_BYTES);
		const run = await createImage({}, [photoItem(bytes, 'dropped-thrice.jpg')], { binaryMode: 'filesystem' });
		expect(run.error).toBeUndefined();
		expect(emu.state.images.get(Number(run.items[0].json.id))).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
		expect(storagePosts()).toHaveLength(4);
		expect(createUploads()).toHaveLength(2);
		expect(emu.stats.imagesCreated).toBe(1);
	});
});
