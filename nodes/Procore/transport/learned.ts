/**
 * What the node learns about the Procore it talks to, where Procore's documents allow more than one
 * reading (docs/procore-api.md §11): e.g. which Uploads version it serves, which Create Image body
 * it takes. Learnt once per credential and kept for the life of the n8n process, so later items
 * and executions go straight to what worked.
 */
const learned = new Map<string, string>();

export type ContestedPoint = 'uploadsVersion' | 'createImageBodyForm';

export function recall<T extends string>(credentialKey: string, point: ContestedPoint): T | undefined {
	return learned.get(`${point}|${credentialKey}`) as T | undefined;
}

export function remember(credentialKey: string, point: ContestedPoint, value: string): void {
	learned.set(`${point}|${credentialKey}`, value);
}

/**
 * One request on a contested point: the reading learnt for this credential if there is one; else
 * `first`, then `second` when Procore's answer to `first` shows that it does not serve it
 * (`refused`: an answer that proves nothing was done). What worked is learnt. Any other failure
 * goes to the caller as `asError` makes it.
 */
export async function byLearnedReading<R extends string, T>(
	credentialKey: string,
	point: ContestedPoint,
	readings: { first: R; second: R; refused: (error: unknown) => boolean },
	send: (reading: R) => Promise<T>,
	asError: (error: unknown) => Error,
): Promise<{ result: T; reading: R }> {
	const known = recall<R>(credentialKey, point);
	if (known) return { result: await send(known), reading: known };
	let reading = readings.first;
	let result: T;
	try {
		result = await send(reading);
	} catch (error) {
		if (!readings.refused(error)) throw asError(error);
		reading = readings.second;
		result = await send(reading);
	}
	remember(credentialKey, point, reading);
	return { result, reading };
}

/** For tests that switch one emulator between readings. */
export function forgetLearned(): void {
	learned.clear();
}
