import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { companyLocator, projectLocator } from '../common.descriptions';
import type { RunContext } from '../../types';
import { procoreRequest } from '../../transport';
import { asNodeError } from '../../transport/errors';
import { procorePath } from '../../transport/paths';
import { readAlbum } from './get.operation';
import { coverImageId, isDefaultAlbum, REFUSALS, targetAlbumId, targetAlbumLocator } from './shared';

const properties: INodeProperties[] = [
	companyLocator,
	projectLocator,
	targetAlbumLocator,
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		description: "Only the fields added here change; the project's default album cannot be changed",
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
				displayName: 'Name',
				name: 'name',
				type: 'string',
				default: '',
				placeholder: 'e.g. Level 3 Pour',
				description: 'New name of the album',
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

export const description = updateDisplayOptions({ show: { resource: ['album'], operation: ['update'] } }, properties);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: RunContext,
): Promise<INodeExecutionData[]> {
	const node = this.getNode();
	const companyId = run.companyId(itemIndex);
	const projectId = run.projectId(itemIndex);
	const fields = this.getNodeParameter('updateFields', itemIndex, {}) as IDataObject;
	const changes: IDataObject = {};
	if (fields.name !== undefined) {
		const name = String(fields.name ?? '').trim();
		if (!name) {
			throw new NodeOperationError(node, 'Name is empty', {
				itemIndex,
				description: 'Give the album a new name, or remove Name from Update Fields.',
			});
		}
		changes.name = name;
	}
	if (typeof fields.private === 'boolean') changes.private = fields.private;
	if (fields.coverImageId !== undefined) changes.album_cover_id = coverImageId(this, fields.coverImageId, itemIndex);
	if (Object.keys(changes).length === 0) {
		throw new NodeOperationError(node, 'No field to update', {
			itemIndex,
			description: 'Add at least one field under Update Fields: Name, Private or Cover Image ID.',
		});
	}
	const albumId = await targetAlbumId(this, run, { itemIndex, companyId, projectId });
	const scope = { itemIndex, companyId, projectId, albumId };
	// Procore requires the name on every album update (docs/procore-api.md §6.3): without a new one,
	// the album's current name is read and sent back unchanged.
	if (changes.name === undefined) changes.name = (await readAlbum(this, run.connection, scope)).name;

	try {
		// Setting the same fields twice ends in the state once would: sent again after a lost answer.
		const updated = await procoreRequest<IDataObject>(
			this,
			{
				method: 'PATCH',
				path: procorePath`/rest/v1.0/image_categories/${albumId}`,
				qs: { project_id: projectId },
				body: { image_category: changes },
				companyId,
				itemIndex,
				action: `Updating album ${albumId} in project ${projectId}`,
				retry: 'repeatable',
				explain: {
					// Procore's permissions matrix names no level for editing albums (docs/procore-api.md §9 #10).
					403: "Procore refused changing the album: the user's permission level on the project's Photos tool is too low for it, or the Photos tool is off in the project. Ask a Procore admin for a higher level on Photos.",
					404: `Procore has no album ${albumId} in project ${projectId} that this user can see. Check the Album and the project.`,
				},
			},
			run.connection,
		);
		return [{ json: updated.body, pairedItem: { item: itemIndex } }];
	} catch (error) {
		if (REFUSALS.has(String((error as { httpCode?: unknown }).httpCode)) && (await isDefaultAlbum(this, run, { ...scope, link: 'update' }))) {
			throw new NodeOperationError(node, `Album ${albumId} is the project's default album, which Procore does not let anyone change`, {
				itemIndex,
				description: 'Photos without another album land in the default album ("Unclassified"). Choose another album.',
			});
		}
		throw asNodeError(node, error, itemIndex);
	}
}
