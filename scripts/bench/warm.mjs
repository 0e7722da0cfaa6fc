// The latency-bound, Inline and 50 MiB cases of `npm run bench` again, in a running n8n: how users
// run n8n, and how the bench does not otherwise. Each `n8n execute` of bench.mjs is a fresh process,
// so every run pays n8n's start-up costs again; among them, the first expression n8n resolves loads
// and starts its expression engine (0.1 to 0.2 s; README, "Where the time of a photo goes"). The
// node meets that in its credential's URLs on its first request, the multipart workflow never. In a
// running n8n that is paid once. Here every workflow starts with a Webhook (answering when the run
// is done) in one n8n 2.41.1, is run once to warm up, then in rounds of RUNS_PER_ROUND runs each,
// the variants taking turns run by run; execution time is n8n's own (startedAt → stoppedAt), read
// from its database. Memory is not measured here: a running
// process's high-water mark only grows (bench.mjs measures memory, each run in its own process).
//
// Run by `npm run bench` for the `warm` case (its warmBench()), with the emulator and photo folders
// of bench.mjs.
import { randomUUID } from 'node:crypto';

import * as lib from '../n8n/lib.mjs';
import { median } from './measure.mjs';
import { benchCredentials, builtInDirectWorkflow, builtInInlineWorkflow, ourWorkflow, withStart } from './workflows.mjs';

/**
 * Runs of each variant per round. A warm run is short (0.3 s for 20 small photos), and one run in
 * a few meets a garbage collection or a busy disk: with 3 rounds of 3 runs, the median is of 9.
 */
const RUNS_PER_ROUND = 3;

/**
 * A fresh running n8n made ready for the bench's workflows: its owner, the bench's credentials (they
 * get new IDs here), and `activate(workflow, pathPrefix)`, which starts the workflow with a Webhook
 * answering when the run is done, names the credentials by their new IDs, publishes it and returns
 * its ID and webhook URL.
 */
export async function benchSession(baseUrl, emu) {
	const cookie = await lib.setUpOwner(baseUrl);
	const rest = async (method, path, body) => {
		const response = await fetch(`${baseUrl}/rest${path}`, {
			method,
			headers: { 'Content-Type': 'application/json', Cookie: cookie, 'browser-id': 'bench' },
			...(body === undefined ? {} : { body: JSON.stringify(body) }),
		});
		const text = await response.text();
		if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
		const parsed = text ? JSON.parse(text) : {};
		return parsed.data ?? parsed;
	};
	const credentialIds = {};
	for (const credential of benchCredentials(emu)) credentialIds[credential.id] = (await lib.createCredential(baseUrl, cookie, credential)).id;
	const activate = async (workflow, pathPrefix) => {
		const path = `${pathPrefix}-${randomUUID()}`;
		const started = withStart(workflow, {
			id: 'w',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: randomUUID(),
			// Answers when the run is done, without its data.
			parameters: { httpMethod: 'POST', path, responseMode: 'lastNode', responseData: 'noData', options: {} },
		});
		const nodes = started.nodes.map((node) => ({
			...node,
			...(node.credentials
				? { credentials: Object.fromEntries(Object.entries(node.credentials).map(([type, ref]) => [type, { ...ref, id: credentialIds[ref.id] }])) }
				: {}),
		}));
		const created = await rest('POST', '/workflows', { name: `${pathPrefix} ${workflow.name}`, active: false, nodes, connections: started.connections, settings: started.settings });
		await rest('POST', `/workflows/${created.id}/activate`, { versionId: created.versionId });
		return { id: created.id, url: `${baseUrl}/webhook/${path}` };
	};
	return { activate };
}

/**
 * `cases`: [{ label, photos, variants: [[name, workflow]], reference, goals: [[text, variant, limit]] }]
 * Returns the tables and the goals, as bench.mjs prints them.
 */
