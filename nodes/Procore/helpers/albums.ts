import type { IDataObject, IExecuteFunctions, INodeParameterResourceLocator } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { RunContext } from '../types';
import { procoreListAll, procoreRequest } from '../transport';
import { procorePath } from '../transport/paths';
import { requirePositiveId } from './locators';

export type AlbumLocator = INodeParameterResourceLocator;

/** Every Procore project has this album; photos without another album land in it. */
export const DEFAULT_ALBUM = 'Unclassified';

/** An album as Procore lists or returns it (docs/procore-api.md §6.3); other fields pass through. */
export interface Album extends IDataObject {
	id: number;
	name: string;
}

/** What Get or Create found: the album, and which item of the run created it (if one did). */
export interface FoundAlbum {
	album: Album;
	createdByItem?: number;
}

interface AlbumScope {
	itemIndex: number;
	companyId: string;
	projectId: string;
}

/** Every album of the project (one list request per page of 300). */
export async function listAlbums(context: IExecuteFunctions, run: RunContext, scope: AlbumScope): Promise<Album[]> {
	return await procoreListAll<Album>(
		context,
		{
			method: 'GET',
			path: procorePath`/rest/v1.0/image_categories`,
			qs: { project_id: scope.projectId },
			companyId: scope.companyId,
			itemIndex: scope.itemIndex,
			action: `Reading the albums of project ${scope.projectId}`,
		},
		{ perPage: 300 },
		run.connection,
	);
}

/** The project's album of this name, compared trimmed and case-insensitively, as Procore's web app shows names. */
export async function findAlbumByName(
	context: IExecuteFunctions,
	run: RunContext,
	scope: AlbumScope & { name: string },
): Promise<Album | undefined> {
	const wanted = scope.name.trim().toLowerCase();
	const albums = await listAlbums(context, run, scope);
	return albums.find((album) => String(album.name ?? '').trim().toLowerCase() === wanted);
}

/**
 * Creates an album. Creating is sent again only when Procore provably did not process it; when the
 * answer is lost, the album may exist already, so the node looks for it by name before creating
 * another (docs/procore-api.md §6.3: names are what users tell albums apart by).
 */
export async function createAlbum(
	context: IExecuteFunctions,
	run: RunContext,
	scope: AlbumScope & { attributes: IDataObject & { name: string } },
): Promise<Album> {
	const { name } = scope.attributes;
	const created = await procoreRequest<Album>(
		context,
		{
			method: 'POST',
			path: procorePath`/rest/v1.0/image_categories`,
			qs: { project_id: scope.projectId },
			companyId: scope.companyId,
			body: { image_category: scope.attributes },
			itemIndex: scope.itemIndex,
			action: `Creating the album "${name}" in project ${scope.projectId}`,
			// Creating albums needs Standard or Admin on Photos (docs/procore-api.md §9 #10).
			explain: {
				403: "Creating albums needs the Standard or Admin permission level on the project's Photos tool. Ask a Procore admin to raise it, or choose an existing album.",
			},
			retry: 'once',
			recover: async () => {
				const album = await findAlbumByName(context, run, { ...scope, name });
				return album ? { body: album, headers: {}, statusCode: 200 } : undefined;
			},
		},
		run.connection,
	);
	return created.body;
}

/**
 * The project's album of this name; when there is none and `createIfMissing`, a new one. Looked up
 * once per run, project and name, so many items naming one missing album create it once.
 */
export async function findOrCreateAlbum(
	context: IExecuteFunctions,
	run: RunContext,
	scope: AlbumScope & { name: string; createIfMissing: boolean },
): Promise<FoundAlbum | undefined> {
	const key = `album:${scope.companyId}:${scope.projectId}:${scope.name.toLowerCase()}`;
	return await run.memo<FoundAlbum | undefined>(key, async () => {
		const existing = await findAlbumByName(context, run, scope);
		if (existing) return { album: existing };
		if (!scope.createIfMissing) return undefined;
		const album = await createAlbum(context, run, { ...scope, attributes: { name: scope.name } });
		return { album, createdByItem: scope.itemIndex };
	});
}

/**
 * The album ID for the Album parameter. Left empty, the project's "Unclassified" album when it has
 * one by that name; otherwise undefined: the photo is sent without an album and Procore files it in
 * the project's default album, whatever it is called there (renamed, or in another language).
 * By name, the project's albums are read once per run and per project, and a missing album is
 * created once, however many items name it.
 */
export async function resolveAlbumId(
	context: IExecuteFunctions,
	run: RunContext,
	options: {
		itemIndex: number;
		companyId: string;
		projectId: string;
		locator: AlbumLocator | undefined;
		createIfMissing: boolean;
	},
): Promise<number | undefined> {
	const { itemIndex, companyId, projectId, locator } = options;
	const given = locator && typeof locator === 'object' ? String(locator.value ?? '').trim() : String(locator ?? '').trim();
	const byName = !given || (typeof locator === 'object' && locator?.mode === 'name');
	if (!byName) return Number(requirePositiveId(context.getNode(), given, 'Album ID', itemIndex));
	// What Procore does with a photo without album is not documented (docs/procore-api.md §10 #6) and
	// one reading refuses it, so an empty Album is first the default album found by its name; never
	// created. Only a project without that name gets a photo without album (the spec's optional field).
	const value = given || DEFAULT_ALBUM;
	const createIfMissing = given ? options.createIfMissing : false;
	const found = await findOrCreateAlbum(context, run, { itemIndex, companyId, projectId, name: value, createIfMissing });
	if (found === undefined && !given) return undefined;
	if (found === undefined) {
		throw new NodeOperationError(context.getNode(), `The project has no album named "${value}"`, {
			itemIndex,
			description: 'Turn on Create Album If Missing, or choose the album from the list.',
		});
	}
	return found.album.id;
}

/**
 * An album chosen by ID, from the list or by name, as its ID: a name is looked up (case aside),
 * never created. `whenEmpty` and `whenMissing` word the errors for the operation at hand.
 */
export async function existingAlbumId(
	context: IExecuteFunctions,
	run: RunContext,
	options: {
		locator: INodeParameterResourceLocator | string | undefined;
		itemIndex: number;
		companyId: string;
		projectId: string;
		whenEmpty: { message: string; description: string };
		whenMissing: string;
	},
): Promise<number> {
	const { locator, itemIndex, companyId, projectId } = options;
	const node = context.getNode();
	const value = typeof locator === 'object' && locator ? String(locator.value ?? '').trim() : String(locator ?? '').trim();
	if (!value) throw new NodeOperationError(node, options.whenEmpty.message, { itemIndex, description: options.whenEmpty.description });
	if (typeof locator !== 'object' || locator.mode !== 'name') {
		return Number(requirePositiveId(node, value, 'Album ID', itemIndex));
	}
	const found = await findOrCreateAlbum(context, run, { itemIndex, companyId, projectId, name: value, createIfMissing: false });
	if (!found) {
		throw new NodeOperationError(node, `Project ${projectId} has no album named "${value}"`, {
			itemIndex,
			description: options.whenMissing,
		});
	}
	return found.album.id;
}
