import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { companyLocator, imageLocator, projectLocator } from '../common.descriptions';
import type { RunContext } from '../../types';
import { deleteRecord } from '../../helpers/deleting';
import { procorePath } from '../../transport/paths';
import { chosenImageId } from '../../helpers/images';

const properties: INodeProperties[] = [
	companyLocator,
	projectLocator,
	imageLocator,
	{
		displayName: 'Permanently',
		name: 'permanent',
		type: 'boolean',
		default: false,
		description:
			"Whether to delete the photo for good. Off, it goes to the project's recycle bin, from where it can be restored in Procore.",
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['image'], operation: ['delete'] } },
	properties,
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: RunContext,
): Promise<INodeExecutionData[]> {
	const companyId = run.companyId(itemIndex);
	const projectId = run.projectId(itemIndex);
	const imageId = chosenImageId(this, run, projectId, itemIndex);
	const permanently = this.getNodeParameter('permanent', itemIndex, false) === true;

	// Procore's soft delete moves the photo to the recycle bin; permanent=true deletes it for good
	// (docs/procore-api.md §6.2, §11 "Deleting").
	await deleteRecord(this, run, {
		path: procorePath`/rest/v1.0/images/${imageId}`,
		qs: permanently ? { project_id: projectId, permanent: true } : { project_id: projectId },
		companyId,
		itemIndex,
		action: `${permanently ? 'Permanently deleting' : 'Deleting'} photo ${imageId} in project ${projectId}`,
		// Deleting photos needs Admin on Photos (docs/procore-api.md §9 #10, §11 "Permissions").
		explain: {
			403: "Deleting photos needs the Admin permission level on the project's Photos tool (Procore's permissions matrix). Ask a Procore admin to raise it.",
			404: `Procore has no photo ${imageId} in project ${projectId} that this user can see: check the Image and the project. A photo deleted permanently is gone.`,
		},
	});
	return [{ json: { id: Number(imageId), deleted: true, permanently }, pairedItem: { item: itemIndex } }];
}
