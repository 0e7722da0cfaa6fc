// Photos bench (issue #10): reading photos out of Procore with the node, side by side with what a
// capable user builds from n8n's HTTP Request node, in a real n8n 2.41.1 against the emulator
// answering every request after 80 ms, alternating runs, medians.
//   - Get Many, Return All over an album of 5,000 photos (the node, against HTTP Request with its
//     pagination option on page/per_page);
//   - Download of 50 photos of 2 MB in filesystem mode (the node, against HTTP Request GET of the
//     record, then GET of its file link with the credential), and reading the same 50 files from
//     disk as the memory baseline.
// Run alone: `node scripts/bench/photos.mjs` (or `BENCH_CASES=photos npm run bench`); `npm run bench`
// runs it at its end. BENCH_ROUNDS (default 3) as in bench.mjs; PHOTOS_CASES=list or =download runs
// one case. Figures, not pass/fail.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as lib from '../n8n/lib.mjs';
import { median, peakRss } from './measure.mjs';
import { benchCredentials, httpNode, linearWorkflow as workflow, MANUAL_START, PROCORE_CREDENTIAL, readPhotosNode } from './workflows.mjs';

const MB = 1024 * 1024;
const LIST_PHOTOS = 5_000;
const DOWNLOADS = 50;
const DOWNLOAD_BYTES = 2 * MB;
const LATENCY_MS = 80;
const LIST_ALBUM = 5003; // Safety Walks (seeded, test/emulator/README.md)
const DOWNLOAD_ALBUM = 5002; // Site Progress
/** Both sides ask for pages of 100, the node's page size (nodes/Procore/actions/image/getMany.operation.ts). */
const PER_PAGE = 100;

// ---------------------------------------------------------------- workflows

function procore(name, position, parameters) {
	return {
		id: name,
		name,
		type: lib.NODE_TYPE,
		typeVersion: 1,
		position,
		parameters: {
			resource: 'image',
			companyId: { __rl: true, mode: 'id', value: '1001' },
			projectId: { __rl: true, mode: 'id', value: '2001' },
			...parameters,
		},
		credentials: PROCORE_CREDENTIAL,
	};
}

/** The photo IDs to download, as items `{ id }` (Edit Fields + Split Out, no Code node). */
function idItems(ids) {
	return [
		{ id: 'ids', name: 'Photo IDs', type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [200, 0], parameters: { mode: 'raw', jsonOutput: JSON.stringify({ id: ids }), options: {} } },
		{ id: 'split', name: 'One item per photo', type: 'n8n-nodes-base.splitOut', typeVersion: 1, position: [400, 0], parameters: { fieldToSplitOut: 'id', options: {} } },
	];
}

const nodeList = () =>
	workflow('benchPhotosListNode', [
		MANUAL_START,
		procore('List album', [200, 0], {
			operation: 'getMany',
			returnAll: true,
			filters: { albumId: { __rl: true, mode: 'id', value: String(LIST_ALBUM) } },
			options: { sort: 'created_at' },
		}),
	]);

const httpList = (apiUrl) =>
	workflow('benchPhotosListHttp', [
		MANUAL_START,
		httpNode('List album', [200, 0], {
			method: 'GET',
			url: `${apiUrl}/rest/v1.0/images`,
			sendQuery: true,
			queryParameters: {
				parameters: [
					{ name: 'project_id', value: '2001' },
					{ name: 'image_category_id', value: String(LIST_ALBUM) },
					{ name: 'sort', value: 'created_at' },
					{ name: 'per_page', value: String(PER_PAGE) },
				],
			},
			options: {
				pagination: {
					pagination: {
						paginationMode: 'updateAParameterInEachRequest',
						parameters: { parameters: [{ type: 'qs', name: 'page', value: '={{ $pageCount + 1 }}' }] },
						paginationCompleteWhen: 'other',
						// A short page is the last one: no extra request for an empty page.
						completeExpression: `={{ $response.body.length < ${PER_PAGE} }}`,
					},
				},
			},
		}),
	]);

