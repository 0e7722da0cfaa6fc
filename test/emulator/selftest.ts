/**
 * What every self-test file of the emulator shares: one emulator for the file (its own exceptions
 * fail the file), the seeded user's and the service account's tokens, and `api()`, a call to the
 * api listener with Node's fetch (not the node's code).
 */
import { createHash } from 'crypto';

import { startEmulator } from './index';

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;
// Response bodies are asserted field by field; a loose type keeps those assertions short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

export interface CallOptions {
	method?: string;
	/** null: no Authorization header; default: the seeded user's token. */
	token?: string | null;
	/** null: no Procore-Company-Id header; default: 1001. */
	company?: number | string | null;
	json?: unknown;
	body?: BodyInit;
	headers?: Record<string, string>;
}

export interface SelfTestKit {
	/** The running emulator (started in beforeAll). */
	readonly emu: Emulator;
	readonly userToken: string;
	readonly dmsaToken: string;
	api(path: string, o?: CallOptions): Promise<{ status: number; headers: Headers; text: string; json: Json }>;
}

export function useSelfTestEmulator(options: Parameters<typeof startEmulator>[0] = {}): SelfTestKit {
	let emu: Emulator | undefined;
	let userToken = '';
	let dmsaToken = '';
	beforeAll(async () => {
		emu = await startEmulator(options);
		userToken = emu.issueToken().access_token;
		dmsaToken = emu.issueToken({ grantType: 'client_credentials' }).access_token;
	});
	afterAll(async () => {
		expect(emu?.errors).toEqual([]);
		await emu?.close();
	});
	const running = () => {
		if (!emu) throw new Error('The emulator starts in beforeAll: use it inside a test or a hook');
		return emu;
	};
	return {
		get emu() {
			return running();
		},
		get userToken() {
			return userToken;
		},
		get dmsaToken() {
			return dmsaToken;
		},
		async api(path, o = {}) {
			const headers: Record<string, string> = { ...(o.headers ?? {}) };
			const token = o.token === undefined ? userToken : o.token;
			if (token) headers.authorization = `Bearer ${token}`;
			const company = o.company === undefined ? 1001 : o.company;
			if (company !== null) headers['procore-company-id'] = String(company);
			let body = o.body;
			if (o.json !== undefined) {
				headers['content-type'] = 'application/json';
				body = JSON.stringify(o.json);
			}
			const res = await fetch(`${running().apiUrl}${path}`, { method: o.method ?? (body ? 'POST' : 'GET'), headers, body });
			const text = await res.text();
			let json: Json;
			try {
				json = JSON.parse(text);
			} catch {
				json = undefined;
			}
			return { status: res.status, headers: res.headers, text, json };
		},
	};
}
