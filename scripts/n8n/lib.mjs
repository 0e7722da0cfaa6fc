// Runs a real n8n (pinned, installed once into a cache folder) with this package installed the way
// users get it: `npm pack`, unpacked into the instance's community-nodes folder. Used by the demo,
// `npm run dev`, the end-to-end tests and the benchmark. Plain Node, no dependencies.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PACKAGE = 'n8n-nodes-procore';
export const NODE_TYPE = `${PACKAGE}.procore`;
export const ENCRYPTION_KEY = 'n8n-nodes-procore-local-test-key';
/** The n8n the tests run on: scripts/install-n8n.sh installs it (N8N_VERSION=1.123.81 for the latest 1.x). */
export const N8N_VERSION = process.env.N8N_VERSION || '2.41.1';
export const N8N_MAJOR = Number(N8N_VERSION.split('.')[0]);

// Everything this process puts in the temporary folder (packed tarballs, n8n user folders, browser
// profiles) and every n8n it starts is recorded here, so that nothing is left behind however the
// process ends: a failing test, an exception, process.exit or (with removeTemporaryOnSignals) Ctrl-C.
const temporaryFolders = new Set();
const runningChildren = new Set();

/** A new folder in the system's temporary folder, removed when this process exits at the latest. */
export function temporaryFolder(prefix) {
	const folder = mkdtempSync(join(tmpdir(), prefix));
	temporaryFolders.add(folder);
	return folder;
}

/** Records a child process: stopped when this process exits, if still running. */
export function trackProcess(child) {
	runningChildren.add(child);
	child.once('exit', () => runningChildren.delete(child));
	return child;
}

/** Kills what is still running and removes every temporary folder. Synchronous: safe on 'exit'. */
export function removeTemporary() {
	for (const child of runningChildren) child.kill('SIGKILL');
	runningChildren.clear();
	for (const folder of temporaryFolders) rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
	temporaryFolders.clear();
}
process.on('exit', removeTemporary);

/** Ctrl-C (or a kill) ends the process through process.exit, so the 'exit' clean-up runs. */
export function removeTemporaryOnSignals() {
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
		process.once(signal, () => process.exit(128 + constants.signals[signal]));
	}
}

