import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
} from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { PROCORE_ENVIRONMENTS, PROCORE_WEB_HOSTS, type ProcoreEnvironment } from './environments';
import {
	asNodeError,
	failureFromError,
	headerValue,
	toProcoreApiError,
	type ProcoreFailure,
	type StatusAdvice,
} from './errors';
import { BudgetExceeded, rateBudgetFor } from './rateLimit';
import type { ProcorePath } from './paths';
import { MAX_ATTEMPTS, SECOND_LOOK_DELAY_MS, verdictFor } from './retry';

export const CREDENTIAL_TYPE = 'procoreOAuth2Api';

export type ProcoreContext = IExecuteFunctions | ILoadOptionsFunctions;

/** Where the credential says Procore lives. Every Procore call goes to `apiBaseUrl`, nowhere else. */
export interface ProcoreConnection {
	environment: ProcoreEnvironment;
	apiBaseUrl: string;
	/** Host names whose web URLs the pickers accept as "By URL". */
	webHosts: string[];
	/** The credential's Company ID, needed by service accounts even where the node has no company yet. */
	credentialCompanyId?: string;
	/** Names the rate budget this credential shares across executions. */
	budgetKey: string;
	/** The longest the node waits, in all, for one request: rate limits, throttling and retries. */
	maxWaitMs: number;
	/**
	 * A person is waiting (a picker in the editor): requests go before queued batch requests and
	 * give up after INTERACTIVE_TIMEOUT_MS instead of waiting on a slow answer.
	 */
	interactive?: boolean;
	/**
	 * The credential had no access token when the run started (a service account's first run):
	 * the first request goes alone so that n8n fetches one token, not one per item (see tokenTurn).
	 */
	tokenMissing?: boolean;
}

export const DEFAULT_MAX_WAIT_SECONDS = 300;
/** How many times a request refused with 401 after n8n's refresh is sent again before the credential is called dead. */
const MAX_UNAUTHORIZED_RESENDS = 3;
/** How long a picker may take before it says so: nobody waits minutes for a list. */
export const INTERACTIVE_TIMEOUT_MS = 10_000;

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

export function parseBaseUrl(
	context: ProcoreContext,
	raw: unknown,
	fieldName: string,
	environment: ProcoreEnvironment,
): URL {
	const text = String(raw ?? '').trim().replace(/\/+$/, '');
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new NodeOperationError(
			context.getNode(),
			`The Procore credential's ${fieldName} "${text}" is not a URL`,
			{ description: `Open the credential and set ${fieldName} to a base URL such as https://api.procore.com.` },
		);
	}
	const loopback = LOOPBACK_HOST.test(url.hostname);
	if (url.protocol !== 'https:' && !(url.protocol === 'http:' && environment === 'custom' && loopback)) {
		throw new NodeOperationError(
			context.getNode(),
			`The Procore credential's ${fieldName} must use HTTPS`,
			{
				description:
					'The access token travels with every request, so it may only cross the network encrypted. Plain HTTP is accepted only for a server on this machine (localhost or 127.0.0.1), such as the test emulator.',
			},
		);
	}
	if (url.pathname !== '/' && url.pathname !== '') {
		throw new NodeOperationError(
			context.getNode(),
			`The Procore credential's ${fieldName} must be a host without a path`,
			{ description: `Use ${url.origin} instead of ${text}.` },
		);
	}
	return url;
}

/** Whether n8n holds an access token for this credential (it stores it as `oauthTokenData`). */
function hasAccessToken(tokenData: unknown): boolean {
	let data = tokenData;
	if (typeof data === 'string') {
		try {
			data = JSON.parse(data);
		} catch {
			return false;
		}
	}
	return typeof data === 'object' && data !== null && Boolean((data as { access_token?: unknown }).access_token);
}

