import { setTimeout as sleep } from 'timers/promises';

import { uploadLimits } from '../../nodes/Procore/transport/storage';
import { expectEveryPhotoOnce, photos, upload } from './batches';
import { jpegBytes, photoItem, userLogin, useEmulator, type FaultSpec } from './fixtures';

/**
 * Faults from the emulator, and the invariants that must hold through them (see batches.ts). The
 * 200-photo soak through a spike limit is in batch.soak.test.ts (npm run test:soak).
 */

/**
 * When the node sent a request is judged by when it reached the emulator. The node takes its turn
 * from the rate budget before n8n's request machinery sends it, and on a loaded machine that gap
 * reached 400 ms: requests it took before reading a 429 then arrive well after the 429 was written.
 * So these tests give a request 1 s after the 429 (or 503) was written before it counts as sent
 * early, and ask for waits of 3 s, so that a node that did not wait is still caught (the last
 * describe block shows the check firing). Warmed up: n8n's first request, and first error, in a
 * process are slower still.
 */
const emu = useEmulator({ inFlightGraceMs: 1000 }, { warmUp: true });

describe('one fault in a batch of 20: all 20 photos created, none twice', () => {
	test.each<[string, FaultSpec]>([
		['a 429 on Create Image', { method: 'POST', path: '/rest/v1.0/images', status: 429, resetInSeconds: 3 }],
		['a 503 with Retry-After on Create Upload', { method: 'POST', path: /^\/rest\/v1\.[01]\/projects\/\d+\/uploads$/, status: 503, retryAfterSeconds: 3 }],
		['a 500 on Create Image', { method: 'POST', path: '/rest/v1.0/images', status: 500 }],
		['a 502 on Create Image', { method: 'POST', path: '/rest/v1.0/images', status: 502 }],
		['an answer to Create Image lost after the photo was made', { method: 'POST', path: '/rest/v1.0/images', drop: 'after-processing' }],
		['a connection dropped while sending Create Image', { method: 'POST', path: '/rest/v1.0/images', drop: 'mid-body', afterBytes: 10 }],
		['storage dropping an upload half way', { listener: 'storage', method: 'POST', drop: 'mid-body', afterBytes: 500 }],
		['storage answering 500', { listener: 'storage', method: 'POST', status: 500 }],
	])('%s', async (_label, fault) => {
		const firedBefore = emu.faults.fired.length;
		emu.faults.inject(fault);
		const items = photos(20, 'batch');
		const run = await upload(items);
		expectEveryPhotoOnce(emu, items, run);
		expect(emu.faults.fired.length - firedBefore).toBe(1);
	});

	test('a segment PUT dropped half way: the upload starts again and the photo is created once', async () => {
		const firedBefore = emu.faults.fired.length;
		emu.faults.inject({ listener: 'storage', method: 'PUT', drop: 'mid-body', afterBytes: 1_000_000 });
		// Just over one 8 MB segment, with the single-POST limit (5 GB) lowered to one segment so
		// that a small file takes the segmented path.
		const items = [photoItem(jpegBytes(9 * 1024 * 1024), 'segmented.jpg')];
		const singlePostMaxBytes = uploadLimits.singlePostMaxBytes;
		uploadLimits.singlePostMaxBytes = uploadLimits.segmentBytes;
		const run = await upload(items).finally(() => (uploadLimits.singlePostMaxBytes = singlePostMaxBytes));
		expectEveryPhotoOnce(emu, items, run);
		expect(emu.faults.fired.length - firedBefore).toBe(1);
		expect(emu.requests.filter((request) => request.method === 'PATCH')).toHaveLength(1);
	});

	test('an access token revoked mid-batch is refreshed once and the batch carries on', async () => {
		const items = photos(20, 'expiry');
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 401, body: { message: 'The access token is invalid' } });
		const run = await upload(items, { credentials: userLogin(emu), advanced: { parallelUploads: 1 } });
		expectEveryPhotoOnce(emu, items, run);
		expect(emu.stats.refreshAttempts).toBe(1);
		expect(run.credentials.tokenUpdates).toHaveLength(1);
	});

	test('tokens expiring every 15 requests through a long batch', async () => {
		const items = photos(30, 'rolling');
		emu.configure({ tokenExpiresAfterRequests: 15 });
		const run = await upload(items, { credentials: userLogin(emu), advanced: { parallelUploads: 1 } }).finally(() =>
			emu.configure({ tokenExpiresAfterRequests: 0 }),
		);
		expectEveryPhotoOnce(emu, items, run);
		// 30 photos take about 60 API calls: a refresh every 15, each refresh token used once.
		expect(emu.stats.refreshAttempts).toBeGreaterThanOrEqual(3);
		expect(emu.stats.refreshFailures).toBe(0);
		expect(run.credentials.tokenUpdates).toHaveLength(emu.stats.refreshAttempts);
	});

	test('a wait longer than Maximum Wait fails the item saying how long Procore asked to wait', async () => {
		emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 503, retryAfterSeconds: 120 });
		const items = photos(1, 'patience');
		const run = await upload(items, { advanced: { maxWaitSeconds: 5 } });
		expect(run.error?.message).toBe(
			`Creating the photo "${items[0].binary.data.fileName}": Procore asked to wait 121 s, longer than the node may still wait (Maximum Wait is 5 s)`,
		);
		expect(emu.stats.imagesCreated).toBe(0);
	});
});

describe('the oracle for "sent before the wait was over" catches an impatient client', () => {
	const me = async (token: string) =>
		await fetch(`${emu.apiUrl}/rest/v1.0/me`, { headers: { Authorization: `Bearer ${token}` } });

	test.each<[string, FaultSpec, 'requestsBeforeReset' | 'requestsBeforeRetryAfter']>([
		['a 429 with X-Rate-Limit-Reset', { status: 429, resetInSeconds: 5 }, 'requestsBeforeReset'],
		['a 503 with Retry-After', { status: 503, retryAfterSeconds: 5 }, 'requestsBeforeRetryAfter'],
	])('a request sent after reading %s, past the in-flight grace but before the wait is over, counts', async (_label, fault, counter) => {
		const token = emu.issueToken().access_token;
		emu.faults.inject({ method: 'GET', path: '/rest/v1.0/me', ...fault });
		const refused = await me(token);
		expect(refused.status).toBe(fault.status);
		await refused.text();
		const waitOver = Date.now() + 5000;
		// It has read the answer, waits only out the grace, and goes again long before the wait is over.
		await sleep(emu.options.inFlightGraceMs + 100);
		expect(Date.now()).toBeLessThan(waitOver - 1000);
		await (await me(token)).text();
		expect(emu.stats[counter]).toBe(1);
		expect(emu.stats.earlyRequests).toEqual([
			expect.objectContaining({ method: 'GET', path: '/rest/v1.0/me', kind: String(fault.status) }),
		]);
	});
});
