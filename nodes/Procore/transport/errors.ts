import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/** What a failed Procore call left us: never the request itself, which carries the token. */
export interface ProcoreFailure {
	statusCode?: number;
	body?: unknown;
	headers?: Record<string, string | string[] | undefined>;
	/** A network-level failure such as ECONNRESET or ETIMEDOUT. */
	code?: string;
}

/**
 * What to tell the user for a status, where the operation knows better than the generic advice:
 * e.g. for 403 on a delete, which Procore permission is missing.
 */
export type StatusAdvice = Partial<Record<number, string>>;

const MAX_DETAIL_LENGTH = 600;

function parseMaybeJson(body: unknown): unknown {
	if (typeof body !== 'string') return body;
	const text = body.trim();
	if (text.startsWith('{') || text.startsWith('[')) {
		try {
			return JSON.parse(text);
		} catch {
			return text;
		}
	}
	return text;
}

function describeErrorsValue(errors: unknown): string | undefined {
	if (typeof errors === 'string') return errors;
	if (Array.isArray(errors)) {
		const parts = errors
			.map((entry) => (typeof entry === 'string' ? entry : procoreErrorText(entry)))
			.filter((part): part is string => !!part);
		return parts.length ? parts.join('; ') : undefined;
	}
	if (errors && typeof errors === 'object') {
		// Rails-style validation errors: { field: ["message", ...] }
		const parts = Object.entries(errors as Record<string, unknown>).map(([field, messages]) => {
			const text = Array.isArray(messages) ? messages.join(', ') : String(messages);
			return field === 'base' ? text : `${field.replace(/_/g, ' ')} ${text}`;
		});
		return parts.length ? parts.join('; ') : undefined;
	}
	return undefined;
}

function describeErrorValue(error: unknown, description: unknown): string | undefined {
	if (typeof error === 'string') {
		// OAuth-style bodies pair a machine code with a sentence for people.
		return typeof description === 'string' && description ? description : error;
	}
	if (error && typeof error === 'object') {
		const { message, details, code } = error as { message?: unknown; details?: unknown; code?: unknown };
		const detailText = Array.isArray(details)
			? details
					.map((detail) => (detail && typeof detail === 'object' ? (detail as { message?: unknown }).message : detail))
					.filter((text): text is string => typeof text === 'string' && !!text)
					.join('; ')
			: '';
		const head = typeof message === 'string' && message ? message : typeof code === 'string' ? code : '';
		return [head, detailText].filter(Boolean).join(': ') || undefined;
	}
	return undefined;
}

/**
 * Procore has no single error shape (docs/procore-api.md §5): try `errors` (string, field map or array),
 * then `error` (string or {code, message, details[]}), then `message`, then the raw text.
 */
export function procoreErrorText(body: unknown): string | undefined {
	const parsed = parseMaybeJson(body);
	if (parsed === undefined || parsed === null || parsed === '') return undefined;
	if (typeof parsed === 'string') return stripMarkup(parsed);
	if (Array.isArray(parsed)) return describeErrorsValue(parsed);
	if (typeof parsed !== 'object') return String(parsed);
	const record = parsed as Record<string, unknown>;
	return (
		describeErrorsValue(record.errors) ??
		describeErrorValue(record.error, record.error_description) ??
		(typeof record.message === 'string' && record.message ? record.message : undefined) ??
		(typeof record.reason === 'string' && record.reason ? record.reason : undefined)
	);
}

function stripMarkup(text: string): string {
	const plain = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
	return plain.length > MAX_DETAIL_LENGTH ? `${plain.slice(0, MAX_DETAIL_LENGTH)}…` : plain;
}

export function headerValue(
	headers: ProcoreFailure['headers'] | undefined,
	name: string,
): string | undefined {
	if (!headers) return undefined;
	const wanted = name.toLowerCase();
	for (const [key, value] of Object.entries(headers)) {
		if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
	}
	return undefined;
}

/** Seconds Procore asked us to wait: Retry-After, else until X-Rate-Limit-Reset. */
export function requestedWaitSeconds(headers: ProcoreFailure['headers'], now = Date.now()): number | undefined {
	const retryAfter = headerValue(headers, 'retry-after');
	if (retryAfter !== undefined) {
		const seconds = Number(retryAfter);
		if (Number.isFinite(seconds)) return Math.max(0, seconds);
		const date = Date.parse(retryAfter);
		if (Number.isFinite(date)) return Math.max(0, Math.ceil((date - now) / 1000));
	}
	const reset = Number(headerValue(headers, 'x-rate-limit-reset'));
	if (Number.isFinite(reset) && reset > 0) return Math.max(0, Math.ceil(reset - now / 1000));
	return undefined;
}

