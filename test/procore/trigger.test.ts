import { runLoadOptions } from '../engine';
import { TriggerHarness } from '../engine/triggers';
import { ProcoreTrigger } from '../../nodes/ProcoreTrigger/ProcoreTrigger.node';
import {
	ACME,
	CLIENT_ID,
	createImage,
	HARBOR_TOWER,
	jpegBytes,
	photoItem,
	procoreCredential,
	rl,
	serviceAccount,
	sha256,
	useEmulator,
} from './fixtures';

const emu = useEmulator();
beforeEach(() => {
	emu.state.images.clear();
	clearWebhooks();
});

/**
 * The emulator's reset() keeps webhook records and queues (as it keeps photos); each test starts
 * with none, and nothing queued for a receiver of an earlier test.
 */
function clearWebhooks() {
	const webhooks = emu.webhooks;
	for (const queue of webhooks.queues.values()) {
		if (queue.timer) clearTimeout(queue.timer);
		queue.inFlight?.destroy();
	}
	webhooks.queues.clear();
	webhooks.hookRecords.clear();
	webhooks.triggerRecords.clear();
	webhooks.deliveryLog.length = 0;
	webhooks.duplicatesLeft = 0;
}

const procoreTrigger = new ProcoreTrigger();
const PROJECT = Number(HARBOR_TOWER);
const NAMESPACE = 'n8n-nodes-procore';

let open: TriggerHarness[] = [];
afterEach(async () => {
	await Promise.all(open.map(async (harness) => await harness.close()));
	open = [];
});

async function trigger(parameters: Record<string, unknown> = {}, credentials: Record<string, unknown> = {}, saveDelayMs = 0) {
	const harness = new TriggerHarness({
		saveDelayMs,
		nodeType: procoreTrigger,
		parameters: {
			companyId: rl(ACME),
			projectId: rl(HARBOR_TOWER),
			resourceName: 'Images',
			events: ['create', 'update', 'delete'],
			options: {},
			...parameters,
		} as never,
		credentials: { procoreOAuth2Api: serviceAccount(emu, credentials) as never },
		credentialTypes: [procoreCredential],
	});
	open.push(harness);
	await harness.listen();
	return harness;
}

/** Everything the emulator holds for the project's webhooks: hooks and their triggers. */
function procoreHooks() {
	return emu.webhooks.hooks(PROJECT).map((hook) => ({
		...hook,
		triggers: emu.webhooks.triggers(hook.id).map((t) => `${t.resourceName} ${t.eventType}`).sort(),
	}));
}

async function uploadPhoto(name = 'site.jpg', bytes = jpegBytes(2_000)) {
	const created = await createImage({}, [photoItem(bytes, name)]);
	expect(created.error).toBeUndefined();
	return Number(created.items[0].json.id);
}

