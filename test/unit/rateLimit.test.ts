import { BudgetExceeded, RateBudget } from '../../nodes/Procore/transport/rateLimit';

/**
 * The shared rate budget (README "Limits, retries and errors"; Procore's limits, docs/procore-api.md §3):
 * it learns each window from the X-Rate-Limit-* headers of the answers, holds requests back when a
 * window is spent, and serves those waiting in the order they asked. Fake timers: no test waits.
 */

const NOW = 1_800_000_000_000;
const SPIKE = 25;
const HOURLY = 3600;

/** The headers Procore sends for a window of `limit` with `remaining` left, resetting `inSeconds` after NOW. */
const window = (limit: number, remaining: number, inSeconds: number) => ({
	'x-rate-limit-limit': String(limit),
	'X-Rate-Limit-Remaining': String(remaining),
	'x-rate-limit-reset': String(NOW / 1000 + inSeconds),
});

let random: jest.SpyInstance;
beforeEach(() => {
	jest.useFakeTimers({ now: NOW });
	// No jitter after a wait: the queue leaves exactly at the reset.
	random = jest.spyOn(Math, 'random').mockReturnValue(0);
});
afterEach(() => {
	random.mockRestore();
	jest.useRealTimers();
});

/** Starts an acquire and reports when it went, or how it failed. */
function ask(budget: RateBudget, name: string, log: string[], deadline = NOW + 600_000) {
	return budget.acquire(deadline).then(
		() => log.push(`${name} @${Date.now() - NOW}`),
		(error: Error) => log.push(`${name} ${error.constructor.name}: ${error.message}`),
	);
}

/** One request through the budget, answered with these headers. */
async function answered(budget: RateBudget, headers: Record<string, string>) {
	await budget.acquire(Date.now() + 600_000);
	budget.settle(headers);
}

/** An answer to a request already in flight (or to none: the count in flight never goes below 0). */
function learn(budget: RateBudget, headers: Record<string, string>) {
	budget.settle(headers);
}

test('a new budget lets requests go at once', async () => {
	const budget = new RateBudget();
	const log: string[] = [];
	await Promise.all([ask(budget, 'a', log), ask(budget, 'b', log)]);
	expect(log).toEqual(['a @0', 'b @0']);
	expect(budget.waitNeeded()).toBe(0);
});

// A process alone: the first answer of each window counts no more requests than this process sent
// (a window of 3 here), or the budget would take it for one of several sharing the token (below).
test('requests in flight count against what remains, until their answers come', async () => {
	const budget = new RateBudget();
	await answered(budget, window(3, 2, 10));
	const log: string[] = [];
	await Promise.all([ask(budget, 'a', log), ask(budget, 'b', log)]);
	// Two in flight and two remaining: the next must wait for the reset.
	expect(budget.waitNeeded()).toBe(10_000);
	void ask(budget, 'c', log);
	await jest.advanceTimersByTimeAsync(9_999);
	expect(log).toEqual(['a @0', 'b @0']);
	await jest.advanceTimersByTimeAsync(1);
	expect(log).toEqual(['a @0', 'b @0', 'c @10000']);
});

describe('the spike and hourly windows are tracked apart', () => {
	test('news of the hourly window does not hide a spent spike window', async () => {
		const budget = new RateBudget();
		learn(budget, window(SPIKE, 0, 10));
		learn(budget, window(HOURLY, 3000, 3600));
		expect(budget.waitNeeded()).toBe(10_000);
		// When the spike window resets it is forgotten; the hourly one has plenty left.
		expect(budget.waitNeeded(NOW + 10_000)).toBe(0);
	});

	test('a spent hourly window holds requests back past a fresh spike window', async () => {
		const budget = new RateBudget();
		learn(budget, window(HOURLY, 0, 1800));
		learn(budget, window(SPIKE, 20, 10));
		expect(budget.waitNeeded()).toBe(1_800_000);
	});
});

describe('answers that arrive out of order', () => {
	test('within one window, the lowest remaining count seen is kept', async () => {
		const budget = new RateBudget();
		await Promise.all([budget.acquire(NOW + 1000), budget.acquire(NOW + 1000)]);
		// The second request's answer (1 left) comes before the first's (2 left).
		budget.settle(window(3, 1, 10));
		budget.settle(window(3, 2, 10));
		expect(budget.waitNeeded()).toBe(0);
		await budget.acquire(NOW + 1000);
		expect(budget.waitNeeded()).toBe(10_000);
	});

	test('an answer from a window that has already reset is old news', async () => {
		const budget = new RateBudget();
		learn(budget, window(SPIKE, 20, 20));
		learn(budget, window(SPIKE, 0, 10));
		expect(budget.waitNeeded()).toBe(0);
	});

	test('an answer from a later window replaces the spent one, even with more remaining', async () => {
		const budget = new RateBudget();
		learn(budget, window(SPIKE, 0, 10));
		learn(budget, window(SPIKE, 24, 20));
		expect(budget.waitNeeded()).toBe(0);
	});

	test('answers without rate-limit headers change nothing but the count in flight', async () => {
		const budget = new RateBudget();
		await answered(budget, window(2, 1, 10));
		await answered(budget, {});
		await answered(budget, { 'x-rate-limit-remaining': 'many', 'x-rate-limit-reset': '0' });
		expect(budget.waitNeeded()).toBe(0);
		await budget.acquire(NOW + 1000);
		expect(budget.waitNeeded()).toBe(10_000);
	});
});

