// End-to-end in the real n8n 2.41.1 editor, driven in headless Chromium (Debian's, through
// playwright-core; `bash scripts/n8n/install-chromium.sh` installs both). The package is installed
// from its npm tarball as a community node, the Procore emulator stands in for Procore:
//   1. a Procore OAuth2 API credential is made in the credential dialog (Custom environment,
//      Authorization Code), and "Connect" goes through the emulator's approval page in a popup;
//   2. in a workflow, the Procore node's Company, Project and Album are picked from the lists
//      (loaded from the emulator with the token just obtained), "Execute step" uploads a photo read
//      from disk, and the image is checked in the emulator.
//   3. the example workflow (examples/upload-photos.workflow.json, as `npm run demo` runs it) is
//      executed from the editor and its output table shown.
// Screenshots go to test-artifacts/ (also one per failing step, named failure-*.png). With
// UPDATE_DOCS_PICTURES=1 the two the README shows are also written to docs/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as lib from '../../scripts/n8n/lib.mjs';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--no-first-run',
];
const ARTIFACTS = join(lib.ROOT, 'test-artifacts');
const DOCS = join(lib.ROOT, 'docs');
const UPDATE_DOCS_PICTURES = process.env.UPDATE_DOCS_PICTURES === '1';
// The README's pictures are cropped to what they show; a bigger file means a bad crop.
const MAX_PICTURE_BYTES = 300_000;
const PHOTOS = join(lib.ROOT, 'test', 'fixtures', 'photos');
const PHOTO = join(lib.ROOT, 'test', 'fixtures', 'photos', 'north-facade.jpg');
const CREDENTIAL_NAME = 'Procore (emulator, browser test)';
const NODE_NAME = 'Upload to Procore';
// Generous: on a shared 2-core machine under load the editor has taken 20 s to draw a canvas.
const STEP_TIMEOUT = 60_000;

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

// Outside the timed set-up: the first time ever, installing n8n takes minutes (then it is cached).
const n8nDir = lib.ensureN8n();
let emu;
let n8nProcess;
let tarball;
let userFolder;
let browserDir;
let context;
let page;
let baseUrl;
let cookie;
/** Filled by the credential test, used by the workflow test. */
const connected = { credentialId: undefined, accessToken: undefined };

before(
	async () => {
		let playwright;
		try {
			playwright = await import('playwright-core');
		} catch {
			throw new Error('playwright-core is missing: run `bash scripts/n8n/install-chromium.sh` (or `npm ci`) first');
		}
		if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`bash scripts/n8n/install-chromium.sh\` first`);
		const started = Date.now();
		tarball = lib.buildAndPack();
		console.log(`  build + pack: ${seconds(started)}`);
		emu = await lib.startEmulator();
		userFolder = lib.makeUserFolder(tarball, 'procore-n8n-browser-');
		const port = await lib.freePort();
		const n8nStarted = Date.now();
		await startN8n(n8nDir, userFolder, port, 90_000);
		console.log(`  n8n start: ${seconds(n8nStarted)}`);
		// The editor's own origin (N8N_EDITOR_BASE_URL uses localhost): the session cookie and the
		// OAuth callback both live there.
		baseUrl = `http://localhost:${port}`;
		cookie = await lib.setUpOwner(baseUrl);

		mkdirSync(ARTIFACTS, { recursive: true });
		for (const name of readdirSync(ARTIFACTS)) {
			if (name.startsWith('failure-')) rmSync(join(ARTIFACTS, name), { force: true });
		}
		browserDir = lib.temporaryFolder('procore-chromium-');
		// n8n marks its elements with data-test-id (Playwright's default is data-testid).
		playwright.selectors.setTestIdAttribute('data-test-id');
		context = await playwright.chromium.launchPersistentContext(browserDir, {
			executablePath: CHROMIUM,
			headless: true,
			args: CHROMIUM_ARGS,
			viewport: { width: 1600, height: 1000 },
			timeout: 30_000,
		});
		context.setDefaultTimeout(STEP_TIMEOUT);
		// A first load parses several MB of the editor's JavaScript: on a busy 2-core machine that
		// alone has taken 25-30 s.
		context.setDefaultNavigationTimeout(90_000);
		await context.addCookies(
			cookie.split('; ').map((pair) => {
				const at = pair.indexOf('=');
				return { name: pair.slice(0, at), value: pair.slice(at + 1), domain: 'localhost', path: '/' };
			}),
		);
		page = context.pages()[0] ?? (await context.newPage());
		console.log(`  set-up total: ${seconds(started)}`);
	},
	{ timeout: 180_000 },
);

