/**
 * Self-tests of the Procore emulator over real HTTP, with Node's fetch (not the node's code).
 */
import { createHash } from 'crypto';
import { SEED } from './index';
import { sha256, useSelfTestEmulator, type Json } from './selftest';

const md5 = (b: Uint8Array | string) => createHash('md5').update(b).digest('hex');

const kit = useSelfTestEmulator();
const { api } = kit;

async function tokenRequest(body: BodyInit, headers: Record<string, string> = {}) {
	const res = await fetch(`${kit.emu.loginUrl}/oauth/token`, { method: 'POST', body, headers });
	return { status: res.status, json: (await res.json()) as Json };
}

const form = (o: Record<string, string>) => new URLSearchParams(o);
const creds = { client_id: SEED.clientId, client_secret: SEED.clientSecret };

/** Runs the authorization-code flow through the approval page; returns the redirect's code. */
async function authorize(redirectUri = 'http://127.0.0.1:5678/rest/oauth2-credential/callback') {
	const q = new URLSearchParams({ response_type: 'code', client_id: SEED.clientId, redirect_uri: redirectUri, state: 'xyz' });
	const page = await fetch(`${kit.emu.loginUrl}/oauth/authorize?${q}`);
	expect(page.status).toBe(200);
	expect(await page.text()).toContain('Approve');
	const approve = await fetch(`${kit.emu.loginUrl}/oauth/authorize/approve`, {
		method: 'POST',
		body: form({ client_id: SEED.clientId, redirect_uri: redirectUri, state: 'xyz', response_type: 'code', decision: 'approve', user_id: '3001' }),
		redirect: 'manual',
	});
	expect(approve.status).toBe(302);
	const location = new URL(approve.headers.get('location')!);
	expect(location.origin + location.pathname).toBe(redirectUri);
	expect(location.searchParams.get('state')).toBe('xyz');
	return location.searchParams.get('code')!;
}