test('waiting requests go first come, first served', async () => {
	const budget = new RateBudget();
	await answered(budget, window(SPIKE, 0, 10));
	const log: string[] = [];
	const all = ['a', 'b', 'c', 'd'].map((name) => ask(budget, name, log));
	await jest.advanceTimersByTimeAsync(10_000);
	await Promise.all(all);
	expect(log).toEqual(['a @10000', 'b @10000', 'c @10000', 'd @10000']);
});

test('a request that would wait past its deadline fails with BudgetExceeded at once; the one behind it still goes', async () => {
	const budget = new RateBudget();
	budget.blockUntil(NOW + 10_000);
	const log: string[] = [];
	const hasty = ask(budget, 'hasty', log, NOW + 5_000);
	const patient = ask(budget, 'patient', log, NOW + 60_000);
	await jest.advanceTimersByTimeAsync(0);
	expect(log).toEqual(['hasty BudgetExceeded: Procore asked to wait 10 s']);
	await jest.advanceTimersByTimeAsync(10_000);
	await Promise.all([hasty, patient]);
	expect(log).toEqual(['hasty BudgetExceeded: Procore asked to wait 10 s', 'patient @10000']);
});

// Known node bug (reported to the lead): only the first waiting request's deadline is checked, so
// one queued behind it waits past its own Maximum Wait and is then sent. `test.failing` passes while
// the bug is there; when it is fixed, this fails: turn it into a plain `test`.
test.failing('a request queued behind another, that would wait past its deadline, fails at once too', async () => {
	const budget = new RateBudget();
	budget.blockUntil(NOW + 10_000);
	const log: string[] = [];
	const patient = ask(budget, 'patient', log, NOW + 60_000);
	const hasty = ask(budget, 'hasty', log, NOW + 5_000);
	await jest.advanceTimersByTimeAsync(0);
	expect(log).toEqual(['hasty BudgetExceeded: Procore asked to wait 10 s']);
	await jest.advanceTimersByTimeAsync(10_000);
	await Promise.all([patient, hasty]);
});

test('BudgetExceeded says how long Procore asked to wait, in whole seconds', async () => {
	const budget = new RateBudget();
	budget.blockUntil(NOW + 12_300);
	const failed = budget.acquire(NOW + 5_000).catch((error: unknown) => error);
	await jest.advanceTimersByTimeAsync(0);
	const error = await failed;
	expect(error).toBeInstanceOf(BudgetExceeded);
	expect(error).toMatchObject({ waitSeconds: 13, message: 'Procore asked to wait 13 s' });
});

describe('blockUntil', () => {
	test('holds every request until the time Procore stated', async () => {
		const budget = new RateBudget();
		budget.blockUntil(NOW + 3_000);
		const log: string[] = [];
		const going = ask(budget, 'a', log);
		await jest.advanceTimersByTimeAsync(2_999);
		expect(log).toEqual([]);
		await jest.advanceTimersByTimeAsync(1);
		await going;
		expect(log).toEqual(['a @3000']);
	});

	test('only ever lengthens the block', () => {
		const budget = new RateBudget();
		budget.blockUntil(NOW + 5_000);
		budget.blockUntil(NOW + 1_000);
		expect(budget.waitNeeded()).toBe(5_000);
		budget.blockUntil(NOW + 8_000);
		expect(budget.waitNeeded()).toBe(8_000);
	});
});

/**
 * With probeUnknownWindow (how the node's requests use the budget, rateBudgetFor): while no window
 * is known, one request goes and the others wait for its answer, so that many parallel items never
 * start with a burst past a small spike limit.
 */
