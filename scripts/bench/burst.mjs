// Burst bench (issue #11): a burst of webhook deliveries into the Procore Trigger in a real n8n
// 2.41.1 started as a server (`n8n start`), with the package installed from its tarball and the
// trigger's workflow activated through n8n's REST API against the emulator.
//   - 200 events, one for each of 200 photos made in the emulator beforehand, sent over 10 s;
//   - 100 events of which 25 are delivered twice (same `id` and `ulid`, as Procore may:
//     docs/procore-api.md §8 "Events can be duplicated"), 13 copies 5 ms after the first delivery
//     (both in flight at once), 12 copies 3 s later.
// Every delivery is a POST with the hook's destination headers (its Authorization) and the body
// Procore sends for a v2 hook, built by the emulator's own payload code (test/emulator/README.md
// "Webhooks"), on a fresh connection. Deliveries go out on their schedule whatever the earlier ones'
// answers: more at once than a sender that waits for each answer. "Fetch the Record" is on, the
// realistic case: each execution reads its photo from Procore after the answer. The workflow then
// posts the photo ID it got to this script (an HTTP Request node), which is how executions and
// their photos are counted: lost = an event without an execution, duplicated = a photo twice.
// An answer is the time from the POST to its status line; Procore wants a 2xx within 5 s
// (docs/procore-api.md §11). Goal: slowest answer under 1 s.
// Each case runs twice: with n8n saving every successful execution (its default) and with the
// workflow setting "Save Successful Production Executions" off, and the same burst goes into n8n's
// own Webhook node, without and with a Header Auth credential checking the Authorization header, as
// the baseline of what n8n does on this machine. Figures, not pass/fail.
//   node scripts/bench/burst.mjs                  every case
//   BURST_EVENTS=50 node scripts/bench/burst.mjs  smaller bursts (BURST_SECONDS=30: spread wider;
//                                                 BURST_FETCH_RECORD=false: without reading the record)
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

import * as lib from '../n8n/lib.mjs';
import { median } from './measure.mjs';

const PROJECT = 2001;
const EVENTS = Number(process.env.BURST_EVENTS ?? 200);
const SPREAD_MS = Number(process.env.BURST_SECONDS ?? 10) * 1000;
const DUPLICATE_RUN_EVENTS = Math.ceil(EVENTS / 2);
const DUPLICATED = Math.ceil(DUPLICATE_RUN_EVENTS / 4);
const LATE_COPY_MS = 3_000;
const GOAL_MS = 1_000;
/** BURST_FETCH_RECORD=false turns "Fetch the Record" off, to see what reading the record costs. */
const FETCH_RECORD = process.env.BURST_FETCH_RECORD !== 'false';
/** Procore fails a delivery not answered 2xx within 5 s (docs/procore-api.md §11). */
const PROCORE_TIMEOUT_MS = 5_000;

const sleep = (ms) => new Promise((resolvePromise) => setTimeout(resolvePromise, Math.max(0, ms)));

/** A ULID-shaped id (26 Crockford base-32 characters, time first), as Procore's deliveries carry. */
function newUlid(ms) {
	const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
	let time = '';
	for (let rest = ms, i = 0; i < 10; i++, rest = Math.floor(rest / 32)) time = alphabet[rest % 32] + time;
	return time + Array.from(randomBytes(16), (byte) => alphabet[byte % 32]).join('');
}

/**
 * One delivery as Procore makes it: POST, JSON, the hook's headers, a fresh connection, given up
 * after 5 s. Resolves with the status (0: no answer) and the time to the status line.
 */
function deliver(url, headers, payload) {
	const body = Buffer.from(JSON.stringify(payload));
	const started = performance.now();
	return new Promise((resolvePromise) => {
		const request = http.request(url, {
			method: 'POST',
			agent: false,
			headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(body.length), 'User-Agent': 'Procore-Webhooks (burst bench)', Connection: 'close' },
		});
		const timer = setTimeout(() => request.destroy(new Error(`no answer within ${PROCORE_TIMEOUT_MS / 1000} s`)), PROCORE_TIMEOUT_MS);
		request.on('response', (response) => {
			clearTimeout(timer);
			response.resume();
			resolvePromise({ status: response.statusCode ?? 0, ms: performance.now() - started });
		});
		request.on('error', (error) => {
			clearTimeout(timer);
			resolvePromise({ status: 0, ms: performance.now() - started, error: error.message });
		});
		request.end(body);
	});
}

