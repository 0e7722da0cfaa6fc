import type { InputItem } from '../engine';
import { createImage, jpegBytes, photoItem, rl, useEmulator } from './fixtures';

const emu = useEmulator();

const run = async (parameters: Record<string, unknown>, items: InputItem[], continueOnFail = false) =>
	await createImage(parameters, items, { continueOnFail });

const PDF = Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n');
const photo = () => photoItem(jpegBytes(2048), 'site.jpg');

/** Each bad value, and the message and hint the user sees. No request may reach Procore for it. */
const BAD_INPUTS: Array<[string, Record<string, unknown>, InputItem, RegExp, RegExp]> = [
	['a missing binary field', {}, { json: {}, binary: { attachment_0: photo().binary.data } }, /^No binary field "data" on item 0$/, /has binary field "attachment_0"/],
	['no binary data at all', {}, { json: { subject: 'hi' } }, /^No binary field "data" on item 0$/, /has no binary data at all/],
	['a blank Input Binary Field', { binaryPropertyName: ' ' }, photo(), /^Input Binary Field is empty$/, /usually "data"/],
	['an empty file', {}, photoItem(Buffer.alloc(0), 'empty.jpg'), /^The file "empty.jpg" is empty \(0 bytes\)$/, /cannot store an empty photo/],
	['a PDF', {}, photoItem(PDF, 'report.pdf', 'application/pdf'), /^The file "report.pdf" is not a photo or video Procore's Photos tool takes$/, /application\/pdf.*25 50 44 46.*JPEG, PNG, GIF, BMP, TIFF, HEIC/],
	['no project', { projectId: rl('={{ $json.projectId }}') }, photo(), /^No project chosen$/, /Choose a Project/],
	['a project ID that is not a number', { projectId: rl('={{ "Harbor Tower" }}') }, photo(), /^Project ID "Harbor Tower" is not a Procore ID$/, /whole positive numbers/],
	['a project ID with path characters', { projectId: rl('={{ "2001/../../companies" }}') }, photo(), /is not a Procore ID/, /whole positive numbers/],
	['a project URL of another site', { projectId: rl('https://procore.example.net/2001/project/home', 'url') }, photo(), /points to procore\.example\.net, which is not Procore/, /choose the project from the list or by ID/],
	['a company ID that is not a number', { companyId: rl('={{ "acme" }}') }, photo(), /^Company ID "acme" is not a Procore ID$/, /whole positive numbers/],
	['an album ID that is not a number', { albumId: rl('={{ "5002a" }}') }, photo(), /^Album ID "5002a" is not a Procore ID$/, /whole positive numbers/],
	['a log date that is not a date', { additionalFields: { logDate: 'next Tuesday' } }, photo(), /^Log Date "next Tuesday" is not a date$/, /YYYY-MM-DD/],
	['an impossible log date', { additionalFields: { logDate: '2026-02-30' } }, photo(), /^Log Date "2026-02-30" is not a date$/, /YYYY-MM-DD/],
	['a trade ID that is not a number', { additionalFields: { tradeIds: '4001, Concrete' } }, photo(), /^Trade ID "Concrete" is not a Procore ID$/, /choose trades from the list/],
	['a location path with an empty tier', { additionalFields: { location: rl('Building A >  > Room 2', 'path') } }, photo(), /has an empty tier/, /Building A > Level 2 > Room 201/],
	['a daily log segment ID that is not a number', { additionalFields: { dailyLogSegmentId: 'morning' } }, photo(), /^Daily Log Segment ID "morning" is not a Procore ID$/, /whole positive numbers/],
	['a blank Existing Upload UUID', { uploadMethod: 'existingUpload', uploadUuid: '  ', imageName: 'a.jpg' }, { json: {} }, /^Upload UUID is empty$/, /completed Procore upload/],
	['an upload UUID with path characters', { uploadMethod: 'existingUpload', uploadUuid: '../../me', imageName: 'a.jpg' }, { json: {} }, /^Upload UUID "..\/..\/me" is not a Procore upload UUID$/, /letters, digits/],
	['an existing upload without a name', { uploadMethod: 'existingUpload', uploadUuid: '01J3Z8Q5K9M2X7W4V6T1R0N8PB' }, { json: {} }, /^Image Name is empty$/, /set Image Name/],
	['a markup type without its ID', { advancedOptions: { providerType: 'MarkupLayer' } }, photo(), /Markup Provider Type is set without a Markup Provider ID/, /Set Markup Provider ID/],
];

describe('bad input: a clear error naming the item and the fix, and no request sent', () => {
	test.each(BAD_INPUTS)('%s', async (_label, parameters, item, message, hint) => {
		const result = await run(parameters, [item]);
		expect(result.error?.message).toMatch(message);
		expect(result.error?.description).toMatch(hint);
		expect(result.error?.context?.itemIndex).toBe(0);
		expect(emu.requests).toEqual([]);
	});
});

test('typed values are checked by n8n itself before the run: the editor shows the same words', async () => {
	const result = await run({ albumId: rl('5002a'), projectId: rl('', 'list') }, [photo()]);
	expect(result.error?.message).toMatch(/Parameter "Project" is required/);
	expect(result.error?.message).toMatch(/An album ID is a whole number/);
	expect(emu.requests).toEqual([]);
});

describe('Continue On Fail', () => {
	const mixed = (): InputItem[] => [
		photoItem(jpegBytes(1000), 'a.jpg'),
		{ json: { note: 'no file' } },
		photoItem(jpegBytes(1001), 'c.jpg'),
		photoItem(PDF, 'd.pdf', 'application/pdf'),
		photoItem(jpegBytes(1002), 'e.jpg'),
	];

	test.each([1, 4])('good and bad items: one output each, in input order, paired (Parallel Uploads %i)', async (parallelUploads) => {
		const result = await run({ advancedOptions: { parallelUploads } }, mixed(), true);
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3, 4].map((item) => ({ item })));
		expect(result.items.map((item) => item.json.filename ?? item.json.error)).toEqual([
			'a.jpg',
			'No binary field "data" on item 1',
			'c.jpg',
			'The file "d.pdf" is not a photo or video Procore\'s Photos tool takes',
			'e.jpg',
		]);
		expect(result.items[1].json.description).toMatch(/has no binary data at all/);
		expect(emu.stats.imagesCreated).toBe(3);
	});

	test('without it, the run stops at the first bad item with its index', async () => {
		const result = await run({ advancedOptions: { parallelUploads: 1 } }, mixed());
		expect(result.error?.message).toBe('No binary field "data" on item 1');
		expect(result.error?.context?.itemIndex).toBe(1);
		expect(emu.stats.imagesCreated).toBe(1);
	});
});

