// npm run bench: the Procore node against what a capable user builds from n8n's HTTP Request node,
// in a real n8n 2.41.1, against the emulator, alternating runs. Prints medians of n8n's own
// execution time (start to stop), peak memory of the n8n process, requests sent, ratios and the
// goal of each case (issue #12). Figures, not pass/fail: machines here are noisy.
//
//   npm run bench                  every case, 3 rounds (BENCH_ROUNDS=5 for more)
//   npm run bench -- --quick       1 round, the 200-photo and 300 MB cases left out
//   BENCH_CASES=latency,large      only these cases (latency, inline, large, memory, parallel, rate, warm, photos, burst)
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as lib from '../n8n/lib.mjs';
import { median, peakRss } from './measure.mjs';
import { benchCredentials, builtInDirectWorkflow, builtInInlineWorkflow, ourWorkflow, readOnlyWorkflow } from './workflows.mjs';

const QUICK = process.argv.includes('--quick');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3));
const ONLY = process.env.BENCH_CASES?.split(',');
const MB = 1024 * 1024;
const KB = 1024;
const LATENCY_MS = 80;

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


// ---------------------------------------------------------------- running
/** When each request was answered, besides when it arrived (the emulator logs arrivals only). */
function recordAnswers(emu) {
	const log = emu.logRequest.bind(emu);
	emu.logRequest = (record) => {
		let status = record.status;
		Object.defineProperty(record, 'status', {
			enumerable: true,
			get: () => status,
			set: (value) => {
				status = value;
				record.answeredAt ??= Date.now();
			},
		});
		log(record);
	};
}

function edgesOf(run, requests) {
	const startedAt = lib.storedTimeMs(run?.startedAt);
	const stoppedAt = lib.storedTimeMs(run?.stoppedAt);
	if (!requests.length || !Number.isFinite(startedAt)) return { beforeFirstMs: NaN, afterLastMs: NaN };
	const lastAnswer = Math.max(...requests.map((request) => request.answeredAt ?? request.at));
	return { beforeFirstMs: Math.min(...requests.map((request) => request.at)) - startedAt, afterLastMs: stoppedAt - lastAnswer };
}

