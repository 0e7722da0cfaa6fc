/**
 * The capture date of a photo, read from its EXIF metadata by a small reader of our own (the package
 * has no runtime dependencies). It only reads: the photo is sent to Procore byte for byte, EXIF
 * included (docs/procore-api.md §11: "Keep EXIF in the bytes"), and Procore never derives the Log
 * Date from the photo itself, so the node does it when asked.
 *
 * Formats: JPEG (EXIF in an APP1 segment), TIFF (the file is itself the EXIF structure), HEIC (an
 * "Exif" item in the ISO base media file's meta box) and PNG (an eXIf chunk). Input may be any
 * bytes: every read is bounds-checked, every loop moves forward or is capped, and anything
 * unexpected gives `undefined`.
 *
 * References: EXIF 2.32 (CIPA DC-008) §4.5–4.6, TIFF 6.0 §2, ISO/IEC 14496-12 §8.11 (meta, iloc, iinf),
 * ISO/IEC 23008-12 Annex A.2 (Exif item in HEIF) and the PNG Specification, Third Edition (eXIf).
 */

/**
 * How many bytes from the start of the file are enough to find the capture date. In a JPEG the EXIF
 * sits in an APP1 segment near the start, and a segment holds at most 64 KiB; before it come only
 * SOI and perhaps a JFIF APP0 (a few bytes to a thumbnail's worth). 128 KiB covers that APP1 in full
 * even behind a 64 KiB APPn segment. In a TIFF, cameras and scanners write IFD0 and the EXIF IFD
 * before the image data; in a HEIC the meta box and, in files from phones, the Exif item lead the
 * file; a PNG's eXIf chunk is found if it lies within these bytes. A photo whose date lies further in simply has no date found: the node then falls back to
 * the Log Date field, it never reads the whole file for this.
 */
export const EXIF_HEAD_BYTES = 128 * 1024;

export interface CaptureDate {
	/** The capture day, YYYY-MM-DD, as Procore's `log_date` takes it. */
	date: string;
	/**
	 * The date and time as written in the EXIF, e.g. "2026:11:28 14:03:12" (the camera's local time,
	 * no zone); only the date, e.g. "2026:11:28", when the EXIF leaves the time blank.
	 */
	dateTime: string;
}

/** Thrown by the readers below when an offset points outside the bytes; never leaves this module. */
class OutOfBounds extends Error {}

class Reader {
	constructor(
		readonly bytes: Uint8Array,
		readonly littleEndian = false,
	) {}

	get length(): number {
		return this.bytes.length;
	}

	private check(at: number, size: number): void {
		if (!Number.isSafeInteger(at) || at < 0 || at + size > this.bytes.length) throw new OutOfBounds();
	}

	u8(at: number): number {
		this.check(at, 1);
		return this.bytes[at];
	}

	u16(at: number): number {
		this.check(at, 2);
		const [a, b] = [this.bytes[at], this.bytes[at + 1]];
		return this.littleEndian ? a | (b << 8) : (a << 8) | b;
	}

	u32(at: number): number {
		this.check(at, 4);
		const [a, b, c, d] = [this.bytes[at], this.bytes[at + 1], this.bytes[at + 2], this.bytes[at + 3]];
		return this.littleEndian ? (a + (b << 8) + (c << 16) + d * 0x1000000) : (a * 0x1000000 + (b << 16) + (c << 8) + d);
	}

	/** An unsigned integer of 0, 4 or 8 bytes (ISO BMFF sizes); larger than 2^53 counts as out of bounds. */
	uint(at: number, size: number): number {
		if (size === 0) return 0;
		if (size === 4) return this.u32(at);
		if (size === 8) {
			const value = this.u32(at) * 0x100000000 + this.u32(at + 4);
			if (!Number.isSafeInteger(value)) throw new OutOfBounds();
			return value;
		}
		throw new OutOfBounds();
	}

