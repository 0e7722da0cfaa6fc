// npm run bench: the Procore node against what a capable user builds from n8n's HTTP Request node,
// in a real n8n 2.41.1, against the emulator, alternating runs. Prints medians, peak memory of
// the n8n process, requests sent and ratios. Figures, not pass/fail: machines here are noisy.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as lib from '../n8n/lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ONLY = process.env.BENCH_CASES?.split(',');
const MB = 1024 * 1024;

function writePhoto(path, size) {
	const fd = openSync(path, 'w');
	const head = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
	let written = 0;
	while (written < size) {
		const chunk = randomBytes(Math.min(4 * MB, size - written));
		if (written === 0) head.copy(chunk);
		writeSync(fd, chunk);
		written += chunk.length;
	}
	closeSync(fd);
}

const median = (values) => {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

// ---------------------------------------------------------------- workflows
const trigger = { id: 't', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };
const read = (dir) => ({ id: 'r', name: 'Read photos', type: 'n8n-nodes-base.readWriteFile', typeVersion: 1.1, position: [200, 0], parameters: { fileSelector: `${dir}/*.jpg`, options: {} } });
const chain = (...names) =>
	Object.fromEntries(names.slice(0, -1).map((name, index) => [name, { main: [[{ node: names[index + 1], type: 'main', index: 0 }]] }]));
const PROCORE_CREDENTIAL = { procoreOAuth2Api: { id: 'procoreEmulator1', name: 'Procore (local emulator)' } };
const GENERIC_CREDENTIAL = { oAuth2Api: { id: 'genericOAuth2', name: 'Procore via generic OAuth2' } };

function ourWorkflow(id, dir, parallelUploads) {
	return {
		id,
		name: id,
		nodes: [
			trigger,
			read(dir),
			{
				id: 'p',
				name: 'Procore',
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
					advancedOptions: { parallelUploads, maxWaitSeconds: 600 },
				},
				credentials: PROCORE_CREDENTIAL,
			},
		],
		connections: chain('Start', 'Read photos', 'Procore'),
		settings: { executionOrder: 'v1' },
	};
}

function httpNode(name, position, parameters, withAuth = true) {
	return {
		id: name,
		name,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position,
		parameters: {
			...(withAuth ? { authentication: 'genericCredentialType', genericAuthType: 'oAuth2Api' } : {}),
			...parameters,
			...(withAuth
				? { sendHeaders: true, headerParameters: { parameters: [{ name: 'Procore-Company-Id', value: '1001' }] } }
				: {}),
		},
		...(withAuth ? { credentials: GENERIC_CREDENTIAL } : {}),
	};
}

/** The three-request direct upload a capable user wires with HTTP Request and Merge nodes. */
function builtInDirectWorkflow(id, dir, apiUrl) {
	// Storage wants every field Procore returned; the HTTP Request node can only list fixed names,
	// so the user types the documented ones (docs/procore-api.md §7).
	const fields = ['key', 'Content-Type', 'Content-Disposition', 'policy', 'x-amz-credential', 'x-amz-algorithm', 'x-amz-date', 'x-amz-signature'];
	return {
		id,
		name: id,
		nodes: [
			trigger,
			read(dir),
			httpNode('Create upload', [400, 100], {
				method: 'POST',
				url: `${apiUrl}/rest/v1.0/projects/2001/uploads`,
				sendBody: true,
				specifyBody: 'json',
				jsonBody: '={{ JSON.stringify({ response_filename: $binary.data.fileName }) }}',
				options: {},
			}),
			{ id: 'm', name: 'Merge', type: 'n8n-nodes-base.merge', typeVersion: 3.2, position: [600, 0], parameters: { mode: 'combine', combineBy: 'combineByPosition', options: {} } },
			httpNode(
				'Send to storage',
				[800, 0],
				{
					method: 'POST',
					url: '={{ $json.url }}',
					sendBody: true,
					contentType: 'multipart-form-data',
					bodyParameters: {
						parameters: [
							...fields.map((name) => ({ name, value: `={{ $json.fields["${name}"] }}` })),
							{ parameterType: 'formBinaryData', name: 'file', inputDataFieldName: 'data' },
						],
					},
					options: {},
				},
				false,
			),
			httpNode('Create image', [1000, 0], {
				method: 'POST',
				url: `${apiUrl}/rest/v1.0/images?project_id=2001`,
				sendBody: true,
				specifyBody: 'json',
				jsonBody: "={{ JSON.stringify({ upload_uuid: $('Merge').item.json.uuid, image_name: $('Merge').item.binary.data.fileName, image: { image_category_id: 5002 } }) }}",
				options: {},
			}),
		],
		connections: {
			Start: { main: [[{ node: 'Read photos', type: 'main', index: 0 }]] },
			'Read photos': { main: [[{ node: 'Create upload', type: 'main', index: 0 }, { node: 'Merge', type: 'main', index: 0 }]] },
			'Create upload': { main: [[{ node: 'Merge', type: 'main', index: 1 }]] },
			...chain('Merge', 'Send to storage', 'Create image'),
		},
		settings: { executionOrder: 'v1' },
	};
}

