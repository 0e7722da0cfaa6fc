// "Photos, whole" (issue #10) end-to-end in a real n8n 2.41.1 (`n8n execute`), with the package
// installed from its npm tarball as a community node, against the emulator:
//   (a) an album of more than one page is listed (Get Many, Return All), every photo downloaded and
//       written to disk by n8n's Read/Write Files from Disk node, byte for byte;
//   (b) photos moved between albums (Image → Update) and one deleted (Image → Delete);
//   (c) the example upload run twice, the second time with Skip If Already There creating nothing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as lib from '../../scripts/n8n/lib.mjs';

const PHOTOS = join(lib.ROOT, 'test', 'fixtures', 'photos');
const PROCORE_CREDENTIAL = { procoreOAuth2Api: { id: 'procoreEmulator1', name: 'Procore (local emulator)' } };
const COMPANY = { __rl: true, mode: 'id', value: '1001' };
const PROJECT = { __rl: true, mode: 'id', value: '2001' };
const SAFETY_WALKS = 5003;
const SITE_PROGRESS = 5002;
/** More than one page of Procore's list (100 a page, docs/procore-api.md §4 as in the emulator's README). */
const ALBUM_PHOTOS = 130;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** A JPEG-looking photo of a given size whose bytes depend on its index, so no two are alike. */
function photoBytes(index, size) {
	const bytes = Buffer.alloc(size);
	bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
	for (let j = 4; j < size; j++) bytes[j] = (index * 131 + j * 17 + (j >> 8)) & 255;
	return bytes;
}

const trigger = { id: 'start', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };

function procore(name, position, parameters) {
	return {
		id: name.toLowerCase().replace(/\W+/g, '-'),
		name,
		type: lib.NODE_TYPE,
		typeVersion: 1,
		position,
		parameters: { resource: 'image', companyId: COMPANY, projectId: PROJECT, ...parameters },
		credentials: PROCORE_CREDENTIAL,
	};
}

const chain = (...names) =>
	Object.fromEntries(names.slice(0, -1).map((name, index) => [name, { main: [[{ node: names[index + 1], type: 'main', index: 0 }]] }]));

/** (a): album → every photo → a file on disk, named after the photo's ID and file name. */
function albumToDiskWorkflow(id, outDir) {
	return {
		id,
		name: `E2E ${id}`,
		nodes: [
			trigger,
			procore('List album', [200, 0], {
				operation: 'getMany',
				returnAll: true,
				filters: { albumId: { __rl: true, mode: 'id', value: String(SAFETY_WALKS) } },
				options: { sort: 'created_at' },
			}),
			procore('Download photo', [400, 0], {
				operation: 'download',
				imageId: { __rl: true, mode: 'id', value: '={{ $json.id }}' },
				size: 'original',
				binaryPropertyName: 'data',
				advancedOptions: { parallelUploads: 8 },
			}),
			{
				id: 'write',
				name: 'Write to disk',
				type: 'n8n-nodes-base.readWriteFile',
				typeVersion: 1.1,
				position: [600, 0],
				parameters: {
					operation: 'write',
					fileName: `={{ '${outDir}/' + $json.id + '-' + $binary.data.fileName }}`,
					dataPropertyName: 'data',
					options: {},
				},
			},
		],
		connections: chain('Start', 'List album', 'Download photo', 'Write to disk'),
		settings: { executionOrder: 'v1' },
	};
}

let n8nDir;
let tarball;
let emu;
let userFolder;

before(async () => {
	n8nDir = lib.ensureN8n();
	tarball = lib.buildAndPack();
	emu = await lib.startEmulator();
	userFolder = lib.makeUserFolder(tarball, 'procore-n8n-photos-');
	await lib.importJson(n8nDir, userFolder, 'credentials', [lib.emulatorCredential(emu)]);
});

after(async () => {
	await emu?.close();
	if (userFolder) lib.removeFolder(userFolder);
	if (tarball) lib.removeFolder(dirname(tarball));
});

