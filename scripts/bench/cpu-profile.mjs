// Where an n8n run spends its CPU: sums the self time of a V8 CPU profile (node --cpu-prof, written
// by `BENCH_CPU_PROF=<folder> npm run bench`) by who owns the code, and lists the hottest functions.
//
//   node scripts/bench/cpu-profile.mjs <file.cpuprofile> [more files...]   one table per file
//
// The bench writes `<workflow>-<spawn time>.cpuprofile` and, beside it, `.run.json` with the run's
// startedAt and stoppedAt: only the samples of the workflow's execution are counted then (n8n's
// start-up, several seconds, is left out; the window is good to the few ms between spawning n8n and
// V8 starting its profile). Owners are npm packages by the last node_modules/ of the code's path;
// "(idle)" is the process waiting for the network or the disk.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

const PACKAGE_OF_URL = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//;

function ownerOf(node) {
	const { url, functionName } = node.callFrame;
	if (!url) return functionName.startsWith('(') ? functionName : 'Node.js native code';
	if (/^node:|^internal\//.test(url)) return 'Node.js itself';
	const owner = url.match(PACKAGE_OF_URL)?.[1];
	if (owner === 'n8n-nodes-procore') return 'n8n-nodes-procore (this package)';
	return owner ?? 'other';
}

/** `window`: from and to in ms since the profile started; samples outside it are not counted. */
export function summarize(profile, window = { from: -Infinity, to: Infinity }) {
	const selfMs = new Map(profile.nodes.map((node) => [node.id, 0]));
	// timeDeltas[i] is the time before samples[i]: that time belongs to the sampled node.
	let at = 0;
	profile.samples.forEach((id, index) => {
		const delta = (profile.timeDeltas[index] ?? 0) / 1000;
		at += delta;
		if (at >= window.from && at <= window.to) selfMs.set(id, selfMs.get(id) + delta);
	});
	const byOwner = new Map();
	const byFunction = new Map();
	for (const node of profile.nodes) {
		const ms = selfMs.get(node.id);
		if (!ms) continue;
		const owner = ownerOf(node);
		byOwner.set(owner, (byOwner.get(owner) ?? 0) + ms);
		const { functionName, url, lineNumber } = node.callFrame;
		const where = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\//, '')}:${lineNumber + 1}` : '';
		const key = `${functionName || '(anonymous)'} ${where}`.trim();
		byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
	}
	const totalMs = [...byOwner.values()].reduce((sum, ms) => sum + ms, 0);
	const busyMs = totalMs - (byOwner.get('(idle)') ?? 0);
	return { totalMs, busyMs, byOwner, byFunction };
}

if (import.meta.url === `file://${process.argv[1]}`) {
	for (const file of process.argv.slice(2)) {
		const spawnedAt = Number(basename(file).match(/-(\d+)\.cpuprofile$/)?.[1]);
		const sidecar = file.replace(/\.cpuprofile$/, '.run.json');
		let window;
		if (existsSync(sidecar) && spawnedAt) {
			const run = JSON.parse(readFileSync(sidecar, 'utf8'));
			window = { from: run.startedAtMs - spawnedAt, to: run.stoppedAtMs - spawnedAt };
		}
		const { totalMs, busyMs, byOwner, byFunction } = summarize(JSON.parse(readFileSync(file, 'utf8')), window);
		const scope = window ? `the execution (${((window.to - window.from) / 1000).toFixed(2)} s)` : 'the whole process';
		console.log(`\n${basename(file)}, ${scope}: ${(totalMs / 1000).toFixed(2)} s profiled, ${(busyMs / 1000).toFixed(2)} s on a CPU`);
		console.table(
			[...byOwner]
				.sort((a, b) => b[1] - a[1])
				.filter(([, ms]) => ms >= 1)
				.map(([owner, ms]) => ({ owner, 'self ms': Math.round(ms), 'share of CPU time': owner === '(idle)' ? '' : `${((ms / busyMs) * 100).toFixed(1)} %` })),
		);
		console.table(
			[...byFunction]
				.filter(([name]) => !name.startsWith('(idle)'))
				.sort((a, b) => b[1] - a[1])
				.slice(0, 25)
				.map(([fn, ms]) => ({ function: fn.slice(0, 140), 'self ms': Math.round(ms) })),
		);
	}
}
