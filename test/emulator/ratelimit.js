// @ts-check
'use strict';

/**
 * Procore's two rate limits (docs/procore-api.md §3): an hourly window and an optional spike window,
 * both counted per access token on the api listener only (storage is another host). Every api
 * response carries X-Rate-Limit-Limit / -Remaining / -Reset for whichever window is closer to
 * running out. Windows end on whole seconds so the advertised Reset is exactly when the counter
 * starts again.
 *
 * Every time here is on the emulator's clock (`emu.now()`, the machine's plus `clockOffsetMs`),
 * so a client that trusts a clock running ahead of Procore's comes back too early.
 *
 * It also remembers, per token, until when a 429 (or a 503 with Retry-After) told the client to
 * wait, and counts requests that came earlier in emu.stats. The in-flight grace runs from when
 * that answer was fully written, not from when it was decided: a client cannot have read it
 * before, and on a busy machine the two can be far apart.
 */

class RateLimiter {
	/** @param {any} emu */
	constructor(emu) {
		this.emu = emu;
		/** @type {Map<string, { hourEnd: number, hourCount: number, spikeEnd: number, spikeCount: number }>} */
		this.windows = new Map();
		/** @type {Map<string, { until: number, kind: '429' | '503', answeredAt: number | null }>} */
		this.blocked = new Map();
	}

	reset() {
		this.windows.clear();
		this.blocked.clear();
	}

	/**
	 * Counts one request and returns the headers to send and whether a limit is exceeded.
	 * @param {string} key
	 * @param {number} now
	 */
	account(key, now) {
		const o = this.emu.options;
		let w = this.windows.get(key);
		if (!w) {
			w = { hourEnd: 0, hourCount: 0, spikeEnd: 0, spikeCount: 0 };
			this.windows.set(key, w);
		}
		if (now >= w.hourEnd) {
			w.hourEnd = ceilSecond(now + o.hourlyWindowMs);
			w.hourCount = 0;
		}
		w.hourCount++;
		const hourly = { limit: o.hourlyLimit, count: w.hourCount, end: w.hourEnd };
		/** @type {typeof hourly | null} */
		let spike = null;
		if (o.spikeLimit > 0) {
			if (now >= w.spikeEnd) {
				w.spikeEnd = ceilSecond(now + o.spikeWindowMs);
				w.spikeCount = 0;
			}
			w.spikeCount++;
			spike = { limit: o.spikeLimit, count: w.spikeCount, end: w.spikeEnd };
		}
		const hourExceeded = hourly.count > hourly.limit;
		const spikeExceeded = spike !== null && spike.count > spike.limit;
		let reported = hourly;
		if (spike) {
			if (hourExceeded && spikeExceeded) reported = hourly.end >= spike.end ? hourly : spike;
			else if (spikeExceeded) reported = spike;
			else if (!hourExceeded && spike.limit - spike.count < hourly.limit - hourly.count) reported = spike;
		}
		return {
			exceeded: hourExceeded || spikeExceeded,
			resetMs: reported.end,
			headers: {
				'X-Rate-Limit-Limit': String(reported.limit),
				'X-Rate-Limit-Remaining': String(Math.max(0, reported.limit - reported.count)),
				'X-Rate-Limit-Reset': String(Math.round(reported.end / 1000)),
			},
		};
	}

	/**
	 * The client was told to wait until `until` (ms epoch).
	 * @param {string} key
	 * @param {number} until
	 * @param {'429' | '503'} kind
	 */
	block(key, until, kind) {
		const prev = this.blocked.get(key);
		if (!prev || prev.until < until) this.blocked.set(key, { until, kind, answeredAt: null });
	}

	/**
	 * An api response was fully written: if it was the 429/503 that told this token to wait, the
	 * in-flight grace starts now.
	 * @param {import('http').IncomingMessage} req
	 * @param {import('http').ServerResponse} res
	 */
	answered(req, res) {
		const told = res.statusCode === 429 || (res.statusCode === 503 && res.hasHeader('retry-after'));
		if (!told) return;
		// The same key as access.js gives the request.
		const m = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
		const key = m ? `token:${m[1]}` : `anonymous:${req.socket?.remoteAddress ?? ''}`;
		const b = this.blocked.get(key);
		if (b && b.answeredAt === null) b.answeredAt = this.emu.now();
	}

	/**
	 * Counts a request that arrived before the wait it was given had passed.
	 * @param {string} key
	 * @param {import('./server').RequestRecord} record
	 * @param {number} [at] arrival on the emulator's clock
	 */
	noteArrival(key, record, at = record.at + this.emu.options.clockOffsetMs) {
		const b = this.blocked.get(key);
		if (!b) return;
		if (at >= b.until) {
			this.blocked.delete(key);
			return;
		}
		// A request already on its way when the 429/503 was sent cannot be called back: only
		// those that arrive after the client could have read the answer count as early.
		if (b.answeredAt === null) return;
		const opts = this.emu.options;
		const grace = opts.inFlightGraceMs + 2 * opts.latencyMs;
		if (at < b.answeredAt + grace) return;
		const stats = this.emu.stats;
		if (b.kind === '429') stats.requestsBeforeReset++;
		else stats.requestsBeforeRetryAfter++;
		stats.earlyRequests.push({ at, toldAt: b.answeredAt, method: record.method, path: record.path, waitUntil: b.until, kind: b.kind });
	}
}

/** @param {number} ms */
function ceilSecond(ms) {
	return Math.ceil(ms / 1000) * 1000;
}

module.exports = { RateLimiter, ceilSecond };
