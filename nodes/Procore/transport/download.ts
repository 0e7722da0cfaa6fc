import type { IExecuteFunctions, IHttpRequestOptions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';

import { PROCORE_ENVIRONMENTS } from './environments';
import {
	asNodeError,
	failureFromError,
	headerValue,
	networkWords,
	procoreErrorText,
	storageErrorText,
	withoutLinks,
	type ProcoreFailure,
} from './errors';
import {
	ANSWER_EVERY_STATUS,
	CREDENTIAL_TYPE,
	markCredentialFailure,
	notInstalledAdvice,
	noteTokenAccepted,
	resendAfterUnauthorized,
	type ProcoreConnection,
} from './index';
import { BudgetExceeded, rateBudgetFor } from './rateLimit';
import { backoffMs, MAX_ATTEMPTS, verdictFor } from './retry';

/**
 * Downloads of Procore file links, such as an Image's `url` and `thumbnail_url`.
 *
 * Since 2023-06 these links need the Bearer token and answer with a redirect to a storage host
 * (docs/procore-api.md §11 "Downloading a photo"). The token goes only to Procore's own hosts and
 * never along the redirect: the node stops at the redirect and fetches the storage address with no
 * credential at all. The links are never built or parsed, only followed.
 */

/** A response body being received; the type n8n's prepareBinaryData takes besides a Buffer. */
export type ByteStream = Exclude<Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0], Buffer>;

/** A file being received: its body as a stream, and what the answer said about it. */
export interface OpenedFile {
	stream: ByteStream;
	contentType?: string;
	/** The name in the answer's Content-Disposition, if any. */
	fileName?: string;
	contentLength?: number;
}

/** What a failed download left us; never the link, the storage address or the token. */
interface LinkFailure {
	/** The words after the action, e.g. "Procore's file link answered 403". */
	summary: string;
	statusCode?: number;
	/** Who refused: Procore's file link, or the storage host it redirected to. */
	where: 'procore' | 'storage';
	detail?: string;
}

/** Errors after which a freshly read link may work (see `isStaleLinkError`). */
const staleLinkErrors = new WeakSet<object>();

/**
 * Whether a fresh link might work: expired links answer 403 (S3 too), links Procore no longer
 * knows 404 or 410, and a storage request that failed on the network has no status at all.
 */
export function isStaleLinkError(error: unknown): boolean {
	return typeof error === 'object' && error !== null && staleLinkErrors.has(error);
}

const LINK_ADVICE: Record<number, string> = {
	401: 'Procore did not accept the access token for the file. Open the Procore credential and reconnect it.',
	403: "Procore refused the file. Downloading photos needs at least 'Read Only' on the project's Photos tool; private photos also need 'View Private Photos'. An expired link is read again once by itself.",
	404: 'Procore found no file behind the link. The photo may have been deleted meanwhile.',
	429: 'Procore is throttling this app. Raise Maximum Wait in Advanced Options, send fewer items at once, or run the workflow again later.',
};

function linkError(
	context: IExecuteFunctions,
	failure: LinkFailure,
	request: { action: string; itemIndex?: number },
): NodeApiError {
	const message = `${request.action}: ${failure.summary}${failure.detail ? `: ${failure.detail}` : ''}`;
	const description =
		(failure.statusCode !== undefined ? LINK_ADVICE[failure.statusCode] : undefined) ??
		(failure.where === 'storage'
			? "Procore's file storage refused or failed the download. Run the item again later."
			: 'Procore could not serve the file. Run the item again later.');
	const httpCode = failure.statusCode ? String(failure.statusCode) : undefined;
	// Built from a clean object, like every Procore error (transport/errors.ts), so that nothing of
	// the request (its Authorization header, a signed address) travels with it.
	const error = new NodeApiError(context.getNode(), { message, ...(httpCode ? { httpCode } : {}) } as JsonObject, {
		message,
		description,
		...(httpCode ? { httpCode } : {}),
		...(request.itemIndex !== undefined ? { itemIndex: request.itemIndex } : {}),
	});
	const stale =
		failure.statusCode === undefined ? failure.where === 'storage' : [400, 403, 404, 410].includes(failure.statusCode);
	if (stale) staleLinkErrors.add(error);
	return error;
}

/** The registrable domain of Procore's hosts per environment (docs/procore-api.md §1.1, §11). */
const PROCORE_DOMAINS: Record<keyof typeof PROCORE_ENVIRONMENTS, string> = {
	production: 'procore.com',
	sandbox: 'procore.com',
	monthlySandbox: 'procore.com',
	federal: 'procoregov.com',
};

/**
 * Whether a link may receive the Bearer token: the credential's API host, or an HTTPS host of
 * Procore's domain in the credential's environment (file links live on `*.procore.com`,
 * docs/procore-api.md §11). For the Custom environment only its API host is trusted.
 */
