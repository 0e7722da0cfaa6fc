import type { IBinaryData } from 'n8n-workflow';

import { binaryDataService, runNode, type BinaryMode } from '../engine';
import { mayCarryToken } from '../../nodes/Procore/transport/download';
import {
	ACME,
	createParameters,
	HARBOR_TOWER,
	jpegBytes,
	photoItem,
	procoreCredential,
	procoreNode,
	rl,
	serviceAccount,
	sha256,
	useEmulator,
} from './fixtures';

const emu = useEmulator();
beforeEach(() => {
	emu.configure({ fileLinkTtlMs: 60 * 60 * 1000 });
});

/** The emulator's file links (test/emulator/files.js); the node itself never looks at their shape. */
const FILE_LINK = /^\/file-links\//;

/** A photo in Harbor Tower, uploaded through the node itself, so that its bytes are stored. */
async function uploadPhoto(bytes: Buffer, fileName: string): Promise<number> {
	const created = await runNode({
		nodeType: procoreNode,
		credentialTypes: [procoreCredential],
		parameters: createParameters() as never,
		inputItems: [photoItem(bytes, fileName)] as never,
		credentials: { procoreOAuth2Api: serviceAccount(emu) as never },
	});
	if (created.error) throw created.error;
	emu.reset();
	return created.items[0].json.id as number;
}

async function download(
	parameters: Record<string, unknown>,
	options: { items?: unknown[]; binaryMode?: BinaryMode; continueOnFail?: boolean } = {},
) {
	return await runNode({
		nodeType: procoreNode,
		credentialTypes: [procoreCredential],
		parameters: {
			resource: 'image',
			operation: 'download',
			companyId: rl(ACME),
			projectId: rl(HARBOR_TOWER),
			size: 'original',
			binaryPropertyName: 'data',
			...parameters,
		} as never,
		inputItems: (options.items ?? [{ json: {} }]) as never,
		credentials: { procoreOAuth2Api: serviceAccount(emu) as never },
		binaryMode: options.binaryMode,
		continueOnFail: options.continueOnFail,
	});
}

async function bytesOf(binary: IBinaryData | undefined): Promise<Buffer> {
	if (!binary) throw new Error('no binary data on the item');
	return await binaryDataService().getAsBuffer(binary);
}

const showCalls = (id: number) => emu.requests.filter((request) => request.path === `/rest/v1.0/images/${id}`);
const linkCalls = () => emu.requests.filter((request) => request.listener === 'api' && FILE_LINK.test(request.path));
const storageCalls = () => emu.requests.filter((request) => request.listener === 'storage');