/** The legacy one-request multipart upload with HTTP Request. */
function builtInInlineWorkflow(id, dir, apiUrl) {
	return {
		id,
		name: id,
		nodes: [
			trigger,
			read(dir),
			httpNode('Create image', [400, 0], {
				method: 'POST',
				url: `${apiUrl}/rest/v1.0/images?project_id=2001`,
				sendBody: true,
				contentType: 'multipart-form-data',
				bodyParameters: {
					parameters: [
						{ name: 'image[image_category_id]', value: '5002' },
						{ parameterType: 'formBinaryData', name: 'image[data]', inputDataFieldName: 'data' },
					],
				},
				options: {},
			}),
		],
		connections: chain('Start', 'Read photos', 'Create image'),
		settings: { executionOrder: 'v1' },
	};
}

/** Reading the file and doing nothing with it: n8n's own memory for the same file. */
function readOnlyWorkflow(id, dir) {
	return {
		id,
		name: id,
		nodes: [trigger, read(dir), { id: 'n', name: 'Nothing', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [400, 0], parameters: {} }],
		connections: chain('Start', 'Read photos', 'Nothing'),
		settings: { executionOrder: 'v1' },
	};
}

// ---------------------------------------------------------------- running
function peakRss(pid) {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		return Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0) / 1024;
	} catch {
		return undefined;
	}
}

