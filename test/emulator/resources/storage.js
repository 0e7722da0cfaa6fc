// @ts-check
'use strict';

/**
 * The storage listener: an S3-like bucket (docs/procore-api.md §7).
 *  - POST /<bucket>: a browser-style form upload. Every returned field must come back unaltered,
 *    the `file` part last, and no Authorization header. Streams: only size, SHA-256 and MD5 of
 *    the file are kept, and its bytes (in memory up to keepBytesUpTo, else in a temp file; files.js).
 *  - PUT /<bucket>/<key>?partNumber&uploadId&X-Amz-…: one segment, with the signed headers; its
 *    length and SHA-256 must match. Answers 200 with a quoted ETag (the MD5), as S3 does. Each
 *    segment's bytes are kept in a temp file, so the whole file can be downloaded later.
 *  - GET /<bucket>/<key>?X-Amz-…: a presigned download, where an image's file link redirects.
 *    Like S3 it applies the signed `response-content-type` / `response-content-disposition`
 *    parameters; `thumbnail=large` serves the thumbnail's bytes (files.js).
 */

const crypto = require('crypto');
const fs = require('fs');
const { s3Error, multipartBoundary } = require('../http');
const { MultipartParser } = require('../multipart');
const { BUCKET, postFields, verifyUrl } = require('../presign');
const { assemblyFor } = require('../assembly');
const { spool, writeWithBackpressure, objectSource, sendBytes, thumbnailLength, tmpFile } = require('../files');

/** @typedef {import('../server').Context} Context */

const MAX_FIELD_BYTES = 20 * 1024;
const SIGNATURE_MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your key and signing method.';
const NO_SUCH_UPLOAD = 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.';

/** The Procore token must never reach storage (docs/procore-api.md §7, §9.6). @param {Context} ctx */
function refuseAuthorization(ctx) {
	if (ctx.req.headers.authorization !== undefined) {
		throw s3Error(
			400,
			'InvalidArgument',
			'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
		);
	}
}

/** @param {Context} ctx */
function checkBucket(ctx) {
	if (ctx.params.bucket !== BUCKET) throw s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
}

/**
 * Hashes a stream of chunks, keeping the bytes only while they fit in `keep`.
 * @param {number} keep
 */
function hasher(keep) {
	const sha256 = crypto.createHash('sha256');
	const md5 = crypto.createHash('md5');
	/** @type {Buffer[] | null} */
	let chunks = [];
	let size = 0;
	return {
		/** @param {Buffer} c */
		write(c) {
			sha256.update(c);
			md5.update(c);
			size += c.length;
			if (chunks && size <= keep) chunks.push(Buffer.from(c));
			else chunks = null;
		},
		result() {
			return { size, sha256: sha256.digest('hex'), md5: md5.digest('hex'), bytes: chunks ? Buffer.concat(chunks) : null };
		},
	};
}

/**
 * Has the window to use this upload's storage URLs closed? The URL/policy expiry
 * (storageUrlTtlMs) and "start within 1 hour of create" (uploadStartWindowMs) both apply.
 * @param {Context} ctx @param {any} upload
 */
function expired(ctx, upload) {
	const at = ctx.record.at;
	return at > upload.urlExpiresAt || (!upload.storageStartedAt && at - upload.createdAt > ctx.options.uploadStartWindowMs);
}

/** @param {Context} ctx */
async function postObject(ctx) {
	refuseAuthorization(ctx);
	checkBucket(ctx);
	const boundary = multipartBoundary(ctx.req.headers['content-type']);
	if (!boundary) throw s3Error(412, 'PreconditionFailed', 'Bucket POST must be of the enclosure-type multipart/form-data');

	/** @type {Array<{ name: string, value: string }>} */
	const fields = [];
	/** @type {string[]} */
	const afterFile = [];
	let fieldBytes = 0;
	/** @type {ReturnType<typeof spool> | null} */
	let file = null;
	const parser = new MultipartParser(boundary, {
		onPart(part) {
			const name = part.name ?? '';
			if (file) afterFile.push(name);
			if (name === 'file' && !file) {
				file = spool(ctx.emu, ctx.options.keepBytesUpTo, ctx.req);
				const sink = file;
				return { write: (c) => sink.write(c), end() {} };
			}
			/** @type {Buffer[]} */
			const chunks = [];
			return {
				write(c) {
					fieldBytes += c.length;
					if (fieldBytes <= MAX_FIELD_BYTES) chunks.push(Buffer.from(c));
				},
				end() {
					fields.push({ name, value: Buffer.concat(chunks).toString('utf8') });
				},
			};
		},
	});
	let malformed = false;
	try {
		await ctx.consume((c) => {
			if (malformed) return;
			try {
				parser.write(c);
			} catch {
				malformed = true;
			}
		}, ctx.options.maxStorageBytes);
		await checkPost(ctx, parser, malformed, fields, afterFile, fieldBytes, file);
	} catch (e) {
		/** @type {ReturnType<typeof spool> | null} */ (file)?.discard();
		throw e;
	}
}

