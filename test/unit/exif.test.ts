import { execFileSync, spawnSync } from 'child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType } from 'n8n-workflow';

import { captureDate, EXIF_HEAD_BYTES, parseExifDateTime } from '../../nodes/Procore/helpers/exif';
import { readPhoto } from '../../nodes/Procore/helpers/photo';
import { binaryDataService, runNode } from '../engine';

// ---- A tiny EXIF writer, so each test states exactly which tags a photo carries ------------------

type ByteOrder = 'II' | 'MM';
interface Tag {
	tag: number;
	type: 2 | 3 | 4; // ASCII, SHORT, LONG
	value: string | number;
}

const DATE_TIME = 0x0132;
const EXIF_IFD = 0x8769;
const ORIGINAL = 0x9003;
const DIGITIZED = 0x9004;

const ascii = (tag: number, text: string): Tag => ({ tag, type: 2, value: text });
const bytesOf = (text: string) => Uint8Array.from([...text].map((char) => char.charCodeAt(0)));
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((part) => [...part]));

/** A TIFF structure: IFD0 (camera make and model, orientation, the given tags) and, if given, an EXIF IFD. */
function tiff(order: ByteOrder, ifd0Tags: Tag[], exifTags?: Tag[]): Uint8Array {
	const little = order === 'II';
	const ifd0 = [ascii(0x010f, 'Acme Cameras'), ascii(0x0110, 'Site Cam 3'), { tag: 0x0112, type: 3, value: 1 } as Tag, ...ifd0Tags];
	if (exifTags) ifd0.push({ tag: EXIF_IFD, type: 4, value: 0 });
	ifd0.sort((a, b) => a.tag - b.tag);
	const ifdSize = (tags: Tag[]) => 2 + tags.length * 12 + 4;
	const ifd0At = 8;
	const exifAt = ifd0At + ifdSize(ifd0);
	let dataAt = exifAt + (exifTags ? ifdSize(exifTags) : 0);
	const out = new Uint8Array(dataAt + 400);
	const view = new DataView(out.buffer);
	out.set(bytesOf(little ? 'II*\0' : 'MM\0*'));
	view.setUint32(4, ifd0At, little);
	const writeIfd = (at: number, tags: Tag[]) => {
		view.setUint16(at, tags.length, little);
		tags.forEach((entry, index) => {
			const entryAt = at + 2 + index * 12;
			view.setUint16(entryAt, entry.tag, little);
			view.setUint16(entryAt + 2, entry.type, little);
			if (entry.type === 2) {
				const text = bytesOf(`${entry.value as string}\0`);
				view.setUint32(entryAt + 4, text.length, little);
				if (text.length <= 4) out.set(text, entryAt + 8);
				else {
					view.setUint32(entryAt + 8, dataAt, little);
					out.set(text, dataAt);
					dataAt += text.length + (text.length % 2);
				}
			} else {
				view.setUint32(entryAt + 4, 1, little);
				const value = entry.tag === EXIF_IFD ? exifAt : (entry.value as number);
				if (entry.type === 3) view.setUint16(entryAt + 8, value, little);
				else view.setUint32(entryAt + 8, value, little);
			}
		});
		view.setUint32(at + 2 + tags.length * 12, 0, little);
	};
	writeIfd(ifd0At, ifd0);
	if (exifTags) writeIfd(exifAt, exifTags);
	return out.subarray(0, dataAt);
}

function segment(marker: number, data: Uint8Array): Uint8Array {
	return concat(Uint8Array.from([0xff, marker, (data.length + 2) >> 8, (data.length + 2) & 0xff]), data);
}
const jfif = () => segment(0xe0, concat(bytesOf('JFIF\0'), Uint8Array.from([1, 1, 0, 0, 72, 0, 72, 0, 0])));
const xmp = () => segment(0xe1, bytesOf('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x="adobe:ns:meta/"/>'));
const exifApp1 = (body: Uint8Array) => segment(0xe1, concat(bytesOf('Exif\0\0'), body));
/** A filler segment as long as a segment can be (an ICC profile, maker data...). */
const bigApp2 = () => segment(0xe2, new Uint8Array(0xffff - 2).fill(0x41));