describe('probing an unknown window', () => {
	test('the first request goes alone; its answer lets as many follow as remain', async () => {
		const budget = new RateBudget({ probeUnknownWindow: true });
		const log: string[] = [];
		const asked = ['a', 'b', 'c', 'd'].map((name) => ask(budget, name, log));
		await jest.advanceTimersByTimeAsync(50);
		expect(log).toEqual(['a @0']);
		// Two remain in this window: b and c go, d waits for the reset.
		await jest.advanceTimersByTimeAsync(30);
		learn(budget, window(3, 2, 10));
		await jest.advanceTimersByTimeAsync(0);
		expect(log).toEqual(['a @0', 'b @80', 'c @80']);
		// At the reset the window is unknown again; b and c, still in flight, went out long ago (more
		// than the probe's patience): d goes as the probe.
		await jest.advanceTimersByTimeAsync(10_000);
		await Promise.all(asked);
		expect(log).toEqual(['a @0', 'b @80', 'c @80', 'd @10000']);
	});

	test('a request out for long (a large upload) holds the others back only a while: then one goes as the probe', async () => {
		const budget = new RateBudget({ probeUnknownWindow: true });
		const log: string[] = [];
		void ask(budget, 'upload', log);
		const asked = ['a', 'b'].map((name) => ask(budget, name, log));
		await jest.advanceTimersByTimeAsync(1_999);
		expect(log).toEqual(['upload @0']);
		// No answer in 2 s: a goes, and b waits for an answer again (no burst).
		await jest.advanceTimersByTimeAsync(1);
		expect(log).toEqual(['upload @0', 'a @2000']);
		await jest.advanceTimersByTimeAsync(100);
		learn(budget, window(SPIKE, 23, 10));
		await Promise.all(asked);
		expect(log).toEqual(['upload @0', 'a @2000', 'b @2100']);
	});

	test('after every known window has reset, one request probes again', async () => {
		const budget = new RateBudget({ probeUnknownWindow: true });
		await answered(budget, window(SPIKE, 24, 10));
		await jest.advanceTimersByTimeAsync(10_000);
		const log: string[] = [];
		void ask(budget, 'a', log);
		void ask(budget, 'b', log);
		await jest.advanceTimersByTimeAsync(0);
		expect(log).toEqual(['a @10000']);
		learn(budget, window(SPIKE, 24, 20));
		await jest.advanceTimersByTimeAsync(0);
		expect(log).toEqual(['a @10000', 'b @10000']);
	});

	test('a known hourly window does not stop the probe when the spike window resets', async () => {
		const budget = new RateBudget({ probeUnknownWindow: true });
		await answered(budget, window(HOURLY, 3000, 1800));
		await answered(budget, window(SPIKE, 23, 10));
		await jest.advanceTimersByTimeAsync(10_000);
		const log: string[] = [];
		const asked = ['a', 'b', 'c'].map((name) => ask(budget, name, log));
		await jest.advanceTimersByTimeAsync(0);
		// Plenty left this hour, but nothing is known of the next 10 s: one goes and the others wait.
		expect(log).toEqual(['a @10000']);
		learn(budget, window(SPIKE, 24, 20));
		await Promise.all(asked);
		expect(log).toEqual(['a @10000', 'b @10000', 'c @10000']);
	});

	test('answers without rate-limit headers end the probing: requests go at once', async () => {
		const budget = new RateBudget({ probeUnknownWindow: true });
		await answered(budget, { date: new Date(NOW).toUTCString() });
		const log: string[] = [];
		await Promise.all([ask(budget, 'a', log), ask(budget, 'b', log), ask(budget, 'c', log)]);
		expect(log).toEqual(['a @0', 'b @0', 'c @0']);
	});

	test('a request that failed without an answer hands the probe to the next one', async () => {
		const budget = new RateBudget({ probeUnknownWindow: true });
		const log: string[] = [];
		void ask(budget, 'a', log);
		void ask(budget, 'b', log);
		void ask(budget, 'c', log);
		await jest.advanceTimersByTimeAsync(0);
		expect(log).toEqual(['a @0']);
		learn(budget, undefined as never);
		await jest.advanceTimersByTimeAsync(0);
		expect(log).toEqual(['a @0', 'b @0']);
	});
});

describe("Procore's clock, from the Date header", () => {
	const dateHeader = (offsetMs: number, at: number) => ({ date: new Date(at + offsetMs).toUTCString() });

	test('a clock set while n8n runs is followed at the next answer', () => {
		const budget = new RateBudget();
		const now = Date.parse('2026-12-01T12:00:00.000Z');
		budget.settle(dateHeader(60_000, now), now);
		expect(budget.serverNow(now)).toBe(now + 60_000);
		// Procore's clock is now a minute behind this machine's: the old estimate goes at once.
		budget.settle(dateHeader(-60_000, now), now);
		expect(budget.serverNow(now)).toBe(now - 60_000);
		// Rounding to whole seconds and delays keep the largest recent sample.
		budget.settle(dateHeader(-60_700, now), now);
		expect(budget.serverNow(now)).toBe(now - 60_000);
	});
});

