// End-to-end in a real n8n (`n8n execute`; 2.41.1, or N8N_VERSION=1.123.81 for the latest 1.x: `npm
// run test:e2e:n8n1`), with the package installed from its npm tarball as a community node: real n8n
// nodes make the binaries, Procore → Image → Create uploads them to the emulator, and every photo is
// checked byte for byte. Then Procore's faults, which each n8n version hands to the node differently
// (issue #13 item 4): the node must come through them alike.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as lib from '../../scripts/n8n/lib.mjs';

const PHOTOS = join(lib.ROOT, 'test', 'fixtures', 'photos');
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** The bytes the Code node below makes for item i, computed the same way here. */
function generated(i) {
	const bytes = Buffer.alloc(2048 + i * 97);
	bytes[0] = 0xff;
	bytes[1] = 0xd8;
	bytes[2] = 0xff;
	for (let j = 3; j < bytes.length; j++) bytes[j] = (i * 31 + j * 7) & 255;
	return bytes;
}

const CODE = `
const out = [];
for (let i = 0; i < 25; i++) {
  const bytes = Buffer.alloc(2048 + i * 97);
  bytes[0] = 0xff; bytes[1] = 0xd8; bytes[2] = 0xff;
  for (let j = 3; j < bytes.length; j++) bytes[j] = (i * 31 + j * 7) & 255;
  out.push({ json: { index: i }, binary: { data: await this.helpers.prepareBinaryData(bytes, 'generated-' + i + '.jpg', 'image/jpeg') } });
}
return out;`;

function procoreNode(name, position, album) {
	return {
		id: `procore-${name}`,
		name,
		type: lib.NODE_TYPE,
		typeVersion: 1,
		position,
		parameters: {
			resource: 'image',
			operation: 'create',
			companyId: { __rl: true, mode: 'id', value: '1001' },
			projectId: { __rl: true, mode: 'list', value: '2001', cachedResultName: 'Harbor Tower' },
			uploadMethod: 'direct',
			binaryPropertyName: 'data',
			albumId: { __rl: true, mode: 'name', value: album },
			additionalFields: { description: `={{ 'from ' + $('${name === 'Upload downloaded' ? 'Download photo' : name === 'Upload read' ? 'Read photos' : 'Make photos'}').item.binary.data.fileName }}` },
			advancedOptions: { parallelUploads: 4 },
		},
		credentials: { procoreOAuth2Api: { id: 'procoreEmulator1', name: 'Procore (local emulator)' } },
	};
}

