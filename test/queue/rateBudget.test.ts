import { RateBudget } from '../../nodes/Procore/transport/rateLimit';

/**
 * The rate budget when other processes draw from the same token (n8n's queue mode, README
 * "Running at scale"): Procore's X-Rate-Limit-* headers (procore-api.md §3) are all the processes
 * share. Fake timers: no test waits.
 */

const NOW = 1_800_000_000_000;
const SPIKE = 25;

const headers = (remaining: number, inSeconds: number, date = NOW) => ({
	'x-rate-limit-limit': String(SPIKE),
	'x-rate-limit-remaining': String(remaining),
	'x-rate-limit-reset': String(NOW / 1000 + inSeconds),
	date: new Date(date).toUTCString(),
});

let random: jest.SpyInstance;
beforeEach(() => {
	jest.useFakeTimers({ now: NOW });
	random = jest.spyOn(Math, 'random').mockReturnValue(0);
});
afterEach(() => {
	random.mockRestore();
	jest.useRealTimers();
});

test('one reset second is one window, however the clock offset learnt from Date headers moves', () => {
	const budget = new RateBudget();
	// The first answer's Date says Procore is a second behind, the second's that it is not: the
	// same reset lands a second apart on this machine's clock. Still the same window, now spent.
	budget.settle(headers(10, 10, NOW - 1000));
	budget.settle(headers(0, 10, NOW));
	expect(budget.waitNeeded()).toBeGreaterThan(0);
});

test('with no sign of anyone else, what remains of the window goes at once', async () => {
	const budget = new RateBudget();
	budget.settle(headers(20, 10));
	const went: number[] = [];
	await Promise.all([0, 1, 2].map(() => budget.acquire(NOW + 60_000).then(() => went.push(Date.now() - NOW))));
	expect(went).toEqual([0, 0, 0]);
});

test('when the count drops by more than this process sent, what remains is spread over the time to the reset', async () => {
	const budget = new RateBudget();
	budget.settle(headers(20, 10));
	// Ten requests gone that this process never sent: another worker uses the token.
	budget.settle(headers(10, 10));
	const went: number[] = [];
	const all = Promise.all([0, 1, 2].map(() => budget.acquire(NOW + 60_000).then(() => went.push(Date.now() - NOW))));
	await jest.advanceTimersByTimeAsync(10_000);
	await all;
	expect(went[0]).toBe(0);
	// 10 remaining, 1 then 2 in flight: about 10 s / 9 and then (10 s - that) / 8 apart.
	expect(went[1]).toBeGreaterThanOrEqual(1000);
	expect(went[2] - went[1]).toBeGreaterThanOrEqual(1000);
	expect(went[2]).toBeLessThan(10_000);
});
