import { expectEveryPhotoOnce, photos, upload } from './batches';
import { useEmulator } from './fixtures';

/**
 * The soak (npm run test:soak, not in npm test: it takes minutes): a long batch through Procore's
 * spike limit (docs/procore-api.md §3) and seeded random faults, with the invariants of batches.ts.
 */

// A 1 s in-flight grace, for the reason resilience.test.ts gives: with 8 uploads in parallel on a
// loaded machine, requests the node let go before it read a 429 reached the emulator 100 ms late
// and more. Windows of 10 s still leave most of each wait in which a request would count.
const emu = useEmulator({ spikeLimit: 25, spikeWindowMs: 10_000, inFlightGraceMs: 1000 }, { warmUp: true });

describe('200 photos through a limit of 25 requests per 10 s and random faults', () => {
	test('end with 200 images, 0 duplicates, 0 requests before a reset time, every output paired', async () => {
		emu.faults.setRandom({
			seed: 20261128,
			rate: 0.04,
			kinds: ['429', '503', '500', '502', 'drop', 'drop-after'],
			listeners: ['api', 'storage'],
			max: 25,
		});
		const items = photos(200, 'site');
		const run = await upload(items, { advanced: { parallelUploads: 8, maxWaitSeconds: 120 } });
		expectEveryPhotoOnce(emu, items, run);
		expect(emu.stats.imagesCreated).toBe(200);
		expect(emu.faults.fired.filter((fault: { random: boolean }) => fault.random).length).toBeGreaterThan(5);
	}, 600_000);
});
