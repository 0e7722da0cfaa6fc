// n8n's own credential test (the editor's "Test" button) on a running n8n 2.41.1 with the package
// installed from its tarball: a good Procore credential passes, a wrong secret says why.
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';

import * as lib from '../../scripts/n8n/lib.mjs';

let emu;
let n8nProcess;
let baseUrl;
let cookie;
let userFolder;
let tarball;

before(async () => {
	const n8nDir = lib.ensureN8n();
	tarball = lib.buildAndPack();
	emu = await lib.startEmulator();
	userFolder = lib.makeUserFolder(tarball);
	const port = await lib.freePort();
	const started = Date.now();
	n8nProcess = (await lib.startN8n(n8nDir, userFolder, port)).child;
	console.log(`  n8n start: ${((Date.now() - started) / 1000).toFixed(1)} s`);
	baseUrl = `http://127.0.0.1:${port}`;
	cookie = await lib.setUpOwner(baseUrl);
});

after(async () => {
	await lib.stopProcess(n8nProcess);
	await emu?.close();
	if (userFolder) lib.removeFolder(userFolder);
	if (tarball) lib.removeFolder(dirname(tarball));
});

test('a service-account credential: "Connection successful", after n8n fetched a token and called /me', async () => {
	emu.reset();
	const credential = await lib.createCredential(baseUrl, cookie, lib.emulatorCredential(emu));
	assert.deepEqual(await lib.testCredential(baseUrl, cookie, credential), { status: 'OK', message: 'Connection successful!' });
	const me = emu.requests.find((request) => request.path === '/rest/v1.0/me');
	assert.equal(me?.status, 200);
	assert.equal(me?.headers['procore-company-id'], '1001');
});

test('a wrong client secret: the test says Procore refused the client, and shows no secret', async () => {
	const credential = await lib.createCredential(baseUrl, cookie, lib.emulatorCredential(emu, { clientSecret: 'not-the-secret' }));
	const result = await lib.testCredential(baseUrl, cookie, credential);
	assert.equal(result.status, 'Error');
	assert.match(result.message, /Client authentication failed/);
	assert.doesNotMatch(result.message, /not-the-secret/);
});

test('a connected user credential passes; a revoked token fails', async () => {
	const credential = await lib.createCredential(baseUrl, cookie, lib.emulatorCredential(emu, { grantType: 'authorizationCode' }));
	const token = emu.issueToken();
	credential.data.oauthTokenData = token;
	assert.equal((await lib.testCredential(baseUrl, cookie, credential)).status, 'OK');
	await fetch(`${emu.loginUrl}/oauth/revoke`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ token: token.access_token, client_id: emu.clientId, client_secret: emu.clientSecret }),
	});
	const revoked = await lib.testCredential(baseUrl, cookie, credential);
	assert.equal(revoked.status, 'Error');
});
