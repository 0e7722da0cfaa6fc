import type { IExecuteFunctions, IHttpRequestOptions, INodeType } from 'n8n-workflow';

import { binaryDataService, runNode } from '../engine';
import { expectEveryPhotoOnce, photos } from './batches';
import {
	ACME,
	createParameters,
	HARBOR_TOWER,
	jpegBytes,
	photoItem,
	procoreCredential,
	procoreNode,
	rl,
	serviceAccount,
	sha256,
	userLogin,
	useEmulator,
} from './fixtures';

/**
 * The node under n8n 1.x's way of handing failures over (issue #13 item 4), imitated on n8n 2.41's
 * engine so that it runs with the other tests; the real n8n 1.123.81 runs the same faults in
 * `npm run test:e2e:n8n1`. What n8n-core 1.122 (the core of n8n 1.123.81) does differently, read
 * in its request-helper-functions.js:
 * - any truthy `ignoreHttpStatusErrors`, `{ ignore, except }` included, ignores every status: a 401
 *   comes back as an answer, and n8n does not refresh the token;
 * - a failure is thrown as a NodeApiError that keeps neither the HTTP client's error (n8n-workflow
 *   1.x resets `cause` with a class field) nor its headers: only `httpCode` (the status, or a
 *   network code such as ECONNRESET), a JSON body in `context.data`, and n8n's generic message.
 */
const emu = useEmulator();

interface AxiosLike {
	response?: { status: number; data?: unknown };
	code?: string;
	config?: unknown;
}

/** The HTTP client's error inside what n8n 2.41 threw, if any. */
function httpClientError(error: unknown): AxiosLike | undefined {
	let current = error as { cause?: unknown } | undefined;
	for (let depth = 0; current && depth < 5; depth++) {
		const candidate = current as AxiosLike;
		if (candidate.response || (candidate.config && candidate.code)) return candidate;
		current = current.cause as { cause?: unknown } | undefined;
	}
	return undefined;
}

/** What n8n 1.x throws for that failure. */
function asN8n1Error(error: unknown): unknown {
	const client = httpClientError(error);
	if (!client) return error;
	const httpCode = client.response ? String(client.response.status) : (client.code ?? null);
	const data = client.response?.data;
	return Object.assign(new Error('The service was not able to process your request'), {
		name: 'NodeApiError',
		httpCode,
		cause: undefined,
		context: data && typeof data === 'object' ? { data } : {},
	});
}

/** The execution context as n8n 1.x's helpers would make it. */
function n8n1Context(context: IExecuteFunctions): IExecuteFunctions {
	const shim = Object.create(context) as IExecuteFunctions;
	const real = context.helpers.httpRequestWithAuthentication;
	const httpRequestWithAuthentication = async function (
		this: unknown,
		credentialsType: string,
		options: IHttpRequestOptions,
	) {
		const ignoreAll = Boolean(options.ignoreHttpStatusErrors);
		try {
			return await real.call(context, credentialsType, { ...options, ignoreHttpStatusErrors: ignoreAll });
		} catch (error) {
			throw asN8n1Error(error);
		}
	};
	Object.defineProperty(shim, 'helpers', { value: { ...context.helpers, httpRequestWithAuthentication } });
	return shim;
}

const procoreOnN8n1: INodeType = {
	description: procoreNode.description,
	methods: procoreNode.methods,
	async execute(this: IExecuteFunctions) {
		return await procoreNode.execute!.call(n8n1Context(this));
	},
};

async function createOnN8n1(parameters: Record<string, unknown>, items: ReturnType<typeof photos>, credentials: Record<string, unknown>, continueOnFail = false) {
	return await runNode({
		nodeType: procoreOnN8n1,
		credentialTypes: [procoreCredential],
		parameters: createParameters({ albumId: rl('5002'), advancedOptions: { maxWaitSeconds: 60 }, ...parameters }) as never,
		inputItems: items,
		credentials: { procoreOAuth2Api: credentials as never },
		continueOnFail,
	});
}

const apiRequests = (method: string, path: string | RegExp) =>
	emu.requests.filter(
		(request) => request.listener === 'api' && request.method === method && (typeof path === 'string' ? request.path === path : path.test(request.path)),
	);