export async function getConnection(
	context: ProcoreContext,
	options: { maxWaitSeconds?: number; interactive?: boolean } = {},
): Promise<ProcoreConnection> {
	const credentials = await context.getCredentials(CREDENTIAL_TYPE);
	const environment = (credentials.environment as ProcoreEnvironment | undefined) ?? 'production';
	const credentialCompanyId = String(credentials.companyId ?? '').trim() || undefined;
	const credentialId = context.getNode().credentials?.[CREDENTIAL_TYPE]?.id ?? 'unsaved';
	const interactive = options.interactive === true;
	const maxWaitMs = interactive
		? INTERACTIVE_TIMEOUT_MS
		: (options.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS) * 1000;
	// Only Client Credentials fetch a token by themselves; a user login without one fails at once.
	const tokenMissing = credentials.grantType === 'clientCredentials' && !hasAccessToken(credentials.oauthTokenData);
	if (environment === 'custom') {
		// The login host receives the client secret: it is held to the same rule as the API host.
		parseBaseUrl(context, credentials.loginHost, 'Login Host', environment);
		const api = parseBaseUrl(context, credentials.apiHost, 'API Host', environment);
		return {
			environment,
			apiBaseUrl: api.origin,
			webHosts: [api.hostname],
			credentialCompanyId,
			budgetKey: `${api.origin}|${credentialId}`,
			maxWaitMs,
			interactive,
			tokenMissing,
		};
	}
	const hosts = PROCORE_ENVIRONMENTS[environment];
	if (!hosts) {
		throw new NodeOperationError(context.getNode(), `Unknown Procore environment "${environment}"`, {
			description: 'Open the Procore credential and choose an Environment.',
		});
	}
	return {
		environment,
		apiBaseUrl: hosts.apiHost,
		webHosts: PROCORE_WEB_HOSTS[environment],
		credentialCompanyId,
		budgetKey: `${hosts.apiHost}|${credentialId}`,
		maxWaitMs,
		interactive,
		tokenMissing,
	};
}

/**
 * Per credential: the first request of a credential without a token, while it is under way. It
 * settles with the credential error when n8n could not get a token (wrong secret...), else with nothing.
 */
const firstTokenRequests = new Map<string, Promise<Error | undefined>>();

/**
 * A service account's credential without a token: n8n fetches one inside every request that finds
 * none (n8n-core, request-helpers/oauth.js), so 16 items starting at once would ask Procore's login
 * host for 16 tokens. The first request goes alone and the others wait for its answer; by then n8n
 * has stored the token, which they read. When n8n could not get one, they fail with the same error
 * instead of each asking again. Returns what the first request calls once it is answered.
 */
async function tokenTurn(connection: ProcoreConnection): Promise<((failure?: unknown) => void) | undefined> {
	if (!connection.tokenMissing) return undefined;
	const key = connection.budgetKey;
	const underway = firstTokenRequests.get(key);
	if (underway) {
		const credentialError = await underway;
		if (credentialError) throw credentialError;
		return undefined;
	}
	let settle: (credentialError: Error | undefined) => void = () => {};
	const answered = new Promise<Error | undefined>((resolve) => (settle = resolve));
	firstTokenRequests.set(key, answered);
	return (failure?: unknown) => {
		connection.tokenMissing = false;
		if (firstTokenRequests.get(key) === answered) firstTokenRequests.delete(key);
		settle(isCredentialFailure(failure) ? (failure as Error) : undefined);
	};
}

export interface ProcoreRequest {
	method: IHttpRequestMethods;
	/** A path on the API host, such as /rest/v1.0/images, built by `procorePath` so every ID in it is checked. */
	path: ProcorePath;
	qs?: IDataObject;
	body?: IDataObject | FormData;
	/** Sent as Procore-Company-Id; Procore wants it on every call (docs/procore-api.md §2). */
	companyId?: string;
	/** For error messages: which item, and what the node was doing. */
	itemIndex?: number;
	action?: string;
	/** Advice by status where the operation knows better than the generic one (403, 404...). */
	explain?: StatusAdvice;
	/**
	 * 'repeatable' requests may be sent again after any transient failure. 'once' requests create
	 * something (a photo, an album) and are sent again only when the failure proves Procore did not
	 * process them, or when `recover` finds nothing was created. Default: 'repeatable' except POST.
	 */
	retry?: 'repeatable' | 'once';
	/** For 'once' requests whose outcome is unknown: looks for what the lost request created. */
	recover?: () => Promise<ProcoreResponse<unknown> | undefined>;
}

