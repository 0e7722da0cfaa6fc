import type { IBinaryData, IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { ProcoreConnection } from '../transport';
import { isStaleLinkError, openFileLink, type OpenedFile } from '../transport/download';
import { asNodeError } from '../transport/errors';

/** Storage answers that name no type; the file name tells more. */
const GENERIC_TYPES = ['application/octet-stream', 'binary/octet-stream', 'application/binary'];

export function specificType(contentType: string | undefined): string | undefined {
	const type = contentType?.split(';')[0].trim().toLowerCase();
	return type && !GENERIC_TYPES.includes(type) ? type : undefined;
}

/** A file name fit for n8n's binary data: no folders, no control characters. */
export function safeFileName(name: string): string {
	return Array.from(name.replace(/[\\/]/g, '_'))
		.filter((character) => character.charCodeAt(0) >= 0x20 && character.charCodeAt(0) !== 0x7f)
		.join('')
		.trim();
}

/**
 * Files coming in at once in this n8n process, for every run and trigger together. Each costs some
 * memory while it comes in (its stream, n8n's writing it to binary data): with Parallel Items' 64
 * the bench's 50 × 2 MB download peaked 63 MB above reading the files alone, against 42 MB at 16,
 * and issue #10 allows 50 (README, Benchmark). The records are still read many at once.
 */
const FILES_AT_ONCE = 16;
let filesComingIn = 0;
const waitingForTurn: Array<() => void> = [];

/** Waits for a turn to bring a file in; returns what ends it. */
async function fileTurn(): Promise<() => void> {
	if (filesComingIn >= FILES_AT_ONCE) await new Promise<void>((go) => waitingForTurn.push(go));
	else filesComingIn++;
	let ended = false;
	return () => {
		if (ended) return;
		ended = true;
		// The turn passes straight to the next waiting file, or is given back.
		const next = waitingForTurn.shift();
		if (next) next();
		else filesComingIn--;
	};
}

export interface PhotoFileRequest {
	companyId: string;
	/** The photo in words, for messages: "photo 12 in project 34". */
	what: string;
	itemIndex?: number;
	/** The name when neither the record nor storage gives one. */
	fallbackName: string;
	/** Storage's name before the record's (a thumbnail has its own). */
	storageNameFirst?: boolean;
}

/**
 * A photo's file as n8n binary data, streamed into n8n's binary data (in filesystem mode to disk as
 * it arrives), for Image → Download and the triggers' Download the Photo. File links expire and
 * Procore may change their shape, so `read` reads the record right before each try and returns it
 * with the link to fetch, used as it is (docs/procore-api.md §11 "Downloading a photo"); undefined
 * when there is nothing to download. A link that fails as stale, or a transfer that broke off, gets
 * one more try with a fresh record. A try waits for its turn (FILES_AT_ONCE) before it reads the
 * record, so that the link is fresh when it is used.
 */
export async function downloadPhotoFile(
	context: IExecuteFunctions,
	connection: ProcoreConnection,
	request: PhotoFileRequest,
	read: () => Promise<{ image: IDataObject; link: string } | undefined>,
): Promise<{ image: IDataObject; binary: IBinaryData } | undefined> {
	const node = context.getNode();
	const { companyId, what, itemIndex } = request;
	for (let round = 1; ; round++) {
		const endTurn = await fileTurn();
		let source: { image: IDataObject; link: string } | undefined;
		try {
			source = await read();
		} catch (error) {
			endTurn();
			throw asNodeError(node, error, itemIndex);
		}
		if (!source) {
			endTurn();
			return undefined;
		}
		let file: OpenedFile | undefined;
		try {
			file = await openFileLink(context, connection, { link: source.link, companyId, action: `Downloading ${what}`, itemIndex });
			const recordName = typeof source.image.filename === 'string' && source.image.filename ? source.image.filename : undefined;
			const fileName = safeFileName(
				(request.storageNameFirst ? file.fileName : undefined) ?? recordName ?? file.fileName ?? request.fallbackName,
			);
			const binary = await context.helpers.prepareBinaryData(file.stream, fileName, specificType(file.contentType));
			return { image: source.image, binary };
		} catch (error) {
			endTurn();
			file?.stream.destroy();
			// A transfer that broke off mid-way is stale too: the next link starts it afresh.
			const brokeOff = file !== undefined;
			if ((brokeOff || isStaleLinkError(error)) && round < 2) continue;
			if (!brokeOff) throw asNodeError(node, error, itemIndex);
			throw new NodeOperationError(node, `Downloading ${what}: the transfer broke off${round > 1 ? ', twice' : ''}`, {
				itemIndex,
				description: 'The connection to Procore or its file storage failed while the file was coming in. Download it again.',
			});
		} finally {
			endTurn();
		}
	}
}
