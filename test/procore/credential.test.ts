import { ClientOAuth2 } from '@n8n/client-oauth2';

import { evaluateWithCredentials, resolveCredential, type InputItem } from '../engine';
import { expectEveryPhotoOnce, photos, upload as uploadBatch } from './batches';
import {
	CLIENT_ID,
	CLIENT_SECRET,
	createImage,
	jpegBytes,
	photoItem,
	procoreCredential,
	serviceAccount,
	userLogin,
	useEmulator,
} from './fixtures';

const TYPE = 'procoreOAuth2Api';
const resolve = (data: Record<string, unknown>) => resolveCredential([procoreCredential], TYPE, data as never);

describe('the credential names the hosts of its environment', () => {
	test.each([
		['production', 'https://login.procore.com', 'https://api.procore.com'],
		['sandbox', 'https://login-sandbox.procore.com', 'https://sandbox.procore.com'],
		['monthlySandbox', 'https://login-sandbox-monthly.procore.com', 'https://api-monthly.procore.com'],
		['federal', 'https://login.procoregov.com', 'https://api.procoregov.com'],
	])('%s', (environment, login, api) => {
		for (const grantType of ['authorizationCode', 'clientCredentials']) {
			const data = resolve({ environment, grantType, clientId: 'id', clientSecret: 'secret' });
			expect(data).toMatchObject({
				authUrl: `${login}/oauth/authorize`,
				accessTokenUrl: `${login}/oauth/token`,
				grantType,
				authentication: 'body',
				scope: '',
			});
			expect(evaluateWithCredentials(procoreCredential.test.request.baseURL as string, data)).toBe(api);
		}
	});

	test('custom hosts, with stray spaces and trailing slashes, and ignoring stored OAuth URLs', () => {
		const data = resolve({
			environment: 'custom',
			loginHost: ' https://login.eu.example.com/ ',
			apiHost: 'https://api.eu.example.com//',
			grantType: 'clientCredentials',
			authUrl: 'https://attacker.example.com/authorize',
		});
		expect(data.authUrl).toBe('https://login.eu.example.com/oauth/authorize');
		expect(data.accessTokenUrl).toBe('https://login.eu.example.com/oauth/token');
		expect(evaluateWithCredentials(procoreCredential.test.request.baseURL as string, data)).toBe('https://api.eu.example.com');
	});
});

