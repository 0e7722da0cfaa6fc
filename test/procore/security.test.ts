import type { InputItem } from '../engine';
import { createImage, jpegBytes, photoItem, serviceAccount, userLogin, useEmulator } from './fixtures';

const emu = useEmulator();

const run = async (
	parameters: Record<string, unknown>,
	credentials: Record<string, unknown> = serviceAccount(emu),
	items: InputItem[] = [photoItem(jpegBytes(700), 'secure.jpg')],
) => await createImage(parameters, items, { credentials });

test('the token is not sent along a redirect to another host', async () => {
	emu.faults.inject({
		method: 'GET',
		path: '/rest/v1.0/image_categories',
		status: 302,
		headers: { Location: `${emu.storageUrl}/redirected-elsewhere` },
		body: '',
	});
	const result = await run({ albumId: { __rl: true, mode: 'name', value: 'Site Progress' } });
	// The redirect is followed, without the token, to a host that does not know the path.
	expect(result.error?.message).toMatch(/^Reading the albums of project 2001: Procore could not find it \(404\)/);
	// The request that was redirected did carry it.
	const listed = emu.requests.find((request) => request.path === '/rest/v1.0/image_categories');
	expect(listed?.headers.authorization).toMatch(/^Bearer /);
	const redirected = emu.requests.filter((request) => request.path === '/redirected-elsewhere');
	expect(redirected).toHaveLength(1);
	expect(redirected[0].headers.authorization).toBeUndefined();
});

test('no token, secret or signed storage URL in an error', async () => {
	const credentials = userLogin(emu);
	emu.faults.inject({ listener: 'storage', method: 'POST', status: 403, times: 3 });
	const result = await run({}, credentials);
	const shown = JSON.stringify({ message: result.error?.message, description: result.error?.description, error: result.error });
	expect(result.error?.message).toMatch(/^Sending "secure.jpg" to Procore's file storage failed: storage answered 403/);
	const token = (credentials.oauthTokenData as { access_token: string; refresh_token: string });
	for (const secret of [token.access_token, token.refresh_token, 'procore-test-secret', emu.storageUrl, 'x-amz-signature', 'X-Amz-Signature']) {
		expect(shown).not.toContain(secret);
	}
});

test.each([
	['plain HTTP to a remote host', 'http://api.procore.example.com', /must use HTTPS/],
	['a host with a path', `https://api.procore.com/rest/v1.0`, /must be a host without a path/],
	['not a URL', 'api procore', /is not a URL/],
])('a Custom API Host that is %s is refused before anything is sent', async (_label, apiHost, message) => {
	const result = await run({}, serviceAccount(emu, { apiHost }));
	expect(result.error?.message).toMatch(message);
	expect(emu.requests).toEqual([]);
});

test('a Custom Login Host over plain HTTP to a remote host is refused before the secret is sent', async () => {
	const result = await run({}, serviceAccount(emu, { loginHost: 'http://login.procore.example.com' }));
	expect(result.error?.message).toBe("The Procore credential's Login Host must use HTTPS");
	expect(emu.requests).toEqual([]);
});

test('an inline upload is sent again after n8n refreshes an expired token (its body can be re-sent)', async () => {
	const credentials = userLogin(emu);
	emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 401, body: { message: 'The access token is invalid' } });
	const result = await run({ uploadMethod: 'inline' }, credentials);
	expect(result.error).toBeUndefined();
	expect(emu.stats.refreshAttempts).toBe(1);
	const creates = emu.requests.filter((request) => request.path === '/rest/v1.0/images');
	expect(creates.map((request) => request.status)).toEqual([401, 201]);
	expect(creates[1].bodyBytes).toBe(creates[0].bodyBytes);
});
