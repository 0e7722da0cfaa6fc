import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { companyLocator, projectLocator } from '../common.descriptions';
import type { RunContext } from '../../types';
import { procoreRequest, type ProcoreConnection } from '../../transport';
import { procorePath } from '../../transport/paths';
import { targetAlbumId, targetAlbumLocator } from './shared';

const properties: INodeProperties[] = [companyLocator, projectLocator, targetAlbumLocator];

export const description = updateDisplayOptions({ show: { resource: ['album'], operation: ['get'] } }, properties);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: RunContext,
): Promise<INodeExecutionData[]> {
	const companyId = run.companyId(itemIndex);
	const projectId = run.projectId(itemIndex);
	const albumId = await targetAlbumId(this, run, { itemIndex, companyId, projectId });
	const album = await readAlbum(this, run.connection, { itemIndex, companyId, projectId, albumId });
	return [{ json: album, pairedItem: { item: itemIndex } }];
}

/** One album, as Procore shows it (docs/procore-api.md §6.3); for the Album operations and the triggers. */
export async function readAlbum(
	context: IExecuteFunctions,
	connection: ProcoreConnection,
	scope: { itemIndex?: number; companyId: string; projectId: string; albumId: number | string },
): Promise<IDataObject> {
	const response = await procoreRequest<IDataObject>(
		context,
		{
			method: 'GET',
			path: procorePath`/rest/v1.0/image_categories/${scope.albumId}`,
			qs: { project_id: scope.projectId },
			companyId: scope.companyId,
			itemIndex: scope.itemIndex,
			action: `Reading album ${scope.albumId} in project ${scope.projectId}`,
			explain: {
				403: "Procore refused access: reading albums needs at least 'Read Only' on the project's Photos tool.",
				404: `Procore has no album ${scope.albumId} in project ${scope.projectId} that this user can see. Check the Album and the project.`,
			},
		},
		connection,
	);
	return response.body;
}