export interface ProcoreResponse<T> {
	body: T;
	headers: Record<string, string>;
	statusCode: number;
}

/** Errors that no other item can get past either: the whole run stops on them, once. */
const credentialFailures = new WeakSet<object>();

export function isCredentialFailure(error: unknown): boolean {
	return typeof error === 'object' && error !== null && credentialFailures.has(error);
}

/** Marks an error as one no item can get past (the credential no longer works); returns it. */
export function markCredentialFailure<E extends object>(error: E): E {
	credentialFailures.add(error);
	return error;
}

/**
 * Every answer comes back from n8n's helper with its status, headers and body, and is judged here:
 * how n8n wraps a failed request differs between its versions (n8n 1.x's NodeApiError drops the
 * HTTP client's error, its status, headers and body with it). 401 is the exception where n8n
 * honours it (2.x): n8n refreshes the token only when its helper fails with a 401. n8n 1.x reads
 * any value here as "ignore every status", so there a 401 comes back as an answer, unrefreshed, and
 * the node asks n8n to refresh (refreshTurn).
 */
export const ANSWER_EVERY_STATUS: Pick<IHttpRequestOptions, 'ignoreHttpStatusErrors'> = {
	ignoreHttpStatusErrors: { ignore: true, except: [401] },
};

export function isSuccess(statusCode: number): boolean {
	return statusCode >= 200 && statusCode < 300;
}

/** The error for a credential n8n itself could not use: no item can get past it, so the run stops. */
export function credentialFailure(context: ProcoreContext, error: unknown, itemIndex?: number): NodeOperationError {
	const credentialError = new NodeOperationError(context.getNode(), (error as Error).message, {
		description:
			(error as { description?: string }).description ??
			'Open the Procore credential: reconnect it (Authorization Code) or check the client ID and secret (Client Credentials).',
		itemIndex,
	});
	return markCredentialFailure(credentialError);
}

/**
 * When Procore last accepted the credential's token in this process, per credential and company
 * (requests without one under ''): Procore also answers 401 in a company where the app is not
 * installed (docs/procore-api.md §1.3, §5), while the same token works in the others.
 */
const tokenAcceptedAt = new Map<string, number>();

const companyKey = (connection: ProcoreConnection, companyId?: string) => `${connection.budgetKey}|${companyId ?? ''}`;

/** Records that Procore accepted the credential's token in a company: any answer of 2xx proves it. */
export function noteTokenAccepted(connection: ProcoreConnection, companyId?: string): void {
	tokenAcceptedAt.set(companyKey(connection, companyId), Date.now());
}

const acceptedSince = (key: string, sentAt: number) => (tokenAcceptedAt.get(key) ?? 0) > sentAt;

/** How long a token accepted in one company shows that the credential works, for a 401 in another. */
const CREDENTIAL_PROOF_MS = 15 * 60_000;

/** Whether Procore accepted the credential lately in another company (or without one). */
function acceptedElsewhere(connection: ProcoreConnection, companyId?: string): boolean {
	const own = companyKey(connection, companyId);
	const since = Date.now() - CREDENTIAL_PROOF_MS;
	for (const [key, at] of tokenAcceptedAt) {
		if (key !== own && key.startsWith(`${connection.budgetKey}|`) && at > since) return true;
	}
	return false;
}

/** Tolerated 401 resends go at once this many times, then with a growing pause (up to 5 s). */
const QUICK_TOLERATED_RESENDS = 3;

/** Per credential: the refresh under way, and when the last one ended. */
const refreshTurns = new Map<string, { underway?: Promise<void>; endedAt: number }>();