/** A JPEG: SOI, the given segments, a quantisation table, then SOS, some scan data and EOI. */
function jpeg(...segments: Uint8Array[]): Uint8Array {
	const scan = new Uint8Array(256).map((_, index) => (index * 37) & 0x7f);
	return concat(
		Uint8Array.from([0xff, 0xd8]),
		...segments,
		segment(0xdb, new Uint8Array(65)),
		segment(0xda, Uint8Array.from([1, 1, 0, 0, 0x3f, 0])),
		scan,
		Uint8Array.from([0xff, 0xd9]),
	);
}

function box(type: string, ...content: Uint8Array[]): Uint8Array {
	const body = concat(...content);
	const header = new Uint8Array(8);
	new DataView(header.buffer).setUint32(0, body.length + 8);
	header.set(bytesOf(type), 4);
	return concat(header, body);
}
const fullBox = (type: string, version: number, ...content: Uint8Array[]) => box(type, Uint8Array.from([version, 0, 0, 0]), ...content);
const u16 = (value: number) => Uint8Array.from([value >> 8, value & 0xff]);
const u32 = (value: number) => Uint8Array.from([value >>> 24, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff]);

/**
 * A HEIC as phones write it: ftyp, meta (hdlr, pitm, iinf with an image item and an Exif item,
 * iloc) and mdat. The Exif item (4-byte offset, "Exif\0\0", TIFF) lies in mdat (construction method
 * 0) or in the meta box's idat (method 1, iloc version 1).
 */
function heic(body: Uint8Array, method: 0 | 1 = 0): Uint8Array {
	return heicWithItem(concat(u32(6), bytesOf('Exif\0\0'), body), method);
}

/** The same HEIC with the Exif item's bytes as given, e.g. as a writer that gets the format wrong makes them. */
function heicWithItem(exifItem: Uint8Array, method: 0 | 1): Uint8Array {
	const image = new Uint8Array(300).fill(0x55);
	const ftyp = box('ftyp', bytesOf('heic'), u32(0), bytesOf('mif1heic'));
	const iinf = fullBox(
		'iinf',
		0,
		u16(2),
		fullBox('infe', 2, u16(1), u16(0), bytesOf('hvc1'), bytesOf('\0')),
		fullBox('infe', 2, u16(2), u16(0), bytesOf('Exif'), bytesOf('\0')),
	);
	const meta = (imageAt: number, exifAt: number) => {
		const iloc =
			method === 0
				? fullBox('iloc', 0, u16(0x4400), u16(2), u16(1), u16(0), u16(1), u32(imageAt), u32(image.length), u16(2), u16(0), u16(1), u32(exifAt), u32(exifItem.length))
				: fullBox('iloc', 1, u16(0x4400), u16(2), u16(1), u16(0), u16(0), u16(1), u32(imageAt), u32(image.length), u16(2), u16(1), u16(0), u16(1), u32(0), u32(exifItem.length));
		return fullBox(
			'meta',
			0,
			fullBox('hdlr', 0, u32(0), bytesOf('pict'), new Uint8Array(13)),
			fullBox('pitm', 0, u16(1)),
			iinf,
			iloc,
			...(method === 1 ? [box('idat', exifItem)] : []),
		);
	};
	// Sizes do not depend on the offsets, so a first pass gives where mdat's content starts.
	const mdatAt = ftyp.length + meta(0, 0).length + 8;
	const mdat = method === 0 ? box('mdat', exifItem, image) : box('mdat', image);
	const imageAt = mdatAt + (method === 0 ? exifItem.length : 0);
	return concat(ftyp, meta(imageAt, mdatAt), mdat);
}

