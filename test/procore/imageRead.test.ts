import type { INode } from 'n8n-workflow';

import { runListSearch, runNode } from '../engine';
import { imageIdFromProcoreUrl } from '../../nodes/Procore/helpers/images';
import {
	ACME,
	HARBOR_TOWER,
	procoreCredential,
	procoreNode,
	rl,
	serviceAccount,
	SITE_PROGRESS,
	useEmulator,
	userLogin,
} from './fixtures';

const emu = useEmulator();
// reset() keeps the records; each test starts from a project without photos.
beforeEach(() => emu.state.images.clear());

const SAFETY_WALKS = 5003;
const BUILDING_A = 6001;
const LEVEL_2 = 6002;
const BUILDING_B = 6003;
const START = Date.parse('2026-03-01T08:00:00Z');
const MINUTE = 60_000;

interface StoredImage {
	id: number;
	filename: string;
	createdAt: string;
	updatedAt: string;
	[key: string]: unknown;
}

/**
 * Photos put straight into the emulator's state (no upload: the list needs records, not bytes),
 * one a minute from START, so that sorting and date ranges have something to bite on.
 */
function addImages(count: number, make: (index: number) => Partial<StoredImage> = () => ({})): StoredImage[] {
	const added: StoredImage[] = [];
	for (let index = 0; index < count; index++) {
		const id = emu.state.nextId('image') as number;
		const at = new Date(START + index * MINUTE).toISOString();
		const image: StoredImage = {
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
			filename: `photo-${String(index).padStart(3, '0')}.jpg`,
			size: 1000 + index,
			sha256: '',
			contentType: 'image/jpeg',
			objectKey: `emulator/none/${id}`,
			uploadUuid: null,
			via: 'data',
			uploaderId: 3001,
			takenAt: null,
			createdAt: at,
			updatedAt: at,
			...make(index),
		};
		emu.state.images.set(id, image);
		added.push(image);
	}
	return added;
}

async function run(parameters: Record<string, unknown>, options: { items?: unknown[]; continueOnFail?: boolean } = {}) {
	return await runNode({
		nodeType: procoreNode,
		credentialTypes: [procoreCredential],
		parameters: { resource: 'image', companyId: rl(ACME), projectId: rl(HARBOR_TOWER), ...parameters } as never,
		inputItems: (options.items ?? [{ json: {} }]) as never,
		credentials: { procoreOAuth2Api: serviceAccount(emu) as never },
		continueOnFail: options.continueOnFail,
	});
}

const listCalls = () => emu.requests.filter((request) => request.method === 'GET' && request.path === '/rest/v1.0/images');
const ids = (items: Array<{ json: Record<string, unknown> }>) => items.map((item) => item.json.id);

