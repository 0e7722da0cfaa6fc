import { runNode } from '../engine';
import {
	createParameters,
	emulator,
	jpegBytes,
	photoItem,
	procoreCredential,
	procoreNode,
	serviceAccount,
	sha256,
	userLogin,
	type Emulator,
} from './fixtures';

/**
 * Faults from the emulator, and the invariants that must hold through them: every photo created
 * exactly once, byte-exact, nothing sent before Procore's reset time, every output paired.
 */

let batch = 0;
/** Photos with names unique to this test, since the emulator keeps every image it stored. */
const photos = (count: number, prefix: string) => {
	batch++;
	return Array.from({ length: count }, (_, index) => photoItem(jpegBytes(3000 + index), `${prefix}${batch}-${index}.jpg`));
};

async function upload(emu: Emulator, items: ReturnType<typeof photos>, options: Record<string, unknown> = {}) {
	return await runNode({
		nodeType: procoreNode,
		credentialTypes: [procoreCredential],
		parameters: createParameters({ advancedOptions: { parallelUploads: 4, maxWaitSeconds: 60, ...(options.advanced as object) } }),
		inputItems: items,
		credentials: { procoreOAuth2Api: (options.credentials ?? serviceAccount(emu)) as never },
		continueOnFail: Boolean(options.continueOnFail),
	});
}

function expectEveryPhotoOnce(emu: Emulator, items: ReturnType<typeof photos>, run: Awaited<ReturnType<typeof upload>>) {
	expect(run.error).toBeUndefined();
	expect(run.items.map((item) => item.pairedItem)).toEqual(items.map((_, item) => ({ item })));
	expect(run.items.map((item) => item.json.filename)).toEqual(items.map((item) => item.binary.data.fileName));
	const stored = [...emu.state.images.values()] as Array<{ filename: string; sha256: string }>;
	for (const item of items) {
		const copies = stored.filter((image) => image.filename === item.binary.data.fileName);
		expect(copies).toHaveLength(1);
		expect(copies[0].sha256).toBe(sha256(item.binary.data.bytes));
	}
	expect(emu.duplicateImages()).toEqual({ byUpload: [], byContent: [] });
	expect(emu.stats.requestsBeforeReset).toBe(0);
	expect(emu.stats.requestsBeforeRetryAfter).toBe(0);
}

describe('one fault in a batch of 20: all 20 photos created, none twice', () => {
	let emu: Emulator;
	beforeAll(async () => {
		emu = await emulator();
	});
	afterAll(async () => await emu.close());
	beforeEach(() => emu.reset());

	test.each([
		['a 429 on Create Image', { method: 'POST', path: '/rest/v1.0/images', status: 429, resetInSeconds: 2 }],
		['a 503 with Retry-After on Create Upload', { method: 'POST', path: /^\/rest\/v1\.[01]\/projects\/\d+\/uploads$/, status: 503, retryAfterSeconds: 1 }],
		['a 500 on Create Image', { method: 'POST', path: '/rest/v1.0/images', status: 500 }],
		['a 502 on Create Image', { method: 'POST', path: '/rest/v1.0/images', status: 502 }],
		['an answer to Create Image lost after the photo was made', { method: 'POST', path: '/rest/v1.0/images', drop: 'after-processing' }],
		['a connection dropped while sending Create Image', { method: 'POST', path: '/rest/v1.0/images', drop: 'mid-body', afterBytes: 10 }],
		['storage dropping an upload half way', { listener: 'storage', method: 'POST', drop: 'mid-body', afterBytes: 500 }],
		['storage answering 500', { listener: 'storage', method: 'POST', status: 500 }],
	])('%s', async (_label, fault) => {
		const firedBefore = emu.faults.fired.length;
		emu.faults.inject(fault);
		const items = photos(20, 'batch');
		const run = await upload(emu, items);
		expectEveryPhotoOnce(emu, items, run);
		expect(emu.faults.fired.length - firedBefore).toBe(1);
	});

	test('a segment PUT dropped half way: the upload starts again and the photo is created once', async () => {
		const firedBefore = emu.faults.fired.length;
		emu.faults.inject({ listener: 'storage', method: 'PUT', drop: 'mid-body', afterBytes: 1_000_000 });
		batch++;
		const bytes = jpegBytes(20 * 1024 * 1024);
		const items = [photoItem(bytes, `segmented${batch}.jpg`)];
		const run = await upload(emu, items as ReturnType<typeof photos>);
		expectEveryPhotoOnce(emu, items as ReturnType<typeof photos>, run);
		expect(emu.faults.fired.length - firedBefore).toBe(1);
		expect(emu.requests.filter((request) => request.method === 'PATCH')).toHaveLength(1);
	});

	test('an access token revoked mid-batch is refreshed once and the batch carries on', async () => {
		const items = photos(20, 'expiry');
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 401, body: { message: 'The access token is invalid' } });
		const run = await upload(emu, items, { credentials: userLogin(emu), advanced: { parallelUploads: 1 } });
		expectEveryPhotoOnce(emu, items, run);
		expect(emu.stats.refreshAttempts).toBe(1);
		expect(run.credentials.tokenUpdates).toHaveLength(1);
	});

	test('tokens expiring every 30 requests through a long batch', async () => {
		const items = photos(60, 'rolling');
		emu.configure({ tokenExpiresAfterRequests: 30 });
		const run = await upload(emu, items, { credentials: userLogin(emu), advanced: { parallelUploads: 1 } });
		emu.configure({ tokenExpiresAfterRequests: 0 });
		expectEveryPhotoOnce(emu, items, run);
		// 60 photos take about 120 API calls: a refresh every 30, each refresh token used once.
		expect(emu.stats.refreshAttempts).toBeGreaterThanOrEqual(3);
		expect(emu.stats.refreshFailures).toBe(0);
		expect(run.credentials.tokenUpdates).toHaveLength(emu.stats.refreshAttempts);
	});

	test('a wait longer than Maximum Wait fails the item saying how long Procore asked to wait', async () => {
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 503, retryAfterSeconds: 120 });
		const run = await upload(emu, photos(1, 'patience'), { advanced: { maxWaitSeconds: 5 } });
		expect(run.error?.message).toBe(
			`Creating the photo "patience${batch}-0.jpg": Procore asked to wait 121 s, longer than the node may still wait (Maximum Wait is 5 s)`,
		);
		expect(emu.stats.imagesCreated).toBe(0);
	});
});

describe('200 photos through a limit of 25 requests per 10 s and random faults', () => {
	let emu: Emulator;
	beforeAll(async () => {
		emu = await emulator({ spikeLimit: 25, spikeWindowMs: 10_000 });
	});
	afterAll(async () => await emu.close());

	test('end with 200 images, 0 duplicates, 0 requests before a reset time, every output paired', async () => {
		emu.faults.setRandom({
			seed: 20261128,
			rate: 0.04,
			kinds: ['429', '503', '500', '502', 'drop', 'drop-after'],
			listeners: ['api', 'storage'],
			max: 25,
		});
		const items = photos(200, 'site');
		const run = await upload(emu, items, { advanced: { parallelUploads: 8, maxWaitSeconds: 120 } });
		expectEveryPhotoOnce(emu, items, run);
		expect(emu.stats.imagesCreated).toBe(200);
		expect(emu.faults.fired.filter((fault: { random: boolean }) => fault.random).length).toBeGreaterThan(5);
	}, 600_000);
});
