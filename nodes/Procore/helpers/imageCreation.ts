import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { procoreListAll, procoreRequest, type ProcoreRequest, type ProcoreResponse } from '../transport';
import { asNodeError, httpStatusOf, procoreWordsOf } from '../transport/errors';
import { byLearnedReading } from '../transport/learned';
import { procorePath } from '../transport/paths';
import type { RunContext } from '../types';
import { procoreDateTime } from './dateTimes';
import type { ImageAttributes } from './imageFields';

/**
 * Create Image (POST /rest/v1.0/images) where Procore's documents disagree (docs/procore-api.md
 * §6.1, §10 #1, §11 "Create Image body"): every spec puts `upload_uuid` and `image_name` at the top
 * level next to `image`; the 2026-05 tutorial nests them as `upload: {uuid, image_name}`. The node
 * sends the specs' form first. A 400 or 422 that names those fields proves nothing was created (the
 * request was refused as a whole), so sending the tutorial's form once then cannot duplicate a
 * photo. Which form worked is remembered per credential for the rest of the process.
 */
type BodyForm = 'flat' | 'nested';

/** Procore's words when it does not know the upload-first fields of the form it was sent. */
const NAMES_UPLOAD_FIELDS = /upload[ _]uuid|\bupload\b|image[ _]name/i;

function bodyFor(form: BodyForm, uploadUuid: string, imageName: string, image: ImageAttributes): IDataObject {
	return form === 'flat'
		? { upload_uuid: uploadUuid, image_name: imageName, image }
		: { upload: { uuid: uploadUuid, image_name: imageName }, image };
}

function refusedForm(error: unknown): boolean {
	const status = httpStatusOf(error);
	return (status === 400 || status === 422) && NAMES_UPLOAD_FIELDS.test(procoreWordsOf(error));
}

export interface CreateFromUploadInput {
	/** Everything of the request but its body (path, project, item, retry and recovery). */
	request: Omit<ProcoreRequest, 'body'>;
	uploadUuid: string;
	imageName: string;
	image: ImageAttributes;
}

export async function createImageFromUpload(
	context: IExecuteFunctions,
	run: RunContext,
	input: CreateFromUploadInput,
): Promise<ProcoreResponse<IDataObject>> {
	const key = run.connection.budgetKey;
	const send = async (form: BodyForm) =>
		await procoreRequest<IDataObject>(
			context,
			{ ...input.request, body: bodyFor(form, input.uploadUuid, input.imageName, input.image) },
			run.connection,
		);
	const { result } = await byLearnedReading<BodyForm, ProcoreResponse<IDataObject>>(
		key,
		'createImageBodyForm',
		{ first: 'flat', second: 'nested', refused: refusedForm },
		send,
		(error) => asNodeError(context.getNode(), error, input.request.itemIndex),
	);
	return result;
}


/** The token's own user (service account or person), read once per run: GET /rest/v1.0/me. */
export async function currentUserId(
	context: IExecuteFunctions,
	run: RunContext,
	companyId: string,
	itemIndex: number,
): Promise<number | undefined> {
	return await run.memo(`me:${companyId}`, async () => {
		const me = await procoreRequest<{ id?: unknown }>(
			context,
			{
				method: 'GET',
				path: procorePath`/rest/v1.0/me`,
				companyId,
				itemIndex,
				action: 'Reading which Procore user this credential is',
			},
			run.connection,
		);
		return typeof me.body?.id === 'number' ? me.body.id : undefined;
	});
}

export interface CreatedImageLookup {
	projectId: string;
	companyId: string;
	imageName: string;
	size?: number;
	/** When the item started: the photo cannot be older. */
	since: number;
	itemIndex: number;
}

/**
 * After a lost answer to Create Image: the photo this item created, if Procore made it. It is a
 * photo of the project with this name (and size, when Procore reports one), uploaded by this
 * credential's own user, created since the item started, that no other item of this run claimed.
 * Restricting to the user keeps a colleague's photo of the same name, uploaded in the same minutes,
 * from being taken for ours.
 */