describe('OAuth', () => {
	const redirect = 'http://127.0.0.1:5678/rest/oauth2-credential/callback';

	test('authorization code: exchange once, reuse refused, refresh single-use', async () => {
		const code = await authorize(redirect);
		const first = await tokenRequest(form({ grant_type: 'authorization_code', code, redirect_uri: redirect, ...creds }));
		expect(first.status).toBe(200);
		expect(first.json).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 5400, refresh_token: expect.any(String), created_at: expect.any(Number) });
		expect((await api('/rest/v1.0/me', { token: first.json.access_token, company: null })).json).toEqual({ id: 3001, login: 'pat.builder@example.com', name: 'Pat Builder' });

		const again = await tokenRequest(form({ grant_type: 'authorization_code', code, redirect_uri: redirect, ...creds }));
		expect(again.status).toBe(400);
		expect(again.json).toEqual({
			error: 'invalid_grant',
			error_description:
				'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
		});

		// Refresh with a JSON body: new access and refresh tokens; the old pair stops working.
		const refreshed = await tokenRequest(JSON.stringify({ grant_type: 'refresh_token', refresh_token: first.json.refresh_token, ...creds }), { 'content-type': 'application/json' });
		expect(refreshed.status).toBe(200);
		expect(refreshed.json.refresh_token).not.toBe(first.json.refresh_token);
		expect(refreshed.json.access_token).not.toBe(first.json.access_token);
		const reused = await tokenRequest(form({ grant_type: 'refresh_token', refresh_token: first.json.refresh_token, ...creds }));
		expect(reused.status).toBe(400);
		expect(reused.json.error).toBe('invalid_grant');
		const old = await api('/rest/v1.0/me', { token: first.json.access_token, company: null });
		expect(old.status).toBe(401);
		expect(old.json).toEqual({ message: 'The access token is invalid' });

		// A refresh that fails client authentication still burns the refresh token.
		const wrong = await tokenRequest(form({ grant_type: 'refresh_token', refresh_token: refreshed.json.refresh_token, client_id: SEED.clientId, client_secret: 'nope' }));
		expect(wrong.status).toBe(401);
		const afterWrong = await tokenRequest(form({ grant_type: 'refresh_token', refresh_token: refreshed.json.refresh_token, ...creds }));
		expect(afterWrong.status).toBe(400);
	});

	test('redirect_uri must match; unknown redirect and client get an error page', async () => {
		const code = await authorize(redirect);
		const mismatch = await tokenRequest(form({ grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:9/other', ...creds }));
		expect(mismatch.json.error).toBe('invalid_grant');
		const bad = await fetch(`${kit.emu.loginUrl}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: SEED.clientId, redirect_uri: 'https://evil.example.com/cb' })}`);
		expect(bad.status).toBe(400);
		const unknown = await fetch(`${kit.emu.loginUrl}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'nobody', redirect_uri: redirect })}`);
		expect(unknown.status).toBe(400);
	});

	test('client authentication: wrong secret and Basic-only are invalid_client', async () => {
		const wrong = await tokenRequest(form({ grant_type: 'client_credentials', client_id: SEED.clientId, client_secret: 'wrong' }));
		expect(wrong.status).toBe(401);
		expect(wrong.json).toEqual({
			error: 'invalid_client',
			error_description: 'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
		});
		const basic = await tokenRequest(form({ grant_type: 'client_credentials' }), {
			authorization: `Basic ${Buffer.from(`${SEED.clientId}:${SEED.clientSecret}`).toString('base64')}`,
		});
		expect(basic.status).toBe(401);
		expect(basic.json.error).toBe('invalid_client');
	});

	test('client credentials (multipart body) has no refresh token; token info and revoke', async () => {
		const fd = new FormData();
		fd.append('grant_type', 'client_credentials');
		fd.append('client_id', SEED.clientId);
		fd.append('client_secret', SEED.clientSecret);
		const cc = await tokenRequest(fd);
		expect(cc.status).toBe(200);
		expect(cc.json.refresh_token).toBeUndefined();
		const info = await fetch(`${kit.emu.loginUrl}/oauth/token/info`, { headers: { authorization: `Bearer ${cc.json.access_token}` } });
		expect(await info.json()).toMatchObject({ resource_owner_id: SEED.serviceAccountUserId, application: { uid: SEED.clientId } });
		const revoke = await fetch(`${kit.emu.loginUrl}/oauth/revoke`, { method: 'POST', body: form({ token: cc.json.access_token, ...creds }) });
		expect(revoke.status).toBe(200);
		expect((await api('/rest/v1.0/me', { token: cc.json.access_token })).status).toBe(401);
	});

	test('expired tokens are refused', async () => {
		kit.emu.configure({ tokenTtlSeconds: 0 });
		const t = kit.emu.issueToken().access_token;
		kit.emu.configure({ tokenTtlSeconds: 5400 });
		expect((await api('/rest/v1.0/me', { token: t, company: null })).status).toBe(401);
		kit.emu.configure({ tokenExpiresAfterRequests: 1 });
		const once = kit.emu.issueToken().access_token;
		expect((await api('/rest/v1.0/me', { token: once, company: null })).status).toBe(200);
		expect((await api('/rest/v1.0/me', { token: once, company: null })).status).toBe(401);
		kit.emu.configure({ tokenExpiresAfterRequests: 0 });
	});
});

describe('Procore-Company-Id', () => {
	test('user tokens may omit it on /me and /companies only', async () => {
		expect((await api('/rest/v1.0/me', { company: null })).status).toBe(200);
		const companies = await api('/rest/v1.0/companies', { company: null });
		expect(companies.json.map((c: Json) => c.id)).toEqual([1001, 1002, 1003]);
		expect(companies.json[0]).toMatchObject({ name: 'Acme Construction', is_active: true, my_company: true });
		const missing = await api('/rest/v1.0/projects?company_id=1001', { company: null });
		expect(missing.status).toBe(400);
		expect(missing.text).toMatch(/^Missing Procore-Company-Id header!/);
		expect(missing.headers.get('x-rate-limit-limit')).toBeTruthy();
	});

	test('client-credentials tokens need it on /me and /companies too; DMSA sees installed companies', async () => {
		expect((await api('/rest/v1.0/me', { token: kit.dmsaToken, company: null })).status).toBe(400);
		expect((await api('/rest/v1.0/companies', { token: kit.dmsaToken, company: null })).status).toBe(400);
		const list = await api('/rest/v1.0/companies', { token: kit.dmsaToken, company: 1001 });
		expect(list.json.map((c: Json) => c.id)).toEqual([1001, 1002]);
		const gamma = await api('/rest/v1.0/me', { token: kit.dmsaToken, company: 1003 });
		expect(gamma.status).toBe(403);
		expect(gamma.json).toEqual({ errors: 'App is not connected to this company' });
	});

	test('no access, not installed, mismatching company_id', async () => {
		const other = kit.emu.issueToken({ userId: SEED.otherUserId }).access_token;
		expect((await api('/rest/v1.0/projects?company_id=1002', { token: other, company: 1002 })).status).toBe(403);
		expect((await api('/rest/v1.0/projects?company_id=1003', { company: 1003 })).json).toEqual({ errors: 'App is not connected to this company' });
		expect((await api('/rest/v1.0/projects?company_id=1002', { company: 1001 })).status).toBe(403);
		expect((await api('/rest/v1.0/projects', { company: 1001 })).status).toBe(400);
	});
});

describe('pagination', () => {
	test('follows Link rel="next" across 230 projects', async () => {
		const names: string[] = [];
		let url: string | undefined = '/rest/v1.0/projects?company_id=1002';
		const rels: string[][] = [];
		while (url) {
			const r = await api(url, { company: 1002 });
			expect(r.status).toBe(200);
			expect(r.headers.get('total')).toBe('230');
			expect(r.headers.get('per-page')).toBe('100');
			names.push(...r.json.map((p: Json) => p.name));
			const link = r.headers.get('link') ?? '';
			rels.push([...link.matchAll(/rel="(\w+)"/g)].map((m) => m[1]));
			const next = /<([^>]+)>; rel="next"/.exec(link)?.[1];
			if (next) expect(next.startsWith(`${kit.emu.apiUrl}/rest/v1.0/projects?`)).toBe(true);
			url = next ? next.slice(kit.emu.apiUrl.length) : undefined;
		}
		expect(names).toHaveLength(230);
		expect(names[0]).toBe('Beta Project 001');
		expect(names[229]).toBe('Beta Project 230');
		expect(rels).toEqual([
			['next', 'last'],
			['first', 'prev', 'next', 'last'],
			['first', 'prev'],
		]);
	});

	test('per_page, clamping, filters and compact view', async () => {
		const r = await api('/rest/v1.0/projects?company_id=1002&per_page=5000', { company: 1002 });
		expect(r.headers.get('per-page')).toBe('1000');
		const named = await api('/rest/v1.0/projects?company_id=1001&filters[name]=harbor&serializer_view=compact');
		expect(named.json).toEqual([{ id: 2001, name: 'Harbor Tower', display_name: 'HT-001 - Harbor Tower' }]);
		const all = await api('/rest/v1.0/projects?company_id=1001&filters[by_status]=All');
		expect(all.json.map((p: Json) => p.id)).toEqual([2001, 2002, 2003]);
		const v11 = await api('/rest/v1.1/projects?company_id=1002&per_page=1000', { company: 1002 });
		expect(v11.headers.get('per-page')).toBe('300');
		const one = await api('/rest/v1.0/projects/2001?company_id=1001');
		expect(one.json).toMatchObject({ id: 2001, name: 'Harbor Tower', company: { id: 1001, name: 'Acme Construction' } });
	});
});

/** Sends bytes to storage as Procore's non-segmented flow asks; `mutate` can break the form. */
async function postToStorage(upload: Json, bytes: Uint8Array, mutate?: (fd: FormData) => void, headers: Record<string, string> = {}) {
	const fd = new FormData();
	for (const [k, v] of Object.entries(upload.fields as Record<string, string>)) fd.append(k, v);
	if (mutate) mutate(fd);
	else fd.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), 'photo.jpg');
	const res = await fetch(upload.url, { method: 'POST', body: fd, headers });
	return { status: res.status, text: await res.text(), headers: res.headers };
}

