import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { companyLocator, projectLocator, returnAllOrLimit } from '../common.descriptions';
import type { RunContext } from '../../types';
import { procoreListAll } from '../../transport';
import { procorePath } from '../../transport/paths';
import type { Album } from '../../helpers/albums';

const properties: INodeProperties[] = [
	companyLocator,
	projectLocator,
	...returnAllOrLimit,
];

export const description = updateDisplayOptions({ show: { resource: ['album'], operation: ['getMany'] } }, properties);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: RunContext,
): Promise<INodeExecutionData[]> {
	const companyId = run.companyId(itemIndex);
	const projectId = run.projectId(itemIndex);
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const limit = returnAll ? undefined : Math.max(1, Math.floor(Number(this.getNodeParameter('limit', itemIndex, 50)) || 1));
	// Procore pages albums with page/per_page (docs/procore-api.md §4, §6.3); the node asks for
	// pages by number until it has enough.
	const albums = await procoreListAll<Album>(
		this,
		{
			method: 'GET',
			path: procorePath`/rest/v1.0/image_categories`,
			qs: { project_id: projectId },
			companyId,
			itemIndex,
			action: `Reading the albums of project ${projectId}`,
		},
		{ perPage: limit === undefined ? 300 : Math.min(limit, 300), maxItems: limit },
		run.connection,
	);
	return albums.map((album) => ({ json: album, pairedItem: { item: itemIndex } }));
}