/** CPU time (user + system, ms) a process has used so far; undefined where /proc is missing. */
function cpuMs(pid) {
	try {
		const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
		// utime and stime, fields 14 and 15 of proc(5), in clock ticks (100 a second on Linux).
		return (Number(fields[11]) + Number(fields[12])) * 10;
	} catch {
		return undefined;
	}
}

/** Where the workflows report each execution: `{photo, record, execution}` per POST. */
async function startSink() {
	const reports = [];
	const server = http.createServer((request, response) => {
		let text = '';
		request.setEncoding('utf8');
		request.on('data', (chunk) => (text += chunk));
		request.on('end', () => {
			try {
				reports.push({ ...JSON.parse(text), at: performance.now() });
			} catch {
				reports.push({ unreadable: text, at: performance.now() });
			}
			response.writeHead(204).end();
		});
	});
	await new Promise((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise));
	return { url: `http://127.0.0.1:${server.address().port}/report`, reports, close: () => new Promise((resolvePromise) => server.close(resolvePromise)) };
}

/** Waits until `expected` reports came, then 3 s more (a duplicate would come late), or until 20 s pass without one. */
async function settled(reports, from, expected) {
	let count = -1;
	let changedAt = Date.now();
	for (;;) {
		const now = reports.length - from;
		if (now !== count) {
			count = now;
			changedAt = Date.now();
		}
		if ((count >= expected && Date.now() - changedAt > 3_000) || Date.now() - changedAt > 20_000) return reports.slice(from);
		await sleep(250);
	}
}

/**
 * Sends the photos' events to `target` on schedule over SPREAD_MS; `copies` (photo index → delay
 * after the first delivery) sends a second delivery of the same event. Returns the table's row.
 */
async function burst(ctx, target, name, photoIds, copies = new Map()) {
	const { hook, emu, sink } = ctx;
	const from = sink.reports.length;
	const cpuBefore = cpuMs(ctx.n8nPid);
	const interval = SPREAD_MS / photoIds.length;
	const start = performance.now();
	const answers = [];
	await Promise.all(
		photoIds.map(async (photoId, index) => {
			await sleep(start + index * interval - performance.now());
			const ms = Date.now();
			const event = { id: 900_000 + ctx.nextEvent++, ulid: newUlid(ms), timestamp: new Date(ms).toISOString(), projectId: PROJECT, companyId: 1001, resourceName: 'Images', eventType: 'create', resourceId: photoId, userId: 3002, applicationId: null };
			const payload = emu.webhooks.payload(hook, event);
			const first = deliver(target.url, hook.destinationHeaders, payload);
			const copyAfter = copies.get(index);
			const second = copyAfter === undefined ? undefined : sleep(copyAfter).then(() => deliver(target.url, hook.destinationHeaders, payload));
			answers.push(await first);
			if (second) answers.push(await second);
		}),
	);
	const reports = await settled(sink.reports, from, photoIds.length);
	const cpuUsed = cpuMs(ctx.n8nPid) - cpuBefore;
	const given = reports.map((report) => Number(report.photo));
	const wanted = new Set(photoIds);
	const times = answers.map((answer) => answer.ms);
	const slowest = Math.max(...times);
	const failures = [...new Set(answers.filter((answer) => answer.status < 200 || answer.status >= 300).map((answer) => answer.error ?? `HTTP ${answer.status}`))];
	return {
		run: name,
		'deliveries 2xx': `${answers.filter((answer) => answer.status >= 200 && answer.status < 300).length} / ${answers.length}`,
		'slowest answer ms': Math.round(slowest),
		'median ms': Math.round(median(times)),
		executions: reports.length,
		'record fetched': target.fetches ? reports.filter((report) => Number(report.record) === Number(report.photo)).length : '-',
		lost: photoIds.filter((id) => !given.includes(id)).length,
		duplicated: given.length - new Set(given).size + given.filter((id) => !wanted.has(id)).length,
		'n8n CPU ms per event': Number.isFinite(cpuUsed) ? Math.round(cpuUsed / photoIds.length) : '-',
		'last execution s': reports.length ? ((Math.max(...reports.map((report) => report.at)) - start) / 1000).toFixed(1) : '-',
		[`goal < ${GOAL_MS} ms`]: slowest < GOAL_MS ? 'met' : 'NOT met',
		...(failures.length ? { failures: failures.join('; ') } : {}),
	};
}