/**
 * Has n8n refresh the token after a 401 that came back as an answer (n8n 1.x, which refreshes only
 * when its helper fails): one small request, GET /me, that n8n may fail, so that n8n refreshes and
 * stores the new token. One at a time per credential: items that met the same expired token wait
 * for it instead of each refreshing (Procore's refresh tokens are single use, docs/procore-api.md
 * §1: a second refresh with the same one fails), and a request sent before the last refresh ended
 * needs none, it goes again with the stored token. A refresh n8n could not make stops the run.
 */
async function refreshTurn(
	context: ProcoreContext,
	connection: ProcoreConnection,
	request: { companyId?: string; sentAt: number; deadline: number; itemIndex?: number },
): Promise<void> {
	const key = connection.budgetKey;
	const turn = refreshTurns.get(key) ?? { endedAt: 0 };
	refreshTurns.set(key, turn);
	if (turn.underway) return await turn.underway;
	if (turn.endedAt > request.sentAt) return;
	const budget = rateBudgetFor(`${key}|${request.companyId ?? ''}`);
	turn.underway = (async () => {
		try {
			await budget.acquire(request.deadline, connection.interactive);
			const answer = (await context.helpers.httpRequestWithAuthentication.call(context, CREDENTIAL_TYPE, {
				method: 'GET',
				baseURL: connection.apiBaseUrl,
				url: '/rest/v1.0/me',
				headers: {
					Accept: 'application/json',
					...(request.companyId ? { 'Procore-Company-Id': request.companyId } : {}),
				},
				json: true,
				returnFullResponse: true,
			})) as ProcoreResponse<unknown>;
			budget.settle(answer.headers);
		} catch (error) {
			if (error instanceof BudgetExceeded) return;
			const failure = failureFromError(error);
			budget.settle(failure.headers);
			// Any answer, even another 401, leaves the judging to the request sent again.
			if (failure.statusCode === undefined && failure.code === undefined) {
				throw credentialFailure(context, error, request.itemIndex);
			}
		} finally {
			turn.endedAt = Date.now();
			turn.underway = undefined;
		}
	})();
	return await turn.underway;
}

/**
 * After Procore answered a request with 401: whether it goes again, or what the 401 means. A 401
 * proves Procore did nothing, so the request may go again through n8n, which reads the stored
 * token or refreshes again. n8n 2.x has already refreshed once (or read the token another process
 * stored) and sent the request once more; n8n 1.x gives the 401 back as an answer, and then n8n
 * refreshes now (refreshTurn). The next answer can still be a 401: with many requests in flight
 * the new token may die before the re-sent one lands (a token that expires every N requests,
 * issue #13). So while other requests in the same company get through since this one was sent,
 * it goes again until Maximum Wait (after a few quick tries, with a pause, so that it is no tight
 * loop of refreshes); otherwise MAX_UNAUTHORIZED_RESENDS times. Then:
 * - 'company': Procore accepted the credential lately in another company, but not in this one: the
 *   app is likely not installed in this company; the other items go on;
 * - 'credential': otherwise; the credential no longer works, and no item can get past that.
 * `tally` counts the resends of one request; `answered` says the 401 came back as an answer
 * rather than as n8n's error.
 */
export async function resendAfterUnauthorized(
	context: ProcoreContext,
	connection: ProcoreConnection,
	request: { companyId?: string; sentAt: number; deadline: number; itemIndex?: number; answered: boolean },
	tally: { resends: number; tolerated: number },
): Promise<'again' | 'credential' | 'company'> {
	const tolerated = acceptedSince(companyKey(connection, request.companyId), request.sentAt) && Date.now() < request.deadline;
	if (!tolerated && tally.resends++ >= MAX_UNAUTHORIZED_RESENDS) {
		return acceptedElsewhere(connection, request.companyId) ? 'company' : 'credential';
	}
	if (tolerated && ++tally.tolerated > QUICK_TOLERATED_RESENDS) {
		const pause = Math.min(5_000, 250 * 2 ** (tally.tolerated - QUICK_TOLERATED_RESENDS - 1));
		await sleep(Math.max(0, Math.min(pause, request.deadline - Date.now())));
	}
	if (request.answered) await refreshTurn(context, connection, request);
	return 'again';
}

