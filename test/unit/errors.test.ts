import type { INode } from 'n8n-workflow';

import {
	failureFromError,
	procoreErrorText,
	requestedWaitSeconds,
	toProcoreApiError,
} from '../../nodes/Procore/transport/errors';

const node: INode = {
	id: 'n1',
	name: 'Procore',
	type: 'n8n-nodes-procore.procore',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

describe('procoreErrorText: every body shape Procore documents (docs/procore-api.md §5)', () => {
	test.each([
		['errors as a string', { errors: 'Photos tool is disabled' }, 'Photos tool is disabled'],
		[
			'errors as a Rails field map',
			{ errors: { log_date: ['is invalid'], image_category_id: ['does not exist', 'is required'] } },
			'log date is invalid; image category id does not exist, is required',
		],
		['errors as an array of strings', { errors: ['first', 'second'] }, 'first; second'],
		['errors as an array of objects', { errors: [{ message: 'bad trade' }] }, 'bad trade'],
		['error as a string', { error: 'Not Found' }, 'Not Found'],
		[
			'error with an OAuth description',
			{ error: 'invalid_client', error_description: 'Client authentication failed' },
			'Client authentication failed',
		],
		[
			'error as an object with code and message',
			{ error: { code: 'BAD_REQUEST', message: 'Bad Request' } },
			'Bad Request',
		],
		[
			'v2 error with details',
			{
				error: {
					code: 'BAD_REQUEST',
					message: 'Bad Request',
					details: [{ reason_code: 'INVALID_PROPERTY', message: 'uploads.0.file_name must be a string' }],
				},
			},
			'Bad Request: uploads.0.file_name must be a string',
		],
		['message and error together', { message: 'Validation failed', error: 'x' }, 'x'],
		['message only', { message: 'Validation failed' }, 'Validation failed'],
		['the generic spec object', { code: 7, reason: 'Forbidden' }, 'Forbidden'],
		[
			'plain text (missing company header)',
			'Missing Procore-Company-Id header!  Each call must contain it.',
			'Missing Procore-Company-Id header! Each call must contain it.',
		],
		['JSON text', '{"errors":"The access token is invalid"}', 'The access token is invalid'],
		['HTML text', '<html><body><h1>Bad Gateway</h1></body></html>', 'Bad Gateway'],
		['an empty body', '', undefined],
	])('%s', (_label, body, expected) => {
		expect(procoreErrorText(body)).toBe(expected);
	});
});

describe('toProcoreApiError', () => {
	test('says what happened, quotes Procore and tells what to do, per status', () => {
		const error = toProcoreApiError(
			node,
			{ statusCode: 403, body: { errors: 'You do not have access' } },
			{ itemIndex: 3, action: 'Creating the photo "a.jpg"' },
		);
		expect(error.message).toBe('Creating the photo "a.jpg": Procore refused access (403): You do not have access');
		expect(error.description).toMatch(/Photos tool may be disabled in this project/);
		expect(error.description).toMatch(/app is not installed in this company/);
		expect(error.httpCode).toBe('403');
		expect(error.context.itemIndex).toBe(3);
	});

	test('401 asks to reconnect the credential', () => {
		const error = toProcoreApiError(node, { statusCode: 401, body: { errors: 'The access token is invalid' } });
		expect(error.description).toMatch(/reconnect it/);
	});

	test('a missing company header points at the Company parameter whatever the status', () => {
		const error = toProcoreApiError(node, {
			statusCode: 400,
			body: 'Missing Procore-Company-Id header!  Each call your application makes...',
		});
		expect(error.description).toMatch(/choose a Company/);
	});

	test('429 and 503 say how long Procore asked to wait', () => {
		const reset = Math.floor(Date.now() / 1000) + 42;
		const limited = toProcoreApiError(node, {
			statusCode: 429,
			body: 'You have surpassed the max number of requests for an hour. Please wait until your limit resets.',
			headers: { 'x-rate-limit-reset': String(reset) },
		});
		expect(limited.description).toMatch(/asked to wait 4[1-2] s/);
		const busy = toProcoreApiError(node, { statusCode: 503, body: '', headers: { 'retry-after': '30' } });
		expect(busy.description).toMatch(/asked to wait 30 s/);
	});

	test('a network failure names the code', () => {
		const error = toProcoreApiError(node, { code: 'ECONNRESET' });
		expect(error.message).toBe('Could not reach Procore: the connection was closed before Procore answered');
		expect(error.description).toMatch(/network code ECONNRESET/);
	});
});

describe('failureFromError', () => {
	test('finds status, body and headers in an axios-like error wrapped by n8n, and nothing of the request', () => {
		const axiosError = Object.assign(new Error('Request failed with status code 422'), {
			config: { headers: { Authorization: 'Bearer secret-token' } },
			response: {
				status: 422,
				data: { errors: { name: ['is taken'] } },
				headers: { 'X-Rate-Limit-Remaining': '10' },
			},
		});
		const wrapped = Object.assign(new Error('wrapper'), { cause: axiosError });
		const failure = failureFromError(wrapped);
		expect(failure).toEqual({
			statusCode: 422,
			body: { errors: { name: ['is taken'] } },
			headers: { 'x-rate-limit-remaining': '10' },
		});
		expect(JSON.stringify(toProcoreApiError(node, failure))).not.toContain('secret-token');
	});

	test('a network code counts only from the HTTP client, not from an OAuth client error', () => {
		expect(failureFromError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', config: {} }))).toEqual({
			code: 'ECONNRESET',
		});
		expect(failureFromError(Object.assign(new Error('Client authentication failed'), { code: 'EAUTH', status: 401 }))).toEqual({});
	});

	test("n8n 1.x's NodeApiError, which keeps only httpCode (and a JSON body in context.data): the status or the network code", () => {
		// n8n-workflow 1.x: the HTTP client's error is gone (`cause` is reset by a class field), the
		// message is n8n's generic one; httpCode holds the status, or the network code.
		const shaped = (httpCode: string | null, data?: unknown) =>
			Object.assign(new Error('n8n generic message'), { name: 'NodeApiError', httpCode, cause: undefined, context: data ? { data } : {} });
		expect(failureFromError(shaped('422', { errors: { name: ['is taken'] } }))).toEqual({
			statusCode: 422,
			body: { errors: { name: ['is taken'] } },
			headers: {},
		});
		expect(failureFromError(shaped('ECONNRESET'))).toEqual({ code: 'ECONNRESET' });
		expect(failureFromError(shaped('ETIMEDOUT'))).toEqual({ code: 'ETIMEDOUT' });
		// @n8n/client-oauth2's refused refresh (code EAUTH) is a credential problem, not the network.
		expect(failureFromError(shaped('EAUTH'))).toEqual({});
		expect(failureFromError(shaped(null))).toEqual({});
	});

	test('decodes an arraybuffer body', () => {
		const data = new TextEncoder().encode('{"error":"nope"}');
		expect(procoreErrorText(failureFromError({ response: { status: 404, data, headers: {} } }).body)).toBe('nope');
	});
});

describe('requestedWaitSeconds', () => {
	test('prefers Retry-After seconds, then an HTTP date, then X-Rate-Limit-Reset', () => {
		const now = Date.UTC(2026, 10, 28, 12, 0, 0);
		expect(requestedWaitSeconds({ 'retry-after': '7' }, now)).toBe(7);
		expect(requestedWaitSeconds({ 'Retry-After': new Date(now + 9000).toUTCString() }, now)).toBe(9);
		expect(requestedWaitSeconds({ 'x-rate-limit-reset': String(now / 1000 + 5) }, now)).toBe(5);
		expect(requestedWaitSeconds({}, now)).toBeUndefined();
	});
});
