import { TriggerHarness } from '../engine/triggers';
import { ProcorePhotosTrigger } from '../../nodes/ProcorePhotosTrigger/ProcorePhotosTrigger.node';
import {
	ACME,
	createImage,
	HARBOR_TOWER,
	jpegBytes,
	photoItem,
	procoreCredential,
	rl,
	serviceAccount,
	sha256,
	SITE_PROGRESS,
	useEmulator,
} from './fixtures';

const emu = useEmulator();
// reset() keeps the records; each test starts from a project without photos.
beforeEach(() => emu.state.images.clear());

const photosTrigger = new ProcorePhotosTrigger();
const SECOND = 1000;

function harness(parameters: Record<string, unknown> = {}) {
	return new TriggerHarness({
		nodeType: photosTrigger,
		parameters: { companyId: rl(ACME), projectId: rl(HARBOR_TOWER), triggerOn: 'new', options: {}, ...parameters } as never,
		credentials: { procoreOAuth2Api: serviceAccount(emu) as never },
		credentialTypes: [procoreCredential],
	});
}

/** A photo put straight into the emulator's state, created (and updated) at the given instant. */
function addPhoto(at: number, name = `photo-${at}.jpg`) {
	const id = emu.state.nextId('image') as number;
	const iso = new Date(at).toISOString();
	emu.state.images.set(id, {
		id,
		projectId: Number(HARBOR_TOWER),
		companyId: Number(ACME),
		albumId: SITE_PROGRESS,
		locationId: null,
		tradeIds: [],
		description: null,
		source: null,
		private: false,
		starred: false,
		logDate: null,
		dailyLogSegmentId: null,
		providerType: null,
		providerId: null,
		filename: name,
		size: 1000,
		sha256: '',
		contentType: 'image/jpeg',
		objectKey: `emulator/none/${id}`,
		uploadUuid: null,
		via: 'data',
		uploaderId: 3001,
		takenAt: null,
		createdAt: iso,
		updatedAt: iso,
	});
	return id;
}

/** The start of the whole second `seconds` from now: tests place photos at exact seconds. */
const wholeSecond = (seconds: number) => (Math.floor(Date.now() / SECOND) + seconds) * SECOND;
const ids = (output: Awaited<ReturnType<TriggerHarness['poll']>>) => (output?.[0] ?? []).map((item) => item.json.id);
const listCalls = () => emu.requests.filter((request) => request.method === 'GET' && request.path === '/rest/v1.0/images');