/**
 * The advice for a 401 in one company while the credential works in others: the error goes on the
 * item, and does not stop the run.
 */
export function notInstalledAdvice(companyId: string | undefined): string {
	return `Procore accepts this credential in other companies but refused it${companyId ? ` in company ${companyId}` : ''} (401). The app is probably not installed in that company: ask a Procore company admin to install it (Company Admin → App Management), or check the Company.`;
}

/**
 * One authenticated call to the Procore REST API: within the shared rate budget, retried where
 * that is safe, and with every failure turned into a clear error.
 */
export async function procoreRequest<T = unknown>(
	context: ProcoreContext,
	request: ProcoreRequest,
	connection?: ProcoreConnection,
): Promise<ProcoreResponse<T>> {
	const resolved = connection ?? (await getConnection(context));
	const firstTokenAnswered = await tokenTurn(resolved);
	const sending = sendWithRetries<T>(context, request, resolved, firstTokenAnswered);
	// Also when the first request never went (its wait was too long): the others then go on their own.
	if (firstTokenAnswered) void sending.then(() => firstTokenAnswered(), firstTokenAnswered);
	return await sending;
}

async function sendWithRetries<T>(
	context: ProcoreContext,
	request: ProcoreRequest,
	resolved: ProcoreConnection,
	firstTokenAnswered: ((failure?: unknown) => void) | undefined,
): Promise<ProcoreResponse<T>> {
	const { apiBaseUrl, credentialCompanyId } = resolved;
	const companyId = request.companyId ?? credentialCompanyId;
	const budget = rateBudgetFor(`${resolved.budgetKey}|${companyId ?? ''}`);
	const mode = request.retry ?? (request.method === 'POST' ? 'once' : 'repeatable');
	const deadline = Date.now() + resolved.maxWaitMs;
	const fail = (failure: ProcoreFailure) =>
		toProcoreApiError(context.getNode(), failure, {
			itemIndex: request.itemIndex,
			action: request.action,
			explain: request.explain,
		});

	// A request that creates something and met Procore's 500 is sent once more at most (after the
	// look-up found nothing): a value Procore always answers with 500 then fails fast, with its words.
	let serverErrors = 0;
	const unauthorized = { resends: 0, tolerated: 0 };
	// Counts the tries after failures that retry.ts judges (429, 503, lost answers...); a 401 sent
	// again does not count, so it does not use up the tries a later 429 needs.
	let attempt = 0;
	for (;;) {
		try {
			await budget.acquire(deadline, resolved.interactive);
		} catch (error) {
			if (error instanceof BudgetExceeded) throw waitTooLong(context, request, error.waitSeconds, resolved);
			throw asNodeError(context.getNode(), error, request.itemIndex);
		}
		let failure: ProcoreFailure;
		let answeredUnauthorized = false;
		const sentAt = Date.now();
		try {
			const response = (await context.helpers.httpRequestWithAuthentication.call(context, CREDENTIAL_TYPE, {
				method: request.method,
				baseURL: apiBaseUrl,
				url: request.path,
				qs: request.qs,
				body: request.body,
				headers: {
					Accept: 'application/json',
					...(companyId ? { 'Procore-Company-Id': companyId } : {}),
				},
				json: true,
				returnFullResponse: true,
				...ANSWER_EVERY_STATUS,
				// Procore's file URLs redirect to storage; the token must never follow them there.
				sendCredentialsOnCrossOriginRedirect: false,
				// A file sent inline is streamed; following redirects would keep all of it in memory
				// until the answer (follow-redirects keeps request bodies to send them again), and
				// Procore's API does not redirect a POST. Reads keep following (file links do redirect).
				...(request.body instanceof FormData ? { disableFollowRedirect: true } : {}),
				arrayFormat: 'brackets',
				...(resolved.interactive ? { timeout: INTERACTIVE_TIMEOUT_MS } : {}),
			})) as ProcoreResponse<T>;
			budget.settle(response.headers);
			if (isSuccess(response.statusCode)) {
				noteTokenAccepted(resolved, companyId);
				return response;
			}
			failure = { statusCode: response.statusCode, body: response.body, headers: response.headers };
			answeredUnauthorized = response.statusCode === 401;
		} catch (error) {
			failure = failureFromError(error);
			budget.settle(failure.headers);
			if (failure.statusCode === undefined && failure.code === undefined) {
				// Not an HTTP failure: n8n itself refused (credential not connected, refresh token
				// revoked, token fetch failed...). No item can get past that.
				throw credentialFailure(context, error, request.itemIndex);
			}
		}
		// Procore answered, so n8n holds a token now: the others need not wait for this one's retries.
		firstTokenAnswered?.();
		if (failure.statusCode === 401) {
			const meaning = await resendAfterUnauthorized(
				context,
				resolved,
				{ companyId, sentAt, deadline, itemIndex: request.itemIndex, answered: answeredUnauthorized },
				unauthorized,
			);
			if (meaning === 'again') continue;
			const unauthorizedError = fail(failure);
			if (meaning === 'company') {
				unauthorizedError.description = notInstalledAdvice(companyId);
				throw unauthorizedError;
			}
			throw markCredentialFailure(unauthorizedError);
		}
		const now = Date.now();
		const verdict = verdictFor(failure, mode, attempt, now, budget.serverNow(now));
		if (verdict.kind === 'fail' || attempt + 1 >= MAX_ATTEMPTS) throw fail(failure);
		if (mode === 'once' && failure.statusCode === 500 && ++serverErrors > 1) throw fail(failure);
		if ('notBeforeMs' in verdict && verdict.notBeforeMs) budget.blockUntil(verdict.notBeforeMs);
		if (now + verdict.waitMs > deadline) {
			throw waitTooLong(context, request, Math.ceil(verdict.waitMs / 1000), resolved, failure);
		}
		await sleep(verdict.waitMs);
		if (verdict.kind === 'recover') {
			if (!request.recover) throw fail(failure);
			let found = await request.recover();
			if (!found && verdict.lookTwice) {
				await sleep(SECOND_LOOK_DELAY_MS);
				found = await request.recover();
			}
			if (found) return found as ProcoreResponse<T>;
		}
		attempt++;
	}
}