function workflow(id, staticUrl) {
	return {
		id,
		name: `E2E ${id}`,
		nodes: [
			{ id: 'trigger', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{ id: 'read', name: 'Read photos', type: 'n8n-nodes-base.readWriteFile', typeVersion: 1.1, position: [200, -200], parameters: { fileSelector: `${PHOTOS}/*.{jpg,png}`, options: {} } },
			{ id: 'download', name: 'Download photo', type: 'n8n-nodes-base.httpRequest', typeVersion: 4.2, position: [200, 0], parameters: { url: `${staticUrl}/north-facade.jpg`, options: { response: { response: { responseFormat: 'file' } } } } },
			{ id: 'code', name: 'Make photos', type: 'n8n-nodes-base.code', typeVersion: 2, position: [200, 200], parameters: { jsCode: CODE } },
			procoreNode('Upload read', [400, -200], 'From disk'),
			procoreNode('Upload downloaded', [400, 0], 'Downloads'),
			procoreNode('Upload generated', [400, 200], 'Generated'),
		],
		connections: {
			Start: { main: [[{ node: 'Read photos', type: 'main', index: 0 }, { node: 'Download photo', type: 'main', index: 0 }, { node: 'Make photos', type: 'main', index: 0 }]] },
			'Read photos': { main: [[{ node: 'Upload read', type: 'main', index: 0 }]] },
			'Download photo': { main: [[{ node: 'Upload downloaded', type: 'main', index: 0 }]] },
			'Make photos': { main: [[{ node: 'Upload generated', type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

let n8nDir;
let tarball;
let emu;
let staticServer;
let staticUrl;
const folders = [];

before(async () => {
	n8nDir = lib.ensureN8n();
	tarball = lib.buildAndPack();
	emu = await lib.startEmulator();
	// A plain web server for the HTTP Request node to download from.
	staticServer = createServer((request, response) => {
		const name = decodeURIComponent(request.url.slice(1));
		try {
			const bytes = readFileSync(join(PHOTOS, name));
			response.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': bytes.length, 'Content-Disposition': `inline; filename="downloaded-${name}"` });
			response.end(bytes);
		} catch {
			response.writeHead(404).end();
		}
	});
	await new Promise((resolve) => staticServer.listen(0, '127.0.0.1', resolve));
	staticUrl = `http://127.0.0.1:${staticServer.address().port}`;
});

after(async () => {
	await emu?.close();
	staticServer?.close();
	for (const folder of folders) lib.removeFolder(folder);
	if (tarball) lib.removeFolder(dirname(tarball));
});

function storedBySha() {
	const images = [...emu.state.images.values()];
	return (filename) => images.filter((image) => image.filename === filename);
}

for (const binaryMode of ['default', 'filesystem']) {
	describe(`n8n binary data mode "${binaryMode}"`, () => {
		test('files from disk, an HTTP download (1 item) and a Code node (25 items) all arrive byte-exact, paired', async () => {
			const userFolder = lib.makeUserFolder(tarball);
			folders.push(userFolder);
			await lib.importJson(n8nDir, userFolder, 'credentials', [lib.emulatorCredential(emu)]);
			const id = `e2e${binaryMode}Mode01`.slice(0, 16);
			await lib.importJson(n8nDir, userFolder, 'workflow', [workflow(id, staticUrl)]);
			emu.reset();
			const imagesBefore = emu.state.images.size;
			const started = Date.now();
			const run = await lib.executeAndRead(n8nDir, userFolder, id, { N8N_DEFAULT_BINARY_DATA_MODE: binaryMode });
			console.log(`  n8n execute (${binaryMode}): ${((Date.now() - started) / 1000).toFixed(1)} s`);
			assert.equal(run.code, 0, `n8n execute failed:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);

			const read = lib.nodeOutput(run.data, 'Upload read');
			const downloaded = lib.nodeOutput(run.data, 'Upload downloaded');
			const made = lib.nodeOutput(run.data, 'Upload generated');
			assert.equal(read.length, 5);
			assert.equal(downloaded.length, 1);
			assert.equal(made.length, 25);
			assert.equal(emu.state.images.size - imagesBefore, 31);

			const stored = storedBySha();
			for (const item of read) {
				const [image] = stored(item.json.filename).filter((entry) => entry.id === item.json.id);
				assert.equal(image.sha256, lib.sha256File(join(PHOTOS, item.json.filename)), item.json.filename);
				assert.equal(item.json.description, `from ${item.json.filename}`);
			}
			assert.equal(downloaded[0].json.filename, 'downloaded-north-facade.jpg');
			assert.equal(emu.state.images.get(downloaded[0].json.id).sha256, lib.sha256File(join(PHOTOS, 'north-facade.jpg')));
			made.forEach((item, index) => {
				assert.deepEqual(item.pairedItem, { item: index });
				assert.equal(item.json.filename, `generated-${index}.jpg`);
				assert.equal(emu.state.images.get(item.json.id).sha256, sha256(generated(index)));
			});
			assert.deepEqual(emu.duplicateImages(), { byUpload: [], byContent: [] });
		});
	});
}

/** Start → Code (photos generated-0 … generated-<count-1>) → Procore Image → Create, options as given. */
function faultWorkflow(id, { count, parallelUploads, maxWaitSeconds, continueOnFail }) {
	const code = CODE.replace('i < 25', `i < ${count}`);
	return {
		id,
		name: `E2E ${id}`,
		nodes: [
			{ id: 'trigger', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{ id: 'code', name: 'Make photos', type: 'n8n-nodes-base.code', typeVersion: 2, position: [200, 0], parameters: { jsCode: code } },
			{
				id: 'upload',
				name: 'Upload',
				type: lib.NODE_TYPE,
				typeVersion: 1,
				position: [400, 0],
				parameters: {
					resource: 'image',
					operation: 'create',
					companyId: { __rl: true, mode: 'id', value: '1001' },
					projectId: { __rl: true, mode: 'id', value: '2001' },
					uploadMethod: 'direct',
					binaryPropertyName: 'data',
					albumId: { __rl: true, mode: 'id', value: '5002' },
					additionalFields: {},
					advancedOptions: { parallelUploads, ...(maxWaitSeconds ? { maxWaitSeconds } : {}) },
				},
				...(continueOnFail ? { onError: 'continueRegularOutput' } : {}),
				credentials: { procoreOAuth2Api: { id: 'procoreEmulatorUser', name: 'Procore (emulator, user login)' } },
			},
		],
		connections: {
			Start: { main: [[{ node: 'Make photos', type: 'main', index: 0 }]] },
			'Make photos': { main: [[{ node: 'Upload', type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

describe(`Procore's faults on n8n ${lib.N8N_VERSION}`, () => {
	let userFolder;
	before(async () => {
		userFolder = lib.makeUserFolder(tarball);
		folders.push(userFolder);
		// A user login with a refresh token: Procore's refresh tokens are single use.
		const credential = lib.emulatorCredential(emu, { id: 'procoreEmulatorUser', name: 'Procore (emulator, user login)', grantType: 'authorizationCode' });
		credential.data.oauthTokenData = emu.issueToken({ withRefresh: true });
		await lib.importJson(n8nDir, userFolder, 'credentials', [credential]);
		await lib.importJson(n8nDir, userFolder, 'workflow', [
			faultWorkflow('e2eFaultsSurvive', { count: 12, parallelUploads: 4 }),
			faultWorkflow('e2eFaultsRefused', { count: 2, parallelUploads: 1, continueOnFail: true }),
			faultWorkflow('e2eFaultsLostLink', { count: 1, parallelUploads: 1, maxWaitSeconds: 2, continueOnFail: true }),
		]);
	});

	async function run(id) {
		const started = Date.now();
		const result = await lib.executeAndRead(n8nDir, userFolder, id);
		console.log(`  n8n execute (${id}): ${((Date.now() - started) / 1000).toFixed(1)} s`);
		return result;
	}

	test('429, 503, 500, an answer lost after the photo was made, storage dropping an upload, tokens expiring every 8 requests: 12 photos, each once', async () => {
		emu.reset();
		emu.configure({ tokenExpiresAfterRequests: 8 });
		const images = /^\/rest\/v1\.0\/images$/;
		emu.faults.inject({ method: 'POST', path: images, status: 429, resetInSeconds: 2 });
		emu.faults.inject({ method: 'POST', path: /\/uploads$/, status: 503, retryAfterSeconds: 2 });
		emu.faults.inject({ method: 'POST', path: images, status: 500 });
		emu.faults.inject({ method: 'POST', path: images, drop: 'after-processing' });
		emu.faults.inject({ listener: 'storage', method: 'POST', drop: 'mid-body', afterBytes: 500 });
		const result = await run('e2eFaultsSurvive').finally(() => emu.configure({ tokenExpiresAfterRequests: 0 }));
		console.log(`  refreshes ${emu.stats.refreshAttempts}, refused ${emu.stats.refreshFailures}; faults fired ${emu.faults.fired.length}`);
		assert.equal(result.code, 0, `n8n execute failed:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-2000)}`);
		const made = lib.nodeOutput(result.data, 'Upload');
		assert.equal(made.length, 12, JSON.stringify(lib.nodeError(result.data, 'Upload')));
		made.forEach((item, index) => {
			assert.deepEqual(item.pairedItem, { item: index });
			assert.equal(item.json.filename, `generated-${index}.jpg`);
			assert.equal(emu.state.images.get(item.json.id).sha256, sha256(generated(index)));
		});
		assert.equal(emu.faults.fired.length, 5);
		assert.deepEqual(emu.duplicateImages(), { byUpload: [], byContent: [] });
		assert.deepEqual(emu.stats.earlyRequests, []);
		assert.ok(emu.stats.refreshAttempts >= 1, `refreshes: ${emu.stats.refreshAttempts}`);
		assert.equal(emu.stats.refreshFailures, 0);
	});

	test("a 422 with Continue On Fail: that item carries Procore's words and status, the next photo is made", async () => {
		emu.reset();
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 422, body: { errors: { image_category_id: ['is not an album of this project'] } } });
		const result = await run('e2eFaultsRefused');
		assert.equal(result.code, 0, `n8n execute failed:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-2000)}`);
		const [refused, made] = lib.nodeOutput(result.data, 'Upload');
		assert.equal(refused.json.error, 'Creating the photo "generated-0.jpg": Procore could not accept the values (422): image category id is not an album of this project');
		assert.equal(made.json.filename, 'generated-1.jpg');
		assert.equal(emu.stats.imagesCreated, 1);
	});

	test('a connection Procore keeps dropping: the item says it could not reach Procore, not that the credential is wrong', async () => {
		emu.reset();
		const fault = emu.faults.inject({ method: 'POST', path: /\/uploads$/, drop: 'on-request', times: Infinity });
		const result = await run('e2eFaultsLostLink').finally(() => emu.faults.clear(fault));
		assert.equal(result.code, 0, `n8n execute failed:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-2000)}`);
		const [lost] = lib.nodeOutput(result.data, 'Upload');
		assert.match(lost.json.error, /^Starting the upload of "generated-0\.jpg": Could not reach Procore: /);
		assert.doesNotMatch(lost.json.error, /credential/i);
		assert.doesNotMatch(lost.json.description, /reconnect/i);
		assert.ok(emu.requests.filter((request) => request.dropped).length >= 2, 'the upload was tried again');
	});
});