/**
 * The checks of a form upload once its body is in, then the stored object.
 * @param {Context} ctx
 * @param {MultipartParser} parser
 * @param {boolean} malformed
 * @param {Array<{ name: string, value: string }>} fields
 * @param {string[]} afterFile
 * @param {number} fieldBytes
 * @param {ReturnType<typeof spool> | null} file
 */
async function checkPost(ctx, parser, malformed, fields, afterFile, fieldBytes, file) {
	if (malformed || !parser.finished) throw s3Error(400, 'MalformedPOSTRequest', 'The body of your POST request is not well-formed multipart/form-data.');
	if (fieldBytes > MAX_FIELD_BYTES) throw s3Error(400, 'MaxPostPreDataLengthExceeded', 'Your POST request fields preceeding the upload file was too large.');
	if (!file) throw s3Error(400, 'InvalidArgument', 'POST requires exactly one file upload per request.');
	// S3 requires the file to be the last field (docs/procore-api.md §7); strict: anything after it is refused.
	if (afterFile.length) throw s3Error(400, 'InvalidArgument', `The file field must be the last field in the form; found "${afterFile[0]}" after it.`);
	const keyField = fields.find((f) => f.name === 'key');
	if (!keyField) throw s3Error(400, 'InvalidArgument', "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.");

	const upload = ctx.state.uploads.get(keyField.value.split('/').pop() ?? '');
	if (!upload || upload.key !== keyField.value || upload.segmented) {
		throw s3Error(403, 'AccessDenied', `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "${keyField.value}"]`);
	}
	if (expired(ctx, upload)) throw s3Error(403, 'AccessDenied', 'Invalid according to Policy: Policy expired.');
	const expected = postFields(ctx.emu, upload);
	for (const [name, value] of Object.entries(expected)) {
		const given = fields.filter((f) => f.name === name);
		if (given.length === 1 && given[0].value === value) continue;
		if (name === 'policy' || name === 'x-amz-signature') throw s3Error(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH);
		throw s3Error(403, 'AccessDenied', `Invalid according to Policy: Policy Condition failed: ["eq", "$${name}", "${value}"]`);
	}
	const extra = fields.find((f) => !(f.name in expected));
	if (extra) throw s3Error(403, 'AccessDenied', `Invalid according to Policy: Extra input fields: ${extra.name}`);

	const stored = await file.finish();
	upload.storageStartedAt = upload.storageStartedAt ?? ctx.record.at;
	upload.object = { size: stored.size, sha256: stored.sha256 };
	upload.status = 'complete';
	upload.completedAt = Date.now();
	ctx.state.objects.set(upload.key, { key: upload.key, ...stored, contentType: upload.contentType, storedAt: upload.completedAt });
	ctx.emu.stats.storageObjects++;
	ctx.empty(204, { ETag: `"${stored.md5}"`, Location: `${ctx.emu.storageUrl}/${BUCKET}/${encodeURI(upload.key)}` });
}

