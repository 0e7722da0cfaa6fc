import type { ProcoreFailure } from '../../nodes/Procore/transport/errors';
import { backoffMs, verdictFor } from '../../nodes/Procore/transport/retry';

/**
 * The retry verdict for every failure Procore or the network can give (docs/procore-api.md §3 and §5,
 * and the README's "Limits, retries and errors"): throttles wait as told, unknown outcomes of a
 * creating request are recovered rather than repeated, anything else fails at once.
 */

const NOW = 1_800_000_000_000;
const MODES = ['repeatable', 'once'] as const;

let random: jest.SpyInstance;
beforeEach(() => {
	// No jitter: a backoff is then exactly 1 s, 2 s, 4 s… from the attempt.
	random = jest.spyOn(Math, 'random').mockReturnValue(0);
});
afterEach(() => random.mockRestore());

const status = (statusCode: number, headers: ProcoreFailure['headers'] = {}): ProcoreFailure => ({ statusCode, headers });
const network = (code: string): ProcoreFailure => ({ code });

describe('429 and 503: Procore refused without processing, so any request goes again after the wait it asked for', () => {
	test.each([
		['429 with X-Rate-Limit-Reset 7 s ahead', status(429, { 'X-Rate-Limit-Reset': String(NOW / 1000 + 7) }), 7100],
		['429 with Retry-After in seconds', status(429, { 'retry-after': '4' }), 4100],
		['429 with Retry-After as an HTTP date', status(429, { 'Retry-After': new Date(NOW + 9000).toUTCString() }), 9100],
		['429 with both: Retry-After wins', status(429, { 'Retry-After': '2', 'X-Rate-Limit-Reset': String(NOW / 1000 + 30) }), 2100],
		['429 with a reset already past: go (almost) at once', status(429, { 'X-Rate-Limit-Reset': String(NOW / 1000 - 5) }), 100],
		['503 with Retry-After', status(503, { 'Retry-After': '1' }), 1100],
		['503 with X-Rate-Limit-Reset', status(503, { 'x-rate-limit-reset': String(NOW / 1000 + 3) }), 3100],
	])('%s', (_label, failure, waitMs) => {
		for (const mode of MODES) {
			expect(verdictFor(failure, mode, 0, NOW)).toEqual({ kind: 'retry', waitMs, notBeforeMs: NOW + waitMs });
		}
	});

	test.each([429, 503])('%i without Retry-After or X-Rate-Limit-Reset backs off by the attempt, and blocks the budget as long', (code) => {
		for (const mode of MODES) {
			expect(verdictFor(status(code), mode, 0, NOW)).toEqual({ kind: 'retry', waitMs: 1000, notBeforeMs: NOW + 1000 });
			expect(verdictFor(status(code), mode, 3, NOW)).toEqual({ kind: 'retry', waitMs: 8000, notBeforeMs: NOW + 8000 });
		}
	});
});

describe('outcome unknown: a safe request goes again, a creating one first looks for what it may have made', () => {
	test.each([
		['500', status(500)],
		['502', status(502)],
		['504', status(504)],
		['ECONNRESET', network('ECONNRESET')],
		['ETIMEDOUT', network('ETIMEDOUT')],
		['ECONNABORTED', network('ECONNABORTED')],
		['EPIPE', network('EPIPE')],
	])('%s', (_label, failure) => {
		expect(verdictFor(failure, 'repeatable', 1, NOW)).toEqual({ kind: 'retry', waitMs: 2000 });
		expect(verdictFor(failure, 'once', 1, NOW)).toEqual({ kind: 'recover', waitMs: 2000, lookTwice: true });
	});
});

describe('never reached Procore: any request goes again', () => {
	test.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'])('%s', (code) => {
		for (const mode of MODES) expect(verdictFor(network(code), mode, 2, NOW)).toEqual({ kind: 'retry', waitMs: 4000 });
	});
});

describe('anything else fails at once: trying again would get the same answer', () => {
	test.each([
		['400', status(400)],
		['401', status(401)],
		['403', status(403)],
		['404', status(404)],
		['406', status(406)],
		['409', status(409)],
		['413', status(413)],
		['422', status(422)],
		['501', status(501)],
		['a network code not known to be safe', network('ERR_TLS_CERT_ALTNAME_INVALID')],
		['no status and no code', {}],
	])('%s', (_label, failure) => {
		for (const mode of MODES) expect(verdictFor(failure, mode, 0, NOW)).toEqual({ kind: 'fail' });
	});

	test('a 422 with a Retry-After is still a 422', () => {
		expect(verdictFor(status(422, { 'Retry-After': '1' }), 'repeatable', 0, NOW)).toEqual({ kind: 'fail' });
	});
});

describe('backoffMs', () => {
	test('doubles from 1 s and stops at 30 s', () => {
		expect([0, 1, 2, 3, 4, 5, 10].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
	});

	test('adds up to a quarter second of jitter, so parallel items do not retry in step', () => {
		random.mockReturnValue(0.999);
		expect(backoffMs(0)).toBe(1249);
	});
});
