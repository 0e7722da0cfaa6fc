// @ts-check
'use strict';

/**
 * A streaming multipart/form-data parser. It never holds more of the body than the part headers
 * and a delimiter-sized tail: each part's bytes go to a sink the caller returns from onPart, so a
 * file part of hundreds of MB can be hashed as it arrives.
 *
 * @typedef {{ name: string | undefined, filename: string | undefined, contentType: string | undefined, headers: Record<string, string>, index: number }} PartInfo
 * @typedef {{ write(chunk: Buffer): void, end(): void }} PartSink
 */

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

class MultipartError extends Error {}

class MultipartParser {
	/**
	 * @param {string} boundary
	 * @param {{ onPart: (part: PartInfo) => PartSink, maxHeaderBytes?: number, maxParts?: number }} handlers
	 */
	constructor(boundary, { onPart, maxHeaderBytes = 16 * 1024, maxParts = 1000 }) {
		this.delimiter = Buffer.from('\r\n--' + boundary);
		// The first delimiter has no CRLF before it; pretend it had one.
		/** @type {Buffer} */
		this.buffer = CRLF;
		/** @type {'preamble' | 'boundary' | 'headers' | 'body' | 'done'} */
		this.state = 'preamble';
		this.onPart = onPart;
		this.maxHeaderBytes = maxHeaderBytes;
		this.maxParts = maxParts;
		this.partCount = 0;
		/** @type {PartSink | null} */
		this.sink = null;
	}

	/** @param {Buffer} chunk */
	write(chunk) {
		if (this.state === 'done') return;
		this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
		this.run();
	}

	/** Call when the request body has ended. Throws when the body stopped before the closing delimiter. */
	end() {
		if (this.state !== 'done') throw new MultipartError('Unexpected end of multipart body');
	}

	get finished() {
		return this.state === 'done';
	}

	run() {
		const delimiter = this.delimiter;
		for (;;) {
			switch (this.state) {
				case 'preamble': {
					const at = this.buffer.indexOf(delimiter);
					if (at < 0) {
						if (this.buffer.length >= delimiter.length) this.buffer = this.buffer.subarray(this.buffer.length - delimiter.length + 1);
						return;
					}
					this.buffer = this.buffer.subarray(at + delimiter.length);
					this.state = 'boundary';
					break;
				}
				case 'boundary': {
					if (this.buffer.length < 2) return;
					if (this.buffer[0] === 0x2d && this.buffer[1] === 0x2d) {
						this.state = 'done';
						this.buffer = EMPTY;
						return;
					}
					const at = this.buffer.indexOf(CRLF);
					if (at < 0) {
						if (this.buffer.length > 256) throw new MultipartError('Malformed multipart boundary line');
						return;
					}
					if (this.buffer.subarray(0, at).toString('latin1').trim() !== '') throw new MultipartError('Malformed multipart boundary line');
					this.buffer = this.buffer.subarray(at + 2);
					this.state = 'headers';
					break;
				}
				case 'headers': {
					let headerText;
					if (this.buffer.length >= 2 && this.buffer[0] === 0x0d && this.buffer[1] === 0x0a) {
						headerText = '';
						this.buffer = this.buffer.subarray(2);
					} else {
						const at = this.buffer.indexOf(HEADER_END);
						if (at < 0) {
							if (this.buffer.length > this.maxHeaderBytes) throw new MultipartError('Multipart part headers too large');
							return;
						}
						headerText = this.buffer.subarray(0, at).toString('utf8');
						this.buffer = this.buffer.subarray(at + 4);
					}
					if (++this.partCount > this.maxParts) throw new MultipartError('Too many multipart parts');
					this.sink = this.onPart(parsePartHeaders(headerText, this.partCount - 1));
					this.state = 'body';
					break;
				}
				case 'body': {
					const sink = /** @type {PartSink} */ (this.sink);
					const at = this.buffer.indexOf(delimiter);
					if (at < 0) {
						const safe = this.buffer.length - delimiter.length + 1;
						if (safe > 0) {
							sink.write(this.buffer.subarray(0, safe));
							this.buffer = this.buffer.subarray(safe);
						}
						return;
					}
					if (at > 0) sink.write(this.buffer.subarray(0, at));
					sink.end();
					this.sink = null;
					this.buffer = this.buffer.subarray(at + delimiter.length);
					this.state = 'boundary';
					break;
				}
				case 'done':
					return;
			}
		}
	}
}

/**
 * @param {string} text
 * @param {number} index
 * @returns {PartInfo}
 */
function parsePartHeaders(text, index) {
	/** @type {Record<string, string>} */
	const headers = {};
	for (const line of text.split('\r\n')) {
		const colon = line.indexOf(':');
		if (colon <= 0) continue;
		headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
	}
	const disposition = parseHeaderParams(headers['content-disposition'] ?? '');
	let filename = disposition.params['filename'];
	const extended = disposition.params['filename*'];
	if (extended) {
		const m = /^[^']*'[^']*'(.*)$/.exec(extended);
		if (m) {
			try {
				filename = decodeURIComponent(m[1]);
			} catch {
				/* keep the plain filename */
			}
		}
	}
	return {
		name: disposition.params['name'],
		filename,
		contentType: headers['content-type'],
		headers,
		index,
	};
}

/**
 * Splits `value; a="b"; c=d` into the value and its parameters (quoted strings unescaped).
 * @param {string} header
 * @returns {{ value: string, params: Record<string, string> }}
 */
function parseHeaderParams(header) {
	const semi = header.indexOf(';');
	const value = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
	/** @type {Record<string, string>} */
	const params = {};
	const re = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
	let m;
	while ((m = re.exec(header)) !== null) {
		let v = m[2].trim();
		if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
		params[m[1].toLowerCase()] = v;
	}
	return { value, params };
}

/**
 * The boundary of a multipart/form-data Content-Type, or undefined when it is not one.
 * @param {string | undefined} contentType
 */
function multipartBoundary(contentType) {
	if (!contentType) return undefined;
	const parsed = parseHeaderParams(contentType);
	if (parsed.value !== 'multipart/form-data') return undefined;
	const boundary = parsed.params['boundary'];
	return boundary && boundary.length <= 200 ? boundary : undefined;
}

module.exports = { MultipartParser, MultipartError, parseHeaderParams, multipartBoundary };
