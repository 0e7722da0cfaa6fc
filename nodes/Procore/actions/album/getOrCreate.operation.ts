import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { companyLocator, projectLocator } from '../common.descriptions';
import type { RunContext } from '../../types';
import { findOrCreateAlbum } from '../../helpers/albums';

const properties: INodeProperties[] = [
	companyLocator,
	projectLocator,
	{
		displayName: 'Name',
		name: 'albumName',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. Site Progress',
		description:
			'Name of the album to find, compared without regard to case; created when the project has none of that name',
		hint: 'Looked up once per run: many items naming one missing album create it once',
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['album'], operation: ['getOrCreate'] } },
	properties,
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: RunContext,
): Promise<INodeExecutionData[]> {
	const companyId = run.companyId(itemIndex);
	const projectId = run.projectId(itemIndex);
	const name = String(this.getNodeParameter('albumName', itemIndex, '') ?? '').trim();
	if (!name) {
		throw new NodeOperationError(this.getNode(), 'Name is empty', {
			itemIndex,
			description: 'Set Name to the name of the album to find or create.',
		});
	}
	// The same look-up Image → Create uses for Album by name (helpers/albums.ts).
	const found = await findOrCreateAlbum(this, run, { itemIndex, companyId, projectId, name, createIfMissing: true });
	if (!found) throw new NodeOperationError(this.getNode(), `Could not find or create the album "${name}"`, { itemIndex });
	return [
		{
			json: { ...found.album, created: found.createdByItem === itemIndex },
			pairedItem: { item: itemIndex },
		},
	];
}