export async function warmBench({ n8nDir, tarball, emu, cases, rounds }) {
	const userFolder = lib.makeUserFolder(tarball, 'procore-bench-warm-');
	const port = await lib.freePort();
	let n8n;
	let log = '';
	try {
		// Binary data on disk, as for the large-file case of bench.mjs.
		n8n = await lib.startN8n(n8nDir, userFolder, port, { N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem' }, { onOutput: (chunk) => (log = (log + chunk).slice(-20_000)) });
		const baseUrl = `http://127.0.0.1:${port}`;
		const { activate } = await benchSession(baseUrl, emu);
		const run = async (target) => {
			emu.reset();
			// n8n registers a production webhook a moment after the activation has answered: until
			// then it answers 404, and nothing runs.
			let response;
			for (const deadline = Date.now() + 60_000; ; await new Promise((resolve) => setTimeout(resolve, 250))) {
				response = await fetch(target.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
				await response.text();
				if (response.status !== 404 || Date.now() > deadline) break;
			}
			if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
			// n8n saves the run as it answers: wait until its stop time is there.
			for (let tries = 0; tries < 50; tries++) {
				const saved = await lib.readLastRun(n8nDir, userFolder, target.id);
				if (saved?.stoppedAt) {
					const requests = emu.requests.filter((request) => request.listener !== 'login');
					const arrivals = requests.map((request) => request.at);
					return {
						executionMs: lib.executionMsOf(saved),
						requests: requests.length,
						beforeFirstMs: arrivals.length ? Math.min(...arrivals) - lib.storedTimeMs(saved.startedAt) : NaN,
						firstToLastMs: arrivals.length ? Math.max(...arrivals) - Math.min(...arrivals) : NaN,
					};
				}
				await new Promise((resolve) => setTimeout(resolve, 100));
			}
			throw new Error('the run was not saved');
		};

		const tables = [];
		const goals = [];
		for (const benchCase of cases) {
			const targets = [];
			for (const [name, workflow] of benchCase.variants) targets.push([name, await activate(workflow, 'bench-warm')]);
			// Warm-up: each workflow once (n8n's first resolution of each expression, its first connections).
			for (const [, target] of targets) await run(target);
			const results = Object.fromEntries(targets.map(([name]) => [name, []]));
			for (let turn = 0; turn < rounds * RUNS_PER_ROUND; turn++) {
				for (const [name, target] of turn % 2 ? [...targets].reverse() : targets) {
					const result = await run(target);
					results[name].push(result);
					process.stderr.write(`  warm, ${name}: execution ${(result.executionMs / 1000).toFixed(2)} s, ${result.requests} requests\n`);
				}
			}
			const seconds = Object.fromEntries(Object.entries(results).map(([name, runs]) => [name, median(runs.map((r) => r.executionMs)) / 1000]));
			tables.push({
				case: `running n8n (warm), ${benchCase.label}`,
				rows: Object.entries(seconds).map(([name, value]) => ({
					variant: name,
					'execution s': value.toFixed(2),
					// The fastest and slowest run: how far one run can be from the median.
					'runs s': `${(Math.min(...results[name].map((r) => r.executionMs)) / 1000).toFixed(2)}–${(Math.max(...results[name].map((r) => r.executionMs)) / 1000).toFixed(2)}`,
					'photos/s': (benchCase.photos / value).toFixed(1),
					'start→first request s': (median(results[name].map((r) => r.beforeFirstMs)) / 1000).toFixed(2),
					'first→last request s': (median(results[name].map((r) => r.firstToLastMs)) / 1000).toFixed(2),
					requests: median(results[name].map((r) => r.requests)),
					[`ratio vs ${benchCase.reference}`]: (value / seconds[benchCase.reference]).toFixed(2),
				})),
			});
			for (const [text, variant, against, limit] of benchCase.goals) {
				const ratio = seconds[variant] / seconds[against];
				goals.push({ goal: `running n8n: ${text}`, measured: ratio.toFixed(2), result: ratio <= limit ? 'met' : 'NOT MET' });
			}
		}
		return { tables, goals };
	} catch (error) {
		error.message += `\nn8n said:\n${log.slice(-3000)}`;
		throw error;
	} finally {
		await lib.stopProcess(n8n?.child);
		lib.removeFolder(userFolder);
	}
}

/** The cases of bench.mjs that the warm bench repeats, from its photo folders (those that exist). */
export function warmCases(dirs, apiUrl) {
	const cases = [];
	if (dirs.small20) {
		cases.push({
			label: '20 photos of 200 KiB, Procore answering after 80 ms',
			photos: 20,
			reference: 'HTTP Request, direct upload',
			variants: [
				['node, Direct Upload', ourWorkflow('warmOursSmall20', dirs.small20)],
				['node, Inline', ourWorkflow('warmOursInlineSmall20', dirs.small20, undefined, 'inline')],
				['HTTP Request, direct upload', builtInDirectWorkflow('warmDirectSmall20', dirs.small20, apiUrl)],
				['HTTP Request, multipart', builtInInlineWorkflow('warmMultipartSmall20', dirs.small20, apiUrl)],
			],
			goals: [
				['20 × 200 KiB: Direct Upload ≤ 0.8 × HTTP Request direct upload', 'node, Direct Upload', 'HTTP Request, direct upload', 0.8],
				['20 × 200 KiB: Direct Upload ≤ 1.0 × HTTP Request multipart', 'node, Direct Upload', 'HTTP Request, multipart', 1.0],
				['Inline 20 × 200 KiB: ≤ 1.0 × HTTP Request multipart', 'node, Inline', 'HTTP Request, multipart', 1.0],
			],
		});
	}
	if (dirs.mid50) {
		cases.push({
			label: '50 photos of 2 MiB, Procore answering after 80 ms',
			photos: 50,
			reference: 'HTTP Request, direct upload',
			variants: [
				['node, Direct Upload', ourWorkflow('warmOursMid50', dirs.mid50)],
				['HTTP Request, direct upload', builtInDirectWorkflow('warmDirectMid50', dirs.mid50, apiUrl)],
			],
			goals: [['50 × 2 MiB: Direct Upload ≤ 0.8 × HTTP Request direct upload', 'node, Direct Upload', 'HTTP Request, direct upload', 0.8]],
		});
	}
	if (dirs.big50) {
		cases.push({
			label: 'one 50 MiB file on disk',
			photos: 1,
			reference: 'HTTP Request, direct upload',
			variants: [
				['node, Direct Upload', ourWorkflow('warmOursBig50', dirs.big50)],
				['node, Inline', ourWorkflow('warmOursInlineBig50', dirs.big50, undefined, 'inline')],
				['HTTP Request, direct upload', builtInDirectWorkflow('warmDirectBig50', dirs.big50, apiUrl)],
				['HTTP Request, multipart', builtInInlineWorkflow('warmMultipartBig50', dirs.big50, apiUrl)],
			],
			goals: [
				['50 MiB on disk: Direct Upload ≤ 1.0 × HTTP Request direct upload', 'node, Direct Upload', 'HTTP Request, direct upload', 1.0],
				['50 MiB on disk: Inline ≤ 1.0 × HTTP Request multipart', 'node, Inline', 'HTTP Request, multipart', 1.0],
			],
		});
	}
	return cases;
}