/** A PNG chunk; the CRC is left zero, which readers of metadata do not check. */
const chunk = (type: string, data: Uint8Array) => concat(u32(data.length), bytesOf(type), data, u32(0));
const png = (...chunks: Uint8Array[]) =>
	concat(bytesOf('\x89PNG\r\n\x1a\n'), chunk('IHDR', new Uint8Array(13)), ...chunks, chunk('IEND', new Uint8Array(0)));

const TAKEN = '2026:11:28 14:03:12';
const shot = (order: ByteOrder = 'II') =>
	tiff(order, [ascii(DATE_TIME, '2026:12:01 09:00:00')], [ascii(ORIGINAL, TAKEN), ascii(DIGITIZED, '2026:11:29 08:00:00')]);

// ---- The date strings --------------------------------------------------------------------------

describe('EXIF date-time strings', () => {
	test.each([
		['2026:11:28 14:03:12', { date: '2026-11-28', dateTime: '2026:11:28 14:03:12' }],
		['2026:11:28 14:03:12\0', { date: '2026-11-28', dateTime: '2026:11:28 14:03:12' }],
		['2024:02:29 00:00:00', { date: '2024-02-29', dateTime: '2024:02:29 00:00:00' }],
		// EXIF writes an unknown time as blanks; the day alone is still the Log Date.
		['2026:11:28   :  :  ', { date: '2026-11-28', dateTime: '2026:11:28' }],
		['2026:11:28', { date: '2026-11-28', dateTime: '2026:11:28' }],
	])('%j is read', (raw, expected) => {
		expect(parseExifDateTime(raw)).toEqual(expected);
	});

	test.each([
		'0000:00:00 00:00:00',
		'    :  :     :  :  ',
		'',
		'\0\0\0\0',
		'2023:02:29 10:00:00',
		'2026:13:01 10:00:00',
		'2026:11:31 10:00:00',
		'2026:11:28 25:00:00',
		'2026:11:28 14:61:00',
		'2026-11-28 14:03:12',
		'2026:11:28T14:03:12',
		'Nov 28 2026',
		'2026:11:28 14:03:12 extra',
	])('%j is no date', (raw) => {
		expect(parseExifDateTime(raw)).toBeUndefined();
	});
});

// ---- JPEG, TIFF, HEIC --------------------------------------------------------------------------

