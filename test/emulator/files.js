// @ts-check
'use strict';

/**
 * Photo files: where stored bytes live, and the file links an Image's `url` / `thumbnail_url`
 * carry (docs/procore-api.md §6.1 "File URLs", §11 "Downloading a photo").
 *
 *  - Bytes: a stored object keeps its bytes in memory up to `keepBytesUpTo`; beyond that they are
 *    streamed to a file in the emulator's temp folder (removed by `emu.close()`), so 50 MB photos
 *    come back byte for byte without being held in memory. Segments of a segmented upload are
 *    each kept in their own file and served one after the other.
 *  - File links: `<apiUrl>/file-links/<opaque id>?expires=…&signature=…` on the api listener.
 *    They need the Bearer token (401 without), expire after `fileLinkTtlMs` (403), and answer a
 *    302 to a presigned GET on the storage listener, which refuses any Authorization header.
 *    The node must never build or parse them; their shape is deliberately opaque.
 */

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { procoreErrors } = require('./http');
const { authenticate } = require('./access');
const { BUCKET, presignUrl } = require('./presign');
const { mimeFor } = require('./resources/uploads');

/** @typedef {import('./server').Context} Context */

// Not under /rest/v1.0/files, which Procore uses for Documents (docs/procore-api.md §11).
const LINK_PREFIX = '/file-links/';

/** The emulator's temp folder (shared with assembly.js through `emu.tmpDir`). @param {any} emu */
function tmpDir(emu) {
	if (!emu.tmpDir) emu.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'procore-emulator-'));
	return emu.tmpDir;
}

/** A fresh file name in the temp folder. @param {any} emu @param {string} suffix */
function tmpFile(emu, suffix) {
	return path.join(tmpDir(emu), `${crypto.randomBytes(8).toString('hex')}${suffix}`);
}

/**
 * Writes a chunk to a temp-file stream; when the stream's buffer is full, pauses the request
 * until it drains, so a fast client cannot pile the file up in memory.
 * @param {fs.WriteStream} out @param {Buffer} chunk @param {import('http').IncomingMessage} [req]
 */
function writeWithBackpressure(out, chunk, req) {
	if (!out.write(chunk) && req && !req.isPaused()) {
		req.pause();
		out.once('drain', () => req.resume());
	}
}

/**
 * Receives a stream of chunks: hashes them, keeps them in memory while they fit in `keep` bytes,
 * and past that spills everything to a temp file. `finish()` waits for the file to be written.
 * @param {any} emu
 * @param {number} keep
 * @param {import('http').IncomingMessage} [req] paused while the file falls behind
 */
function spool(emu, keep, req) {
	const sha256 = crypto.createHash('sha256');
	const md5 = crypto.createHash('md5');
	/** @type {Buffer[]} */
	let chunks = [];
	let size = 0;
	/** @type {fs.WriteStream | null} */
	let out = null;
	/** @type {string | null} */
	let file = null;
	// After discard(), what the request still brings is dropped: the file stream is gone, and
	// writing to it would throw from an event handler and end the process (a client that gave up
	// half-way through a large upload).
	let discarded = false;
	/** @type {Error | null} */
	let failed = null;
	return {
		/** @param {Buffer} c */
		write(c) {
			if (discarded) return;
			sha256.update(c);
			md5.update(c);
			size += c.length;
			if (!out && size <= keep) {
				chunks.push(Buffer.from(c));
				return;
			}
			if (!out) {
				file = tmpFile(emu, '.object');
				out = fs.createWriteStream(file);
				out.on('error', (/** @type {Error} */ error) => (failed = error));
				for (const held of chunks) out.write(held);
				chunks = [];
			}
			writeWithBackpressure(out, Buffer.from(c), req);
		},
		/** @returns {Promise<{ size: number, sha256: string, md5: string, bytes: Buffer | null, file: string | null }>} */
		async finish() {
			if (failed) throw failed;
			if (out) {
				const stream = out;
				await new Promise((resolve, reject) => stream.end((/** @type {any} */ e) => (e ? reject(e) : resolve(undefined))));
			}
			return { size, sha256: sha256.digest('hex'), md5: md5.digest('hex'), bytes: out ? null : Buffer.concat(chunks), file };
		},
		/** Drops what was received (a refused request). */
		discard() {
			discarded = true;
			if (out) out.destroy();
			if (file) fs.rm(file, { force: true }, () => {});
		},
	};
}

/**
 * Keeps a buffer that is already in memory (e.g. a multipart `image[data]` part): small ones as
 * they are, larger ones written to a temp file. Returns the fields to put on the stored object.
 * @param {any} emu
 * @param {Buffer} data
 */
function keepBuffer(emu, data) {
	if (data.length <= emu.options.keepBytesUpTo) return { bytes: data, file: null };
	const file = tmpFile(emu, '.object');
	fs.writeFileSync(file, data);
	return { bytes: null, file };
}

/**
 * Where a stored object's bytes are: in memory, in one temp file, or in the segment files of the
 * segmented upload it came from (in order). Null when the bytes were not kept.
 * @param {Context} ctx
 * @param {any} obj
 * @returns {{ bytes: Buffer } | { files: string[] } | null}
 */
function objectSource(ctx, obj) {
	if (obj.bytes) return { bytes: obj.bytes };
	if (obj.file) return { files: [obj.file] };
	const upload = ctx.state.uploads.get(String(obj.key).split('/').pop() ?? '');
	if (upload && upload.key === obj.key && upload.segmented && upload.segments.every((/** @type {any} */ s) => s.file)) {
		return { files: upload.segments.map((/** @type {any} */ s) => s.file) };
	}
	if (obj.size === 0) return { bytes: Buffer.alloc(0) };
	return null;
}

