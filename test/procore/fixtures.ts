import { createHash, randomBytes } from 'crypto';
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { runNode, type BinaryMode, type InputItem, type RunResult } from '../engine';
import { startEmulator } from '../emulator';
import { ProcoreOAuth2Api } from '../../credentials/ProcoreOAuth2Api.credentials';
import { Procore } from '../../nodes/Procore/Procore.node';

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type EmulatorOptions = Parameters<typeof startEmulator>[0];
/** A fault as emu.faults.inject takes it. */
export type FaultSpec = Parameters<Emulator['faults']['inject']>[0];

export const CLIENT_ID = 'procore-test-client';
export const CLIENT_SECRET = 'procore-test-secret';
export const ACME = '1001';
export const BETA = '1002';
export const HARBOR_TOWER = '2001';
export const RIVERSIDE_CLINIC = '2002';
export const UNCLASSIFIED = 5001;
export const SITE_PROGRESS = 5002;

export const procoreNode = new Procore();
export const procoreCredential = new ProcoreOAuth2Api();

/** The emulator the running describe block started, for runOperation's default credential. */
let current: Emulator | undefined;

/**
 * Throws when the emulator caught an exception of its own. It answers those with a 500, which the
 * node retries like any server error, so without this check a bug in the emulator would pass as a
 * fault the node survived.
 */
export function expectNoEmulatorErrors(emu: Emulator): void {
	const errors = emu.errors.splice(0);
	if (errors.length === 0) return;
	const shown = errors.map((error) => (error instanceof Error ? (error.stack ?? error.message) : String(error)));
	throw new Error(`The emulator itself threw ${errors.length} time(s) during this test:\n${shown.join('\n')}`);
}

export interface UseEmulatorSetup {
	/** Run the node once before the first test (see warmUp), for tests that judge timing. */
	warmUp?: boolean;
}

/**
 * The emulator for the tests of the enclosing file or describe block: started before them,
 * reset before each, checked after each for exceptions of its own, closed after them all.
 * The handle is usable from inside tests and hooks.
 */
export function useEmulator(options: EmulatorOptions = {}, setup: UseEmulatorSetup = {}): Emulator {
	let started: Emulator | undefined;
	beforeAll(async () => {
		started = await startEmulator(options);
		current = started;
		if (setup.warmUp) {
			await warmUp(started);
			expectNoEmulatorErrors(started);
		}
	});
	afterAll(async () => {
		if (current === started) current = undefined;
		await started?.close();
	});
	beforeEach(() => started?.reset());
	afterEach(() => {
		if (started) expectNoEmulatorErrors(started);
	});
	return new Proxy({} as Emulator, {
		get(_target, key) {
			if (!started) throw new Error('The emulator starts in beforeAll: use it inside a test or a hook');
			return Reflect.get(started, key) as unknown;
		},
	});
}

/**
 * One photo through, then one refused. In a fresh test process the first request, and above all the
 * first error answer, are slow to handle: in one measured run the node read its first 429 350 ms
 * after the emulator wrote it (30 ms once warmed), enough to blur when the node learnt of it.
 */
async function warmUp(emu: Emulator): Promise<void> {
	const created = await createImage({}, [photoItem(jpegBytes(100), 'warm-up.jpg')]);
	if (created.error) throw created.error;
	emu.faults.inject({ method: 'POST', path: '/rest/v1.0/images', status: 422, body: { errors: { name: ['is invalid'] } } });
	const refused = await createImage({}, [photoItem(jpegBytes(101), 'warm-up-refused.jpg')]);
	if (!refused.error?.message.includes('(422)')) throw new Error(`The warm-up expected a 422, got: ${refused.error?.message}`);
}

function currentEmulator(): Emulator {
	if (!current) throw new Error('No emulator is running: call useEmulator() in this file or describe block');
	return current;
}

export interface OperationRun {
	resource: string;
	operation: string;
	parameters?: Record<string, unknown>;
	/** Input items (default: one empty item). */
	items?: InputItem[];
	/** The Procore credential's data (default: a service account on the running emulator). */
	credentials?: Record<string, unknown>;
	continueOnFail?: boolean;
	binaryMode?: BinaryMode;
}

