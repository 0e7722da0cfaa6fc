// @ts-check
'use strict';

/**
 * S3-like presigning for the storage listener: POST policies with their form fields (non-segmented
 * uploads), presigned PUT URLs for segments and presigned GET URLs for images. Signatures are an
 * HMAC under a per-emulator secret, so any altered field, header or query parameter is caught.
 */

const crypto = require('crypto');

const BUCKET = 'procore-emulator-bucket';
const ALGORITHM = 'AWS4-HMAC-SHA256';

/** @param {number} ms */
function amzDate(ms) {
	return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** @param {number} ms */
function credential(ms) {
	return `EMULATORACCESSKEY/${amzDate(ms).slice(0, 8)}/us-east-1/s3/aws4_request`;
}

/** @param {Buffer} key @param {string} text */
function hmac(key, text) {
	return crypto.createHmac('sha256', key).update(text).digest('hex');
}

/**
 * The form fields for a browser-style POST upload, in the order Procore returns them
 * (docs/procore-api.md §7): key, Content-Type, Content-Disposition, policy, x-amz-credential,
 * x-amz-algorithm, x-amz-date, x-amz-signature.
 * @param {any} emu
 * @param {{ key: string, createdAt: number, urlExpiresAt: number, contentType: string, contentDisposition: string }} upload
 * @returns {Record<string, string>}
 */
function postFields(emu, upload) {
	const date = amzDate(upload.createdAt);
	const cred = credential(upload.createdAt);
	const policyDoc = {
		expiration: new Date(upload.urlExpiresAt).toISOString(),
		conditions: [
			{ bucket: BUCKET },
			['eq', '$key', upload.key],
			{ 'Content-Type': upload.contentType },
			{ 'Content-Disposition': upload.contentDisposition },
			{ 'x-amz-credential': cred },
			{ 'x-amz-algorithm': ALGORITHM },
			{ 'x-amz-date': date },
		],
	};
	const policy = Buffer.from(JSON.stringify(policyDoc)).toString('base64');
	return {
		key: upload.key,
		'Content-Type': upload.contentType,
		'Content-Disposition': upload.contentDisposition,
		policy,
		'x-amz-credential': cred,
		'x-amz-algorithm': ALGORITHM,
		'x-amz-date': date,
		'x-amz-signature': hmac(emu.signingKey, `POST\n${policy}`),
	};
}

/**
 * A presigned URL on the storage listener. `signedHeaders` are header values the request must
 * carry unchanged (lower-case names).
 * @param {any} emu
 * @param {'GET' | 'PUT'} method
 * @param {string} path
 * @param {Record<string, string>} extraQuery
 * @param {Record<string, string>} signedHeaders
 * @param {number} issuedAt
 * @param {number} expiresAt
 */
function presignUrl(emu, method, path, extraQuery, signedHeaders, issuedAt, expiresAt) {
	const params = new URLSearchParams({
		...extraQuery,
		'X-Amz-Algorithm': ALGORITHM,
		'X-Amz-Credential': credential(issuedAt),
		'X-Amz-Date': amzDate(issuedAt),
		'X-Amz-Expires': String(Math.max(1, Math.ceil((expiresAt - issuedAt) / 1000))),
		'X-Amz-SignedHeaders': ['host', ...Object.keys(signedHeaders)].sort().join(';'),
	});
	params.set('X-Amz-Signature', signature(emu, method, path, params, signedHeaders));
	return `${emu.storageUrl}${path.split('/').map(encodeURIComponent).join('/')}?${params.toString()}`;
}

/**
 * @param {any} emu
 * @param {string} method
 * @param {string} path decoded path
 * @param {URLSearchParams} params
 * @param {Record<string, string>} signedHeaders
 */
function signature(emu, method, path, params, signedHeaders) {
	const canonicalQuery = [...params]
		.filter(([k]) => k !== 'X-Amz-Signature')
		.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
		.map(([k, v]) => `${k}=${v}`)
		.join('&');
	const canonicalHeaders = Object.keys(signedHeaders)
		.sort()
		.map((k) => `${k}:${signedHeaders[k]}`)
		.join('\n');
	return hmac(emu.signingKey, `${method}\n${path}\n${canonicalQuery}\n${canonicalHeaders}`);
}

/**
 * Checks a presigned request: the signature over the query and the given header values.
 * @param {any} emu
 * @param {string} method
 * @param {string} path decoded path
 * @param {URLSearchParams} params
 * @param {Record<string, string>} signedHeaders the values the request actually carries
 */
function verifyUrl(emu, method, path, params, signedHeaders) {
	const given = params.get('X-Amz-Signature') ?? '';
	const expected = signature(emu, method, path, params, signedHeaders);
	return given.length === expected.length && crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

module.exports = { BUCKET, ALGORITHM, postFields, presignUrl, verifyUrl, amzDate };