describe('Image → Get', () => {
	test('by ID: the record of the photo, read from the project with the company header', async () => {
		const [image] = addImages(1, () => ({ description: 'North facade' }));
		const result = await run({ operation: 'get', imageId: rl(String(image.id)) });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json).toMatchObject({ id: image.id, filename: image.filename, description: 'North facade' });
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
		const call = emu.requests.find((request) => request.path === `/rest/v1.0/images/${image.id}`);
		expect(call?.query).toEqual({ project_id: HARBOR_TOWER });
		expect(call?.headers['procore-company-id']).toBe(ACME);
	});

	test.each([
		['classic', (id: number) => `http://127.0.0.1/${HARBOR_TOWER}/project/photos/images/${id}`],
		['newer', (id: number) => `http://127.0.0.1/webclients/host/companies/${ACME}/projects/${HARBOR_TOWER}/tools/photos/images/${id}?view=grid`],
		['query', (id: number) => `http://127.0.0.1/${HARBOR_TOWER}/project/photos?image_id=${id}`],
		['fragment', (id: number) => `http://127.0.0.1/${HARBOR_TOWER}/project/photos#image_id=${id}`],
	])('by URL (%s address)', async (_shape, address) => {
		const [image] = addImages(2);
		const result = await run({ operation: 'get', imageId: rl(address(image.id), 'url') });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.id).toBe(image.id);
	});

	test('by URL: another host, another project or no photo ID are refused before any request', async () => {
		const [image] = addImages(1);
		const elsewhere = await run({ operation: 'get', imageId: rl(`https://evil.example/${HARBOR_TOWER}/project/photos/images/${image.id}`, 'url') });
		expect(elsewhere.error?.message).toBe("Image URL points to evil.example, which is not Procore in the credential's environment");
		const otherProject = await run({ operation: 'get', imageId: rl(`http://127.0.0.1/2002/project/photos/images/${image.id}`, 'url') });
		expect(otherProject.error?.message).toBe(`The image URL is a photo of project 2002, not of project ${HARBOR_TOWER}`);
		// The editor's rule refuses an address without a photo ID; one from an expression meets the runtime's.
		const typed = await run({ operation: 'get', imageId: rl(`http://127.0.0.1/${HARBOR_TOWER}/project/photos`, 'url') });
		expect(typed.error?.message).toMatch(/Paste the address of an image page in Procore/);
		const mapped = await run({ operation: 'get', imageId: rl(`={{ "http://127.0.0.1/${HARBOR_TOWER}/project/photos" }}`, 'url') });
		expect(mapped.error?.message).toMatch(/^No photo ID found in the URL/);
		expect(emu.requests.filter((request) => request.path.startsWith('/rest/v1.0/images'))).toEqual([]);
	});

	test('404 names the photo and the project, and says Procore hides photos the user may not see', async () => {
		const result = await run({ operation: 'get', imageId: rl('987654') });
		expect(result.error?.message).toMatch(/^Reading photo 987654 in project 2001: Procore could not find it \(404\)/);
		expect(result.error?.description).toMatch(/Project 2001 has no photo 987654 that this user may see/);
		expect(result.error?.description).toMatch(/private photo/);
	});

	test('Continue On Fail: one output per input, in input order, errors in their place', async () => {
		const [first, second] = addImages(2);
		const result = await run(
			{ operation: 'get', imageId: rl('={{ $json.id }}') },
			{ items: [{ json: { id: first.id } }, { json: { id: 987654 } }, { json: { id: second.id } }], continueOnFail: true },
		);
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(result.items[0].json.id).toBe(first.id);
		expect(String(result.items[1].json.error)).toMatch(/^Reading photo 987654 in project 2001/);
		expect(result.items[2].json.id).toBe(second.id);
	});
});

describe('Image → Get Many: paging', () => {
	test('Return All reads every page, 100 a page, newest first, each photo paired to the input', async () => {
		const added = addImages(120);
		const result = await run({ operation: 'getMany', returnAll: true });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(120);
		expect(ids(result.items)).toEqual(added.map((image) => image.id).reverse());
		expect(result.items.every((item) => item.pairedItem && (item.pairedItem as { item: number }).item === 0)).toBe(true);
		const calls = listCalls();
		expect(calls.map((call) => [call.query.page, call.query.per_page, call.query.sort])).toEqual([
			['1', '100', '-created_at'],
			['2', '100', '-created_at'],
		]);
		expect(calls.every((call) => call.query.project_id === HARBOR_TOWER && call.headers['procore-company-id'] === ACME)).toBe(true);
	});

	test('Return All reads the pages after the first a few at a time, and keeps them in order', async () => {
		// 450 photos are 5 pages: page 1 says Total, then pages 2 to 5 go out together (PAGES_AT_ONCE
		// is 4), each answered after 300 ms, so they leave within a fraction of one answer's time.
		const added = addImages(450);
		emu.configure({ latencyMs: 300 });
		try {
			const result = await run({ operation: 'getMany', returnAll: true });
			expect(result.error).toBeUndefined();
			expect(ids(result.items)).toEqual(added.map((image) => image.id).reverse());
		} finally {
			emu.configure({ latencyMs: 0 });
		}
		const calls = listCalls();
		expect(calls.map((call) => call.query.page).sort()).toEqual(['1', '2', '3', '4', '5']);
		const first = calls.find((call) => call.query.page === '1')!;
		const rest = calls.filter((call) => call.query.page !== '1').map((call) => call.at);
		expect(Math.min(...rest) - first.at).toBeGreaterThanOrEqual(290);
		expect(Math.max(...rest) - Math.min(...rest)).toBeLessThan(250);
	});

	test('a Limit below a page asks Procore for no more than it keeps', async () => {
		addImages(30);
		const result = await run({ operation: 'getMany', returnAll: false, limit: 7 });
		expect(result.items).toHaveLength(7);
		expect(listCalls().map((call) => [call.query.page, call.query.per_page])).toEqual([['1', '7']]);
	});

	test('Limit stops at the limit, reading no page more than needed', async () => {
		addImages(230);
		const fifty = await run({ operation: 'getMany', returnAll: false, limit: 50 });
		expect(fifty.items).toHaveLength(50);
		expect(listCalls()).toHaveLength(1);
		emu.requests.length = 0;
		const more = await run({ operation: 'getMany', returnAll: false, limit: 130 });
		expect(more.items).toHaveLength(130);
		expect(listCalls().map((call) => call.query.page)).toEqual(['1', '2']);
	});

	test('the default Limit is 50', async () => {
		addImages(60);
		const result = await run({ operation: 'getMany' });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(50);
	});

	test('two input items: each lists on its own and its photos are paired to it', async () => {
		addImages(3);
		const result = await run({ operation: 'getMany', returnAll: true }, { items: [{ json: {} }, { json: {} }] });
		expect(result.items.map((item) => (item.pairedItem as { item: number }).item)).toEqual([0, 0, 0, 1, 1, 1]);
	});
});