function waitTooLong(
	context: ProcoreContext,
	request: ProcoreRequest,
	waitSeconds: number,
	connection: ProcoreConnection,
	failure?: ProcoreFailure,
) {
	const limitSeconds = Math.round(connection.maxWaitMs / 1000);
	const error = toProcoreApiError(context.getNode(), failure ?? { statusCode: 429 }, {
		itemIndex: request.itemIndex,
		action: request.action,
	});
	if (failure && failure.statusCode === undefined) {
		// Procore asked for nothing: the connection failed, and the next try would come too late.
		error.description = `Trying again would take longer than the node may still wait (Maximum Wait is ${limitSeconds} s). ${error.description ?? ''}`.trim();
		return error;
	}
	error.message = `${request.action ? `${request.action}: ` : ''}Procore asked to wait ${waitSeconds} s, longer than the node may still wait (Maximum Wait is ${limitSeconds} s)`;
	error.description = `Procore is throttling this app. Raise Maximum Wait in Advanced Options, send fewer items at once, or run the workflow again later.`;
	return error;
}

/** The page after this one, from Procore's Link header; undefined on the last page. */
export function nextPageUrl(headers: Record<string, string>): string | undefined {
	const link = headerValue(headers, 'link');
	if (!link) return undefined;
	for (const part of link.split(',')) {
		const match = part.match(/<([^>]+)>\s*;\s*rel="?next"?/i);
		if (match) return match[1];
	}
	return undefined;
}

