// End-to-end in a real n8n 2.41.1 (`n8n execute`), with the package installed from its npm tarball
// as a community node: real n8n nodes make the binaries, Procore → Image → Create uploads them to
// the emulator, and every photo is checked byte for byte.
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
			const run = await lib.execute(n8nDir, userFolder, id, { N8N_DEFAULT_BINARY_DATA_MODE: binaryMode });
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