after(
	async () => {
		await withTimeout(context?.close(), 10_000).catch(() => {});
		await lib.stopProcess(n8nProcess);
		await withTimeout(emu?.close(), 5_000).catch(() => {});
		if (userFolder) lib.removeFolder(userFolder);
		if (browserDir) lib.removeFolder(browserDir);
		if (tarball) lib.removeFolder(dirname(tarball));
	},
	{ timeout: 30_000 },
);

/**
 * `n8n start`, like lib.startN8n, but the process is known from the moment it is spawned, so
 * after() stops it even when the set-up times out while n8n is still starting.
 */
async function startN8n(n8nDir, folder, port, timeoutMs) {
	const { node } = lib.node24();
	const host = `http://localhost:${port}/`;
	const broker = await lib.brokerPort();
	n8nProcess = lib.trackProcess(
		spawn(node, [join(n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'), 'start'], {
			env: lib.n8nEnv(folder, { ...broker, N8N_PORT: String(port), N8N_HOST: 'localhost', N8N_LISTEN_ADDRESS: '127.0.0.1', N8N_EDITOR_BASE_URL: host, N8N_WEBHOOK_URL: host }),
			stdio: ['ignore', 'pipe', 'pipe'],
		}),
	);
	let log = '';
	n8nProcess.stdout.on('data', (chunk) => (log += chunk));
	n8nProcess.stderr.on('data', (chunk) => (log += chunk));
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (n8nProcess.exitCode !== null) throw new Error(`n8n exited early (${n8nProcess.exitCode}):\n${log}`);
		try {
			if ((await fetch(`http://127.0.0.1:${port}/healthz/readiness`)).ok) return;
		} catch {
			// not listening yet
		}
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	throw new Error(`n8n did not start within ${timeoutMs / 1000} s:\n${log}`);
}

function withTimeout(promise, ms) {
	let timer;
	return Promise.race([
		Promise.resolve(promise).finally(() => clearTimeout(timer)),
		new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))),
	]);
}


/** Runs a test body; on failure saves a screenshot of the page as it was. */
async function step(name, body) {
	const started = Date.now();
	try {
		await body();
	} catch (error) {
		if (connected.credentialId) {
			const stored = await rest(`/rest/credentials/${connected.credentialId}?includeData=true`).catch((e) => e.message);
			console.log(`  the credential in n8n at the failure: ${JSON.stringify(stored?.data ?? stored)}`);
		}
		await page?.screenshot({ path: join(ARTIFACTS, `failure-${name}.png`) }).catch(() => {});
		throw error;
	} finally {
		console.log(`  ${name}: ${seconds(started)}`);
	}
}

/** A picture for the README (a locator's box, or a clip of the page), into test-artifacts/ and, when asked, docs/. */
async function picture(target, name, clip) {
	const png = await target.screenshot({ animations: 'disabled', caret: 'hide', ...(clip ? { clip } : {}) });
	assert.ok(png.length < MAX_PICTURE_BYTES, `${name} is ${png.length} bytes: crop it closer`);
	writeFileSync(join(ARTIFACTS, name), png);
	if (UPDATE_DOCS_PICTURES) {
		mkdirSync(DOCS, { recursive: true });
		writeFileSync(join(DOCS, name), png);
	}
}

/** Waits until an input shows the text (n8n updates its inputs asynchronously). */
async function waitForValue(input, expected, what) {
	const deadline = Date.now() + 5_000;
	let value;
	while (Date.now() < deadline) {
		value = await input.inputValue();
		if (value.startsWith(expected)) return;
		await page.waitForTimeout(100);
	}
	assert.fail(`${what} shows "${value}", not "${expected}"`);
}

/** Waits until an element's text matches, and returns the text. */
/**
 * Waits until the locator's text matches every pattern. n8n's panels render long output in
 * pieces, so the first field can be on screen before the later ones (a CI run once read the
 * JSON view when it had reached "size" but not yet "filename").
 */
async function waitForText(locator, patterns, what) {
	const wanted = [patterns].flat();
	const deadline = Date.now() + 30_000;
	let text;
	while (Date.now() < deadline) {
		text = await locator.innerText().catch(() => '');
		if (wanted.every((pattern) => pattern.test(text))) return text;
		await page.waitForTimeout(200);
	}
	const missing = wanted.filter((pattern) => !pattern.test(text ?? ''));
	assert.fail(`${what}: ${missing.join(', ')} not in ${JSON.stringify(text?.slice(0, 2000))}`);
}

