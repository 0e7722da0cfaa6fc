import {
	authorizationMatches,
	deliveryBody,
	type DeliveryRequest,
	forgetDeliveries,
	isFirstDelivery,
	newSecret,
	readEvent,
	REMEMBERED_DELIVERIES,
} from '../../nodes/ProcoreTrigger/delivery';

describe('the delivery secret', () => {
	const secret = newSecret();

	test('a new secret is 32 random bytes in hex, different each time', () => {
		expect(secret).toMatch(/^[0-9a-f]{64}$/);
		expect(newSecret()).not.toBe(secret);
	});

	test('only "Bearer <secret>" matches', () => {
		expect(authorizationMatches(`Bearer ${secret}`, secret)).toBe(true);
		for (const header of [secret, `Bearer ${secret} `, `bearer ${secret}`, `Bearer ${secret.slice(0, -1)}`, `Bearer ${secret}0`, '', 'Bearer ']) {
			expect(authorizationMatches(header, secret)).toBe(false);
		}
		expect(authorizationMatches(undefined, secret)).toBe(false);
		expect(authorizationMatches(['Bearer', secret], secret)).toBe(false);
	});

	test('no secret kept (a node that lost its static data) matches nothing, not even an empty header', () => {
		expect(authorizationMatches('Bearer ', undefined)).toBe(false);
		expect(authorizationMatches('Bearer ', '')).toBe(false);
	});
});

describe('reading an event', () => {
	test('the v2 payload (docs/procore-api.md §8)', () => {
		expect(
			readEvent({
				id: 5,
				ulid: '01HV',
				event_type: 'CREATE',
				resource_name: 'Images',
				resource_id: 77,
				project_id: 2001,
				metadata: { source_application_id: 'app-1' },
			}),
		).toMatchObject({ ulid: '01HV', eventType: 'create', resourceName: 'Images', resourceId: '77', projectId: '2001', sourceApplicationId: 'app-1' });
	});

	test('the v4.0 payload: reason and resource_type, the id as the dedupe key', () => {
		expect(readEvent({ id: '01HW', reason: 'update', resource_type: 'Images', resource_id: '8', project_id: '2001' })).toMatchObject({
			ulid: '01HW',
			eventType: 'update',
			resourceName: 'Images',
			resourceId: '8',
		});
	});

	test('anything else is no event', () => {
		for (const body of [undefined, null, 'text', [], {}, { event_type: 'create', resource_name: 'Images' }]) {
			expect(readEvent(body)).toBeUndefined();
		}
	});
});

describe('repeated deliveries', () => {
	test('a ulid is new once; the remembered list keeps the newest ones only', () => {
		const remembered: string[] = [];
		expect(isFirstDelivery('hook-a', 'u1', remembered)).toBe(true);
		expect(isFirstDelivery('hook-a', 'u1', remembered)).toBe(false);
		// Another process (or a restart) knows it only from the static data.
		forgetDeliveries('hook-a');
		expect(isFirstDelivery('hook-a', 'u1', remembered)).toBe(false);
		for (let index = 0; index < REMEMBERED_DELIVERIES + 10; index++) isFirstDelivery('hook-b', `v${index}`, remembered);
		expect(remembered).toHaveLength(REMEMBERED_DELIVERIES);
		expect(remembered.at(-1)).toBe(`v${REMEMBERED_DELIVERIES + 9}`);
		forgetDeliveries('hook-a');
		forgetDeliveries('hook-b');
	});

	test('two copies arriving together, both read from the same saved list, start one run', () => {
		const savedList: string[] = [];
		const copyA = [...savedList];
		const copyB = [...savedList];
		expect([isFirstDelivery('hook-c', 'dup', copyA), isFirstDelivery('hook-c', 'dup', copyB)]).toEqual([true, false]);
		forgetDeliveries('hook-c');
	});
});

describe('deliveryBody: the event whatever Content-Type Procore gave the delivery', () => {
	const event = { ulid: '01HW', event_type: 'create', resource_name: 'Images', resource_id: '7', project_id: '2001' };

	test('a body n8n parsed is taken as it is', async () => {
		const readRawBody = jest.fn();
		await expect(deliveryBody({ body: event, readRawBody })).resolves.toBe(event);
		expect(readRawBody).not.toHaveBeenCalled();
	});

	test('a body n8n left unparsed (an unknown Content-Type) is read and parsed here', async () => {
		const request: DeliveryRequest = { body: {} };
		request.readRawBody = async () => {
			request.rawBody = Buffer.from(`\uFEFF${JSON.stringify(event)}`);
		};
		expect(readEvent(await deliveryBody(request))).toMatchObject({ eventType: 'create', resourceName: 'Images', resourceId: '7' });
	});

	test('a body n8n gave as text (text/plain) is parsed', async () => {
		expect(readEvent(await deliveryBody({ body: JSON.stringify(event) }))).toMatchObject({ resourceId: '7' });
	});

	test('raw bytes n8n already read are used without reading again', async () => {
		const readRawBody = jest.fn();
		expect(await deliveryBody({ body: undefined, rawBody: Buffer.from(JSON.stringify(event)), readRawBody })).toEqual(event);
		expect(readRawBody).not.toHaveBeenCalled();
	});

	test('a body that is not JSON stays what it was, and is no event', async () => {
		const body = await deliveryBody({ body: 'not json', rawBody: Buffer.from('not json') });
		expect(readEvent(body)).toBeUndefined();
		expect(readEvent(await deliveryBody({}))).toBeUndefined();
	});
});
