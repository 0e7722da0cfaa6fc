import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { companyLocator, projectLocator } from '../common.descriptions';
import type { RunContext } from '../../types';
import { deleteRecord } from '../../helpers/deleting';
import { asNodeError } from '../../transport/errors';
import { procorePath } from '../../transport/paths';
import { isDefaultAlbum, REFUSALS, targetAlbumId, targetAlbumLocator } from './shared';

const properties: INodeProperties[] = [
	companyLocator,
	projectLocator,
	{
		...targetAlbumLocator,
		// Procore does not document what becomes of the album's photos (docs/procore-api.md §6.3).
		hint: 'Procore does not document what becomes of its photos: move them first (Image → Update) if they matter. The default album cannot be deleted.',
	},
];

export const description = updateDisplayOptions({ show: { resource: ['album'], operation: ['delete'] } }, properties);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: RunContext,
): Promise<INodeExecutionData[]> {
	const companyId = run.companyId(itemIndex);
	const projectId = run.projectId(itemIndex);
	const albumId = await targetAlbumId(this, run, { itemIndex, companyId, projectId });
	try {
		await deleteRecord(this, run, {
			path: procorePath`/rest/v1.0/image_categories/${albumId}`,
			qs: { project_id: projectId },
			companyId,
			itemIndex,
			action: `Deleting album ${albumId} in project ${projectId}`,
			explain: {
				// Procore's permissions matrix names no level for deleting albums (docs/procore-api.md §9 #10).
				403: "Procore refused deleting the album: the user's permission level on the project's Photos tool is too low for it, or the Photos tool is off in the project. Ask a Procore admin for a higher level on Photos.",
				404: `Procore has no album ${albumId} in project ${projectId} that this user can see. Check the Album and the project.`,
			},
		});
	} catch (error) {
		const scope = { itemIndex, companyId, projectId, albumId, link: 'delete' as const };
		if (REFUSALS.has(String((error as { httpCode?: unknown }).httpCode)) && (await isDefaultAlbum(this, run, scope))) {
			throw new NodeOperationError(this.getNode(), `Album ${albumId} is the project's default album, which Procore does not let anyone delete`, {
				itemIndex,
				description: 'Photos without another album land in the default album ("Unclassified"). Choose another album.',
			});
		}
		throw asNodeError(this.getNode(), error, itemIndex);
	}
	return [{ json: { id: albumId, deleted: true }, pairedItem: { item: itemIndex } }];
}