describe('Image → Download', () => {
	test('the photo as binary data with its name and type; the token goes to the file link, never to storage', async () => {
		const bytes = jpegBytes(300_000);
		const id = await uploadPhoto(bytes, 'north-facade.jpg');
		const result = await download({ imageId: rl(String(id)) });
		expect(result.error).toBeUndefined();
		const item = result.items[0];
		expect(item.json).toMatchObject({ id, filename: 'north-facade.jpg' });
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.binary?.data).toMatchObject({ fileName: 'north-facade.jpg', mimeType: 'image/jpeg' });
		expect(sha256(await bytesOf(item.binary?.data))).toBe(sha256(bytes));

		// Read just before the download, then the link with the token, then storage without it.
		expect(showCalls(id)).toHaveLength(1);
		expect(linkCalls()).toHaveLength(1);
		expect(linkCalls()[0].headers.authorization).toMatch(/^Bearer /);
		expect(linkCalls()[0].status).toBe(302);
		expect(storageCalls()).toHaveLength(1);
		expect(storageCalls()[0].status).toBe(200);
		expect(emu.requests.filter((request) => request.listener !== 'api' && request.headers.authorization)).toEqual([]);
	});

	test('thumbnail, into another binary field', async () => {
		const bytes = jpegBytes(200_000);
		const id = await uploadPhoto(bytes, 'room.jpg');
		const result = await download({ imageId: rl(String(id)), size: 'thumbnail', binaryPropertyName: 'preview' });
		expect(result.error).toBeUndefined();
		const binary = result.items[0].binary?.preview;
		expect(binary).toMatchObject({ fileName: 'thumbnail_room.jpg', mimeType: 'image/jpeg' });
		// The emulator's thumbnail is the first tenth of the photo (test/emulator/files.js).
		expect((await bytesOf(binary)).equals(bytes.subarray(0, 20_000))).toBe(true);
		expect(result.items[0].binary?.data).toBeUndefined();
	});

	test.each(['default', 'filesystem'] as const)(
		'a 50 MB photo arrives byte for byte, binary data in %s mode, streamed into n8n',
		async (binaryMode) => {
			const bytes = jpegBytes(50 * 1024 * 1024);
			const id = await uploadPhoto(bytes, 'panorama.jpg');
			const store = jest.spyOn(binaryDataService(), 'store');
			const result = await download({ imageId: rl(String(id)) }, { binaryMode });
			expect(result.error).toBeUndefined();
			// n8n receives a stream, so in filesystem mode the file goes to disk as it arrives.
			expect(store).toHaveBeenCalledTimes(1);
			expect(Buffer.isBuffer(store.mock.calls[0][1])).toBe(false);
			store.mockRestore();
			const binary = result.items[0].binary?.data;
			if (binaryMode === 'filesystem') expect(binary?.id).toMatch(/^filesystem/);
			const received = await bytesOf(binary);
			expect(received.length).toBe(bytes.length);
			expect(sha256(received)).toBe(sha256(bytes));
		},
		120_000,
	);

	test('an expired file link: the record is read again once, and the fresh link works', async () => {
		const bytes = jpegBytes(5000);
		const id = await uploadPhoto(bytes, 'expired.jpg');
		emu.faults.inject({
			listener: 'api',
			method: 'GET',
			path: '/file-links/*',
			status: 403,
			body: { errors: 'This file link has expired. Read the image again for a fresh url.' },
		});
		const result = await download({ imageId: rl(String(id)) });
		expect(result.error).toBeUndefined();
		expect(sha256(await bytesOf(result.items[0].binary?.data))).toBe(sha256(bytes));
		expect(showCalls(id)).toHaveLength(2);
		expect(linkCalls().map((call) => call.status)).toEqual([403, 302]);
	});

	test('an expired storage address: the record is read again once; a transfer that breaks off is tried again', async () => {
		const bytes = jpegBytes(400_000);
		const id = await uploadPhoto(bytes, 'storage.jpg');
		emu.faults.inject({ listener: 'storage', method: 'GET', status: 403 });
		const expired = await download({ imageId: rl(String(id)) });
		expect(expired.error).toBeUndefined();
		expect(sha256(await bytesOf(expired.items[0].binary?.data))).toBe(sha256(bytes));
		expect(showCalls(id)).toHaveLength(2);

		emu.reset();
		emu.faults.inject({ listener: 'storage', method: 'GET', drop: 'mid-body', afterBytes: 100_000 });
		const broken = await download({ imageId: rl(String(id)) });
		expect(broken.error).toBeUndefined();
		expect(sha256(await bytesOf(broken.items[0].binary?.data))).toBe(sha256(bytes));
		expect(storageCalls().map((call) => call.fault ?? call.status)).toEqual(['drop:mid-body', 200]);
		expect(storageCalls().every((call) => call.headers.authorization === undefined)).toBe(true);
	});

	test('links that keep expiring: one retry, then a clear error without the link or the token', async () => {
		const id = await uploadPhoto(jpegBytes(5000), 'stale.jpg');
		// Links born expired: with a 1 ms lifetime a link fetched within the millisecond it was read
		// in (an idle machine, a kept-alive socket) was still good, and the download went through.
		emu.configure({ fileLinkTtlMs: -1000 });
		const result = await download({ imageId: rl(String(id)) });
		expect(result.error?.message).toBe(
			`Downloading photo ${id} in project ${HARBOR_TOWER}: Procore's file link answered 403: This file link has expired. Read the image again for a fresh url.`,
		);
		expect(result.error?.description).toMatch(/Read Only/);
		expect(showCalls(id)).toHaveLength(2);
		expect(linkCalls()).toHaveLength(2);
		const shown = JSON.stringify({ message: result.error?.message, description: result.error?.description });
		expect(shown).not.toMatch(/signature=|expires=|Bearer|https?:\/\//);
	});

	test("a 401 on the file link: n8n gets a new token once and the download goes on", async () => {
		const bytes = jpegBytes(2000);
		const id = await uploadPhoto(bytes, 'token.jpg');
		emu.faults.inject({ listener: 'api', method: 'GET', path: '/file-links/*', status: 401 });
		const result = await download({ imageId: rl(String(id)) });
		expect(result.error).toBeUndefined();
		expect(sha256(await bytesOf(result.items[0].binary?.data))).toBe(sha256(bytes));
		expect(linkCalls().map((call) => call.status)).toEqual([401, 302]);
		expect(linkCalls()[0].headers.authorization).not.toBe(linkCalls()[1].headers.authorization);
		expect(emu.requests.filter((request) => request.path === '/oauth/token').length).toBeGreaterThan(0);
	});

	test('file links that Procore always answers 401: the run stops once with the credential error, even with Continue On Fail', async () => {
		const id = await uploadPhoto(jpegBytes(2000), 'refused.jpg');
		emu.faults.inject({ listener: 'api', method: 'GET', path: '/file-links/*', status: 401, times: Infinity });
		const result = await download({ imageId: rl('={{ $json.id }}') }, { items: [{ json: { id } }, { json: { id } }, { json: { id } }], continueOnFail: true });
		emu.faults.clear();
		// As for every other Procore request: a credential that no longer works fails every item alike.
		expect(result.error?.message).toMatch(/file link answered 401/);
		expect(result.error?.description).toMatch(/reconnect/);
		// n8n passes the input on when a node under Continue On Fail stops: no item was downloaded.
		expect(result.items.every((item) => item.binary === undefined && item.json.error === undefined)).toBe(true);
		expect(linkCalls().every((call) => call.status === 401)).toBe(true);
		// At most a few sends per item (more while the others still got records through), never until Maximum Wait.
		expect(linkCalls().length).toBeLessThanOrEqual(48);
	});

	test('many items at once: at most 16 files come in at a time, every one byte-exact', async () => {
		const bytes = jpegBytes(200_000);
		const id = await uploadPhoto(bytes, 'many.jpg');
		// Each storage answer takes a while, so that files would overlap if nothing held them back.
		emu.configure({ latencyMs: 100 });
		const items = Array.from({ length: 40 }, () => ({ json: { id } }));
		const result = await download({ imageId: rl('={{ $json.id }}') }, { items }).finally(() => emu.configure({ latencyMs: 0 }));
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(40);
		for (const item of result.items) expect(sha256(await bytesOf(item.binary?.data))).toBe(sha256(bytes));
		// Parallel Items is 64 by default: the records are read together, the files come in 16 at a time.
		const files = storageCalls();
		expect(files).toHaveLength(40);
		const most = Math.max(...files.map((file) => files.filter((other) => other.at <= file.at && (other.answeredAt ?? Infinity) > file.at).length));
		expect(most).toBeLessThanOrEqual(16);
		expect(most).toBeGreaterThanOrEqual(8);
	});

	test('a link that is not on Procore (e.g. straight to storage) is fetched without the token', async () => {
		const bytes = jpegBytes(3000);
		const id = await uploadPhoto(bytes, 'direct.jpg');
		const shown = await download({ imageId: rl(String(id)) });
		// The storage address behind the file link, as a record of another Procore version might give it.
		const token = emu.issueToken({ grantType: 'client_credentials' }).access_token;
		const redirect = await fetch(String(shown.items[0].json.url), { headers: { authorization: `Bearer ${token}` }, redirect: 'manual' });
		expect(redirect.status).toBe(302);
		emu.reset();
		emu.faults.inject({
			listener: 'api',
			method: 'GET',
			path: `/rest/v1.0/images/${id}`,
			status: 200,
			body: { ...shown.items[0].json, url: redirect.headers.get('location') },
		});
		const result = await download({ imageId: rl(String(id)) });
		expect(result.error).toBeUndefined();
		expect(sha256(await bytesOf(result.items[0].binary?.data))).toBe(sha256(bytes));
		expect(linkCalls()).toEqual([]);
		expect(storageCalls()).toHaveLength(1);
		expect(storageCalls()[0].headers.authorization).toBeUndefined();
	});

	test('a permanently deleted photo (url: null) fails with a clear error and no download', async () => {
		const id = await uploadPhoto(jpegBytes(1000), 'gone.jpg');
		const record = await download({ imageId: rl(String(id)) });
		emu.reset();
		emu.faults.inject({
			listener: 'api',
			method: 'GET',
			path: `/rest/v1.0/images/${id}`,
			status: 200,
			body: { ...record.items[0].json, url: null, thumbnail_url: null, permanently_deleted: true },
		});
		const result = await download({ imageId: rl(String(id)) });
		expect(result.error?.message).toBe(
			`Photo ${id} in project ${HARBOR_TOWER} was permanently deleted: Procore has no file for it`,
		);
		expect(linkCalls()).toEqual([]);
	});

	test('Continue On Fail: each input gets its output in order, a missing photo its error', async () => {
		const first = await uploadPhoto(jpegBytes(3000), 'first.jpg');
		const second = await uploadPhoto(jpegBytes(4000), 'second.jpg');
		const result = await download(
			{ imageId: rl('={{ $json.id }}') },
			{ items: [{ json: { id: first } }, { json: { id: 987654 } }, { json: { id: second } }], continueOnFail: true },
		);
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(result.items[0].binary?.data?.fileName).toBe('first.jpg');
		expect(String(result.items[1].json.error)).toMatch(/^Reading photo 987654 in project 2001: Procore could not find it \(404\)/);
		expect(result.items[1].binary).toBeUndefined();
		expect(result.items[2].binary?.data?.fileName).toBe('second.jpg');
	});
});