async function execute(ctx, workflowId, extraEnv = {}) {
	ctx.emu.reset();
	const imagesBefore = ctx.emu.state.images.size;
	const { node } = lib.node24();
	const started = Date.now();
	const child = spawn(node, [join(ctx.n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'), 'execute', `--id=${workflowId}`, '--rawOutput'], {
		env: lib.n8nEnv(ctx.userFolder, { N8N_LOG_LEVEL: 'info', ...(await lib.brokerPort()), ...extraEnv }),
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let peak = 0;
	const sampler = setInterval(() => {
		peak = Math.max(peak, peakRss(child.pid) ?? 0);
	}, 50);
	let stdout = '';
	child.stdout.on('data', (chunk) => (stdout += chunk));
	child.stderr.on('data', () => {});
	const code = await new Promise((resolve) => child.on('close', resolve));
	clearInterval(sampler);
	const wallMs = Date.now() - started;
	if (code !== 0) process.stderr.write(`  n8n execute exited ${code}: ${stdout.slice(-600)}\n`);
	const requests = ctx.emu.requests;
	const procore = requests.filter((request) => request.listener !== 'login');
	const times = procore.map((request) => request.at);
	return {
		code,
		wallMs,
		peakMb: peak,
		uploadMs: times.length ? Math.max(...times) - Math.min(...times) : 0,
		requests: procore.length,
		apiRequests: requests.filter((request) => request.listener === 'api').length,
		rateLimited: requests.filter((request) => request.status === 429).length,
		images: ctx.emu.state.images.size - imagesBefore,
		earlyRequests: ctx.emu.stats.requestsBeforeReset,
		stdout,
	};
}

async function alternate(ctx, variants, rounds = ROUNDS) {
	const results = Object.fromEntries(variants.map(([name]) => [name, []]));
	for (let round = 0; round < rounds; round++) {
		for (const [name, workflowId, env] of round % 2 ? [...variants].reverse() : variants) {
			const result = await execute(ctx, workflowId, env);
			results[name].push(result);
			process.stderr.write(`  ${name}: ${(result.uploadMs / 1000).toFixed(2)} s, ${result.images} images, peak ${result.peakMb.toFixed(0)} MB\n`);
		}
	}
	return Object.fromEntries(
		Object.entries(results).map(([name, runs]) => [
			name,
			{
				wallS: median(runs.map((run) => run.wallMs)) / 1000,
				uploadS: median(runs.map((run) => run.uploadMs)) / 1000,
				peakMb: median(runs.map((run) => run.peakMb)),
				requests: median(runs.map((run) => run.requests)),
				images: median(runs.map((run) => run.images)),
				rateLimited: median(runs.map((run) => run.rateLimited)),
			},
		]),
	);
}

// ---------------------------------------------------------------- main
const wanted = (name) => !ONLY || ONLY.includes(name);
console.log('Preparing: n8n, the package, the emulator and the photos ...');
const n8nDir = lib.ensureN8n();
const tarball = lib.buildAndPack();
const emu = await lib.startEmulator({ latencyMs: 80 });
const userFolder = lib.makeUserFolder(tarball, 'procore-bench-');
const ctx = { n8nDir, userFolder, emu };
const work = mkdtempSync(join(tmpdir(), 'procore-bench-photos-'));
const dir50 = join(work, 'fifty');
const dir100 = join(work, 'hundred');
const dir300 = join(work, 'large');
for (const dir of [dir50, dir100, dir300]) (await import('node:fs')).mkdirSync(dir);
for (let i = 0; i < 50; i++) writePhoto(join(dir50, `photo-${String(i).padStart(2, '0')}.jpg`), 2 * MB);
for (let i = 0; i < 100; i++) writePhoto(join(dir100, `site-${String(i).padStart(3, '0')}.jpg`), 256 * 1024);
writePhoto(join(dir300, 'orthomosaic.jpg'), 300 * MB);

await lib.importJson(n8nDir, userFolder, 'credentials', [
	lib.emulatorCredential(emu),
	{
		id: 'genericOAuth2',
		name: 'Procore via generic OAuth2',
		type: 'oAuth2Api',
		data: { grantType: 'clientCredentials', accessTokenUrl: `${emu.loginUrl}/oauth/token`, clientId: emu.clientId, clientSecret: emu.clientSecret, scope: '', authentication: 'body' },
	},
]);
const workflows = [
	ourWorkflow('benchOurs50p1', dir50, 1),
	ourWorkflow('benchOurs50p4', dir50, 4),
	ourWorkflow('benchOurs50p8', dir50, 8),
	ourWorkflow('benchOurs50p16', dir50, 16),
	builtInDirectWorkflow('benchDirect50', dir50, emu.apiUrl),
	builtInInlineWorkflow('benchInline50', dir50, emu.apiUrl),
	ourWorkflow('benchOurs300', dir300, 1),
	builtInDirectWorkflow('benchDirect300', dir300, emu.apiUrl),
	readOnlyWorkflow('benchRead300', dir300),
	ourWorkflow('benchOursRate', dir100, 4),
	builtInDirectWorkflow('benchDirectRate', dir100, emu.apiUrl),
];
await lib.importJson(n8nDir, userFolder, 'workflow', workflows);

const report = [];
try {
	if (wanted('latency')) {
		console.log('\nCase 1: 50 photos of 2 MB, emulator latency 80 ms per request');
		emu.configure({ latencyMs: 80, spikeLimit: 0 });
		const r = await alternate(ctx, [
			['node, Parallel Uploads 1', 'benchOurs50p1'],
			['node, Parallel Uploads 4', 'benchOurs50p4'],
			['node, Parallel Uploads 8', 'benchOurs50p8'],
			['node, Parallel Uploads 16', 'benchOurs50p16'],
			['HTTP Request, direct upload', 'benchDirect50'],
			['HTTP Request, multipart image[data]', 'benchInline50'],
		]);
		const builtIn = r['HTTP Request, direct upload'].uploadS;
		report.push({ case: 'latency-bound', rows: Object.entries(r).map(([name, m]) => ({ variant: name, 'median upload s': m.uploadS.toFixed(2), 'photos/s': (50 / m.uploadS).toFixed(1), 'median wall s': m.wallS.toFixed(1), 'peak RSS MB': m.peakMb.toFixed(0), requests: m.requests, images: m.images, 'ratio vs HTTP direct': (m.uploadS / builtIn).toFixed(2) })) });
	}
	if (wanted('large')) {
		console.log('\nCase 2: one 300 MB file, n8n binary data on disk (filesystem mode)');
		emu.configure({ latencyMs: 80, spikeLimit: 0 });
		const fs = { N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem' };
		const r = await alternate(ctx, [
			['read only (baseline)', 'benchRead300', fs],
			['node, direct upload', 'benchOurs300', fs],
			['HTTP Request, direct upload', 'benchDirect300', fs],
		]);
		const baseline = r['read only (baseline)'].peakMb;
		report.push({ case: 'large file', rows: Object.entries(r).map(([name, m]) => ({ variant: name, 'median wall s': m.wallS.toFixed(1), 'median upload s': m.uploadS.toFixed(2), 'peak RSS MB': m.peakMb.toFixed(0), 'above baseline MB': (m.peakMb - baseline).toFixed(0), requests: m.requests, images: m.images, 'ratio vs HTTP direct': (m.uploadS / (r['HTTP Request, direct upload'].uploadS || 1)).toFixed(2) })) });
	}
	if (wanted('rate')) {
		console.log('\nCase 3: 100 photos, Procore limit 25 requests per 10 s');
		emu.configure({ latencyMs: 0, spikeLimit: 25, spikeWindowMs: 10_000 });
		const r = await alternate(ctx, [['node, Parallel Uploads 4', 'benchOursRate'], ['HTTP Request, direct upload', 'benchDirectRate']], 1);
		const ceiling = ((25 / 10) * 60) / 2;
		report.push({ case: 'rate-bound', rows: Object.entries(r).map(([name, m]) => ({ variant: name, images: m.images, 'upload s': m.uploadS.toFixed(1), 'photos/min': (m.images / (m.uploadS / 60)).toFixed(1), 'ceiling photos/min': ceiling, 'share of ceiling': `${((m.images / (m.uploadS / 60) / ceiling) * 100).toFixed(0)}%`, '429 answers': m.rateLimited, requests: m.requests })) });
	}
} finally {
	await emu.close();
	lib.removeFolder(userFolder);
	lib.removeFolder(work);
}
for (const { case: name, rows } of report) {
	console.log(`\n${name}`);
	console.table(rows);
}
if (wanted('photos')) await (await import('./photos.mjs')).photosBench({ n8nDir, tarball });
