#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * Starts the Procore emulator from the command line and prints one JSON line with its URLs and
 * the seeded client credentials; stops on SIGINT/SIGTERM.
 *
 *   node test/emulator/cli.js [--login-port N] [--api-port N] [--storage-port N] [--host H]
 *     [--latency-ms N] [--token-ttl SECONDS] [--rate-limit N/10s] [--hourly-limit N]
 *     [--auto-approve[=USER_ID]] [--upload-window-ms N] [--storage-url-ttl-ms N]
 *     [--random-faults RATE[:SEED[:MAX]]]
 */

const { startEmulator, SEED } = require('./index');

const USAGE =
	'usage: node test/emulator/cli.js [--login-port N] [--api-port N] [--storage-port N] [--host H] [--latency-ms N] ' +
	'[--token-ttl SECONDS] [--rate-limit N/10s] [--hourly-limit N] [--auto-approve[=USER_ID]] [--upload-window-ms N] ' +
	'[--storage-url-ttl-ms N] [--random-faults RATE[:SEED[:MAX]]]';

/** @param {string} text e.g. "10s", "500ms", "1m", "1h" */
function duration(text) {
	const m = /^(\d+)(ms|s|m|h)?$/.exec(text);
	if (!m) throw new Error(`bad duration "${text}"`);
	return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[/** @type {'ms' | 's' | 'm' | 'h'} */ (m[2] ?? 's')];
}

/** @param {string} text */
function int(text) {
	if (!/^\d+$/.test(text ?? '')) throw new Error(`expected a whole number, got "${text}"`);
	return Number(text);
}

/** @param {string[]} argv */
function parseArgs(argv) {
	/** @type {Partial<import('./index').DEFAULTS>} */
	const o = {};
	for (let i = 0; i < argv.length; i++) {
		const [flag, inline] = argv[i].split(/=(.*)/s, 2);
		const value = () => inline ?? argv[++i];
		switch (flag) {
			case '--login-port': o.loginPort = int(value()); break;
			case '--api-port': o.apiPort = int(value()); break;
			case '--storage-port': o.storagePort = int(value()); break;
			case '--host': o.host = value(); break;
			case '--latency-ms': o.latencyMs = int(value()); break;
			case '--token-ttl': o.tokenTtlSeconds = int(value()); break;
			case '--hourly-limit': o.hourlyLimit = int(value()); break;
			case '--upload-window-ms': o.uploadStartWindowMs = int(value()); break;
			case '--storage-url-ttl-ms': o.storageUrlTtlMs = int(value()); break;
			case '--auto-approve': o.autoApprove = inline === undefined ? true : int(inline); break;
			case '--rate-limit': {
				const m = /^(\d+)\/(.+)$/.exec(value() ?? '');
				if (!m) throw new Error('--rate-limit takes N/WINDOW, e.g. 25/10s');
				o.spikeLimit = Number(m[1]);
				o.spikeWindowMs = duration(m[2]);
				break;
			}
			case '--random-faults': {
				const [rate, seed, max] = (value() ?? '').split(':');
				if (!(Number(rate) >= 0 && Number(rate) <= 1)) throw new Error('--random-faults takes RATE[:SEED[:MAX]] with 0 <= RATE <= 1');
				o.randomFaults = { rate: Number(rate), seed: seed ? int(seed) : 1, max: max ? int(max) : 20 };
				break;
			}
			case '--help':
			case '-h':
				process.stdout.write(`${USAGE}\n`);
				process.exit(0);
				break;
			default:
				throw new Error(`unknown argument "${argv[i]}"`);
		}
	}
	return o;
}

async function main() {
	let options;
	try {
		options = parseArgs(process.argv.slice(2));
	} catch (e) {
		process.stderr.write(`${/** @type {Error} */ (e).message}\n${USAGE}\n`);
		process.exit(2);
	}
	const emu = await startEmulator(options);
	process.stdout.write(
		JSON.stringify({
			loginUrl: emu.loginUrl,
			apiUrl: emu.apiUrl,
			storageUrl: emu.storageUrl,
			clientId: SEED.clientId,
			clientSecret: SEED.clientSecret,
			userId: SEED.userId,
			companyIds: Object.values(SEED.companies),
			projectId: SEED.projects.harborTower,
		}) + '\n',
	);
	let stopping = false;
	const stop = async () => {
		if (stopping) return;
		stopping = true;
		await emu.close();
		process.exit(0);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

main().catch((e) => {
	process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
	process.exit(1);
});
