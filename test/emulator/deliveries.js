// @ts-check
'use strict';

/**
 * Webhook hooks, triggers and the delivery worker (docs/procore-api.md §8 and §11 "Webhooks, more").
 * The REST routes live in resources/webhooks.js; this module keeps the records and posts events.
 *
 * Delivery, as Procore documents it:
 *  - an HTTP POST with `application/json` and the hook's `destination_headers`, body in the hook's
 *    payload version (v2: `{id, ulid, timestamp, metadata{…}, user_id, company_id, project_id,
 *    api_version, event_type, resource_name, resource_id}`);
 *  - an answer that is not 2xx within 5 s (`deliveryTimeoutMs`) fails, and then **every further
 *    delivery to that URL pauses** and is retried, oldest first, with exponential backoff from 1 s
 *    up to 1 h (`deliveryBackoffMs`, `deliveryBackoffMaxMs`);
 *  - after 12 h (`deliveryDiscardAfterMs`) a queued event is discarded.
 * Deliveries go only to loopback URLs: this machine has no network, so any other host fails at
 * once, as a connection error would.
 */

const crypto = require('crypto');
const http = require('http');
const https = require('https');

/** Resources whose events are project-level only (docs/procore-api.md §8, §11). */
const PROJECT_ONLY_RESOURCES = new Set(['Images', 'Image Categories']);

/** Payload versions a hook may ask for (docs/procore-api.md §8 "Payload"). */
const PAYLOAD_VERSIONS = ['v2', 'v3', 'v4.0'];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * @typedef {{ id: number, companyId: number, projectId: number | null, ownerUserId: number, apiVersion: string, namespace: string,
 *   destinationUrl: string, destinationHeaders: Record<string, string>, createdAt: string, updatedAt: string }} Hook
 * @typedef {{ id: number, hookId: number, apiVersion: string, resourceName: string, eventType: string, createdAt: string }} Trigger
 * @typedef {{ projectId?: number | null, companyId?: number, resourceName: string, eventType: string, resourceId: number,
 *   userId?: number | null, applicationId?: string | null }} EventSpec
 * @typedef {{ id: number, ulid: string, timestamp: string, projectId: number | null, companyId: number, resourceName: string,
 *   eventType: string, resourceId: number, userId: number | null, applicationId: string | null }} WebhookEvent
 * @typedef {{ at: string, responseStatus: number | null, error: string | null, durationMs: number }} Attempt
 * @typedef {{ id: number, hookId: number, eventId: number, url: string, payload: Record<string, unknown>, headers: Record<string, string>,
 *   status: 'pending' | 'failing' | 'successful' | 'discarded', attempts: Attempt[], queuedAt: number, createdAt: string,
 *   startedAt: string | null, completedAt: string | null, responseStatus: number | null, responseError: string | null, shuffled: boolean,
 *   duplicate: boolean }} Delivery
 * @typedef {{ url: string, items: Delivery[], inFlight: http.ClientRequest | null, busy: boolean, pausedUntil: number,
 *   failures: number, timer: NodeJS.Timeout | null }} UrlQueue
 */

/** Crockford base32, as ULIDs use. */
const ULID_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID: 48 bits of milliseconds, 80 random bits, 26 characters. @param {number} ms */
function ulid(ms) {
	let time = '';
	let t = ms;
	for (let i = 0; i < 10; i++) {
		time = ULID_ALPHABET[t % 32] + time;
		t = Math.floor(t / 32);
	}
	const random = crypto.randomBytes(16);
	let rest = '';
	for (let i = 0; i < 16; i++) rest += ULID_ALPHABET[random[i] % 32];
	return time + rest;
}

