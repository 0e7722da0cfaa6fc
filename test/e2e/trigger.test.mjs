// Both Procore triggers in one running n8n 2.41.1 (`n8n start`) with the package installed from its
// tarball, run side by side so that the polling trigger's minute costs no extra time:
//   - Procore Trigger (webhooks): a workflow activated through n8n's REST API makes its hook in the
//     emulator, photos uploaded through the Procore node by another workflow start one execution
//     each holding exactly that photo, its file byte for byte, and deactivation leaves no hook behind;
//   - Procore Photos Trigger (polling): photos there before activation are not news, photos
//     uploaded through the Procore node after it come out once each, with their files byte for
//     byte, and a later poll gives only the photos added since.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as lib from '../../scripts/n8n/lib.mjs';

const PROJECT = 2001;
/** The polling test's project, in the second company: the webhook test's photos never reach it. */
const POLL_PROJECT = 2101;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

let emu;
let n8nProcess;
let n8nLog = () => '';
let baseUrl;
let cookie;
let userFolder;
let tarball;
let flatted;

before(async () => {
	const n8nDir = lib.ensureN8n();
	// n8n keeps execution data in its "flatted" form; read it with n8n's own copy.
	flatted = createRequire(join(n8nDir, 'node_modules', 'n8n', 'package.json'))('flatted');
	tarball = lib.buildAndPack();
	emu = await lib.startEmulator();
	userFolder = lib.makeUserFolder(tarball);
	const port = await lib.freePort();
	const started = await lib.startN8n(n8nDir, userFolder, port);
	n8nProcess = started.child;
	n8nLog = started.log;
	baseUrl = `http://127.0.0.1:${port}`;
	cookie = await lib.setUpOwner(baseUrl);
});

after(async () => {
	await lib.stopProcess(n8nProcess);
	await emu?.close();
	if (userFolder) lib.removeFolder(userFolder);
	if (tarball) lib.removeFolder(dirname(tarball));
});

async function rest(method, path, body) {
	const response = await fetch(`${baseUrl}/rest${path}`, {
		method,
		headers: { 'Content-Type': 'application/json', Cookie: cookie, 'browser-id': 'e2e' },
		...(body === undefined ? {} : { body: JSON.stringify(body) }),
	});
	const text = await response.text();
	if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
	const parsed = text ? JSON.parse(text) : {};
	return parsed.data ?? parsed;
}

async function executionsOf(workflowId) {
	const list = await rest('GET', `/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId }))}`);
	return list.results ?? list;
}