/**
 * Answers with `length` bytes of `source` from the start, streaming files so memory stays small.
 * @param {Context} ctx
 * @param {Record<string, string>} headers
 * @param {{ bytes: Buffer } | { files: string[] }} source
 * @param {number} length
 */
async function sendBytes(ctx, headers, source, length) {
	if (ctx.done) return;
	ctx.done = true;
	const res = ctx.res;
	ctx.record.status = 200;
	res.statusCode = 200;
	for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
	res.setHeader('Content-Length', String(length));
	if (!ctx.bodyConsumed) ctx.drain();
	if (ctx.method === 'HEAD') return void res.end();
	if ('bytes' in source) return void res.end(source.bytes.subarray(0, length));
	let left = length;
	try {
		for (const file of source.files) {
			if (left <= 0) break;
			for await (const chunk of fs.createReadStream(file, { end: left - 1 })) {
				left -= chunk.length;
				if (!res.write(chunk)) {
					await new Promise((resolve) => {
						const done = () => {
							res.off('drain', done);
							res.off('close', done);
							resolve(undefined);
						};
						res.on('drain', done);
						res.on('close', done);
					});
				}
				if (res.destroyed) return;
			}
		}
		res.end();
	} catch {
		res.destroy();
	}
}

/**
 * The thumbnail's bytes: the first tenth of the photo (rounded up, at most 64 KiB). Not a
 * decodable image; it is only meant to be smaller than the photo and predictable in tests.
 * @param {number} size
 */
function thumbnailLength(size) {
	return Math.min(Math.ceil(size / 10), 64 * 1024);
}

/** @param {string} filename */
function thumbnailName(filename) {
	return `thumbnail_${filename.replace(/\.[^.]*$/, '')}.jpg`;
}

/** An RFC 6266 Content-Disposition with an ASCII fallback and the UTF-8 name. @param {string} filename */
function contentDisposition(filename) {
	const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
	return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** @param {any} emu @param {string} payload */
function linkSignature(emu, payload) {
	return crypto.createHmac('sha256', emu.signingKey).update(`file-link\n${payload}`).digest('base64url');
}

/**
 * A file link for an image's full file or its thumbnail: opaque, signed, expiring.
 * @param {Context} ctx @param {any} img @param {'full' | 'thumbnail'} variant
 */
function fileLink(ctx, img, variant) {
	const expires = Date.now() + ctx.options.fileLinkTtlMs;
	const id = Buffer.from(`${img.id}:${variant}:${crypto.randomBytes(6).toString('hex')}`).toString('base64url');
	const q = new URLSearchParams({ expires: String(expires), signature: linkSignature(ctx.emu, `${id}\n${expires}`) });
	return `${ctx.emu.apiUrl}${LINK_PREFIX}${id}?${q.toString()}`;
}

/**
 * GET of a file link (api listener): Bearer token required (docs/procore-api.md §6.1, "since 2023-06"),
 * Procore-Company-Id not needed (the link alone names the file). A link whose signature does not
 * check out, or whose photo was permanently deleted, is 404; an expired one is 403.
 * @param {Context} ctx
 */
function serveFileLink(ctx) {
	authenticate(ctx);
	const auth = /** @type {NonNullable<Context['auth']>} */ (ctx.auth);
	const id = ctx.params.link;
	const expires = Number(ctx.url.searchParams.get('expires'));
	const given = ctx.url.searchParams.get('signature') ?? '';
	const expected = linkSignature(ctx.emu, `${id}\n${ctx.url.searchParams.get('expires')}`);
	const notFound = () => procoreErrors.errorString(404, 'File not found');
	if (given.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected))) throw notFound();
	if (!(ctx.record.at <= expires)) throw procoreErrors.errorsString(403, 'This file link has expired. Read the image again for a fresh url.');
	const [imageId, variant] = Buffer.from(id, 'base64url').toString('utf8').split(':');
	const img = ctx.state.images.get(Number(imageId));
	if (!img || img.permanentlyDeleted) throw notFound();
	const company = ctx.state.companies.get(img.companyId);
	const reachable = auth.serviceAccount ? Boolean(company && company.appInstalled) : auth.user.companyIds.includes(img.companyId);
	if (!reachable) throw notFound();
	const now = Date.now();
	const thumb = variant === 'thumbnail';
	/** @type {Record<string, string>} */
	const extra = {
		'response-content-disposition': contentDisposition(thumb ? thumbnailName(img.filename) : img.filename),
		'response-content-type': thumb ? 'image/jpeg' : img.contentType || mimeFor(img.filename),
	};
	if (thumb) extra.thumbnail = 'large';
	ctx.redirect(presignUrl(ctx.emu, 'GET', `/${BUCKET}/${img.objectKey}`, extra, {}, now, now + ctx.options.storageUrlTtlMs));
}

/** @param {{ api: import('./router').Router }} app */
function registerFileLinks(app) {
	// auth: 'none' so the listener skips its Procore-Company-Id check; serveFileLink authenticates.
	app.api.get(`${LINK_PREFIX}:link`, serveFileLink, { auth: 'none' });
}

module.exports = { spool, writeWithBackpressure, keepBuffer, objectSource, sendBytes, thumbnailLength, fileLink, registerFileLinks, tmpFile, LINK_PREFIX };
