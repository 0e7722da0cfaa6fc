// @ts-check
'use strict';

/**
 * Direct file uploads, v1.0 and v1.1, project and company level (docs/procore-api.md §7):
 * create (non-segmented → POST form fields; segmented → presigned PUT URLs), show, and complete
 * (PATCH with the segments' ETags, in order).
 */

const crypto = require('crypto');
const { procoreErrors, isPlainObject, toId, parseBool } = require('../http');
const { requireProject, requireCompanyParam } = require('../access');
const { BUCKET, postFields, presignUrl } = require('../presign');
const { assemblyFor } = require('../assembly');

/** @typedef {import('../server').Context} Context */

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID-like id, as Procore's upload uuids are (e.g. 01EJCD78RY2DR3B51N6E9T2C0R). */
function ulid() {
	let time = Date.now();
	let out = '';
	for (let i = 0; i < 10; i++) {
		out = CROCKFORD[time % 32] + out;
		time = Math.floor(time / 32);
	}
	for (const b of crypto.randomBytes(16)) out += CROCKFORD[b % 32];
	return out;
}

const MIME = /** @type {Record<string, string>} */ ({
	jpg: 'image/jpeg',
	jpeg: 'image/jpeg',
	png: 'image/png',
	gif: 'image/gif',
	bmp: 'image/bmp',
	tif: 'image/tiff',
	tiff: 'image/tiff',
	heic: 'image/heic',
	webp: 'image/webp',
	pdf: 'application/pdf',
	txt: 'text/plain',
});

/** @param {string | undefined} filename */
function mimeFor(filename) {
	const ext = /\.([a-z0-9]+)$/i.exec(filename ?? '')?.[1]?.toLowerCase();
	return (ext && MIME[ext]) || 'application/octet-stream';
}

/** @param {string} name */
function quoteFilename(name) {
	return `"${name.replace(/["\\\r\n]/g, '_')}"`;
}

/**
 * Validates `segments` (docs/procore-api.md §7): sha256 required, size ≥ minSegmentBytes except the
 * last, ≤ maxSegmentBytes. "At least 5 MB" is read as 5 MiB and "5 GB" as 5,000,000,000 bytes
 * (strict on both ends; UNCONFIRMED).
 * @param {Context} ctx
 * @param {unknown} raw
 */
function parseSegments(ctx, raw) {
	const o = ctx.options;
	/** @param {string} msg */
	const bad = (msg) => procoreErrors.validation({ segments: [msg] });
	if (!Array.isArray(raw) || raw.length === 0) throw bad('must be a non-empty array');
	if (raw.length > o.maxSegments) throw bad(`must have at most ${o.maxSegments} entries`);
	return raw.map((s, i) => {
		if (!isPlainObject(s)) throw bad(`segment ${i + 1} must be an object`);
		const size = toId(s.size);
		if (size === undefined) throw bad(`segment ${i + 1}: size must be a positive integer`);
		if (typeof s.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(s.sha256)) throw bad(`segment ${i + 1}: sha256 must be a hex SHA-256 digest`);
		if (s.md5 !== undefined && s.md5 !== null && (typeof s.md5 !== 'string' || !/^[0-9a-f]{32}$/i.test(s.md5))) throw bad(`segment ${i + 1}: md5 must be a hex MD5 digest`);
		if (size > o.maxSegmentBytes) throw bad(`segment ${i + 1}: size must be at most ${o.maxSegmentBytes} bytes`);
		if (i < raw.length - 1 && size < o.minSegmentBytes) throw bad(`segment ${i + 1}: every segment but the last must be at least ${o.minSegmentBytes} bytes`);
		return { size, sha256: s.sha256.toLowerCase(), md5: typeof s.md5 === 'string' ? s.md5.toLowerCase() : null };
	});
}

/** @param {Context} ctx @param {any} upload @param {number} index */
function segmentUrl(ctx, upload, index) {
	const seg = upload.segments[index];
	return presignUrl(ctx.emu, 'PUT', `/${BUCKET}/${upload.key}`, { partNumber: String(index + 1), uploadId: upload.uuid }, seg.headers, upload.createdAt, upload.urlExpiresAt);
}

/** The upload as the API returns it. @param {Context} ctx @param {any} upload */
function uploadJson(ctx, upload) {
	if (upload.segmented) {
		return {
			uuid: upload.uuid,
			segments: upload.segments.map((/** @type {any} */ s, /** @type {number} */ i) => ({
				size: s.size,
				sha256: s.sha256,
				md5: s.md5,
				url: segmentUrl(ctx, upload, i),
				headers: s.headers,
			})),
			status: upload.status,
		};
	}
	return {
		uuid: upload.uuid,
		url: `${ctx.emu.storageUrl}/${BUCKET}`,
		fields: postFields(ctx.emu, upload),
		status: ctx.state.objects.has(upload.key) ? 'complete' : 'ready',
	};
}

