// n8n's queue mode, end to end: a real n8n 2.41.1 main process, two workers (`n8n worker`) and a
// webhook processor (`n8n webhook`) that takes the webhook calls, executions handed out through
// Redis, PostgreSQL as the database, binary data in the database (the one mode every process can
// read without a shared disk), each process with its own user folder as on separate machines, the package installed from its npm tarball in each. The example
// upload (examples/upload-photos.workflow.json) behind a webhook is started several times at once;
// every photo must arrive byte-exact and once, and each worker must have run some of them.
// Then the same under Procore's rate limit (one token shared by every process) and under a token
// that expires every 30 requests (single-use refresh tokens), and the Procore Trigger with its
// deliveries answered by the webhook processor and its executions run by the workers.
// `npm run test:queue`.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as lib from '../../scripts/n8n/lib.mjs';
import { startServices } from '../../scripts/queue/services.mjs';

const WEBHOOK_PATH = 'procore-queue-upload';
const CREDENTIAL_ID = 'procoreEmulator1';
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** The example workflow, started by a webhook instead of by hand, reading one batch folder per call. */
function queueWorkflow(photosRoot) {
	const example = JSON.parse(readFileSync(join(lib.ROOT, 'examples', 'upload-photos.workflow.json'), 'utf8'));
	const [manual, readFiles, upload] = example.nodes;
	const webhook = {
		id: manual.id,
		name: 'Photos arrived',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: manual.position,
		webhookId: '6c1f0b5e-3d2a-4e57-9a0c-2f1d8b7e4a10',
		// "Immediately": the caller does not wait, so several calls queue up at once.
		parameters: { httpMethod: 'POST', path: WEBHOOK_PATH, responseMode: 'onReceived', options: {} },
	};
	readFiles.parameters.fileSelector = `={{ '${photosRoot}/' + $json.query.batch + '/*.jpg' }}`;
	// Long enough for the rate-limited run: four executions share one token's 25 requests per 10 s.
	// 16 items at once per execution unless the call says otherwise (`?parallel=`), as issue #13
	// measured (README "Running at scale").
	upload.parameters.advancedOptions = {
		maxWaitSeconds: 600,
		parallelUploads: `={{ Number($('${webhook.name}').first().json.query.parallel ?? 16) }}`,
	};
	return {
		name: 'Queue mode: upload site photos',
		settings: example.settings,
		nodes: [webhook, readFiles, upload],
		connections: {
			[webhook.name]: { main: [[{ node: readFiles.name, type: 'main', index: 0 }]] },
			[readFiles.name]: example.connections[readFiles.name],
		},
		active: false,
	};
}

let n8nDir;
let tarball;
let services;
let emu;
let photosRoot;
let main;
let mainPort;
let webhookPort;
let webhookProcessor;
let ownerCookie;
let flatted;
const workers = [];
const startedAt = Date.now();
/** Start-up steps with the time since the start, to see where a slow start goes. */
const step = (what) => console.log(`  ${((Date.now() - startedAt) / 1000).toFixed(0)} s: ${what}`);

function psql(sql) {
	const result = spawnSync('psql', ['-h', '127.0.0.1', '-p', String(services.postgresPort), '-U', 'n8n', '-d', 'n8n', '-At', '-F', '|', '-c', sql], { encoding: 'utf8', timeout: 30_000 });
	if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
	return result.stdout.trim().split('\n').filter(Boolean).map((line) => line.split('|'));
}