describe('Procore Photos Trigger (polling)', () => {
	test('the first poll only sets the cursor: photos already there are no flood, and later polls give each new photo once', async () => {
		addPhoto(Date.now() - 3600 * SECOND);
		addPhoto(Date.now() - 60 * SECOND);
		const trigger = harness();

		expect(await trigger.poll()).toBeNull();
		const cursor = trigger.staticData.cursor as string;
		// Whole seconds only, as Procore's ranges take them (the emulator refuses milliseconds).
		expect(cursor).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
		expect(await trigger.poll()).toBeNull();

		const first = addPhoto(wholeSecond(2) + 100);
		const secondAt = wholeSecond(3);
		const second = addPhoto(secondAt + 200);
		expect(ids(await trigger.poll())).toEqual([first, second]);
		expect(await trigger.poll()).toBeNull();
		const ranges = listCalls()
			.map((call) => call.query['filters[created_at]'] as string | undefined)
			.filter((range) => range !== undefined);
		// The first poll's look at the mark's second and the three polls after it.
		expect(ranges).toHaveLength(4);
		for (const range of ranges) expect(range).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.\.\.\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
		// The cursor is the newest photo's second; each poll looks back from it, never before the start.
		expect(trigger.staticData.cursor).toBe(new Date(secondAt).toISOString().replace('.000Z', 'Z'));
		expect(ranges.at(-1)!.split('...')[0]).toBe(trigger.staticData.since);
		expect(listCalls().every((call) => call.status === 200)).toBe(true);
	});

	test('every photo exactly once when several land in the same second, across polls', async () => {
		const trigger = harness();
		expect(await trigger.poll()).toBeNull();
		const second = wholeSecond(2);
		const a = addPhoto(second + 100);
		const b = addPhoto(second + 150);
		expect(ids(await trigger.poll())).toEqual([a, b]);
		// Two more in that same second, after the poll that gave out a and b.
		const c = addPhoto(second + 800);
		const d = addPhoto(second + 900);
		expect(ids(await trigger.poll())).toEqual([c, d]);
		expect(await trigger.poll()).toBeNull();
		const e = addPhoto(second + SECOND + 10);
		expect(ids(await trigger.poll())).toEqual([e]);
		expect(await trigger.poll()).toBeNull();
	});

	test('a photo the list shows only after a newer one was given out still comes, once', async () => {
		const trigger = harness();
		expect(await trigger.poll()).toBeNull();
		const lagging = addPhoto(wholeSecond(1) + 500);
		// Not listed yet, as a search index that lags behind (the emulator's listLagMs reading).
		(emu.state.images.get(lagging) as { listedAfter?: number }).listedAfter = Date.now() + 60_000;
		const newer = addPhoto(wholeSecond(3));
		expect(ids(await trigger.poll())).toEqual([newer]);
		(emu.state.images.get(lagging) as { listedAfter?: number }).listedAfter = 0;
		expect(ids(await trigger.poll())).toEqual([lagging]);
		expect(await trigger.poll()).toBeNull();
	});

	test('a photo in the second the trigger started in, already there at activation, is not news', async () => {
		const trigger = harness();
		const atStart = addPhoto(wholeSecond(0) + 999);
		expect(await trigger.poll()).toBeNull();
		const later = addPhoto(wholeSecond(0) + 999);
		const output = ids(await trigger.poll());
		expect(output).toEqual([later]);
		expect(output).not.toContain(atStart);
	});

	test('New or Updated: an old photo that changes is given out; New Photos ignores it', async () => {
		const old = addPhoto(Date.now() - 3600 * SECOND);
		const updates = harness({ triggerOn: 'newOrUpdated' });
		const news = harness({ triggerOn: 'new' });
		expect(await updates.poll()).toBeNull();
		expect(await news.poll()).toBeNull();

		const image = emu.state.images.get(old) as { updatedAt: string };
		image.updatedAt = new Date(wholeSecond(2) + 5).toISOString();
		expect(ids(await updates.poll())).toEqual([old]);
		expect(await updates.poll()).toBeNull();
		expect(await news.poll()).toBeNull();
		const filters = listCalls().flatMap((call) => Object.keys(call.query).filter((key) => key.startsWith('filters[')));
		expect(new Set(filters)).toEqual(new Set(['filters[created_at]', 'filters[updated_at]']));
	});

	test('Fetch Test Event (manual): the newest photo, and the cursor is left alone', async () => {
		addPhoto(Date.now() - 7200 * SECOND, 'older.jpg');
		const newest = addPhoto(Date.now() - 60 * SECOND, 'newest.jpg');
		const trigger = harness();
		const output = await trigger.poll('manual');
		expect(ids(output)).toEqual([newest]);
		expect(trigger.staticData.cursor).toBeUndefined();
	});

	test('Fetch Test Event in a project without photos says so', async () => {
		await expect(harness().poll('manual')).rejects.toThrow(`Project ${HARBOR_TOWER} has no photos yet`);
	});

	test('Download the Photo: each new photo comes with its file, streamed like Image → Download', async () => {
		const trigger = harness({ options: { downloadPhoto: true, binaryPropertyName: 'photo' } });
		expect(await trigger.poll()).toBeNull();
		const bytes = jpegBytes(40_000);
		const created = await createImage({}, [photoItem(bytes, 'crane.jpg')]);
		expect(created.error).toBeUndefined();
		const output = await trigger.poll();
		expect(output?.[0]).toHaveLength(1);
		const item = output![0][0];
		expect(item.json.id).toBe(created.items[0].json.id);
		expect(item.binary?.photo.fileName).toBe('crane.jpg');
		const data = Buffer.from(item.binary!.photo.data, 'base64');
		expect(sha256(data)).toBe(sha256(bytes));
	});

	test("Download the Photo within n8n's poll budget: the photos left over come with the next poll, each once", async () => {
		const trigger = harness({ options: { downloadPhoto: true } });
		expect(await trigger.poll()).toBeNull();
		const made: number[] = [];
		for (const name of ['a.jpg', 'b.jpg', 'c.jpg']) {
			const created = await createImage({}, [photoItem(jpegBytes(3_000), name)]);
			expect(created.error).toBeUndefined();
			made.push(Number(created.items[0].json.id));
		}
		// Each download takes 400 ms; a 500 ms budget leaves time for one download per poll.
		emu.faults.inject({ method: 'GET', path: /^\/file-links\//, delayMs: 400, times: 10 });
		const polls: unknown[][] = [];
		for (let round = 0; round < 4; round++) polls.push(ids(await trigger.poll('trigger', { budgetMs: 500 })));
		expect(polls).toEqual([[made[0]], [made[1]], [made[2]], []]);
	});
});
