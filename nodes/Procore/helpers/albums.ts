import type { IExecuteFunctions, INodeParameterResourceLocator } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { RunContext } from '../types';
import { procoreListAll, procoreRequest } from '../transport';
import { procorePath } from '../transport/paths';
import { requirePositiveId } from './locators';

export type AlbumLocator = INodeParameterResourceLocator;

/** Every Procore project has this album; photos without another album land in it. */
export const DEFAULT_ALBUM = 'Unclassified';

interface Album {
	id: number;
	name: string;
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
	const key = `album:${companyId}:${projectId}:${value.toLowerCase()}`;
	const albumId = await run.memo(key, async () => {
		const findAlbum = async () => {
			const albums = await procoreListAll<Album>(
				context,
				{
					method: 'GET',
					path: procorePath`/rest/v1.0/image_categories`,
					qs: { project_id: projectId },
					companyId,
					itemIndex,
					action: "Reading the project's albums",
				},
				{ perPage: 300 },
				run.connection,
			);
			return albums.find((album) => album.name?.trim().toLowerCase() === value.toLowerCase());
		};
		const existing = await findAlbum();
		if (existing) return existing.id;
		if (!createIfMissing) return undefined;
		const created = await procoreRequest<Album>(
			context,
			{
				method: 'POST',
				path: procorePath`/rest/v1.0/image_categories`,
				qs: { project_id: projectId },
				companyId,
				body: { image_category: { name: value } },
				itemIndex,
				action: `Creating the album "${value}"`,
				// If the answer is lost, the album may exist already: look before creating another.
				recover: async () => {
					const album = await findAlbum();
					return album ? { body: album, headers: {}, statusCode: 200 } : undefined;
				},
			},
			run.connection,
		);
		return created.body.id;
	});
	if (albumId === undefined && !given) return undefined;
	if (albumId === undefined) {
		throw new NodeOperationError(context.getNode(), `The project has no album named "${value}"`, {
			itemIndex,
			description: given
				? 'Turn on Create Album If Missing, or choose the album from the list.'
				: `Album is empty and the project has no default "${DEFAULT_ALBUM}" album: choose an album.`,
		});
	}
	return albumId;
}
