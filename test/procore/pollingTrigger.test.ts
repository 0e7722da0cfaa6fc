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
// A second project of ACME with its own album (test/emulator/README.md, "Seeded data").
const OLD_DEPOT = '2003';
const OLD_DEPOT_ALBUM = 5006;

function harness(parameters: Record<string, unknown> = {}) {
	return new TriggerHarness({
		nodeType: photosTrigger,
		parameters: { companyId: rl(ACME), projectId: rl(HARBOR_TOWER), triggerOn: 'new', options: {}, ...parameters } as never,
		credentials: { procoreOAuth2Api: serviceAccount(emu) as never },
		credentialTypes: [procoreCredential],
	});
}

/** A photo put straight into the emulator's state, created (and updated) at the given instant. */
function addPhoto(at: number, name = `photo-${at}.jpg`, project = { id: HARBOR_TOWER, albumId: SITE_PROGRESS }) {
	const id = emu.state.nextId('image') as number;
	const iso = new Date(at).toISOString();
	emu.state.images.set(id, {
		id,
		projectId: Number(project.id),
		companyId: Number(ACME),
		albumId: project.albumId,
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
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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

	test("Download the Photo: a photo whose file storage refuses comes with downloadError, and the photos after it still come", async () => {
		const trigger = harness({ options: { downloadPhoto: true } });
		expect(await trigger.poll()).toBeNull();
		const made: number[] = [];
		for (const name of ['refused.jpg', 'fine.jpg']) {
			const created = await createImage({}, [photoItem(jpegBytes(3_000), name)]);
			expect(created.error).toBeUndefined();
			made.push(Number(created.items[0].json.id));
		}
		const [refused, fine] = made;
		// Storage refuses the first photo's file for good (a removed object, a policy), whatever the link.
		const objectKey = (emu.state.images.get(refused) as { objectKey: string }).objectKey;
		emu.faults.inject({ listener: 'storage', method: 'GET', path: new RegExp(`${escapeRegExp(objectKey)}$`), status: 403, times: Infinity });

		const output = await trigger.poll();
		expect(ids(output)).toEqual([refused, fine]);
		const [failed, downloaded] = output![0];
		expect(failed.binary).toBeUndefined();
		expect(failed.json.filename).toBe('refused.jpg');
		const downloadError = failed.json.downloadError as { message: string; description?: string };
		expect(downloadError.message).toMatch(new RegExp(`^Downloading photo ${refused} in project ${HARBOR_TOWER}: `));
		expect(JSON.stringify(downloadError)).not.toMatch(/signature=|expires=|X-Amz|Bearer|https?:\/\//i);
		expect(downloaded.json.downloadError).toBeUndefined();
		expect(downloaded.binary?.data.fileName).toBe('fine.jpg');
		// The cursor went past the refused photo: it is not given out again, and a later photo comes.
		expect(await trigger.poll()).toBeNull();
		const later = await createImage({}, [photoItem(jpegBytes(3_000), 'later.jpg')]);
		expect(later.error).toBeUndefined();
		expect(ids(await trigger.poll())).toEqual([later.items[0].json.id]);
		emu.faults.clear();
	});

	test('Download the Photo: a credential that no longer works still fails the poll, and the photo comes with the next one', async () => {
		const trigger = harness({ options: { downloadPhoto: true } });
		expect(await trigger.poll()).toBeNull();
		const created = await createImage({}, [photoItem(jpegBytes(3_000), 'dead-credential.jpg')]);
		expect(created.error).toBeUndefined();
		const id = Number(created.items[0].json.id);
		emu.faults.inject({ method: 'GET', path: '/rest/v1.0/images/*', status: 401, times: Infinity, body: { message: 'The access token is invalid' } });
		await expect(trigger.poll()).rejects.toThrow(/did not accept the credential \(401\)/);
		emu.faults.clear();
		const output = await trigger.poll();
		expect(ids(output)).toEqual([id]);
		expect(output![0][0].binary?.data.fileName).toBe('dead-credential.jpg');
	});

	test('another Project on an active trigger starts afresh: the photos already in that project are not news', async () => {
		const trigger = harness();
		expect(await trigger.poll()).toBeNull();
		// Photos of the other project since this trigger started, before the user switches to it.
		const oldDepot = { id: OLD_DEPOT, albumId: OLD_DEPOT_ALBUM };
		addPhoto(wholeSecond(1), 'before-switch-1.jpg', oldDepot);
		addPhoto(wholeSecond(1) + 500, 'before-switch-2.jpg', oldDepot);
		trigger.node.parameters.projectId = rl(OLD_DEPOT);

		// The first poll on the new project only marks where to start, as on activation.
		expect(await trigger.poll()).toBeNull();
		expect(trigger.staticData).toMatchObject({ companyId: ACME, projectId: OLD_DEPOT });
		const after = addPhoto(wholeSecond(3), 'after-switch.jpg', oldDepot);
		expect(ids(await trigger.poll())).toEqual([after]);
		expect(await trigger.poll()).toBeNull();
	});
});