/**
 * Several processes on one token (n8n's queue mode, README "Running at scale"): each has its own
 * budget and nothing in common but Procore's answers. A process that sees signs of others spreads
 * what remains of the spike window over the time to its reset; a process alone does not (it would
 * lose the start of each window, README "Benchmark").
 */
describe('other processes on the same token', () => {
	/** Procore's count for one spike window, shared by every process that sends on the token. */
	function procoreWindow(resetInSeconds: number) {
		let count = 0;
		return () => {
			count++;
			return window(SPIKE, Math.max(0, SPIKE - count), resetInSeconds);
		};
	}

	/** Starts `count` acquires on a budget and records when each went, in ms after NOW. */
	function sendMany(budget: RateBudget, count: number, went: number[]) {
		return Promise.all(Array.from({ length: count }, () => budget.acquire(NOW + 600_000).then(() => went.push(Date.now() - NOW))));
	}

	test("the first answer of a window counts more requests than this process sent: it spreads the rest, the other doesn't know yet", async () => {
		const procore = procoreWindow(10);
		const first = new RateBudget({ probeUnknownWindow: true });
		const second = new RateBudget({ probeUnknownWindow: true });
		// Each sends its one request while the window is unknown.
		await first.acquire(NOW + 1000);
		await second.acquire(NOW + 1000);
		first.settle(procore()); // 24 left: all of it this process's own
		second.settle(procore()); // 23 left, but this process sent only one
		const wentFirst: number[] = [];
		const wentSecond: number[] = [];
		const all = Promise.all([sendMany(first, 3, wentFirst), sendMany(second, 3, wentSecond)]);
		await jest.advanceTimersByTimeAsync(10_000);
		await all;
		expect(wentFirst).toEqual([0, 0, 0]);
		// 23 left over 10 s: one about every 10 s / 23.
		expect(wentSecond[0]).toBeGreaterThanOrEqual(400);
		expect(wentSecond[1] - wentSecond[0]).toBeGreaterThanOrEqual(400);
		expect(wentSecond[2] - wentSecond[1]).toBeGreaterThanOrEqual(400);
	});

	test('alone across a reset: requests sent just before it and counted in the new window are its own', async () => {
		const budget = new RateBudget({ probeUnknownWindow: true });
		await answered(budget, window(SPIKE, 24, 10));
		await jest.advanceTimersByTimeAsync(9_900);
		// Three go just before the reset; Procore counts them in the next window.
		await Promise.all([0, 1, 2].map(() => budget.acquire(NOW + 60_000)));
		await jest.advanceTimersByTimeAsync(200);
		for (const remaining of [24, 23, 22]) budget.settle(window(SPIKE, remaining, 20));
		const went: number[] = [];
		await sendMany(budget, 5, went);
		expect(went).toEqual([10_100, 10_100, 10_100, 10_100, 10_100]);
	});

	test('a second answer in one window saying nothing remains: someone sent past its count, and the next window is spread', async () => {
		const budget = new RateBudget({ probeUnknownWindow: true });
		await answered(budget, window(SPIKE, 24, 10));
		// It sends all 24 that remain; Procore's count reaches 0 one request early and stops there
		// (another process sent one), so the drop equals what this process sent: only the second
		// "0 remaining" (a 429) tells.
		await Promise.all(Array.from({ length: 24 }, () => budget.acquire(NOW + 1000)));
		for (let remaining = 22; remaining >= 0; remaining--) budget.settle(window(SPIKE, remaining, 10));
		budget.settle(window(SPIKE, 0, 10));
		// The next window: the probe's answer says 24 remain, and they are spread, not sent at once.
		await jest.advanceTimersByTimeAsync(10_000);
		await answered(budget, window(SPIKE, 24, 20));
		const went: number[] = [];
		const all = sendMany(budget, 3, went);
		await jest.advanceTimersByTimeAsync(10_000);
		await all;
		expect(went[0]).toBeGreaterThanOrEqual(10_400);
		expect(went[2] - went[0]).toBeGreaterThanOrEqual(800);
	});

	test('a process alone, window after window, sends what remains at once', async () => {
		const budget = new RateBudget({ probeUnknownWindow: true });
		for (let windowIndex = 0; windowIndex < 3; windowIndex++) {
			const procore = procoreWindow(10 * (windowIndex + 1));
			const start = Date.now();
			await budget.acquire(start + 1000);
			budget.settle(procore());
			const went: number[] = [];
			await sendMany(budget, 24, went);
			expect(went.every((at) => at === start - NOW)).toBe(true);
			for (let i = 0; i < 24; i++) budget.settle(procore());
			await jest.advanceTimersByTimeAsync(10_000);
		}
	});
});