	ascii(at: number, size: number): string {
		this.check(at, size);
		return String.fromCharCode(...this.bytes.subarray(at, at + size));
	}
}

/** Runs one read; any out-of-bounds read or malformed structure counts as "not there". */
function attempt<T>(read: () => T | undefined): T | undefined {
	try {
		return read();
	} catch {
		return undefined;
	}
}

// ---- EXIF date strings -------------------------------------------------------------------------

const EXIF_DATE_TIME = /^(\d{4}):(\d{2}):(\d{2})(?: (\d{2}):(\d{2}):(\d{2})|[ :]*)$/;

function validDay(year: number, month: number, day: number): boolean {
	if (year < 1 || month < 1 || month > 12 || day < 1) return false;
	const date = new Date(Date.UTC(year, month - 1, day));
	date.setUTCFullYear(year);
	return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * Reads an EXIF date-time ("YYYY:MM:DD HH:MM:SS", EXIF 2.32 §4.6.5). EXIF writes unknown parts as
 * blanks and "no date" as zeros; both give `undefined`, except that a known day with a blank time
 * still gives the day (a Log Date needs no time).
 */
export function parseExifDateTime(raw: string): CaptureDate | undefined {
	// The field is NUL-terminated and some writers pad it with NULs or spaces.
	const text = raw.replace(/\0[\s\S]*$/, '').trimEnd();
	const match = EXIF_DATE_TIME.exec(text);
	if (!match) return undefined;
	const [year, month, day] = [match[1], match[2], match[3]].map(Number);
	if (!validDay(year, month, day)) return undefined;
	if (match[4] !== undefined) {
		const [hours, minutes, seconds] = [match[4], match[5], match[6]].map(Number);
		// 24:00:00 and a leap second are rare but legal in EXIF writers' output; more is garbage.
		if (hours > 24 || minutes > 59 || seconds > 60) return undefined;
	}
	const dateTime = match[4] === undefined ? `${match[1]}:${match[2]}:${match[3]}` : text;
	return { date: `${match[1]}-${match[2]}-${match[3]}`, dateTime };
}

// ---- TIFF structure (EXIF's container) ---------------------------------------------------------

const TAG_DATE_TIME = 0x0132;
const TAG_EXIF_IFD = 0x8769;
const TAG_DATE_TIME_ORIGINAL = 0x9003;
const TAG_DATE_TIME_DIGITIZED = 0x9004;
const TYPE_ASCII = 2;
/** An IFD with more entries than this is not a photo's metadata but garbage; real ones hold a few dozen. */
const MAX_IFD_ENTRIES = 1000;
/** A date-time is 20 bytes; a much longer ASCII value for a date tag is not one. */
const MAX_DATE_BYTES = 64;

interface IfdEntry {
	type: number;
	count: number;
	/** Where the value is: inside the entry when it fits in 4 bytes, else at the offset stored there. */
	valueAt: number;
}

/** The entries of the IFD at `ifdAt`, by tag; reads no further than the entries that fit in the bytes. */
function readIfd(tiff: Reader, ifdAt: number): Map<number, IfdEntry> {
	const entries = new Map<number, IfdEntry>();
	const count = Math.min(tiff.u16(ifdAt), MAX_IFD_ENTRIES);
	for (let index = 0; index < count; index++) {
		const at = ifdAt + 2 + index * 12;
		if (at + 12 > tiff.length) break;
		const tag = tiff.u16(at);
		const type = tiff.u16(at + 2);
		const valueCount = tiff.u32(at + 4);
		const inline = type === TYPE_ASCII ? valueCount <= 4 : true;
		// The first entry of a tag counts; a repeated tag is a writer's error, not a second value.
		if (!entries.has(tag)) entries.set(tag, { type, count: valueCount, valueAt: inline ? at + 8 : tiff.u32(at + 8) });
	}
	return entries;
}

function dateOf(tiff: Reader, entry: IfdEntry | undefined): CaptureDate | undefined {
	if (!entry || entry.type !== TYPE_ASCII || entry.count === 0 || entry.count > MAX_DATE_BYTES) return undefined;
	return attempt(() => parseExifDateTime(tiff.ascii(entry.valueAt, entry.count)));
}

/**
 * The capture date in a TIFF structure (the body of an EXIF block, or a TIFF file).
 *
 * Which tag, in order:
 * 1. DateTimeOriginal (EXIF IFD, 0x9003): when the shutter was pressed; what a Daily Log means by
 *    the photo's date.
 * 2. DateTimeDigitized (EXIF IFD, 0x9004): when the image was stored digitally; the same moment for
 *    a digital camera, the scan time for a scanned print. Some apps write only this one.
 * 3. DateTime (IFD0, 0x0132): when the file was last changed. Editing software rewrites it, so it is
 *    the weakest sign, used only when the camera wrote neither of the above.
 * An invalid value (zeros, blanks) counts as absent, so the next tag is tried.
 */
export function captureDateFromTiff(bytes: Uint8Array): CaptureDate | undefined {
	return attempt(() => {
		const order = new Reader(bytes).ascii(0, 4);
		let tiff: Reader;
		if (order === 'II*\0') tiff = new Reader(bytes, true);
		else if (order === 'MM\0*') tiff = new Reader(bytes, false);
		else return undefined;
		const ifd0 = readIfd(tiff, tiff.u32(4));
		const exifPointer = ifd0.get(TAG_EXIF_IFD);
		const exifIfd = exifPointer
			? attempt(() => readIfd(tiff, tiff.u32(exifPointer.valueAt)))
			: undefined;
		return (
			dateOf(tiff, exifIfd?.get(TAG_DATE_TIME_ORIGINAL)) ??
			dateOf(tiff, exifIfd?.get(TAG_DATE_TIME_DIGITIZED)) ??
			dateOf(tiff, ifd0.get(TAG_DATE_TIME))
		);
	});
}

// ---- JPEG ---------------------------------------------------------------------------------------

const JPEG_SOS = 0xda;
const JPEG_EOI = 0xd9;
const JPEG_APP1 = 0xe1;
const EXIF_HEADER = 'Exif\0\0';

/** Markers that stand alone, without a length: TEM, RST0–7 and SOI (JPEG, ITU T.81 §B.1.1.3). */
function isStandalone(marker: number): boolean {
	return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8);
}