describe('token grants against the emulator, through n8n', () => {
	const emu = useEmulator({ autoApprove: true });

	const upload = async (credentials: Record<string, unknown>, items: InputItem[] = [photoItem(jpegBytes(500))], continueOnFail = false) =>
		await createImage({}, items, { credentials, continueOnFail });

	test('authorization code: the approval redirect carries a code that n8n’s OAuth client exchanges, once', async () => {
		const data = resolve(userLogin(emu, { oauthTokenData: undefined }));
		const redirectUri = 'http://localhost:5678/rest/oauth2-credential/callback';
		// As n8n's OAuth2 callback does for a credential with body authentication: no Basic
		// header, the client id and secret in the token request body.
		const client = new ClientOAuth2({
			clientId: data.clientId as string,
			accessTokenUri: data.accessTokenUrl as string,
			authorizationUri: data.authUrl as string,
			redirectUri,
			authentication: data.authentication as 'body',
		});
		const inBody = { body: { client_id: data.clientId, client_secret: data.clientSecret } };
		const authorize = await fetch(client.code.getUri().toString() + '&state=xyz', { redirect: 'manual' });
		const location = new URL(authorize.headers.get('location') ?? '');
		expect(location.origin + location.pathname).toBe(redirectUri);
		expect(location.searchParams.get('state')).toBe('xyz');
		const token = await client.code.getToken(location.toString(), inBody);
		expect(token.data).toMatchObject({ token_type: 'bearer', expires_in: 5400 });
		expect(token.refreshToken).toBeTruthy();
		await expect(client.code.getToken(location.toString(), inBody)).rejects.toThrow(/invalid/i);

		const run = await upload(userLogin(emu, { oauthTokenData: token.data }));
		expect(run.error).toBeUndefined();
		expect(run.items[0].json.uploader).toMatchObject({ id: 3001 });
	});

	test('client credentials: n8n fetches a token with the secret in the body and stores it', async () => {
		const run = await upload(serviceAccount(emu));
		expect(run.error).toBeUndefined();
		expect(run.credentials.tokenUpdates).toHaveLength(1);
		expect(run.credentials.stateOf(TYPE).oauthTokenData).toMatchObject({ token_type: 'bearer' });
		const tokenCalls = emu.requests.filter((request) => request.listener === 'login');
		expect(tokenCalls).toHaveLength(1);
		expect(tokenCalls[0].headers.authorization).toBeUndefined();
		expect(run.items[0].json.uploader).toMatchObject({ id: 3900 });
	});

	// n8n fetches a missing token inside each request (n8n-core request-helpers/oauth.js): without
	// the node's first-request rule, 16 items starting at once asked for 16 tokens.
	test('client credentials: 16 items starting at once without a token ask for one token', async () => {
		const items = photos(16, 'first-token');
		const run = await uploadBatch(items, { credentials: serviceAccount(emu), advanced: { parallelUploads: 16 } });
		expectEveryPhotoOnce(emu, items, run);
		expect(emu.requests.filter((request) => request.listener === 'login')).toHaveLength(1);
		expect(run.credentials.tokenUpdates).toHaveLength(1);
	});

	test('client credentials with a wrong secret: 16 items ask for a token once and fail with one error', async () => {
		const run = await uploadBatch(photos(16, 'wrong-secret'), {
			credentials: serviceAccount(emu, { clientSecret: 'wrong' }),
			advanced: { parallelUploads: 16 },
		});
		expect(run.error?.message).toMatch(/Client authentication failed|invalid_client/);
		expect(emu.requests.filter((request) => request.listener === 'login')).toHaveLength(1);
		expect(emu.requests.filter((request) => request.listener === 'api')).toHaveLength(0);
	});

	test('a wrong client secret gives a clear message and sends nothing to the API', async () => {
		const run = await upload(serviceAccount(emu, { clientSecret: 'wrong' }));
		expect(run.error?.message).toMatch(/Client authentication failed|invalid_client/);
		expect(JSON.stringify(run.error)).not.toContain('wrong');
		expect(emu.requests.filter((request) => request.listener === 'api')).toHaveLength(0);
	});

	test('an expired access token is refreshed once (single-use refresh token rotated) and the batch carries on', async () => {
		const credentials = userLogin(emu);
		const firstRefreshToken = (credentials.oauthTokenData as { refresh_token: string }).refresh_token;
		emu.faults.expireAllAccessTokens();
		const run = await upload(credentials, [photoItem(jpegBytes(300), 'a.jpg'), photoItem(jpegBytes(301), 'b.jpg')]);
		expect(run.error).toBeUndefined();
		expect(run.items).toHaveLength(2);
		expect(run.credentials.tokenUpdates).toHaveLength(1);
		const stored = run.credentials.stateOf(TYPE).oauthTokenData as { refresh_token: string };
		expect(stored.refresh_token).not.toBe(firstRefreshToken);
		expect(emu.stats.refreshAttempts).toBe(1);
	});

	test('a revoked refresh token stops the run at once with one "reconnect" error, even with Continue On Fail', async () => {
		const credentials = userLogin(emu);
		emu.faults.revokeAllRefreshTokens();
		emu.faults.expireAllAccessTokens();
		const items = [photoItem(jpegBytes(10), 'a.jpg'), photoItem(jpegBytes(11), 'b.jpg'), photoItem(jpegBytes(12), 'c.jpg')];
		const run = await upload(credentials, items, true);
		expect(`${run.error?.message} ${run.error?.description}`).toMatch(/reconnect/i);
		// One refresh attempt for the whole run, no photo: the other items never tried.
		expect(emu.stats.refreshAttempts).toBe(1);
		expect(emu.stats.imagesCreated).toBe(0);
		// n8n's own Continue On Fail then passes the input items through, as for any node error.
		expect(run.items.map((item) => item.pairedItem)).toEqual([0, 1, 2].map((item) => expect.objectContaining({ item })));
	});

	test('the credential test request: /me on the API host, with the company header a service account needs', async () => {
		const request = procoreCredential.test.request;
		const check = async (data: Record<string, unknown>, token: string) => {
			const resolved = resolve(data);
			const url = `${String(evaluateWithCredentials(request.baseURL as string, resolved))}${request.url}`;
			// The headers are one expression: the request n8n sends is exactly what it yields.
			const headers = evaluateWithCredentials(request.headers as unknown as string, resolved) as Record<string, string>;
			sentHeaders.push(headers);
			return await fetch(url, { headers: { Authorization: `Bearer ${token}`, ...headers } });
		};
		const sentHeaders: Array<Record<string, string>> = [];
		const user = await check(userLogin(emu), emu.issueToken().access_token);
		expect(user.status).toBe(200);
		expect(await user.json()).toMatchObject({ id: 3001 });
		const service = emu.issueToken({ grantType: 'client_credentials' }).access_token;
		expect((await check(serviceAccount(emu), service)).status).toBe(200);
		const noCompany = await check(serviceAccount(emu, { companyId: '' }), service);
		expect(noCompany.status).toBe(400);
		expect(await noCompany.text()).toMatch(/Missing Procore-Company-Id header/);
		// Never an empty header: a user without Company ID sends none, a service account its own.
		expect(sentHeaders).toEqual([{}, { 'Procore-Company-Id': '1001' }, {}]);
	});
});

test('client id and secret are what the user typed', () => {
	const data = resolve({ environment: 'production', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
	expect(data).toMatchObject({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
});
