import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeParameterResourceLocator,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { albumLocator, companyLocator, imageLocator, locationLocator, projectLocator } from '../common.descriptions';
import type { RunContext } from '../../types';
import { existingAlbumId } from '../../helpers/albums';
import { placeLocation } from '../../helpers/imageCreation';
import { chosenImageId } from '../../helpers/images';
import { buildImageAttributes, type ImageAttributes, type LocationLocator } from '../../helpers/imageFields';
import { procoreRequest } from '../../transport';
import { procorePath } from '../../transport/paths';

const properties: INodeProperties[] = [
	companyLocator,
	projectLocator,
	imageLocator,
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		description: 'Only the fields added here are sent; every other field of the photo stays as it is',
		options: [
			albumLocator({
				description:
					'The album to move the photo to (Procore: image category). By Name, the album must exist: create it first with Album → Get or Create.',
				byName: { placeholder: 'e.g. Site Progress', hint: 'Looked up once per run; not created when missing' },
			}),
			{
				displayName: 'Daily Log Segment ID',
				name: 'dailyLogSegmentId',
				type: 'string',
				default: '',
				placeholder: 'e.g. 44',
				description: 'ID of the Daily Log segment the photo belongs to',
			},
			{
				displayName: 'Description',
				name: 'description',
				type: 'string',
				typeOptions: { rows: 3 },
				default: '',
				description: 'Text shown with the photo in Procore. Left empty, it removes the description.',
			},
			locationLocator,
			{
				displayName: 'Log Date',
				name: 'logDate',
				type: 'dateTime',
				default: '',
				description: 'The Daily Log date to file the photo under (sent as YYYY-MM-DD)',
			},
			{
				displayName: 'Private',
				name: 'private',
				type: 'boolean',
				default: false,
				description:
					'Whether only Photos admins can see the photo. Marking a photo private needs the Admin level on the Photos tool.',
			},
			{
				displayName: 'Starred',
				name: 'starred',
				type: 'boolean',
				default: false,
				description: 'Whether the photo is starred',
			},
			{
				displayName: 'Trade Names or IDs',
				name: 'tradeIds',
				type: 'multiOptions',
				typeOptions: { loadOptionsMethod: 'getTrades', loadOptionsDependsOn: ['companyId.value'] },
				default: [],
				description:
					'The company trades the photo shows; they replace its current trades, and none removes them. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
		],
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['image'], operation: ['update'] } },
	properties,
);

type UpdateFields = IDataObject & { albumId?: INodeParameterResourceLocator; location?: LocationLocator };

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: RunContext,
): Promise<INodeExecutionData[]> {
	const node = this.getNode();
	const companyId = run.companyId(itemIndex);
	const projectId = run.projectId(itemIndex);
	const imageId = chosenImageId(this, run, projectId, itemIndex);
	const fields = this.getNodeParameter('updateFields', itemIndex, {}) as UpdateFields;

	// The same typing as Create (helpers/imageFields.ts), so a value means the same in both.
	const image: ImageAttributes = buildImageAttributes(node, itemIndex, { additionalFields: fields, advancedOptions: {} });
	// Added on purpose and left empty, these clear the photo's value rather than being skipped.
	if (fields.description === '') image.description = '';
	if (fields.tradeIds !== undefined && image.trade_ids === undefined) image.trade_ids = [];

	if (Object.keys(image).length === 0 && fields.albumId === undefined) {
		throw new NodeOperationError(node, 'No field to update', {
			itemIndex,
			description: 'Add at least one field under Update Fields (and give it a value); only those fields are sent to Procore.',
		});
	}
	if (fields.albumId !== undefined) {
		// The album to move the photo to: by ID, from the list, or by name (found, never created here).
		image.image_category_id = await existingAlbumId(this, run, {
			locator: fields.albumId,
			itemIndex,
			companyId,
			projectId,
			whenEmpty: {
				message: 'Album is empty',
				description: 'Choose the album to move the photo to, or remove Album from Update Fields.',
			},
			whenMissing: 'Choose the album from the list, or create it first with Album → Get or Create.',
		});
	}

	const failureOf = await placeLocation(this, run, image, { companyId, projectId, itemIndex });

	let updated;
	try {
		// A PATCH sets the same fields to the same values however often it is sent, so after a lost
		// answer (500, 502, 504, a dropped connection) it is sent again ('repeatable'): two sends end in
		// the state one would (docs/procore-api.md §6.2).
		updated = await procoreRequest<IDataObject>(
			this,
			{
				method: 'PATCH',
				path: procorePath`/rest/v1.0/images/${imageId}`,
				qs: { project_id: projectId },
				body: { image },
				companyId,
				itemIndex,
				action: `Updating photo ${imageId} in project ${projectId}`,
				retry: 'repeatable',
				// Marking a photo private needs Admin on Photos (docs/procore-api.md §11 "Permissions").
				explain: {
					403:
						image.private === true
							? "Marking a photo private needs the Admin permission level on the project's Photos tool (Procore's permissions matrix). Ask a Procore admin to raise it, or leave Private out."
							: "Procore refused editing the photo: the user's permission level on the project's Photos tool is too low for it (Read Only cannot edit photos), or the Photos tool is off in the project. Ask a Procore admin for Standard or Admin on Photos.",
					404: `Procore has no photo ${imageId} in project ${projectId} that this user can see. Check the Image and the project; a photo in the recycle bin cannot be edited.`,
				},
			},
			run.connection,
		);
	} catch (error) {
		throw failureOf(error);
	}
	return [{ json: updated.body, pairedItem: { item: itemIndex } }];
}