export async function findCreatedImage(
	context: IExecuteFunctions,
	run: RunContext,
	lookup: CreatedImageLookup,
): Promise<ProcoreResponse<IDataObject> | undefined> {
	const uploaderId = await currentUserId(context, run, lookup.companyId, lookup.itemIndex);
	const from = procoreDateTime(lookup.since - 5 * 60 * 1000);
	const to = procoreDateTime(Date.now() + 5 * 60 * 1000);
	const images = await procoreListAll<IDataObject>(
		context,
		{
			method: 'GET',
			path: procorePath`/rest/v1.0/images`,
			qs: {
				project_id: lookup.projectId,
				'filters[created_at]': `${from}...${to}`,
				...(uploaderId !== undefined ? { 'filters[uploader_id]': [uploaderId] } : {}),
				sort: '-created_at',
			},
			companyId: lookup.companyId,
			itemIndex: lookup.itemIndex,
			action: `Checking whether "${lookup.imageName}" was created`,
		},
		{ perPage: 100, maxItems: 1000 },
		run.connection,
	);
	const match = images.find((image) => {
		if (typeof image.id !== 'number' || run.claimed.has(image.id)) return false;
		if (image.filename !== lookup.imageName) return false;
		// Procore may not apply a filter it does not know: the uploader is checked here too.
		const uploader = (image.uploader as { id?: unknown } | null | undefined)?.id;
		if (uploaderId !== undefined && typeof uploader === 'number' && uploader !== uploaderId) return false;
		// A size Procore has not worked out yet (null) says nothing either way.
		const size = image.size;
		return lookup.size === undefined || typeof size !== 'number' || size === lookup.size;
	});
	if (!match) return undefined;
	run.claimed.add(match.id as number);
	return { body: match, headers: {}, statusCode: 201 };
}

/**
 * A location given as a path ("Building A > Level 2"), as the ID of that location in the project,
 * made if missing: POST …/locations/find_or_create_by_path (docs/procore-api.md §6.4), once per path
 * and run. Resolving the path before the photo exists means a project that refuses new locations
 * ("Disable Dynamic Location Creation", §11 "Locations") fails the item before anything is created,
 * whether Procore would have refused `mt_location` or silently dropped it. Returns undefined when
 * this user may not use that endpoint (403): Create Image's own `mt_location` then carries the path.
 */
export async function locationIdForPath(
	context: IExecuteFunctions,
	run: RunContext,
	options: { companyId: string; projectId: string; path: string[]; itemIndex: number },
): Promise<number | undefined> {
	const { companyId, projectId, path, itemIndex } = options;
	const shown = path.join(' > ');
	const key = `location:${companyId}:${projectId}:${JSON.stringify(path)}`;
	try {
		return await run.memo(key, async () => {
			const found = await procoreRequest<{ id?: unknown }>(
				context,
				{
					method: 'POST',
					path: procorePath`/rest/v1.0/projects/${projectId}/locations/find_or_create_by_path`,
					companyId,
					body: { location: { path } },
					itemIndex,
					action: `Finding the location "${shown}"`,
					// Finding or creating the same path twice ends with the same one location.
					retry: 'repeatable',
				},
				run.connection,
			);
			return typeof found.body?.id === 'number' ? found.body.id : undefined;
		});
	} catch (error) {
		const status = httpStatusOf(error);
		if (status === 403) return undefined;
		if (status === 422) throw dynamicLocationRefused(context, shown, projectId, itemIndex, error as Error);
		throw asNodeError(context.getNode(), error, itemIndex);
	}
}

/**
 * For Create and Update: a location path among the photo's fields becomes its location's ID when
 * the node can find or make it (locationIdForPath), before the photo is sent, so a project that
 * refuses new locations fails the item with nothing changed. Otherwise the path goes as
 * `mt_location`, for Procore to resolve. Returns what the photo's request's failure becomes: a 422
 * on `mt_location` (Procore's words name the location) is the project refusing new locations.
 */
export async function placeLocation(
	context: IExecuteFunctions,
	run: RunContext,
	fields: { mt_location?: string[]; location_id?: number },
	scope: { companyId: string; projectId: string; itemIndex: number },
): Promise<(error: unknown) => Error> {
	const { projectId, itemIndex } = scope;
	const path = fields.mt_location;
	if (path) {
		const locationId = await locationIdForPath(context, run, { ...scope, path });
		if (locationId !== undefined) {
			delete fields.mt_location;
			fields.location_id = locationId;
		}
	}
	return (error: unknown) => {
		const status = httpStatusOf(error);
		if (path && fields.mt_location && status === 422 && /location/i.test(procoreWordsOf(error))) {
			return dynamicLocationRefused(context, path.join(' > '), projectId, itemIndex, error as Error);
		}
		return asNodeError(context.getNode(), error, itemIndex);
	};
}

export function dynamicLocationRefused(
	context: IExecuteFunctions,
	shownPath: string,
	projectId: string,
	itemIndex: number,
	cause: Error,
): NodeOperationError {
	return new NodeOperationError(
		context.getNode(),
		`Procore refused the location "${shownPath}" in project ${projectId}: ${cause.message}`,
		{
			itemIndex,
			description:
				'The path names a location the project does not have, and the project does not let photos create locations (Procore project setting "Disable Dynamic Location Creation"). Pick an existing location (From List or By ID), or ask a project admin to add this location or turn the setting off.',
		},
	);
}

