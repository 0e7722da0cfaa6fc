/**
 * Self-tests of the emulator's webhooks (docs/procore-api.md §8, §11 "Webhooks, more"): the hooks and
 * triggers API over real HTTP with Node's fetch, and deliveries to a tiny receiver on 127.0.0.1.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'http';
import type { AddressInfo } from 'net';
import { startEmulator, SEED } from './index';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
// Response bodies are asserted field by field; a loose type keeps those assertions short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let emu: Emulator;
let userToken: string;
let dmsaToken: string;

beforeAll(async () => {
	emu = await startEmulator();
	userToken = emu.issueToken().access_token;
	dmsaToken = emu.issueToken({ grantType: 'client_credentials' }).access_token;
});

afterAll(async () => {
	expect(emu.errors).toEqual([]);
	await emu.close();
});

interface CallOptions {
	method?: string;
	token?: string;
	company?: number;
	json?: unknown;
	body?: BodyInit;
}

/** A call to the api listener; the seeded user's token and company 1001 unless told otherwise. */
async function api(path: string, o: CallOptions = {}) {
	const headers: Record<string, string> = { authorization: `Bearer ${o.token ?? userToken}`, 'procore-company-id': String(o.company ?? 1001) };
	let body = o.body;
	if (o.json !== undefined) {
		headers['content-type'] = 'application/json';
		body = JSON.stringify(o.json);
	}
	const res = await fetch(`${emu.apiUrl}${path}`, { method: o.method ?? (body ? 'POST' : 'GET'), headers, body });
	const text = await res.text();
	let json: Json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: res.status, text, json };
}

interface Received {
	at: number;
	headers: IncomingHttpHeaders;
	body: Json;
}

/**
 * A tiny webhook receiver on 127.0.0.1. `answer` decides each reply: a status, or a delay (ms)
 * before answering 200.
 */