/** Seeded PRNG (mulberry32) so a shuffled batch is reproducible. @param {number} seed */
function mulberry32(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** `Bearer abcdef…` → `*******…vwxyz`: only the last 5 characters show (docs/procore-api.md §11). @param {string} value */
function maskSecret(value) {
	const s = String(value);
	if (s.length <= 5) return '*'.repeat(s.length);
	return '*'.repeat(s.length - 5) + s.slice(-5);
}

class Webhooks {
	/** @param {any} emu */
	constructor(emu) {
		this.emu = emu;
		/** @type {Map<number, Hook>} */
		this.hookRecords = new Map();
		/** @type {Map<number, Trigger>} */
		this.triggerRecords = new Map();
		/** @type {Delivery[]} */
		this.deliveryLog = [];
		/** Every event emitted (matching a hook or not). @type {WebhookEvent[]} */
		this.events = [];
		/** @type {Map<string, UrlQueue>} */
		this.queues = new Map();
		this.nextHookId = 800001;
		this.nextTriggerId = 810001;
		this.nextDeliveryId = 820001;
		this.nextEventId = 830001;
		this.duplicatesLeft = 0;
		this.shuffleOn = false;
		this.random = mulberry32(11);
		this.closed = false;
		/** @type {Array<() => void>} */
		this.idleWaiters = [];
	}

	// ---- Records --------------------------------------------------------------------------------

	/** Hooks of a project (or, with no argument, all of them). @param {number} [projectId] */
	hooks(projectId) {
		return [...this.hookRecords.values()].filter((h) => projectId === undefined || h.projectId === projectId);
	}

	/** Triggers of a hook. @param {number} hookId */
	triggers(hookId) {
		return [...this.triggerRecords.values()].filter((t) => t.hookId === hookId);
	}

	/** Deliveries, oldest first, optionally of one hook. @param {number} [hookId] */
	deliveries(hookId) {
		return this.deliveryLog.filter((d) => hookId === undefined || d.hookId === hookId);
	}

	/** @param {Omit<Hook, 'id' | 'createdAt' | 'updatedAt'>} spec */
	addHook(spec) {
		const now = new Date(this.emu.now()).toISOString();
		/** @type {Hook} */
		const hook = { id: this.nextHookId++, ...spec, createdAt: now, updatedAt: now };
		this.hookRecords.set(hook.id, hook);
		return hook;
	}

	/** @param {number} hookId @param {{ apiVersion: string, resourceName: string, eventType: string }} spec */
	addTrigger(hookId, spec) {
		/** @type {Trigger} */
		const trigger = { id: this.nextTriggerId++, hookId, ...spec, createdAt: new Date(this.emu.now()).toISOString() };
		this.triggerRecords.set(trigger.id, trigger);
		return trigger;
	}

	// ---- Switches for tests ---------------------------------------------------------------------

	/** The next `n` events are each delivered twice (same `id` and `ulid`), as Procore may do. @param {number} n */
	duplicateNext(n) {
		this.duplicatesLeft = Math.max(0, Math.floor(n));
		return this;
	}

	/**
	 * On: every batch of two or more new deliveries to one URL goes out in an order different from
	 * the order of the events. A batch is what is queued when the worker picks the URL up
	 * (`deliveryBatchMs` widens it).
	 * @param {boolean} on
	 */
	shuffle(on) {
		this.shuffleOn = Boolean(on);
		return this;
	}

	/** Deliveries queued or in flight. */
	pending() {
		let n = 0;
		for (const q of this.queues.values()) n += q.items.length;
		return n;
	}

	/**
	 * Resolves when no delivery is queued or in flight (successful or discarded, all of them).
	 * Rejects after `timeoutMs` (default 10 s) naming what is still pending.
	 * @param {number} [timeoutMs]
	 * @returns {Promise<void>}
	 */
	idle(timeoutMs = 10000) {
		if (this.pending() === 0 || this.closed) return Promise.resolve();
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
				reject(new Error(`webhooks.idle(): ${this.pending()} deliveries still pending after ${timeoutMs} ms`));
			}, timeoutMs);
			const done = () => {
				clearTimeout(timer);
				resolve();
			};
			this.idleWaiters.push(done);
		});
	}

	// ---- Events ---------------------------------------------------------------------------------

	/**
	 * An event happened (a photo or album was created, updated or deleted through the api, or a
	 * test emits one directly). Every hook of the event's project (or company, for resources that
	 * are not project-only) with a matching trigger gets a delivery. Returns the event.
	 * @param {EventSpec} spec
	 */
	emit(spec) {
		const projectId = spec.projectId ?? null;
		const project = projectId === null ? undefined : this.emu.state.projects.get(projectId);
		const companyId = spec.companyId ?? project?.companyId;
		if (companyId === undefined) throw new Error(`webhooks.emit: no companyId, and project ${projectId} is unknown`);
		const ms = this.emu.now();
		/** @type {WebhookEvent} */
		const event = {
			id: this.nextEventId++,
			ulid: ulid(ms),
			timestamp: new Date(ms).toISOString(),
			projectId,
			companyId,
			resourceName: spec.resourceName,
			eventType: String(spec.eventType).toLowerCase(),
			resourceId: spec.resourceId,
			userId: spec.userId ?? null,
			applicationId: spec.applicationId ?? null,
		};
		this.events.push(event);
		if (this.closed) return event;
		const copies = this.duplicatesLeft > 0 ? 2 : 1;
		if (copies === 2) this.duplicatesLeft--;
		for (const hook of this.hookRecords.values()) {
			if (!this.hookWants(hook, event)) continue;
			for (let i = 0; i < copies; i++) this.enqueue(hook, event, i > 0);
		}
		return event;
	}

	/** @param {Hook} hook @param {WebhookEvent} event */
	hookWants(hook, event) {
		if (hook.companyId !== event.companyId) return false;
		if (hook.projectId !== null ? hook.projectId !== event.projectId : PROJECT_ONLY_RESOURCES.has(event.resourceName)) return false;
		return this.triggers(hook.id).some((t) => t.resourceName === event.resourceName && t.eventType === event.eventType);
	}

	/** The body Procore posts, in the hook's payload version (docs/procore-api.md §8). @param {Hook} hook @param {WebhookEvent} e */
	payload(hook, e) {
		if (hook.apiVersion === 'v4.0') {
			// v4.0: string ids, `reason` for event_type, `resource_type` for resource_name.
			const str = (/** @type {number | null} */ v) => (v === null ? null : String(v));
			return { id: e.ulid, timestamp: e.timestamp, reason: e.eventType, company_id: str(e.companyId), project_id: str(e.projectId), user_id: str(e.userId), resource_type: e.resourceName, resource_id: String(e.resourceId) };
		}
		/** @type {Record<string, unknown>} */
		const body = {
			id: e.id,
			ulid: e.ulid,
			timestamp: e.timestamp,
			metadata: {
				source_user_id: e.userId,
				source_project_id: e.projectId,
				source_operation_id: null,
				source_company_id: e.companyId,
				source_application_id: e.applicationId,
			},
			user_id: e.userId,
			company_id: e.companyId,
			project_id: e.projectId,
			api_version: hook.apiVersion,
			event_type: e.eventType,
			resource_name: e.resourceName,
			resource_id: e.resourceId,
		};
		if (hook.apiVersion === 'v3') body.related_resources = [];
		return body;
	}

	// ---- The worker -----------------------------------------------------------------------------

	/** @param {Hook} hook @param {WebhookEvent} event @param {boolean} duplicate */
	enqueue(hook, event, duplicate) {
		/** @type {Delivery} */
		const delivery = {
			id: this.nextDeliveryId++,
			hookId: hook.id,
			eventId: event.id,
			url: hook.destinationUrl,
			payload: this.payload(hook, event),
			headers: { ...hook.destinationHeaders },
			status: 'pending',
			attempts: [],
			queuedAt: Date.now(),
			createdAt: new Date(this.emu.now()).toISOString(),
			startedAt: null,
			completedAt: null,
			responseStatus: null,
			responseError: null,
			shuffled: false,
			duplicate,
		};
		this.deliveryLog.push(delivery);
		let queue = this.queues.get(delivery.url);
		if (!queue) {
			queue = { url: delivery.url, items: [], inFlight: null, busy: false, pausedUntil: 0, failures: 0, timer: null };
			this.queues.set(delivery.url, queue);
		}
		queue.items.push(delivery);
		// Events close together form one batch (shuffle), then the URL is worked on.
		if (!queue.busy && !queue.timer) this.schedule(queue, Math.max(this.emu.options.deliveryBatchMs, queue.pausedUntil - Date.now(), 0));
	}

	/** @param {UrlQueue} queue @param {number} delayMs */
	schedule(queue, delayMs) {
		if (this.closed) return;
		if (queue.timer) clearTimeout(queue.timer);
		queue.timer = setTimeout(() => {
			queue.timer = null;
			this.drain(queue).catch((e) => this.emu.errors.push(e));
		}, Math.max(0, delayMs));
	}

	/** Discards what waited longer than `deliveryDiscardAfterMs`. @param {UrlQueue} queue */
	discardExpired(queue) {
		const limit = this.emu.options.deliveryDiscardAfterMs;
		const now = Date.now();
		queue.items = queue.items.filter((d) => {
			if (now - d.queuedAt < limit) return true;
			d.status = 'discarded';
			d.completedAt = new Date(this.emu.now()).toISOString();
			return false;
		});
	}

	/** @param {UrlQueue} queue */
	async drain(queue) {
		if (this.closed || queue.busy) return;
		queue.busy = true;
		try {
			for (;;) {
				this.discardExpired(queue);
				if (queue.items.length === 0 || this.closed) break;
				const wait = queue.pausedUntil - Date.now();
				if (wait > 0) {
					// Paused after a failure: come back at the retry time, or earlier to discard.
					const oldest = Math.min(...queue.items.map((d) => d.queuedAt));
					const discardIn = oldest + this.emu.options.deliveryDiscardAfterMs - Date.now();
					this.schedule(queue, Math.min(wait, Math.max(0, discardIn)));
					break;
				}
				if (this.shuffleOn) this.shuffleBatch(queue);
				const delivery = queue.items[0];
				const ok = await this.attempt(queue, delivery);
				if (this.closed) break;
				if (ok) {
					queue.items.shift();
					queue.failures = 0;
					queue.pausedUntil = 0;
				} else {
					queue.failures++;
					const o = this.emu.options;
					const backoff = Math.min(o.deliveryBackoffMs * 2 ** (queue.failures - 1), o.deliveryBackoffMaxMs);
					queue.pausedUntil = Date.now() + backoff;
				}
			}
		} finally {
			queue.busy = false;
			this.notifyIdle();
		}
	}

	/** New deliveries (never attempted, not yet shuffled) go out in another order. @param {UrlQueue} queue */
	shuffleBatch(queue) {
		const fresh = queue.items.filter((d) => d.attempts.length === 0 && !d.shuffled);
		if (fresh.length < 2) return;
		const order = fresh.slice();
		for (let i = order.length - 1; i > 0; i--) {
			const j = Math.floor(this.random() * (i + 1));
			[order[i], order[j]] = [order[j], order[i]];
		}
		// A shuffle that changed nothing would not test anything: rotate by one instead.
		if (order.every((d, i) => d === fresh[i])) order.push(/** @type {Delivery} */ (order.shift()));
		for (const d of order) d.shuffled = true;
		let k = 0;
		queue.items = queue.items.map((d) => (fresh.includes(d) ? order[k++] : d));
	}

	/**
	 * One POST. True when answered 2xx within `deliveryTimeoutMs`.
	 * @param {UrlQueue} queue @param {Delivery} delivery
	 * @returns {Promise<boolean>}
	 */
	attempt(queue, delivery) {
		const started = Date.now();
		const at = new Date(this.emu.now()).toISOString();
		delivery.startedAt ??= at;
		/** @param {number | null} status @param {string | null} error */
		const record = (status, error) => {
			const ok = status !== null && status >= 200 && status < 300 && error === null;
			delivery.attempts.push({ at, responseStatus: status, error, durationMs: Date.now() - started });
			delivery.responseStatus = status;
			delivery.responseError = error;
			delivery.status = ok ? 'successful' : 'failing';
			if (ok) delivery.completedAt = new Date(this.emu.now()).toISOString();
			return ok;
		};
		/** @type {URL} */
		let url;
		try {
			url = new URL(delivery.url);
		} catch {
			return Promise.resolve(record(null, `invalid destination_url ${delivery.url}`));
		}
		if (!LOOPBACK_HOSTS.has(url.hostname)) {
			return Promise.resolve(record(null, `the emulator delivers only to loopback URLs (127.0.0.1, localhost, ::1); ${url.host} is not one (this machine has no network)`));
		}
		const body = Buffer.from(JSON.stringify(delivery.payload));
		const timeoutMs = this.emu.options.deliveryTimeoutMs;
		return new Promise((resolve) => {
			let settled = false;
			/** @param {number | null} status @param {string | null} error */
			const finish = (status, error) => {
				if (settled) return;
				settled = true;
				clearTimeout(timer);
				queue.inFlight = null;
				resolve(record(status, error));
			};
			const client = url.protocol === 'https:' ? https : http;
			const req = client.request(url, {
				method: 'POST',
				agent: false,
				// Loopback https receivers in tests use self-signed certificates.
				...(url.protocol === 'https:' ? { rejectUnauthorized: false } : {}),
				headers: {
					...delivery.headers,
					...(this.emu.options.deliveryContentType ? { 'Content-Type': this.emu.options.deliveryContentType } : {}),
					'Content-Length': String(body.length),
					'User-Agent': 'Procore-Webhooks (emulator)',
					Connection: 'close',
				},
			});
			queue.inFlight = req;
			const timer = setTimeout(() => {
				finish(null, `no answer within ${timeoutMs} ms`);
				req.destroy();
			}, timeoutMs);
			req.on('response', (res) => {
				res.resume();
				const status = res.statusCode ?? 0;
				finish(status, status >= 200 && status < 300 ? null : `answered HTTP ${status}`);
			});
			req.on('error', (e) => finish(null, `connection failed: ${e.message}`));
			req.end(body);
		});
	}

	notifyIdle() {
		if (this.pending() !== 0) return;
		const waiters = this.idleWaiters;
		this.idleWaiters = [];
		for (const w of waiters) w();
	}

	/** Stops the worker: timers cleared, requests in flight aborted, `idle()` waiters released. */
	close() {
		this.closed = true;
		for (const q of this.queues.values()) {
			if (q.timer) clearTimeout(q.timer);
			q.timer = null;
			q.inFlight?.destroy();
		}
		const waiters = this.idleWaiters;
		this.idleWaiters = [];
		for (const w of waiters) w();
	}
}

module.exports = { Webhooks, maskSecret, PROJECT_ONLY_RESOURCES, PAYLOAD_VERSIONS };