/** Node 24 (n8n 2.x needs it), from the project's bootstrap script; fetched once if missing. */
export function node24() {
	const out = execFileSync('bash', ['-c', 'source scripts/node24.sh >&2; command -v node; echo "$npm_config_nodedir"'], {
		cwd: ROOT,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	const [node, nodedir] = out.trim().split('\n');
	return { node, bin: dirname(node), nodedir };
}

/** The pinned n8n, installed on first use with its progress shown. Returns its folder. */
export function ensureN8n() {
	const out = execFileSync('bash', ['scripts/install-n8n.sh'], {
		cwd: ROOT,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	return out.trim().split('\n').pop();
}

/** Builds the package and packs it as a user would download it. Returns the tarball path. */
export function buildAndPack() {
	const { bin } = node24();
	const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
	execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
	const dest = temporaryFolder('procore-pack-');
	const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', dest], { cwd: ROOT, env, encoding: 'utf8' })
		.trim()
		.split('\n')
		.pop();
	return join(dest, name);
}

/** A fresh n8n user folder with the packed package installed as a community node. */
export function makeUserFolder(tarball, prefix = 'procore-n8n-e2e-') {
	const userFolder = temporaryFolder(prefix);
	installPackage(tarball, userFolder);
	return userFolder;
}

/** Unpacks the tarball into the instance's community-nodes folder, replacing an older copy. */
export function installPackage(tarball, userFolder) {
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	const target = join(nodesDir, 'node_modules', PACKAGE);
	rmSync(target, { recursive: true, force: true });
	mkdirSync(target, { recursive: true });
	execFileSync('tar', ['xzf', tarball, '-C', target, '--strip-components=1']);
	writeFileSync(join(nodesDir, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { [PACKAGE]: '*' } }));
}

export function n8nEnv(userFolder, extra = {}) {
	const { bin, nodedir } = node24();
	return {
		...process.env,
		PATH: `${bin}:${process.env.PATH}`,
		npm_config_nodedir: nodedir,
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: ENCRYPTION_KEY,
		// Nothing here reaches the internet: no telemetry, version checks or templates, no MCP server
		// registry (its module fetches api.n8n.io at start) and no list of verified community nodes
		// (fetched from api.n8n.io when the editor opens). Offline, each of those logs a stack trace.
		// Community packages stay enabled: that is how this package is installed.
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		// n8n 1.x has no such module and refuses to start when told to disable it.
		...(N8N_MAJOR >= 2 ? { N8N_DISABLED_MODULES: 'mcp-registry' } : {}),
		N8N_VERIFIED_PACKAGES_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_LOG_LEVEL: 'warn',
		// Set explicitly so that n8n's start-up deprecation notice has nothing to say about them:
		// community packages stay installable, and the limits n8n announces as its future defaults.
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		N8N_RUNNERS_TASK_TIMEOUT: '300',
		N8N_COMPRESSION_NODE_MAX_DECOMPRESSED_SIZE_BYTES: String(256 * 1024 * 1024),
		N8N_COMPRESSION_NODE_MAX_ZIP_ENTRIES: '1000',
		N8N_RESTRICT_FILE_ACCESS_TO: join(ROOT, 'test', 'fixtures') + ';' + tmpdir(),
		N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem',
		DB_SQLITE_POOL_SIZE: '2',
		...extra,
	};
}

/**
 * n8n's task-runner broker listens on a fixed port (5679) unless told otherwise; each n8n of ours
 * gets a free one so that several can run side by side.
 */
export async function brokerPort() {
	return { N8N_RUNNERS_BROKER_PORT: String(await freePort()) };
}

/** Runs an n8n CLI command to completion. */
export async function n8n(n8nDir, userFolder, args, extraEnv = {}) {
	const broker = await brokerPort();
	return await new Promise((resolvePromise) => {
		const { node } = node24();
		const child = trackProcess(
			spawn(node, [join(n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'), ...args], {
				env: n8nEnv(userFolder, { ...broker, ...extraEnv }),
				stdio: ['ignore', 'pipe', 'pipe'],
			}),
		);
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk) => (stdout += chunk));
		child.stderr.on('data', (chunk) => (stderr += chunk));
		child.on('close', (code) => resolvePromise({ code, stdout, stderr, pid: child.pid }));
	});
}

/** `extraEnv` points the import at another database (queue mode's PostgreSQL) when given. */
export async function importJson(n8nDir, userFolder, kind, data, extraEnv = {}) {
	const file = join(userFolder, `${kind}-${Date.now()}.json`);
	writeFileSync(file, JSON.stringify(data));
	const result = await n8n(n8nDir, userFolder, [`import:${kind}`, `--input=${file}`], extraEnv);
	if (result.code !== 0) throw new Error(`n8n import:${kind} failed:\n${result.stdout}\n${result.stderr}`);
}

/** `n8n execute --id`: the run data, parsed from the first `{` of the output. */
export async function execute(n8nDir, userFolder, workflowId, extraEnv = {}) {
	// `execute` prints its result through n8n's logger at level info.
	const result = await n8n(n8nDir, userFolder, ['execute', `--id=${workflowId}`, '--rawOutput'], {
		N8N_LOG_LEVEL: 'info',
		...extraEnv,
	});
	const start = result.stdout.indexOf('{');
	let data;
	try {
		data = start >= 0 ? JSON.parse(result.stdout.slice(start)) : undefined;
	} catch {
		data = undefined;
	}
	return { ...result, data };
}

/**
 * `execute` for runs with a large result, read back from n8n's database rather than from its
 * output: `n8n execute` prints the result through its logger and exits before the logger has
 * written all of it (results from some tens of kB come out cut off at a random point, to a pipe or
 * a file alike). n8n saves the run (every successful or failed one, set here) with its data in
 * n8n's own `flatted` form; `data` has the shape `execute` gives.
 */
export async function executeAndRead(n8nDir, userFolder, workflowId, extraEnv = {}) {
	const result = await execute(n8nDir, userFolder, workflowId, {
		EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
		EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
		...extraEnv,
	});
	return { ...result, data: await readLastRun(n8nDir, userFolder, workflowId) };
}

/**
 * The newest saved run of a workflow from n8n's SQLite database, in the shape `n8n execute
 * --rawOutput` prints (`data`, `startedAt`, `stoppedAt`, `status`); undefined when none is saved.
 */
export async function readLastRun(n8nDir, userFolder, workflowId) {
	const { DatabaseSync } = await import('node:sqlite');
	const { createRequire } = await import('node:module');
	const flatted = createRequire(join(n8nDir, 'node_modules', 'n8n', 'package.json'))('flatted');
	const db = new DatabaseSync(join(userFolder, '.n8n', 'database.sqlite'), { readOnly: true });
	try {
		const row = db
			.prepare(
				'SELECT e.startedAt, e.stoppedAt, e.status, d.data FROM execution_entity e JOIN execution_data d ON d.executionId = e.id WHERE e.workflowId = ? ORDER BY e.id DESC LIMIT 1',
			)
			.get(workflowId);
		return row ? { data: flatted.parse(row.data), startedAt: row.startedAt, stoppedAt: row.stoppedAt, status: row.status } : undefined;
	} finally {
		db.close();
	}
}

/** A time as n8n's database stores it ("2026-12-01 20:30:00.123", UTC without a zone), in epoch ms. */
export function storedTimeMs(value) {
	if (!value) return NaN;
	return Date.parse(/[TZ]/.test(String(value)) ? String(value) : `${String(value).replace(' ', 'T')}Z`);
}

/** n8n's own execution time of a run: startedAt → stoppedAt. */
export function executionMsOf(run) {
	return storedTimeMs(run?.stoppedAt) - storedTimeMs(run?.startedAt);
}

/** The items a node output in a run. */
export function nodeOutput(data, nodeName) {
	return data?.data?.resultData?.runData?.[nodeName]?.[0]?.data?.main?.[0] ?? [];
}

export function nodeError(data, nodeName) {
	return data?.data?.resultData?.runData?.[nodeName]?.[0]?.error ?? data?.data?.resultData?.error;
}

/** A credential pointing at a local emulator (Custom environment). */
export function emulatorCredential(emu, { id = 'procoreEmulator1', name = 'Procore (local emulator)', grantType = 'clientCredentials', clientSecret } = {}) {
	return {
		id,
		name,
		type: 'procoreOAuth2Api',
		data: {
			environment: 'custom',
			loginHost: emu.loginUrl,
			apiHost: emu.apiUrl,
			grantType,
			clientId: emu.clientId ?? 'procore-test-client',
			clientSecret: clientSecret ?? emu.clientSecret ?? 'procore-test-secret',
			companyId: '1001',
		},
	};
}

export function freePort() {
	return new Promise((resolvePromise, reject) => {
		const server = createServer();
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolvePromise(port));
		});
		server.on('error', reject);
	});
}