describe('which hosts a file link may send the token to', () => {
	const production = { apiBaseUrl: 'https://api.procore.com', environment: 'production' as const };
	const federal = { apiBaseUrl: 'https://api.procoregov.com', environment: 'federal' as const };
	const custom = { apiBaseUrl: 'http://127.0.0.1:4000', environment: 'custom' as const };
	const may = (link: string, connection: Parameters<typeof mayCarryToken>[1]) => mayCarryToken(new URL(link), connection);

	test("Procore's own HTTPS hosts of the environment, and the credential's API host", () => {
		expect(may('https://api.procore.com/rest/v1.0/files/abc', production)).toBe(true);
		expect(may('https://storage.procore.com/x', production)).toBe(true);
		expect(may('https://us02.procore.com/x', production)).toBe(true);
		expect(may('https://api.procoregov.com/x', federal)).toBe(true);
		expect(may('http://127.0.0.1:4000/rest/v1.0/files/abc', custom)).toBe(true);
	});

	test('never storage, look-alike hosts, plain HTTP, or another environment', () => {
		expect(may('https://procore-prod.s3.amazonaws.com/x', production)).toBe(false);
		expect(may('https://procore.com.evil.example/x', production)).toBe(false);
		expect(may('https://evilprocore.com/x', production)).toBe(false);
		expect(may('http://storage.procore.com/x', production)).toBe(false);
		expect(may('https://storage.procore.com/x', federal)).toBe(false);
		expect(may('http://127.0.0.1:4001/bucket/key', custom)).toBe(false);
		expect(may('https://app.procore.com/x', custom)).toBe(false);
	});
});
