import type { INodeParameterResourceLocator } from 'n8n-workflow';

import { runListSearch } from '../engine';
import { idFromLocator } from '../../nodes/Procore/helpers/locators';
import { forgetLearned } from '../../nodes/Procore/transport/learned';
import { uploadLimits } from '../../nodes/Procore/transport/storage';
import {
	ACME,
	BETA,
	createImage,
	HARBOR_TOWER,
	jpegBytes,
	photoItem,
	procoreCredential,
	procoreNode,
	rl,
	serviceAccount,
	sha256,
	SITE_PROGRESS,
	useEmulator,
	userLogin,
} from './fixtures';

/**
 * Image → Create under each contested reading of Procore's documents (docs/procore-api.md §11),
 * played by the emulator (test/emulator/README.md "Contested readings"). The default reading is
 * covered by the rest of the suite.
 */

const emu = useEmulator();
beforeEach(() => forgetLearned());
afterEach(() => {
	emu.configure({
		createImageBodyForm: 'flat',
		completionRequiresSizeAndSha256: false,
		uploadsV10Gone: false,
		repeatedCompletion: 'ok',
		requireImageCategory: true,
		dynamicLocationRefusal: 'refuse',
		listLagMs: 0,
		clockOffsetMs: 0,
		spikeLimit: 0,
	});
	for (const project of emu.state.projects.values()) project.disableDynamicLocationCreation = false;
	for (const user of emu.state.users.values()) user.photosPermission = 'admin';
});

let serial = 0;
const named = (prefix: string, size = 3000) => photoItem(jpegBytes(size + serial), `${prefix}-${++serial}.jpg`);

async function create(
	parameters: Record<string, unknown>,
	items: Parameters<typeof createImage>[1],
	credentials: Record<string, unknown> = serviceAccount(emu),
) {
	return await createImage({ advancedOptions: { maxWaitSeconds: 60 }, ...parameters }, items, { credentials });
}

const locator = (url: string) => rl(url, 'url') as INodeParameterResourceLocator;

const imagePosts = () => emu.requests.filter((request) => request.method === 'POST' && request.path === '/rest/v1.0/images');

describe('regional web hosts', () => {
	const production = { environment: 'production' as const, webHosts: ['app.procore.com'] };

	test.each([
		'https://us02.procore.com/2001/project/home',
		'https://uk01.procore.com/2001/project/photos',
		'https://app.procore.com/2001/project/home',
	])('%s is a production project URL', (url) => {
		expect(idFromLocator({ name: 'Procore' } as never, 'project', locator(url), production, 0)).toBe('2001');
	});

	test.each([
		'https://us02.procore.com.example.com/2001/project/home',
		'https://xus02.procore.com/2001/project/home',
		'https://us02.procore.co/2001/project/home',
		'https://login.procore.com/2001/project/home',
		'https://us002.procore.com/2001/project/home',
	])('%s is refused', (url) => {
		expect(() => idFromLocator({ name: 'Procore' } as never, 'project', locator(url), production, 0)).toThrow(
			/not Procore in the credential's environment/,
		);
	});

	test("picker links use the company's own web base URL", async () => {
		const options = {
			nodeType: procoreNode,
			credentialTypes: [procoreCredential],
			credentials: { procoreOAuth2Api: userLogin(emu) as never },
			parameters: { resource: 'image', operation: 'create', companyId: rl(ACME) } as never,
		};
		const projects = await runListSearch('searchProjects', options);
		expect(projects.results.find((project) => project.value === HARBOR_TOWER)?.url).toBe(
			`https://us02.procore.com/${HARBOR_TOWER}/project/home`,
		);
		const companies = await runListSearch('searchCompanies', options);
		expect(companies.results.find((company) => company.value === ACME)?.url).toBe(`https://us02.procore.com/${ACME}/company/home`);
		expect(companies.results.find((company) => company.value === BETA)?.url).toBe(`https://app.procore.com/${BETA}/company/home`);
	});
});