async function startWorker(name, args = ['worker', '--concurrency=2'], extraEnv = {}) {
	const userFolder = lib.makeUserFolder(tarball, `procore-queue-${name}-`);
	const { node } = lib.node24();
	const child = lib.trackProcess(
		spawn(node, [join(n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'), ...args], {
			env: lib.n8nEnv(userFolder, { ...services.env, ...(await lib.brokerPort()), N8N_LOG_LEVEL: 'info', ...extraEnv }),
			stdio: ['ignore', 'pipe', 'pipe'],
		}),
	);
	const worker = { name, child, log: '' };
	for (const stream of [child.stdout, child.stderr]) {
		stream.setEncoding('utf8');
		stream.on('data', (chunk) => (worker.log += chunk));
	}
	if (args[0] === 'worker') workers.push(worker);
	return worker;
}

/**
 * A webhook processor (`n8n webhook`): it answers the production webhooks and puts their executions
 * in Redis for the workers; the main process, started without production webhooks, answers none.
 */
async function startWebhookProcessor() {
	webhookProcessor = await startWorker('webhook', ['webhook'], { N8N_PORT: String(webhookPort), N8N_LISTEN_ADDRESS: '127.0.0.1' });
	return webhookProcessor;
}

/** A call to the main process's REST API as the logged-in owner; returns the answer's data. */
async function mainRest(cookie, method, path, body) {
	const response = await fetch(`http://127.0.0.1:${mainPort}/rest${path}`, {
		method,
		headers: { 'Content-Type': 'application/json', Cookie: cookie, 'browser-id': 'queue' },
		...(body === undefined ? {} : { body: JSON.stringify(body) }),
	});
	const text = await response.text();
	if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
	const parsed = text ? JSON.parse(text) : {};
	return parsed.data ?? parsed;
}

async function waitFor(what, check, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (check()) return;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

/** Executions each worker started, from its log ("Worker started execution 12 (job 3)"). */
function startedBy(worker) {
	return [...worker.log.matchAll(/Worker started execution (\d+)/g)].map((match) => match[1]);
}
function finishedBy(worker) {
	return [...worker.log.matchAll(/Worker finished execution (\d+)/g)].map((match) => match[1]);
}

/** Writes `count` distinct photos into a batch folder; returns file name → sha256. */
function writeBatch(batch, count) {
	const folder = join(photosRoot, batch);
	mkdirSync(folder, { recursive: true });
	const expected = new Map();
	for (let i = 0; i < count; i++) {
		const bytes = randomBytes(4096 + ((i * 1237) % 20000));
		bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
		const name = `${batch}-photo-${String(i).padStart(3, '0')}.jpg`;
		writeFileSync(join(folder, name), bytes);
		expected.set(name, sha256(bytes));
	}
	return expected;
}

/**
 * Calls the webhook once per batch, all at once, waits until every execution has finished on a
 * worker and returns what happened: executions per worker, their statuses and the emulator's log.
 */
async function runBatches(label, batches, photosPerBatch, timeoutMs, query = '') {
	emu.reset();
	const imagesBefore = new Set(emu.state.images.keys());
	const expected = new Map();
	for (const batch of batches) for (const [name, hash] of writeBatch(batch, photosPerBatch)) expected.set(name, hash);
	const finishedBefore = workers.map((worker) => finishedBy(worker).length);
	const executionsBefore = Number(psql('SELECT count(*) FROM execution_entity')[0][0]);
	const started = Date.now();
	const answers = await Promise.all(
		batches.map((batch) => fetch(`http://127.0.0.1:${webhookPort}/webhook/${WEBHOOK_PATH}?batch=${batch}${query}`, { method: 'POST' })),
	);
	for (const answer of answers) assert.equal(answer.status, 200, `webhook answered ${answer.status}: ${await answer.text()}`);
	await waitFor(
		`${batches.length} executions to finish (${label})`,
		() => workers.reduce((sum, worker, index) => sum + finishedBy(worker).length - finishedBefore[index], 0) >= batches.length,
		timeoutMs,
	);
	const seconds = (Date.now() - started) / 1000;
	const executions = psql(`SELECT id, status FROM execution_entity ORDER BY id OFFSET ${executionsBefore}`);
	const perWorker = workers.map((worker, index) => finishedBy(worker).slice(finishedBefore[index]));
	const created = [...emu.state.images.values()].filter((image) => !imagesBefore.has(image.id));
	const api = emu.requests.filter((request) => request.listener === 'api');
	const times = api.map((request) => request.at);
	const result = {
		label,
		seconds,
		executions,
		perWorker,
		created,
		expected,
		apiRequests: api.length,
		rateLimited: api.filter((request) => request.status === 429).length,
		unauthorized: api.filter((request) => request.status === 401).length,
		spanSeconds: times.length ? (Math.max(...times) - Math.min(...times)) / 1000 : 0,
		requestsBeforeReset: emu.stats.requestsBeforeReset,
		refreshAttempts: emu.stats.refreshAttempts,
		refreshFailures: emu.stats.refreshFailures,
	};
	console.log(
		`  ${label}: ${created.length}/${expected.size} photos in ${seconds.toFixed(1)} s; executions per worker ${perWorker.map((ids) => ids.length).join(' + ')}; ` +
			`${result.apiRequests} API requests over ${result.spanSeconds.toFixed(1)} s, ${result.rateLimited} answered 429, ${result.unauthorized} answered 401, ${result.requestsBeforeReset} sent before a reset; ` +
			`refreshes ${result.refreshAttempts} (failed ${result.refreshFailures})`,
	);
	return result;
}

/** What a failed execution said: the error sentences in its stored run data. */
function executionErrors(ids) {
	if (!ids.length) return [];
	return psql(`SELECT "executionId", replace(data, E'\\n', ' ') FROM execution_data WHERE "executionId" IN (${ids.join(',')})`).map(([id, ...rest]) => {
		const data = rest.join('|');
		const sentences = [...new Set(data.match(/"[^"]{0,200}(?:Procore asked|reconnect|not valid|invalid|refused|failed|429|401)[^"]{0,200}"/gi) ?? [])].slice(0, 4);
		return `execution ${id}: ${sentences.join(' | ')}`;
	});
}

/** Every expected photo exactly once, byte-exact; nothing else; every execution a success. */
function assertAllArrived(result) {
	const failed = result.executions.filter(([, status]) => status !== 'success').map(([id]) => id);
	assert.deepEqual(failed, [], `executions that did not succeed:\n${executionErrors(failed).join('\n')}`);
	const byName = new Map();
	for (const image of result.created) byName.set(image.filename, [...(byName.get(image.filename) ?? []), image]);
	for (const [name, hash] of result.expected) {
		const images = byName.get(name) ?? [];
		assert.equal(images.length, 1, `${name} arrived ${images.length} times`);
		assert.equal(images[0].sha256, hash, `${name} is not byte-exact`);
	}
	assert.equal(result.created.length, result.expected.size, 'photos that nobody sent arrived');
	assert.deepEqual(emu.duplicateImages(), { byUpload: [], byContent: [] });
	assert.deepEqual(emu.errors, []);
}

before(async () => {
	n8nDir = lib.ensureN8n();
	tarball = lib.buildAndPack();
	console.log(`  n8n and the package ready after ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
	services = await startServices();
	step('Redis and PostgreSQL started');
	emu = await lib.startEmulator();
	photosRoot = lib.temporaryFolder('procore-queue-photos-');

	// One user credential whose token every process shares: Procore's limit belongs to the token.
	const token = emu.issueToken({ withRefresh: true });
	const credential = lib.emulatorCredential(emu, { id: CREDENTIAL_ID, grantType: 'authorizationCode' });
	credential.data.oauthTokenData = token;
	const mainFolder = lib.makeUserFolder(tarball, 'procore-queue-main-');
	// n8n keeps execution data in its "flatted" form; read it with n8n's own copy.
	flatted = createRequire(join(n8nDir, 'node_modules', 'n8n', 'package.json'))('flatted');
	// Webhooks are answered by the webhook processor: the URL the main process gives Procore's hook
	// (WEBHOOK_URL, when it activates a Procore Trigger) names the processor's port.
	webhookPort = await lib.freePort();
	// The import creates n8n's tables; then the workers and the main process start together, and
	// the workflow is created and published through the main process's REST API as the editor does
	// (on this busy machine each n8n boot takes a while: the CLI's import and publish would be two more).
	await lib.importJson(n8nDir, mainFolder, 'credentials', [credential], services.env);
	step('database created, credential imported');
	const workersReady = (async () => {
		const started = [await startWorker('worker1'), await startWorker('worker2')];
		const hooks = await startWebhookProcessor();
		await waitFor('both workers to be ready', () => started.every((worker) => worker.log.includes('n8n worker is now ready')), 240_000);
		step('workers ready');
		await waitFor('the webhook processor to listen', () => hooks.log.includes('Webhook listener waiting for requests'), 240_000);
		step('webhook processor ready');
	})();
	// Awaited below; a failure meanwhile must not count as unhandled.
	workersReady.catch(() => {});
	mainPort = await lib.freePort();
	const webhookUrl = `http://localhost:${webhookPort}/`;
	main = await lib.startN8n(n8nDir, mainFolder, mainPort, { ...services.env, N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true', WEBHOOK_URL: webhookUrl, N8N_WEBHOOK_URL: webhookUrl });
	step('main started');
	const cookie = await lib.setUpOwner(`http://127.0.0.1:${mainPort}`);
	ownerCookie = cookie;
	const workflow = await mainRest(cookie, 'POST', '/workflows', queueWorkflow(photosRoot));
	const activated = await mainRest(cookie, 'POST', `/workflows/${workflow.id}/activate`, { versionId: workflow.versionId });
	assert.equal(activated.active, true, `the workflow was not activated: ${JSON.stringify(activated)}`);
	step('workflow created and published');
	await workersReady;
	// The webhook is registered once the main process has activated the workflow.
	await waitFor(
		'the webhook to be registered',
		() => psql(`SELECT count(*) FROM webhook_entity WHERE "webhookPath" = '${WEBHOOK_PATH}'`)[0][0] === '1',
		60_000,
	);
	console.log(`  main + 2 workers + webhook processor up in ${((Date.now() - startedAt) / 1000).toFixed(0)} s (Redis :${services.redisPort}, PostgreSQL :${services.postgresPort})`);
});

after(async () => {
	for (const worker of workers) await lib.stopProcess(worker.child);
	await lib.stopProcess(webhookProcessor?.child);
	await lib.stopProcess(main?.child);
	await emu?.close();
	services?.stop();
	if (tarball) lib.removeFolder(dirname(tarball));
	console.log(`  total ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
});

describe('n8n queue mode: main + 2 workers + webhook processor, Redis, PostgreSQL, binary data in the database', () => {
	test('four executions at once spread over both workers; every photo arrives byte-exact, once', async () => {
		emu.configure({ spikeLimit: 0, tokenExpiresAfterRequests: 0, latencyMs: 20 });
		const result = await runBatches('4 × 10 photos', ['a1', 'a2', 'a3', 'a4'], 10, 180_000);
		assertAllArrived(result);
		for (const [index, ids] of result.perWorker.entries()) assert.ok(ids.length > 0, `worker ${index + 1} ran no execution`);
	});

	// Sixteen items per execution, two executions per worker: 64 requests in flight on one token
	// that dies after 30. A request re-sent after n8n's refresh can meet the next expiry again and
	// again; a 401 means Procore did nothing, and while other requests of the credential get
	// through the transport sends it again through n8n's refresh (transport/index.ts,
	// unauthorizedCounts), so no item is given up while the credential works.
	test('a token that expires every 30 requests: 200 photos over both workers, the refresh token chain never broken', async () => {
		emu.configure({ spikeLimit: 0, tokenExpiresAfterRequests: 30, latencyMs: 0 });
		const result = await runBatches('4 × 50 photos, 16 at once each, token expires every 30 requests', ['t1', 't2', 't3', 't4'], 50, 300_000);
		assertAllArrived(result);
		for (const [index, ids] of result.perWorker.entries()) assert.ok(ids.length > 0, `worker ${index + 1} ran no execution`);
		// About one refresh per 30 requests the token accepted (a 401 does not use it up); a refresh
		// token presented twice (two processes refreshing at once) would show as a failure, and
		// Procore would have locked the user out.
		const accepted = result.apiRequests - result.unauthorized;
		assert.ok(result.refreshAttempts >= Math.floor(accepted / 30) - 1, `only ${result.refreshAttempts} refreshes for ${accepted} accepted requests`);
		assert.equal(result.refreshFailures, 0, 'a refresh token was presented after it had been used');
		// Exactly one refresh token is left unused: the one n8n saved, which the next refresh needs.
		const live = [...emu.state.refreshTokens.values()].filter((entry) => !entry.usedAt && !entry.revokedAt);
		assert.equal(live.length, 1, `${live.length} unused refresh tokens`);
		// And it is the one in n8n's database: with every access token dead, one more run refreshes and uploads.
		emu.faults.expireAllAccessTokens();
		const next = await runBatches('1 × 2 photos after every access token expired', ['t5'], 2, 120_000);
		assertAllArrived(next);
		assert.equal(next.refreshFailures, 0);
		assert.ok(next.refreshAttempts >= 1, 'no refresh happened');
	});

	// Each worker keeps its own budget; Procore's X-Rate-Limit-* headers are all they share. A worker
	// that sees requests counted that it did not send spreads what remains of each window over the
	// time to its reset (nodes/Procore/transport/rateLimit.ts, README "Running at scale").
	test('one rate limit, many processes: 200 photos in 4 executions under 25 requests per 10 s', async () => {
		emu.configure({ spikeLimit: 25, spikeWindowMs: 10_000, tokenExpiresAfterRequests: 0, latencyMs: 0 });
		const result = await runBatches('4 × 50 photos, 25 requests per 10 s', ['r1', 'r2', 'r3', 'r4'], 50, 420_000);
		assertAllArrived(result);
		for (const [index, ids] of result.perWorker.entries()) assert.ok(ids.length > 0, `worker ${index + 1} ran no execution`);
		// The ceiling: the limit divided by the Procore (api) calls each photo needs, as measured
		// (Create Upload and Create Image per photo, plus each execution's album and location look-ups).
		const accepted = result.apiRequests - result.rateLimited;
		const callsPerPhoto = accepted / result.created.length;
		const ceilingPerMinute = ((25 / 10) * 60) / callsPerPhoto;
		const perMinute = result.created.length / (result.spanSeconds / 60);
		const share = perMinute / ceilingPerMinute;
		const rateLimitedShare = result.rateLimited / result.apiRequests;
		console.log(
			`  rate: ${perMinute.toFixed(1)} photos/min of a ${ceilingPerMinute.toFixed(1)} ceiling (${(share * 100).toFixed(0)} %, ${callsPerPhoto.toFixed(2)} calls per photo); ` +
				`429: ${result.rateLimited} of ${result.apiRequests} (${(rateLimitedShare * 100).toFixed(1)} %)`,
		);
		assert.ok(share >= 0.85, `only ${(share * 100).toFixed(0)} % of the ceiling`);
		assert.ok(rateLimitedShare <= 0.02, `${(rateLimitedShare * 100).toFixed(1)} % of requests answered 429`);
	});

	// Issue #13: the Procore Trigger in queue mode. The main process activates the workflow and
	// makes the hook (its URL on the webhook processor); each delivery is answered by the webhook
	// processor, which hands the execution to a worker. Procore delivers at least once: repeated
	// deliveries (the same ulid) start nothing.
	test('Procore Trigger through the webhook processor: one execution per event, on the workers, repeats ignored', async () => {
		emu.configure({ spikeLimit: 0, tokenExpiresAfterRequests: 0, latencyMs: 0 });
		emu.reset();
		const PROJECT = 2001;
		const rl = (value) => ({ __rl: true, mode: 'id', value });
		const workflow = await mainRest(ownerCookie, 'POST', '/workflows', {
			name: 'Queue mode: photos from Procore',
			active: false,
			settings: { executionOrder: 'v1', saveDataSuccessExecution: 'all' },
			connections: {},
			nodes: [
				{
					id: 'b9d3c4a2-7e61-4f0a-8c55-1d2e3f4a5b6c',
					name: 'Procore Trigger',
					type: 'n8n-nodes-procore.procoreTrigger',
					typeVersion: 1,
					position: [0, 0],
					webhookId: 'd7e8f9a0-1b2c-4d3e-8f4a-5b6c7d8e9f01',
					parameters: {
						companyId: rl('1001'),
						projectId: rl(String(PROJECT)),
						resourceName: 'Images',
						events: ['create'],
						options: { fetchRecord: true },
					},
					credentials: { procoreOAuth2Api: { id: CREDENTIAL_ID, name: 'Procore (local emulator)' } },
				},
			],
		});
		const activated = await mainRest(ownerCookie, 'POST', `/workflows/${workflow.id}/activate`, { versionId: workflow.versionId });
		assert.equal(activated.active, true);
		await waitFor('the hook and its trigger', () => emu.webhooks.hooks(PROJECT).length === 1 && emu.webhooks.triggerRecords.size > 0, 60_000);
		const [hook] = emu.webhooks.hooks(PROJECT);
		assert.match(hook.destinationUrl, new RegExp(`^http://localhost:${webhookPort}/webhook/`), 'the hook does not name the webhook processor');

		const finishedBefore = workers.map((worker) => finishedBy(worker).length);
		// Three of the six events are delivered twice, as Procore may.
		emu.webhooks.duplicateNext(3);
		const photoIds = Array.from({ length: 6 }, (_, index) => emu.createImageAs({ filename: `queue-event-${index}.jpg`, size: 2048 }).id);
		await emu.webhooks.idle(30_000);
		const deliveries = emu.webhooks.deliveries();
		assert.equal(deliveries.length, 9);
		assert.deepEqual([...new Set(deliveries.map((delivery) => delivery.status))], ['successful']);

		const query = `SELECT id, status FROM execution_entity WHERE "workflowId" = '${workflow.id}' ORDER BY id`;
		await waitFor('six finished executions', () => {
			const rows = psql(query);
			return rows.length >= 6 && rows.every(([, status]) => !['new', 'running', 'waiting'].includes(status));
		}, 60_000);
		// Late repeats would show up a little later: give them the time.
		await new Promise((resolve) => setTimeout(resolve, 2000));
		const executions = psql(query);
		assert.equal(executions.length, 6, `${executions.length} executions for 6 events`);
		assert.deepEqual(executions.filter(([, status]) => status !== 'success'), []);
		const seen = [];
		for (const [id] of executions) {
			const execution = await mainRest(ownerCookie, 'GET', `/executions/${id}`);
			const items = flatted.parse(execution.data).resultData.runData['Procore Trigger'][0].data.main[0];
			assert.equal(items.length, 1);
			assert.equal(items[0].json.record.id, items[0].json.resource_id);
			seen.push(items[0].json.resource_id);
		}
		assert.deepEqual(seen.sort((a, b) => a - b), [...photoIds].sort((a, b) => a - b));
		// The workers ran them, not the webhook processor or the main process.
		const ranOnWorkers = workers.flatMap((worker, index) => finishedBy(worker).slice(finishedBefore[index]));
		for (const [id] of executions) assert.ok(ranOnWorkers.includes(id), `execution ${id} did not run on a worker`);

		await mainRest(ownerCookie, 'POST', `/workflows/${workflow.id}/deactivate`, {});
		await waitFor('the hook to go', () => emu.webhooks.hooks(PROJECT).length === 0, 30_000);
		assert.deepEqual([...emu.webhooks.triggerRecords.values()], []);
		assert.deepEqual(emu.errors, []);
	});
});