/** The node's Download; `parallelUploads` undefined: its default Parallel Items. */
const nodeDownload = (ids, parallelUploads) =>
	workflow(parallelUploads ? `benchPhotosDlNodeP${parallelUploads}` : 'benchPhotosDlNode', [
		MANUAL_START,
		...idItems(ids),
		procore('Download', [600, 0], {
			operation: 'download',
			imageId: { __rl: true, mode: 'id', value: '={{ $json.id }}' },
			size: 'original',
			binaryPropertyName: 'data',
			advancedOptions: parallelUploads ? { parallelUploads } : {},
		}),
	]);

/**
 * The obvious two requests: the record, then its file link with the credential. The file link wants
 * the Bearer token and redirects to storage, which refuses any Authorization header (docs/procore-api.md
 * §11 "Downloading a photo"); n8n's HTTP Request node keeps the OAuth2 token on the redirect, so
 * every file fails with 400. Run once, to show it.
 */
const httpDownloadNaive = (ids, apiUrl) =>
	workflow('benchPhotosDlHttpN', [
		MANUAL_START,
		...idItems(ids),
		httpNode('Get record', [600, 0], { method: 'GET', url: `=${apiUrl}/rest/v1.0/images/{{ $json.id }}?project_id=2001`, options: {} }),
		httpNode('Get file', [800, 0], { method: 'GET', url: '={{ $json.url }}', options: { response: { response: { responseFormat: 'file' } } } }),
	]);

/**
 * What works with HTTP Request: the record; its file link with the credential and redirects off,
 * keeping the answer's headers; then the storage address of the redirect, with no credential.
 */
const httpDownload = (ids, apiUrl) =>
	workflow('benchPhotosDlHttp', [
		MANUAL_START,
		...idItems(ids),
		httpNode('Get record', [600, 0], { method: 'GET', url: `=${apiUrl}/rest/v1.0/images/{{ $json.id }}?project_id=2001`, options: {} }),
		httpNode('Get file link', [800, 0], {
			method: 'GET',
			url: '={{ $json.url }}',
			options: { redirect: { redirect: { followRedirects: false } }, response: { response: { fullResponse: true, neverError: true } } },
		}),
		{
			id: 'Get file',
			name: 'Get file',
			type: 'n8n-nodes-base.httpRequest',
			typeVersion: 4.2,
			position: [1000, 0],
			parameters: { method: 'GET', url: '={{ $json.headers.location }}', options: { response: { response: { responseFormat: 'file' } } } },
		},
	]);

const readBaseline = (dir) =>
	workflow('benchPhotosRead', [
		MANUAL_START,
		readPhotosNode(dir),
	]);

// ---------------------------------------------------------------- running
/**
 * `n8n execute` of one workflow: n8n's own execution time (startedAt → stoppedAt of the run data),
 * the time of the nodes doing the work, the process's peak memory. The run data goes to a file, not
 * a pipe: printed to a pipe, a large result comes out cut off.
 */