/** The sentence that tells the user what to do, by status. */
export function adviceFor(statusCode: number | undefined, detail: string | undefined, headers?: ProcoreFailure['headers']): string {
	const lowered = (detail ?? '').toLowerCase();
	if (lowered.includes('procore-company-id')) {
		return 'Procore needs the company for this call: choose a Company in the node (or set Company ID in the credential for a service account).';
	}
	switch (statusCode) {
		case 400:
			return 'Procore refused the request as malformed. Check the values sent in the node parameters.';
		case 401:
			return 'Procore did not accept the access token. Open the Procore credential and reconnect it; if the app is new to this company, check it is installed there (Company Admin → App Management).';
		case 403:
			return 'Procore refused access: the Photos tool may be disabled in this project, or the app is not installed in this company, or the user or service account lacks permission (a service account only reaches the projects a company admin permitted).';
		case 404:
			return 'Procore found nothing at this ID, or the user cannot see it (Procore answers 404 for both). Check the company, project and other IDs, and the user\'s access.';
		case 406:
			return 'Procore refused the content type or a field it does not know.';
		case 408:
			return 'Procore timed out answering. Try again; narrow the request if it lists many records.';
		case 409:
			return 'Procore reports a conflict with an existing record.';
		case 410:
			return 'The upload has expired in Procore. Run the item again to start a fresh upload.';
		case 422:
			return 'Procore could not accept the values. Fix the fields named in the message.';
		case 429: {
			const wait = requestedWaitSeconds(headers);
			return `Procore's rate limit for this app is spent${wait !== undefined ? `; it asked to wait ${wait} s` : ''}. Run fewer items at once or try again later.`;
		}
		case 500:
		case 502:
		case 503:
		case 504: {
			const wait = requestedWaitSeconds(headers);
			return `Procore is unavailable or overloaded${wait !== undefined ? ` and asked to wait ${wait} s` : ''}. Try again later.`;
		}
		default:
			return 'Check the node parameters and the Procore credential, then try again.';
	}
}

/**
 * A network failure's code in words, for `answerer` (who did not answer): n8n rewrites any message
 * that names a network code. Undefined for a code that is no network failure.
 */
export function networkWords(code: string | undefined, answerer = 'Procore'): string | undefined {
	const words: Record<string, string> = {
		ECONNRESET: `the connection was closed before ${answerer} answered`,
		ECONNREFUSED: 'the connection was refused',
		ETIMEDOUT: 'the connection timed out',
		ECONNABORTED: 'the request timed out',
		ENOTFOUND: 'the host name was not found',
		EAI_AGAIN: 'the host name could not be resolved',
		EPIPE: 'the connection broke while sending',
	};
	return code !== undefined && Object.prototype.hasOwnProperty.call(words, code) ? words[code] : undefined;
}

const ACTION_SUMMARY: Record<number, string> = {
	400: 'Procore rejected the request (400)',
	401: 'Procore did not accept the credential (401)',
	403: 'Procore refused access (403)',
	404: 'Procore could not find it (404)',
	406: 'Procore refused the request (406)',
	408: 'Procore timed out (408)',
	409: 'Procore reports a conflict (409)',
	410: 'The Procore upload has expired (410)',
	422: 'Procore could not accept the values (422)',
	429: 'Procore rate limit reached (429)',
	500: 'Procore had an internal failure (500)',
	502: 'Procore is unreachable (502)',
	503: 'Procore is unavailable (503)',
	504: 'Procore timed out (504)',
};

/**
 * Turns any failed Procore call into one NodeApiError: a short message saying what happened,
 * Procore's own words, and what to do. Built from a clean object so that nothing of the request
 * (its Authorization header, a signed storage URL) travels with the error.
 */
export function toProcoreApiError(
	node: INode,
	failure: ProcoreFailure,
	options: { itemIndex?: number; action?: string; explain?: StatusAdvice } = {},
): NodeApiError {
	const detail = procoreErrorText(failure.body);
	const status = failure.statusCode;
	let summary: string;
	if (status) {
		summary = ACTION_SUMMARY[status] ?? `Procore answered ${status}`;
	} else if (failure.code) {
		// n8n rewrites any message that names a network code, so it is put in words here.
		summary = `Could not reach Procore: ${networkWords(failure.code) ?? 'the connection failed'}`;
	} else {
		summary = 'The request to Procore failed';
	}
	const message = [options.action ? `${options.action}: ${summary}` : summary, detail]
		.filter(Boolean)
		.join(': ');
	const description = status
		? (options.explain?.[status] ?? adviceFor(status, detail, failure.headers))
		: `Check the network between n8n and Procore, and the hosts of the Procore credential${failure.code ? ` (network code ${failure.code})` : ''}.`;
	const errorData: JsonObject = {
		message,
		...(status ? { httpCode: String(status) } : {}),
		...(detail ? { procoreMessage: detail } : {}),
	};
	return new NodeApiError(node, errorData, {
		message,
		description,
		...(status ? { httpCode: String(status) } : {}),
		...(options.itemIndex !== undefined ? { itemIndex: options.itemIndex } : {}),
	});
}

/**
 * Text fit for an error message: every web address cut out (a storage address is signed, and its
 * query is as good as a password), whitespace folded, at most 300 characters.
 */
export function withoutLinks(text: string | undefined): string | undefined {
	if (!text) return undefined;
	const plain = text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '[link]').replace(/\s+/g, ' ').trim();
	if (!plain) return undefined;
	return plain.length > 300 ? `${plain.slice(0, 300)}…` : plain;
}