export function mayCarryToken(link: URL, connection: Pick<ProcoreConnection, 'apiBaseUrl' | 'environment'>): boolean {
	if (link.origin === new URL(connection.apiBaseUrl).origin) return true;
	if (connection.environment === 'custom' || link.protocol !== 'https:') return false;
	const domain = PROCORE_DOMAINS[connection.environment];
	const host = link.hostname.toLowerCase();
	return !!domain && (host === domain || host.endsWith(`.${domain}`));
}

interface StreamResponse {
	body: ByteStream;
	headers: Record<string, string>;
	statusCode: number;
}

function discard(stream: unknown) {
	if (stream && typeof (stream as ByteStream).destroy === 'function') (stream as ByteStream).destroy();
}

/** The first few kilobytes of an error answer, for its message; the rest is dropped. */
async function readSmall(stream: ByteStream | undefined, limit = 8192): Promise<string> {
	if (!stream || typeof stream[Symbol.asyncIterator] !== 'function') return '';
	const chunks: Buffer[] = [];
	let size = 0;
	try {
		for await (const chunk of stream) {
			const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
			chunks.push(buffer);
			size += buffer.length;
			if (size >= limit) break;
		}
	} catch {
		// An error answer that breaks off says no more than its status.
	} finally {
		stream.destroy();
	}
	return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/** The file name in a Content-Disposition header (RFC 6266: filename* first, then filename). */
export function dispositionFileName(header: string | undefined): string | undefined {
	if (!header) return undefined;
	const extended = header.match(/filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/);
	if (extended) {
		try {
			return decodeURIComponent(extended[1].trim());
		} catch {
			// Badly encoded: fall back to the plain name.
		}
	}
	const plain = header.match(/filename\s*=\s*"([^"]*)"/) ?? header.match(/filename\s*=\s*([^;]+)/);
	return plain?.[1].trim() || undefined;
}

function opened(response: StreamResponse): OpenedFile {
	const length = Number(headerValue(response.headers, 'content-length'));
	return {
		stream: response.body,
		contentType: headerValue(response.headers, 'content-type'),
		fileName: dispositionFileName(headerValue(response.headers, 'content-disposition')),
		contentLength: Number.isFinite(length) ? length : undefined,
	};
}

/** How long a download may go without a byte from storage before it counts as broken off. */
const STALL_TIMEOUT_MS = 120_000;

/**
 * GET of a storage address with no credential of any kind: whatever the host, nothing of the
 * Procore credential can reach it. Redirects among storage hosts are followed as they come.
 */
async function fetchWithoutToken(
	context: IExecuteFunctions,
	url: URL,
	request: { action: string; itemIndex?: number },
): Promise<OpenedFile> {
	for (let attempt = 0; ; attempt++) {
		let response: StreamResponse | undefined;
		let failure: ProcoreFailure | undefined;
		try {
			response = (await context.helpers.httpRequest({
				method: 'GET',
				url: url.href,
				encoding: 'stream',
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				// A storage host that stops sending must not hold the item for ever.
				timeout: STALL_TIMEOUT_MS,
			})) as StreamResponse;
		} catch (error) {
			failure = failureFromError(error);
		}
		if (response && response.statusCode >= 200 && response.statusCode < 300) return opened(response);
		const status = response?.statusCode ?? failure?.statusCode;
		const text = response ? await readSmall(response.body) : '';
		// Storage that fails on the network or with a server error gets two more tries.
		if ((failure?.code || (status !== undefined && status >= 500)) && attempt < 2) {
			await sleep(backoffMs(attempt));
			continue;
		}
		const summary = status
			? `Procore's file storage answered ${status}`
			: `Could not download from Procore's file storage: ${networkWords(failure?.code, 'the storage') ?? 'the connection failed'}`;
		throw linkError(context, { summary, statusCode: status, where: 'storage', detail: storageErrorText(text) }, request);
	}
}

/**
 * Opens a Procore file link for reading: the Bearer token only where `mayCarryToken` allows, the
 * request to Procore's host within the shared rate budget (retried after 429/503 and network
 * failures, as any read), and the redirect to storage followed without a credential.
 * `action` starts every error message ("Downloading photo 12 in project 34").
 */