/**
 * The TIFF body of the first APP1 segment that starts "Exif\0\0" (EXIF 2.32 §4.5.4). Other APPn
 * segments (JFIF, XMP, ICC profiles, maker data) are skipped by their length; the search ends at
 * the start of the image data (SOS), after which no metadata comes.
 */
function exifInJpeg(jpeg: Reader): Uint8Array | undefined {
	let at = 2;
	// Each step moves at least 1 byte forward, so the loop ends at the end of the bytes.
	while (at + 1 < jpeg.length) {
		if (jpeg.u8(at) !== 0xff) return undefined;
		const marker = jpeg.u8(at + 1);
		if (marker === 0xff) {
			// Fill byte before a marker (T.81 §B.1.1.2).
			at += 1;
			continue;
		}
		if (marker === JPEG_SOS || marker === JPEG_EOI) return undefined;
		if (isStandalone(marker)) {
			at += 2;
			continue;
		}
		const length = jpeg.u16(at + 2);
		if (length < 2) return undefined;
		const dataAt = at + 4;
		const end = at + 2 + length;
		if (marker === JPEG_APP1 && length >= 2 + EXIF_HEADER.length && jpeg.ascii(dataAt, EXIF_HEADER.length) === EXIF_HEADER) {
			// A segment cut off by the end of the bytes read is used as far as it goes.
			return jpeg.bytes.subarray(dataAt + EXIF_HEADER.length, Math.min(end, jpeg.length));
		}
		at = end;
	}
	return undefined;
}

// ---- PNG ----------------------------------------------------------------------------------------