async function execute(ctx, workflowId, workNodes, env) {
	ctx.emu.reset();
	const { node } = lib.node24();
	const outFile = join(ctx.work, `${workflowId}.out.json`);
	const out = openSync(outFile, 'w');
	const started = Date.now();
	const child = spawn(node, [join(ctx.n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'), 'execute', `--id=${workflowId}`, '--rawOutput'], {
		// The run is read back from n8n's database: `n8n execute` can exit before printing all of it.
		env: lib.n8nEnv(ctx.userFolder, {
			N8N_LOG_LEVEL: 'info',
			N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem',
			EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
			EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
			...(await lib.brokerPort()),
			...env,
		}),
		stdio: ['ignore', out, 'ignore'],
	});
	lib.trackProcess(child);
	let peak = 0;
	const sampler = setInterval(() => (peak = Math.max(peak, peakRss(child.pid) ?? 0)), 50);
	const code = await new Promise((resolve) => child.on('close', resolve));
	clearInterval(sampler);
	closeSync(out);
	const wallMs = Date.now() - started;
	const text = readFileSync(outFile, 'utf8');
	const data = await lib.readLastRun(ctx.n8nDir, ctx.userFolder, workflowId);
	const runData = data?.data?.resultData?.runData ?? {};
	const last = workNodes[workNodes.length - 1];
	const failed = code !== 0 || !data || data.data?.resultData?.error;
	if (failed) process.stderr.write(`  ${workflowId}: n8n execute exited ${code}: ${(data?.data?.resultData?.error?.message ?? text.slice(-600)).slice(0, 600)}\n`);
	return {
		ok: !failed,
		wallMs,
		executionMs: lib.executionMsOf(data),
		workMs: workNodes.reduce((sum, name) => sum + (runData[name]?.[0]?.executionTime ?? NaN), 0),
		peakMb: peak,
		items: lib.nodeOutput(data, last).length,
		requests: ctx.emu.requests.filter((request) => request.listener !== 'login').length,
		storageAuthorized: ctx.emu.requests.filter((request) => request.listener === 'storage' && request.headers.authorization).length,
	};
}

async function alternate(ctx, variants, rounds) {
	const results = Object.fromEntries(variants.map(({ name }) => [name, []]));
	for (let round = 0; round < rounds; round++) {
		for (const variant of round % 2 ? [...variants].reverse() : variants) {
			const result = await execute(ctx, variant.id, variant.workNodes ?? [], variant.env);
			results[variant.name].push(result);
			process.stderr.write(
				`  ${variant.name}: execution ${(result.executionMs / 1000).toFixed(2)} s, ${result.items} items, peak ${result.peakMb.toFixed(0)} MB\n`,
			);
		}
	}
	return Object.fromEntries(
		Object.entries(results).map(([name, runs]) => [
			name,
			{
				ok: runs.every((run) => run.ok),
				executionS: median(runs.map((run) => run.executionMs)) / 1000,
				workS: median(runs.map((run) => run.workMs)) / 1000,
				wallS: median(runs.map((run) => run.wallMs)) / 1000,
				peakMb: median(runs.map((run) => run.peakMb)),
				items: median(runs.map((run) => run.items)),
				requests: median(runs.map((run) => run.requests)),
				storageAuthorized: Math.max(...runs.map((run) => run.storageAuthorized)),
			},
		]),
	);
}

/**
 * The photos bench. `n8nDir` and `tarball` may come from bench.mjs (already installed and packed);
 * otherwise they are made here. Returns the report rows and prints them.
 */
export async function photosBench({ n8nDir = lib.ensureN8n(), tarball = lib.buildAndPack(), rounds = Number(process.env.BENCH_ROUNDS ?? 3) } = {}) {
	console.log(`\nPhotos: Get Many over ${LIST_PHOTOS} photos, Download of ${DOWNLOADS} × 2 MB; emulator latency ${LATENCY_MS} ms per request`);
	// 2 MB photos keep their bytes in the emulator's memory (its default keeps up to 1 MiB).
	const emu = await lib.startEmulator({ latencyMs: LATENCY_MS, keepBytesUpTo: 3 * MB });
	const userFolder = lib.makeUserFolder(tarball, 'procore-bench-photos-');
	const work = lib.temporaryFolder('procore-bench-photos-files-');
	const ctx = { n8nDir, userFolder, emu, work };
	try {
		// The same bytes on disk (for the baseline) and in "Procore" (for the downloads).
		const diskDir = join(work, 'photos');
		mkdirSync(diskDir);
		const downloadIds = [];
		for (let i = 0; i < DOWNLOADS; i++) {
			const bytes = randomBytes(DOWNLOAD_BYTES);
			bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
			const filename = `progress-${String(i).padStart(2, '0')}.jpg`;
			writeFileSync(join(diskDir, filename), bytes);
			downloadIds.push(emu.createImageAs({ albumId: DOWNLOAD_ALBUM, filename, bytes }).id);
		}
		for (let i = 0; i < LIST_PHOTOS; i++) {
			emu.createImageAs({ albumId: LIST_ALBUM, filename: `walk-${String(i).padStart(4, '0')}.jpg`, size: 64 });
		}

		await lib.importJson(n8nDir, userFolder, 'credentials', benchCredentials(emu));
		await lib.importJson(n8nDir, userFolder, 'workflow', [
			nodeList(),
			httpList(emu.apiUrl),
			nodeDownload(downloadIds),
			nodeDownload(downloadIds, 16),
			httpDownload(downloadIds, emu.apiUrl),
			httpDownloadNaive(downloadIds, emu.apiUrl),
			readBaseline(diskDir),
		]);

		const cases = process.env.PHOTOS_CASES?.split(',') ?? ['list', 'download'];
		const list = !cases.includes('list') ? {} : await alternate(
			ctx,
			[
				{ name: 'node, Get Many, Return All', id: 'benchPhotosListNode', workNodes: ['List album'] },
				{ name: 'HTTP Request, pagination', id: 'benchPhotosListHttp', workNodes: ['List album'] },
			],
			rounds,
		);
		const download = !cases.includes('download') ? {} : await alternate(
			ctx,
			[
				{ name: 'reading the 50 files from disk (baseline)', id: 'benchPhotosRead', workNodes: ['Read photos'] },
				{ name: 'node, Download (default Parallel Items, 64)', id: 'benchPhotosDlNode', workNodes: ['Download'] },
				{ name: 'node, Download (Parallel Items 16)', id: 'benchPhotosDlNodeP16', workNodes: ['Download'] },
				{ name: 'HTTP Request, record, link, storage', id: 'benchPhotosDlHttp', workNodes: ['Get record', 'Get file link', 'Get file'] },
			],
			rounds,
		);
		if (cases.includes('download')) Object.assign(
			download,
			await alternate(ctx, [{ name: 'HTTP Request, record then link (fails)', id: 'benchPhotosDlHttpN', workNodes: ['Get record', 'Get file'] }], 1),
		);

		const listBase = list['HTTP Request, pagination']?.executionS;
		const listRows = Object.entries(list).map(([variant, m]) => ({
			variant,
			ok: m.ok ? 'yes' : 'NO',
			items: m.items,
			requests: m.requests,
			'execution s': m.executionS.toFixed(2),
			'node s': m.workS.toFixed(2),
			'wall s': m.wallS.toFixed(1),
			'peak RSS MB': m.peakMb.toFixed(0),
			'time ratio vs HTTP Request': (m.executionS / listBase).toFixed(2),
		}));
		const downloadBase = download['HTTP Request, record, link, storage']?.executionS;
		const readMb = download['reading the 50 files from disk (baseline)']?.peakMb;
		const downloadRows = Object.entries(download).map(([variant, m]) => ({
			variant,
			ok: m.ok ? 'yes' : 'NO',
			items: m.items,
			requests: m.requests,
			'execution s': m.executionS.toFixed(2),
			'node s': m.workS.toFixed(2),
			'wall s': m.wallS.toFixed(1),
			'peak RSS MB': m.peakMb.toFixed(0),
			'above reading MB': (m.peakMb - readMb).toFixed(0),
			'time ratio vs HTTP Request': variant.startsWith('reading') || !m.ok ? '-' : (m.executionS / downloadBase).toFixed(2),
			'token sent to storage': m.storageAuthorized,
		}));
		if (listRows.length) {
			console.log(`\nphotos: Get Many, Return All, album of ${LIST_PHOTOS} (pages of ${PER_PAGE})`);
			console.table(listRows);
		}
		if (downloadRows.length) {
			console.log(`\nphotos: Download ${DOWNLOADS} × 2 MB, binary data on disk (filesystem mode)`);
			console.table(downloadRows);
		}
		console.log('Goals: time ratio ≤ 1.00; Download at most 50 MB above reading the files alone.');
		return { listRows, downloadRows };
	} finally {
		await emu.close();
		lib.removeFolder(userFolder);
		lib.removeFolder(work);
	}
}

// Alone: node scripts/bench/photos.mjs
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
	lib.removeTemporaryOnSignals();
	await photosBench();
	process.exit(0);
}
