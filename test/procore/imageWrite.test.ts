/**
 * Image → Update and Image → Delete, run through n8n's engine against the emulator: only the fields
 * set are sent, moving photos between albums, soft and permanent delete, Photos permission levels,
 * lost answers, Continue On Fail.
 */
import type { InputItem } from '../engine';
import {
	ACME,
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
const BUILDING_A = 6001;
const CONCRETE = 4001;
const ELECTRICAL = 4002;
const PLUMBING = 4003;
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

/** Runs Image → Update or Delete (in `parameters`) in Harbor Tower. */
async function runProcore(
	parameters: { resource: string; operation: string } & Record<string, unknown>,
	items: InputItem[] = [{ json: {} }],
	options: { continueOnFail?: boolean } = {},
) {
	const { resource, operation, ...rest } = parameters;
	return await runOperation({
		resource,
		operation,
		parameters: { companyId: rl(ACME), projectId: rl(HARBOR_TOWER), advancedOptions: {}, ...rest },
		items,
		...options,
	});
}

/** A photo in Site Progress with description, trades, location, log date and star, made by the node. */
async function newPhoto(name = 'pour.png'): Promise<number> {
	const run = await createImage(
		{
			uploadMethod: 'inline',
			additionalFields: {
				description: 'Before the pour',
				tradeIds: [String(CONCRETE)],
				location: rl(String(BUILDING_A)),
				logDate: '2026-11-28',
				starred: true,
				dailyLogSegmentId: '44',
			},
		},
		[photoItem(PNG_1X1, name, 'image/png')],
	);
	expect(run.error).toBeUndefined();
	const id = Number(run.items[0].json.id);
	emu.reset();
	return id;
}

function stored(id: number) {
	const image = emu.state.images.get(id);
	if (!image) throw new Error(`image ${id} is not in the emulator`);
	return image;
}

const update = (imageId: unknown, updateFields: Record<string, unknown>) => ({
	resource: 'image',
	operation: 'update',
	imageId: typeof imageId === 'object' ? imageId : rl(String(imageId)),
	updateFields,
});

const remove = (imageId: unknown, permanent = false) => ({
	resource: 'image',
	operation: 'delete',
	imageId: rl(String(imageId)),
	permanent,
});

const apiCalls = (method?: string) =>
	emu.requests.filter((request) => request.listener === 'api' && (!method || request.method === method));

describe('Image → Update', () => {
	test('sends only the field set: one PATCH whose body is exactly {"image":{"description":…}}', async () => {
		const id = await newPhoto();
		const before = { ...stored(id), tradeIds: [...stored(id).tradeIds] };
		const run = await runProcore(update(id, { description: 'After the pour' }));
		expect(run.error).toBeUndefined();
		expect(run.items).toHaveLength(1);
		expect(run.items[0].pairedItem).toEqual({ item: 0 });
		expect(run.items[0].json).toMatchObject({ id, description: 'After the pour', image_category_id: SITE_PROGRESS });

		const patches = apiCalls('PATCH');
		expect(patches).toHaveLength(1);
		expect(patches[0].path).toBe(`/rest/v1.0/images/${id}`);
		expect(patches[0].query).toEqual({ project_id: HARBOR_TOWER });
		expect(patches[0].bodyBytes).toBe(Buffer.byteLength(JSON.stringify({ image: { description: 'After the pour' } })));
		// Everything else is as it was.
		expect(stored(id)).toMatchObject({
			description: 'After the pour',
			albumId: before.albumId,
			tradeIds: [CONCRETE],
			locationId: BUILDING_A,
			logDate: '2026-11-28',
			starred: true,
			private: false,
			dailyLogSegmentId: 44,
		});
		expect(apiCalls()).toHaveLength(1);
	});

	test('every field at once, typed as in Create: album by ID, location by path, trades, log date, flags, segment', async () => {
		const id = await newPhoto();
		const run = await runProcore(
			update(id, {
				albumId: rl(String(SAFETY_WALKS)),
				description: 'Rebar check',
				location: rl('Building C > Level 1', 'path'),
				tradeIds: `${ELECTRICAL}, ${PLUMBING}`,
				logDate: '2026-12-01T09:30:00.000Z',
				private: true,
				starred: false,
				dailyLogSegmentId: '45',
			}),
		);
		expect(run.error).toBeUndefined();
		const image = stored(id);
		const location = emu.state.locations.get(image.locationId);
		expect(location?.nodeName).toBe('Level 1');
		expect(image).toMatchObject({
			albumId: SAFETY_WALKS,
			description: 'Rebar check',
			tradeIds: [ELECTRICAL, PLUMBING],
			logDate: '2026-12-01',
			private: true,
			starred: false,
			dailyLogSegmentId: 45,
		});
		expect(run.items[0].json).toMatchObject({ image_category_id: SAFETY_WALKS, image_category_name: 'Safety Walks', log_date: '2026-12-01' });
	});

	test('a location path the project may not create fails before the photo changes (Disable Dynamic Location Creation)', async () => {
		const id = await newPhoto();
		const project = emu.state.projects.get(Number(HARBOR_TOWER)) as { disableDynamicLocationCreation: boolean };
		project.disableDynamicLocationCreation = true;
		try {
			const run = await runProcore(update(id, { location: rl('Building Z > Roof', 'path'), starred: false }));
			expect(run.error?.message).toMatch(/^Procore refused the location "Building Z > Roof" in project 2001/);
			expect(run.error?.description).toMatch(/Disable Dynamic Location Creation/);
			expect(apiCalls('PATCH')).toHaveLength(0);
			expect(stored(id)).toMatchObject({ locationId: BUILDING_A, starred: true });
		} finally {
			project.disableDynamicLocationCreation = false;
		}
	});

	test('moves a photo between albums, by ID and then by name (case aside), the albums read once', async () => {
		const id = await newPhoto();
		expect(stored(id).albumId).toBe(SITE_PROGRESS);
		let run = await runProcore(update(id, { albumId: rl(String(SAFETY_WALKS), 'list') }));
		expect(run.error).toBeUndefined();
		expect(stored(id).albumId).toBe(SAFETY_WALKS);

		emu.reset();
		const other = await newPhoto('second.png');
		run = await runProcore(update(rl('={{ $json.id }}'), { albumId: rl('  site progress ', 'name') }), [
			{ json: { id } },
			{ json: { id: other } },
		]);
		expect(run.error).toBeUndefined();
		// Parameters with expressions: the engine resolves them per item.
		expect(stored(id).albumId).toBe(SITE_PROGRESS);
		expect(emu.requests.filter((request) => request.path === '/rest/v1.0/image_categories')).toHaveLength(1);
		expect(apiCalls('PATCH')).toHaveLength(2);
	});

	test('an album name the project lacks fails before any PATCH, and creates nothing', async () => {
		const id = await newPhoto();
		const albumsBefore = emu.albums(Number(HARBOR_TOWER)).length;
		const run = await runProcore(update(id, { albumId: rl('Level 9 Pour', 'name') }));
		expect(run.error?.message).toBe(`Project ${HARBOR_TOWER} has no album named "Level 9 Pour"`);
		expect(run.error?.description).toMatch(/Album → Get or Create/);
		expect(apiCalls('PATCH')).toHaveLength(0);
		expect(emu.albums(Number(HARBOR_TOWER))).toHaveLength(albumsBefore);
	});

	test('nothing to update: a clear error before any request to Procore', async () => {
		const run = await runProcore(update(9001, {}));
		expect(run.error?.message).toBe('No field to update');
		expect(run.error?.description).toMatch(/Update Fields/);
		expect(apiCalls()).toHaveLength(0);
	});

	test('Description and Trades added but left empty clear them; a Log Date that is no date fails before sending', async () => {
		const id = await newPhoto();
		let run = await runProcore(update(id, { description: '', tradeIds: [] }));
		expect(run.error).toBeUndefined();
		expect(stored(id)).toMatchObject({ description: '', tradeIds: [], starred: true, locationId: BUILDING_A });

		emu.reset();
		run = await runProcore(update(id, { logDate: '2026-02-30' }));
		expect(run.error?.message).toBe('Log Date "2026-02-30" is not a date');
		expect(apiCalls()).toHaveLength(0);
	});

	test('an Image ID that is not an ID is refused before any request: typed in the editor, or from an expression', async () => {
		let run = await runProcore(update('9001/../../companies', { description: 'x' }));
		expect(run.error?.message).toMatch(/An image ID is a whole number of at most 16 digits/);
		run = await runProcore(update(rl('={{ $json.id }}'), { description: 'x' }), [{ json: { id: '9001/../../companies' } }]);
		expect(run.error?.message).toBe('Image ID "9001/../../companies" is not a Procore ID');
		expect(apiCalls()).toHaveLength(0);
	});

	test('the photo by its address in Procore (By URL), for Update and for Delete', async () => {
		const id = await newPhoto();
		const address = `http://127.0.0.1/${HARBOR_TOWER}/project/photos/images/${id}`;
		let run = await runProcore(update(rl(address, 'url'), { starred: false }));
		expect(run.error).toBeUndefined();
		expect(stored(id).starred).toBe(false);
		run = await runProcore({ ...remove(0), imageId: rl(address, 'url') });
		expect(run.error).toBeUndefined();
		expect(run.items[0].json).toEqual({ id, deleted: true, permanently: false });
		expect(apiCalls().map((request) => `${request.method} ${request.path}`)).toEqual([
			`PATCH /rest/v1.0/images/${id}`,
			`DELETE /rest/v1.0/images/${id}`,
		]);
	});

	test('404 names the photo and the project', async () => {
		const run = await runProcore(update(987654, { starred: true }));
		expect(run.error?.message).toMatch(/^Updating photo 987654 in project 2001: Procore could not find it \(404\)/);
		expect(run.error?.description).toBe(
			'Procore has no photo 987654 in project 2001 that this user can see. Check the Image and the project; a photo in the recycle bin cannot be edited.',
		);
	});

	test('403 on Private: true says marking a photo private needs Admin on Photos; Standard may still edit', async () => {
		const id = await newPhoto();
		setPhotosPermission('standard');
		let run = await runProcore(update(id, { private: true }));
		expect(run.error?.message).toMatch(/^Updating photo \d+ in project 2001: Procore refused access \(403\)/);
		expect(run.error?.description).toMatch(/^Marking a photo private needs the Admin permission level on the project's Photos tool/);
		expect(stored(id).private).toBe(false);

		run = await runProcore(update(id, { starred: false }));
		expect(run.error).toBeUndefined();
		expect(stored(id).starred).toBe(false);

		setPhotosPermission('read_only');
		run = await runProcore(update(id, { starred: true }));
		expect(run.error?.description).toMatch(/^Procore refused editing the photo: .*Read Only cannot edit photos/);
	});

	test('a PATCH whose answer is lost after Procore applied it is sent again and ends in the same state', async () => {
		const id = await newPhoto();
		emu.faults.inject({ method: 'PATCH', path: '/rest/v1.0/images/*', drop: 'after-processing' });
		const run = await runProcore(update(id, { description: 'Checked twice', starred: false }));
		expect(run.error).toBeUndefined();
		const patches = apiCalls('PATCH');
		expect(patches).toHaveLength(2);
		expect(patches[0].dropped).toBe(true);
		expect(patches[1].status).toBe(200);
		expect(run.items[0].json).toMatchObject({ id, description: 'Checked twice', starred: false });
		expect(stored(id)).toMatchObject({ description: 'Checked twice', starred: false, tradeIds: [CONCRETE] });
	});
});

describe('Image → Delete', () => {
	test('to the recycle bin by default: no permanent parameter, the photo leaves the list, output paired', async () => {
		const id = await newPhoto();
		const run = await runProcore(remove(id));
		expect(run.error).toBeUndefined();
		expect(run.items).toEqual([{ json: { id, deleted: true, permanently: false }, pairedItem: { item: 0 } }]);
		const deletes = apiCalls('DELETE');
		expect(deletes).toHaveLength(1);
		expect(deletes[0].query).toEqual({ project_id: HARBOR_TOWER });
		expect(stored(id).deletedAt).toBeTruthy();
		expect(stored(id).permanentlyDeleted).toBeFalsy();
	});

	test('Permanently: permanent=true, the photo is gone for good', async () => {
		const id = await newPhoto();
		const run = await runProcore(remove(id, true));
		expect(run.error).toBeUndefined();
		expect(run.items[0].json).toEqual({ id, deleted: true, permanently: true });
		expect(apiCalls('DELETE')[0].query).toEqual({ project_id: HARBOR_TOWER, permanent: 'true' });
		expect(stored(id).permanentlyDeleted).toBe(true);
	});

	test('a photo in the recycle bin can still be deleted permanently', async () => {
		const id = await newPhoto();
		let run = await runProcore(remove(id));
		expect(run.error).toBeUndefined();
		expect(stored(id).permanentlyDeleted).toBeFalsy();
		run = await runProcore(remove(id, true));
		expect(run.error).toBeUndefined();
		expect(run.items[0].json).toEqual({ id, deleted: true, permanently: true });
		expect(stored(id).permanentlyDeleted).toBe(true);
	});

	test('403 says deleting photos needs Admin on Photos; the photo stays', async () => {
		const id = await newPhoto();
		setPhotosPermission('standard');
		const run = await runProcore(remove(id));
		expect(run.error?.message).toMatch(/^Deleting photo \d+ in project 2001: Procore refused access \(403\)/);
		expect(run.error?.description).toMatch(/^Deleting photos needs the Admin permission level on the project's Photos tool/);
		expect(stored(id).deletedAt).toBeFalsy();
	});

	test('404 names the photo and the project (a 404 on a first send is a failure)', async () => {
		const run = await runProcore(remove(987654, true));
		expect(run.error?.message).toMatch(/^Permanently deleting photo 987654 in project 2001: Procore could not find it \(404\)/);
		expect(run.error?.description).toMatch(/^Procore has no photo 987654 in project 2001 that this user can see/);
		expect(apiCalls('DELETE')).toHaveLength(1);
	});

	test('a permanent delete whose answer is lost is sent again; its 404 means done', async () => {
		const id = await newPhoto();
		emu.faults.inject({ method: 'DELETE', path: '/rest/v1.0/images/*', drop: 'after-processing' });
		const run = await runProcore(remove(id, true));
		expect(run.error).toBeUndefined();
		expect(run.items[0].json).toEqual({ id, deleted: true, permanently: true });
		const deletes = apiCalls('DELETE');
		expect(deletes.map((request) => request.status)).toEqual([0, 404]);
		expect(stored(id).permanentlyDeleted).toBe(true);
	});

	test('a soft delete whose answer is lost is sent again and stays in the recycle bin', async () => {
		const id = await newPhoto();
		emu.faults.inject({ method: 'DELETE', path: '/rest/v1.0/images/*', drop: 'after-processing' });
		const run = await runProcore(remove(id));
		expect(run.error).toBeUndefined();
		expect(run.items[0].json).toEqual({ id, deleted: true, permanently: false });
		expect(apiCalls('DELETE')).toHaveLength(2);
		expect(stored(id).deletedAt).toBeTruthy();
		expect(stored(id).permanentlyDeleted).toBeFalsy();
	});

	test('a delete dropped before Procore processed it is sent again and deletes once', async () => {
		const id = await newPhoto();
		emu.faults.inject({ method: 'DELETE', path: '/rest/v1.0/images/*', drop: 'before-response' });
		const run = await runProcore(remove(id, true));
		expect(run.error).toBeUndefined();
		expect(apiCalls('DELETE').map((request) => request.status)).toEqual([0, 200]);
		expect(stored(id).permanentlyDeleted).toBe(true);
	});

	test('Continue On Fail: errors stay in their item, in input order, paired', async () => {
		const first = await newPhoto('first.png');
		const third = await newPhoto('third.png');
		const run = await runProcore(
			{ ...remove(0), imageId: rl('={{ $json.id }}') },
			[{ json: { id: first } }, { json: { id: 987654 } }, { json: { id: 'twelve' } }, { json: { id: third } }],
			{ continueOnFail: true },
		);
		expect(run.error).toBeUndefined();
		expect(run.items).toHaveLength(4);
		expect(run.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }, { item: 3 }]);
		expect(run.items[0].json).toEqual({ id: first, deleted: true, permanently: false });
		expect(run.items[1].json.error).toMatch(/^Deleting photo 987654 in project 2001: Procore could not find it \(404\)/);
		expect(run.items[2].json.error).toBe('Image ID "twelve" is not a Procore ID');
		expect(run.items[3].json).toEqual({ id: third, deleted: true, permanently: false });
		expect(stored(first).deletedAt).toBeTruthy();
		expect(stored(third).deletedAt).toBeTruthy();
	});
});

describe('Image → Update, Continue On Fail', () => {
	test('errors stay in their item, in input order; the other photo moves to Unclassified', async () => {
		const id = await newPhoto();
		const run = await runProcore(
			update(rl('={{ $json.id }}'), { albumId: rl(String(UNCLASSIFIED)) }),
			[{ json: { id: 987654 } }, { json: { id } }],
			{ continueOnFail: true },
		);
		expect(run.error).toBeUndefined();
		expect(run.items[0].json.error).toMatch(/^Updating photo 987654/);
		expect(run.items[1].json).toMatchObject({ id, image_category_id: UNCLASSIFIED });
		expect(run.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	});
});
