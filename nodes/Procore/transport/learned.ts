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

/** For tests that switch one emulator between readings. */
export function forgetLearned(): void {
	learned.clear();
}
