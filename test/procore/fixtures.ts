import { createHash, randomBytes } from 'crypto';

import { startEmulator } from '../emulator';
import { ProcoreOAuth2Api } from '../../credentials/ProcoreOAuth2Api.credentials';
import { Procore } from '../../nodes/Procore/Procore.node';

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

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

export async function emulator(options: Record<string, unknown> = {}): Promise<Emulator> {
	return await startEmulator(options);
}

/** A service-account credential on the emulator's hosts (Custom environment). */
export function serviceAccount(emu: Emulator, overrides: Record<string, unknown> = {}) {
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
export function userLogin(emu: Emulator, overrides: Record<string, unknown> = {}) {
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

export function photoItem(bytes: Buffer, fileName = 'photo.jpg', mimeType = 'image/jpeg', json: Record<string, unknown> = {}) {
	return { json, binary: { data: { bytes, fileName, mimeType } } };
}

/** An upload made the way another Procore client would (Create Upload, then storage), for Existing Upload UUID. */
export async function uploadOutsideTheNode(
	emu: Emulator,
	bytes: Buffer,
	fileName: string,
	grant: { grantType?: string; userId?: number } = { grantType: 'client_credentials' },
): Promise<string> {
	// Only the user (or service account) who made an upload may use it (procore-api.md §7).
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