async function execute(ctx, workflowId, extraEnv = {}) {
	ctx.emu.reset();
	const imagesBefore = ctx.emu.state.images.size;
	const { node } = lib.node24();
	const started = Date.now();
	// BENCH_CPU_PROF=<folder>: each n8n run writes a V8 CPU profile there (scripts/bench/cpu-profile.mjs sums it).
	const profiling = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=${workflowId}-${started}.cpuprofile`] : [];
	const child = spawn(node, [...profiling, join(ctx.n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'), 'execute', `--id=${workflowId}`, '--rawOutput'], {
		// The run is read back from n8n's database: `n8n execute` can exit before printing all of it.
		env: lib.n8nEnv(ctx.userFolder, {
			N8N_LOG_LEVEL: 'info',
			EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
			EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
			...(await lib.brokerPort()),
			...extraEnv,
		}),
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	ctx.child = child;
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
	const run = await lib.readLastRun(ctx.n8nDir, ctx.userFolder, workflowId);
	if (profiling.length) {
		// Beside the profile: when the execution ran, so that cpu-profile.mjs counts only its samples.
		writeFileSync(
			join(process.env.BENCH_CPU_PROF, `${workflowId}-${started}.run.json`),
			JSON.stringify({ startedAtMs: lib.storedTimeMs(run?.startedAt), stoppedAtMs: lib.storedTimeMs(run?.stoppedAt) }),
		);
	}
	const requests = ctx.emu.requests;
	const procore = requests.filter((request) => request.listener !== 'login');
	const times = procore.map((request) => request.at);
	const nodes = Object.fromEntries(
		Object.entries(run?.data?.resultData?.runData ?? {}).map(([name, runs]) => [name, { startTime: runs[0]?.startTime, executionTime: runs[0]?.executionTime }]),
	);
	return {
		code,
		wallMs,
		// n8n's own execution time: what the user sees in the executions list.
		executionMs: lib.executionMsOf(run),
		nodes,
		peakMb: peak,
		uploadMs: times.length ? Math.max(...times) - Math.min(...times) : 0,
		// What first→last hides: n8n's time from the run's start to the first request Procore sees
		// (other nodes, the node's own set-up), and from the last answer to the run's end.
		...edgesOf(run, procore),
		requests: procore.length,
		requestLog: procore.map((request) => ({ ...request, headers: undefined })),
		tokenRequests: requests.filter((request) => request.listener === 'login').length,
		apiRequests: requests.filter((request) => request.listener === 'api').length,
		rateLimited: requests.filter((request) => request.status === 429).length,
		images: ctx.emu.state.images.size - imagesBefore,
		earlyRequests: ctx.emu.stats.requestsBeforeReset,
	};
}

async function alternate(ctx, variants, rounds = ROUNDS) {
	const results = Object.fromEntries(variants.map(([name]) => [name, []]));
	for (let round = 0; round < rounds; round++) {
		for (const [name, workflowId, env] of round % 2 ? [...variants].reverse() : variants) {
			const result = await execute(ctx, workflowId, env);
			results[name].push(result);
			process.stderr.write(`  ${name}: execution ${(result.executionMs / 1000).toFixed(2)} s, ${result.images} images, peak ${result.peakMb.toFixed(0)} MB\n`);
		}
	}
	return Object.fromEntries(
		Object.entries(results).map(([name, runs]) => [
			name,
			{
				runs,
				executionS: median(runs.map((run) => run.executionMs)) / 1000,
				wallS: median(runs.map((run) => run.wallMs)) / 1000,
				uploadS: median(runs.map((run) => run.uploadMs)) / 1000,
				beforeFirstS: median(runs.map((run) => run.beforeFirstMs)) / 1000,
				afterLastS: median(runs.map((run) => run.afterLastMs)) / 1000,
				peakMb: median(runs.map((run) => run.peakMb)),
				requests: median(runs.map((run) => run.requests)),
				tokenRequests: Math.max(...runs.map((run) => run.tokenRequests)),
				images: median(runs.map((run) => run.images)),
				rateLimited: Math.max(...runs.map((run) => run.rateLimited)),
			},
		]),
	);
}

const fixed = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const verdict = (ok) => (ok ? 'met' : 'NOT MET');

/** A row per variant: n8n execution time and memory, and the ratio to the reference variant. */
function timeRows(results, reference, photos) {
	const referenceS = results[reference].executionS;
	return Object.entries(results).map(([name, m]) => ({
		variant: name,
		'execution s': fixed(m.executionS),
		'photos/s': fixed(photos / m.executionS, 1),
		'start→first request s': fixed(m.beforeFirstS),
		'first→last request s': fixed(m.uploadS),
		'last answer→stop s': fixed(m.afterLastS),
		'peak RSS MB': fixed(m.peakMb, 0),
		requests: m.requests,
		images: m.images,
		[`ratio vs ${reference}`]: fixed(m.executionS / referenceS),
	}));
}

// ---------------------------------------------------------------- main
const wanted = (name) => !ONLY || ONLY.includes(name);
console.log(`Preparing: n8n, the package, the emulator and the photos (${ROUNDS} round${ROUNDS > 1 ? 's' : ''}) ...`);
const n8nDir = lib.ensureN8n();
const tarball = lib.buildAndPack();
// The node's default Parallel Items, as built: the profile divides the node's time among the photos in flight.
const { DEFAULT_PARALLEL_ITEMS } = createRequire(import.meta.url)(join(lib.ROOT, 'dist', 'nodes', 'Procore', 'actions', 'common.descriptions.js'));
const emu = await lib.startEmulator({ latencyMs: LATENCY_MS });
recordAnswers(emu);
const userFolder = lib.makeUserFolder(tarball, 'procore-bench-');
const ctx = { n8nDir, userFolder, emu };
const work = mkdtempSync(join(tmpdir(), 'procore-bench-photos-'));
// Ctrl-C: the running n8n, the emulator and the temporary folders go too.
for (const signal of ['SIGINT', 'SIGTERM']) {
	process.once(signal, () => {
		ctx.child?.kill('SIGKILL');
		lib.removeFolder(userFolder);
		lib.removeFolder(work);
		void emu.close().finally(() => process.exit(130));
	});
}
const sets = {
	small20: { count: 20, size: 200 * KB },
	mid50: { count: 50, size: 2 * MB },
	small200: { count: 200, size: 200 * KB, skipQuick: true },
	rate100: { count: 100, size: 256 * KB },
	big50: { count: 1, size: 50 * MB },
	big300: { count: 1, size: 300_000_000, skipQuick: true },
};
// Only the photos the chosen cases use are written.
const setsOfCase = { latency: ['small20', 'mid50', 'small200'], inline: ['small20'], large: ['big50', 'big300'], memory: ['big50'], parallel: ['mid50'], rate: ['rate100'], warm: ['small20', 'mid50', 'big50'] };
const neededSets = new Set(Object.entries(setsOfCase).flatMap(([name, used]) => (!ONLY || ONLY.includes(name) ? used : [])));
const dirs = {};
for (const [name, set] of Object.entries(sets)) {
	if ((QUICK && set.skipQuick) || !neededSets.has(name)) continue;
	dirs[name] = join(work, name);
	mkdirSync(dirs[name]);
	for (let i = 0; i < set.count; i++) writePhoto(join(dirs[name], `${name}-${String(i).padStart(3, '0')}.jpg`), set.size);
}

await lib.importJson(n8nDir, userFolder, 'credentials', benchCredentials(emu));
const PARALLEL_CHOICES = QUICK ? [16, 64] : [16, 32, 64, 100];
const workflows = [];
for (const [name, dir] of Object.entries(dirs)) {
	workflows.push(
		ourWorkflow(`ours-${name}`, dir),
		ourWorkflow(`oursInline-${name}`, dir, undefined, 'inline'),
		builtInDirectWorkflow(`direct-${name}`, dir, emu.apiUrl),
		builtInInlineWorkflow(`multipart-${name}`, dir, emu.apiUrl),
		readOnlyWorkflow(`read-${name}`, dir),
	);
}
if (dirs.mid50) for (const parallel of PARALLEL_CHOICES) workflows.push(ourWorkflow(`ours-mid50-p${parallel}`, dirs.mid50, parallel));
if (dirs.rate100) workflows.push(ourWorkflow('ours-rate100-p4', dirs.rate100, 4));
await lib.importJson(n8nDir, userFolder, 'workflow', workflows.map((workflow) => ({ ...workflow, id: workflow.id.replace(/[^A-Za-z0-9]/g, '') })));
const id = (name) => name.replace(/[^A-Za-z0-9]/g, '');

/** Every goal of issue #12, as it is checked: printed at the end, met or not. */
const goals = [];
const report = {
	cases: [],
	// Each case's table is printed when it is done, so a long run shows its figures as it goes.
	push(...entries) {
		for (const { case: name, rows } of entries) {
			console.log(`\n${name}`);
			console.table(rows);
			this.cases.push({ case: name, rows });
		}
	},
};
/** Where the time of one photo goes, from the emulator's log of the node's requests (see profile()). */
let profileRows;

/** Per request kind: how long Procore took to answer, and the node's own time between requests. */
function profile(result, photos) {
	const kinds = {
		'Create Upload': (r) => r.listener === 'api' && /\/uploads$/.test(r.path),
		'storage POST': (r) => r.listener === 'storage' && r.method === 'POST',
		'Create Image': (r) => r.listener === 'api' && r.path === '/rest/v1.0/images',
	};
	const run = result.runs[Math.floor(result.runs.length / 2)];
	const node = run.nodes.Procore ?? {};
	const rows = Object.entries(kinds).map(([kind, test]) => {
		const requests = run.requestLog.filter(test);
		const durations = requests.filter((r) => r.answeredAt).map((r) => r.answeredAt - r.at);
		return { step: kind, requests: requests.length, 'median ms (80 ms latency included)': fixed(median(durations), 0) };
	});
	// The node's time per photo that is not waiting for Procore: reading the binary data (n8n's
	// helpers), sniffing the type, building the requests, n8n's request machinery.
	const answered = run.requestLog.filter((r) => r.answeredAt);
	const inFlightMs = answered.reduce((sum, r) => sum + (r.answeredAt - r.at), 0);
	// Each of the photos in flight had the node's whole time: per photo, worker time minus Procore's.
	const workerMs = (node.executionTime ?? NaN) * Math.min(DEFAULT_PARALLEL_ITEMS, photos);
	rows.push({
		step: 'node time per photo outside Procore (reading, sniffing, requests built and sent, waiting for a CPU)',
		requests: '-',
		'median ms (80 ms latency included)': fixed((workerMs - inFlightMs) / photos, 0),
	});
	rows.push({ step: 'Procore node, whole (n8n executionTime)', requests: run.requestLog.length, 'median ms (80 ms latency included)': fixed(node.executionTime, 0) });
	return rows;
}

try {
	if (wanted('large')) {
		for (const [set, label] of [
			['big50', 'one 50 MiB file'],
			['big300', 'one 300 MB file'],
		]) {
			if (!dirs[set]) continue;
			console.log(`\nLarge file on disk: ${label}, n8n binary data in filesystem mode`);
			emu.configure({ latencyMs: LATENCY_MS, spikeLimit: 0 });
			const fs = { N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem' };
			// Inline is compared at 50 MiB only: the goal is the same at any size, and 300 MB runs are long.
			const withInline = set === 'big50';
			const r = await alternate(ctx, [
				['read only (baseline)', id(`read-${set}`), fs],
				['node, Direct Upload', id(`ours-${set}`), fs],
				...(withInline ? [['node, Inline', id(`oursInline-${set}`), fs]] : []),
				['HTTP Request, direct upload', id(`direct-${set}`), fs],
				...(withInline ? [['HTTP Request, multipart', id(`multipart-${set}`), fs]] : []),
			]);
			const baseline = r['read only (baseline)'].peakMb;
			report.push({
				case: `large file on disk, ${label}`,
				rows: timeRows(r, 'HTTP Request, direct upload', 1).map((row) => ({ ...row, 'above baseline MB': fixed(Number(row['peak RSS MB']) - baseline, 0) })),
			});
			const above = r['node, Direct Upload'].peakMb - baseline;
			const ratio = r['node, Direct Upload'].executionS / r['HTTP Request, direct upload'].executionS;
			goals.push({ goal: `${label} on disk: Direct Upload peak ≤ reading alone + 32 MB`, measured: `+${fixed(above, 0)} MB`, result: verdict(above <= 32) });
			goals.push({ goal: `${label} on disk: Direct Upload execution ≤ 1.0 × HTTP Request direct upload`, measured: fixed(ratio), result: verdict(ratio <= 1.0) });
			if (!withInline) continue;
			const inlineRatio = r['node, Inline'].executionS / r['HTTP Request, multipart'].executionS;
			const inlineMemory = r['node, Inline'].peakMb - r['HTTP Request, multipart'].peakMb;
			goals.push({ goal: `${label} on disk: Inline execution ≤ 1.0 × HTTP Request multipart`, measured: fixed(inlineRatio), result: verdict(inlineRatio <= 1.0) });
			goals.push({ goal: `${label} on disk: Inline peak ≤ HTTP Request multipart's`, measured: `${inlineMemory >= 0 ? '+' : ''}${fixed(inlineMemory, 0)} MB`, result: verdict(inlineMemory <= 0) });
		}
	}
	if (wanted('memory') && dirs.big50) {
		console.log('\nIn-memory binary data (default mode): one 50 MiB file');
		emu.configure({ latencyMs: LATENCY_MS, spikeLimit: 0 });
		const memory = { N8N_DEFAULT_BINARY_DATA_MODE: 'default' };
		const r = await alternate(ctx, [
			['node, Direct Upload', id('ours-big50'), memory],
			['node, Inline', id('oursInline-big50'), memory],
			['HTTP Request, multipart', id('multipart-big50'), memory],
		]);
		report.push({ case: 'in-memory binary data, one 50 MiB file', rows: timeRows(r, 'HTTP Request, multipart', 1) });
		for (const variant of ['node, Direct Upload', 'node, Inline']) {
			const difference = r[variant].peakMb - r['HTTP Request, multipart'].peakMb;
			goals.push({ goal: `50 MiB in memory: ${variant} peak ≤ HTTP Request multipart's`, measured: `${difference >= 0 ? '+' : ''}${fixed(difference, 0)} MB`, result: verdict(difference <= 0) });
		}
	}
	if (wanted('inline') && dirs.small20) {
		console.log('\nInline: 20 photos of 200 KiB, image[data]');
		emu.configure({ latencyMs: LATENCY_MS, spikeLimit: 0 });
		const r = await alternate(ctx, [
			['node, Inline', id('oursInline-small20')],
			['HTTP Request, multipart', id('multipart-small20')],
		]);
		report.push({ case: 'inline, 20 photos of 200 KiB', rows: timeRows(r, 'HTTP Request, multipart', 20) });
		const ratio = r['node, Inline'].executionS / r['HTTP Request, multipart'].executionS;
		goals.push({ goal: 'Inline 20 × 200 KiB: execution ≤ 1.0 × HTTP Request multipart', measured: fixed(ratio), result: verdict(ratio <= 1.0) });
	}
	if (wanted('latency')) {
		for (const [set, label] of [
			['small20', '20 photos of 200 KiB'],
			['mid50', '50 photos of 2 MiB'],
			['small200', '200 photos of 200 KiB'],
		]) {
			if (!dirs[set]) continue;
			console.log(`\nLatency-bound: ${label}, Procore answering after ${LATENCY_MS} ms`);
			emu.configure({ latencyMs: LATENCY_MS, spikeLimit: 0 });
			const r = await alternate(ctx, [
				['node, Direct Upload', id(`ours-${set}`)],
				['HTTP Request, direct upload', id(`direct-${set}`)],
				['HTTP Request, multipart', id(`multipart-${set}`)],
			]);
			report.push({ case: `latency-bound, ${label}`, rows: timeRows(r, 'HTTP Request, direct upload', sets[set].count) });
			const ratio = r['node, Direct Upload'].executionS / r['HTTP Request, direct upload'].executionS;
			goals.push({ goal: `${label}: execution ≤ 0.8 × HTTP Request direct upload`, measured: fixed(ratio), result: verdict(ratio <= 0.8) });
			if (set === 'small20') {
				const vsMultipart = r['node, Direct Upload'].executionS / r['HTTP Request, multipart'].executionS;
				goals.push({ goal: `${label}: Direct Upload ≤ 1.0 × HTTP Request multipart`, measured: fixed(vsMultipart), result: verdict(vsMultipart <= 1.0) });
			}
			if (set === 'mid50') profileRows = profile(r['node, Direct Upload'], sets[set].count);
			const tokens = r['node, Direct Upload'].tokenRequests;
			if (tokens > 1) goals.push({ goal: `${label}: one token request per run`, measured: tokens, result: verdict(false) });
		}
	}
	if (wanted('parallel') && dirs.mid50) {
		console.log('\nParallel Items: 50 photos of 2 MiB, Procore answering after 80 ms');
		emu.configure({ latencyMs: LATENCY_MS, spikeLimit: 0 });
		// One round each (BENCH_PARALLEL_ROUNDS for more): this case picks the default, the latency cases check it.
		const r = await alternate(
			ctx,
			[...PARALLEL_CHOICES.map((parallel) => [`node, Parallel Items ${parallel}`, id(`ours-mid50-p${parallel}`)]), ['HTTP Request, direct upload', id('direct-mid50')]],
			Number(process.env.BENCH_PARALLEL_ROUNDS ?? 1),
		);
		report.push({ case: 'Parallel Items, 50 photos of 2 MiB', rows: timeRows(r, 'HTTP Request, direct upload', 50) });
	}
	if (wanted('rate') && dirs.rate100) {
		console.log('\nRate-bound: 100 photos, Procore limit 25 requests per 10 s');
		emu.configure({ latencyMs: 0, spikeLimit: 25, spikeWindowMs: 10_000 });
		const r = await alternate(ctx, [['node, Parallel Items default', id('ours-rate100')], ['node, Parallel Items 4', id('ours-rate100-p4')], ['HTTP Request, direct upload', id('direct-rate100')]], 1);
		const ceiling = ((25 / 10) * 60) / 2;
		report.push({ case: 'rate-bound, 100 photos, 25 requests per 10 s', rows: Object.entries(r).map(([name, m]) => ({ variant: name, images: m.images, 'first→last request s': fixed(m.uploadS, 1), 'photos/min': fixed(m.images / (m.uploadS / 60), 1), 'ceiling photos/min': ceiling, 'share of ceiling': `${fixed((m.images / (m.uploadS / 60) / ceiling) * 100, 0)}%`, '429 answers': m.rateLimited, requests: m.requests })) });
		const ours = r['node, Parallel Items default'];
		const share = ours.images / (ours.uploadS / 60) / ceiling;
		goals.push({ goal: 'rate-bound: ≥ 100 % of the ceiling, 0 answers of 429 (default Parallel Items)', measured: `${fixed(share * 100, 0)}%, ${ours.rateLimited} × 429`, result: verdict(share >= 1 && ours.rateLimited === 0 && ours.images === 100) });
	}
	if (wanted('warm') && (dirs.small20 || dirs.mid50 || dirs.big50)) {
		console.log(`\nIn a running n8n (warm): 20 × 200 KiB, 50 × 2 MiB and one 50 MiB file, Procore answering after ${LATENCY_MS} ms`);
		emu.configure({ latencyMs: LATENCY_MS, spikeLimit: 0 });
		const { warmBench, warmCases } = await import('./warm.mjs');
		const warm = await warmBench({ n8nDir, tarball, emu, cases: warmCases(dirs, emu.apiUrl), rounds: ROUNDS });
		report.push(...warm.tables);
		goals.push(...warm.goals);
	}
} finally {
	await emu.close();
	lib.removeFolder(userFolder);
	lib.removeFolder(work);
}
if (profileRows) {
	console.log('\nWhere the time of a photo goes (50 × 2 MiB, Direct Upload, median run)');
	console.table(profileRows);
}
console.log('\nGoals (issue #12)');
console.table(goals);
// Photos → Get Many and Download, and the Procore Trigger's burst, have benches of their own that
// start their own n8n (scripts/bench/photos.mjs, scripts/bench/burst.mjs); they run last.
if (wanted('photos')) await (await import('./photos.mjs')).photosBench({ n8nDir, tarball });
if (wanted('burst')) await (await import('./burst.mjs')).burstBench({ n8nDir, tarball });
