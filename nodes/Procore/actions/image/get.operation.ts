import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { companyLocator, imageLocator, projectLocator } from '../common.descriptions';
import type { RunContext } from '../../types';
import { chosenImageId } from '../../helpers/images';
import { procoreRequest, type ProcoreConnection } from '../../transport';
import { procorePath } from '../../transport/paths';

const properties: INodeProperties[] = [companyLocator, projectLocator, imageLocator];

export const description = updateDisplayOptions({ show: { resource: ['image'], operation: ['get'] } }, properties);

/** What Procore's 403 and 404 mean for a photo that is read (docs/procore-api.md §5, §11 "Permissions"). */
export function readAdvice(imageId: string, projectId: string) {
	return {
		403: "Procore refused access: reading photos needs at least 'Read Only' on the project's Photos tool, and the app must be installed in this company.",
		404: `Project ${projectId} has no photo ${imageId} that this user may see. Check the image ID and the project; the photo may have been deleted. Procore also answers 404 when the user may not see the photo, e.g. a private photo without the 'View Private Photos' permission.`,
	};
}

/** One photo's record, as Procore shows it (GET /rest/v1.0/images/{id}, docs/procore-api.md §6.2). */
export async function readImage(
	context: IExecuteFunctions,
	connection: ProcoreConnection,
	request: { companyId: string; projectId: string; imageId: string; itemIndex: number },
): Promise<IDataObject> {
	const { companyId, projectId, imageId, itemIndex } = request;
	const response = await procoreRequest<IDataObject>(
		context,
		{
			method: 'GET',
			path: procorePath`/rest/v1.0/images/${imageId}`,
			qs: { project_id: projectId },
			companyId,
			itemIndex,
			action: `Reading photo ${imageId} in project ${projectId}`,
			explain: readAdvice(imageId, projectId),
		},
		connection,
	);
	return response.body;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: RunContext,
): Promise<INodeExecutionData[]> {
	const companyId = run.companyId(itemIndex);
	const projectId = run.projectId(itemIndex);
	const imageId = chosenImageId(this, run, projectId, itemIndex);
	const image = await readImage(this, run.connection, { companyId, projectId, imageId, itemIndex });
	return [{ json: image, pairedItem: { item: itemIndex } }];
}