/**
 * Starts `n8n start` and waits until it answers. `onOutput` receives n8n's console output as it
 * comes (stdout and stderr); without it the output is only kept for the error message.
 */
export async function startN8n(n8nDir, userFolder, port, extraEnv = {}, { onOutput } = {}) {
	const { node } = node24();
	const broker = await brokerPort();
	const child = trackProcess(
		spawn(node, [join(n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'), 'start'], {
			env: n8nEnv(userFolder, { ...broker, N8N_PORT: String(port), N8N_HOST: 'localhost', N8N_LISTEN_ADDRESS: '127.0.0.1', N8N_EDITOR_BASE_URL: `http://localhost:${port}/`, N8N_WEBHOOK_URL: `http://localhost:${port}/`, ...extraEnv }),
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: false,
		}),
	);
	let log = '';
	for (const stream of [child.stdout, child.stderr]) {
		stream.setEncoding('utf8');
		stream.on('data', (chunk) => {
			if (onOutput) onOutput(chunk);
			else log += chunk;
		});
	}
	const deadline = Date.now() + 180_000;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) throw new Error(`n8n exited early (${child.exitCode}):\n${log}`);
		try {
			const response = await fetch(`http://127.0.0.1:${port}/healthz/readiness`);
			if (response.ok) return { child, log: () => log };
		} catch {
			// not up yet
		}
		await new Promise((r) => setTimeout(r, 500));
	}
	await stopProcess(child);
	throw new Error(`n8n did not start within 180 s:\n${log}`);
}

/**
 * Stops an n8n and waits until it has exited: n8n still writes to its user folder while it shuts
 * down, so removing the folder earlier can leave part of it behind.
 */
export async function stopProcess(child, graceMs = 15_000) {
	if (!child || child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise((resolvePromise) => child.once('exit', resolvePromise));
	child.kill('SIGTERM');
	const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
	if (timedOut) {
		child.kill('SIGKILL');
		await Promise.race([exited, sleep(5_000)]);
	}
}

function sleep(ms) {
	return new Promise((resolvePromise) => setTimeout(resolvePromise, ms).unref());
}

export function sha256File(path) {
	return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function removeFolder(folder) {
	rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
	temporaryFolders.delete(folder);
}

/** The emulator of the project, started in this process. */
export async function startEmulator(options = {}) {
	const { createRequire } = await import('node:module');
	const require = createRequire(import.meta.url);
	const { startEmulator: start, SEED } = require('../../test/emulator/index.js');
	const emu = await start(options);
	emu.clientId = SEED.clientId;
	emu.clientSecret = SEED.clientSecret;
	return emu;
}

export const OWNER = { email: 'owner@procore-node.test', firstName: 'Site', lastName: 'Owner', password: 'Procore-demo-1' };

/** Creates the owner account of a fresh n8n and returns a logged-in session cookie. */
export async function setUpOwner(baseUrl) {
	const setup = await fetch(`${baseUrl}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify(OWNER),
	});
	if (!setup.ok) throw new Error(`owner setup failed: ${setup.status} ${await setup.text()}`);
	const login = await fetch(`${baseUrl}/rest/login`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
	});
	if (!login.ok) throw new Error(`login failed: ${login.status} ${await login.text()}`);
	return login.headers.getSetCookie().map((cookie) => cookie.split(';')[0]).join('; ');
}

/** n8n's own credential test (the editor's "Test" / "Retry" button). */
export async function testCredential(baseUrl, cookie, credential) {
	const response = await fetch(`${baseUrl}/rest/credentials/test`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', Cookie: cookie, 'browser-id': 'e2e' },
		body: JSON.stringify({ credentials: credential }),
	});
	const body = await response.json();
	return body.data ?? body;
}

/** Saves a credential through n8n's REST API, as the editor does. Returns it with its id. */
export async function createCredential(baseUrl, cookie, credential) {
	const response = await fetch(`${baseUrl}/rest/credentials`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', Cookie: cookie, 'browser-id': 'e2e' },
		body: JSON.stringify({ name: credential.name, type: credential.type, data: credential.data }),
	});
	const body = await response.json();
	if (!response.ok) throw new Error(`creating the credential failed: ${JSON.stringify(body)}`);
	return { ...credential, id: (body.data ?? body).id };
}
