import type { IDataObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';

import {
	asNodeError,
	failureFromError,
	headerValue,
	httpStatusOf,
	storageErrorText,
	withoutLinks,
	type ProcoreFailure,
} from './errors';
import { procoreRequest, type ProcoreConnection, type ProcoreResponse } from './index';
import { byLearnedReading } from './learned';
import { procorePath } from './paths';
import { isNetworkFailure } from './retry';

/**
 * Uploads v1.1 is Procore's recommendation since 2025-08 (docs/procore-api.md §7, §11); v1.0 is
 * still in the 2026 spec. The node starts with v1.1 and falls back to v1.0 only when Procore answers
 * 404, and remembers, per credential, which version this Procore serves.
 */
type UploadsVersion = 'v1.1' | 'v1.0';

function uploadsPath(version: UploadsVersion, projectId: string, uuid?: string) {
	if (uuid === undefined) {
		return version === 'v1.1'
			? procorePath`/rest/v1.1/projects/${projectId}/uploads`
			: procorePath`/rest/v1.0/projects/${projectId}/uploads`;
	}
	return version === 'v1.1'
		? procorePath`/rest/v1.1/projects/${projectId}/uploads/${uuid}`
		: procorePath`/rest/v1.0/projects/${projectId}/uploads/${uuid}`;
}

/** Create Upload on the version this Procore serves: v1.1 first, v1.0 after a 404. */
async function createUpload<T>(
	context: IExecuteFunctions,
	input: DirectUploadInput,
	body: IDataObject,
): Promise<{ response: ProcoreResponse<T>; version: UploadsVersion }> {
	const key = input.connection.budgetKey;
	const send = async (version: UploadsVersion) =>
		await procoreRequest<T>(
			context,
			{
				method: 'POST',
				path: uploadsPath(version, input.projectId),
				companyId: input.companyId,
				body,
				itemIndex: input.itemIndex,
				action: `Starting the upload of "${input.fileName}"`,
				// An extra, unused upload is harmless: Procore deletes it after a week.
				retry: 'repeatable',
			},
			input.connection,
		);
	const { result, reading } = await byLearnedReading<UploadsVersion, ProcoreResponse<T>>(
		key,
		'uploadsVersion',
		{ first: 'v1.1', second: 'v1.0', refused: (error) => httpStatusOf(error) === 404 },
		send,
		(error) => asNodeError(context.getNode(), error, input.itemIndex),
	);
	return { response: result, version: reading };
}

/**
 * Procore's direct file upload (docs/procore-api.md §7): create an Upload in the project, send the bytes
 * to the storage URL Procore returns, then refer to the upload by its UUID.
 *
 * A file goes to storage in one multipart POST, streamed from n8n's binary data as it is sent, so it
 * is read once and never sits whole in memory. S3's POST takes a file of up to 5 GB (AWS, "POST
 * Object"); only larger files use Procore's segmented upload, whose pieces must each be hashed
 * (SHA-256) before Procore signs them, which reads the file twice and costs a round trip per piece.
 * Measured (README, Benchmark): one streamed POST of 300 MB is faster and leaner than 8 MB segments.
 */
export const uploadLimits = {
	/** The largest file sent in one POST: S3's POST Object limit, 5 GB. Tests lower it to reach the segmented path. */
	singlePostMaxBytes: 5_000_000_000,
	/** The piece size of a segmented upload: Procore wants 5 MB to 5 GB per segment (§7). */
	segmentBytes: 8 * 1024 * 1024,
};
/** Segments sent at once: enough to hide latency, few enough to keep memory near 40 MB. */
const SEGMENTS_IN_FLIGHT = 4;

interface UploadFormResponse {
	uuid: string;
	url: string;
	fields: Record<string, string>;
}

interface UploadSegmentsResponse {
	uuid: string;
	segments: Array<{ url: string; headers?: Record<string, string>; size: number }>;
}

/** The error for a storage answer: what it says (storageErrorText, no signatures or policies echoed). */
function storageError(
	context: IExecuteFunctions,
	failure: ProcoreFailure,
	itemIndex: number,
	fileName: string,
): NodeApiError {
	const detail = storageErrorText(failure.body);
	// Named in words: n8n replaces any message that contains a network code such as ECONNRESET.
	const what = failure.statusCode ? `storage answered ${failure.statusCode}` : 'the connection broke';
	const message = `Sending "${fileName}" to Procore's file storage failed: ${what}${detail ? ` (${detail})` : ''}`;
	return new NodeApiError(
		context.getNode(),
		{ message, ...(failure.statusCode ? { httpCode: String(failure.statusCode) } : {}) },
		{
			message,
			description:
				failure.statusCode === 403
					? 'The storage address Procore gave has expired or was refused (Procore allows one hour to start sending). Run the item again to start a fresh upload.'
					: `Run the item again; if it keeps failing, check the network between n8n and Procore's storage${failure.code ? ` (network code ${failure.code})` : ''}.`,
			itemIndex,
			...(failure.statusCode ? { httpCode: String(failure.statusCode) } : {}),
		},
	);
}

/**
 * A failure of the network itself (retry.ts; Node reports "socket hang up" as ECONNRESET). Anything
 * else, a file that cannot be read or changed while it went, a refused certificate, would fail the
 * same way however often it is sent.
 */
function brokeOnTheNetwork(failure: ProcoreFailure): boolean {
	return failure.statusCode === undefined && isNetworkFailure(failure.code);
}

/** What went wrong with the file being sent, in words for the user, with what to do about it. */
class UnsendableFile extends Error {
	/**
	 * The code of a read that failed, which the HTTP client passes on as its own: a read that broke
	 * on the network (n8n's binary data in S3) is sent again like any broken connection.
	 */
	readonly code?: string;

	constructor(
		message: string,
		readonly advice: string,
		options: { cause?: unknown; code?: string } = {},
	) {
		super(message, { cause: options.cause });
		if (options.code) this.code = options.code;
	}
}

/** An error and the causes under it, outermost first. */
function* causesOf(error: unknown): Generator<object> {
	const seen = new Set<unknown>();
	for (let current = error; current && typeof current === 'object' && !seen.has(current); current = (current as { cause?: unknown }).cause) {
		seen.add(current);
		yield current;
	}
}

/**
 * What an error says, from the innermost message (the HTTP client's error only repeats or wraps
 * it), and its code apart: n8n swaps a message that names a code such as ENOENT or EISDIR for a
 * generic sentence of its own (n8n-workflow's NodeError), which would lose which photo failed.
 */
function reasonOf(error: unknown): { words?: string; code?: string } {
	let words: string | undefined;
	let code: string | undefined;
	for (const current of causesOf(error)) {
		if (current instanceof UnsendableFile) return { words: current.message };
		const { message, code: own } = current as { message?: unknown; code?: unknown };
		if (typeof message === 'string' && message.trim()) words = message.trim();
		if (typeof own === 'string' && /^E[A-Z_]+$/.test(own)) code = own;
	}
	// Node's system errors read "EISDIR: illegal operation on a directory, read".
	if (code && words) words = words.replace(new RegExp(`\\b${code}\\b:?\\s*`, 'g'), '').trim() || undefined;
	return { words, code };
}

const withCode = (text: string, code: string | undefined) => (code ? `${text} (error code ${code})` : text);

/**
 * A failure that is not the network's, told as it is: sending again would fail the same way, and
 * "the connection broke" would send the user looking in the wrong place. Built from words only, as
 * storageError is: the client's error carries the signed address and the form's policy and
 * signature (docs/procore-api.md §7), and any address in the words is cut out too.
 */
function notSentError(context: IExecuteFunctions, error: unknown, itemIndex: number, fileName: string): NodeOperationError {
	const unsendable = [...causesOf(error)].find((cause): cause is UnsendableFile => cause instanceof UnsendableFile);
	const reason = reasonOf(error);
	const cause = withoutLinks(reason.words) ?? 'no reason given';
	return new NodeOperationError(context.getNode(), `Sending "${fileName}" to Procore's file storage failed: ${cause}`, {
		itemIndex,
		description:
			unsendable?.advice ??
			withCode(
				"This is not a broken connection, so the node did not send the photo again. Fix what the message names, then run the item again; if it is about the file, check that the item's binary data still exists and can be read.",
				reason.code,
			),
	});
}

/** An unauthenticated request to a storage URL. The Procore token is never attached here. */
async function sendToStorage(
	context: IExecuteFunctions,
	options: IHttpRequestOptions,
	itemIndex: number,
	fileName: string,
): Promise<{ headers: Record<string, string>; statusCode: number }> {
	for (let attempt = 1; ; attempt++) {
		let failure: ProcoreFailure;
		try {
			const response = (await context.helpers.httpRequest({
				...options,
				returnFullResponse: true,
				// Every answer comes back as it is and is judged here, the same on every n8n version.
				ignoreHttpStatusErrors: true,
				// Storage answers XML or nothing; keep it as text for error messages.
				json: false,
				encoding: 'text',
				timeout: 10 * 60 * 1000,
				// axios follows redirects through follow-redirects, which keeps every byte of a request
				// body until the answer, in case it must send it again elsewhere: a whole 300 MB file in
				// memory. A signed storage address answers or refuses, it does not redirect (Procore
				// returns the bucket's own endpoint, docs/procore-api.md §7), so nothing is given up.
				disableFollowRedirect: true,
			})) as { body: unknown; headers: Record<string, string>; statusCode: number };
			if (response.statusCode >= 200 && response.statusCode < 300) return response;
			failure = { statusCode: response.statusCode, body: response.body, headers: response.headers };
		} catch (error) {
			failure = failureFromError(error);
			// No answer and no network failure: the request never got going, or the file went wrong
			// while it was sent. Neither is cured by sending again or by a fresh upload.
			if (failure.statusCode === undefined && !brokeOnTheNetwork(failure)) {
				throw notSentError(context, error, itemIndex, fileName);
			}
		}
		// A connection that broke (often a kept-alive socket the storage host had just closed) is
		// tried again at once: the signed address is still good and storing the same key twice
		// is harmless.
		if (failure.statusCode === undefined && attempt < STORAGE_ATTEMPTS) continue;
		const failed = storageError(context, failure, itemIndex, fileName);
		const status = failure.statusCode;
		// Expired or refused signatures (403, 400 RequestTimeout/ExpiredToken), storage hiccups and
		// broken connections are cured by starting again with a fresh upload.
		if (status === undefined || status === 403 || status === 408 || status === 429 || status >= 500 || /Expired|RequestTimeout/.test(String(failure.body))) {
			restartable.add(failed);
		}
		throw failed;
	}
}

const STORAGE_ATTEMPTS = 3;
const restartable = new WeakSet<object>();
const MAX_UPLOAD_STARTS = 3;

/** SHA-256 through the Web Crypto API that Node (18 and later) provides, so no Node module is imported. */
async function sha256Hex(bytes: Uint8Array): Promise<string> {
	const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
	return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The file to send, as the transport needs it; the node's photo reader provides one. */
export interface UploadSource {
	size: number;
	mimeType: string;
	/** The whole file in memory. */
	buffer(): Promise<Buffer>;
	/** The file in consecutive pieces of `pieceSize` bytes (the last may be shorter), read lazily. */
	pieces(pieceSize: number): AsyncGenerator<Buffer>;
	/** The whole file in chunks as they come, read lazily and afresh on each call. */
	chunks(): AsyncGenerator<Uint8Array>;
}

/** For a file that changed while it was sent (streamedFile). */
const CHANGED_ADVICE =
	'Its size is declared before its bytes are sent, so storage would have got a cut or overlong file; nothing was stored. Run the item again once nothing is writing to the file any more.';

/**
 * The file as a form part whose bytes are read only while the form is sent, and read again if the
 * form is sent again (a retry, or n8n's re-send after refreshing the token). axios, which n8n's
 * helpers use, turns a FormData into a stream of its parts, reading each file through `stream()`
 * and declaring its `size` as the Content-Length (storage refuses a POST without one). A native
 * FormData keeps a File appended without a new name as it is, so these two are what it sends.
 */
export function streamedFile(source: UploadSource, fileName: string): File {
	const file = new File([], fileName, { type: source.mimeType });
	const expected = source.size;
	async function* checked(): AsyncGenerator<Uint8Array> {
		let sent = 0;
		let unread: { error: unknown } | undefined;
		try {
			for await (const chunk of source.chunks()) {
				sent += chunk.byteLength;
				// The length is declared before the bytes go: a file that changed since would be cut or overrun.
				if (sent > expected) break;
				yield chunk;
			}
		} catch (error) {
			unread = { error };
		}
		if (unread) {
			const { words, code } = reasonOf(unread.error);
			throw new UnsendableFile(
				`the file "${fileName}" could not be read from n8n's binary data: ${words ?? 'no reason given'}`,
				withCode(
					"Check that the item's binary data still exists and can be read (n8n may have removed it, e.g. when pruning old executions, or lost access to where it keeps it), then run the item again.",
					code,
				),
				{ cause: unread.error, code },
			);
		}
		if (sent > expected) throw new UnsendableFile(`the file "${fileName}" grew while it was being sent`, CHANGED_ADVICE);
		if (sent !== expected) throw new UnsendableFile(`the file "${fileName}" shrank while it was being sent`, CHANGED_ADVICE);
	}
	Object.defineProperties(file, {
		size: { value: expected },
		stream: {
			value: () => {
				const reading = checked();
				// Pulled one chunk at a time: the socket's pace decides how much is read.
				return new ReadableStream<Uint8Array>({
					async pull(controller) {
						const next = await reading.next();
						if (next.done) controller.close();
						else controller.enqueue(next.value);
					},
					async cancel() {
						await reading.return(undefined);
					},
				});
			},
		},
	});
	return file;
}

export interface DirectUploadInput {
	connection: ProcoreConnection;
	companyId: string;
	projectId: string;
	photo: UploadSource;
	fileName: string;
	itemIndex: number;
}

export async function directUpload(context: IExecuteFunctions, input: DirectUploadInput): Promise<string> {
	for (let start = 1; ; start++) {
		try {
			return input.photo.size <= uploadLimits.singlePostMaxBytes
				? await uploadInOnePart(context, input)
				: await uploadInSegments(context, input);
		} catch (error) {
			// Storage URLs and fields are never reused (docs/procore-api.md §7): a retry is a new upload.
			if (!restartable.has(error as object) || start >= MAX_UPLOAD_STARTS) {
				throw asNodeError(context.getNode(), error, input.itemIndex);
			}
			await sleep(1000 * start);
		}
	}
}

async function uploadInOnePart(context: IExecuteFunctions, input: DirectUploadInput): Promise<string> {
	const { photo, fileName, itemIndex } = input;
	const { response: upload } = await createUpload<UploadFormResponse>(context, input, {
		response_filename: fileName,
		response_content_type: photo.mimeType,
	});
	const { uuid, url, fields } = upload.body;
	const form = new FormData();
	// Storage checks its signed policy: every field exactly as given, in order, and the file last.
	for (const [name, value] of Object.entries(fields ?? {})) form.append(name, value);
	form.append('file', streamedFile(photo, fileName));
	await sendToStorage(context, { method: 'POST', url, body: form }, itemIndex, fileName);
	return uuid;
}

async function uploadInSegments(context: IExecuteFunctions, input: DirectUploadInput): Promise<string> {
	const { photo, fileName, itemIndex } = input;
	// First pass: Procore signs each segment by its size and SHA-256, so hash before sending.
	const segments: Array<{ size: number; sha256: string }> = [];
	for await (const piece of photo.pieces(uploadLimits.segmentBytes)) {
		segments.push({ size: piece.length, sha256: await sha256Hex(piece) });
	}
	const { response: upload, version } = await createUpload<UploadSegmentsResponse>(context, input, {
		response_filename: fileName,
		response_content_type: photo.mimeType,
		segments,
	});
	const { uuid } = upload.body;
	const targets = upload.body.segments ?? [];
	if (targets.length !== segments.length) {
		throw storageError(
			context,
			{ body: `<Code>UnexpectedSegments</Code><Message>Procore returned ${targets.length} segment addresses for ${segments.length} segments</Message>` },
			itemIndex,
			fileName,
		);
	}
	// Second pass: each piece goes to its own signed address, a few at a time; the ETags are
	// kept in segment order, as the completion call needs them.
	const etags: string[] = new Array(targets.length);
	const sending = new Set<Promise<void>>();
	let firstFailure: unknown;
	let index = 0;
	for await (const piece of photo.pieces(uploadLimits.segmentBytes)) {
		if (firstFailure) break;
		const at = index++;
		const target = targets[at];
		const job: Promise<void> = sendToStorage(
			context,
			{
				method: 'PUT',
				url: target.url,
				body: piece,
				headers: { ...target.headers, 'Content-Type': 'application/octet-stream' },
			},
			itemIndex,
			fileName,
		).then(
			// S3 quotes its ETags; Procore's examples show the bare value.
			(response) => void (etags[at] = (headerValue(response.headers, 'etag') ?? '').replace(/"/g, '')),
			(error) => void (firstFailure ??= error),
		);
		sending.add(job);
		void job.finally(() => sending.delete(job));
		while (sending.size >= SEGMENTS_IN_FLIGHT) await Promise.race(sending);
	}
	await Promise.all(sending);
	if (firstFailure) throw asNodeError(context.getNode(), firstFailure, itemIndex);
	// The tutorial completes with each segment's etag; the 2026 spec marks size and sha256 required
	// there too (docs/procore-api.md §11): all three satisfy both readings.
	const completion = segments.map((segment, at) => ({ size: segment.size, sha256: segment.sha256, etag: etags[at] }));
	try {
		await procoreRequest(
			context,
			{
				method: 'PATCH',
				path: uploadsPath(version, input.projectId, uuid),
				companyId: input.companyId,
				body: { segments: completion },
				itemIndex,
				action: `Completing the upload of "${fileName}"`,
			},
			input.connection,
		);
	} catch (error) {
		// A completion sent again after its answer was lost may meet 410 or 422 (documented for this
		// PATCH) because the first one went through: the upload itself says whether it is complete.
		const status = httpStatusOf(error);
		if (status !== 410 && status !== 422) throw asNodeError(context.getNode(), error, itemIndex);
		if (!(await uploadIsComplete(context, input, version, uuid))) throw asNodeError(context.getNode(), error, itemIndex);
	}
	return uuid;
}

async function uploadIsComplete(
	context: IExecuteFunctions,
	input: DirectUploadInput,
	version: UploadsVersion,
	uuid: string,
): Promise<boolean> {
	const shown = await procoreRequest<{ status?: string }>(
		context,
		{
			method: 'GET',
			path: uploadsPath(version, input.projectId, uuid),
			companyId: input.companyId,
			itemIndex: input.itemIndex,
			action: `Checking the upload of "${input.fileName}"`,
		},
		input.connection,
	);
	return ['complete', 'completed', 'available'].includes(String(shown.body?.status ?? '').toLowerCase());
}