describe("n8n 1.x's helpers (imitated)", () => {
	test("a 422 under Continue On Fail: the item carries Procore's words, the next photo is made", async () => {
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 422, body: { errors: { image_category_id: ['is not an album of this project'] } } });
		const items = photos(2, 'n8n1-422');
		const run = await createOnN8n1({ advancedOptions: { parallelUploads: 1 } }, items, userLogin(emu), true);
		expect(run.error).toBeUndefined();
		expect(run.items[0].json.error).toBe(
			`Creating the photo "${items[0].binary.data.fileName}": Procore could not accept the values (422): image category id is not an album of this project`,
		);
		expect(run.items[1].json.filename).toBe(items[1].binary.data.fileName);
	});

	test('a 429 with X-Rate-Limit-Reset: the node waits as Procore asked, then the photo is made once', async () => {
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 429, resetInSeconds: 2 });
		const items = photos(1, 'n8n1-429');
		const run = await createOnN8n1({}, items, userLogin(emu));
		expectEveryPhotoOnce(emu, items, run);
		const [refused, created] = apiRequests('POST', '/rest/v1.0/images');
		expect([refused.status, created.status]).toEqual([429, 201]);
		expect(created.at - refused.at).toBeGreaterThanOrEqual(1000);
	});

	test('a connection that keeps dropping: "Could not reach Procore", not a credential problem', async () => {
		emu.faults.inject({ method: 'POST', path: /\/uploads$/, drop: 'on-request', times: Infinity });
		const items = photos(1, 'n8n1-drop');
		const run = await createOnN8n1({ advancedOptions: { maxWaitSeconds: 2 } }, items, userLogin(emu), true);
		emu.faults.clear();
		expect(run.error).toBeUndefined();
		expect(run.items[0].json.error).toMatch(/^Starting the upload of "[^"]+": Could not reach Procore: /);
		expect(apiRequests('POST', /\/uploads$/).length).toBeGreaterThanOrEqual(2);
	});

	test('tokens expiring every 15 requests, 16 items at once: 48 photos once, one renewal at a time', async () => {
		const items = photos(48, 'n8n1-expiring');
		emu.configure({ tokenExpiresAfterRequests: 15 });
		const run = await createOnN8n1({ advancedOptions: { parallelUploads: 16, maxWaitSeconds: 60 } }, items, userLogin(emu)).finally(() =>
			emu.configure({ tokenExpiresAfterRequests: 0 }),
		);
		expectEveryPhotoOnce(emu, items, run);
		expect(emu.stats.refreshAttempts).toBeGreaterThanOrEqual(2);
		expect(emu.stats.refreshFailures).toBe(0);
		// The node had n8n renew through GET /me: each renewal came from one /me refused with 401 (and
		// sent again by n8n with the new token); the items that met the same expired token waited for
		// it instead of each having n8n renew.
		const probes = apiRequests('GET', '/rest/v1.0/me');
		expect(probes.filter((probe) => probe.status === 401)).toHaveLength(emu.stats.refreshAttempts);
		expect(probes).toHaveLength(2 * emu.stats.refreshAttempts);
	});

	test('a revoked refresh token stops the run with the credential error, the later items never sent', async () => {
		const credentials = userLogin(emu);
		emu.faults.revokeAllRefreshTokens();
		emu.faults.expireAllAccessTokens();
		const run = await createOnN8n1({ advancedOptions: { parallelUploads: 4 } }, photos(12, 'n8n1-revoked'), credentials, true);
		expect(run.error?.message).toMatch(/reconnect/i);
		expect(emu.stats.imagesCreated).toBe(0);
		expect(emu.stats.refreshAttempts).toBe(1);
		expect(emu.requests.filter((request) => request.listener === 'api').length).toBeLessThanOrEqual(5);
	});

	test('a 401 on a file link comes back as an answer: n8n is asked to renew, the link is read again, the bytes arrive', async () => {
		const bytes = jpegBytes(2000);
		const uploaded = await runNode({
			nodeType: procoreNode,
			credentialTypes: [procoreCredential],
			parameters: createParameters() as never,
			inputItems: [photoItem(bytes, 'n8n1-link.jpg')] as never,
			credentials: { procoreOAuth2Api: serviceAccount(emu) as never },
		});
		if (uploaded.error) throw uploaded.error;
		emu.reset();
		emu.faults.inject({ listener: 'api', method: 'GET', path: '/file-links/*', status: 401 });
		const result = await runNode({
			nodeType: procoreOnN8n1,
			credentialTypes: [procoreCredential],
			parameters: {
				resource: 'image',
				operation: 'download',
				companyId: rl(ACME),
				projectId: rl(HARBOR_TOWER),
				imageId: rl(String(uploaded.items[0].json.id)),
				size: 'original',
				binaryPropertyName: 'data',
			} as never,
			inputItems: [{ json: {} }],
			credentials: { procoreOAuth2Api: serviceAccount(emu) as never },
		});
		expect(result.error).toBeUndefined();
		const binary = result.items[0].binary?.data;
		const received = binary ? await binaryDataService().getAsBuffer(binary) : Buffer.alloc(0);
		expect(sha256(received)).toBe(sha256(bytes));
		const linkCalls = emu.requests.filter((request) => request.listener === 'api' && request.path.startsWith('/file-links/'));
		expect(linkCalls.map((call) => call.status)).toEqual([401, 302]);
		// The token itself was good (only the link refused it): n8n's look at /me needed no renewal.
		expect(apiRequests('GET', '/rest/v1.0/me').map((probe) => probe.status)).toEqual([200]);
	});
});