const post = async (url: string, body: unknown, headers: Record<string, string> = {}) =>
	await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('Procore Trigger: lifecycle', () => {
	test('activation makes one hook in the package namespace with a secret header, and its triggers in one bulk request', async () => {
		const harness = await trigger();
		await harness.activate();

		const hooks = procoreHooks();
		expect(hooks).toHaveLength(1);
		expect(hooks[0]).toMatchObject({
			namespace: NAMESPACE,
			destinationUrl: harness.webhookUrl(),
			apiVersion: 'v2',
			destinationHeaders: { Authorization: `Bearer ${String(harness.staticData.secret)}` },
			triggers: ['Images create', 'Images delete', 'Images update'],
		});
		expect(String(harness.staticData.secret)).toMatch(/^[0-9a-f]{64}$/);
		expect(harness.staticData.hookId).toBe(String(hooks[0].id));
		const bulk = emu.requests.filter((request) => request.path === `/rest/v1.0/webhooks/hooks/${hooks[0].id}/triggers/bulk`);
		expect(bulk.map((request) => `${request.method} ${request.status}`)).toEqual(['POST 200']);

		// Activating again (n8n restarts) finds the hook and makes nothing new.
		expect(await harness.hook('checkExists')).toBe(true);
		expect(procoreHooks()).toHaveLength(1);
	});

	test('deactivation deletes the triggers, then the hook: nothing is left in Procore', async () => {
		const harness = await trigger();
		await harness.activate();
		const hookId = emu.webhooks.hooks(PROJECT)[0].id;
		await harness.deactivate();

		expect(procoreHooks()).toEqual([]);
		expect([...emu.webhooks.triggerRecords.values()]).toEqual([]);
		const deletes = emu.requests
			.filter((request) => request.method === 'DELETE')
			.map((request) => `${request.path} ${request.status}`);
		// The emulator refuses to delete a hook that still has triggers (docs/procore-api.md §11: undocumented).
		expect(deletes).toEqual([
			`/rest/v1.0/webhooks/hooks/${hookId}/triggers/bulk 200`,
			`/rest/v1.0/webhooks/hooks/${hookId} 204`,
		]);
		expect(harness.staticData).toEqual({});
	});

	test('a hook Procore lost is made again on the next activation, and only one hook remains', async () => {
		const harness = await trigger();
		await harness.activate();
		const lost = emu.webhooks.hooks(PROJECT)[0].id;
		for (const t of emu.webhooks.triggers(lost)) emu.webhooks.triggerRecords.delete(t.id);
		emu.webhooks.hookRecords.delete(lost);

		expect(await harness.hook('checkExists')).toBe(false);
		await harness.activate();
		const hooks = procoreHooks();
		expect(hooks).toHaveLength(1);
		expect(hooks[0].id).not.toBe(lost);
		expect(hooks[0].triggers).toHaveLength(3);
		await harness.deactivate();
		expect(procoreHooks()).toEqual([]);
	});

	test('a hook whose URL differs from the webhook URL is replaced, not kept', async () => {
		const harness = await trigger();
		await harness.activate();
		const hook = emu.webhooks.hooks(PROJECT)[0];
		hook.destinationUrl = 'http://127.0.0.1:9/elsewhere';

		await harness.activate();
		const hooks = procoreHooks();
		expect(hooks).toHaveLength(1);
		expect(hooks[0].id).not.toBe(hook.id);
		expect(hooks[0].destinationUrl).toBe(harness.webhookUrl());
	});

	test('a hook left on the same URL by a node that lost its static data is removed, not kept beside the new one', async () => {
		const first = await trigger();
		await first.activate();
		const leftover = emu.webhooks.hooks(PROJECT)[0].id;
		// Same node (same URL), its static data gone: its secret is known to nobody now.
		for (const key of Object.keys(first.staticData)) delete first.staticData[key];
		await first.activate();
		const hooks = procoreHooks();
		expect(hooks).toHaveLength(1);
		expect(hooks[0].id).not.toBe(leftover);
		expect(hooks[0].destinationHeaders).toEqual({ Authorization: `Bearer ${String(first.staticData.secret)}` });
	});

	test('test mode ("Listen for test event"): a hook on the test URL, deleted when listening stops', async () => {
		const harness = await trigger();
		await harness.activate(true);
		expect(procoreHooks().map((hook) => hook.destinationUrl)).toEqual([harness.webhookUrl(true)]);
		await harness.deactivate(true);
		expect(procoreHooks()).toEqual([]);
	});

	test('a trigger Procore refuses fails the activation and leaves no hook behind', async () => {
		// Projects is a company-level resource: a project hook cannot have it (docs/procore-api.md §11).
		const harness = await trigger({ resourceName: 'Projects', events: ['create'] });
		await expect(harness.activate()).rejects.toThrow('Procore refused 1 trigger(s) of the webhook: Projects create');
		expect(procoreHooks()).toEqual([]);
		expect(harness.staticData).toEqual({});
	});

	test('when the clean-up fails too, the activation still says why it failed, and that the hook stayed', async () => {
		const harness = await trigger({ resourceName: 'Projects', events: ['create'] });
		emu.faults.inject({ method: 'DELETE', path: /^\/rest\/v1\.0\/webhooks\/hooks\/\d+$/, status: 403, times: Infinity, body: { error: 'Forbidden' } });
		const activation = harness.activate();
		await expect(activation).rejects.toThrow('Procore refused 1 trigger(s) of the webhook: Projects create');
		await expect(activation).rejects.toMatchObject({ description: expect.stringMatching(/could not be removed from Procore.*the next activation removes it/) });
		emu.faults.clear();
		expect(harness.staticData).toEqual({});
		// The next activation (after the resource is fixed) removes the hook that stayed.
		harness.node.parameters.resourceName = 'Images';
		await harness.activate();
		expect(procoreHooks()).toHaveLength(1);
	});

	test('production with a loopback webhook URL: a clear error that suggests polling, and no call to Procore', async () => {
		const harness = await trigger({}, { environment: 'production' });
		const before = emu.requests.length;
		const activation = harness.activate();
		await expect(activation).rejects.toThrow(/cannot send events to http:\/\/127\.0\.0\.1:\d+\/webhook\/.*: it is an address on this machine/);
		await expect(activation).rejects.toMatchObject({ description: expect.stringContaining('Procore Photos Trigger') });
		expect(emu.requests.length).toBe(before);
	});

	test('the Resource list: the photo resources first, then the project-level resources Procore lists', async () => {
		const options = await runLoadOptions('getWebhookResources', {
			nodeType: procoreTrigger,
			parameters: { companyId: rl(ACME), projectId: rl(HARBOR_TOWER) },
			credentials: { procoreOAuth2Api: serviceAccount(emu) as never },
			credentialTypes: [procoreCredential],
		});
		const names = options.map((option) => option.value);
		expect(names.slice(0, 2)).toEqual(['Images', 'Image Categories']);
		expect(names).toEqual(expect.arrayContaining(['RFIs', 'Submittals']));
		expect(names).not.toContain('Projects');
		expect(new Set(names).size).toBe(names.length);
	});
});