async function receiver(answer: (n: number) => { status?: number; delayMs?: number } = () => ({})) {
	const got: Received[] = [];
	const timers = new Set<NodeJS.Timeout>();
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			got.push({ at: Date.now(), headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
			const a = answer(got.length);
			const reply = () => {
				if (!res.destroyed) res.writeHead(a.status ?? 200).end('ok');
			};
			if (a.delayMs) {
				const timer = setTimeout(() => {
					timers.delete(timer);
					reply();
				}, a.delayMs);
				timers.add(timer);
			}
			else reply();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/procore`;
	return {
		url,
		got,
		close: () => new Promise<void>((resolve) => {
			// A delayed answer still pending would keep the test process alive.
			for (const t of timers) clearTimeout(t);
			server.closeAllConnections();
			server.close(() => resolve());
		}),
	};
}

/** A project-level hook on 2001 with triggers; returns the hook's JSON. */
async function hookWith(url: string, triggers: Array<[string, string]>, headers: Record<string, string> = {}) {
	const hook = await api('/rest/v1.0/webhooks/hooks', { json: { project_id: 2001, hook: { api_version: 'v2', namespace: 'n8n-test', destination_url: url, destination_headers: headers } } });
	expect(hook.status).toBe(201);
	for (const [resource_name, event_type] of triggers) {
		const t = await api(`/rest/v1.0/webhooks/hooks/${hook.json.id}/triggers`, { json: { project_id: 2001, api_version: 'v2', trigger: { resource_name, event_type } } });
		expect(t.status).toBe(201);
	}
	return hook.json;
}

/** Removes every hook (and its triggers) so tests do not see each other's deliveries. */
async function removeAllHooks() {
	await emu.webhooks.idle();
	emu.webhooks.hookRecords.clear();
	emu.webhooks.triggerRecords.clear();
}

afterEach(async () => {
	emu.configure({ deliveryTimeoutMs: 5000, deliveryBackoffMs: 1000, deliveryBackoffMaxMs: 3600 * 1000, deliveryDiscardAfterMs: 12 * 3600 * 1000, deliveryBatchMs: 0, triggerEventTypeCapitals: false, hookDeleteWithTriggers: 'refuse' });
	emu.webhooks.shuffle(false).duplicateNext(0);
	await removeAllHooks();
});

/** Creates a photo through Create Upload, storage and Create Image, as the node does. */
async function createPhoto(name: string, token = userToken) {
	const up = await api('/rest/v1.1/projects/2001/uploads', { token, json: { response_filename: name } });
	expect(up.status).toBe(201);
	const fd = new FormData();
	for (const [k, v] of Object.entries(up.json.fields as Record<string, string>)) fd.append(k, v);
	fd.append('file', new Blob([Buffer.from(`bytes of ${name}`)]), name);
	expect((await fetch(up.json.url, { method: 'POST', body: fd })).status).toBe(204);
	const created = await api('/rest/v1.0/images?project_id=2001', { token, json: { upload_uuid: up.json.uuid, image_name: name, image: { image_category_id: 5002 } } });
	expect(created.status).toBe(201);
	return created.json;
}

describe('hooks', () => {
	test('create, list (namespace filter), show, update, delete; Authorization masked in every answer', async () => {
		const secret = 'Bearer s3cret-token-abcde';
		const created = await api('/rest/v1.0/webhooks/hooks', {
			json: { project_id: 2001, hook: { api_version: 'v2', namespace: 'my-app-1', destination_url: 'https://example.com/hook', destination_headers: { Authorization: secret, 'X-Other': 'plain' } } },
		});
		expect(created.status).toBe(201);
		const h = created.json;
		expect(h).toMatchObject({ owned_by_project_id: 2001, owned_by_company_id: 1001, owned_by_user_id: SEED.userId, api_version: 'v2', namespace: 'my-app-1', destination_url: 'https://example.com/hook' });
		expect(h.destination_headers.Authorization).toBe('*'.repeat(secret.length - 5) + 'abcde');
		expect(h.destination_headers['X-Other']).toBe('plain');
		expect(created.text).not.toContain('s3cret');

		await api('/rest/v1.0/webhooks/hooks', { json: { project_id: 2001, hook: { api_version: 'v2', namespace: 'other-app', destination_url: 'http://127.0.0.1:1/x' } } });
		const listed = await api('/rest/v1.0/webhooks/hooks?project_id=2001&namespace=my-app-1');
		expect(listed.status).toBe(200);
		expect(listed.json.map((x: Json) => x.id)).toEqual([h.id]);
		expect(listed.text).not.toContain('s3cret');
		expect((await api('/rest/v1.0/webhooks/hooks?project_id=2001')).json).toHaveLength(2);
		// Another scope does not see it, and cannot address it.
		expect((await api('/rest/v1.0/webhooks/hooks?company_id=1001')).json).toEqual([]);
		expect((await api(`/rest/v1.0/webhooks/hooks/${h.id}?company_id=1001`)).status).toBe(404);

		const shown = await api(`/rest/v1.0/webhooks/hooks/${h.id}?project_id=2001`);
		expect(shown.json.destination_headers.Authorization.endsWith('abcde')).toBe(true);
		expect(shown.text).not.toContain('s3cret');

		const patched = await api(`/rest/v1.0/webhooks/hooks/${h.id}?project_id=2001`, { method: 'PATCH', json: { hook: { destination_url: 'http://127.0.0.1:9/new', destination_headers: { Authorization: 'Bearer another-token-zyxwv' } } } });
		expect(patched.status).toBe(200);
		expect(patched.json.destination_url).toBe('http://127.0.0.1:9/new');
		expect(patched.json.namespace).toBe('my-app-1');
		expect(patched.json.destination_headers).toEqual({ Authorization: '*'.repeat('Bearer another-token-zyxwv'.length - 5) + 'zyxwv' });
		// The stored header is the real one (deliveries send it), only answers mask it.
		expect(emu.webhooks.hookRecords.get(h.id)!.destinationHeaders.Authorization).toBe('Bearer another-token-zyxwv');

		const del = await api(`/rest/v1.0/webhooks/hooks/${h.id}?project_id=2001`, { method: 'DELETE' });
		expect(del.status).toBe(204);
		expect((await api(`/rest/v1.0/webhooks/hooks/${h.id}?project_id=2001`)).status).toBe(404);
	});

	test('validation: namespace a-z0-9-, http(s) destination, api_version, scope required', async () => {
		const bad = await api('/rest/v1.0/webhooks/hooks', { json: { project_id: 2001, hook: { api_version: 'v9', namespace: 'My_App', destination_url: 'ftp://x/y', colour: 'red' } } });
		expect(bad.status).toBe(422);
		expect(Object.keys(bad.json.errors).sort()).toEqual(['api_version', 'colour', 'destination_url', 'namespace']);
		const noScope = await api('/rest/v1.0/webhooks/hooks', { json: { hook: { api_version: 'v2', namespace: 'a', destination_url: 'http://127.0.0.1/' } } });
		expect(noScope.status).toBe(400);
		const otherCompanyProject = await api('/rest/v1.0/webhooks/hooks', { json: { project_id: 2101, hook: { api_version: 'v2', namespace: 'a', destination_url: 'http://127.0.0.1/' } } });
		expect(otherCompanyProject.status).toBe(404);
		expect(emu.webhooks.hooks()).toHaveLength(0);
	});

	test('permission: a user who is not admin, or a service account without "Webhooks API" → 403', async () => {
		const body = { project_id: 2001, hook: { api_version: 'v2', namespace: 'a', destination_url: 'http://127.0.0.1/' } };
		const user = emu.state.users.get(SEED.userId) as Json;
		const dmsa = emu.state.users.get(SEED.serviceAccountUserId) as Json;
		try {
			user.projectAdmin = false;
			const r = await api('/rest/v1.0/webhooks/hooks', { json: body });
			expect(r.status).toBe(403);
			expect(r.json.errors).toMatch(/Admin permission level on the project/);
			expect((await api('/rest/v1.0/webhooks/hooks?project_id=2001')).status).toBe(403);
			// The DMSA is not concerned by the user's flag.
			expect((await api('/rest/v1.0/webhooks/hooks', { token: dmsaToken, json: body })).status).toBe(201);
			dmsa.webhooksApi = false;
			const s = await api('/rest/v1.0/webhooks/hooks', { token: dmsaToken, json: body });
			expect(s.status).toBe(403);
			expect(s.json.errors).toMatch(/"Webhooks API"/);
		} finally {
			delete user.projectAdmin;
			delete dmsa.webhooksApi;
		}
	});
});

describe('triggers and resources', () => {
	test('one by one: create, list, delete; Images refused at company level; duplicates refused', async () => {
		const hook = await hookWith('http://127.0.0.1:1/x', [['Images', 'create']]);
		const base = `/rest/v1.0/webhooks/hooks/${hook.id}/triggers`;
		const second = await api(base, { json: { project_id: 2001, api_version: 'v2', trigger: { resource_name: 'Image Categories', event_type: 'DELETE' } } });
		expect(second.status).toBe(201);
		expect(second.json).toMatchObject({ resource_name: 'Image Categories', event_type: 'delete', api_version: 'v2' });
		const again = await api(base, { json: { project_id: 2001, api_version: 'v2', trigger: { resource_name: 'Images', event_type: 'create' } } });
		expect(again.status).toBe(422);
		const unknown = await api(base, { json: { project_id: 2001, api_version: 'v2', trigger: { resource_name: 'Photos', event_type: 'burn' } } });
		expect(unknown.status).toBe(422);
		expect(Object.keys(unknown.json.errors).sort()).toEqual(['event_type', 'resource_name']);

		emu.configure({ triggerEventTypeCapitals: true });
		const listed = await api(`${base}?project_id=2001`);
		expect(listed.json.map((t: Json) => [t.resource_name, t.event_type])).toEqual([['Images', 'CREATE'], ['Image Categories', 'DELETE']]);

		// Strict: a hook with triggers is not deleted (docs/procore-api.md §11: delete the triggers first).
		expect((await api(`/rest/v1.0/webhooks/hooks/${hook.id}?project_id=2001`, { method: 'DELETE' })).status).toBe(422);
		expect((await api(`${base}/${second.json.id}?project_id=2001`, { method: 'DELETE' })).status).toBe(204);
		expect((await api(`${base}?project_id=2001`)).json).toHaveLength(1);

		const companyHook = await api('/rest/v1.0/webhooks/hooks', { json: { company_id: 1001, hook: { api_version: 'v2', namespace: 'co', destination_url: 'http://127.0.0.1:1/c' } } });
		expect(companyHook.status).toBe(201);
		const refused = await api(`/rest/v1.0/webhooks/hooks/${companyHook.json.id}/triggers`, { json: { company_id: 1001, api_version: 'v2', trigger: { resource_name: 'Images', event_type: 'create' } } });
		expect(refused.status).toBe(422);
		expect(refused.json.errors.resource_name[0]).toMatch(/project-level resource/);
	});

	test('bulk: 200 all, 207 with failed[], 413 over 500; bulk delete', async () => {
		const hook = await hookWith('http://127.0.0.1:1/x', []);
		const bulk = `/rest/v1.0/webhooks/hooks/${hook.id}/triggers/bulk`;
		const ok = await api(bulk, { json: { project_id: 2001, api_version: 'v2', triggers: [{ resource_name: 'Images', event_type: 'create' }, { resource_name: 'Images', event_type: 'update' }] } });
		expect(ok.status).toBe(200);
		expect(ok.json.success).toHaveLength(2);
		expect(ok.json.failed).toBeUndefined();
		const mixed = await api(bulk, { json: { project_id: 2001, api_version: 'v2', triggers: [{ resource_name: 'Images', event_type: 'delete' }, { resource_name: 'Images', event_type: 'create' }, { resource_name: 'Projects', event_type: 'create' }] } });
		expect(mixed.status).toBe(207);
		expect(mixed.json.success.map((t: Json) => t.event_type)).toEqual(['delete']);
		expect(mixed.json.failed.map((f: Json) => f.resource_name)).toEqual(['Images', 'Projects']);
		const many = Array.from({ length: 501 }, () => ({ resource_name: 'Images', event_type: 'create' }));
		const tooMany = await api(bulk, { json: { project_id: 2001, api_version: 'v2', triggers: many } });
		expect(tooMany.status).toBe(413);
		expect(emu.webhooks.triggers(hook.id)).toHaveLength(3);

		const ids = emu.webhooks.triggers(hook.id).map((t) => t.id);
		const del = await api(bulk, { method: 'DELETE', json: { project_id: 2001, triggers: [ids[0], ids[1], 999999] } });
		expect(del.status).toBe(207);
		expect(del.json.success).toEqual([ids[0], ids[1]]);
		expect(del.json.failed.map((f: Json) => f.id)).toEqual([999999]);
		const rest = await api(bulk, { method: 'DELETE', json: { project_id: 2001, triggers: [ids[2]] } });
		expect(rest.status).toBe(200);
		expect(emu.webhooks.triggers(hook.id)).toHaveLength(0);
	});

	test('resources: project level lists Images and Image Categories; company level does not', async () => {
		const p = await api('/rest/v1.0/webhooks/resources?project_id=2001');
		expect(p.status).toBe(200);
		const images = p.json.find((r: Json) => r.resource_name === 'Images');
		expect(images).toMatchObject({ api_version: 'v2', tools: ['Photos'], except: [], create: true, update: true, delete: true });
		expect(p.json.map((r: Json) => r.resource_name)).toContain('Image Categories');
		const c = await api('/rest/v1.0/webhooks/resources?company_id=1001');
		expect(c.json.map((r: Json) => r.resource_name)).not.toContain('Images');
		expect(c.json.length).toBeGreaterThan(0);
	});
});

describe('deliveries', () => {
	test('deliveryContentType: another Content-Type, or none, for a Procore that does not send JSON\'s', async () => {
		const rx = await receiver();
		try {
			await hookWith(rx.url, [['Images', 'create']], { Authorization: 'Bearer receiver-secret-12345' });
			emu.configure({ deliveryContentType: 'application/vnd.procore.event' });
			await createPhoto('typed.jpg');
			await emu.webhooks.idle();
			emu.configure({ deliveryContentType: '' });
			await createPhoto('untyped.jpg');
			await emu.webhooks.idle();
			expect(rx.got.map((delivery) => delivery.headers['content-type'])).toEqual(['application/vnd.procore.event', undefined]);
			expect(rx.got.map((delivery) => (delivery.body as { event_type?: string }).event_type)).toEqual(['create', 'create']);
		} finally {
			emu.configure({ deliveryContentType: 'application/json' });
			await rx.close();
		}
	});

	test('a photo created through the API delivers one v2 event with the hook headers; update and delete too', async () => {
		const rx = await receiver();
		try {
			const hook = await hookWith(rx.url, [['Images', 'create'], ['Images', 'delete']], { Authorization: 'Bearer receiver-secret-12345' });
			const img = await createPhoto('delivered.jpg');
			await emu.webhooks.idle();
			expect(rx.got).toHaveLength(1);
			const { headers, body } = rx.got[0];
			expect(headers['content-type']).toBe('application/json');
			expect(headers.authorization).toBe('Bearer receiver-secret-12345');
			expect(body).toEqual({
				id: expect.any(Number),
				ulid: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
				timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
				metadata: { source_user_id: SEED.userId, source_project_id: 2001, source_operation_id: null, source_company_id: 1001, source_application_id: SEED.clientId },
				user_id: SEED.userId,
				company_id: 1001,
				project_id: 2001,
				api_version: 'v2',
				event_type: 'create',
				resource_name: 'Images',
				resource_id: img.id,
			});
			// No trigger for update: nothing sent. Delete: sent.
			expect((await api(`/rest/v1.0/images/${img.id}?project_id=2001`, { method: 'PATCH', json: { image: { description: 'x' } } })).status).toBe(200);
			expect((await api(`/rest/v1.0/images/${img.id}?project_id=2001`, { method: 'DELETE' })).status).toBe(200);
			await emu.webhooks.idle();
			expect(rx.got.map((g) => g.body.event_type)).toEqual(['create', 'delete']);
			const log = await api(`/rest/v1.0/webhooks/hooks/${hook.id}/deliveries?project_id=2001&filter[status]=successful`);
			expect(log.status).toBe(200);
			expect(log.json.map((d: Json) => [d.status, d.response_status, d.attempts])).toEqual([['successful', 200, 1], ['successful', 200, 1]]);
			expect((await api(`/rest/v1.0/webhooks/hooks/${hook.id}/deliveries?project_id=2001&filter[status]=failing`)).json).toEqual([]);
			expect((await api(`/rest/v1.0/webhooks/hooks/${hook.id}/deliveries?project_id=2001&filter[status]=bogus`)).status).toBe(400);
		} finally {
			await rx.close();
		}
	});

	test('albums deliver Image Categories events; a DMSA photo carries its own user', async () => {
		const rx = await receiver();
		try {
			await hookWith(rx.url, [['Image Categories', 'create'], ['Image Categories', 'update'], ['Image Categories', 'delete'], ['Images', 'create']]);
			const album = await api('/rest/v1.0/image_categories?project_id=2001', { json: { image_category: { name: 'Hooked' } } });
			expect(album.status).toBe(201);
			expect((await api(`/rest/v1.0/image_categories/${album.json.id}?project_id=2001`, { method: 'PATCH', json: { image_category: { name: 'Hooked 2' } } })).status).toBe(200);
			expect((await api(`/rest/v1.0/image_categories/${album.json.id}?project_id=2001`, { method: 'DELETE' })).status).toBe(200);
			await createPhoto('by-dmsa.jpg', dmsaToken);
			await emu.webhooks.idle();
			expect(rx.got.map((g) => [g.body.resource_name, g.body.event_type])).toEqual([
				['Image Categories', 'create'], ['Image Categories', 'update'], ['Image Categories', 'delete'], ['Images', 'create'],
			]);
			expect(rx.got.slice(0, 3).every((g) => g.body.resource_id === album.json.id)).toBe(true);
			expect(rx.got[3].body.user_id).toBe(SEED.serviceAccountUserId);
		} finally {
			await rx.close();
		}
	});

	test('a receiver answering 500 pauses every delivery to its URL, then all are retried in order with backoff', async () => {
		emu.configure({ deliveryBackoffMs: 40, deliveryBackoffMaxMs: 1000 });
		// The first three posts fail, then the receiver recovers.
		const rx = await receiver((n) => ({ status: n <= 3 ? 500 : 200 }));
		try {
			const hook = await hookWith(rx.url, [['Images', 'create']]);
			for (const id of [1, 2, 3]) emu.webhooks.emit({ projectId: 2001, resourceName: 'Images', eventType: 'create', resourceId: id, userId: SEED.userId });
			await emu.webhooks.idle();
			// Event 1 is tried four times; 2 and 3 wait behind it (paused), then go in order.
			expect(rx.got.map((g) => g.body.resource_id)).toEqual([1, 1, 1, 1, 2, 3]);
			const gaps = [1, 2, 3].map((i) => rx.got[i].at - rx.got[i - 1].at);
			expect(gaps[0]).toBeGreaterThanOrEqual(35);
			expect(gaps[1]).toBeGreaterThanOrEqual(75);
			expect(gaps[2]).toBeGreaterThanOrEqual(155);
			const [first, second] = emu.webhooks.deliveries(hook.id);
			expect(first.attempts.map((a) => a.responseStatus)).toEqual([500, 500, 500, 200]);
			expect(first.status).toBe('successful');
			expect(second.attempts).toHaveLength(1);
		} finally {
			await rx.close();
		}
	});

	test('the pause is per URL: a failing receiver does not hold back another one', async () => {
		emu.configure({ deliveryBackoffMs: 300, deliveryDiscardAfterMs: 250 });
		const down = await receiver(() => ({ status: 500 }));
		const up = await receiver();
		try {
			await hookWith(down.url, [['Images', 'create']]);
			await hookWith(up.url, [['Images', 'create']]);
			for (const id of [1, 2]) emu.webhooks.emit({ projectId: 2001, resourceName: 'Images', eventType: 'create', resourceId: id });
			await new Promise((r) => setTimeout(r, 150));
			// Within the first backoff: the healthy URL has both, the failing one was tried once.
			expect(up.got.map((g) => g.body.resource_id)).toEqual([1, 2]);
			expect(down.got.map((g) => g.body.resource_id)).toEqual([1]);
			await emu.webhooks.idle();
		} finally {
			await down.close();
			await up.close();
		}
	});

	test('a receiver slower than deliveryTimeoutMs fails the delivery; the next event waits, then both go in order', async () => {
		emu.configure({ deliveryTimeoutMs: 150, deliveryBackoffMs: 20 });
		const rx = await receiver((n) => (n === 1 ? { delayMs: 600 } : {}));
		try {
			const hook = await hookWith(rx.url, [['Images', 'update']]);
			emu.webhooks.emit({ projectId: 2001, resourceName: 'Images', eventType: 'update', resourceId: 7, userId: SEED.userId });
			emu.webhooks.emit({ projectId: 2001, resourceName: 'Images', eventType: 'update', resourceId: 8, userId: SEED.userId });
			await emu.webhooks.idle();
			const [d, next] = emu.webhooks.deliveries(hook.id);
			expect(d.attempts.map((a) => [a.responseStatus, a.error])).toEqual([[null, 'no answer within 150 ms'], [200, null]]);
			expect(d.attempts[0].durationMs).toBeLessThan(550);
			expect(rx.got.map((g) => g.body.resource_id)).toEqual([7, 7, 8]);
			expect(Date.parse(next.attempts[0].at)).toBeGreaterThanOrEqual(Date.parse(d.attempts[1].at));
		} finally {
			await rx.close();
		}
	});

	test('after deliveryDiscardAfterMs a queue that keeps failing is discarded', async () => {
		emu.configure({ deliveryBackoffMs: 30, deliveryDiscardAfterMs: 200 });
		const rx = await receiver(() => ({ status: 503 }));
		try {
			const hook = await hookWith(rx.url, [['Images', 'create']]);
			emu.webhooks.emit({ projectId: 2001, resourceName: 'Images', eventType: 'create', resourceId: 1 });
			emu.webhooks.emit({ projectId: 2001, resourceName: 'Images', eventType: 'create', resourceId: 2 });
			await emu.webhooks.idle();
			const ds = emu.webhooks.deliveries(hook.id);
			expect(ds.map((d) => d.status)).toEqual(['discarded', 'discarded']);
			// Only the head of the queue was tried; the second never went out.
			expect(ds[0].attempts.length).toBeGreaterThanOrEqual(2);
			expect(ds[1].attempts).toHaveLength(0);
			expect(rx.got.every((g) => g.body.resource_id === 1)).toBe(true);
			const listed = await api(`/rest/v1.0/webhooks/hooks/${hook.id}/deliveries?project_id=2001&filter[status]=discarded`);
			expect(listed.json).toHaveLength(2);
		} finally {
			await rx.close();
		}
	});

	test('duplicateNext(n) delivers the next n events twice (same id and ulid); shuffle(true) reorders a batch', async () => {
		const rx = await receiver();
		try {
			await hookWith(rx.url, [['Images', 'create']]);
			emu.webhooks.duplicateNext(1);
			emu.webhooks.emit({ projectId: 2001, resourceName: 'Images', eventType: 'create', resourceId: 11 });
			emu.webhooks.emit({ projectId: 2001, resourceName: 'Images', eventType: 'create', resourceId: 12 });
			await emu.webhooks.idle();
			expect(rx.got.map((g) => g.body.resource_id)).toEqual([11, 11, 12]);
			expect(rx.got[1].body).toEqual(rx.got[0].body);

			rx.got.length = 0;
			emu.webhooks.shuffle(true);
			const ids = [21, 22, 23, 24, 25];
			for (const id of ids) emu.webhooks.emit({ projectId: 2001, resourceName: 'Images', eventType: 'create', resourceId: id });
			await emu.webhooks.idle();
			const order = rx.got.map((g) => g.body.resource_id);
			expect([...order].sort()).toEqual(ids);
			expect(order).not.toEqual(ids);
		} finally {
			await rx.close();
		}
	});

	test('with deliveryBatchMs, photos created through the API close together go out shuffled', async () => {
		emu.configure({ deliveryBatchMs: 1500 });
		emu.webhooks.shuffle(true);
		const rx = await receiver();
		try {
			await hookWith(rx.url, [['Images', 'create']]);
			const ids: number[] = [];
			for (const name of ['b1.jpg', 'b2.jpg', 'b3.jpg']) ids.push((await createPhoto(name)).id);
			await emu.webhooks.idle();
			const order = rx.got.map((g) => g.body.resource_id);
			expect([...order].sort()).toEqual(ids);
			expect(order).not.toEqual(ids);
		} finally {
			await rx.close();
		}
	});

	test('payload versions v3 and v4.0', async () => {
		const rx = await receiver();
		try {
			for (const api_version of ['v3', 'v4.0']) {
				const hook = await api('/rest/v1.0/webhooks/hooks', { json: { project_id: 2001, hook: { api_version, namespace: 'versions', destination_url: `${rx.url}/${api_version}` } } });
				expect(hook.status).toBe(201);
				expect((await api(`/rest/v1.0/webhooks/hooks/${hook.json.id}/triggers`, { json: { project_id: 2001, api_version, trigger: { resource_name: 'Images', event_type: 'update' } } })).status).toBe(201);
			}
			const event = emu.webhooks.emit({ projectId: 2001, resourceName: 'Images', eventType: 'update', resourceId: 42, userId: SEED.userId, applicationId: 'app-x' });
			await emu.webhooks.idle();
			const byVersion = Object.fromEntries(rx.got.map((g) => [g.body.api_version ?? 'v4.0', g.body]));
			expect(byVersion.v3).toMatchObject({ id: event.id, api_version: 'v3', related_resources: [], metadata: { source_application_id: 'app-x' } });
			expect(byVersion['v4.0']).toEqual({ id: event.ulid, timestamp: event.timestamp, reason: 'update', company_id: '1001', project_id: '2001', user_id: String(SEED.userId), resource_type: 'Images', resource_id: '42' });
		} finally {
			await rx.close();
		}
	});

	test('hookDeleteWithTriggers: cascade deletes the hook with its triggers; no more deliveries', async () => {
		emu.configure({ hookDeleteWithTriggers: 'cascade' });
		const hook = await hookWith('http://127.0.0.1:1/x', [['Images', 'create']]);
		expect((await api(`/rest/v1.0/webhooks/hooks/${hook.id}?project_id=2001`, { method: 'DELETE' })).status).toBe(204);
		expect(emu.webhooks.triggerRecords.size).toBe(0);
		emu.webhooks.emit({ projectId: 2001, resourceName: 'Images', eventType: 'create', resourceId: 1 });
		expect(emu.webhooks.pending()).toBe(0);
		expect(emu.webhooks.deliveries(hook.id)).toEqual([]);
	});

	test('only loopback destinations are posted to; other hooks and projects get nothing', async () => {
		const rx = await receiver();
		try {
			const outside = await hookWith('https://example.com/hook', [['Images', 'create']]);
			await hookWith(rx.url, [['Images', 'update']]);
			emu.configure({ deliveryDiscardAfterMs: 50, deliveryBackoffMs: 10 });
			emu.webhooks.emit({ projectId: 2001, resourceName: 'Images', eventType: 'create', resourceId: 1 });
			emu.webhooks.emit({ projectId: 2003, resourceName: 'Images', eventType: 'update', resourceId: 2 });
			await emu.webhooks.idle();
			expect(rx.got).toHaveLength(0);
			const [d] = emu.webhooks.deliveries(outside.id);
			expect(d.attempts[0].error).toMatch(/only to loopback/);
			expect(d.status).toBe('discarded');
		} finally {
			await rx.close();
		}
	});
});
