import { sleep } from 'n8n-workflow';

import { headerValue, type ProcoreFailure } from './errors';

/**
 * Procore's rate limit, as its response headers describe it (docs/procore-api.md §3): every answer says
 * how many requests remain and when the window resets. One budget is shared by all executions of
 * this n8n process that use the same credential and company, so parallel uploads and parallel
 * workflows draw from it together instead of each sending into a 429.
 */
export class RateBudget {
	/**
	 * `probeUnknownWindow`: while no window is known (before the first answer, and again when every
	 * known window has reset) and Procore's answers carry rate-limit headers, only one request is in
	 * flight; the others wait for its answer, which tells how many may follow. Without it, many
	 * parallel items would start with a burst past a small spike limit (Procore's example is 25 per
	 * 10 s, docs/procore-api.md §3) and meet 429s. It costs one round trip per window.
	 */
	constructor(private readonly options: { probeUnknownWindow?: boolean } = {}) {}

	/** Whether the last answer reported a window: if Procore stops sending the headers, nobody waits for one. */
	private answersReportWindows = true;

	/** Requests waiting for the answer of the one request in flight while the window is unknown. */
	private answerWaiters: Array<() => void> = [];

	/**
	 * True while requests must wait for an answer rather than for a time: a request is already in
	 * flight to learn the window, and either no window is known (expired windows are dropped
	 * first) or a short window has reset and no answer has told the new one since. The second case
	 * matters when an hourly window is known too: it says little about the next 10 s, and without
	 * a probe every waiting request would go the moment the spike window resets.
	 */
	private awaitingAnswer(now: number): boolean {
		if (!this.options.probeUnknownWindow || !this.answersReportWindows || this.inFlight === 0) return false;
		// The request out may be a large file, answered only once it is all sent (minutes): after a
		// while without any answer another request goes, and tells the window instead.
		if (now - this.lastSentAt >= PROBE_PATIENCE_MS) return false;
		for (const [limit, window] of this.windows) if (window.resetAt <= now) this.windows.delete(limit);
		if (this.windows.size === 0) return true;
		for (const window of this.windows.values()) if (window.resetAt - now <= SPREAD_HORIZON_MS) return false;
		return this.lastShortResetAt > this.liveNewsAt;
	}

	/** When the latest short window (one that resets within SPREAD_HORIZON_MS) resets, this machine's clock. */
	private lastShortResetAt = 0;

	/** When an answer last reported a window that had not reset yet. */
	private liveNewsAt = 0;

	/**
	 * Procore reports whichever window is closest to running out: the 10-second spike window or
	 * the hourly one. Each is tracked apart, by its limit, so news of one never hides the other.
	 */
	private readonly windows = new Map<number, RateWindow>();

	/**
	 * Until when other processes are known to draw from the same token (n8n's queue-mode workers,
	 * a second n8n). They share nothing with this one but Procore's headers, so each spreads what
	 * remains of a short window over the time left instead of sending it at once; the processes
	 * then slow each other down through the count they all see, and the window runs out only when
	 * it resets. Three signs of them, each impossible for a process alone (settle()):
	 * - the first answer of a new window counts more requests spent than this process has sent
	 *   since the last window reset;
	 * - within a window, the count drops by more than this process had answered or in flight;
	 * - a second answer in one window says nothing remains (a 429: someone sent past the count
	 *   this process kept, and Procore's count stops at 0, so the drop alone would not show it).
	 */
	private sharedUntil = 0;

	/** When this process sent its recent requests (ms, this machine's clock), oldest first. */
	private readonly sentAt: number[] = [];

	/** Per limit, when its last known window reset (this machine's clock), kept after the window is gone. */
	private readonly lastResetAt = new Map<number, number>();

	/** When this process last sent a request. */
	private lastSentAt = 0;

	private blockedUntil = 0;

	/**
	 * How far Procore's clock is ahead of this machine's, in ms (negative when behind), learnt from
	 * each answer's Date header. X-Rate-Limit-Reset is a time on Procore's clock: a machine whose
	 * clock is a minute fast would otherwise wait a minute too little and send before the reset.
	 * A Date header is whole seconds, rounded down, and arrives after the network's delay, so each
	 * sample can only fall short of the true offset: the largest recent sample is the closest, and
	 * any error left makes the node wait a little longer, never shorter. Only recent samples count,
	 * so a clock that is set right (or wrong) while n8n runs is followed within a few answers.
	 */
	private readonly offsetSamples: number[] = [];

	private get clockOffsetMs(): number | undefined {
		return this.offsetSamples.length ? Math.max(...this.offsetSamples) : undefined;
	}

	/** Procore's clock now, as well as the answers so far tell it. */
	serverNow(localNow = Date.now()): number {
		return localNow + (this.clockOffsetMs ?? 0);
	}

	private inFlight = 0;