export async function openFileLink(
	context: IExecuteFunctions,
	connection: ProcoreConnection,
	request: { link: string; companyId?: string; action: string; itemIndex?: number },
): Promise<OpenedFile> {
	let url: URL | undefined;
	try {
		url = new URL(request.link);
	} catch {
		url = undefined;
	}
	if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
		throw linkError(context, { summary: 'Procore gave a file link that is not a web address', where: 'procore' }, request);
	}
	if (!mayCarryToken(url, connection)) return await fetchWithoutToken(context, url, request);

	const companyId = request.companyId ?? connection.credentialCompanyId;
	// The same budget as every other call of this credential and company (transport/index.ts).
	const budget = rateBudgetFor(`${connection.budgetKey}|${companyId ?? ''}`);
	const deadline = Date.now() + connection.maxWaitMs;
	const options: IHttpRequestOptions = {
		method: 'GET',
		url: url.href,
		headers: { Accept: '*/*', ...(companyId ? { 'Procore-Company-Id': companyId } : {}) },
		encoding: 'stream',
		returnFullResponse: true,
		// The node follows the redirect itself, below, so the token cannot go along.
		disableFollowRedirect: true,
		sendCredentialsOnCrossOriginRedirect: false,
		// Answers are looked at here; only 401 is left to n8n, which then refreshes the token once
		// (n8n 2.x; on 1.x a 401 comes back as an answer, see ANSWER_EVERY_STATUS).
		...ANSWER_EVERY_STATUS,
	};
	const unauthorized = { resends: 0, tolerated: 0 };
	// As in transport/index.ts: a 401 sent again does not count as a try.
	let attempt = 0;
	for (;;) {
		try {
			await budget.acquire(deadline, connection.interactive);
		} catch (error) {
			if (!(error instanceof BudgetExceeded)) throw asNodeError(context.getNode(), error, request.itemIndex);
			const limitSeconds = Math.round(connection.maxWaitMs / 1000);
			throw linkError(
				context,
				{
					summary: `Procore asked to wait ${error.waitSeconds} s, longer than the node may still wait (Maximum Wait is ${limitSeconds} s)`,
					statusCode: 429,
					where: 'procore',
				},
				request,
			);
		}
		let response: StreamResponse | undefined;
		let failure: ProcoreFailure;
		const sentAt = Date.now();
		try {
			response = (await context.helpers.httpRequestWithAuthentication.call(
				context,
				CREDENTIAL_TYPE,
				options,
			)) as StreamResponse;
			failure = { statusCode: response.statusCode, headers: response.headers };
		} catch (error) {
			failure = failureFromError(error);
			discard(failure.body);
			failure.body = undefined;
			if (failure.statusCode === undefined && failure.code === undefined) {
				budget.settle(undefined);
				// n8n itself refused (credential not connected, token refresh failed...): no fresh link helps.
				throw new NodeOperationError(
					context.getNode(),
					`${request.action}: the Procore credential could not be used: ${withoutLinks((error as Error).message) ?? 'unknown reason'}`,
					{
						itemIndex: request.itemIndex,
						description:
							'Open the Procore credential: reconnect it (Authorization Code) or check the client ID and secret (Client Credentials).',
					},
				);
			}
		}
		budget.settle(failure.headers);
		if (response) {
			const status = response.statusCode;
			const location = headerValue(response.headers, 'location');
			if (status >= 300 && status < 400 && location) {
				discard(response.body);
				let next: URL | undefined;
				try {
					next = new URL(location, url);
				} catch {
					next = undefined;
				}
				if (!next || (next.protocol !== 'https:' && next.protocol !== 'http:')) {
					throw linkError(
						context,
						{ summary: 'Procore redirected the file link to an address that is not valid', statusCode: status, where: 'procore' },
						request,
					);
				}
				// The token stays behind: storage gets a request without any credential.
				return await fetchWithoutToken(context, next, request);
			}
			if (status >= 200 && status < 300) {
				noteTokenAccepted(connection, companyId);
				return opened(response);
			}
			failure.body = await readSmall(response.body);
		}
		const now = Date.now();
		const verdict = verdictFor(failure, 'repeatable', attempt, now, budget.serverNow(now));
		const giveUp = () =>
			linkError(
				context,
				{
					summary: failure.statusCode
						? `Procore's file link answered ${failure.statusCode}`
						: `Could not reach Procore's file link: ${networkWords(failure.code) ?? 'the connection failed'}`,
					statusCode: failure.statusCode,
					where: 'procore',
					detail: withoutLinks(procoreErrorText(failure.body)),
				},
				request,
			);
		if (failure.statusCode === 401) {
			// As for every Procore request (transport/index.ts).
			const meaning = await resendAfterUnauthorized(
				context,
				connection,
				{ companyId, sentAt, deadline, itemIndex: request.itemIndex, answered: response !== undefined },
				unauthorized,
			);
			if (meaning === 'again') continue;
			const unauthorizedError = giveUp();
			if (meaning === 'company') {
				unauthorizedError.description = notInstalledAdvice(companyId);
				throw unauthorizedError;
			}
			// As for API calls: no item can get past a credential that no longer works.
			throw markCredentialFailure(unauthorizedError);
		}
		if (verdict.kind !== 'retry' || attempt + 1 >= MAX_ATTEMPTS) throw giveUp();
		if (verdict.notBeforeMs) budget.blockUntil(verdict.notBeforeMs);
		if (now + verdict.waitMs > deadline) throw giveUp();
		await sleep(verdict.waitMs);
		attempt++;
	}
}