describe('Procore’s error bodies, as the user reads them', () => {
	test.each([
		['errors string', 403, { errors: 'You do not have permission to create images' }, 'Procore refused access (403): You do not have permission to create images', /Photos tool may be disabled/],
		['errors field map', 422, { errors: { log_date: ['is not a valid date'] } }, 'Procore could not accept the values (422): log date is not a valid date', /Fix the fields/],
		['error string', 404, { error: 'Project not found' }, 'Procore could not find it (404): Project not found', /answers 404 for both/],
		['error object', 400, { error: { code: 'BAD_REQUEST', message: 'Bad Request', details: [{ message: 'image.name must be a string' }] } }, 'Procore rejected the request (400): Bad Request: image.name must be a string', /malformed/],
		['message', 422, { message: 'Validation failed', error: 'Unprocessable' }, 'Procore could not accept the values (422): Unprocessable', /Fix the fields/],
		['plain text', 400, 'Missing Procore-Company-Id header!  Each call your application makes...', 'Procore rejected the request (400): Missing Procore-Company-Id header! Each call your application makes...', /choose a Company/],
		['HTML', 406, '<html><body><h1>Not Acceptable</h1></body></html>', 'Procore refused the request (406): Not Acceptable', /content type or a field/],
	])('%s', async (_label, status, body, message, hint) => {
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status, body });
		const result = await run({}, [photoItem(jpegBytes(100), 'shape.jpg')]);
		expect(result.error?.message).toBe(`Creating the photo "shape.jpg": ${message}`);
		expect(result.error?.description).toMatch(hint);
		expect(result.error?.httpCode).toBe(String(status));
	});
});