	/** Milliseconds to wait before the next request may go, 0 when it may go now. */
	waitNeeded(now = Date.now()): number {
		let wait = Math.max(0, this.blockedUntil - now);
		for (const [limit, window] of this.windows) {
			if (window.resetAt <= now) {
				this.windows.delete(limit);
			} else if (window.remaining - this.inFlight <= 0) {
				wait = Math.max(wait, window.resetAt - now);
			}
		}
		return wait;
	}

	/**
	 * While others share the token: how long to wait so that what remains of a short window is
	 * spread over the time left. One request is kept back until the reset, the margin for another
	 * process's request already on its way.
	 */
	private spreadWait(now: number): number {
		if (now >= this.sharedUntil) return 0;
		let wait = 0;
		for (const window of this.windows.values()) {
			if (window.resetAt <= now || window.resetAt - now > SPREAD_HORIZON_MS) continue;
			const available = window.remaining - this.inFlight;
			if (available <= 0) continue;
			const nextAt = this.lastSentAt + (window.resetAt - this.lastSentAt) / available;
			wait = Math.max(wait, nextAt - now);
		}
		return wait;
	}

	/** Requests waiting for the window, served first come, first served. */
	private readonly waiting: Array<{ deadline: number; urgent: boolean; go: () => void; giveUp: (error: Error) => void }> = [];

	private serving = false;

	/**
	 * Waits until a request may go (within `deadline`), then counts it as in flight. Waiting
	 * requests go in the order they asked, so none is starved by luckier ones at every reset.
	 * Urgent requests (a person waiting on a picker in the editor) go before every batch request
	 * still waiting, in their own order.
	 */
	async acquire(deadline: number, urgent = false): Promise<void> {
		await new Promise<void>((go, giveUp) => {
			const waiter = { deadline, urgent, go, giveUp };
			if (urgent) {
				const firstBatch = this.waiting.findIndex((entry) => !entry.urgent);
				this.waiting.splice(firstBatch === -1 ? this.waiting.length : firstBatch, 0, waiter);
			} else {
				this.waiting.push(waiter);
			}
			void this.serve();
		});
	}

	private async serve(): Promise<void> {
		if (this.serving) return;
		this.serving = true;
		try {
			while (this.waiting.length) {
				const first = this.waiting[0];
				const now = Date.now();
				if (this.awaitingAnswer(now)) {
					// settle() wakes the queue when an answer comes; patience runs out otherwise.
					await Promise.race([
						new Promise<void>((wake) => this.answerWaiters.push(wake)),
						sleep(this.lastSentAt + PROBE_PATIENCE_MS - now),
					]);
					continue;
				}
				const wait = this.waitNeeded(now);
				const spread = this.spreadWait(now);
				if (wait <= 0 && spread <= 0) {
					this.waiting.shift();
					this.inFlight++;
					this.lastSentAt = now;
					this.sentAt.push(now);
					while (this.sentAt.length > SENT_KEPT || now - this.sentAt[0] > SHARED_MEMORY_MS) this.sentAt.shift();
					first.go();
					continue;
				}
				if (wait <= 0) {
					if (now + spread > first.deadline) {
						this.waiting.shift();
						first.giveUp(new BudgetExceeded(Math.ceil(spread / 1000)));
						continue;
					}
					await sleep(spread);
					continue;
				}
				if (now + wait > first.deadline) {
					this.waiting.shift();
					first.giveUp(new BudgetExceeded(Math.ceil(wait / 1000)));
					continue;
				}
				// A little jitter so that the queue does not leave in the very millisecond of the reset.
				await sleep(wait + Math.floor(Math.random() * 200));
			}
		} finally {
			this.serving = false;
		}
	}

