// What users download: the npm tarball, built and packed as `npm publish` would, then unpacked and
// loaded the way n8n loads a community package (the files its package.json names under "n8n").
// No n8n needed: this checks the package itself, the other end-to-end tests check it inside n8n.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';

import * as lib from '../../scripts/n8n/lib.mjs';

let tarball;
let files;
let unpacked;
let manifest;

before(() => {
	tarball = lib.buildAndPack();
	files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' })
		.trim()
		.split('\n')
		.map((entry) => entry.replace(/^package\//, ''))
		.filter((entry) => entry && !entry.endsWith('/'));
	// Unpacked as n8n installs it: <folder>/node_modules/<package>, with n8n-workflow (a peer
	// dependency, which n8n provides) beside it.
	const folder = lib.temporaryFolder('procore-package-');
	unpacked = join(folder, 'node_modules', lib.PACKAGE);
	mkdirSync(unpacked, { recursive: true });
	execFileSync('tar', ['xzf', tarball, '-C', unpacked, '--strip-components=1']);
	symlinkSync(join(lib.ROOT, 'node_modules', 'n8n-workflow'), join(folder, 'node_modules', 'n8n-workflow'), 'dir');
	manifest = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8'));
});

after(() => {
	if (unpacked) lib.removeFolder(dirname(dirname(unpacked)));
	if (tarball) lib.removeFolder(dirname(tarball));
});

test('every file package.json names ships: the nodes and credentials n8n loads, and main if there is one', () => {
	const named = [...manifest.n8n.nodes, ...manifest.n8n.credentials];
	assert.ok(named.length >= 2, 'package.json names no node or credential under "n8n"');
	for (const path of named) assert.ok(files.includes(path), `${path} is named in package.json but not in the tarball`);
	// n8n loads the package through "n8n", not "main"; a "main" naming a missing file breaks require().
	if (manifest.main !== undefined) assert.ok(files.includes(manifest.main.replace(/^\.\//, '')), `main names ${manifest.main}, which does not ship`);
});

test('only the compiled package ships: no source maps, TypeScript, tests, scripts or a copy of package.json', () => {
	const unwanted = files.filter(
		(path) => /\.(map|ts|tsbuildinfo)$/.test(path) || /^(test|scripts|examples|nodes|credentials|docs)\//.test(path) || path === 'dist/package.json',
	);
	assert.deepEqual(unwanted, []);
	for (const path of files.filter((entry) => entry.endsWith('.js'))) {
		assert.doesNotMatch(readFileSync(join(unpacked, path), 'utf8'), /sourceMappingURL/, `${path} points at a source map that does not ship`);
	}
	assert.ok(files.includes('README.md') && files.includes('LICENSE.md') && files.includes('CHANGELOG.md'));
});

test('no runtime dependencies (n8n verifies community packages only without them)', () => {
	assert.equal(manifest.dependencies, undefined);
	assert.deepEqual(Object.keys(manifest.peerDependencies ?? {}), ['n8n-workflow']);
});

test('the unpacked nodes and credentials load, and their icons and the node codex file sit beside them', () => {
	const require = createRequire(join(unpacked, 'package.json'));
	const loaded = [];
	for (const path of [...manifest.n8n.nodes, ...manifest.n8n.credentials]) {
		const exports = require(join(unpacked, path));
		const [Class] = Object.values(exports);
		assert.equal(typeof Class, 'function', `${path} exports no class`);
		const instance = new Class();
		const icon = instance.description?.icon ?? instance.icon;
		for (const file of Object.values(icon)) {
			assert.match(file, /^file:/);
			const iconPath = join(dirname(path), file.slice('file:'.length));
			assert.ok(files.includes(iconPath), `${path} shows ${iconPath}, which does not ship`);
		}
		loaded.push(instance.description?.name ?? instance.name);
		if (path.endsWith('.node.js')) {
			const codex = path.replace(/\.js$/, '.json');
			assert.ok(existsSync(join(unpacked, codex)), `${codex} (the node's codex: categories, docs links) does not ship`);
		}
	}
	assert.deepEqual(loaded.sort(), ['procore', 'procoreOAuth2Api', 'procorePhotosTrigger', 'procoreTrigger']);
});