describe('Procore Trigger: deliveries', () => {
	test('a new photo starts the workflow once with the event; Procore gets 200', async () => {
		const harness = await trigger();
		await harness.activate();
		const photoId = await uploadPhoto();
		await emu.webhooks.idle();
		const [delivery] = await harness.handled(1);
		expect(delivery.status).toBe(200);
		expect(delivery.items).toHaveLength(1);
		expect(delivery.items![0].json).toMatchObject({
			event_type: 'create',
			resource_name: 'Images',
			resource_id: photoId,
			project_id: PROJECT,
		});
		expect(emu.webhooks.deliveries().map((d) => d.status)).toEqual(['successful']);
	});

	test('an event delivered before n8n has saved the activation is accepted and starts the workflow', async () => {
		// n8n saves the node's static data (the hook's secret) only after create() has returned;
		// Procore may deliver as soon as the triggers exist. Here the save takes 1.5 s.
		const harness = await trigger({}, {}, 1_500);
		const activating = harness.activate();
		for (const deadline = Date.now() + 10_000; !procoreHooks().some((hook) => hook.triggers.length === 3); ) {
			if (Date.now() > deadline) throw new Error('the triggers were not made');
			await new Promise((resolve) => setTimeout(resolve, 5));
		}
		emu.emitEvent({ projectId: PROJECT, resourceName: 'Images', eventType: 'update', resourceId: 4242 });
		const [delivery] = await harness.handled(1);
		// Delivered while the save was still under way.
		expect(harness.staticData.secret).toBeDefined();
		await activating;
		expect(delivery.status).toBe(200);
		expect(delivery.items?.[0].json).toMatchObject({ event_type: 'update', resource_id: 4242 });
		// Procore saw a success at its first attempt, so it did not pause the URL.
		expect(emu.webhooks.deliveries().map((d) => [d.status, d.attempts.length])).toEqual([['successful', 1]]);
		// After the save, deliveries are checked against the saved secret as before.
		const secret = String(harness.staticData.secret);
		const event = { ulid: '01LATER', event_type: 'create', resource_name: 'Images', resource_id: 1, project_id: PROJECT };
		expect((await post(harness.webhookUrl(), event, { Authorization: `Bearer ${secret}` })).status).toBe(200);
		expect((await post(harness.webhookUrl(), event, { Authorization: 'Bearer wrong' })).status).toBe(401);
	});

	test('a wrong or missing Authorization header: 401 and nothing starts', async () => {
		const harness = await trigger();
		await harness.activate();
		const event = { ulid: '01TEST', event_type: 'create', resource_name: 'Images', resource_id: 1, project_id: PROJECT };
		const secret = String(harness.staticData.secret);
		const wrong = await post(harness.webhookUrl(), event, { Authorization: `Bearer ${secret.slice(0, -1)}x` });
		const missing = await post(harness.webhookUrl(), event);
		const bare = await post(harness.webhookUrl(), event, { Authorization: secret });
		expect([wrong.status, missing.status, bare.status]).toEqual([401, 401, 401]);
		expect(harness.deliveries.map((delivery) => delivery.items)).toEqual([undefined, undefined, undefined]);
		const right = await post(harness.webhookUrl(), event, { Authorization: `Bearer ${secret}` });
		expect(right.status).toBe(200);
		expect(harness.deliveries.at(-1)?.items).toHaveLength(1);
	});

	test('a duplicate delivery (same ulid) is acknowledged and starts nothing', async () => {
		const harness = await trigger();
		await harness.activate();
		emu.webhooks.duplicateNext(1);
		await uploadPhoto();
		await emu.webhooks.idle();
		const deliveries = await harness.handled(2);
		expect(deliveries.map((delivery) => delivery.status)).toEqual([200, 200]);
		expect(deliveries.filter((delivery) => delivery.items !== undefined)).toHaveLength(1);
		expect(emu.webhooks.deliveries().map((d) => [d.duplicate, d.status])).toEqual([
			[false, 'successful'],
			[true, 'successful'],
		]);
		expect(harness.staticData.recentUlids).toEqual([emu.webhooks.deliveries()[0].payload.ulid]);
	});

	test('Fetch the Record + Download the Photo: Procore is answered at once even when reading takes 6 s', async () => {
		const harness = await trigger({ events: ['create'], options: { fetchRecord: true, downloadPhoto: true, binaryPropertyName: 'photo' } });
		await harness.activate();
		const bytes = jpegBytes(30_000);
		// Reading the photo is slow, longer than Procore waits for an answer (5 s).
		emu.faults.inject({ method: 'GET', path: /^\/rest\/v1\.0\/images\/\d+$/, delayMs: 6_000, times: 1 });
		const photoId = await uploadPhoto('slow.jpg', bytes);
		await emu.webhooks.idle(15_000);
		const [delivery] = await harness.handled(1, 15_000);
		expect(delivery.status).toBe(200);
		expect(delivery.answeredAfterMs).toBeLessThan(1_000);
		expect(delivery.handledAfterMs).toBeGreaterThanOrEqual(6_000);
		// So Procore saw a success at once and did not pause the URL.
		expect(emu.webhooks.deliveries().map((d) => [d.status, d.attempts.length])).toEqual([['successful', 1]]);
		const item = delivery.items![0];
		expect(item.json.record).toMatchObject({ id: photoId, filename: 'slow.jpg' });
		expect(sha256(Buffer.from(item.binary!.photo.data, 'base64'))).toBe(sha256(bytes));
	}, 30_000);

	test('Fetch the Record of a record that is gone: the event with deleted: true, not an error', async () => {
		const harness = await trigger({ options: { fetchRecord: true } });
		await harness.activate();
		emu.emitEvent({ projectId: PROJECT, resourceName: 'Images', eventType: 'update', resourceId: 987654 });
		const photoId = await uploadPhoto();
		emu.state.images.delete(photoId);
		await emu.webhooks.idle();
		const deliveries = await harness.handled(2);
		const items = deliveries.map((delivery) => delivery.items?.[0].json);
		expect(items).toEqual([
			expect.objectContaining({ event_type: 'update', resource_id: 987654, deleted: true }),
			expect.objectContaining({ event_type: 'create', resource_id: photoId, deleted: true }),
		]);
		expect(items.every((json) => json?.fetchError === undefined && json?.record === undefined)).toBe(true);
	});

	test('Fetch the Record on a delete event outputs deleted: true without asking Procore', async () => {
		const harness = await trigger({ options: { fetchRecord: true } });
		await harness.activate();
		emu.emitEvent({ projectId: PROJECT, resourceName: 'Images', eventType: 'delete', resourceId: 4242 });
		await emu.webhooks.idle();
		const [delivery] = await harness.handled(1);
		expect(delivery.items![0].json).toMatchObject({ event_type: 'delete', resource_id: 4242, deleted: true });
		expect(emu.requests.some((request) => request.path === '/rest/v1.0/images/4242')).toBe(false);
	});

	test('Image Categories: an album made in Procore starts the workflow with the album read after the event', async () => {
		const harness = await trigger({ resourceName: 'Image Categories', events: ['create'], options: { fetchRecord: true } });
		await harness.activate();
		expect(procoreHooks()[0].triggers).toEqual(['Image Categories create']);
		const token = emu.issueToken({ grantType: 'client_credentials' }).access_token;
		const made = await fetch(`${emu.apiUrl}/rest/v1.0/image_categories?project_id=${HARBOR_TOWER}`, {
			method: 'POST',
			headers: { Authorization: `Bearer ${token}`, 'Procore-Company-Id': ACME, 'Content-Type': 'application/json' },
			body: JSON.stringify({ image_category: { name: 'Facade' } }),
		});
		expect(made.status).toBe(201);
		const album = (await made.json()) as { id: number };
		await emu.webhooks.idle();
		const [delivery] = await harness.handled(1);
		expect(delivery.items![0].json).toMatchObject({
			resource_name: 'Image Categories',
			resource_id: album.id,
			record: { id: album.id, name: 'Facade' },
		});
	});

	test('a read that Procore refuses still starts the workflow, with the reason in fetchError', async () => {
		const harness = await trigger({ options: { fetchRecord: true } });
		await harness.activate();
		emu.faults.inject({ method: 'GET', path: '/rest/v1.0/images/777', status: 403, body: { errors: 'Forbidden' } });
		emu.emitEvent({ projectId: PROJECT, resourceName: 'Images', eventType: 'update', resourceId: 777 });
		await emu.webhooks.idle();
		const [delivery] = await harness.handled(1);
		expect(delivery.status).toBe(200);
		expect(delivery.items![0].json.fetchError).toMatchObject({
			message: expect.stringContaining('Reading photo 777 in project 2001'),
			description: expect.stringContaining("'Read Only' on the project's Photos tool"),
		});
		expect(JSON.stringify(delivery.items![0].json)).not.toContain('Bearer');
	});

	test("Ignore Events From This App: the node's own uploads start nothing, another app's do", async () => {
		const harness = await trigger({ options: { ignoreOwnApp: true } });
		await harness.activate();
		await uploadPhoto();
		emu.emitEvent({ projectId: PROJECT, resourceName: 'Images', eventType: 'create', resourceId: 31337, applicationId: 'another-app' });
		await emu.webhooks.idle();
		const deliveries = await harness.handled(2);
		expect(deliveries.map((delivery) => delivery.status)).toEqual([200, 200]);
		expect(emu.webhooks.deliveries()[0].payload).toMatchObject({ metadata: { source_application_id: CLIENT_ID } });
		expect(deliveries.map((delivery) => delivery.items?.[0].json.resource_id)).toEqual([undefined, 31337]);
	});

	test('events the trigger was not asked for are acknowledged and start nothing', async () => {
		const harness = await trigger({ events: ['delete'] });
		await harness.activate();
		const secret = String(harness.staticData.secret);
		const answer = await post(
			harness.webhookUrl(),
			{ ulid: '01OTHER', event_type: 'create', resource_name: 'Images', resource_id: 5, project_id: PROJECT },
			{ Authorization: `Bearer ${secret}` },
		);
		expect(answer.status).toBe(200);
		expect(harness.deliveries[0].items).toBeUndefined();
	});
});