describe('Create Image body: the tutorial’s nested form', () => {
	test('a refused flat body is sent once in the nested form, which is then used for every item', async () => {
		emu.configure({ createImageBodyForm: 'nested' });
		const items = [named('nested'), named('nested'), named('nested')];
		const run = await create({ advancedOptions: { parallelUploads: 1 } }, items);
		expect(run.error).toBeUndefined();
		expect(run.items.map((item) => item.json.filename)).toEqual(items.map((item) => item.binary.data.fileName));
		expect(imagePosts().map((request) => request.status)).toEqual([422, 201, 201, 201]);
		expect(emu.duplicateImages()).toEqual({ byUpload: [], byContent: [] });
	});

	test('the default (flat) reading is untouched: one POST per photo', async () => {
		const run = await create({}, [named('flat'), named('flat')]);
		expect(run.error).toBeUndefined();
		expect(imagePosts().map((request) => request.status)).toEqual([201, 201]);
	});
});

describe('segmented uploads', () => {
	// Segments are used only above S3's single-POST limit (5 GB); these tests lower it to 8 MiB.
	const singlePostMaxBytes = uploadLimits.singlePostMaxBytes;
	beforeEach(() => (uploadLimits.singlePostMaxBytes = uploadLimits.segmentBytes));
	afterEach(() => (uploadLimits.singlePostMaxBytes = singlePostMaxBytes));

	test('completion carries size, sha256 and etag; Uploads v1.1 serves when v1.0 is gone', async () => {
		emu.configure({ completionRequiresSizeAndSha256: true, uploadsV10Gone: true });
		const bytes = jpegBytes(12 * 1024 * 1024);
		const run = await create({}, [photoItem(bytes, 'tower-crane.jpg')]);
		expect(run.error).toBeUndefined();
		expect(emu.state.images.get(Number(run.items[0].json.id))).toMatchObject({ sha256: sha256(bytes) });
		expect(emu.requests.filter((request) => request.listener === 'api' && request.path.includes('/uploads')).every((request) => request.path.startsWith('/rest/v1.1/'))).toBe(true);
	});

	test('Uploads v1.0 when Procore answers 404 to v1.1', async () => {
		emu.faults.inject({ method: 'POST', path: /^\/rest\/v1\.1\/projects\/\d+\/uploads$/, status: 404, body: { error: 'Not Found' }, times: Infinity });
		const run = await create({ advancedOptions: { parallelUploads: 1 } }, [named('v10'), named('v10')]);
		emu.faults.clear();
		expect(run.error).toBeUndefined();
		const creates = emu.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/uploads'));
		// v1.1 once, then v1.0 for this photo and the next (remembered for the credential).
		expect(creates.map((request) => request.path.split('/')[2])).toEqual(['v1.1', 'v1.0', 'v1.0']);
	});

	test.each([410, 422] as const)('a completion re-sent after a lost answer meets %s: the upload is read, the photo made once', async (answer) => {
		emu.configure({ repeatedCompletion: answer });
		emu.faults.inject({ method: 'PATCH', path: /\/uploads\//, drop: 'after-processing' });
		const bytes = jpegBytes(11 * 1024 * 1024);
		const run = await create({}, [photoItem(bytes, `lost-completion-${answer}.jpg`)]);
		expect(run.error).toBeUndefined();
		const patches = emu.requests.filter((request) => request.method === 'PATCH');
		expect(patches.map((request) => request.status)).toEqual([0, answer]);
		expect(emu.requests.some((request) => request.method === 'GET' && /\/uploads\/[^/]+$/.test(request.path))).toBe(true);
		expect(emu.stats.imagesCreated).toBe(1);
	});
});

describe('an empty Album', () => {
	test('files the photo in the default album when the project has no "Unclassified"', async () => {
		emu.configure({ requireImageCategory: false });
		// Beta Project 002's default album is "Sin clasificar".
		const project = [...emu.state.projects.values()].find((candidate) => candidate.name === 'Beta Project 002')!;
		const defaultAlbum = emu.defaultAlbum(project.id)!;
		expect(defaultAlbum.name).toBe('Sin clasificar');
		const run = await create(
			{ companyId: rl(BETA), projectId: rl(String(project.id)), albumId: rl('', 'list') },
			[named('default-album')],
			serviceAccount(emu, { companyId: BETA }),
		);
		expect(run.error).toBeUndefined();
		expect(run.items[0].json.image_category_id).toBe(defaultAlbum.id);
	});
});

describe('Location By Path in a project with "Disable Dynamic Location Creation"', () => {
	test.each(['refuse', 'ignore'] as const)('reading "%s": a new path fails the item with the setting named, nothing created', async (reading) => {
		emu.configure({ dynamicLocationRefusal: reading });
		emu.state.projects.get(Number(HARBOR_TOWER))!.disableDynamicLocationCreation = true;
		const run = await create({ additionalFields: { location: rl('Building C > Roof', 'path') } }, [named('no-new-location')]);
		expect(run.error?.message).toMatch(/Procore refused the location "Building C > Roof" in project 2001/);
		expect(run.error?.description).toMatch(/Disable Dynamic Location Creation/);
		expect(run.error?.description).toMatch(/Pick an existing location/);
		expect(emu.stats.imagesCreated).toBe(0);
		expect(emu.stats.uploadsCreated).toBe(0);
	});

	test('an existing path still works', async () => {
		emu.state.projects.get(Number(HARBOR_TOWER))!.disableDynamicLocationCreation = true;
		const run = await create({ additionalFields: { location: rl('Building A > Level 2', 'path') } }, [named('existing-location')]);
		expect(run.error).toBeUndefined();
		expect((run.items[0].json.location as { id: number }).id).toBe(6002);
	});
});

describe('claiming a photo after a lost answer', () => {
	test('lists that lag and a colleague’s photo of the same name: the node claims only its own, once', async () => {
		emu.configure({ listLagMs: 2500 });
		const item = named('handover');
		const fileName = item.binary.data.fileName;
		// A colleague uploads a photo of the same name in the same minutes.
		const colleague = emu.createImageAs({ userId: 3002, filename: fileName, size: item.binary.data.bytes.length, albumId: SITE_PROGRESS });
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', drop: 'after-processing' });
		const run = await create({}, [item]);
		expect(run.error).toBeUndefined();
		expect(run.items[0].json.id).not.toBe(colleague.id);
		expect(emu.state.images.get(Number(run.items[0].json.id))).toMatchObject({ sha256: sha256(item.binary.data.bytes) });
		// One POST (lost), no second one: the photo was found on the second look.
		expect(imagePosts()).toHaveLength(1);
		const looks = emu.requests.filter((request) => request.method === 'GET' && request.path === '/rest/v1.0/images');
		expect(looks.length).toBeGreaterThanOrEqual(2);
		for (const look of looks) {
			const filters = look.query.filters as unknown as Record<string, string> | undefined;
			expect(String(look.query['filters[created_at]'] ?? filters?.created_at)).toMatch(
				/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.\.\.\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
			);
		}
		expect(JSON.stringify(looks[0].query)).toContain('3900');
	}, 60_000);

	test('a 500 that Procore always answers: one re-send after the look-up, then Procore’s words', async () => {
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 500, body: { errors: 'Image processing failed' }, times: Infinity });
		const run = await create({}, [named('always-500')]);
		emu.faults.clear();
		expect(imagePosts()).toHaveLength(2);
		expect(run.error?.message).toMatch(/Procore had an internal failure \(500\): Image processing failed/);
	}, 60_000);
});

