// @ts-check
'use strict';

/**
 * The Procore emulator: three listeners on 127.0.0.1 — login (OAuth), api (REST) and storage
 * (S3-like presigned uploads) — behaving as docs/procore-api.md documents, strictly.
 * See README.md in this folder.
 */

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { Router } = require('./router');
const { createListener, listen, close } = require('./server');
const { HttpError, procoreErrors, s3Error, escapeHtml } = require('./http');
const { apiHooks } = require('./access');
const { RateLimiter } = require('./ratelimit');
const { Faults } = require('./faults');
const { createState, SEED } = require('./seed');
const { storeImage } = require('./resources/images');
const { mimeFor } = require('./resources/uploads');
const { Webhooks } = require('./deliveries');

/** Every option, with its default. */
const DEFAULTS = {
	host: '127.0.0.1',
	/** 0 = a free port. */
	loginPort: 0,
	apiPort: 0,
	storagePort: 0,
	/** Access-token lifetime (`expires_in`), seconds. Procore: 5400. */
	tokenTtlSeconds: 5400,
	/** Authorization-code lifetime, seconds. Procore: 10 minutes. */
	authCodeTtlSeconds: 600,
	/** An access token stops working after this many api requests (0 = never). */
	tokenExpiresAfterRequests: 0,
	/** A refresh also revokes the access token it replaces (UNCONFIRMED; strict). */
	revokeAccessTokenOnRefresh: true,
	/** Accept any http(s) redirect_uri on localhost/127.0.0.1 besides the registered ones. */
	allowLoopbackRedirects: true,
	/** GET /oauth/authorize redirects at once with a code (true = the seeded user, or a user id). */
	autoApprove: /** @type {boolean | number} */ (false),
	/** Delay before every request is handled, ms (all listeners). */
	latencyMs: 0,
	/** Hourly rate limit per token (api listener). */
	hourlyLimit: 3600,
	hourlyWindowMs: 3600 * 1000,
	/** Spike limit per token (0 = off), e.g. 25 per 10 s. */
	spikeLimit: 0,
	spikeWindowMs: 10 * 1000,
	/**
	 * Requests arriving within this long (plus two latencies) after a 429/503 was fully written
	 * were already in flight when it was sent, so they do not count as sent before the reset.
	 */
	inFlightGraceMs: 100,
	/** Send Retry-After with the limiter's 429s (UNCONFIRMED whether Procore does; default no). */
	retryAfterOn429: false,
	/** Storage must be used within this long after Create Upload (Procore: 1 hour). */
	uploadStartWindowMs: 3600 * 1000,
	/** Lifetime of presigned storage URLs and POST policies. */
	storageUrlTtlMs: 3600 * 1000,
	/** Every segment but the last must be at least this big ("5 MB", read as 5 MiB). */
	minSegmentBytes: 5 * 1024 * 1024,
	/** No segment may be bigger ("5 GB", read as 5,000,000,000 bytes). */
	maxSegmentBytes: 5000000000,
	maxSegments: 10000,
	/** Page size when per_page is absent, and the most per_page gives (UNCONFIRMED for most lists). */
	defaultPerPage: 100,
	maxPerPage: 1000,
	/** Create Image refuses a missing image_category_id (UNCONFIRMED; strict). */
	requireImageCategory: true,
	/** Stored files up to this size keep their bytes (so GET on an image url returns them). */
	keepBytesUpTo: 1024 * 1024,
	/** Largest request body on the login and api listeners. */
	maxBodyBytes: 512 * 1024 * 1024,
	/** Largest body on the storage listener (streamed, not held). */
	maxStorageBytes: 6 * 1024 * 1024 * 1024,
	/** How many requests emu.requests keeps (oldest dropped first). */
	maxLoggedRequests: 50000,
	// Photos (photos.js, files.js).
	/** Lifetime of an image's file links (`url`, `thumbnail_url`); UNCONFIRMED in Procore, 1 h here. */
	fileLinkTtlMs: 3600 * 1000,
	/** Seeded random faults, see Faults.setRandom; null = off. */
	randomFaults: /** @type {import('./faults').RandomFaults | null} */ (null),

	// Contested readings of Procore's documents (docs/procore-api.md §6, §7, §10, §11): each option plays
	// one reading; the defaults keep the strict reading above. See README "Contested readings".
	/**
	 * Create Image's upload-first body: 'flat' = top-level `upload_uuid` + `image_name` (every
	 * spec), 'nested' = `upload: {uuid, image_name, source}` (2026-05 tutorial), 'both'.
	 */
	createImageBodyForm: /** @type {'flat' | 'nested' | 'both'} */ ('flat'),
	/** The completion PATCH needs `size` and `sha256` besides `etag` on every segment (OAS-2026). */
	completionRequiresSizeAndSha256: false,
	/** Every v1.0 uploads route answers 404 (v1.1 keeps working). */
	uploadsV10Gone: false,
	/** A completion PATCH of an upload already complete: 'ok' = 200 again, 410 Gone or 422. */
	repeatedCompletion: /** @type {'ok' | 410 | 422} */ ('ok'),
	/**
	 * `mt_location` naming a path that does not exist, in a project with
	 * `disableDynamicLocationCreation`: 'refuse' = 422, 'ignore' = the photo gets no location.
	 */
	dynamicLocationRefusal: /** @type {'refuse' | 'ignore'} */ ('refuse'),
	/** A created photo shows in `GET /rest/v1.0/images` lists only this long after creation (show sees it at once). */
	listLagMs: 0,
	/**
	 * A `filters[created_at]` / `filters[updated_at]` range whose times carry milliseconds → 400
	 * (strict, as the list handler does); false = accepted (each end widened to whole seconds).
	 */
	refuseMillisecondsInRanges: true,
	/** The emulator's clock runs this far from the machine's: Date header, rate-limit windows, X-Rate-Limit-Reset, the early-request oracle. */
	clockOffsetMs: 0,

	// Webhooks (docs/procore-api.md §8, §11 "Webhooks, more"; deliveries.js, resources/webhooks.js).
	/** A delivery not answered 2xx within this long fails (Procore: 5 s). */
	deliveryTimeoutMs: 5000,
	/**
	 * The Content-Type of deliveries. Procore's documents show JSON bodies but do not name the
	 * header; another type (or '' for none) plays a Procore that sends something else.
	 */
	deliveryContentType: 'application/json',
	/** After a failure every delivery to that URL pauses: base × 2^(failures−1), at most the max (Procore: 1 s → 1 h). */
	deliveryBackoffMs: 1000,
	deliveryBackoffMaxMs: 3600 * 1000,
	/** A queued delivery older than this is discarded (Procore: 12 h). */
	deliveryDiscardAfterMs: 12 * 3600 * 1000,
	/** The worker waits this long after an event before delivering, so close events form one batch (shuffle). */
	deliveryBatchMs: 0,
	/** Trigger responses spell `event_type` in capitals (`CREATE`), as Procore may (§11). */
	triggerEventTypeCapitals: false,
	/** DELETE of a hook that still has triggers (undocumented, §11): 'refuse' = 422, 'cascade' = its triggers go too. */
	hookDeleteWithTriggers: /** @type {'refuse' | 'cascade'} */ ('refuse'),
};