const PNG_SIGNATURE = '\x89PNG\r\n\x1a\n';

/**
 * The TIFF body of a PNG's eXIf chunk (PNG Specification, Third Edition, chunk eXIf: its data is
 * the TIFF structure itself, without "Exif\0\0"). Chunks are walked by their lengths up to IEND; each
 * step moves at least the 12 bytes of a chunk's length, type and CRC.
 */
function exifInPng(png: Reader): Uint8Array | undefined {
	let at = PNG_SIGNATURE.length;
	while (at + 8 <= png.length) {
		const length = png.u32(at);
		const type = png.ascii(at + 4, 4);
		if (type === 'eXIf') return png.bytes.subarray(at + 8, Math.min(at + 8 + length, png.length));
		if (type === 'IEND') return undefined;
		at += 12 + length;
	}
	return undefined;
}

// ---- HEIC (ISO base media file format) ----------------------------------------------------------

interface Box {
	type: string;
	/** Where the box's content starts (after its header). */
	contentAt: number;
	end: number;
}

/** The boxes between `start` and `end`, at most `limit` of them. */
function boxesIn(file: Reader, start: number, end: number, limit = 1000): Box[] {
	const boxes: Box[] = [];
	let at = start;
	while (at + 8 <= end && boxes.length < limit) {
		let size = file.u32(at);
		const type = file.ascii(at + 4, 4);
		let contentAt = at + 8;
		if (size === 1) {
			size = file.uint(at + 8, 8);
			contentAt = at + 16;
		} else if (size === 0) {
			size = end - at;
		}
		if (size < contentAt - at) break;
		if (at + size > end) {
			// A box that runs past what was read: keep it as far as the bytes go (meta may be cut off).
			boxes.push({ type, contentAt, end });
			break;
		}
		boxes.push({ type, contentAt, end: at + size });
		at += size;
	}
	return boxes;
}

/** The item ID of the first `infe` entry of type "Exif" in an `iinf` box. */
function exifItemId(file: Reader, iinf: Box): number | undefined {
	const version = file.u8(iinf.contentAt);
	const entriesAt = iinf.contentAt + 4 + (version === 0 ? 2 : 4);
	for (const infe of boxesIn(file, entriesAt, iinf.end)) {
		if (infe.type !== 'infe') continue;
		const infeVersion = file.u8(infe.contentAt);
		// Versions 0 and 1 carry no item type; HEIF requires version 2 or 3.
		if (infeVersion === 2 && file.ascii(infe.contentAt + 8, 4) === 'Exif') return file.u16(infe.contentAt + 4);
		if (infeVersion === 3 && file.ascii(infe.contentAt + 10, 4) === 'Exif') return file.u32(infe.contentAt + 4);
	}
	return undefined;
}

/** Where item `itemId`'s first extent lies, per the `iloc` box: construction method, offset, length. */
function itemLocation(file: Reader, iloc: Box, itemId: number): { method: number; offset: number; length: number } | undefined {
	const version = file.u8(iloc.contentAt);
	if (version > 2) return undefined;
	let at = iloc.contentAt + 4;
	const sizes = file.u16(at);
	at += 2;
	const offsetSize = sizes >> 12;
	const lengthSize = (sizes >> 8) & 0xf;
	const baseOffsetSize = (sizes >> 4) & 0xf;
	const indexSize = version === 0 ? 0 : sizes & 0xf;
	const itemCount = version < 2 ? file.u16(at) : file.u32(at);
	at += version < 2 ? 2 : 4;
	for (let item = 0; item < itemCount && at < iloc.end; item++) {
		const id = version < 2 ? file.u16(at) : file.u32(at);
		at += version < 2 ? 2 : 4;
		const method = version === 0 ? 0 : file.u16(at) & 0xf;
		if (version !== 0) at += 2;
		at += 2; // data_reference_index
		const baseOffset = file.uint(at, baseOffsetSize);
		at += baseOffsetSize;
		const extentCount = file.u16(at);
		at += 2;
		let first: { offset: number; length: number } | undefined;
		// Extents of zero bytes (all sizes 0) would not move `at`: there is then nothing to read.
		if (extentCount > 0 && indexSize + offsetSize + lengthSize === 0) {
			first = { offset: 0, length: 0 };
		} else {
			for (let extent = 0; extent < extentCount && at < iloc.end; extent++) {
				at += indexSize;
				const offset = file.uint(at, offsetSize);
				at += offsetSize;
				const length = file.uint(at, lengthSize);
				at += lengthSize;
				first ??= { offset, length };
			}
		}
		if (id === itemId) return first && { method, offset: baseOffset + first.offset, length: first.length };
	}
	return undefined;
}

