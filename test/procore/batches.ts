import type { RunResult } from '../engine';
import { createImage, jpegBytes, photoItem, sha256, type Emulator } from './fixtures';

/**
 * Batches of photos through faults, and the invariants that must hold through them: every photo
 * created exactly once, byte-exact, nothing sent before Procore's reset time, every output paired.
 */

let batch = 0;
/** Photos with names unique to this process, since the emulator keeps every image it stored. */
export function photos(count: number, prefix: string) {
	batch++;
	return Array.from({ length: count }, (_, index) => photoItem(jpegBytes(3000 + index), `${prefix}${batch}-${index}.jpg`));
}

export type Photo = ReturnType<typeof photos>[number];

export interface BatchOptions {
	advanced?: Record<string, unknown>;
	credentials?: Record<string, unknown>;
	continueOnFail?: boolean;
}

/** Image → Create for every photo, 4 at a time unless told otherwise. */
export async function upload(items: Photo[], options: BatchOptions = {}): Promise<RunResult> {
	const advancedOptions = { parallelUploads: 4, maxWaitSeconds: 60, ...options.advanced };
	return await createImage({ advancedOptions }, items, {
		credentials: options.credentials,
		continueOnFail: options.continueOnFail,
	});
}

export function expectEveryPhotoOnce(emu: Emulator, items: Photo[], run: RunResult) {
	expect(run.error).toBeUndefined();
	expect(run.items.map((item) => item.pairedItem)).toEqual(items.map((_, item) => ({ item })));
	expect(run.items.map((item) => item.json.filename)).toEqual(items.map((item) => item.binary.data.fileName));
	const stored = [...emu.state.images.values()] as Array<{ filename: string; sha256: string }>;
	for (const item of items) {
		const copies = stored.filter((image) => image.filename === item.binary.data.fileName);
		expect(copies).toHaveLength(1);
		expect(copies[0].sha256).toBe(sha256(item.binary.data.bytes));
	}
	expect(emu.duplicateImages()).toEqual({ byUpload: [], byContent: [] });
	expect(emu.stats.earlyRequests).toEqual([]);
	expect(emu.stats.requestsBeforeReset).toBe(0);
	expect(emu.stats.requestsBeforeRetryAfter).toBe(0);
}