/** @typedef {typeof DEFAULTS} EmulatorOptions */

function newStats() {
	return {
		/** Requests a token sent before the X-Rate-Limit-Reset of a 429 it had received. */
		requestsBeforeReset: 0,
		/** Requests a token sent before the Retry-After of a 503 it had received. */
		requestsBeforeRetryAfter: 0,
		/** `toldAt`: when the 429/503 that said to wait was fully written. @type {Array<{ at: number, toldAt: number | null, method: string, path: string, waitUntil: number, kind: string }>} */
		earlyRequests: [],
		/** 429s sent (limiter and injected). */
		rateLimited: 0,
		tokensIssued: 0,
		refreshAttempts: 0,
		refreshFailures: 0,
		uploadsCreated: 0,
		storageObjects: 0,
		segmentsStored: 0,
		imagesCreated: 0,
		/** upload uuid → images created from it. @type {Record<string, number>} */
		imagesPerUpload: {},
		/** `${projectId}|${filename}|${sha256}` → images with that content. @type {Record<string, number>} */
		imagesPerContent: {},
	};
}

/**
 * Starts the emulator.
 * @param {Partial<EmulatorOptions>} [options]
 */
async function startEmulator(options = {}) {
	checkOptionNames(options);
	const opts = { ...DEFAULTS, ...options };
	const routers = { login: new Router(), api: new Router(), storage: new Router() };

	const emu = {
		options: opts,
		state: createState(),
		/** Seeded ids and credentials (see seed.js). */
		seed: SEED,
		/** Every request: { listener, method, path, query, headers, bodyBytes, at, status, answeredAt?, dropped?, fault? }. @type {import('./server').RequestRecord[]} */
		requests: /** @type {import('./server').RequestRecord[]} */ ([]),
		stats: newStats(),
		/** Unexpected exceptions in handlers (a test can assert this stays empty). @type {unknown[]} */
		errors: /** @type {unknown[]} */ ([]),
		loginUrl: '',
		apiUrl: '',
		storageUrl: '',
		signingKey: crypto.randomBytes(32),
		/** @type {string | null} */
		tmpDir: null,
		/** @type {RateLimiter} */
		rate: /** @type {any} */ (null),
		/** @type {Faults} */
		faults: /** @type {any} */ (null),
		/** Hooks, triggers, deliveries and test switches (deliveries.js). @type {Webhooks} */
		webhooks: /** @type {any} */ (null),

		/**
		 * A photo or album changed through the api: deliver it to every matching hook.
		 * @param {import('./deliveries').EventSpec} event
		 */
		emitEvent(event) {
			// A fault in the webhooks must not fail the photo request that caused the event.
			try {
				return emu.webhooks.emit(event);
			} catch (e) {
				emu.errors.push(e);
				return null;
			}
		},

		/**
		 * Changes options at runtime. Also: `faults: [spec…]` queues faults, `randomFaults` turns
		 * random faults on (or off with null).
		 * @param {Partial<EmulatorOptions> & { faults?: import('./faults').FaultSpec[] }} partial
		 */
		configure(partial) {
			const { faults, ...rest } = partial;
			checkOptionNames(rest);
			for (const k of ['host', 'loginPort', 'apiPort', 'storagePort']) {
				if (k in rest) throw new Error(`${k} cannot change while running`);
			}
			Object.assign(opts, rest);
			if ('randomFaults' in rest) emu.faults.setRandom(rest.randomFaults ?? null);
			if (faults) emu.faults.injectAll(faults);
			return emu;
		},

		/** The emulator's clock (ms epoch): the machine's plus `clockOffsetMs`. */
		now() {
			return Date.now() + opts.clockOffsetMs;
		},

		/** @param {import('./server').RequestRecord} record */
		logRequest(record) {
			emu.requests.push(record);
			if (emu.requests.length > opts.maxLoggedRequests) emu.requests.splice(0, emu.requests.length - opts.maxLoggedRequests);
		},

		/**
		 * Issues a token directly, without the OAuth dance (for test setup).
		 * @param {{ userId?: number, clientId?: string, grantType?: string, withRefresh?: boolean }} [grant]
		 */
		issueToken(grant = {}) {
			const grantType = grant.grantType ?? 'authorization_code';
			const clientId = grant.clientId ?? SEED.clientId;
			const userId = grant.userId ?? (grantType === 'client_credentials' ? SEED.serviceAccountUserId : SEED.userId);
			const withRefresh = grant.withRefresh ?? grantType !== 'client_credentials';
			const now = Date.now();
			const ttl = opts.tokenTtlSeconds;
			const accessToken = crypto.randomBytes(32).toString('base64url');
			const refreshToken = withRefresh ? crypto.randomBytes(32).toString('base64url') : null;
			emu.state.tokens.set(accessToken, { accessToken, refreshToken, clientId, userId, grantType, createdAt: now, expiresAt: now + ttl * 1000, revokedAt: null, uses: 0 });
			if (refreshToken) {
				emu.state.refreshTokens.set(refreshToken, { refreshToken, accessToken, clientId, userId, grantType, createdAt: now, usedAt: null, revokedAt: null });
			}
			emu.stats.tokensIssued++;
			return {
				access_token: accessToken,
				token_type: 'bearer',
				expires_in: ttl,
				...(refreshToken ? { refresh_token: refreshToken } : {}),
				// Stamped on the emulator's clock (clockOffsetMs), as a server with its own clock would;
				// the token still lives expires_in seconds from now.
				created_at: Math.floor((now + opts.clockOffsetMs) / 1000),
			};
		},

		/** @param {any} img */
		noteImageCreated(img) {
			const s = emu.stats;
			s.imagesCreated++;
			if (img.uploadUuid) s.imagesPerUpload[img.uploadUuid] = (s.imagesPerUpload[img.uploadUuid] ?? 0) + 1;
			const key = `${img.projectId}|${img.filename}|${img.sha256}`;
			s.imagesPerContent[key] = (s.imagesPerContent[key] ?? 0) + 1;
		},

		/** Uploads used for more than one image, and contents stored more than once per project. */
		duplicateImages() {
			const s = emu.stats;
			return {
				byUpload: Object.entries(s.imagesPerUpload).filter(([, n]) => n > 1).map(([uuid, count]) => ({ uuid, count })),
				byContent: Object.entries(s.imagesPerContent).filter(([, n]) => n > 1).map(([key, count]) => ({ key, count })),
			};
		},

		/** Images of a project (oldest first). @param {number} projectId */
		images(projectId) {
			return [...emu.state.images.values()].filter((i) => i.projectId === projectId);
		},
		/** @param {number} projectId */
		albums(projectId) {
			return [...emu.state.albums.values()].filter((a) => a.projectId === projectId);
		},
		/** @param {number} projectId */
		locations(projectId) {
			return [...emu.state.locations.values()].filter((l) => l.projectId === projectId);
		},
		/** @param {number} companyId */
		projects(companyId) {
			return [...emu.state.projects.values()].filter((p) => p.companyId === companyId);
		},
		/** @param {number} companyId */
		trades(companyId) {
			return [...emu.state.trades.values()].filter((t) => t.companyId === companyId);
		},
		/** Uploads, optionally of one project. @param {number} [projectId] */
		uploads(projectId) {
			return [...emu.state.uploads.values()].filter((u) => projectId === undefined || u.projectId === projectId);
		},

		/**
		 * Stores a photo as if another client had created it (for test setup: a second user's photo
		 * with the same file name in the same minutes). Not counted in `stats`, which count what the
		 * client under test did. Goes through the same record as Create Image; `listLagMs` applies.
		 * @param {{ userId?: number, projectId?: number, filename: string, size?: number, albumId?: number | null, createdAt?: string, bytes?: Buffer }} spec
		 */
		createImageAs(spec) {
			const projectId = spec.projectId ?? SEED.projects.harborTower;
			const project = emu.state.projects.get(projectId);
			if (!project) throw new Error(`createImageAs: no project ${projectId}`);
			const userId = spec.userId ?? SEED.otherUserId;
			if (!emu.state.users.has(userId)) throw new Error(`createImageAs: no user ${userId}`);
			const albumId = spec.albumId === undefined ? (emu.defaultAlbum(projectId)?.id ?? null) : spec.albumId;
			const bytes = spec.bytes ?? crypto.randomBytes(spec.size ?? 1024);
			return storeImage(emu, {
				project,
				uploaderId: userId,
				albumId,
				filename: spec.filename,
				size: bytes.length,
				sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
				contentType: mimeFor(spec.filename),
				bytes: bytes.length <= opts.keepBytesUpTo ? bytes : null,
				createdAt: spec.createdAt,
			});
		},

		/** The project's default album (docs/procore-api.md §6.3 "Unclassified"), whatever its name. @param {number} projectId */
		defaultAlbum(projectId) {
			return [...emu.state.albums.values()].find((a) => a.projectId === projectId && a.isDefault);
		},

		/**
		 * Renames the project's default album (`name`, e.g. "Sin clasificar") and/or makes another of
		 * its albums the default (`albumId`). Returns the default album.
		 * @param {number} projectId @param {{ name?: string, albumId?: number }} change
		 */
		setDefaultAlbum(projectId, change) {
			if (change.albumId !== undefined) {
				const target = emu.state.albums.get(change.albumId);
				if (!target || target.projectId !== projectId) throw new Error(`setDefaultAlbum: album ${change.albumId} is not in project ${projectId}`);
				for (const a of emu.albums(projectId)) a.isDefault = a.id === target.id;
			}
			const album = emu.defaultAlbum(projectId);
			if (!album) throw new Error(`setDefaultAlbum: project ${projectId} has no default album`);
			if (change.name !== undefined) album.name = change.name;
			return album;
		},

		/** Clears the request log, stats, rate-limit windows and queued faults. */
		reset() {
			emu.requests.length = 0;
			emu.stats = newStats();
			emu.errors.length = 0;
			emu.rate.reset();
			emu.faults.clear();
		},

		async close() {
			emu.webhooks.close();
			await Promise.all(servers.map(close));
			if (emu.tmpDir) fs.rmSync(emu.tmpDir, { recursive: true, force: true });
			emu.tmpDir = null;
		},
	};
	emu.rate = new RateLimiter(emu);
	emu.faults = new Faults(emu);
	emu.webhooks = new Webhooks(emu);
	if (opts.randomFaults) emu.faults.setRandom(opts.randomFaults);

	// Every module in resources/ registers its routes; adding a resource is adding a file there.
	const dir = path.join(__dirname, 'resources');
	for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort()) {
		require(path.join(dir, file)).register(routers);
	}

	const servers = [
		createListener(emu, 'login', routers.login, {
			before: (ctx) => ctx.setHeader('Date', new Date(emu.now()).toUTCString()),
			notFound: () => new HttpError(404, { error: 'not_found', error_description: 'Not Found' }),
			internalError: (_ctx, err) => new HttpError(500, `<h1>Internal error</h1><pre>${escapeHtml(err.message)}</pre>`, { contentType: 'text/html; charset=utf-8' }),
		}),
		createListener(emu, 'api', routers.api, apiHooks(emu)),
		createListener(emu, 'storage', routers.storage, {
			before: (ctx) => ctx.setHeader('Date', new Date(emu.now()).toUTCString()),
			notFound: () => s3Error(404, 'NoSuchKey', 'The specified key does not exist.'),
			internalError: () => s3Error(500, 'InternalError', 'We encountered an internal error. Please try again.'),
		}),
	];
	// The in-flight grace of a 429/503 runs from when it was fully written (see ratelimit.js).
	servers[1].on('request', (req, res) => res.on('finish', () => emu.rate.answered(req, res)));
	try {
		const [loginPort, apiPort, storagePort] = [
			await listen(servers[0], opts.host, opts.loginPort),
			await listen(servers[1], opts.host, opts.apiPort),
			await listen(servers[2], opts.host, opts.storagePort),
		];
		emu.loginUrl = `http://${opts.host}:${loginPort}`;
		emu.apiUrl = `http://${opts.host}:${apiPort}`;
		emu.storageUrl = `http://${opts.host}:${storagePort}`;
	} catch (e) {
		await Promise.all(servers.map(close));
		throw e;
	}
	return emu;
}

/** @param {object} options */
function checkOptionNames(options) {
	for (const k of Object.keys(options)) {
		if (!(k in DEFAULTS)) throw new Error(`unknown emulator option "${k}"`);
	}
}

/** @typedef {Awaited<ReturnType<typeof startEmulator>>} Emulator */

module.exports = { startEmulator, DEFAULTS, SEED, procoreErrors, HttpError };
