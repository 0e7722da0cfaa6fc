import type { IDataObject } from 'n8n-workflow';

/**
 * Checks of one webhook delivery. Procore signs nothing; the only proof a delivery is Procore's is
 * the Authorization header the node put on the hook (docs/procore-api.md §11 "Webhooks, more").
 */

/** A new secret for a hook: 32 random bytes as hex, from the platform's cryptographic generator. */
export function newSecret(): string {
	const bytes = new Uint8Array(32);
	crypto.getRandomValues(bytes);
	return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Whether the header is `Bearer <secret>`, compared in constant time: how long the comparison takes
 * says nothing about how much of a guess was right. Only the length can differ quickly, and the
 * length of the secret is no secret.
 */
export function authorizationMatches(header: unknown, secret: string | undefined): boolean {
	if (!secret || typeof header !== 'string') return false;
	const expected = new TextEncoder().encode(`Bearer ${secret}`);
	const given = new TextEncoder().encode(header);
	let difference = expected.length ^ given.length;
	for (let index = 0; index < expected.length; index++) {
		difference |= expected[index] ^ (given[index % Math.max(given.length, 1)] ?? 0);
	}
	return difference === 0;
}

/** An event in the shape of the v2 payload, whichever payload version Procore sent (docs/procore-api.md §8). */
export interface ProcoreEvent {
	ulid?: string;
	eventType: string;
	resourceName: string;
	resourceId: string;
	projectId?: string;
	sourceApplicationId?: string;
	body: IDataObject;
}

const text = (value: unknown): string | undefined =>
	typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

/** What the node reads of n8n's request: its parsed body, and its raw bytes (n8n's body reader). */
export interface DeliveryRequest {
	body?: unknown;
	rawBody?: Buffer;
	readRawBody?: () => Promise<void>;
}

/**
 * A delivery's JSON body. n8n parses a webhook's body itself only for the Content-Types it knows
 * (JSON, text, form, XML; for a node of version 1 it reads the bytes whatever the type), and
 * Procore's documents do not say which type its deliveries carry: a body n8n left unparsed, or
 * gave as text, is read and parsed here, so that no event is lost to its Content-Type.
 */
export async function deliveryBody(request: DeliveryRequest): Promise<unknown> {
	const { body } = request;
	if (typeof body === 'object' && body !== null && !Buffer.isBuffer(body) && Object.keys(body).length > 0) return body;
	let raw: string | undefined;
	if (typeof body === 'string' && body.trim()) {
		raw = body;
	} else {
		if (!request.rawBody && typeof request.readRawBody === 'function') await request.readRawBody();
		raw = request.rawBody?.toString('utf8');
	}
	if (!raw) return body;
	try {
		return JSON.parse(raw.replace(/^\uFEFF/, ''));
	} catch {
		return body;
	}
}

/** The event a delivery carries; undefined when the body is not a Procore event at all. */
export function readEvent(body: unknown): ProcoreEvent | undefined {
	if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
	const event = body as IDataObject;
	// v4 renamed event_type to reason and resource_name to resource_type.
	const eventType = text(event.event_type) ?? text(event.reason);
	const resourceName = text(event.resource_name) ?? text(event.resource_type);
	const resourceId = text(event.resource_id);
	if (!eventType || !resourceName || !resourceId) return undefined;
	const metadata = (typeof event.metadata === 'object' && event.metadata !== null ? event.metadata : {}) as IDataObject;
	return {
		ulid: text(event.ulid) ?? text(event.id),
		eventType: eventType.toLowerCase(),
		resourceName,
		resourceId,
		projectId: text(event.project_id),
		sourceApplicationId: text(metadata.source_application_id),
		body: event,
	};
}

/** How many recent ulids a trigger remembers: far more than Procore's retries bring back in 12 h. */
export const REMEMBERED_DELIVERIES = 1000;

/**
 * Deliveries seen recently, in this n8n process. The workflow's static data keeps them across
 * restarts, but n8n saves it after each delivery, so two copies of one event arriving together
 * both read the same old list; this in-memory record catches those.
 */
const seenInProcess = new Map<string, Set<string>>();

/**
 * Records the ulid and says whether it is new. `remembered` is the list from static data, updated
 * in place (oldest first, at most REMEMBERED_DELIVERIES).
 */
export function isFirstDelivery(hookKey: string, ulid: string, remembered: string[]): boolean {
	let seen = seenInProcess.get(hookKey);
	if (!seen) {
		seen = new Set();
		seenInProcess.set(hookKey, seen);
	}
	if (seen.has(ulid) || remembered.includes(ulid)) return false;
	seen.add(ulid);
	if (seen.size > REMEMBERED_DELIVERIES) seen.delete(seen.values().next().value as string);
	remembered.push(ulid);
	if (remembered.length > REMEMBERED_DELIVERIES) remembered.splice(0, remembered.length - REMEMBERED_DELIVERIES);
	return true;
}

/** Forgets a hook's in-process record, when its hook is deleted. */
export function forgetDeliveries(hookKey: string) {
	seenInProcess.delete(hookKey);
}
