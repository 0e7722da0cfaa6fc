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
	 * True while requests must wait for an answer rather than for a time: no window is known
	 * (expired windows are dropped first) and a request is already in flight to learn it.
	 */
	private awaitingAnswer(now: number): boolean {
		if (!this.options.probeUnknownWindow || !this.answersReportWindows || this.inFlight === 0) return false;
		for (const [limit, window] of this.windows) if (window.resetAt <= now) this.windows.delete(limit);
		return this.windows.size === 0;
	}

	/**
	 * Procore reports whichever window is closest to running out: the 10-second spike window or
	 * the hourly one. Each is tracked apart, by its limit, so news of one never hides the other.
	 */
	private readonly windows = new Map<number, { remaining: number; resetAt: number }>();

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
					// The answer comes within that request's own timeout; settle() wakes the queue.
					await new Promise<void>((wake) => this.answerWaiters.push(wake));
					continue;
				}
				const wait = this.waitNeeded(now);
				if (wait <= 0) {
					this.waiting.shift();
					this.inFlight++;
					first.go();
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
		// same window keep the lowest count seen; an earlier reset is old news.
		if (!known || resetAt > known.resetAt) {
			this.windows.set(key, { remaining, resetAt });
		} else if (resetAt === known.resetAt) {
			known.remaining = Math.min(known.remaining, remaining);
		}
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