/** Runs one Procore resource/operation through n8n's engine against the running emulator. */
export async function runOperation(options: OperationRun): Promise<RunResult> {
	return await runNode({
		nodeType: procoreNode,
		credentialTypes: [procoreCredential],
		parameters: { resource: options.resource, operation: options.operation, ...options.parameters } as never,
		inputItems: options.items,
		credentials: {
			procoreOAuth2Api: (options.credentials ?? serviceAccount(currentEmulator())) as ICredentialDataDecryptedObject,
		},
		binaryMode: options.binaryMode,
		continueOnFail: options.continueOnFail,
	});
}

/** Image → Create into Harbor Tower (see createParameters), with parameter overrides. */
export async function createImage(
	parameters: Record<string, unknown>,
	items: InputItem[],
	options: Omit<OperationRun, 'resource' | 'operation' | 'parameters' | 'items'> = {},
): Promise<RunResult> {
	return await runOperation({ resource: 'image', operation: 'create', parameters: createParameters(parameters), items, ...options });
}

/** A service-account credential on the emulator's hosts (Custom environment). */
export function serviceAccount(emu: Emulator, overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		environment: 'custom',
		loginHost: emu.loginUrl,
		apiHost: emu.apiUrl,
		grantType: 'clientCredentials',
		clientId: CLIENT_ID,
		clientSecret: CLIENT_SECRET,
		companyId: ACME,
		...overrides,
	};
}

/** A connected user credential (Authorization Code), with a token the emulator issued. */
export function userLogin(emu: Emulator, overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		environment: 'custom',
		loginHost: emu.loginUrl,
		apiHost: emu.apiUrl,
		grantType: 'authorizationCode',
		clientId: CLIENT_ID,
		clientSecret: CLIENT_SECRET,
		companyId: '',
		oauthTokenData: emu.issueToken(),
		...overrides,
	};
}

export const rl = (value: string, mode = 'id') => ({ __rl: true, mode, value });

/** Node parameters for Image → Create into Harbor Tower, with overrides. */
export function createParameters(overrides: Record<string, unknown> = {}) {
	return {
		resource: 'image',
		operation: 'create',
		companyId: rl(ACME),
		projectId: rl(HARBOR_TOWER),
		uploadMethod: 'direct',
		binaryPropertyName: 'data',
		imageName: '',
		albumId: rl(String(SITE_PROGRESS)),
		createAlbumIfMissing: true,
		additionalFields: {},
		advancedOptions: {},
		...overrides,
	};
}

const JPEG_HEAD = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);

/** Bytes that start like a JPEG, then random content of the given size. */
export function jpegBytes(size: number): Buffer {
	const bytes = randomBytes(size);
	JPEG_HEAD.copy(bytes, 0, 0, Math.min(size, JPEG_HEAD.length));
	return bytes;
}

/** A real 1×1 PNG. */
export const PNG_1X1 = Buffer.from(
	'89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2a3f8f10000000049454e44ae426082',
	'hex',
);

export function sha256(bytes: Buffer | Uint8Array): string {
	return createHash('sha256').update(bytes).digest('hex');
}

export function photoItem(bytes: Buffer, fileName = 'photo.jpg', mimeType = 'image/jpeg', json: IDataObject = {}) {
	return { json, binary: { data: { bytes, fileName, mimeType } } } satisfies InputItem;
}

/** An upload made the way another Procore client would (Create Upload, then storage), for Existing Upload UUID. */
export async function uploadOutsideTheNode(
	emu: Emulator,
	bytes: Buffer,
	fileName: string,
	grant: { grantType?: string; userId?: number } = { grantType: 'client_credentials' },
): Promise<string> {
	// Only the user (or service account) who made an upload may use it (docs/procore-api.md §7).
	const token = emu.issueToken(grant).access_token;
	const created = await fetch(`${emu.apiUrl}/rest/v1.0/projects/${HARBOR_TOWER}/uploads`, {
		method: 'POST',
		headers: { Authorization: `Bearer ${token}`, 'Procore-Company-Id': ACME, 'Content-Type': 'application/json' },
		body: JSON.stringify({ response_filename: fileName }),
	});
	const upload = (await created.json()) as { uuid: string; url: string; fields: Record<string, string> };
	const form = new FormData();
	for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
	form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), fileName);
	const stored = await fetch(upload.url, { method: 'POST', body: form });
	if (!stored.ok) throw new Error(`storage answered ${stored.status}`);
	return upload.uuid;
}
