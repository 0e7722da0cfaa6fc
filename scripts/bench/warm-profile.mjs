// Where a running n8n's CPU goes for one workflow of the bench: n8n 2.41.1 started with a V8 CPU
// profile, the workflow started by a Webhook, 3 runs to warm up, then 12 measured runs; the
// profile is summed over the measured runs only, by package (scripts/bench/cpu-profile.mjs).
//
//   node scripts/bench/warm-profile.mjs [inline|direct|http-direct|http-multipart] [folder]
//
// 20 photos of 200 KiB, the emulator answering every request after 80 ms. The profiles stay in
// the folder (default: a new temporary one) for Chrome DevTools or speedscope.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as lib from '../n8n/lib.mjs';
import { summarize } from './cpu-profile.mjs';
import { benchSession } from './warm.mjs';
import { builtInDirectWorkflow, builtInInlineWorkflow, ourWorkflow } from './workflows.mjs';

const variant = process.argv[2] ?? 'inline';
const folder = process.argv[3] ?? mkdtempSync(join(tmpdir(), 'procore-warm-profile-'));
const RUNS = 12;

const n8nDir = lib.ensureN8n();
const tarball = lib.buildAndPack();
const emu = await lib.startEmulator({ latencyMs: 80 });
const photos = join(folder, 'photos');
mkdirSync(photos, { recursive: true });
for (let i = 0; i < 20; i++) {
	const bytes = randomBytes(200 * 1024);
	bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
	writeFileSync(join(photos, `photo-${i}.jpg`), bytes);
}
const workflows = {
	inline: () => ourWorkflow('profile', photos, undefined, 'inline'),
	direct: () => ourWorkflow('profile', photos),
	'http-direct': () => builtInDirectWorkflow('profile', photos, emu.apiUrl),
	'http-multipart': () => builtInInlineWorkflow('profile', photos, emu.apiUrl),
};
if (!workflows[variant]) throw new Error(`unknown variant ${variant}: one of ${Object.keys(workflows).join(', ')}`);

const userFolder = lib.makeUserFolder(tarball, 'procore-warm-profile-');
const profiles = join(folder, 'profiles');
const port = await lib.freePort();
const n8n = await lib.startN8n(n8nDir, userFolder, port, { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profiles}` });
try {
	// When the process started (the profile's start), from /proc: clock ticks since boot.
	const bootSeconds = Number(readFileSync('/proc/stat', 'utf8').match(/btime (\d+)/)[1]);
	const startTicks = Number(readFileSync(`/proc/${n8n.child.pid}/stat`, 'utf8').split(') ')[1].split(' ')[19]);
	const startedAt = bootSeconds * 1000 + startTicks * 10;

	const baseUrl = `http://127.0.0.1:${port}`;
	const { activate } = await benchSession(baseUrl, emu);
	const target = await activate(workflows[variant](), `profile-${variant}`);
	const run = async () => {
		const response = await fetch(target.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
		await response.text();
		return response.status;
	};
	// Warm-up; n8n registers the webhook a moment after the activation (404 until then).
	for (let ok = 0, deadline = Date.now() + 60_000; ok < 3 && Date.now() < deadline; ) {
		if ((await run()) === 200) ok++;
		else await new Promise((resolve) => setTimeout(resolve, 250));
	}
	const from = Date.now();
	const walls = [];
	for (let i = 0; i < RUNS; i++) {
		const sent = Date.now();
		const status = await run();
		if (status !== 200) throw new Error(`run ${i} answered ${status}`);
		walls.push(Date.now() - sent);
	}
	const to = Date.now();
	await lib.stopProcess(n8n.child);
	// n8n's main thread: the largest profile (its task runner and workers write their own).
	const file = readdirSync(profiles)
		.map((name) => join(profiles, name))
		.sort((a, b) => statSync(b).size - statSync(a).size)[0];
	const { busyMs, byOwner } = summarize(JSON.parse(readFileSync(file, 'utf8')), { from: from - startedAt, to: to - startedAt });
	const sorted = [...walls].sort((a, b) => a - b);
	console.log(`${variant}: ${RUNS} runs in a running n8n, median ${sorted[RUNS / 2]} ms per run (webhook call), on a CPU ${(busyMs / RUNS).toFixed(0)} ms per run`);
	console.table(
		[...byOwner]
			.filter(([owner, ms]) => owner !== '(idle)' && ms / RUNS >= 1)
			.sort((a, b) => b[1] - a[1])
			.map(([owner, ms]) => ({ owner, 'CPU ms per run': Math.round(ms / RUNS) })),
	);
	console.log(`profiles: ${profiles}`);
} finally {
	await lib.stopProcess(n8n.child);
	await emu.close();
	lib.removeFolder(userFolder);
}