/** @param {Context} ctx */
async function putSegment(ctx) {
	refuseAuthorization(ctx);
	checkBucket(ctx);
	const q = ctx.url.searchParams;
	if (!q.has('X-Amz-Signature')) throw s3Error(403, 'AccessDenied', 'Access Denied');
	const upload = ctx.state.uploads.get(q.get('uploadId') ?? '');
	const index = Number(q.get('partNumber')) - 1;
	if (!upload || upload.key !== ctx.params.key || !upload.segmented || !Number.isInteger(index) || index < 0 || index >= upload.segments.length) {
		throw s3Error(404, 'NoSuchUpload', NO_SUCH_UPLOAD);
	}
	const seg = upload.segments[index];
	const headers = ctx.req.headers;
	if (headers['content-length'] === undefined) throw s3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
	/** @type {Record<string, string>} */
	const carried = {};
	for (const name of Object.keys(seg.headers)) carried[name] = String(headers[name] ?? '');
	if (!verifyUrl(ctx.emu, 'PUT', `/${BUCKET}/${ctx.params.key}`, q, carried)) throw s3Error(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH);
	if (expired(ctx, upload)) throw s3Error(403, 'AccessDenied', 'Request has expired');
	if (upload.status === 'complete') throw s3Error(404, 'NoSuchUpload', NO_SUCH_UPLOAD);

	const body = hasher(0);
	const part = assemblyFor(ctx.emu, upload).begin(index);
	// The segment's bytes go to their own temp file, served in order on download (files.js).
	const keptFile = tmpFile(ctx.emu, `.segment${index + 1}`);
	const kept = fs.createWriteStream(keptFile);
	const dropKept = () => {
		kept.destroy();
		fs.rm(keptFile, { force: true }, () => {});
	};
	try {
		await ctx.consume((c) => {
			body.write(c);
			part.write(c);
			writeWithBackpressure(kept, c, ctx.req);
		}, ctx.options.maxStorageBytes);
		await new Promise((resolve, reject) => kept.end((/** @type {any} */ e) => (e ? reject(e) : resolve(undefined))));
	} catch (e) {
		part.abort();
		dropKept();
		throw e;
	}
	const got = body.result();
	if (got.size !== seg.size) {
		part.abort();
		dropKept();
		throw s3Error(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
	}
	if (got.sha256 !== seg.sha256) {
		part.abort();
		dropKept();
		throw s3Error(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
	}
	if (seg.md5 && got.md5 !== seg.md5) {
		part.abort();
		dropKept();
		throw s3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
	}
	await part.commit();
	upload.storageStartedAt = upload.storageStartedAt ?? ctx.record.at;
	seg.received = { size: got.size, sha256: got.sha256, md5: got.md5, at: Date.now() };
	if (seg.file) fs.rm(seg.file, { force: true }, () => {});
	seg.file = keptFile;
	ctx.emu.stats.segmentsStored++;
	ctx.empty(200, { ETag: `"${got.md5}"` });
}

/** @param {string} amzDate e.g. 20240115T080000Z */
function parseAmzDate(amzDate) {
	const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
	return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

/** @param {Context} ctx */
async function getObject(ctx) {
	refuseAuthorization(ctx);
	checkBucket(ctx);
	const q = ctx.url.searchParams;
	if (!q.has('X-Amz-Signature')) throw s3Error(403, 'AccessDenied', 'Access Denied');
	if (!verifyUrl(ctx.emu, 'GET', `/${BUCKET}/${ctx.params.key}`, q, {})) throw s3Error(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH);
	const expiresAt = parseAmzDate(q.get('X-Amz-Date') ?? '') + Number(q.get('X-Amz-Expires')) * 1000;
	if (!(ctx.record.at <= expiresAt)) throw s3Error(403, 'AccessDenied', 'Request has expired');
	const obj = ctx.state.objects.get(ctx.params.key);
	if (!obj) throw s3Error(404, 'NoSuchKey', 'The specified key does not exist.');
	const thumbnail = q.get('thumbnail') !== null;
	/** @type {Record<string, string>} */
	const headers = {
		ETag: `"${obj.md5 ?? obj.sha256.slice(0, 32)}"`,
		'Content-Type': q.get('response-content-type') ?? obj.contentType ?? 'application/octet-stream',
		'x-emulator-size': String(obj.size),
		'x-emulator-sha256': obj.sha256,
	};
	const disposition = q.get('response-content-disposition');
	if (disposition) headers['Content-Disposition'] = disposition;
	const source = objectSource(ctx, obj);
	if (!source) {
		// Bytes not kept (an object stored without them): an empty body, flagged.
		headers['x-emulator-bytes-kept'] = 'false';
		return ctx.send(200, Buffer.alloc(0), headers['Content-Type'], headers);
	}
	await sendBytes(ctx, headers, source, thumbnail ? thumbnailLength(obj.size) : obj.size);
}

/** @param {{ storage: import('../router').Router }} app */
function register(app) {
	app.storage.post('/:bucket', postObject);
	app.storage.put('/:bucket/*key', putSegment);
	app.storage.get('/:bucket/*key', getObject);
}

module.exports = { register };