describe('Image → Get Many: filters are sent as Procore documents them, and honoured', () => {
	test('album', async () => {
		const added = addImages(6, (index) => ({ albumId: index % 2 ? SAFETY_WALKS : SITE_PROGRESS }));
		const result = await run({ operation: 'getMany', returnAll: true, filters: { albumId: rl(String(SAFETY_WALKS), 'list') } });
		expect(result.error).toBeUndefined();
		expect(listCalls()[0].query.image_category_id).toBe(String(SAFETY_WALKS));
		expect(ids(result.items).sort()).toEqual(added.filter((_, index) => index % 2).map((image) => image.id).sort());
	});

	test('created and updated ranges, in UTC without milliseconds', async () => {
		const added = addImages(10, (index) => ({
			updatedAt: new Date(START + 24 * 60 * MINUTE + index * MINUTE).toISOString(),
		}));
		const created = await run({
			operation: 'getMany',
			returnAll: true,
			filters: { createdAfter: '2026-03-01T08:02:00.500Z', createdBefore: '2026-03-01T08:05:00Z' },
		});
		expect(created.error).toBeUndefined();
		expect(listCalls()[0].query['filters[created_at]']).toBe('2026-03-01T08:02:00Z...2026-03-01T08:05:00Z');
		expect(ids(created.items).sort()).toEqual(added.slice(2, 6).map((image) => image.id).sort());

		emu.requests.length = 0;
		// Without an offset, a date-time is in the workflow's time zone (n8n's default: New York).
		const updated = await run({ operation: 'getMany', returnAll: true, filters: { updatedAfter: '2026-03-02T03:07:00' } });
		expect(updated.error).toBeUndefined();
		const sent = String(listCalls()[0].query['filters[updated_at]']);
		expect(sent).toMatch(/^2026-03-02T08:07:00Z\.\.\.\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
		expect(ids(updated.items).sort()).toEqual(added.slice(7).map((image) => image.id).sort());
	});

	test('a range that starts after it ends fails naming the fields, before any request', async () => {
		const result = await run({
			operation: 'getMany',
			filters: { updatedAfter: '2026-03-05T00:00:00Z', updatedBefore: '2026-03-04T00:00:00Z' },
		});
		expect(result.error?.message).toBe('Updated After is later than Updated Before');
		expect(result.error?.description).toMatch(/2026-03-05T00:00:00Z.*2026-03-04T00:00:00Z/);
		expect(listCalls()).toEqual([]);
		const logDates = await run({ operation: 'getMany', filters: { logDate: '2026-03-05', logDateUntil: '2026-03-01' } });
		expect(logDates.error?.message).toBe('Log Date is later than Log Date Until');
	});

	test('log date: one day, or a range', async () => {
		const added = addImages(5, (index) => ({ logDate: `2026-03-0${index + 1}` }));
		const day = await run({ operation: 'getMany', returnAll: true, filters: { logDate: '2026-03-02T00:00:00' } });
		expect(listCalls()[0].query['filters[log_date]']).toBe('2026-03-02');
		expect(ids(day.items)).toEqual([added[1].id]);
		emu.requests.length = 0;
		const range = await run({ operation: 'getMany', returnAll: true, filters: { logDate: '2026-03-02', logDateUntil: '2026-03-04' } });
		expect(listCalls()[0].query['filters[log_date]']).toBe('2026-03-02...2026-03-04');
		expect(ids(range.items).sort()).toEqual(added.slice(1, 4).map((image) => image.id).sort());
	});

	test('uploader IDs, trades, private, starred and search text', async () => {
		const added = addImages(8, (index) => ({
			uploaderId: index < 4 ? 3001 : 3002,
			tradeIds: index % 2 ? [4002] : [4001],
			private: index === 1 || index === 5,
			starred: index === 3,
			filename: index === 6 ? 'north-facade.jpg' : `photo-${index}.jpg`,
		}));
		const uploader = await run({ operation: 'getMany', returnAll: true, filters: { uploaderIds: '3002' } });
		expect(listCalls().at(-1)?.query['filters[uploader_id][]']).toBe('3002');
		expect(ids(uploader.items).sort()).toEqual(added.slice(4).map((image) => image.id).sort());

		const trades = await run({ operation: 'getMany', returnAll: true, filters: { tradeIds: ['4002'] } });
		expect(listCalls().at(-1)?.query['filters[trade_ids][]']).toBe('4002');
		expect(trades.items).toHaveLength(4);

		const privateOnly = await run({ operation: 'getMany', returnAll: true, filters: { private: true } });
		expect(listCalls().at(-1)?.query['filters[private]']).toBe('true');
		expect(ids(privateOnly.items).sort()).toEqual([added[1].id, added[5].id].sort());
		// Procore documents only what true does; off is no filter.
		const both = await run({ operation: 'getMany', returnAll: true, filters: { private: false, starred: false } });
		expect(listCalls().at(-1)?.query).not.toHaveProperty('filters[private]');
		expect(listCalls().at(-1)?.query).not.toHaveProperty('filters[starred]');
		expect(both.items).toHaveLength(8);

		const starred = await run({ operation: 'getMany', returnAll: true, filters: { starred: true } });
		expect(listCalls().at(-1)?.query['filters[starred]']).toBe('true');
		expect(ids(starred.items)).toEqual([added[3].id]);

		const search = await run({ operation: 'getMany', returnAll: true, filters: { query: '  facade ' } });
		expect(listCalls().at(-1)?.query['filters[query]']).toBe('facade');
		expect(ids(search.items)).toEqual([added[6].id]);
	});

	test('location, with or without sublocations', async () => {
		const added = addImages(3, (index) => ({ locationId: [BUILDING_A, LEVEL_2, BUILDING_B][index] }));
		const withSub = await run({ operation: 'getMany', returnAll: true, filters: { location: rl(String(BUILDING_A), 'list') } });
		expect(listCalls().at(-1)?.query).toMatchObject({
			'filters[location_id][]': String(BUILDING_A),
			'filters[include_sublocations]': 'true',
		});
		expect(ids(withSub.items).sort()).toEqual([added[0].id, added[1].id].sort());
		const exact = await run({
			operation: 'getMany',
			returnAll: true,
			filters: { location: rl(String(BUILDING_A)), includeSublocations: false },
		});
		expect(listCalls().at(-1)?.query['filters[include_sublocations]']).toBe('false');
		expect(ids(exact.items)).toEqual([added[0].id]);
	});

	test('a wrong uploader ID fails naming the field', async () => {
		const result = await run({ operation: 'getMany', filters: { uploaderIds: '3001, pat' } });
		expect(result.error?.message).toBe('Uploader ID "pat" is not a Procore ID');
		expect(listCalls()).toEqual([]);
	});
});

describe('Image → Get Many: sort and IDs Only', () => {
	test('oldest first, and by taken date', async () => {
		const added = addImages(4, (index) => ({ takenAt: new Date(START - [3, 1, 2, 0][index] * 24 * 60 * MINUTE).toISOString() }));
		const oldest = await run({ operation: 'getMany', returnAll: true, options: { sort: 'created_at' } });
		expect(listCalls().at(-1)?.query.sort).toBe('created_at');
		expect(ids(oldest.items)).toEqual(added.map((image) => image.id));
		const taken = await run({ operation: 'getMany', returnAll: true, options: { sort: '-taken_at' } });
		expect(listCalls().at(-1)?.query.sort).toBe('-taken_at');
		expect(ids(taken.items)).toEqual([added[3].id, added[1].id, added[2].id, added[0].id]);
	});

	test('IDs Only: one { id } item per photo, from the ids_only view, over several pages', async () => {
		const added = addImages(130);
		const result = await run({ operation: 'getMany', returnAll: true, options: { idsOnly: true } });
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual(added.map((image) => ({ id: image.id })).reverse());
		expect(listCalls().map((call) => call.query.serializer_view)).toEqual(['ids_only', 'ids_only']);
	});
});

describe('Image picker', () => {
	const pick = () => ({
		nodeType: procoreNode,
		credentialTypes: [procoreCredential],
		credentials: { procoreOAuth2Api: userLogin(emu) as never },
		parameters: { resource: 'image', operation: 'get', companyId: rl(ACME), projectId: rl(HARBOR_TOWER) } as never,
	});

	test('lists the newest photos first, named by file and date, 100 a page', async () => {
		const added = addImages(120, (index) => ({ takenAt: index === 119 ? '2025-12-24T10:00:00Z' : null }));
		const first = await runListSearch('searchImages', pick());
		expect(first.results).toHaveLength(100);
		expect(first.results[0]).toEqual({ name: 'photo-119.jpg (2025-12-24)', value: String(added[119].id) });
		expect(first.results[1]).toEqual({ name: 'photo-118.jpg (2026-03-01)', value: String(added[118].id) });
		expect(first.paginationToken).toBe('2');
		const second = await runListSearch('searchImages', { ...pick(), paginationToken: '2' });
		expect(second.results).toHaveLength(20);
		expect(second.paginationToken).toBeUndefined();
		expect(listCalls().map((call) => call.query.sort)).toEqual(['-created_at', '-created_at']);
	});

	test("a typed search goes to Procore's filters[query]", async () => {
		const added = addImages(5, (index) => ({ filename: index === 2 ? 'north-facade.jpg' : `photo-${index}.jpg` }));
		const found = await runListSearch('searchImages', { ...pick(), filter: 'Facade' });
		expect(found.results.map((result) => result.value)).toEqual([String(added[2].id)]);
		expect(listCalls()[0].query['filters[query]']).toBe('Facade');
	});
});

describe('Image URL in the production environment', () => {
	const node: INode = { id: 'n', name: 'Procore', type: 'procore', typeVersion: 1, position: [0, 0], parameters: {} };
	const production = { webHosts: ['app.procore.com'], environment: 'production' as const };
	const idOf = (url: string) => imageIdFromProcoreUrl(node, url, production, '562949953421312', 0);

	test("app.procore.com and a regional host are Procore's web app", () => {
		expect(idOf('https://app.procore.com/562949953421312/project/photos/images/98765')).toBe('98765');
		expect(idOf('https://us02.procore.com/webclients/host/companies/1/projects/562949953421312/tools/photos/images/98765')).toBe('98765');
	});

	test('a look-alike host is not', () => {
		expect(() => idOf('https://app.procore.com.evil.example/562949953421312/project/photos/images/98765')).toThrow(
			"Image URL points to app.procore.com.evil.example, which is not Procore in the credential's environment",
		);
	});
});