describe('capture date of a JPEG', () => {
	test.each(['II', 'MM'] as const)('DateTimeOriginal wins over DateTimeDigitized and DateTime (%s byte order)', (order) => {
		expect(captureDate(jpeg(jfif(), exifApp1(shot(order))))).toEqual({ date: '2026-11-28', dateTime: TAKEN });
	});

	test.each(['II', 'MM'] as const)('only DateTimeDigitized (%s)', (order) => {
		const photo = jpeg(exifApp1(tiff(order, [], [ascii(DIGITIZED, '2025:06:30 23:59:59')])));
		expect(captureDate(photo)).toEqual({ date: '2025-06-30', dateTime: '2025:06:30 23:59:59' });
	});

	test.each(['II', 'MM'] as const)('only the IFD0 DateTime (%s), with or without an EXIF IFD', (order) => {
		expect(captureDate(jpeg(exifApp1(tiff(order, [ascii(DATE_TIME, '2024:01:02 03:04:05')])))))
			.toEqual({ date: '2024-01-02', dateTime: '2024:01:02 03:04:05' });
		expect(captureDate(jpeg(exifApp1(tiff(order, [ascii(DATE_TIME, '2024:01:02 03:04:05')], [ascii(0xa420, 'unique-id-1234')])))))
			.toEqual({ date: '2024-01-02', dateTime: '2024:01:02 03:04:05' });
	});

	test('a zeroed DateTimeOriginal counts as absent: DateTimeDigitized is used', () => {
		const photo = jpeg(exifApp1(tiff('MM', [], [ascii(ORIGINAL, '0000:00:00 00:00:00'), ascii(DIGITIZED, '2025:06:30 12:00:00')])));
		expect(captureDate(photo)?.date).toBe('2025-06-30');
	});

	test.each([
		['no date tags', jpeg(jfif(), exifApp1(tiff('II', [], [ascii(0xa420, 'unique-id-1234')])))],
		['only blank dates', jpeg(exifApp1(tiff('II', [ascii(DATE_TIME, '    :  :     :  :  ')], [ascii(ORIGINAL, '0000:00:00 00:00:00')])))],
		['no EXIF at all', jpeg(jfif(), xmp())],
		['a date tag of the wrong type', jpeg(exifApp1(tiff('II', [{ tag: DATE_TIME, type: 4, value: 20261128 }])))],
	])('%s: no date', (_label, photo) => {
		expect(captureDate(photo)).toBeUndefined();
	});

	test('other APPn segments before the EXIF (JFIF, XMP, a 64 KiB ICC profile) are skipped, and fill bytes too', () => {
		const photo = jpeg(jfif(), xmp(), bigApp2(), Uint8Array.from([0xff, 0xff]), exifApp1(shot('MM')));
		expect(photo.length).toBeGreaterThan(0x10000);
		expect(captureDate(photo)?.dateTime).toBe(TAKEN);
		// EXIF_HEAD_BYTES is enough for EXIF behind a maximal segment.
		expect(captureDate(photo.subarray(0, EXIF_HEAD_BYTES))?.dateTime).toBe(TAKEN);
	});

	test('EXIF after the start of scan is image data, not metadata', () => {
		const photo = concat(jpeg(jfif()).subarray(0, -2), exifApp1(shot()), Uint8Array.from([0xff, 0xd9]));
		expect(captureDate(photo)).toBeUndefined();
	});

	test('the photo is only read: the bytes are unchanged', () => {
		const photo = jpeg(jfif(), exifApp1(shot()));
		const copy = Uint8Array.from(photo);
		captureDate(photo);
		expect(photo).toEqual(copy);
	});
});

describe('capture date of a TIFF and a HEIC', () => {
	test.each(['II', 'MM'] as const)('a TIFF file (%s)', (order) => {
		expect(captureDate(concat(shot(order), new Uint8Array(500)))).toEqual({ date: '2026-11-28', dateTime: TAKEN });
	});

	test.each([0, 1] as const)('a HEIC with the Exif item in construction method %s', (method) => {
		expect(captureDate(heic(shot('MM'), method))).toEqual({ date: '2026-11-28', dateTime: TAKEN });
		expect(captureDate(heic(tiff('II', [ascii(DATE_TIME, '2024:01:02 03:04:05')]), method))?.date).toBe('2024-01-02');
	});

	test('a HEIC whose Exif item has a wrong or no TIFF header offset, or a JPEG APP1 header, is still read', () => {
		const withItem = (item: Uint8Array) => heicWithItem(item, 0);
		const body = shot('II');
		expect(captureDate(withItem(concat(u32(0), bytesOf('Exif\0\0'), body)))?.dateTime).toBe(TAKEN);
		expect(captureDate(withItem(concat(u32(6), Uint8Array.from([0xff, 0xe1, 0, 0]), bytesOf('Exif\0\0'), body)))?.dateTime).toBe(TAKEN);
		expect(captureDate(withItem(body))?.dateTime).toBe(TAKEN);
	});

	test('a PNG with an eXIf chunk, before or after the image data', () => {
		expect(captureDate(png(chunk('tEXt', bytesOf('Title\0Slab')), chunk('eXIf', shot('MM')), chunk('IDAT', new Uint8Array(100))))?.dateTime).toBe(TAKEN);
		expect(captureDate(png(chunk('IDAT', new Uint8Array(100)), chunk('eXIf', shot('II'))))?.dateTime).toBe(TAKEN);
		expect(captureDate(png(chunk('IDAT', new Uint8Array(100))))).toBeUndefined();
	});

	test('a HEIC without an Exif item, and other files, give no date', () => {
		const noExif = concat(box('ftyp', bytesOf('heic'), u32(0)), fullBox('meta', 0, fullBox('iinf', 0, u16(0))), box('mdat', new Uint8Array(50)));
		expect(captureDate(noExif)).toBeUndefined();
		const png = Uint8Array.from([0x89, ...bytesOf('PNG\r\n\x1a\n'), 0, 0, 0, 13, ...bytesOf('IHDR'), 0, 0, 0, 1, 0, 0, 0, 1]);
		expect(captureDate(png)).toBeUndefined();
		expect(captureDate(new Uint8Array(0))).toBeUndefined();
	});
});