describe('clock skew', () => {
	test.each([60_000, -60_000])('Procore’s clock %i ms from this machine’s: no request before a reset', async (offset) => {
		emu.configure({ clockOffsetMs: offset, spikeLimit: 10 });
		const items = Array.from({ length: 8 }, () => named('skew'));
		const run = await create({ advancedOptions: { parallelUploads: 4, maxWaitSeconds: 60 } }, items);
		expect(run.error).toBeUndefined();
		expect(run.items).toHaveLength(8);
		// More requests than one window allows: the node had to wait for resets on Procore's clock.
		expect(emu.requests.filter((request) => request.listener === 'api').length).toBeGreaterThan(10);
		expect(emu.stats.requestsBeforeReset).toBe(0);
		expect(emu.duplicateImages()).toEqual({ byUpload: [], byContent: [] });
	}, 120_000);
});

describe('permissions', () => {
	test('a 403 on a private photo says which Procore permission is missing', async () => {
		emu.state.users.get(3001)!.photosPermission = 'standard';
		const run = await create({ additionalFields: { private: true } }, [named('private')], userLogin(emu));
		expect(run.error?.message).toMatch(/403/);
		expect(run.error?.description).toMatch(/Marking a photo private needs the Admin level on the project's Photos tool/);
	});
});
