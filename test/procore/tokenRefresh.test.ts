import { expectEveryPhotoOnce, photos, upload } from './batches';
import { createImage, userLogin, useEmulator } from './fixtures';

/**
 * Issue #13 item 3: access tokens that die every few requests while many items are in flight.
 * n8n refreshes the token when a request meets a 401 and sends that request once more; with 16
 * requests in flight the re-sent one can meet the next expiry. The node then sends the request
 * again itself, a few times, before it calls the credential dead. An inline upload's multipart body
 * is sent again whole each time: its file part reads the binary afresh (transport/storage.ts,
 * streamedFile).
 * Procore's refresh tokens are single use (docs/procore-api.md §1): the chain must never break.
 */
const emu = useEmulator();

const expiring = async (requests: number, run: () => ReturnType<typeof upload>) => {
	emu.configure({ tokenExpiresAfterRequests: requests });
	return await run().finally(() => emu.configure({ tokenExpiresAfterRequests: 0 }));
};

const apiRequests = (method: string, path: string) =>
	emu.requests.filter((request) => request.listener === 'api' && request.method === method && request.path === path);

/**
 * Issue #13 measured tokens dying every 30 requests with 2 workers of 16 items each; in one process
 * 16 items against tokens dying every 15 requests is as tight (without the node's own re-sends,
 * items fail here).
 */
describe('tokens that expire every 15 requests, 16 items at once', () => {
	test.each([
		['direct uploads', 'direct'],
		['inline uploads (a multipart body)', 'inline'],
	])('%s: every photo created once, no refresh refused', async (_label, uploadMethod) => {
		const items = photos(64, `expiring-${uploadMethod}`);
		const run = await expiring(15, async () =>
			await createImage({ uploadMethod, advancedOptions: { parallelUploads: 16, maxWaitSeconds: 60 } }, items, {
				credentials: userLogin(emu),
			}),
		);
		expectEveryPhotoOnce(emu, items, run);
		expect(emu.stats.refreshAttempts).toBeGreaterThanOrEqual(2);
		expect(emu.stats.refreshFailures).toBe(0);
		// Every refresh n8n made was stored, so the next one presents the refresh token just issued.
		expect(run.credentials.tokenUpdates).toHaveLength(emu.stats.refreshAttempts);
	});
});

describe('tokens that expire every 10 requests, 16 items at once', () => {
	// Each renewed token serves fewer requests than are in flight, so a request can meet a dead
	// token again and again. While other requests get through, its 401s do not count against the
	// credential (transport/index.ts, unauthorizedCounts): it goes again until it lands.
	test('every photo created once, no refresh refused', async () => {
		const items = photos(48, 'expiring-fast');
		const run = await expiring(10, async () =>
			await createImage({ uploadMethod: 'direct', advancedOptions: { parallelUploads: 16, maxWaitSeconds: 120 } }, items, {
				credentials: userLogin(emu),
			}),
		);
		expectEveryPhotoOnce(emu, items, run);
		expect(emu.stats.refreshFailures).toBe(0);
		// Some request met a 401 more than the few times a dead credential is given.
		const unauthorized = emu.requests.filter((request) => request.listener === 'api' && request.status === 401).length;
		expect(unauthorized).toBeGreaterThan(4);
	});
});

describe('a 401 after the refresh', () => {
	test('a revoked refresh token: one "reconnect" error, no photo, no request sent twice, the later items never sent', async () => {
		const credentials = userLogin(emu);
		emu.faults.revokeAllRefreshTokens();
		emu.faults.expireAllAccessTokens();
		const run = await upload(photos(32, 'revoked'), {
			credentials,
			advanced: { parallelUploads: 16 },
			continueOnFail: true,
		});
		expect(`${run.error?.message} ${run.error?.description}`).toMatch(/reconnect/i);
		expect(emu.stats.imagesCreated).toBe(0);
		// Each of the first 16 items sent one request and met n8n's "reconnect" error (its refresh
		// lock joins the refreshes that overlap); the node sent nothing again, and items 17-32 never went.
		const sent = emu.requests.filter((request) => request.listener === 'api');
		expect(sent.length).toBeGreaterThanOrEqual(1);
		expect(sent.length).toBeLessThanOrEqual(16);
		expect(sent.every((request) => request.status === 401)).toBe(true);
		expect(emu.stats.refreshAttempts).toBeLessThanOrEqual(sent.length);
		expect(emu.stats.refreshFailures).toBe(emu.stats.refreshAttempts);
	});

	test.each(['direct', 'inline'])(
		'%s: a request that n8n re-sent after its refresh meets a 401 again: it goes once more, the photo is made once',
		async (uploadMethod) => {
			emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 401, times: 2, body: { message: 'The access token is invalid' } });
			const items = photos(1, `second-401-${uploadMethod}`);
			const run = await createImage({ uploadMethod }, items, { credentials: userLogin(emu) });
			// Byte-exact: the inline body sent a third time still carries the whole file.
			expectEveryPhotoOnce(emu, items, run);
			expect(apiRequests('POST', '/rest/v1.0/images').map((request) => request.status)).toEqual([401, 401, 201]);
			expect(emu.stats.refreshAttempts).toBe(1);
		},
	);

	test('Procore answering 401 whatever the token: the item is sent 4 times, then the credential error', async () => {
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 401, times: Infinity, body: { message: 'The access token is invalid' } });
		const items = photos(3, 'always-401');
		const run = await upload(items, { credentials: userLogin(emu), advanced: { parallelUploads: 1 }, continueOnFail: true });
		emu.faults.clear();
		expect(run.error?.message).toBe(
			`Creating the photo "${items[0].binary.data.fileName}": Procore did not accept the credential (401): The access token is invalid`,
		);
		expect(run.error?.description).toMatch(/reconnect it/);
		// Each of the node's 4 sends is refused, n8n refreshes and sends it once more: 8 in all, and
		// the other items never go (a dead credential fails every item alike).
		expect(apiRequests('POST', '/rest/v1.0/images')).toHaveLength(8);
		expect(emu.stats.refreshAttempts).toBe(4);
		expect(emu.stats.refreshFailures).toBe(0);
		expect(emu.stats.imagesCreated).toBe(0);
	});
});