	/** Records what Procore's answer said about its window, and that the request is done. */
	settle(headers: ProcoreFailure['headers'], receivedAt = Date.now()): void {
		this.inFlight = Math.max(0, this.inFlight - 1);
		const serverDate = Date.parse(headerValue(headers, 'date') ?? '');
		if (Number.isFinite(serverDate)) {
			const sample = serverDate - receivedAt;
			// A sample far below the estimate is no rounding or network delay: one of the clocks was
			// set. The older samples describe clocks that no longer run, so they go.
			const estimate = this.clockOffsetMs;
			if (estimate !== undefined && sample < estimate - CLOCK_JUMP_MS) this.offsetSamples.length = 0;
			this.offsetSamples.push(sample);
			if (this.offsetSamples.length > CLOCK_SAMPLES) this.offsetSamples.shift();
		}
		const limit = Number(headerValue(headers, 'x-rate-limit-limit'));
		const remaining = Number(headerValue(headers, 'x-rate-limit-remaining'));
		const reset = Number(headerValue(headers, 'x-rate-limit-reset'));
		const reportsWindow = Number.isFinite(remaining) && Number.isFinite(reset) && reset > 0;
		// Only an answer from Procore counts (a dropped connection has no headers and says nothing).
		if (headers && Object.keys(headers).length > 0) this.answersReportWindows = reportsWindow;
		this.wakeAnswerWaiters();
		if (!reportsWindow) return;
		const key = Number.isFinite(limit) ? limit : -1;
		// The reset on this machine's clock.
		const resetAt = reset * 1000 - (this.clockOffsetMs ?? 0);
		const known = this.windows.get(key);
		// Answers arrive out of order under concurrency: a later reset is a new window; for the
		// same window keep the lowest count seen; an earlier reset is old news. Windows are told
		// apart by Procore's own reset second: the same reset converted to this machine's clock
		// moves by milliseconds as the clock offset is refined, and must not look like a new window.
		let current: RateWindow | undefined;
		const now = Date.now();
		if (!known || reset > known.reset) {
			current = { remaining, reset, resetAt, answered: 1, firstRemaining: remaining, emptyAnswers: 0 };
			this.windows.set(key, current);
			const previousResetAt = this.lastResetAt.get(key);
			this.lastResetAt.set(key, resetAt);
			// Procore counts this window's requests from its start; this process's own among them
			// were sent after the last window reset (a second's margin for the clocks), or were
			// still on their way then (those in flight and this one, however long ago they left).
			// More spent than that is someone else. Only short windows: an hourly window may well
			// have been used earlier in the hour, and nothing spreads it anyway.
			if (Number.isFinite(limit) && resetAt - now <= SPREAD_HORIZON_MS) {
				const since = previousResetAt === undefined ? -Infinity : previousResetAt - CLOCK_MARGIN_MS;
				const sentSince = this.sentAt.filter((sentAt) => sentAt >= since).length;
				const own = sentSince + Math.min(this.inFlight + 1, this.sentAt.length - sentSince);
				if (limit - remaining > own) this.sharedUntil = now + SHARED_MEMORY_MS;
			}
		} else if (reset === known.reset) {
			known.remaining = Math.min(known.remaining, remaining);
			known.answered++;
			current = known;
		}
		if (!current) return;
		if (current.resetAt > now) this.liveNewsAt = now;
		if (current.resetAt - now <= SPREAD_HORIZON_MS) this.lastShortResetAt = Math.max(this.lastShortResetAt, current.resetAt);
		// Since this process's first answer in the window, Procore counted more requests than this
		// process has had answered since or has in flight: someone else uses the token. (What was
		// spent before that first answer proves nothing: it may have been this process's own.)
		if (current.firstRemaining - current.remaining > current.answered - 1 + this.inFlight) {
			this.sharedUntil = now + SHARED_MEMORY_MS;
		}
		// Alone, this process sends no more than remains: only the last of them hears "0 remaining".
		if (remaining === 0 && ++current.emptyAnswers > 1) this.sharedUntil = now + SHARED_MEMORY_MS;
	}

	private wakeAnswerWaiters(): void {
		const waiters = this.answerWaiters;
		this.answerWaiters = [];
		for (const wake of waiters) wake();
	}

	/** After a 429 or 503, nothing goes until Procore's stated time. */
	blockUntil(until: number): void {
		this.blockedUntil = Math.max(this.blockedUntil, until);
	}
}

interface RateWindow {
	remaining: number;
	/** X-Rate-Limit-Reset as Procore sent it (seconds on Procore's clock): the window's identity. */
	reset: number;
	/** The reset on this machine's clock, in ms. */
	resetAt: number;
	/** Answers this process received in the window. */
	answered: number;
	/** The remaining count of the first of them. */
	firstRemaining: number;
	/** Answers in the window that said nothing remains. */
	emptyAnswers: number;
}

/**
 * While the window is unknown, how long the others wait for the answer of the last request sent
 * before another one goes: far longer than Procore takes to answer an API call, far shorter than a
 * large upload, which is answered only once it is all sent.
 */
const PROBE_PATIENCE_MS = 2_000;

/** Windows that reset within this long are spread while others share the token (Procore's spike window is 10 s). */
const SPREAD_HORIZON_MS = 60_000;

/** How long other users of the token are remembered after the last sign of them. */
const SHARED_MEMORY_MS = 120_000;

/** Sends remembered to tell this process's requests in a window from others' (Procore's spike limit is 25). */
const SENT_KEPT = 1000;

/** Sends this long before a window's reset may still have been counted in the next one (clocks, delays). */
const CLOCK_MARGIN_MS = 1000;

/** Answers whose Date header tells Procore's clock: enough to find a sample close to a whole second. */
const CLOCK_SAMPLES = 16;
/** More than a Date header's rounding (1 s) plus any sane network delay. */
const CLOCK_JUMP_MS = 5000;

/** The wait Procore asks for is longer than the node may wait. */
export class BudgetExceeded extends Error {
	constructor(readonly waitSeconds: number) {
		super(`Procore asked to wait ${waitSeconds} s`);
	}
}

const budgets = new Map<string, RateBudget>();

export function rateBudgetFor(key: string): RateBudget {
	let budget = budgets.get(key);
	if (!budget) {
		budget = new RateBudget({ probeUnknownWindow: true });
		budgets.set(key, budget);
	}
	return budget;
}