/**
 * What a file storage's error body says: S3-style XML gives its <Code> and <Message> only; another
 * body its words as Procore's errors are read. Addresses cut out.
 */
export function storageErrorText(body: unknown): string | undefined {
	if (typeof body !== 'string' || !body) return undefined;
	const code = body.match(/<Code>([^<]*)<\/Code>/)?.[1];
	const message = body.match(/<Message>([^<]*)<\/Message>/)?.[1];
	if (code || message) return withoutLinks([code, message].filter(Boolean).join(': '));
	if (/^\s*</.test(body)) return undefined;
	return withoutLinks(procoreErrorText(body) ?? body);
}

/** The HTTP status of an error the transport made (its `httpCode`), if it had one. */
export function httpStatusOf(error: unknown): number | undefined {
	const status = Number((error as { httpCode?: unknown } | undefined)?.httpCode);
	return Number.isInteger(status) && status > 0 ? status : undefined;
}

/**
 * Procore's own words in an error toProcoreApiError made, without the node's: its message also
 * names the action and the user's values (an image name), which must not be taken for Procore's.
 */
export function procoreWordsOf(error: unknown): string {
	const words = (error as { errorResponse?: { procoreMessage?: unknown } })?.errorResponse?.procoreMessage;
	return typeof words === 'string' ? words : '';
}

/** What @n8n/client-oauth2 calls a refused token request: a credential problem, not the network. */
const OAUTH_CLIENT_ERROR_CODE = 'EAUTH';

/**
 * Finds the HTTP status, body and headers inside whatever n8n's helpers threw (an axios error,
 * or a NodeApiError wrapping one, depending on the n8n version).
 */
export function failureFromError(error: unknown): ProcoreFailure {
	return failureInChain(error) ?? failureFromNodeApiError(error) ?? {};
}

/**
 * n8n 1.x's NodeApiError keeps no trace of the HTTP client's error (its `cause` is a class field
 * that the constructor's `super` call sets and the field then resets), only what it read from it:
 * `httpCode` (the status, or a network code such as ECONNRESET) and, for a JSON answer, the body
 * in `context.data`. Its message is n8n's generic one; a network code found here keeps a lost
 * connection from passing for a credential problem.
 */
function failureFromNodeApiError(error: unknown): ProcoreFailure | undefined {
	if (!error || typeof error !== 'object') return undefined;
	const { httpCode, context } = error as { httpCode?: unknown; context?: { data?: unknown } };
	if (typeof httpCode !== 'string') return undefined;
	if (/^\d{3}$/.test(httpCode)) return { statusCode: Number(httpCode), body: context?.data, headers: {} };
	if (/^E[A-Z_]+$/.test(httpCode) && httpCode !== OAUTH_CLIENT_ERROR_CODE) return { code: httpCode };
	return undefined;
}

function failureInChain(error: unknown): ProcoreFailure | undefined {
	const seen = new Set<unknown>();
	let current: unknown = error;
	while (current && typeof current === 'object' && !seen.has(current)) {
		seen.add(current);
		const candidate = current as {
			response?: { status?: number; data?: unknown; headers?: Record<string, string> };
			code?: unknown;
			cause?: unknown;
			errorResponse?: unknown;
		};
		if (candidate.response && typeof candidate.response.status === 'number') {
			return {
				statusCode: candidate.response.status,
				body: bodyText(candidate.response.data),
				headers: plainHeaders(candidate.response.headers),
			};
		}
		// A network failure of the HTTP client itself (it carries the request config), not, say,
		// an OAuth client error that happens to have a code.
		const fromHttpClient = 'config' in candidate || 'isAxiosError' in candidate || 'request' in candidate;
		if (fromHttpClient && typeof candidate.code === 'string' && /^E[A-Z_]+$/.test(candidate.code)) {
			return { code: candidate.code };
		}
		current = candidate.cause ?? candidate.errorResponse;
	}
	return undefined;
}

function bodyText(data: unknown): unknown {
	if (data && typeof data === 'object' && 'byteLength' in (data as object)) {
		try {
			return new TextDecoder().decode(data as ArrayBuffer);
		} catch {
			return undefined;
		}
	}
	return data;
}

function plainHeaders(headers: unknown): Record<string, string> {
	const result: Record<string, string> = {};
	if (!headers || typeof headers !== 'object') return result;
	const source =
		typeof (headers as { toJSON?: () => unknown }).toJSON === 'function'
			? ((headers as { toJSON: () => unknown }).toJSON() as Record<string, unknown>)
			: (headers as Record<string, unknown>);
	for (const [key, value] of Object.entries(source)) {
		if (value !== undefined && value !== null) result[key.toLowerCase()] = String(value);
	}
	return result;
}

/** The error as n8n should show it: n8n's own node errors pass through, anything else is wrapped. */
export function asNodeError(
	node: INode,
	error: unknown,
	itemIndex?: number,
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	return new NodeOperationError(node, error as Error, { itemIndex });
}