async function run(workflow, env = {}) {
	await lib.importJson(n8nDir, userFolder, 'workflow', [workflow]);
	emu.reset();
	const started = Date.now();
	// Results here run to megabytes (130 records, twice): read back from n8n's database.
	const result = await lib.executeAndRead(n8nDir, userFolder, workflow.id, env);
	console.log(`  n8n execute ${workflow.id}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
	assert.equal(result.code, 0, `n8n execute failed:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-2000)}`);
	assert.deepEqual(emu.errors, [], 'the emulator threw');
	assert.ok(result.data, `n8n saved no execution of ${workflow.id}:\n${result.stdout.slice(-1500)}`);
	return result;
}

/** The package's node description as n8n loads it (from the build the tarball was packed from). */
function nodeProperties() {
	const require = createRequire(import.meta.url);
	const { Procore } = require(join(lib.ROOT, 'dist', 'nodes', 'Procore', 'Procore.node.js'));
	return new Procore().description.properties;
}

function imageOperations() {
	const operation = nodeProperties().find(
		(property) => property.name === 'operation' && property.displayOptions?.show?.resource?.includes('image'),
	);
	return (operation?.options ?? []).map((option) => option.value);
}

describe('Photos, whole, in a real n8n', () => {
	for (const binaryMode of ['filesystem', 'default']) {
		test(`(a) an album of ${ALBUM_PHOTOS} photos (two pages) listed, downloaded and written to disk byte-exact (binary data "${binaryMode}")`, async () => {
			// Other albums hold photos too: the album filter must keep them out.
			const seeded = [];
			for (let i = 0; i < ALBUM_PHOTOS; i++) {
				// Filesystem mode: sizes from 3 kB to about 500 kB. In default mode the run data printed by
				// `n8n execute` holds every file in base64, so the photos stay small there (1 to 3 kB).
				const size = binaryMode === 'filesystem' ? 3_000 + ((i * 3_989) % 500_000) : 1_000 + ((i * 397) % 2_000);
				const bytes = photoBytes(i, size);
				const image = emu.createImageAs({ albumId: SAFETY_WALKS, filename: `walk-${String(i).padStart(3, '0')}.jpg`, bytes });
				seeded.push(image.id);
			}
			for (let i = 0; i < 5; i++) emu.createImageAs({ albumId: SITE_PROGRESS, filename: `elsewhere-${i}.jpg`, size: 2_000 });
			const inAlbum = [...emu.state.images.values()].filter((image) => image.albumId === SAFETY_WALKS && !image.deletedAt);

			const outDir = lib.temporaryFolder('procore-album-out-');
			try {
				const id = `e2eAlbumDisk${binaryMode.slice(0, 3)}`;
				const result = await run(albumToDiskWorkflow(id, outDir), { N8N_DEFAULT_BINARY_DATA_MODE: binaryMode });

				const listed = lib.nodeOutput(result.data, 'List album');
				assert.equal(listed.length, inAlbum.length, 'Get Many, Return All lists every photo of the album');
				assert.deepEqual(
					listed.map((item) => item.json.id).sort((a, b) => a - b),
					inAlbum.map((image) => image.id).sort((a, b) => a - b),
				);
				const pages = emu.requests.filter((request) => request.method === 'GET' && request.path === '/rest/v1.0/images');
				assert.equal(pages.length, Math.ceil(inAlbum.length / 100), 'one request per page of 100');
				for (const page of pages) assert.equal(page.query.image_category_id, String(SAFETY_WALKS));

				const downloaded = lib.nodeOutput(result.data, 'Download photo');
				assert.equal(downloaded.length, inAlbum.length);
				downloaded.forEach((item, index) => {
					assert.deepEqual(item.pairedItem, { item: index }, 'each download is paired with its listed photo');
					assert.equal(item.json.id, listed[index].json.id, 'downloads keep the order of the list');
				});

				const written = readdirSync(outDir).sort();
				assert.equal(written.length, inAlbum.length, 'one file on disk per photo');
				for (const image of inAlbum) {
					const name = `${image.id}-${image.filename}`;
					assert.ok(written.includes(name), `${name} was written`);
					assert.equal(sha256(readFileSync(join(outDir, name))), image.sha256, `${name} is byte-exact`);
				}

				// Every file went API host (Bearer) → 302 → storage (no credential at all).
				const links = emu.requests.filter((request) => request.listener === 'api' && request.path.startsWith('/file-links/'));
				const storage = emu.requests.filter((request) => request.listener === 'storage' && request.method === 'GET');
				assert.equal(links.length, inAlbum.length);
				assert.ok(links.every((request) => request.status === 302));
				assert.equal(storage.length, inAlbum.length);
				assert.ok(storage.every((request) => request.status === 200 && request.headers.authorization === undefined));
			} finally {
				lib.removeFolder(outDir);
				// The next test seeds its own album: these photos go to the recycle bin, out of every list.
				for (const id of seeded) emu.state.images.get(id).deletedAt = new Date().toISOString();
			}
		});
	}

	test('(b) photos moved to another album (Image → Update) and one deleted (Image → Delete)', async () => {
		const operations = imageOperations();
		assert.ok(operations.includes('update') && operations.includes('delete'), `the node has ${operations.join(', ')}`);
		const moving = [0, 1, 2].map((i) => emu.createImageAs({ albumId: SITE_PROGRESS, filename: `to-move-${i}.jpg`, size: 4_000 }));
		const staying = emu.createImageAs({ albumId: SITE_PROGRESS, filename: `stays-${0}.jpg`, size: 4_000 });
		const workflow = {
			id: 'e2eMoveDelete01',
			name: 'E2E move and delete',
			nodes: [
				trigger,
				procore('Find photos to move', [200, 0], {
					operation: 'getMany',
					returnAll: true,
					filters: { albumId: { __rl: true, mode: 'id', value: String(SITE_PROGRESS) }, query: 'to-move-' },
					options: { sort: 'created_at' },
				}),
				procore('Move to Safety Walks', [400, 0], {
					operation: 'update',
					imageId: { __rl: true, mode: 'id', value: '={{ $json.id }}' },
					updateFields: { albumId: { __rl: true, mode: 'id', value: String(SAFETY_WALKS) } },
				}),
				{ id: 'first', name: 'First only', type: 'n8n-nodes-base.limit', typeVersion: 1, position: [600, 0], parameters: { maxItems: 1 } },
				procore('Delete it', [800, 0], {
					operation: 'delete',
					imageId: { __rl: true, mode: 'id', value: '={{ $json.id }}' },
				}),
			],
			connections: chain('Start', 'Find photos to move', 'Move to Safety Walks', 'First only', 'Delete it'),
			settings: { executionOrder: 'v1' },
		};
		const result = await run(workflow);

		assert.deepEqual(
			lib.nodeOutput(result.data, 'Find photos to move').map((item) => item.json.id),
			moving.map((image) => image.id),
		);
		const moved = lib.nodeOutput(result.data, 'Move to Safety Walks');
		assert.equal(moved.length, 3);
		moved.forEach((item, index) => assert.deepEqual(item.pairedItem, { item: index }));
		for (const image of moving) assert.equal(emu.state.images.get(image.id).albumId, SAFETY_WALKS, `photo ${image.id} moved`);
		assert.equal(emu.state.images.get(staying.id).albumId, SITE_PROGRESS, 'a photo the search did not find stays');

		const deleted = lib.nodeOutput(result.data, 'Delete it');
		assert.equal(deleted.length, 1);
		assert.equal(deleted[0].json.id, moving[0].id);
		// Soft delete by default: the photo is in the recycle bin, not gone (docs/procore-api.md §11 "Deleting").
		assert.ok(emu.state.images.get(moving[0].id).deletedAt, 'the first moved photo is in the recycle bin');
		assert.ok(!emu.state.images.get(moving[0].id).permanentlyDeleted);
		for (const image of moving.slice(1)) assert.ok(!emu.state.images.get(image.id).deletedAt);
		const patches = emu.requests.filter((request) => request.method === 'PATCH' && request.path.startsWith('/rest/v1.0/images/'));
		const deletes = emu.requests.filter((request) => request.method === 'DELETE' && request.path.startsWith('/rest/v1.0/images/'));
		assert.equal(patches.length, 3);
		assert.equal(deletes.length, 1);
		assert.equal(deletes[0].query.permanent, undefined, 'not permanent unless asked');
	});

	test('(c) the example upload, run again with Skip If Already There, creates nothing new', async () => {
		// The option's place in the form, as the built node describes it.
		const skipOption = findSkipOption(nodeProperties());
		assert.ok(skipOption, 'Image → Create offers Skip If Already There');
		const workflow = JSON.parse(readFileSync(join(lib.ROOT, 'examples', 'upload-photos.workflow.json'), 'utf8'));
		workflow.id = 'e2eExampleTwice';
		workflow.nodes.find((node) => node.type === 'n8n-nodes-base.readWriteFile').parameters.fileSelector = `${PHOTOS}/*.{jpg,jpeg,png}`;
		const upload = workflow.nodes.find((node) => node.type === lib.NODE_TYPE);
		const photos = readdirSync(PHOTOS).filter((name) => /\.(jpe?g|png)$/i.test(name));
		assert.ok(photos.length > 0);

		const first = await run(workflow);
		const created = lib.nodeOutput(first.data, upload.name);
		assert.equal(created.length, photos.length);
		const imagesAfterFirst = emu.state.images.size;
		for (const item of created) {
			assert.equal(emu.state.images.get(item.json.id).sha256, lib.sha256File(join(PHOTOS, item.json.filename)));
		}

		// Turned on where the node keeps it (the example may already have it on).
		const holder = skipOption.collection ? (upload.parameters[skipOption.collection] ??= {}) : upload.parameters;
		holder[skipOption.name] = true;
		workflow.id = 'e2eExampleSkip1';
		const second = await run(workflow);
		assert.equal(emu.state.images.size, imagesAfterFirst, 'the second run created no photo');
		assert.equal(emu.stats.uploadsCreated, 0, 'nor an upload');
		const creating = emu.requests.filter(
			(request) => request.method === 'POST' && (request.path === '/rest/v1.0/images' || request.path.endsWith('/uploads')),
		);
		assert.deepEqual(creating, [], 'the second run sent no Create Upload or Create Image');
		const outputs = lib.nodeOutput(second.data, upload.name);
		assert.equal(outputs.length, photos.length, 'one output item per photo, paired');
		outputs.forEach((item, index) => assert.deepEqual(item.pairedItem, { item: index }));
		// Each output is the photo already there, marked skipped (the option's description says so).
		const firstIds = new Set(created.map((item) => item.json.id));
		for (const item of outputs) {
			assert.ok(firstIds.has(item.json.id), `output ${JSON.stringify(item.json).slice(0, 200)} is a photo of the first run`);
			assert.equal(item.json.skipped, true);
		}
		assert.deepEqual(emu.duplicateImages(), { byUpload: [], byContent: [] });
	});
});

test('the example "Procore album to a Google Drive folder" imports and runs: every photo of the album downloaded, handed to the (disabled) Drive node', async () => {
	const workflow = JSON.parse(readFileSync(join(lib.ROOT, 'examples', 'album-to-drive.workflow.json'), 'utf8'));
	workflow.id = 'e2eAlbumToDrive';
	const drive = workflow.nodes.find((node) => node.type === 'n8n-nodes-base.googleDrive');
	assert.equal(drive.disabled, true, 'the Drive node ships disabled, so the example runs before a Google credential exists');
	assert.equal(drive.parameters.operation, 'upload');
	assert.equal(drive.parameters.inputDataFieldName, 'data', 'Drive takes the field Download fills');
	const download = workflow.nodes.find((node) => node.type === lib.NODE_TYPE && node.parameters.operation === 'download');
	assert.equal(download.parameters.binaryPropertyName, 'data');

	const album = Number(workflow.nodes.find((node) => node.parameters.operation === 'getMany').parameters.filters.albumId.value);
	for (let i = 0; i < 7; i++) emu.createImageAs({ albumId: album, filename: `drive-${i}.jpg`, bytes: photoBytes(1_000 + i, 5_000 + i * 1_000) });
	const inAlbum = [...emu.state.images.values()].filter((image) => image.albumId === album && !image.deletedAt);
	const result = await run(workflow);

	const files = lib.nodeOutput(result.data, download.name);
	assert.equal(files.length, inAlbum.length, 'one file per photo of the album');
	for (const item of files) {
		const image = emu.state.images.get(item.json.id);
		assert.equal(image.albumId, album);
		assert.equal(item.binary.data.fileName, image.filename);
		assert.equal(item.binary.data.mimeType, image.contentType, `${image.filename} keeps its type`);
	}
	const storage = emu.requests.filter((request) => request.listener === 'storage' && request.method === 'GET' && request.status === 200);
	assert.equal(storage.length, inAlbum.length, 'every file came from storage');
});

/** Where Create's Skip If Already There lives: `{ name, collection? }`, or undefined without it. */
function findSkipOption(properties) {
	const isSkip = (property) => /^skip ?if ?(already|exists)/i.test(property.displayName ?? '') || /^skipIf/i.test(property.name ?? '');
	const forCreate = (property) => !property.displayOptions?.show?.operation || property.displayOptions.show.operation.includes('create');
	for (const property of properties) {
		if (!forCreate(property)) continue;
		if (isSkip(property)) return { name: property.name };
		const inner = (property.options ?? []).find((option) => typeof option === 'object' && 'displayName' in option && isSkip(option));
		if (inner && (property.type === 'collection' || property.type === 'fixedCollection')) return { name: inner.name, collection: property.name };
	}
	return undefined;
}