export interface PageResult<T> {
	items: T[];
	/** The next page number, when Procore says there is one. */
	nextPage?: number;
	/** Procore's `Total` header: how many items the whole list holds, when it says so. */
	total?: number;
	/** The page size Procore applied (its `Per-Page` header, else the one asked for). */
	perPage: number;
}

/** One page of a Procore list. Procore paginates with page/per_page and Link/Total (docs/procore-api.md §4). */
export async function procoreListPage<T>(
	context: ProcoreContext,
	request: ProcoreRequest & { page: number; perPage: number },
	connection?: ProcoreConnection,
): Promise<PageResult<T>> {
	const response = await procoreRequest<T[]>(
		context,
		{ ...request, qs: { ...request.qs, page: request.page, per_page: request.perPage } },
		connection,
	);
	const items = Array.isArray(response.body) ? response.body : [];
	const totalHeader = headerValue(response.headers, 'total');
	const total = totalHeader === undefined || totalHeader === '' ? Number.NaN : Number(totalHeader);
	const perPage = Number(headerValue(response.headers, 'per-page')) || request.perPage;
	let hasNext: boolean;
	if (headerValue(response.headers, 'link') !== undefined) {
		hasNext = nextPageUrl(response.headers) !== undefined;
	} else if (Number.isFinite(total)) {
		hasNext = request.page * perPage < total;
	} else {
		hasNext = items.length >= perPage;
	}
	return {
		items,
		nextPage: hasNext && items.length > 0 ? request.page + 1 : undefined,
		...(Number.isFinite(total) && total >= 0 ? { total } : {}),
		perPage,
	};
}

/**
 * Pages asked for at once once the first page told how many there are. Each still waits its turn
 * in the rate budget; four keep a long list from waiting on one round trip per page (issue #10's
 * bench: 5,000 photos are 50 pages) without taking the whole budget from the other items.
 */
export const PAGES_AT_ONCE = 4;

/**
 * Every item of a Procore list, page by page. The next page is asked for by number on the
 * credential's API host, never by following the Link URL itself, so a list can't steer the token
 * to another host. When the first page carries Procore's `Total`, the pages still needed are known
 * and read a few at a time, then put back in page order; without it they are read one after the
 * other. Pages that appear while the list is read (it grew meanwhile) are read one by one at the end.
 */
export async function procoreListAll<T>(
	context: ProcoreContext,
	request: ProcoreRequest,
	options: { perPage?: number; maxItems?: number } = {},
	connection?: ProcoreConnection,
): Promise<T[]> {
	const maxItems = options.maxItems ?? Number.POSITIVE_INFINITY;
	// A limit below a page asks for no more than it keeps.
	const perPage = Math.max(1, Math.min(options.perPage ?? 100, maxItems));
	const readPage = async (page: number) =>
		await procoreListPage<T>(context, { ...request, page, perPage }, connection);

	const first = await readPage(1);
	const pages: Array<PageResult<T>> = [first];
	if (first.nextPage !== undefined && first.total !== undefined) {
		const lastPage = Math.ceil(Math.min(first.total, maxItems) / first.perPage);
		let nextToAsk = 2;
		const reader = async () => {
			while (nextToAsk <= lastPage) {
				const page = nextToAsk++;
				pages[page - 1] = await readPage(page);
			}
		};
		await Promise.all(Array.from({ length: Math.min(PAGES_AT_ONCE, lastPage - 1) }, reader));
	}
	const all: T[] = [];
	let nextPage: number | undefined;
	for (const page of pages) {
		all.push(...page.items);
		nextPage = page.nextPage;
		// A page that came back empty ends the list (it shrank while being read).
		if (page.items.length === 0) break;
	}
	while (nextPage !== undefined && all.length < maxItems) {
		const result = await readPage(nextPage);
		all.push(...result.items);
		nextPage = result.nextPage;
	}
	return all.slice(0, maxItems);
}