async function createUpload(project = 2001, body: Json = { response_filename: 'photo.jpg' }, version = '1.1', token = kit.userToken) {
	return api(`/rest/v${version}/projects/${project}/uploads`, { json: body, token });
}

const photo = Buffer.from('\xff\xd8\xff\xe0 fake jpeg bytes '.repeat(500), 'latin1');

describe('uploads and storage', () => {
	test('non-segmented: fields + file last → 204, size and sha256 stored', async () => {
		const up = await createUpload();
		expect(up.status).toBe(201);
		expect(Object.keys(up.json.fields)).toEqual(['key', 'Content-Type', 'Content-Disposition', 'policy', 'x-amz-credential', 'x-amz-algorithm', 'x-amz-date', 'x-amz-signature']);
		expect(up.json.url.startsWith(kit.emu.storageUrl)).toBe(true);
		const sent = await postToStorage(up.json, photo);
		expect(sent.status).toBe(204);
		expect(sent.headers.get('etag')).toBe(`"${md5(photo)}"`);
		const upload = kit.emu.state.uploads.get(up.json.uuid);
		expect(upload.object).toEqual({ size: photo.length, sha256: sha256(photo) });
		expect((await api(`/rest/v1.1/projects/2001/uploads/${up.json.uuid}`)).json.status).toBe('complete');
		const storage = kit.emu.requests.filter((r) => r.listener === 'storage');
		expect(storage.every((r) => r.headers.authorization === undefined)).toBe(true);
	});

	test('storage refusals: Authorization header, missing or altered field, file not last, extra field', async () => {
		const up = (await createUpload()).json;
		const auth = await postToStorage(up, photo, undefined, { authorization: `Bearer ${kit.userToken}` });
		expect(auth.status).toBe(400);
		expect(auth.text).toContain('<Code>InvalidArgument</Code>');
		const missing = await postToStorage(up, photo, (fd) => {
			fd.delete('Content-Disposition');
			fd.append('file', new Blob([photo]), 'photo.jpg');
		});
		expect(missing.status).toBe(403);
		expect(missing.text).toContain('<Code>AccessDenied</Code>');
		const altered = await postToStorage(up, photo, (fd) => {
			fd.set('Content-Type', 'image/png');
			fd.append('file', new Blob([photo]), 'photo.jpg');
		});
		expect(altered.status).toBe(403);
		const notLast = await postToStorage(up, photo, (fd) => {
			const key = fd.get('x-amz-signature') as string;
			fd.delete('x-amz-signature');
			fd.append('file', new Blob([photo]), 'photo.jpg');
			fd.append('x-amz-signature', key);
		});
		expect(notLast.status).toBe(400);
		const extra = await postToStorage(up, photo, (fd) => {
			fd.append('acl', 'public-read');
			fd.append('file', new Blob([photo]), 'photo.jpg');
		});
		expect(extra.status).toBe(403);
		expect(kit.emu.state.uploads.get(up.uuid).object).toBeNull();
	});

	test('v1.1 requires response_filename; late storage use is refused', async () => {
		const noName = await createUpload(2001, {});
		expect(noName.status).toBe(400);
		expect((await createUpload(2001, {}, '1.0')).status).toBe(201);
		kit.emu.configure({ uploadStartWindowMs: 0 });
		const up = (await createUpload()).json;
		await new Promise((r) => setTimeout(r, 5));
		const late = await postToStorage(up, photo);
		kit.emu.configure({ uploadStartWindowMs: 3600 * 1000 });
		expect(late.status).toBe(403);
		expect(late.text).toContain('Policy expired');
	});

	test('segmented: PUT each segment with its headers, PATCH the etags in order', async () => {
		const big = Buffer.alloc(5 * 1024 * 1024 + 1000);
		for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
		const parts = [big.subarray(0, 5 * 1024 * 1024), big.subarray(5 * 1024 * 1024)];
		const tooSmall = await createUpload(2001, { response_filename: 'big.jpg', segments: [{ size: 1000, sha256: sha256(parts[1]) }, { size: 1000, sha256: sha256(parts[1]) }] });
		expect(tooSmall.status).toBe(422);
		const up = await createUpload(2001, { response_filename: 'big.jpg', segments: parts.map((p) => ({ size: p.length, sha256: sha256(p), md5: md5(p) })) });
		expect(up.status).toBe(201);
		expect(up.json.status).toBe('ready');
		expect(Object.keys(up.json.segments[0].headers).sort()).toEqual(['content-length', 'content-md5', 'x-amz-content-sha256']);
		const etags: string[] = [];
		for (let i = 0; i < parts.length; i++) {
			const seg = up.json.segments[i];
			const res = await fetch(seg.url, { method: 'PUT', headers: { ...seg.headers, 'content-type': 'application/octet-stream' }, body: parts[i] });
			expect(res.status).toBe(200);
			etags.push(res.headers.get('etag')!);
		}
		expect(etags[0]).toBe(`"${md5(parts[0])}"`);
		const path = `/rest/v1.1/projects/2001/uploads/${up.json.uuid}`;
		const wrongOrder = await api(path, { method: 'PATCH', json: { segments: [{ etag: etags[1] }, { etag: etags[0] }] } });
		expect(wrongOrder.status).toBe(422);
		const done = await api(path, { method: 'PATCH', json: { segments: etags.map((etag) => ({ etag: etag.replace(/"/g, '') })) } });
		expect(done.status).toBe(200);
		expect(done.json.status).toBe('complete');
		expect(kit.emu.state.uploads.get(up.json.uuid).object).toEqual({ size: big.length, sha256: sha256(big) });
	});

	test('a segment PUT with a wrong body or without the signed headers is refused', async () => {
		const body = Buffer.from('only segment');
		const up = (await createUpload(2001, { response_filename: 'x.jpg', segments: [{ size: body.length, sha256: sha256(body) }] })).json;
		const seg = up.segments[0];
		const noHeaders = await fetch(seg.url, { method: 'PUT', body });
		expect(noHeaders.status).toBe(403);
		const wrong = Buffer.from('ONLY SEGMENT');
		const mismatch = await fetch(seg.url, { method: 'PUT', headers: seg.headers, body: wrong });
		expect(mismatch.status).toBe(400);
		expect(await mismatch.text()).toContain('XAmzContentSHA256Mismatch');
		const withAuth = await fetch(seg.url, { method: 'PUT', headers: { ...seg.headers, authorization: `Bearer ${kit.userToken}` }, body });
		expect(withAuth.status).toBe(400);
	});
});

describe('images', () => {
	async function completedUpload(bytes: Uint8Array = photo, token = kit.userToken) {
		const up = (await createUpload(2001, { response_filename: 'photo.jpg' }, '1.1', token)).json;
		expect((await postToStorage(up, bytes)).status).toBe(204);
		return up.uuid as string;
	}

	test('JSON create from an upload', async () => {
		const uuid = await completedUpload();
		const r = await api('/rest/v1.0/images?project_id=2001', {
			json: { upload_uuid: uuid, image_name: 'photo.jpg', image: { image_category_id: 5002, description: 'North side', trade_ids: [4001, 4002], location_id: 6002, log_date: '2026-11-28', private: false, starred: true } },
		});
		expect(r.status).toBe(201);
		expect(r.json).toMatchObject({
			filename: 'photo.jpg',
			size: photo.length,
			description: 'North side',
			image_category_id: 5002,
			image_category_name: 'Site Progress',
			location: { id: 6002, name: 'Building A>Level 2', node_name: 'Level 2', parent_id: 6001 },
			trades: [{ id: 4001, name: 'Concrete', active: true }, { id: 4002, name: 'Electrical' }],
			uploader: { id: 3001, login: 'pat.builder@example.com', name: 'Pat Builder' },
			private: false,
			starred: true,
			log_date: '2026-11-28',
		});
		// url is a file link on the api host: the token, then a redirect to storage (photos.test.ts).
		expect(r.json.url.startsWith(kit.emu.apiUrl)).toBe(true);
		const link = await fetch(r.json.url, { headers: { authorization: `Bearer ${kit.userToken}` }, redirect: 'manual' });
		expect(link.status).toBe(302);
		const download = await fetch(link.headers.get('location')!);
		expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(photo));
		expect(kit.emu.state.images.get(r.json.id)).toMatchObject({ uploadUuid: uuid, sha256: sha256(photo) });
		const shown = await api(`/rest/v1.0/images/${r.json.id}?project_id=2001`);
		expect(shown.json.id).toBe(r.json.id);
	});

	test('refusals: empty image object, missing image_name, missing project_id, photos disabled, another user\'s upload', async () => {
		const uuid = await completedUpload();
		const empty = await api('/rest/v1.0/images?project_id=2001', { json: { upload_uuid: uuid, image_name: 'photo.jpg', image: {} } });
		expect(empty.status).toBe(422);
		expect(empty.json).toEqual({ errors: { image: ["can't be blank"] } });
		const noName = await api('/rest/v1.0/images?project_id=2001', { json: { upload_uuid: uuid, image: { image_category_id: 5001 } } });
		expect(noName.json).toEqual({ errors: { image_name: ["can't be blank"] } });
		const noAlbum = await api('/rest/v1.0/images?project_id=2001', { json: { upload_uuid: uuid, image_name: 'a.jpg', image: { description: '' } } });
		expect(noAlbum.json).toEqual({ errors: { image_category_id: ["can't be blank"] } });
		const noProject = await api('/rest/v1.0/images', { json: { upload_uuid: uuid, image_name: 'a.jpg', image: { image_category_id: 5001 } } });
		expect(noProject.status).toBe(400);
		const disabled = await api('/rest/v1.0/images?project_id=2002', { json: { upload_uuid: uuid, image_name: 'a.jpg', image: { image_category_id: 5004 } } });
		expect(disabled.status).toBe(403);
		expect(typeof disabled.json.errors).toBe('string');
		const missingProject = await api('/rest/v1.0/images?project_id=99999', { json: { upload_uuid: uuid, image_name: 'a.jpg', image: { image_category_id: 5001 } } });
		expect(missingProject.status).toBe(404);
		const other = kit.emu.issueToken({ userId: SEED.otherUserId }).access_token;
		const notMine = await api('/rest/v1.0/images?project_id=2001', { token: other, json: { upload_uuid: uuid, image_name: 'a.jpg', image: { image_category_id: 5001 } } });
		expect(notMine.status).toBe(404);
		const badFields = await api('/rest/v1.0/images?project_id=2001', { json: { upload_uuid: uuid, image_name: 'a.jpg', image: { image_category_id: 5001, trade_ids: [4006], log_date: '28/11/2026', private: 'yes' } } });
		expect(badFields.status).toBe(422);
		expect(Object.keys(badFields.json.errors).sort()).toEqual(['log_date', 'private', 'trade_ids']);
		expect(kit.emu.stats.imagesPerUpload[uuid]).toBeUndefined();
	});

	test('multipart image[data] with Rails arrays, and multipart upload_uuid', async () => {
		const fd = new FormData();
		fd.append('image[image_category_id]', '5001');
		fd.append('image[trade_ids][]', '4003');
		fd.append('image[trade_ids][]', '4004');
		fd.append('image[mt_location][]', 'Building C');
		fd.append('image[mt_location][]', 'Roof');
		fd.append('image[private]', 'true');
		fd.append('image[data]', new Blob([photo], { type: 'image/jpeg' }), 'direct.jpg');
		const r = await api('/rest/v1.0/images?project_id=2001', { body: fd });
		expect(r.status).toBe(201);
		expect(r.json).toMatchObject({ filename: 'direct.jpg', size: photo.length, private: true, location: { name: 'Building C>Roof', node_name: 'Roof' } });
		expect(r.json.trades.map((t: Json) => t.id)).toEqual([4003, 4004]);
		expect(kit.emu.state.images.get(r.json.id)).toMatchObject({ via: 'data', sha256: sha256(photo), uploadUuid: null });

		const uuid = await completedUpload();
		const fd2 = new FormData();
		fd2.append('upload_uuid', uuid);
		fd2.append('image_name', 'via-form.jpg');
		fd2.append('image[image_category_id]', '5002');
		const r2 = await api('/rest/v1.0/images?project_id=2001', { body: fd2 });
		expect(r2.status).toBe(201);
		expect(r2.json.filename).toBe('via-form.jpg');

		const json = await api('/rest/v1.0/images?project_id=2001', { json: { image: { data: 'aGVsbG8=', image_category_id: 5001 } } });
		expect(json.status).toBe(422);
	});

	test('duplicates are counted per upload and per content', async () => {
		const uuid = await completedUpload(Buffer.from('dup bytes'));
		const body = { upload_uuid: uuid, image_name: 'dup.jpg', image: { image_category_id: 5001 } };
		expect((await api('/rest/v1.0/images?project_id=2001', { json: body })).status).toBe(201);
		expect((await api('/rest/v1.0/images?project_id=2001', { json: body })).status).toBe(201);
		expect(kit.emu.stats.imagesPerUpload[uuid]).toBe(2);
		expect(kit.emu.duplicateImages().byUpload).toContainEqual({ uuid, count: 2 });
		expect(kit.emu.duplicateImages().byContent).toContainEqual({ key: `2001|dup.jpg|${sha256('dup bytes')}`, count: 2 });
	});

	test('list with album filter and pagination', async () => {
		const all = await api('/rest/v1.0/images?project_id=2001&per_page=2');
		expect(all.status).toBe(200);
		expect(all.json).toHaveLength(2);
		expect(Number(all.headers.get('total'))).toBe(kit.emu.images(2001).length);
		const album = await api('/rest/v1.0/images?project_id=2001&image_category_id=5002&per_page=100');
		expect(album.json.every((i: Json) => i.image_category_id === 5002)).toBe(true);
	});
});

describe('albums, locations, trades', () => {
	test('albums: list, create, show; photos disabled → 403', async () => {
		const list = await api('/rest/v1.0/image_categories?project_id=2001');
		expect(list.json.map((a: Json) => a.name)).toEqual(['Unclassified', 'Site Progress', 'Safety Walks']);
		expect(list.headers.get('total')).toBe('3');
		const created = await api('/rest/v1.0/image_categories?project_id=2001', { json: { image_category: { name: 'Punch List', private: false } } });
		expect(created.status).toBe(201);
		expect(created.json).toMatchObject({ name: 'Punch List', private: false, count: 0 });
		expect((await api(`/rest/v1.0/image_categories/${created.json.id}?project_id=2001`)).json.name).toBe('Punch List');
		expect((await api('/rest/v1.0/image_categories?project_id=2001', { json: { image_category: { name: '' } } })).status).toBe(422);
		expect((await api('/rest/v1.0/image_categories?project_id=2002')).status).toBe(403);
	});

	test('locations: list with search, find_or_create_by_path', async () => {
		const found = await api('/rest/v1.0/projects/2002/locations?filters[search]=level');
		expect(found.json).toEqual([expect.objectContaining({ name: 'Building A>Level 2', node_name: 'Level 2' })]);
		const path = '/rest/v1.0/projects/2002/locations/find_or_create_by_path';
		const created = await api(path, { json: { location: { path: ['Building A', 'Level 3'] } } });
		expect(created.status).toBe(201);
		expect(created.json.parent_id).toBe(found.json[0].parent_id);
		const again = await api(path, { json: { location: { path: ['Building A', 'Level 3'] } } });
		expect(again.status).toBe(200);
		expect(again.json.id).toBe(created.json.id);
	});

	test('trades: company trades with filters', async () => {
		const all = await api('/rest/v1.0/companies/1001/trades');
		expect(all.json.map((t: Json) => t.name)).toEqual(['Concrete', 'Electrical', 'Plumbing', 'Drywall', 'Demolition']);
		const active = await api('/rest/v1.0/companies/1001/trades?filters[active]=true&filters[query]=dry');
		expect(active.json).toEqual([{ id: 4004, name: 'Drywall', active: true, updated_at: expect.any(String) }]);
		expect((await api('/rest/v1.0/companies/1002/trades')).status).toBe(403);
	});
});

describe('rate limits and faults', () => {
	test('the spike limiter answers 429 with rate-limit headers and counts early requests', async () => {
		const token = kit.emu.issueToken().access_token;
		kit.emu.configure({ spikeLimit: 3, spikeWindowMs: 10000 });
		try {
			const statuses: number[] = [];
			let last: Awaited<ReturnType<typeof api>> | undefined;
			for (let i = 0; i < 4; i++) {
				last = await api('/rest/v1.0/me', { token, company: null });
				statuses.push(last.status);
			}
			expect(statuses).toEqual([200, 200, 200, 429]);
			expect(last!.text).toBe('You have surpassed the max number of requests for an hour. Please wait until your limit resets.');
			expect(last!.headers.get('x-rate-limit-limit')).toBe('3');
			expect(last!.headers.get('x-rate-limit-remaining')).toBe('0');
			expect(Number(last!.headers.get('x-rate-limit-reset'))).toBeGreaterThan(Date.now() / 1000);
			const before = kit.emu.stats.requestsBeforeReset;
			// At once: it could have been on its way already, so it does not count.
			expect((await api('/rest/v1.0/me', { token, company: null })).status).toBe(429);
			expect(kit.emu.stats.requestsBeforeReset).toBe(before);
			// Later than the in-flight grace, still before the reset: it counts.
			await new Promise((resolve) => setTimeout(resolve, kit.emu.options.inFlightGraceMs + 50));
			expect((await api('/rest/v1.0/me', { token, company: null })).status).toBe(429);
			expect(kit.emu.stats.requestsBeforeReset).toBe(before + 1);
		} finally {
			kit.emu.configure({ spikeLimit: 0 });
		}
	});

	test('injected responses: 503 with Retry-After, then the real answer', async () => {
		kit.emu.faults.inject({ method: 'GET', path: '/rest/v1.0/me', status: 503, retryAfterSeconds: 2 });
		const first = await api('/rest/v1.0/me', { company: null });
		expect(first.status).toBe(503);
		expect(first.headers.get('retry-after')).toBe('2');
		expect(first.headers.get('x-rate-limit-reset')).toBeTruthy();
		kit.emu.faults.inject({ path: '/rest/v1.0/me', status: 422, body: { message: 'Bad thing', error: 'Unprocessable' } });
		await new Promise((resolve) => setTimeout(resolve, kit.emu.options.inFlightGraceMs + 50));
		expect((await api('/rest/v1.0/me', { company: null })).json).toEqual({ message: 'Bad thing', error: 'Unprocessable' });
		expect(kit.emu.stats.requestsBeforeRetryAfter).toBeGreaterThanOrEqual(1);
	});

	test('dropped connections: before the answer, and after processing', async () => {
		kit.emu.faults.inject({ path: '/rest/v1.0/me', drop: 'before-response' });
		await expect(fetch(`${kit.emu.apiUrl}/rest/v1.0/me`, { headers: { authorization: `Bearer ${kit.userToken}` } })).rejects.toThrow();
		expect(kit.emu.requests.at(-1)).toMatchObject({ path: '/rest/v1.0/me', dropped: true, status: 0 });

		const before = kit.emu.images(2001).length;
		kit.emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', drop: 'after-processing' });
		const fd = new FormData();
		fd.append('image[image_category_id]', '5001');
		fd.append('image[data]', new Blob([photo], { type: 'image/jpeg' }), 'lost-answer.jpg');
		await expect(
			fetch(`${kit.emu.apiUrl}/rest/v1.0/images?project_id=2001`, { method: 'POST', body: fd, headers: { authorization: `Bearer ${kit.userToken}`, 'procore-company-id': '1001' } }),
		).rejects.toThrow();
		expect(kit.emu.images(2001).length).toBe(before + 1);

		const up = (await createUpload()).json;
		kit.emu.faults.inject({ listener: 'storage', method: 'POST', drop: 'mid-body', afterBytes: 100 });
		await expect(postToStorage(up, Buffer.alloc(256 * 1024, 1))).rejects.toThrow();
		expect(kit.emu.state.uploads.get(up.uuid).object).toBeNull();
	});

	test('seeded random faults are bounded', async () => {
		kit.emu.configure({ randomFaults: { seed: 7, rate: 1, kinds: ['500'], max: 2 } });
		const statuses = [];
		for (let i = 0; i < 4; i++) statuses.push((await api('/rest/v1.0/me', { company: null })).status);
		kit.emu.configure({ randomFaults: null });
		expect(statuses).toEqual([500, 500, 200, 200]);
	});
});

describe('request log', () => {
	test('every answered /rest/ call but /me and /companies carried Procore-Company-Id; no token reached storage', () => {
		const rest = kit.emu.requests.filter((r) => r.listener === 'api' && r.status >= 200 && r.status < 300 && !/^\/rest\/v1\.0\/(me|companies)$/.test(r.path));
		expect(rest.length).toBeGreaterThan(20);
		for (const r of rest) expect(r.headers['procore-company-id']).toBeDefined();
		const storage = kit.emu.requests.filter((r) => r.listener === 'storage' && r.status >= 200 && r.status < 300);
		expect(storage.length).toBeGreaterThan(3);
		for (const r of storage) expect(r.headers.authorization).toBeUndefined();
		for (const r of kit.emu.requests) expect(r).toEqual(expect.objectContaining({ method: expect.any(String), query: expect.any(Object), bodyBytes: expect.any(Number), at: expect.any(Number) }));
	});
});
