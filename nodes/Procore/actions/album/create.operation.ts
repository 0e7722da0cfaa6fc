import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { companyLocator, projectLocator } from '../common.descriptions';
import type { RunContext } from '../../types';
import { createAlbum } from '../../helpers/albums';
import { coverImageId } from './shared';

const properties: INodeProperties[] = [
	companyLocator,
	projectLocator,
	{
		displayName: 'Name',
		name: 'albumName',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. Level 3 Pour',
		description: 'Name of the new album; Procore refuses a name the project already has',
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		options: [
			{
				displayName: 'Cover Image ID',
				name: 'coverImageId',
				type: 'string',
				default: '',
				placeholder: 'e.g. 9122752',
				description: 'ID of a photo of the project to show as the album cover',
			},
			{
				displayName: 'Private',
				name: 'private',
				type: 'boolean',
				default: false,
				description: 'Whether only Photos admins can see the album',
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['album'], operation: ['create'] } }, properties);

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
			description: 'Set Name to the name of the new album.',
		});
	}
	const fields = this.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	const attributes: IDataObject & { name: string } = { name };
	if (typeof fields.private === 'boolean') attributes.private = fields.private;
	if (fields.coverImageId !== undefined && String(fields.coverImageId).trim() !== '') {
		attributes.album_cover_id = coverImageId(this, fields.coverImageId, itemIndex);
	}
	const album = await createAlbum(this, run, { itemIndex, companyId, projectId, attributes });
	return [{ json: album, pairedItem: { item: itemIndex } }];
}