// ---- Hostile and broken input: never throws, always ends -----------------------------------------

/** A seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const valid = {
	'JPEG, II': jpeg(jfif(), xmp(), exifApp1(shot('II'))),
	'JPEG, MM': jpeg(exifApp1(shot('MM'))),
	'TIFF': shot('MM'),
	'HEIC, mdat': heic(shot('II'), 0),
	'HEIC, idat': heic(shot('MM'), 1),
	'PNG': png(chunk('eXIf', shot('II')), chunk('IDAT', new Uint8Array(100))),
};

describe('broken input', () => {
	test.each(Object.entries(valid))('%s cut off at every length: no throw, and the right date or none', (_label, photo) => {
		const dates = new Set<string | undefined>();
		for (let length = 0; length <= photo.length; length++) {
			const found = captureDate(photo.subarray(0, length));
			dates.add(found?.dateTime);
		}
		// A cut-off file never yields a wrong date: at most the fallbacks' (IFD0 DateTime, Digitized) before the original is reached.
		expect([...dates].every((dateTime) => [undefined, TAKEN, '2026:11:29 08:00:00', '2026:12:01 09:00:00'].includes(dateTime))).toBe(true);
		expect(captureDate(photo)?.dateTime).toBe(TAKEN);
	});

	test.each(Object.entries(valid))('%s with each byte changed: no throw, and a date only of the right form', (_label, photo) => {
		const next = random(photo.length);
		for (let at = 0; at < photo.length; at++) {
			for (const value of [0x00, 0xff, Math.floor(next() * 256)]) {
				const broken = Uint8Array.from(photo);
				broken[at] = value;
				const found = captureDate(broken);
				if (found) expect(found.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
			}
		}
	});

	test('random bytes, and random bytes behind each format header, give no date and no throw', () => {
		const next = random(42);
		const starts = [[], [0xff, 0xd8], [0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff, ...bytesOf('Exif\0\0II*\0')], [...bytesOf('MM\0*')], [...bytesOf('II*\0')], [0, 0, 0, 24, ...bytesOf('ftypheic')]];
		for (let round = 0; round < 3000; round++) {
			const start = starts[round % starts.length];
			const bytes = new Uint8Array(start.length + Math.floor(next() * 600));
			for (let at = 0; at < bytes.length; at++) bytes[at] = Math.floor(next() * 256);
			bytes.set(start);
			// A throw fails the test; a date from noise would be a reader that invents structure.
			if (captureDate(bytes) !== undefined) throw new Error(`a date from random bytes, round ${round}`);
		}
	});

	test('structures built to loop or to run far: an IFD pointing at itself, 65535 entries, 65535 empty extents', () => {
		// The EXIF IFD pointer points back at IFD0, whose entry count is the maximum.
		const selfLoop = tiff('II', [ascii(DATE_TIME, '2024:01:02 03:04:05')], []);
		const view = new DataView(selfLoop.buffer, selfLoop.byteOffset);
		for (let entry = 0; entry < view.getUint16(8, true); entry++) {
			if (view.getUint16(10 + entry * 12, true) === EXIF_IFD) view.setUint32(10 + entry * 12 + 8, 8, true);
		}
		expect(captureDate(selfLoop)?.date).toBe('2024-01-02');
		const hugeCount = Uint8Array.from(selfLoop);
		new DataView(hugeCount.buffer).setUint16(8, 0xffff, true);
		// An entry count far past the bytes: the entries that are there are still read.
		expect(captureDate(hugeCount)?.date).toBe('2024-01-02');

		// An iloc of 16000 items (128 KiB, as much as the head holds) of 65535 extents of zero bytes each:
		// a reader that stepped through each extent would make a billion steps.
		const iloc = fullBox('iloc', 1, u16(0x0000), u16(0xffff), ...Array.from({ length: 16000 }, () => concat(u16(3), u16(0), u16(0), u16(0xffff))));
		const hostile = concat(
			box('ftyp', bytesOf('heic'), u32(0)),
			fullBox('meta', 0, fullBox('iinf', 0, u16(1), fullBox('infe', 2, u16(2), u16(0), bytesOf('Exif'), bytesOf('\0'))), iloc),
		);
		const started = Date.now();
		expect(captureDate(hostile)).toBeUndefined();
		expect(Date.now() - started).toBeLessThan(1000);
	});
});

// ---- Reading only the head of the photo, through n8n's engine -------------------------------------

/** A node that reads the photo as the Procore node does, then only its first bytes. */
class HeadReader implements INodeType {
	description = {
		displayName: 'Head Reader',
		name: 'test.headReader',
		group: ['transform'],
		version: 1,
		description: 'Reads the head of a photo',
		defaults: { name: 'Head Reader' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [{ displayName: 'Max Bytes', name: 'maxBytes', type: 'number' as const, default: 0 }],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const photo = await readPhoto(this, 0, 'data');
		const head = await photo.head(this.getNodeParameter('maxBytes', 0) as number);
		const json: IDataObject = { size: photo.size, headLength: head.length, headHex: head.toString('hex') };
		const found = captureDate(head);
		if (found) json.captureDate = { ...found };
		return [[{ json }]];
	}
}

describe('the photo head, read through n8n', () => {
	const photo = Buffer.from(concat(jpeg(jfif(), exifApp1(shot('MM'))), new Uint8Array(3 * 1024 * 1024).fill(0x77)));

	test.each(['default', 'filesystem'] as const)('binary data in %s mode: the first bytes only, and the date in them', async (binaryMode) => {
		const wholeFileReads = jest.spyOn(binaryDataService(), 'getAsBuffer');
		const streams = jest.spyOn(binaryDataService(), 'getAsStream');
		const run = await runNode({
			nodeType: new HeadReader(),
			parameters: { maxBytes: EXIF_HEAD_BYTES },
			inputItems: [{ binary: { data: { bytes: photo, fileName: 'site.jpg', mimeType: 'image/jpeg' } } }],
			binaryMode,
		});
		const streamsOpened = await Promise.all(streams.mock.results.map((result) => result.value as Promise<NodeJS.ReadableStream & { destroyed: boolean }>));
		const wholeReads = wholeFileReads.mock.calls.length;
		wholeFileReads.mockRestore();
		streams.mockRestore();
		expect(run.error).toBeUndefined();
		expect(run.items[0].json).toMatchObject({ size: photo.length, headLength: EXIF_HEAD_BYTES, captureDate: { date: '2026-11-28', dateTime: TAKEN } });
		expect(run.items[0].json.headHex).toBe(photo.subarray(0, EXIF_HEAD_BYTES).toString('hex'));
		if (binaryMode === 'filesystem') {
			// On disk the head is streamed, and each stream opened (signature, then head) is closed early.
			expect(wholeReads).toBe(0);
			expect(streamsOpened.length).toBe(2);
			expect(streamsOpened.every((stream) => stream.destroyed)).toBe(true);
		}
	});

	test.each(['default', 'filesystem'] as const)('a file shorter than asked is returned whole (%s mode)', async (binaryMode) => {
		const small = Buffer.from(jpeg(exifApp1(shot('II'))));
		const run = await runNode({
			nodeType: new HeadReader(),
			parameters: { maxBytes: EXIF_HEAD_BYTES },
			inputItems: [{ binary: { data: { bytes: small, fileName: 'small.jpg', mimeType: 'image/jpeg' } } }],
			binaryMode,
		});
		expect(run.error).toBeUndefined();
		expect(run.items[0].json).toMatchObject({ headLength: small.length, headHex: small.toString('hex'), captureDate: { dateTime: TAKEN } });
	});
});

// ---- Against ExifTool, when installed (Debian package libimage-exiftool-perl) ------------------------

const hasExiftool = spawnSync('exiftool', ['-ver']).status === 0;

(hasExiftool ? describe : describe.skip)('agreement with ExifTool', () => {
	const taggedJpegs = [
		['Little-endian (Intel, II)', ['-DateTimeOriginal=2026:11:28 14:03:12', '-CreateDate=2026:11:29 08:00:00', '-ModifyDate=2026:12:01 09:00:00'], '2026:11:28 14:03:12'],
		['Big-endian (Motorola, MM)', ['-DateTimeOriginal=2025:02:28 23:59:59', '-Make=Acme', '-XMP:Title=Slab'], '2025:02:28 23:59:59'],
		['Big-endian (Motorola, MM)', ['-CreateDate=2024:02:29 10:00:00'], '2024:02:29 10:00:00'],
		['Little-endian (Intel, II)', ['-ModifyDate=2023:07:04 12:00:00'], '2023:07:04 12:00:00'],
		['Little-endian (Intel, II)', ['-Make=Acme'], undefined],
	] as const;
	// ExifTool 12.57 decodes the idat variant's iloc as written (construction method 1) but does not
	// extract Exif stored that way, so only the other layouts are compared.
	const comparable = Object.entries(valid).filter(([label]) => label !== 'HEIC, idat');
	let folder: string;
	const fixture = (name: string) => join(__dirname, '../fixtures/photos', name);
	const tagged = (index: number) => join(folder, `tagged-${index}.jpg`);
	const written = (index: number) => join(folder, `written-${index}.bin`);
	let readBack: Array<Record<string, string>>;

	// One ExifTool run for all files (it takes a second or two to start).
	beforeAll(() => {
		folder = mkdtempSync(join(tmpdir(), 'exif-'));
		const commands: string[] = [];
		taggedJpegs.forEach(([order, tags], index) => {
			copyFileSync(fixture('level2-slab.jpg'), tagged(index));
			commands.push(`-ExifByteOrder=${order}`, ...tags, tagged(index), '-execute');
		});
		copyFileSync(fixture('rebar-detail.png'), join(folder, 'tagged.png'));
		commands.push('-DateTimeOriginal=2026:03:15 07:45:00', join(folder, 'tagged.png'), '-execute');
		comparable.forEach(([, photo], index) => writeFileSync(written(index), photo));
		commands.push('-j', '-DateTimeOriginal', '-Warning', ...comparable.map((_entry, index) => written(index)));
		const output = execFileSync('exiftool', [...commands, '-common_args', '-q', '-q', '-overwrite_original'], {
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		readBack = JSON.parse(output.slice(output.indexOf('['))) as Array<Record<string, string>>;
	});
	afterAll(() => rmSync(folder, { recursive: true, force: true }));

	test.each(taggedJpegs.map((entry, index) => [...entry, index] as const))(
		'a real JPEG (test/fixtures/photos) tagged by ExifTool, %s, %j',
		(_order, _tags, expected, index) => {
			expect(captureDate(readFileSync(tagged(index)))?.dateTime).toBe(expected);
		},
	);

	test('a real PNG (test/fixtures/photos) given EXIF by ExifTool', () => {
		expect(captureDate(readFileSync(join(folder, 'tagged.png')))).toEqual({ date: '2026-03-15', dateTime: '2026:03:15 07:45:00' });
	});

	test.each(comparable.map(([label], index) => [label, index] as const))(
		'ExifTool reads the same DateTimeOriginal, without warnings, in the test writer\'s %s',
		(_label, index) => {
			expect(readBack[index]).toEqual({ SourceFile: written(index), DateTimeOriginal: TAKEN });
		},
	);
});
