import type { IDataObject, IExecuteFunctions, INodeParameterResourceLocator } from 'n8n-workflow';

import { albumLocator } from '../common.descriptions';
import type { RunContext } from '../../types';
import { existingAlbumId, listAlbums, type Album } from '../../helpers/albums';
import { requirePositiveId } from '../../helpers/locators';

/** The album an operation reads, changes or deletes: from the list, by ID, or by its exact name. */
export const targetAlbumLocator = albumLocator({
	required: true,
	description: 'The photo album (Procore: image category)',
	byName: { placeholder: 'e.g. Site Progress', hint: 'Compared without regard to case; never created here' },
});

export interface AlbumScope {
	itemIndex: number;
	companyId: string;
	projectId: string;
}

/** The ID of the album the Album parameter names; by name, the project's album of that name. */
export async function targetAlbumId(
	context: IExecuteFunctions,
	run: RunContext,
	scope: AlbumScope,
): Promise<number> {
	return await existingAlbumId(context, run, {
		...scope,
		locator: context.getNodeParameter('albumId', scope.itemIndex, '') as INodeParameterResourceLocator | string,
		whenEmpty: { message: 'No album chosen', description: 'Choose an album from the list, or give its ID or its name.' },
		whenMissing: 'Choose the album from the list, or check its name in Procore.',
	});
}

/** A cover image ID as Procore wants it, or a clear error. */
export function coverImageId(context: IExecuteFunctions, value: unknown, itemIndex: number): number {
	return Number(
		requirePositiveId(context.getNode(), value, 'Cover Image ID', itemIndex, 'the "id" of a photo in this project'),
	);
}

/**
 * Procore does not let the project's default album ("Unclassified", whatever the account calls it)
 * be updated or deleted: it lists it without update and delete links (docs/procore-api.md §6.3).
 * Asked only after Procore refused, so a working call costs no extra request.
 */
export async function isDefaultAlbum(
	context: IExecuteFunctions,
	run: RunContext,
	scope: AlbumScope & { albumId: number; link: 'update' | 'delete' },
): Promise<boolean> {
	let albums: Album[];
	try {
		albums = await listAlbums(context, run, scope);
	} catch {
		// The refusal itself is the error to show; the check is only there to explain it better.
		return false;
	}
	const album = albums.find((candidate) => candidate.id === scope.albumId);
	if (!album) return false;
	const links = album.links as IDataObject | undefined;
	return links && typeof links === 'object' ? !links[scope.link] : album.name === 'Unclassified';
}

/** Statuses with which Procore may refuse to change the default album. */
export const REFUSALS = new Set(['400', '403', '409', '422']);
