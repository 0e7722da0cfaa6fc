// npm run demo: builds the package, starts the Procore emulator and a real n8n with the package
// installed as a community node, runs the shipped example workflow on the sample photos, and
// prints what arrived in "Procore". Exits 0 only if every photo arrived intact.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import * as lib from './lib.mjs';

// Ctrl-C still removes the packed tarball and n8n's user folder (lib removes them on exit).
lib.removeTemporaryOnSignals();

const PHOTOS = join(lib.ROOT, 'test', 'fixtures', 'photos');
const step = (text) => console.log(`\n▶ ${text}`);

step('Making sure n8n 2.41.1 is installed (the first time: about 5-8 minutes and ~3 GB of disk)');
const n8nDir = lib.ensureN8n();
step('Building and packing n8n-nodes-procore');
const tarball = lib.buildAndPack();
step('Starting the Procore emulator');
const emu = await lib.startEmulator();
console.log(`  login ${emu.loginUrl}  api ${emu.apiUrl}  storage ${emu.storageUrl}`);
const userFolder = lib.makeUserFolder(tarball, 'procore-demo-');
let failed = true;
try {
	step('Importing the credential (Custom environment, client credentials) and the example workflow');
	await lib.importJson(n8nDir, userFolder, 'credentials', [lib.emulatorCredential(emu)]);
	const workflow = JSON.parse(readFileSync(join(lib.ROOT, 'examples', 'upload-photos.workflow.json'), 'utf8'));
	workflow.id = 'procoreDemo0001';
	workflow.nodes.find((node) => node.type === 'n8n-nodes-base.readWriteFile').parameters.fileSelector =
		`${PHOTOS}/*.{jpg,jpeg,png}`;
	await lib.importJson(n8nDir, userFolder, 'workflow', [workflow]);

	step('Running the workflow in n8n');
	const started = Date.now();
	// Read back from n8n's database: `n8n execute` can exit before its logger has printed the whole
	// result, and a cut-off result once made this demo report five photos as missing (lib.mjs,
	// executeAndRead).
	const run = await lib.executeAndRead(n8nDir, userFolder, workflow.id);
	const uploaded = lib.nodeOutput(run.data, 'Upload to Procore');
	const error = lib.nodeError(run.data, 'Upload to Procore');
	if (error || run.code !== 0) console.log(`  n8n reported: ${error?.message ?? run.stderr.slice(-800)}`);
	console.log(`  n8n run took ${((Date.now() - started) / 1000).toFixed(1)} s (most of it n8n start-up)`);

	const photos = readdirSync(PHOTOS).filter((name) => /\.(jpe?g|png)$/i.test(name)).sort();
	const rows = photos.map((name) => {
		const output = uploaded.find((item) => item.json.filename === name)?.json;
		const stored = output ? emu.state.images.get(output.id) : undefined;
		const expected = lib.sha256File(join(PHOTOS, name));
		return {
			photo: name,
			'Procore image id': output?.id ?? '-',
			album: output?.image_category_name ?? '-',
			'bytes sent': stored?.size ?? 0,
			'SHA-256 verified': stored?.sha256 === expected ? 'yes' : 'NO',
		};
	});
	console.log('');
	console.table(rows);
	failed = rows.some((row) => row['SHA-256 verified'] !== 'yes') || rows.length === 0;
	console.log(failed ? '\n✗ Some photos did not arrive intact.' : `\n✓ All ${rows.length} photos arrived in Procore intact.`);
} finally {
	await emu.close();
	lib.removeFolder(userFolder);
	lib.removeFolder(dirname(tarball));
}
process.exit(failed ? 1 : 0);