/** @param {Context} ctx @param {'project' | 'company'} scope */
function owner(ctx, scope) {
	if (scope === 'project') {
		const project = requireProject(ctx, ctx.params.project_id);
		return { companyId: project.companyId, projectId: project.id };
	}
	return { companyId: requireCompanyParam(ctx, ctx.params.company_id).id, projectId: null };
}

/** @param {Context} ctx @param {'project' | 'company'} scope @param {'1.0' | '1.1'} version */
async function create(ctx, scope, version) {
	const where = owner(ctx, scope);
	const p = (await ctx.body()).params;
	for (const k of ['response_filename', 'response_content_type']) {
		if (p[k] !== undefined && p[k] !== null && typeof p[k] !== 'string') throw procoreErrors.validation({ [k]: ['must be a string'] });
	}
	const filename = typeof p.response_filename === 'string' && p.response_filename !== '' ? p.response_filename : undefined;
	if (version === '1.1' && !filename) throw procoreErrors.paramMissing('response_filename');
	const attachment = p.attachment_content_disposition === undefined ? false : parseBool(p.attachment_content_disposition);
	if (attachment === undefined) throw procoreErrors.validation({ attachment_content_disposition: ['must be true or false'] });
	const segments = p.segments === undefined || p.segments === null ? null : parseSegments(ctx, p.segments);
	if (p.size !== undefined && p.size !== null) {
		const size = toId(p.size);
		if (size === undefined) throw procoreErrors.validation({ size: ['must be a positive integer'] });
		if (segments && segments.reduce((n, s) => n + s.size, 0) !== size) throw procoreErrors.validation({ size: ['does not match the sum of the segment sizes'] });
	}
	const now = Date.now();
	const uuid = ulid();
	const key = where.projectId ? `companies/${where.companyId}/projects/${where.projectId}/uploads/${uuid}` : `companies/${where.companyId}/uploads/${uuid}`;
	const upload = {
		uuid,
		apiVersion: version,
		companyId: where.companyId,
		projectId: where.projectId,
		userId: /** @type {NonNullable<Context['auth']>} */ (ctx.auth).user.id,
		createdAt: now,
		urlExpiresAt: now + ctx.options.storageUrlTtlMs,
		responseFilename: filename ?? null,
		contentType: typeof p.response_content_type === 'string' && p.response_content_type !== '' ? p.response_content_type : mimeFor(filename),
		contentDisposition: `${attachment ? 'attachment' : 'inline'}${filename ? `; filename=${quoteFilename(filename)}` : ''}`,
		key,
		segmented: segments !== null,
		segments: segments?.map((s) => ({
			...s,
			etag: null,
			headers: {
				'x-amz-content-sha256': s.sha256,
				'content-length': String(s.size),
				...(s.md5 ? { 'content-md5': Buffer.from(s.md5, 'hex').toString('base64') } : {}),
			},
			/** @type {null | { size: number, sha256: string, md5: string, at: number }} */
			received: null,
		})),
		status: 'ready',
		storageStartedAt: /** @type {number | null} */ (null),
		completedAt: /** @type {number | null} */ (null),
		/** Size and SHA-256 of the whole file once stored. @type {null | { size: number, sha256: string }} */
		object: null,
	};
	ctx.state.uploads.set(uuid, upload);
	ctx.emu.stats.uploadsCreated++;
	ctx.json(201, uploadJson(ctx, upload));
}

/**
 * The caller's own upload in this project/company. Another user's upload is a 404: only the user
 * who created an upload may use it (docs/procore-api.md §7).
 * @param {Context} ctx @param {'project' | 'company'} scope
 */
function findOwnUpload(ctx, scope) {
	const where = owner(ctx, scope);
	const upload = ctx.state.uploads.get(ctx.params.uuid);
	const user = /** @type {NonNullable<Context['auth']>} */ (ctx.auth).user;
	if (!upload || upload.companyId !== where.companyId || upload.projectId !== where.projectId || upload.userId !== user.id) {
		throw procoreErrors.errorString(404, `Couldn't find Upload with 'uuid'=${ctx.params.uuid}`);
	}
	return upload;
}

/** @param {unknown} etag */
function bareEtag(etag) {
	// UNCONFIRMED whether Procore wants S3's quotes stripped (docs/procore-api.md §7); both are accepted.
	return typeof etag === 'string' ? etag.trim().replace(/^"(.*)"$/, '$1').toLowerCase() : undefined;
}

