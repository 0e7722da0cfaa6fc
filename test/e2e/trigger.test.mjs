// The Procore Trigger in a running n8n 2.41.1 (`n8n start`) with the package installed from its
// tarball: a workflow activated through n8n's REST API makes its hook in the emulator, photos added
// to the project start one execution each holding exactly that photo, and deactivation leaves no
// hook behind.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';

import * as lib from '../../scripts/n8n/lib.mjs';

const PROJECT = 2001;

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

test('activate, three photos, three executions with exactly those photos, deactivate: no hook left', async () => {
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
					options: { fetchRecord: true },
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

	const names = ['north.jpg', 'south.jpg', 'crane.jpg'];
	const photoIds = names.map((filename) => emu.createImageAs({ filename, size: 2048 }).id);
	await emu.webhooks.idle(30_000);
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
		seen.push([items[0].json.resource_id, items[0].json.record.filename]);
	}
	assert.deepEqual(
		seen.sort((a, b) => a[0] - b[0]),
		photoIds.map((id, index) => [id, names[index]]),
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