async function waitFor(what, check, timeoutMs = 30_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

/**
 * A workflow that uploads the photo it is sent through the Procore node (Image → Create, Direct
 * Upload): n8n's Webhook node takes the file (its Content-Disposition names it) and answers with
 * the Procore node's output, the new photo. This is how photos land in Procore in these tests, as
 * in a user's other workflow. Returns a function that uploads one photo and gives its record.
 */
async function uploadThroughProcoreNode(credential, { companyId, projectId, album }) {
	const path = `e2e-upload-${randomUUID()}`;
	const rl = (value, mode = 'id') => ({ __rl: true, mode, value });
	const workflow = await rest('POST', '/workflows', {
		name: `Upload to Procore (${projectId})`,
		active: false,
		settings: { executionOrder: 'v1' },
		connections: { Webhook: { main: [[{ node: 'Procore', type: 'main', index: 0 }]] } },
		nodes: [
			{
				id: randomUUID(),
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: randomUUID(),
				parameters: { httpMethod: 'POST', path, responseMode: 'lastNode', responseData: 'firstEntryJson', options: {} },
			},
			{
				id: randomUUID(),
				name: 'Procore',
				type: lib.NODE_TYPE,
				typeVersion: 1,
				position: [200, 0],
				parameters: {
					resource: 'image',
					operation: 'create',
					companyId: rl(companyId),
					projectId: rl(projectId),
					uploadMethod: 'direct',
					binaryPropertyName: 'data',
					albumId: rl(album, 'name'),
					createAlbumIfMissing: true,
				},
				credentials: { procoreOAuth2Api: { id: credential.id, name: credential.name } },
			},
		],
	});
	const activated = await rest('POST', `/workflows/${workflow.id}/activate`, { versionId: workflow.versionId });
	assert.equal(activated.active, true);
	return async (filename, bytes) => {
		// n8n registers a production webhook right after activation; until then it answers 404.
		const answer = await waitFor(`n8n to take ${filename}`, async () => {
			const response = await fetch(`${baseUrl}/webhook/${path}`, {
				method: 'POST',
				headers: { 'Content-Type': 'image/jpeg', 'Content-Disposition': `attachment; filename="${filename}"` },
				body: bytes,
			});
			if (response.status === 404) return undefined;
			return { status: response.status, text: await response.text() };
		});
		assert.equal(answer.status, 200, `uploading ${filename}: ${answer.text}\nn8n said:\n${n8nLog()}`);
		const record = JSON.parse(answer.text);
		assert.equal(record.filename, filename);
		return record;
	};
}

// The polling test waits for n8n's poll minutes; the webhook test runs meanwhile in the same n8n.
describe('both triggers in one n8n', { concurrency: true }, () => {
	test('Procore Trigger: activate, three photos, three executions with exactly those photos, deactivate: no hook left', async () => {
		const credential = await lib.createCredential(baseUrl, cookie, lib.emulatorCredential(emu));
		const rl = (value) => ({ __rl: true, mode: 'id', value });
		const workflow = await rest('POST', '/workflows', {
			name: 'Photos from Procore',
			active: false,
			settings: { executionOrder: 'v1', saveDataSuccessExecution: 'all' },
			connections: {},
			nodes: [
				{
					id: randomUUID(),
					name: 'Procore Trigger',
					type: 'n8n-nodes-procore.procoreTrigger',
					typeVersion: 1,
					position: [0, 0],
					webhookId: randomUUID(),
					parameters: {
						companyId: rl('1001'),
						projectId: rl(String(PROJECT)),
						resourceName: 'Images',
						events: ['create'],
						options: { fetchRecord: true, downloadPhoto: true },
					},
					credentials: { procoreOAuth2Api: { id: credential.id, name: credential.name } },
				},
			],
		});
		const activated = await rest('POST', `/workflows/${workflow.id}/activate`, { versionId: workflow.versionId });
		assert.equal(activated.active, true);

		// n8n registers the webhooks of an activated workflow after it has answered (about 2 s here).
		await waitFor('the hook and its trigger', () => emu.webhooks.triggerRecords.size > 0, 60_000).catch(() => {});
		const hooks = emu.webhooks.hooks(PROJECT);
		assert.equal(hooks.length, 1, `no hook after activation; Procore saw ${JSON.stringify(emu.requests.map((r) => `${r.method} ${r.path} ${r.status}`))}; n8n said:\n${n8nLog()}`);
		assert.equal(hooks[0].namespace, 'n8n-nodes-procore');
		assert.match(hooks[0].destinationUrl, /^http:\/\/localhost:\d+\/webhook\/[0-9a-f-]+\/webhook$/);
		assert.deepEqual(emu.webhooks.triggers(hooks[0].id).map((t) => `${t.resourceName} ${t.eventType}`), ['Images create']);

		// The photos come from another workflow, through the Procore node.
		const upload = await uploadThroughProcoreNode(credential, { companyId: '1001', projectId: String(PROJECT), album: 'Trigger e2e' });
		const sent = [];
		for (const filename of ['north.jpg', 'south.jpg', 'crane.jpg']) {
			if (filename === 'crane.jpg') {
				// Procore's documents do not name the deliveries' Content-Type: the last photo's event
				// comes with one n8n does not parse, and must start its execution all the same.
				await emu.webhooks.idle(30_000);
				emu.configure({ deliveryContentType: 'application/vnd.procore.event' });
			}
			const bytes = randomBytes(2_000 + filename.length * 97);
			bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
			const record = await upload(filename, bytes);
			sent.push({ id: record.id, filename, sha256: sha256(bytes) });
		}
		await emu.webhooks.idle(30_000);
		emu.configure({ deliveryContentType: 'application/json' });
		assert.deepEqual(emu.webhooks.deliveries().map((d) => d.status), ['successful', 'successful', 'successful']);

		const finished = await waitFor('three finished executions', async () => {
			const runs = await executionsOf(workflow.id);
			return runs.length >= 3 && runs.every((run) => run.status === 'success') ? runs : undefined;
		});
		const seen = [];
		for (const run of finished) {
			const execution = await rest('GET', `/executions/${run.id}`);
			const data = flatted.parse(execution.data);
			const items = data.resultData.runData['Procore Trigger'][0].data.main[0];
			assert.equal(items.length, 1);
			assert.equal(items[0].json.event_type, 'create');
			assert.equal(items[0].json.record.id, items[0].json.resource_id);
			const wanted = sent.find((photo) => photo.id === items[0].json.resource_id);
			assert.ok(wanted, `an execution for photo ${items[0].json.resource_id}, which the test did not send`);
			const file = await fetch(`${baseUrl}/rest/binary-data?id=${encodeURIComponent(items[0].binary.data.id)}&action=download`, { headers: { Cookie: cookie } });
			assert.equal(file.status, 200, `binary data of ${wanted.filename}`);
			assert.equal(sha256(Buffer.from(await file.arrayBuffer())), wanted.sha256, `${wanted.filename} byte for byte`);
			seen.push([items[0].json.resource_id, items[0].json.record.filename]);
		}
		assert.deepEqual(
			seen.sort((a, b) => a[0] - b[0]),
			sent.map((photo) => [photo.id, photo.filename]).sort((a, b) => a[0] - b[0]),
		);

		await rest('POST', `/workflows/${workflow.id}/deactivate`, {});
		// n8n removes the webhooks of a deactivated workflow right after it answers.
		await waitFor('the hook to go', () => emu.webhooks.hooks(PROJECT).length === 0, 30_000).catch(() => {});
		const deletes = emu.requests.filter((r) => r.method === 'DELETE').map((r) => `${r.path} ${r.status}`);
		assert.deepEqual(deletes, [
			`/rest/v1.0/webhooks/hooks/${hooks[0].id}/triggers/bulk 200`,
			`/rest/v1.0/webhooks/hooks/${hooks[0].id} 204`,
		]);
		assert.deepEqual(emu.webhooks.hooks(PROJECT), []);
		assert.deepEqual([...emu.webhooks.triggerRecords.values()], []);
	});

	test('Procore Photos Trigger: photos from before activation stay out, later ones come once each, byte-exact', async () => {
		const credential = await lib.createCredential(baseUrl, cookie, { ...lib.emulatorCredential(emu), name: 'Procore (emulator, polling)' });
		const rl = (value) => ({ __rl: true, mode: 'id', value });
		const photo = (filename, extra = {}) => {
			const bytes = randomBytes(3_000 + filename.length * 101);
			bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
			const record = emu.createImageAs({ projectId: POLL_PROJECT, userId: 3001, filename, bytes, ...extra });
			return { id: record.id, filename, sha256: sha256(bytes) };
		};
		// There before activation: one from half a minute ago (inside the node's look-back window, so
		// it is listed again by every poll and must be recognised) and one from just now.
		const existing = [photo('old-survey.jpg', { createdAt: new Date(Date.now() - 30_000).toISOString() }), photo('old-gate.jpg')];
		// Photos added after activation come from another workflow, through the Procore node.
		const upload = await uploadThroughProcoreNode(credential, { companyId: '1002', projectId: String(POLL_PROJECT), album: 'Polling e2e' });
		const uploaded = async (filename) => {
			const bytes = randomBytes(3_000 + filename.length * 101);
			bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
			const record = await upload(filename, bytes);
			return { id: record.id, filename, sha256: sha256(bytes) };
		};

		// n8n polls at least once a minute ("The polling interval is too short" below that). Two
		// "Custom" poll times, each once a minute at a fixed second, as a user can set them in the
		// editor, make two polls about 20 s apart instead of one a minute.
		const firstSecond = (new Date().getSeconds() + 20) % 60;
		const pollTimes = { item: [firstSecond, (firstSecond + 20) % 60].map((second) => ({ mode: 'custom', cronExpression: `${second} * * * * *` })) };
		const workflow = await rest('POST', '/workflows', {
			name: 'Photos from Procore, polled',
			active: false,
			settings: { executionOrder: 'v1', saveDataSuccessExecution: 'all' },
			connections: {},
			nodes: [
				{
					id: randomUUID(),
					name: 'Procore Photos Trigger',
					type: 'n8n-nodes-procore.procorePhotosTrigger',
					typeVersion: 1,
					position: [0, 0],
					parameters: {
						pollTimes,
						companyId: rl('1002'),
						projectId: rl(String(POLL_PROJECT)),
						triggerOn: 'new',
						options: { downloadPhoto: true },
					},
					credentials: { procoreOAuth2Api: { id: credential.id, name: credential.name } },
				},
			],
		});
		const activated = await rest('POST', `/workflows/${workflow.id}/activate`, { versionId: workflow.versionId });
		assert.equal(activated.active, true);
		// The poll at activation marks where news start: it lists the recent photos once, with a
		// created_at range. Photos added after that answer are news.
		const listedWithRange = () =>
			emu.requests.some((r) => r.method === 'GET' && r.path === '/rest/v1.0/images' && String(r.query.project_id) === String(POLL_PROJECT) && r.query['filters[created_at]'] && r.status === 200);
		await waitFor('the poll at activation', listedWithRange, 60_000);
		const activatedAt = Date.now();

		const firstWave = [await uploaded('crane-morning.jpg'), await uploaded('crane-noon.jpg')];
		/** The items of the finished poll executions; undefined while one is still running. */
		const items = async ({ allFinished = false } = {}) => {
			const found = [];
			for (const run of await executionsOf(workflow.id)) {
				if (['new', 'running', 'waiting'].includes(run.status)) {
					if (allFinished) return undefined;
					continue;
				}
				if (run.status !== 'success') throw new Error(`poll execution ${run.id} ended "${run.status}"; n8n said:\n${n8nLog()}`);
				const execution = await rest('GET', `/executions/${run.id}`);
				const data = flatted.parse(execution.data);
				for (const item of data.resultData.runData['Procore Photos Trigger'][0].data.main[0]) found.push({ execution: run.id, item });
			}
			return found;
		};
		const has = (found, photos) => photos.every((p) => found.some(({ item }) => item.json.id === p.id));
		// A poll within 20 s, the other 20 s later; if the first came too early for them, the next one
		// a minute later still finds them.
		await waitFor('the first photos in a poll execution', async () => has(await items(), firstWave), 150_000);
		const secondWave = [await uploaded('crane-evening.jpg')];
		await waitFor('the later photo in a poll execution', async () => has(await items(), secondWave), 150_000);
		console.log(`  polling: ${((Date.now() - activatedAt) / 1000).toFixed(1)} s from activation to the second photos`);

		await rest('POST', `/workflows/${workflow.id}/deactivate`, {});
		const found = await waitFor('every poll execution to finish', () => items({ allFinished: true }));
		// Exactly the photos added after activation, each once: the ones from before never, and the
		// first ones not again in the poll that found the later one.
		const expected = [...firstWave, ...secondWave];
		assert.deepEqual(
			found.map(({ item }) => item.json.id).sort((a, b) => a - b),
			expected.map((p) => p.id),
			`there before activation: ${existing.map((p) => p.id)}`,
		);
		const laterRun = found.find(({ item }) => item.json.id === secondWave[0].id).execution;
		assert.deepEqual(found.filter(({ execution }) => execution === laterRun).map(({ item }) => item.json.id), [secondWave[0].id]);
		for (const { item } of found) {
			const wanted = expected.find((p) => p.id === item.json.id);
			assert.equal(item.json.filename, wanted.filename);
			assert.equal(item.binary.data.fileName, wanted.filename);
			const file = await fetch(`${baseUrl}/rest/binary-data?id=${encodeURIComponent(item.binary.data.id)}&action=download`, { headers: { Cookie: cookie } });
			assert.equal(file.status, 200, `binary data of ${wanted.filename}`);
			assert.equal(sha256(Buffer.from(await file.arrayBuffer())), wanted.sha256, `${wanted.filename} byte for byte`);
		}
	});
});