/** @param {Context} ctx @param {'project' | 'company'} scope */
async function complete(ctx, scope) {
	const upload = findOwnUpload(ctx, scope);
	const p = (await ctx.body()).params;
	/** @param {string} msg */
	const unprocessable = (msg) => procoreErrors.messageError(422, msg, 'Unprocessable Entity');
	if (!upload.segmented) throw unprocessable('This upload has no segments to complete');
	// A completion repeated (e.g. after its answer was lost): the spec lists 410 and 422 for this
	// endpoint besides 200 (docs/procore-api.md §7, §11); `repeatedCompletion` picks the reading.
	const repeated = ctx.options.repeatedCompletion;
	if (upload.status === 'complete' && repeated === 410) throw procoreErrors.errorString(410, `Upload ${upload.uuid} has already been completed`);
	if (upload.status === 'complete' && repeated === 422) throw unprocessable(`Upload ${upload.uuid} has already been completed`);
	if (!Array.isArray(p.segments)) throw procoreErrors.paramMissing('segments');
	if (p.segments.length !== upload.segments.length) throw unprocessable(`Expected ${upload.segments.length} segment etags, got ${p.segments.length}`);
	if (ctx.options.completionRequiresSizeAndSha256) checkDeclaredSegments(upload, p.segments);
	const etags = p.segments.map((/** @type {any} */ s) => bareEtag(isPlainObject(s) ? s.etag : undefined));
	upload.segments.forEach((/** @type {any} */ seg, /** @type {number} */ i) => {
		if (!seg.received) throw unprocessable(`Segment ${i + 1} has not been uploaded`);
		if (etags[i] !== seg.received.md5) throw unprocessable(`The etag of segment ${i + 1} does not match the uploaded segment (etags must be in segment order)`);
	});
	if (upload.status !== 'complete') {
		const whole = await assemblyFor(ctx.emu, upload).finish();
		if (!whole) throw unprocessable('The segments are still being assembled');
		upload.segments.forEach((/** @type {any} */ seg, /** @type {number} */ i) => (seg.etag = etags[i]));
		upload.object = whole;
		upload.status = 'complete';
		upload.completedAt = Date.now();
		ctx.state.objects.set(upload.key, { key: upload.key, size: whole.size, sha256: whole.sha256, md5: null, contentType: upload.contentType, storedAt: upload.completedAt });
	}
	// By default a repeated PATCH with the same etags answers 200 again (idempotent; UNCONFIRMED).
	ctx.json(200, uploadJson(ctx, upload));
}

/**
 * OAS-2026 marks `size` and `sha256` required on each segment of the completion PATCH (docs/procore-api.md
 * §11 "Segmented upload completion"); with `completionRequiresSizeAndSha256` they must be there and
 * match what Create Upload declared. 422 with Rails-style errors naming the segment.
 * @param {any} upload @param {unknown[]} segments
 */
function checkDeclaredSegments(upload, segments) {
	/** @type {string[]} */
	const problems = [];
	segments.forEach((s, i) => {
		const declared = upload.segments[i];
		const seg = isPlainObject(s) ? s : {};
		if (seg.size === undefined || seg.size === null || seg.size === '') problems.push(`segment ${i + 1}: size can't be blank`);
		else if (toId(seg.size) !== declared.size) problems.push(`segment ${i + 1}: size ${String(seg.size)} does not match the declared ${declared.size}`);
		if (typeof seg.sha256 !== 'string' || seg.sha256 === '') problems.push(`segment ${i + 1}: sha256 can't be blank`);
		else if (seg.sha256.toLowerCase() !== declared.sha256) problems.push(`segment ${i + 1}: sha256 does not match the declared one`);
	});
	if (problems.length) throw procoreErrors.validation({ segments: problems });
}

/**
 * With `uploadsV10Gone`, the v1.0 uploads routes answer as unknown routes do (404
 * `{"error":"Not Found"}`): v1.1 is the documented recommendation since 2025-08 (docs/procore-api.md §11).
 * @param {'1.0' | '1.1'} version @param {(ctx: Context) => any} handler
 * @returns {(ctx: Context) => any}
 */
function unlessGone(version, handler) {
	if (version !== '1.0') return handler;
	return (ctx) => {
		if (ctx.options.uploadsV10Gone) throw procoreErrors.errorString(404, 'Not Found');
		return handler(ctx);
	};
}

/** @param {{ api: import('../router').Router }} app */
function register(app) {
	for (const version of /** @type {const} */ (['1.0', '1.1'])) {
		for (const scope of /** @type {const} */ (['project', 'company'])) {
			const base = scope === 'project' ? `/rest/v${version}/projects/:project_id/uploads` : `/rest/v${version}/companies/:company_id/uploads`;
			app.api.post(base, unlessGone(version, (ctx) => create(ctx, scope, version)));
			app.api.get(`${base}/:uuid`, unlessGone(version, (ctx) => ctx.json(200, uploadJson(ctx, findOwnUpload(ctx, scope)))));
			app.api.patch(`${base}/:uuid`, unlessGone(version, (ctx) => complete(ctx, scope)));
		}
	}
}

module.exports = { register, uploadJson, mimeFor };