/** Picks an option of an n8n (Element Plus) select parameter in the credential dialog. */
async function chooseOption(scope, parameter, optionText) {
	const select = scope.getByTestId(`parameter-input-${parameter}`);
	await select.click();
	await page.locator('.el-select-dropdown__item:visible').filter({ hasText: optionText }).first().click();
	await waitForValue(select.locator('input').first(), optionText, parameter);
}

async function rest(path, init = {}) {
	const response = await fetch(`${baseUrl}${path}`, {
		...init,
		headers: { 'Content-Type': 'application/json', Cookie: cookie, 'browser-id': 'e2e', ...init.headers },
	});
	const body = await response.json();
	if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${JSON.stringify(body)}`);
	return body.data ?? body;
}

describe('the n8n editor in Chromium', { timeout: 420_000 }, () => {
	test('a Procore credential made in the UI connects through the authorization-code popup', { timeout: 140_000 }, () =>
		step('credential', async () => {
			await page.goto(`${baseUrl}/home/credentials`);
			await page.getByRole('button', { name: 'Create credential' }).first().click();
			await page.getByTestId('new-credential-type-select').click();
			await page.keyboard.type('Procore');
			await page.getByTestId('new-credential-type-select-option').filter({ hasText: 'Procore OAuth2 API' }).click();
			await page.getByTestId('new-credential-type-button').click();

			const dialog = page.getByTestId('editCredential-modal');
			await dialog.getByTestId('credential-name').click();
			await dialog.getByTestId('inline-edit-input').fill(CREDENTIAL_NAME);
			await dialog.getByTestId('inline-edit-input').press('Enter');
			await chooseOption(dialog, 'environment', 'Custom');
			await dialog.getByTestId('parameter-input-loginHost').locator('input').fill(emu.loginUrl);
			await dialog.getByTestId('parameter-input-apiHost').locator('input').fill(emu.apiUrl);
			await chooseOption(dialog, 'grantType', 'Authorization Code');
			await dialog.getByTestId('parameter-input-clientId').locator('input').fill(emu.clientId);
			await dialog.getByTestId('parameter-input-clientSecret').locator('input').fill(emu.clientSecret);
			await dialog.getByTestId('credential-save-button').click();
			// Saved (it can be deleted now) before Connect: Connect on a dialog that is still saving
			// would save it a second time.
			await dialog.getByTestId('credential-delete-button').waitFor();

			const notConnected = dialog.getByTestId('oauth-not-connected-banner');
			await notConnected.waitFor();
			const tokensBefore = [...emu.state.tokens.values()].length;
			const [popup] = await Promise.all([
				page.waitForEvent('popup'),
				notConnected.getByRole('button', { name: /connect/i }).click(),
			]);
			await popup.waitForURL((url) => url.href.startsWith(`${emu.loginUrl}/oauth/authorize`));
			await popup.locator('#approve').click();
			const banner = dialog.getByTestId('oauth-connect-success-banner');
			await banner.waitFor();
			assert.match(await banner.innerText(), /Account connected/);
			await page.screenshot({ path: join(ARTIFACTS, 'procore-credential-connected.png') });

			// The emulator saw the whole authorization-code dance and issued a user token.
			const paths = emu.requests.filter((r) => r.listener === 'login').map((r) => `${r.method} ${r.path} ${r.status}`);
			assert.ok(paths.includes('GET /oauth/authorize 200'), paths.join('\n'));
			assert.ok(paths.includes('POST /oauth/authorize/approve 302'), paths.join('\n'));
			assert.ok(paths.includes('POST /oauth/token 200'), paths.join('\n'));
			const tokens = [...emu.state.tokens.values()];
			assert.equal(tokens.length, tokensBefore + 1);
			const token = tokens.at(-1);
			assert.equal(token.grantType, 'authorization_code');
			assert.equal(token.clientId, emu.clientId);
			assert.equal(token.userId, emu.seed.userId);
			assert.ok(token.refreshToken, 'an authorization-code token comes with a refresh token');

			const all = await rest('/rest/credentials');
			const matching = all.filter((c) => c.name === CREDENTIAL_NAME);
			assert.equal(matching.length, 1, JSON.stringify(all.map((c) => [c.id, c.name])));
			const saved = matching[0];
			assert.equal(saved.type, 'procoreOAuth2Api');
			connected.credentialId = saved.id;
			connected.accessToken = token.accessToken;
			// n8n stored the token with the credential (its API only says whether there is one).
			const stored = await rest(`/rest/credentials/${saved.id}?includeData=true`);
			assert.equal(stored.data.oauthTokenData, true, JSON.stringify(stored.data));
			await page.keyboard.press('Escape');
			await dialog.waitFor({ state: 'hidden' });
		}),
	);

	test('Company, Project and Album picked from the lists; "Execute step" uploads the photo', { timeout: 140_000 }, () =>
		step('node', async () => {
			assert.ok(connected.credentialId, 'needs the credential of the previous test');
			const workflow = await rest('/rest/workflows', {
				method: 'POST',
				body: JSON.stringify({
					name: 'Browser E2E: site photo to Procore',
					active: false,
					settings: { executionOrder: 'v1' },
					nodes: [
						{ id: 'b1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
						{ id: 'b2', name: 'Read photo', type: 'n8n-nodes-base.readWriteFile', typeVersion: 1.1, position: [220, 0], parameters: { fileSelector: PHOTO, options: {} } },
						{
							id: 'b3',
							name: NODE_NAME,
							type: lib.NODE_TYPE,
							typeVersion: 1,
							position: [440, 0],
							parameters: {
								resource: 'image',
								operation: 'create',
								companyId: { __rl: true, mode: 'list', value: '' },
								projectId: { __rl: true, mode: 'list', value: '' },
								uploadMethod: 'direct',
								binaryPropertyName: 'data',
								albumId: { __rl: true, mode: 'list', value: '' },
								createAlbumIfMissing: false,
							},
							credentials: { procoreOAuth2Api: { id: connected.credentialId, name: CREDENTIAL_NAME } },
						},
					],
					connections: {
						Start: { main: [[{ node: 'Read photo', type: 'main', index: 0 }]] },
						'Read photo': { main: [[{ node: NODE_NAME, type: 'main', index: 0 }]] },
					},
				}),
			});

			await page.goto(`${baseUrl}/workflow/${workflow.id}`);
			await page.locator(`[data-test-id="canvas-node"][data-node-name="${NODE_NAME}"]`).dblclick();
			const ndv = page.getByTestId('ndv');
			await ndv.waitFor();

			const apiBefore = emu.requests.length;
			for (const [field, choice, expected] of [
				['companyId', 'Acme Construction', ['Acme Construction']],
				['projectId', 'HT-001 - Harbor Tower', ['HT-001 - Harbor Tower']],
				['albumId', 'Safety Walks', ['Unclassified', 'Site Progress', 'Safety Walks']],
			]) {
				const locator = ndv.getByTestId(`resource-locator-${field}`);
				await locator.getByTestId('rlc-input').click();
				const items = page.getByTestId('rlc-item');
				await items.filter({ hasText: choice }).waitFor();
				const listed = await items.allInnerTexts();
				for (const name of expected) assert.ok(listed.some((text) => text.includes(name)), `${field}: ${name} not in ${listed}`);
				await items.filter({ hasText: choice }).click();
				await waitForValue(locator.getByTestId('rlc-input'), choice, field);
			}
			// The lists came from the emulator, asked with the token the popup produced.
			const listCalls = emu.requests.slice(apiBefore).filter((r) => r.listener === 'api' && r.method === 'GET');
			for (const path of ['/rest/v1.0/companies', '/rest/v1.0/projects', '/rest/v1.0/image_categories']) {
				const call = listCalls.find((r) => r.path === path);
				assert.equal(call?.status, 200, `${path} was called: ${listCalls.map((r) => r.path)}`);
				assert.equal(call.headers.authorization, `Bearer ${connected.accessToken}`);
			}
			await page.screenshot({ path: join(ARTIFACTS, 'procore-node-panel.png') });
			await picture(ndv.getByTestId('node-parameters'), 'procore-node-form.png');

			const imagesBefore = emu.state.images.size;
			await ndv.getByTestId('node-execute-button').click();
			const output = ndv.getByTestId('output-panel');
			await output.getByTestId('node-run-status-success').waitFor({ timeout: 30_000 });
			assert.match(await output.getByTestId('ndv-items-count').innerText(), /^1 item/);
			await output.getByTestId('radio-button-json').click();

			assert.equal(emu.state.images.size, imagesBefore + 1);
			const image = [...emu.state.images.values()].at(-1);
			const album = [...emu.state.albums.values()].find((a) => a.projectId === 2001 && a.name === 'Safety Walks');
			assert.ok(album, `no Safety Walks album in ${JSON.stringify([...emu.state.albums.values()])}`);
			assert.equal(image.companyId, 1001);
			assert.equal(image.projectId, 2001);
			assert.equal(image.albumId, album.id);
			assert.equal(image.filename, 'north-facade.jpg');
			assert.equal(image.sha256, lib.sha256File(PHOTO));
			assert.equal(image.uploaderId, emu.seed.userId, 'uploaded as the user who approved the popup');
			// The output panel (JSON view) shows the created image.
			const data = output.getByTestId('ndv-data-container');
			await waitForText(
				data,
				[new RegExp(`"id":\\s*${image.id},`), /"filename":\s*"north-facade.jpg"/, /"image_category_name":\s*"Safety Walks"/],
				'output',
			);
			await page.screenshot({ path: join(ARTIFACTS, 'procore-output.png') });
			console.log(`  created image ${image.id} in album ${album.id} "${album.name}" of project ${image.projectId}`);
		}),
	);
	test('the example workflow, executed from the editor, uploads every sample photo and shows them in a table', { timeout: 140_000 }, () =>
		step('example', async () => {
			const credential = await lib.createCredential(baseUrl, cookie, lib.emulatorCredential(emu, { name: 'Procore emulator: service account' }));
			const example = JSON.parse(readFileSync(join(lib.ROOT, 'examples', 'upload-photos.workflow.json'), 'utf8'));
			for (const node of example.nodes) {
				if (node.type === 'n8n-nodes-base.readWriteFile') node.parameters.fileSelector = `${PHOTOS}/*.{jpg,jpeg,png}`;
				if (node.credentials) node.credentials.procoreOAuth2Api = { id: credential.id, name: credential.name };
			}
			const workflow = await rest('/rest/workflows', {
				method: 'POST',
				body: JSON.stringify({ name: example.name, active: false, nodes: example.nodes, connections: example.connections, settings: example.settings }),
			});
			const photos = readdirSync(PHOTOS).filter((name) => /\.(jpe?g|png)$/i.test(name));
			const imagesBefore = emu.state.images.size;

			await page.goto(`${baseUrl}/workflow/${workflow.id}`);
			await page.getByTestId('execute-workflow-button').click();
			const deadline = Date.now() + STEP_TIMEOUT;
			while (emu.state.images.size < imagesBefore + photos.length && Date.now() < deadline) await page.waitForTimeout(250);
			assert.equal(emu.state.images.size, imagesBefore + photos.length);
			const created = [...emu.state.images.values()].slice(-photos.length);
			for (const name of photos) {
				const image = created.find((entry) => entry.filename === name);
				assert.equal(image?.sha256, lib.sha256File(join(PHOTOS, name)), name);
			}

			// The logs panel under the canvas shows the last node's output as a table. For the picture:
			// the panel made taller, and every column but the file name kept to one line (n8n's
			// "Collapse rows" on a column), so that the five rows fit.
			const logs = page.getByTestId('logs-panel');
			const table = logs.locator('table');
			if (!(await table.isVisible())) await logs.getByText('Logs').first().click();
			await waitForText(logs.getByTestId('logs-overview-status'), /Success/i, 'the logs panel');
			await waitForText(table, /north-facade\.jpg/, 'the output table');
			const panel = await logs.boundingBox();
			await page.mouse.move(panel.x + panel.width / 2, panel.y + 1);
			await page.mouse.down();
			await page.mouse.move(panel.x + panel.width / 2, panel.y - 150, { steps: 5 });
			await page.mouse.up();
			const filenameHeader = table.locator('th').filter({ hasText: /^filename$/ }).first();
			await filenameHeader.hover();
			await filenameHeader.getByRole('button', { name: 'Collapse rows' }).click();
			await page.mouse.move(0, 0);
			const rows = await table.locator('tbody tr').allInnerTexts();
			assert.equal(rows.length, photos.length, rows.join('\n'));
			for (const name of photos) assert.ok(rows.some((row) => row.includes(name)), `${name} not in the output table`);
			// From just above the nodes to just below the table.
			const nodes = await page.getByTestId('canvas-node').first().boundingBox();
			const tableBox = await table.boundingBox();
			const top = Math.max(0, nodes.y - 40);
			await picture(page, 'procore-example-run.png', { x: 0, y: top, width: 1600, height: Math.min(1000, tableBox.y + tableBox.height + 24) - top });
		}),
	);
});