const isTiffHeader = (file: Reader, at: number) =>
	attempt(() => ['II*\0', 'MM\0*'].includes(file.ascii(at, 4))) === true;

/**
 * The TIFF body of a HEIC's Exif item (ISO/IEC 23008-12 A.2.1: a 4-byte offset to the TIFF header,
 * then usually "Exif\0\0", then the TIFF header). Only construction method 0 (file offset) and 1
 * (inside the meta box's `idat`) are read; the data must lie within the bytes read. Files from phones
 * put meta right after ftyp; a file with meta at its end gives no date from its head.
 */
function exifInHeif(file: Reader): Uint8Array | undefined {
	const meta = boxesIn(file, 0, file.length).find((box) => box.type === 'meta');
	if (!meta) return undefined;
	// meta is a full box: version and flags come before its children.
	const children = boxesIn(file, meta.contentAt + 4, meta.end);
	const iinf = children.find((box) => box.type === 'iinf');
	const iloc = children.find((box) => box.type === 'iloc');
	if (!iinf || !iloc) return undefined;
	const itemId = exifItemId(file, iinf);
	if (itemId === undefined) return undefined;
	const location = itemLocation(file, iloc, itemId);
	if (!location) return undefined;
	let start: number;
	if (location.method === 0) start = location.offset;
	else if (location.method === 1) {
		const idat = children.find((box) => box.type === 'idat');
		if (!idat) return undefined;
		start = idat.contentAt + location.offset;
	} else return undefined;
	const end = location.length > 0 ? Math.min(start + location.length, file.length) : file.length;
	// Where the offset field says; then where writers that get it wrong put the TIFF header: after
	// "Exif\0\0", after a whole JPEG APP1 header (FF E1, length, "Exif\0\0"), or with no offset field.
	const tiffAt = [start + 4 + file.u32(start), start + 4 + 6, start + 4 + 10, start, start + 6].find(
		(at) => at < end && isTiffHeader(file, at),
	);
	return tiffAt === undefined ? undefined : file.bytes.subarray(tiffAt, end);
}

// ---- Entry point --------------------------------------------------------------------------------

/**
 * The photo's capture date from the first bytes of the file (EXIF_HEAD_BYTES of them are enough),
 * or `undefined` when the file has none, is not JPEG/TIFF/HEIC/PNG, or is cut off before the date.
 * Never throws.
 */
export function captureDate(head: Uint8Array): CaptureDate | undefined {
	return attempt(() => {
		const file = new Reader(head);
		if (file.length < 12) return undefined;
		if (file.u8(0) === 0xff && file.u8(1) === 0xd8) {
			const tiff = exifInJpeg(file);
			return tiff && captureDateFromTiff(tiff);
		}
		const start = file.ascii(0, 4);
		if (start === 'II*\0' || start === 'MM\0*') return captureDateFromTiff(head);
		if (file.ascii(0, 8) === PNG_SIGNATURE) {
			const tiff = exifInPng(file);
			return tiff && captureDateFromTiff(tiff);
		}
		if (file.ascii(4, 4) === 'ftyp') {
			const tiff = exifInHeif(file);
			return tiff && captureDateFromTiff(tiff);
		}
		return undefined;
	});
}