interface AlbumScope {
	companyId: string;
	projectId: string;
	/** Undefined: the project's default album, whose ID the node may not know. */
	albumId?: number;
}

type PhotosByName = Map<string, IDataObject[]>;

/** The memo key of a listing: per album, or per name where the album is the unnamed default. */
function listingKey(scope: AlbumScope, imageName: string): string {
	const album = `photos-in-album:${scope.companyId}:${scope.projectId}`;
	return scope.albumId === undefined ? `${album}:default:${imageName.toLowerCase()}` : `${album}:${scope.albumId}`;
}

/**
 * The album's photos by file name, read once per run and album (every page): a run of many photos
 * into one album asks Procore once, not once per photo.
 */
async function photosInAlbum(
	context: IExecuteFunctions,
	run: RunContext,
	scope: AlbumScope & { itemIndex: number; imageName: string },
): Promise<PhotosByName> {
	return await run.memo(listingKey(scope, scope.imageName), async () => {
		const photos = await procoreListAll<IDataObject>(
			context,
			{
				method: 'GET',
				path: procorePath`/rest/v1.0/images`,
				qs: {
					project_id: scope.projectId,
					// Without the default album's ID, the project's photos found by this name stand in.
					...(scope.albumId !== undefined
						? { image_category_id: scope.albumId }
						: { 'filters[query]': scope.imageName }),
				},
				companyId: scope.companyId,
				itemIndex: scope.itemIndex,
				action: `Checking whether "${scope.imageName}" is already in the album`,
			},
			{ perPage: 100 },
			run.connection,
		);
		const byName: PhotosByName = new Map();
		for (const photo of photos) {
			const name = String(photo.filename ?? '');
			byName.set(name, [...(byName.get(name) ?? []), photo]);
		}
		return byName;
	});
}

/**
 * For Skip If Already There: a photo of the album with this file name and, when both are known,
 * this size. Name and size together tell a re-run of the same photo from another photo that happens
 * to share a camera's file name (IMG_0001.JPG).
 */
export async function findPhotoAlreadyThere(
	context: IExecuteFunctions,
	run: RunContext,
	lookup: AlbumScope & { imageName: string; size?: number; itemIndex: number },
): Promise<IDataObject | undefined> {
	const byName = await photosInAlbum(context, run, lookup);
	return (byName.get(lookup.imageName) ?? []).find(
		(photo) => lookup.size === undefined || typeof photo.size !== 'number' || photo.size === lookup.size,
	);
}

/**
 * A photo this run created is "already there" for the run's later items with the same file. Called
 * after findPhotoAlreadyThere for the same album and name, whose listing it extends.
 */
export async function notePhotoNowThere(
	context: IExecuteFunctions,
	run: RunContext,
	scope: AlbumScope & { imageName: string; itemIndex: number },
	photo: IDataObject,
): Promise<void> {
	const byName = await photosInAlbum(context, run, scope);
	byName.set(scope.imageName, [...(byName.get(scope.imageName) ?? []), photo]);
}

/** Per run: the photos being created with Skip If Already There, by album, name and size. */
const creationsByRun = new WeakMap<RunContext, Map<string, Promise<IDataObject | undefined>>>();

/**
 * For Skip If Already There, between the items of one run that carry the same file: they run in
 * parallel, so each would find the album without the photo and create it. The first item claims
 * the file and creates the photo; the others wait for it and get that photo (to be output as
 * skipped). Returns either `photo` (another item made it), or `done`, which this item must call
 * with the photo it made, or with nothing when it failed; then the next item waiting tries.
 */
export async function sameFileInRun(
	run: RunContext,
	lookup: AlbumScope & { imageName: string; size?: number },
): Promise<{ photo: IDataObject; done?: undefined } | { photo?: undefined; done: (photo?: IDataObject) => void }> {
	let creations = creationsByRun.get(run);
	if (!creations) {
		creations = new Map();
		creationsByRun.set(run, creations);
	}
	const key = `${listingKey(lookup, lookup.imageName)}:${lookup.imageName}:${lookup.size ?? ''}`;
	for (;;) {
		const pending = creations.get(key);
		if (!pending) {
			let settle!: (photo?: IDataObject) => void;
			creations.set(key, new Promise((resolve) => (settle = resolve)));
			const claimed = creations;
			return {
				done: (photo?: IDataObject) => {
					if (!photo) claimed.delete(key);
					settle(photo);
				},
			};
		}
		const photo = await pending;
		if (photo) return { photo };
		// The item that claimed the file failed: the next one tries.
	}
}
