// npm run dev: the Procore emulator and n8n's editor on http://localhost:5678, with this package
// installed from its tarball, an owner account, a credential for the emulator and the example
// workflow ready to click through. Ctrl-C stops everything it started.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import * as lib from './lib.mjs';

const PORT = Number(process.env.N8N_DEV_PORT ?? 5678);
const userFolder = join(process.env.PROCORE_CACHE ?? join(process.env.HOME, '.cache', 'n8n-nodes-procore'), 'dev-n8n');

console.log('▶ Making sure n8n 2.41.1 is installed (the first time: about 5-8 minutes and ~3 GB of disk)');
const n8nDir = lib.ensureN8n();
console.log('▶ Building and packing the package');
const tarball = lib.buildAndPack();
mkdirSync(userFolder, { recursive: true });
lib.installPackage(tarball, userFolder);
lib.removeFolder(dirname(tarball));

const emu = await lib.startEmulator({ loginPort: 4601, apiPort: 4602, storagePort: 4603 });
console.log(`▶ Procore emulator: login ${emu.loginUrl}, api ${emu.apiUrl}, storage ${emu.storageUrl}`);

// Two credentials, named for what they are, so that the credential list tells them apart.
const SERVICE_ACCOUNT = 'Procore emulator: service account';
const USER_LOGIN = 'Procore emulator: user login';
await lib.importJson(n8nDir, userFolder, 'credentials', [
	lib.emulatorCredential(emu, { name: SERVICE_ACCOUNT }),
	lib.emulatorCredential(emu, { id: 'procoreEmulatorUser', name: USER_LOGIN, grantType: 'authorizationCode' }),
]);
const workflow = JSON.parse(readFileSync(join(lib.ROOT, 'examples', 'upload-photos.workflow.json'), 'utf8'));
workflow.id = 'procoreExample01';
workflow.nodes.find((node) => node.type === 'n8n-nodes-base.readWriteFile').parameters.fileSelector =
	`${join(lib.ROOT, 'test', 'fixtures', 'photos')}/*.{jpg,jpeg,png}`;
await lib.importJson(n8nDir, userFolder, 'workflow', [workflow]);

console.log(`▶ Starting n8n on http://localhost:${PORT}`);
const { child } = await lib.startN8n(n8nDir, userFolder, PORT, {}, { onOutput: quietOutput() });
// The owner account is made on the first run only (the user folder stays between runs); asking
// again would make n8n log a refusal.
const settings = await (await fetch(`http://127.0.0.1:${PORT}/rest/settings`)).json();
if (settings.data?.userManagement?.showSetupOnFirstLoad !== false) await lib.setUpOwner(`http://127.0.0.1:${PORT}`);
console.log(`
  Editor:     http://localhost:${PORT}/workflow/${workflow.id}
  Sign in:    ${lib.OWNER.email} / ${lib.OWNER.password}
  Credentials: "${SERVICE_ACCOUNT}" (Client Credentials, ready; the example uses it) and
              "${USER_LOGIN}" (Authorization Code): open it and click Connect to see
              the emulator's approval page.
  Ctrl-C stops n8n and the emulator.
  (Hidden from n8n's output: its Python task runner is not installed, which the Procore node does
  not need, and its internal task-runner mode is deprecated. Everything else n8n says shows.)
`);

let stopping = false;
const stop = async () => {
	if (stopping) return;
	stopping = true;
	await lib.stopProcess(child);
	await emu.close();
	process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
child.on('exit', () => stop());

/**
 * n8n's console output, line by line, without two notices that are expected here and say nothing
 * about the package: the Python task runner is missing (n8n looks for a Python virtual environment
 * it does not ship from npm), and internal task-runner mode is deprecated (the external mode needs
 * a separate launcher process). The deprecation header is printed only if other items follow it.
 */
function quietOutput() {
	const hidden = [/^Failed to start Python task runner in internal mode/, /^ - N8N_RUNNERS_MODE -> /];
	let partial = '';
	let heldHeader;
	// n8n puts a blank line after each notice: it goes with the hidden notice.
	let afterHidden = false;
	return (chunk) => {
		const lines = (partial + chunk).split('\n');
		partial = lines.pop();
		for (const line of lines) {
			if (/^There (is a deprecation|are deprecations) related to your n8n setup/.test(line)) {
				heldHeader = line;
				continue;
			}
			if (hidden.some((pattern) => pattern.test(line))) {
				afterHidden = true;
				continue;
			}
			if (line.trim() === '' && (afterHidden || heldHeader !== undefined)) continue;
			afterHidden = false;
			if (heldHeader !== undefined) {
				if (line.startsWith(' - ')) process.stdout.write(`${heldHeader}\n`);
				heldHeader = undefined;
			}
			process.stdout.write(`${line}\n`);
		}
	};
}
