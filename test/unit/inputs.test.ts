import type { INode } from 'n8n-workflow';

import { idFromLocator, idFromProcoreUrl, idsFromProcoreWebPath } from '../../nodes/Procore/helpers/locators';
import { buildImageAttributes, toLogDate, toLocationPath, toTradeIds } from '../../nodes/Procore/helpers/imageFields';
import { detectPhotoType } from '../../nodes/Procore/helpers/photo';

const node: INode = {
	id: 'n1',
	name: 'Procore',
	type: 'n8n-nodes-procore.procore',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};
const production = { environment: 'production' as const, webHosts: ['app.procore.com'] };

describe('Procore web URLs in the pickers', () => {
	test.each([
		['/1234567/company/home/list', { company: '1234567' }],
		['/7654321/project/home', { project: '7654321' }],
		['/7654321/project/photos/albums/5', { project: '7654321' }],
		['/webclients/host/companies/1234567/projects/7654321/tools/photos', { company: '1234567', project: '7654321' }],
		['/companies/1234567/tools/directory', { company: '1234567' }],
		['/', {}],
	])('%s', (path, ids) => {
		expect(idsFromProcoreWebPath(path)).toEqual(ids);
	});

	test('takes the company and project from URLs of the credential environment', () => {
		expect(idFromProcoreUrl(node, 'company', 'https://app.procore.com/1234567/company/home', production, 0)).toBe('1234567');
		expect(idFromLocator(node, 'project', { __rl: true, mode: 'url', value: ' https://app.procore.com/7654321/project/home ' }, production, 0)).toBe('7654321');
	});

	test.each([
		['not a URL', 'procore 7654321', /is not a web address/],
		['another host', 'https://evil.example.com/7654321/project/home', /evil\.example\.com, which is not Procore in the credential's environment/],
		['a sandbox URL with a production credential', 'https://sandbox.procore.com/7654321/project/home', /not Procore in the credential's environment/],
		['no project in it', 'https://app.procore.com/1234567/company/home', /No project ID found in the URL/],
		['an empty path', 'https://app.procore.com/', /No project ID found/],
	])('a malformed project URL (%s) is a clear error, not a crash', (_label, url, message) => {
		expect(() => idFromLocator(node, 'project', { __rl: true, mode: 'url', value: url }, production, 2)).toThrow(message);
	});

	test.each([
		['', /No project chosen/],
		['12ab', /Project ID "12ab" is not a Procore ID/],
		['-5', /is not a Procore ID/],
		['0', /is not a Procore ID/],
		['1/../../me', /is not a Procore ID/],
	])('project ID %j is refused', (value, message) => {
		expect(() => idFromLocator(node, 'project', { __rl: true, mode: 'id', value }, production, 0)).toThrow(message);
	});
});

describe('photo type from the first bytes', () => {
	const bytes = (...values: Array<number | string>) =>
		Uint8Array.from(values.flatMap((value) => (typeof value === 'string' ? [...value].map((c) => c.charCodeAt(0)) : [value])));
	test.each([
		['JPEG', bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'JFIF', 0, 1, 1)],
		['PNG', bytes(0x89, 'PNG\r\n\x1a\n', 0, 0, 0, 13)],
		['GIF', bytes('GIF89a', 1, 0, 1, 0, 0, 0)],
		['BMP', bytes('BM', 0, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0)],
		['TIFF', bytes('II*', 0, 8, 0, 0, 0, 0, 0, 0, 0)],
		['TIFF', bytes('MM', 0, '*', 0, 0, 0, 8, 0, 0, 0, 0)],
		['HEIC', bytes(0, 0, 0, 24, 'ftypheic', 0, 0, 0, 0)],
		['MP4 video', bytes(0, 0, 0, 24, 'ftypisom', 0, 0, 2, 0)],
		['QuickTime video', bytes(0, 0, 0, 20, 'ftypqt  ', 0, 0, 0, 0)],
	])('%s', (name, head) => {
		expect(detectPhotoType(head)?.name).toBe(name);
	});
	test.each([
		['a PDF', bytes('%PDF-1.7\n', 0, 0, 0)],
		['text', bytes('hello world!')],
		['an AVIF (not taken)', bytes(0, 0, 0, 28, 'ftypavif', 0, 0, 0, 0)],
		['two bytes', bytes(0xff, 0xd8)],
	])('%s is not a photo', (_label, head) => {
		expect(detectPhotoType(head)).toBeUndefined();
	});
});

describe('typed fields', () => {
	test('log date accepts dates, ISO date-times, Luxon-like objects and Dates; refuses the rest', () => {
		expect(toLogDate(node, '2026-11-28', 0)).toBe('2026-11-28');
		expect(toLogDate(node, '2026-02-28T23:30:00.000+05:00', 0)).toBe('2026-02-28');
		expect(toLogDate(node, { toISODate: () => '2026-01-02' }, 0)).toBe('2026-01-02');
		expect(toLogDate(node, new Date(Date.UTC(2025, 0, 31)), 0)).toBe('2025-01-31');
		for (const bad of ['28/11/2026', '2026-02-30', 'yesterday', '2026-13-01', 42]) {
			expect(() => toLogDate(node, bad, 4)).toThrow(/is not a date/);
		}
	});

	test('trade IDs from a list, a comma string or a number; refuses non-numbers', () => {
		expect(toTradeIds(node, ['3', '7'], 0)).toEqual([3, 7]);
		expect(toTradeIds(node, '3, 7,', 0)).toEqual([3, 7]);
		expect(toTradeIds(node, 12, 0)).toEqual([12]);
		expect(() => toTradeIds(node, '3, concrete', 1)).toThrow('Trade ID "concrete" is not a Procore ID');
	});

	test('location path tiers', () => {
		expect(toLocationPath(node, 'Building A > Level 2 > Room 201', 0)).toEqual(['Building A', 'Level 2', 'Room 201']);
		expect(() => toLocationPath(node, 'Building A >> Room', 0)).toThrow(/empty tier/);
	});

	test('every field reaches its Procore name and type', () => {
		expect(
			buildImageAttributes(node, 0, {
				additionalFields: {
					description: 'North facade',
					source: 'Drone',
					private: false,
					starred: true,
					logDate: '2026-11-28T08:00:00',
					tradeIds: ['5', '6'],
					dailyLogSegmentId: '44',
					location: { __rl: true, mode: 'path', value: 'Building A > Level 2' },
				},
				advancedOptions: { providerType: 'MarkupLayer', providerId: '12' },
			}),
		).toEqual({
			description: 'North facade',
			source: 'Drone',
			private: false,
			starred: true,
			log_date: '2026-11-28',
			trade_ids: [5, 6],
			daily_log_segment_id: 44,
			mt_location: ['Building A', 'Level 2'],
			provider_type: 'MarkupLayer',
			provider_id: 12,
		});
		expect(
			buildImageAttributes(node, 0, {
				additionalFields: { location: { __rl: true, mode: 'list', value: '13' } },
				advancedOptions: {},
			}),
		).toEqual({ location_id: 13 });
		expect(buildImageAttributes(node, 0, { additionalFields: {}, advancedOptions: {} })).toEqual({});
	});
});