/**
 * The burst bench. `n8nDir` and `tarball` may come from bench.mjs (already installed and packed);
 * otherwise they are made here. Prints the table and returns its rows.
 */
export async function burstBench({ n8nDir = lib.ensureN8n(), tarball = lib.buildAndPack() } = {}) {
	const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
	console.log(`\nBurst: Procore Trigger (webhook, Fetch the Record ${FETCH_RECORD ? 'on' : 'off'}) in n8n started as a server; ${EVENTS} events over ${SPREAD_MS / 1000} s, and ${DUPLICATE_RUN_EVENTS} with ${DUPLICATED} delivered twice`);
	const emu = await lib.startEmulator();
	const sink = await startSink();
	const userFolder = lib.makeUserFolder(tarball, 'procore-bench-burst-');
	let n8n;
	let log = '';
	try {
		// The photos exist before any hook does, so making them sends nothing.
		const photoIds = [];
		for (let i = 0; i < 2 * EVENTS + DUPLICATE_RUN_EVENTS; i++) {
			photoIds.push(emu.createImageAs({ filename: `burst-${String(i).padStart(3, '0')}.jpg`, size: 256 }).id);
		}
		const port = await lib.freePort();
		// n8n's own default SQLite pool size, 3 (scripts/n8n/lib.mjs sets 2 for the tests).
		n8n = await lib.startN8n(n8nDir, userFolder, port, { DB_SQLITE_POOL_SIZE: '3' }, { onOutput: (chunk) => (log = (log + chunk).slice(-20_000)) });
		const baseUrl = `http://127.0.0.1:${port}`;
		const cookie = await lib.setUpOwner(baseUrl);
		const rest = async (method, path, body) => {
			// After a burst n8n may answer 503 "Database is not ready!" for a while (its SQLite health
			// check timed out under the load); it recovers by itself.
			for (const deadline = Date.now() + 120_000; ; await sleep(1_000)) {
				const response = await fetch(`${baseUrl}/rest${path}`, {
					method,
					headers: { 'Content-Type': 'application/json', Cookie: cookie, 'browser-id': 'bench' },
					...(body === undefined ? {} : { body: JSON.stringify(body) }),
				});
				const text = await response.text();
				if (response.status === 503 && Date.now() < deadline) continue;
				if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
				const parsed = text ? JSON.parse(text) : {};
				return parsed.data ?? parsed;
			}
		};
		const credential = await lib.createCredential(baseUrl, cookie, lib.emulatorCredential(emu));
		const rl = (value) => ({ __rl: true, mode: 'id', value });

		/** A workflow: the trigger, then an HTTP Request reporting the photo to the sink. Activated. */
		const activate = async (name, trigger, photoExpression, saveSuccessful) => {
			const report = {
				id: randomUUID(),
				name: 'Report',
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				position: [220, 0],
				parameters: {
					method: 'POST',
					url: sink.url,
					sendBody: true,
					specifyBody: 'json',
					jsonBody: `={{ JSON.stringify({ photo: ${photoExpression}, record: $json.record?.id ?? null, execution: $execution.id }) }}`,
					options: {},
				},
			};
			const workflow = await rest('POST', '/workflows', {
				name,
				active: false,
				settings: { executionOrder: 'v1', saveDataSuccessExecution: saveSuccessful ? 'all' : 'none', saveDataErrorExecution: 'all' },
				connections: { [trigger.name]: { main: [[{ node: 'Report', type: 'main', index: 0 }]] } },
				nodes: [{ id: randomUUID(), position: [0, 0], webhookId: randomUUID(), ...trigger }, report],
			});
			await rest('POST', `/workflows/${workflow.id}/activate`, { versionId: workflow.versionId });
			return workflow;
		};
		const procoreTrigger = async (saveSuccessful) => {
			const workflow = await activate(
				`Burst: Procore Trigger${saveSuccessful ? '' : ', successful executions not saved'}`,
				{
					name: 'Procore Trigger',
					type: 'n8n-nodes-procore.procoreTrigger',
					typeVersion: 1,
					parameters: { companyId: rl('1001'), projectId: rl(String(PROJECT)), resourceName: 'Images', events: ['create'], options: { fetchRecord: FETCH_RECORD } },
					credentials: { procoreOAuth2Api: { id: credential.id, name: credential.name } },
				},
				'$json.resource_id',
				saveSuccessful,
			);
			// n8n makes the hook after it has answered the activation.
			const deadline = Date.now() + 60_000;
			while (emu.webhooks.hooks(PROJECT).length === 0 || emu.webhooks.triggerRecords.size === 0) {
				if (Date.now() > deadline) throw new Error(`no hook 60 s after activation; n8n said:\n${log}`);
				await sleep(250);
			}
			const hook = emu.webhooks.hooks(PROJECT)[0];
			return { workflow, hook, url: hook.destinationUrl, fetches: FETCH_RECORD };
		};
		/**
		 * n8n's own Webhook node answering at once: what this n8n on this machine does without the
		 * Procore Trigger. With `secret`, it checks the Authorization header with a Header Auth
		 * credential, as a user receiving Procore's deliveries that way would.
		 */
		const webhookNode = async (saveSuccessful, secret) => {
			const path = `burst-baseline-${randomUUID()}`;
			const headerAuth = secret && (await lib.createCredential(baseUrl, cookie, { name: `Procore deliveries ${path}`, type: 'httpHeaderAuth', data: { name: 'Authorization', value: secret } }));
			const workflow = await activate(
				`Burst: n8n Webhook node${secret ? ', Header Auth' : ''}${saveSuccessful ? '' : ', successful executions not saved'}`,
				{
					name: 'Webhook',
					type: 'n8n-nodes-base.webhook',
					typeVersion: 2,
					parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', ...(secret ? { authentication: 'headerAuth' } : {}), options: {} },
					...(secret ? { credentials: { httpHeaderAuth: { id: headerAuth.id, name: headerAuth.name } } } : {}),
				},
				'$json.body.resource_id',
				saveSuccessful,
			);
			await sleep(2_000);
			return { workflow, url: `${baseUrl}/webhook/${path}`, fetches: false };
		};

		const ctx = { emu, sink, nextEvent: 1, n8nPid: n8n.child.pid };
		const rows = [];
		const batches = [photoIds.slice(0, EVENTS), photoIds.slice(EVENTS, 2 * EVENTS)];
		for (const saveSuccessful of [true, false]) {
			const saved = saveSuccessful ? 'saved (n8n default)' : 'not saved';
			const ours = await procoreTrigger(saveSuccessful);
			ctx.hook = ours.hook;
			rows.push(await burst(ctx, ours, `Procore Trigger, ${EVENTS} events, executions ${saved}`, batches[saveSuccessful ? 0 : 1]));
			if (!saveSuccessful) {
				const copies = new Map();
				for (let k = 0; k < DUPLICATED; k++) copies.set(k * Math.floor(DUPLICATE_RUN_EVENTS / DUPLICATED), k % 2 === 0 ? 5 : LATE_COPY_MS);
				rows.push(await burst(ctx, ours, `Procore Trigger, ${DUPLICATE_RUN_EVENTS} events, ${DUPLICATED} twice, not saved`, photoIds.slice(2 * EVENTS), copies));
			}
			await rest('POST', `/workflows/${ours.workflow.id}/deactivate`, {});
			// n8n deletes the hook just after it answers; the next trigger's hook must be the only one.
			for (const deadline = Date.now() + 30_000; emu.webhooks.hooks(PROJECT).length > 0 && Date.now() < deadline; ) await sleep(250);
			for (const secret of [undefined, ctx.hook.destinationHeaders.Authorization]) {
				const plain = await webhookNode(saveSuccessful, secret);
				rows.push(await burst(ctx, plain, `n8n Webhook node${secret ? ', Header Auth' : ''} (baseline), ${EVENTS} events, executions ${saved}`, batches[saveSuccessful ? 0 : 1]));
				await rest('POST', `/workflows/${plain.workflow.id}/deactivate`, {});
			}
		}

		console.log(`${when} UTC, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load average at the end ${loadavg().map((load) => load.toFixed(1)).join(' ')}, Node ${process.version}`);
		console.table(rows);
		console.log(`Answer = POST to its status line, fresh connection each, given up after ${PROCORE_TIMEOUT_MS / 1000} s as Procore does. Duplicates: ${Math.ceil(DUPLICATED / 2)} copies 5 ms after the first, ${Math.floor(DUPLICATED / 2)} after ${LATE_COPY_MS / 1000} s.`);
		return rows;
	} finally {
		await lib.stopProcess(n8n?.child);
		await sink.close();
		await emu.close();
		lib.removeFolder(userFolder);
	}
}

// Alone: node scripts/bench/burst.mjs
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
	lib.removeTemporaryOnSignals();
	await burstBench();
	process.exit(0);
}