describe('a 401 in one company only', () => {
	// Procore answers 401 in a company where the app is not installed (docs/procore-api.md §1.3, §5),
	// while the same token works in the others. Items of that company must fail on their own, after
	// a few sends, not be sent again until Maximum Wait nor stop the items of the other company.
	test('the items of that company fail with advice to install the app; the others are made; the run goes on', async () => {
		const BETA_PROJECT = 2101;
		emu.faults.inject({
			method: 'POST',
			path: new RegExp(`^/rest/v1\\.[01]/projects/${BETA_PROJECT}/uploads$`),
			status: 401,
			times: Infinity,
			body: { message: 'The access token is invalid' },
		});
		const acme = photos(6, 'acme-401');
		const beta = photos(2, 'beta-401').map((item) => ({ ...item, json: { company: '1002', project: String(BETA_PROJECT) } }));
		const items = [...acme.map((item) => ({ ...item, json: { company: '1001', project: '2001' } })), ...beta];
		const started = Date.now();
		const run = await createImage(
			{
				companyId: { __rl: true, mode: 'id', value: '={{ $json.company }}' },
				projectId: { __rl: true, mode: 'id', value: '={{ $json.project }}' },
				albumId: { __rl: true, mode: 'list', value: '' },
				advancedOptions: { parallelUploads: 4, maxWaitSeconds: 60 },
			},
			items,
			{ credentials: userLogin(emu), continueOnFail: true },
		);
		emu.faults.clear();
		expect(run.error).toBeUndefined();
		expect(run.items).toHaveLength(8);
		expect(run.items.slice(0, 6).every((item) => typeof item.json.id === 'number')).toBe(true);
		for (const item of run.items.slice(6)) {
			expect(item.json.error).toMatch(/Procore did not accept the credential \(401\)/);
			expect(item.json.description).toMatch(/not installed in that company.*App Management/);
		}
		expect(emu.stats.imagesCreated).toBe(6);
		// Each Beta item: 4 sends of the node, each refused, refreshed by n8n and sent once more.
		const betaUploads = emu.requests.filter((request) => request.method === 'POST' && request.path.includes(`/projects/${BETA_PROJECT}/uploads`));
		expect(betaUploads.every((request) => request.status === 401)).toBe(true);
		expect(betaUploads.length).toBeLessThanOrEqual(2 * 4 * 2);
		expect(Date.now() - started).toBeLessThan(30_000);
	}, 60_000);
});

describe('a 401 sent again does not use up the tries a later failure needs', () => {
	test('three 401s, then four 503s: the photo waits and is made once', async () => {
		// Each of the node's sends meets n8n's refresh and its second 401 (6 in all), then Procore is
		// busy 4 times. The 401s are not tries of retry.ts: 4 × 503 stays within its 6 tries.
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 401, times: 6, body: { message: 'The access token is invalid' } });
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 503, retryAfterSeconds: 1, times: 4 });
		const items = photos(1, 'then-503');
		const run = await createImage({}, items, { credentials: userLogin(emu) });
		emu.faults.clear();
		expectEveryPhotoOnce(emu, items, run);
		expect(apiRequests('POST', '/rest/v1.0/images').map((request) => request.status)).toEqual([
			...Array(6).fill(401),
			...Array(4).fill(503),
			201,
		]);
	}, 30_000);
});
