import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

/**
 * The file types the node sends to Procore's Photos tool. Procore publishes no list; these are the
 * formats its web and mobile apps accept as photos and videos. Each is recognised by its first
 * bytes, because upstream nodes often label photos application/octet-stream.
 */
export const ACCEPTED_TYPES = [
	{ name: 'JPEG', mimeType: 'image/jpeg' },
	{ name: 'PNG', mimeType: 'image/png' },
	{ name: 'GIF', mimeType: 'image/gif' },
	{ name: 'BMP', mimeType: 'image/bmp' },
	{ name: 'TIFF', mimeType: 'image/tiff' },
	{ name: 'HEIC', mimeType: 'image/heic' },
	{ name: 'MP4 video', mimeType: 'video/mp4' },
	{ name: 'QuickTime video', mimeType: 'video/quicktime' },
] as const;

export type AcceptedType = (typeof ACCEPTED_TYPES)[number];

const HEIF_BRANDS = ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1', 'heif'];
const MP4_BRANDS = ['isom', 'iso2', 'iso4', 'iso5', 'iso6', 'mp41', 'mp42', 'avc1', 'm4v ', 'dash', 'mmp4'];

/** Recognises an accepted file type from its first bytes (at least 12 are needed). */
export function detectPhotoType(head: Uint8Array): AcceptedType | undefined {
	const byName = (name: AcceptedType['name']) => ACCEPTED_TYPES.find((type) => type.name === name);
	const ascii = (start: number, end: number) => String.fromCharCode(...head.subarray(start, end));
	if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return byName('JPEG');
	if (head.length >= 8 && ascii(0, 8) === '\x89PNG\r\n\x1a\n') return byName('PNG');
	if (head.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return byName('GIF');
	if (head.length >= 14 && ascii(0, 2) === 'BM') return byName('BMP');
	if (head.length >= 4 && (ascii(0, 4) === 'II*\x00' || ascii(0, 4) === 'MM\x00*')) return byName('TIFF');
	if (head.length >= 12 && ascii(4, 8) === 'ftyp') {
		const brand = ascii(8, 12).toLowerCase();
		if (HEIF_BRANDS.includes(brand)) return byName('HEIC');
		if (brand === 'qt  ') return byName('QuickTime video');
		if (MP4_BRANDS.includes(brand)) return byName('MP4 video');
	}
	return undefined;
}

/** A photo from an item's binary data, read through n8n's helpers so every binary-data mode works. */
export interface Photo {
	fileName: string;
	mimeType: string;
	size: number;
	type: AcceptedType;
	/** The whole file in memory; for small files and the inline upload. */
	buffer(): Promise<Buffer>;
	/** The file in consecutive pieces of `pieceSize` bytes (the last may be shorter), read lazily. */
	pieces(pieceSize: number): AsyncGenerator<Buffer>;
	/**
	 * The whole file as it comes, in chunks of any size, read lazily; each call reads it afresh.
	 * For sending: no piece is assembled or copied, so a file on disk costs one chunk of memory.
	 */
	chunks(): AsyncGenerator<Uint8Array>;
	/**
	 * The first `maxBytes` bytes of the file (all of it when shorter), e.g. to read its EXIF. A file
	 * n8n keeps outside the item is streamed and the stream closed after those bytes: never read whole.
	 */
	head(maxBytes: number): Promise<Buffer>;
}

const STREAM_CHUNK = 256 * 1024;
/**
 * Chunks read from disk when a file is sent whole: large enough that a 300 MB file is read in few
 * steps, small enough to stay far below the memory the bench allows (README, Benchmark).
 */
const SEND_CHUNK = 1024 * 1024;
/** The longest signature detectPhotoType reads. */
const SIGNATURE_BYTES = 14;
/**
 * Files n8n keeps outside the item up to this size are read whole, once: the type sniff and the
 * upload then share one read. Streaming them costs more than the file: a second opening of the
 * file, and Node's file streams allocate a whole chunk per read (SEND_CHUNK, then a copy to the
 * size read, then another chunk to find the end), which made n8n collect garbage three times as
 * long as the HTTP Request workflow in the bench's 20 × 200 KiB runs (README, Benchmark). Up to this
 * size a whole file costs no more memory than one chunk of a stream.
 */
const READ_WHOLE_MAX_BYTES = SEND_CHUNK;

function describeFields(binary: Record<string, IBinaryData> | undefined): string {
	const names = Object.keys(binary ?? {});
	return names.length
		? `The item has binary field${names.length > 1 ? 's' : ''} ${names.map((name) => `"${name}"`).join(', ')}.`
		: 'The item has no binary data at all: the node before this one must output a file (for example Read Files from Disk, HTTP Request with Response Format "File", or a form trigger with a file field).';
}

async function* piecesOf(source: AsyncIterable<Buffer | Uint8Array>, pieceSize: number): AsyncGenerator<Buffer> {
	let pending: Buffer[] = [];
	let pendingBytes = 0;
	for await (const chunk of source) {
		let data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
		while (data.length > 0) {
			const take = Math.min(pieceSize - pendingBytes, data.length);
			pending.push(data.subarray(0, take));
			pendingBytes += take;
			data = data.subarray(take);
			if (pendingBytes === pieceSize) {
				yield Buffer.concat(pending, pendingBytes);
				pending = [];
				pendingBytes = 0;
			}
		}
	}
	if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

export async function readPhoto(
	context: IExecuteFunctions,
	itemIndex: number,
	binaryPropertyName: string,
): Promise<Photo> {
	const node = context.getNode();
	const field = binaryPropertyName.trim();
	if (!field) {
		throw new NodeOperationError(node, 'Input Binary Field is empty', {
			itemIndex,
			description: 'Set Input Binary Field to the name of the binary field holding the photo, usually "data".',
		});
	}
	let binaryData: IBinaryData;
	try {
		binaryData = context.helpers.assertBinaryData(itemIndex, field);
	} catch {
		throw new NodeOperationError(node, `No binary field "${field}" on item ${itemIndex}`, {
			itemIndex,
			description: `${describeFields(context.getInputData()[itemIndex]?.binary)} Set Input Binary Field to the field that holds the photo.`,
		});
	}

	const binaryId = binaryData.id;
	let size: number;
	let buffer: () => Promise<Buffer>;
	let pieces: (pieceSize: number) => AsyncGenerator<Buffer>;
	let chunks: () => AsyncGenerator<Uint8Array>;
	// n8n keeps the file outside the item (filesystem, database or S3 mode): a large one is streamed.
	const storedSize = binaryId ? (await context.helpers.getBinaryMetadata(binaryId)).fileSize : undefined;
	if (binaryId && storedSize !== undefined && storedSize > READ_WHOLE_MAX_BYTES) {
		size = storedSize;
		buffer = async () => await context.helpers.getBinaryDataBuffer(itemIndex, field);
		pieces = async function* (pieceSize: number) {
			const stream = await context.helpers.getBinaryStream(binaryId, Math.min(pieceSize, STREAM_CHUNK));
			yield* piecesOf(stream, pieceSize);
		};
		chunks = async function* () {
			yield* await context.helpers.getBinaryStream(binaryId, SEND_CHUNK);
		};
	} else {
		// In the item (n8n's default mode), or a small file: read whole, once.
		const data = await context.helpers.getBinaryDataBuffer(itemIndex, field);
		size = data.length;
		buffer = async () => data;
		pieces = async function* (pieceSize: number) {
			for (let start = 0; start < data.length; start += pieceSize) yield data.subarray(start, start + pieceSize);
		};
		// Views of the buffer n8n already holds: sending copies nothing.
		chunks = async function* () {
			yield* pieces(SEND_CHUNK);
		};
	}

	const fileName = binaryData.fileName ?? '';
	const mimeType = binaryData.mimeType ?? '';
	const label = fileName ? `"${fileName}"` : `in binary field "${field}"`;
	if (!size) {
		throw new NodeOperationError(node, `The file ${label} is empty (0 bytes)`, {
			itemIndex,
			description: 'Procore cannot store an empty photo. Check the node that produced the file.',
		});
	}

	const head = async (maxBytes: number): Promise<Buffer> => {
		if (!(maxBytes > 0)) return Buffer.alloc(0);
		// Leaving the loop ends the generator, which ends the stream under it (its reading stops).
		for await (const piece of pieces(Math.floor(maxBytes))) return piece;
		return Buffer.alloc(0);
	};

	const signature = await head(SIGNATURE_BYTES);
	// A file too short to carry any signature has nothing to contradict its declared type.
	const type =
		detectPhotoType(signature) ??
		(size < SIGNATURE_BYTES ? ACCEPTED_TYPES.find((accepted) => accepted.mimeType === mimeType.toLowerCase()) : undefined);
	if (!type) {
		const hex = [...signature.subarray(0, 8)].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
		throw new NodeOperationError(
			node,
			`The file ${label} is not a photo or video Procore's Photos tool takes`,
			{
				itemIndex,
				description: `Its type is ${mimeType || 'not given'} and it starts with the bytes ${hex}, which match none of: ${ACCEPTED_TYPES.map((accepted) => accepted.name).join(', ')}. Send one of those formats (convert other images first, e.g. with the Edit Image node).`,
			},
		);
	}
	return { fileName, mimeType: type.mimeType, size, type, buffer, pieces, chunks, head };
}
