import { requestedWaitSeconds, type ProcoreFailure } from './errors';

/**
 * The retry rules of every Procore request, apart from the request itself so that they can be
 * read, and tested, on their own.
 */
export const MAX_ATTEMPTS = 6;
const NETWORK_CODES_NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
const NETWORK_CODES_UNKNOWN_OUTCOME = new Set(['ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE']);

/** Whether a code is a failure of the network itself (not of the file or the request being sent). */
export function isNetworkFailure(code: string | undefined): boolean {
	return code !== undefined && (NETWORK_CODES_NOT_SENT.has(code) || NETWORK_CODES_UNKNOWN_OUTCOME.has(code));
}

export type Verdict =
	| { kind: 'fail' }
	| { kind: 'retry'; waitMs: number; notBeforeMs?: number }
	/** Look for what the lost request made; `lookTwice` when Procore may still be making it. */
	| { kind: 'recover'; waitMs: number; lookTwice: boolean };

/** Between the two looks after a timeout or a 504: time for Procore to finish what it was doing. */
export const SECOND_LOOK_DELAY_MS = 3000;

export function backoffMs(attempt: number): number {
	return Math.min(30_000, 1000 * 2 ** attempt) + Math.floor(Math.random() * 250);
}

/**
 * Which failures are worth another try. 429 and 503 are Procore's throttles: it refused the request
 * without processing it, so even a request that creates something can go again after the wait it
 * asked for. A refused connection never reached Procore. A dropped connection, a timeout, a
 * server error (500) or a gateway error (502, 504) leaves the outcome unknown: safe requests go
 * again, creating ones first look for what they may have created.
 */
export function verdictFor(
	failure: ProcoreFailure,
	mode: 'repeatable' | 'once',
	attempt: number,
	now: number,
	/** Procore's clock at `now` (see RateBudget.serverNow): X-Rate-Limit-Reset is on that clock. */
	serverNow = now,
): Verdict {
	const status = failure.statusCode;
	if (status === 429 || status === 503) {
		const waitSeconds = requestedWaitSeconds(failure.headers, serverNow);
		const waitMs = waitSeconds !== undefined ? waitSeconds * 1000 + 100 : backoffMs(attempt);
		return { kind: 'retry', waitMs, notBeforeMs: now + waitMs };
	}
	if (failure.code && NETWORK_CODES_NOT_SENT.has(failure.code)) return { kind: 'retry', waitMs: backoffMs(attempt) };
	const unknownOutcome =
		status === 500 ||
		status === 502 ||
		status === 504 ||
		(failure.code !== undefined && NETWORK_CODES_UNKNOWN_OUTCOME.has(failure.code));
	if (!unknownOutcome) return { kind: 'fail' };
	if (mode === 'repeatable') return { kind: 'retry', waitMs: backoffMs(attempt) };
	// Procore may still be creating the record (a gateway gave up, 504, or the connection timed
	// out), and its lists may show a new record only some time after it exists: one look can come
	// too early, so it looks again a little later before anything is sent twice.
	return { kind: 'recover', waitMs: backoffMs(attempt), lookTwice: true };
}

