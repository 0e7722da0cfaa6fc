import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { companyLocator, projectLocator } from '../common.descriptions';
import type { RunContext } from '../router';

const properties: INodeProperties[] = [companyLocator, projectLocator];

export const description = updateDisplayOptions(
	{ show: { resource: ['image'], operation: ['create'] } },
	properties,
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: RunContext,
): Promise<INodeExecutionData[]> {
	const projectId = await run.projectId(itemIndex);
	return [{ json: { projectId }, pairedItem: { item: itemIndex } }];
}
