import { sleep } from 'n8n-workflow';

import { headerValue, type ProcoreFailure } from './errors';

/**
 * Procore's rate limit, as its response headers describe it (procore-api.md §3): every answer says
 * how many requests remain and when the window resets. One budget is shared by all executions of
 * this n8n process that use the same credential and company, so parallel uploads and parallel
 * workflows draw from it together instead of each sending into a 429.
 */
export class RateBudget {
	private remaining?: number;

	private resetAt = 0;

	private blockedUntil = 0;

	private inFlight = 0;

	/** Milliseconds to wait before the next request may go, 0 when it may go now. */
	waitNeeded(now = Date.now()): number {
		if (now < this.blockedUntil) return this.blockedUntil - now;
		if (this.remaining !== undefined && this.remaining - this.inFlight <= 0 && now < this.resetAt) {
			return this.resetAt - now;
		}
		return 0;
	}

	/** Waits until a request may go (within `deadline`), then counts it as in flight. */
	async acquire(deadline: number): Promise<void> {
		for (;;) {
			const now = Date.now();
			const wait = this.waitNeeded(now);
			if (wait <= 0) break;
			if (now + wait > deadline) throw new BudgetExceeded(Math.ceil(wait / 1000));
			// A little jitter so that waiting requests do not all leave in the same millisecond.
			await sleep(wait + Math.floor(Math.random() * 200));
		}
		this.inFlight++;
		if (this.remaining !== undefined && this.resetAt <= Date.now()) this.remaining = undefined;
	}

	/** Records what Procore's answer said about the window, and that the request is done. */
	settle(headers: ProcoreFailure['headers']): void {
		this.inFlight = Math.max(0, this.inFlight - 1);
		const remaining = Number(headerValue(headers, 'x-rate-limit-remaining'));
		const reset = Number(headerValue(headers, 'x-rate-limit-reset'));
		if (!Number.isFinite(remaining) || !Number.isFinite(reset) || reset <= 0) return;
		const resetAt = reset * 1000;
		// Answers arrive out of order under concurrency: keep the most pessimistic view of the window.
		if (resetAt > this.resetAt || this.remaining === undefined) {
			this.resetAt = resetAt;
			this.remaining = remaining;
		} else if (resetAt === this.resetAt) {
			this.remaining = Math.min(this.remaining, remaining);
		}
	}

	/** After a 429 or 503, nothing goes until Procore's stated time. */
	blockUntil(until: number): void {
		this.blockedUntil = Math.max(this.blockedUntil, until);
		this.remaining = 0;
		this.resetAt = Math.max(this.resetAt, until);
	}
}

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
		budget = new RateBudget();
		budgets.set(key, budget);
	}
	return budget;
}
