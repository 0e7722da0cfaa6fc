// Redis and PostgreSQL for n8n's queue mode, started as plain processes on free loopback ports
// under a scratch folder (there is no container runtime here), and stopped and removed again.
// Debian's packages are installed once when missing. Plain Node, no dependencies.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { freePort, removeFolder, temporaryFolder } from '../n8n/lib.mjs';

const isRoot = process.getuid?.() === 0;

function has(command) {
	return spawnSync('bash', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** The folder of Debian's PostgreSQL programs (initdb and pg_ctl are not on PATH there). */
function postgresBin() {
	const base = '/usr/lib/postgresql';
	if (!existsSync(base)) return undefined;
	const versions = readdirSync(base).filter((name) => existsSync(join(base, name, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
	return versions.length ? join(base, versions[0], 'bin') : undefined;
}

/** Installs redis-server and postgresql from Debian's archive when either is missing. */
export function ensureServices() {
	if (has('redis-server') && postgresBin()) return;
	console.error('Installing redis-server and postgresql from Debian (first time only) ...');
	const sudo = isRoot ? [] : ['sudo', '-n'];
	const run = (args) => {
		const [command, ...rest] = [...sudo, ...args];
		execFileSync(command, rest, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 });
	};
	run(['apt-get', 'update']);
	run(['apt-get', 'install', '-y', '--no-install-recommends', 'redis-server', 'postgresql']);
	if (!has('redis-server') || !postgresBin()) throw new Error('redis-server or PostgreSQL is still missing after apt-get install');
}

/** Runs a PostgreSQL program as the `postgres` user when this process is root (PostgreSQL refuses root). */
function asPostgres(program, args, options = {}) {
	const command = join(postgresBin(), program);
	const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
	return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, ...options });
}

/**
 * Starts Redis and PostgreSQL for one test run. Returns their ports, n8n's environment for them
 * and `stop()`, which stops both and removes the scratch folder (safe to call more than once).
 */
export async function startServices() {
	ensureServices();
	const scratch = temporaryFolder('procore-queue-');
	// PostgreSQL runs as its own user: it must be able to reach its data folder.
	chmodSync(scratch, 0o755);
	const redisPort = await freePort();
	const postgresPort = await freePort();
	const pgData = join(scratch, 'pgdata');
	const redisDir = join(scratch, 'redis');
	mkdirSync(redisDir);
	let redisStarted = false;
	let postgresStarted = false;

	const stop = () => {
		if (redisStarted) {
			spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(redisPort), 'shutdown', 'nosave'], { stdio: 'ignore', timeout: 20_000 });
			redisStarted = false;
		}
		if (postgresStarted) {
			try {
				asPostgres('pg_ctl', ['-D', pgData, '-m', 'immediate', '-w', '-t', '30', 'stop']);
			} catch {
				// already gone
			}
			postgresStarted = false;
		}
		removeFolder(scratch);
	};
	process.on('exit', stop);

	try {
		execFileSync(
			'redis-server',
			['--port', String(redisPort), '--bind', '127.0.0.1', '--daemonize', 'yes', '--dir', redisDir, '--save', '', '--appendonly', 'no', '--pidfile', join(redisDir, 'redis.pid'), '--logfile', join(redisDir, 'redis.log')],
			{ stdio: 'ignore' },
		);
		redisStarted = true;
		mkdirSync(pgData, { mode: 0o700 });
		if (isRoot) execFileSync('chown', ['postgres:postgres', pgData]);
		asPostgres('initdb', ['-D', pgData, '--username=n8n', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync']);
		postgresStarted = true;
		asPostgres('pg_ctl', [
			'-D',
			pgData,
			'-l',
			join(pgData, 'server.log'),
			'-w',
			'-t',
			'60',
			'-o',
			`-p ${postgresPort} -c listen_addresses=127.0.0.1 -k ${pgData} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100`,
			'start',
		]);
		asPostgres('createdb', ['-h', '127.0.0.1', '-p', String(postgresPort), '-U', 'n8n', 'n8n']);
		await waitForRedis(redisPort);
	} catch (error) {
		stop();
		throw error;
	}

	return {
		redisPort,
		postgresPort,
		env: {
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(postgresPort),
			DB_POSTGRESDB_DATABASE: 'n8n',
			DB_POSTGRESDB_USER: 'n8n',
			DB_POSTGRESDB_PASSWORD: '',
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(redisPort),
			N8N_DEFAULT_BINARY_DATA_MODE: 'database',
		},
		stop,
	};
}

async function waitForRedis(port) {
	const deadline = Date.now() + 20_000;
	while (Date.now() < deadline) {
		const ping = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8', timeout: 5_000 });
		if (ping.stdout?.trim() === 'PONG') return;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	throw new Error(`Redis did not answer on 127.0.0.1:${port} within 20 s`);
}
