import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { companyLocator, imageLocator, projectLocator } from '../common.descriptions';
import type { RunContext } from '../../types';
import { chosenImageId } from '../../helpers/images';
import { downloadPhotoFile } from '../../helpers/photoFile';
import { readImage } from './get.operation';

const properties: INodeProperties[] = [
	companyLocator,
	projectLocator,
	imageLocator,
	{
		displayName: 'Size',
		name: 'size',
		type: 'options',
		options: [
			{ name: 'Original', value: 'original', description: 'The file as it was uploaded, with its EXIF data' },
			{ name: 'Thumbnail', value: 'thumbnail', description: 'The small preview image Procore made of the photo' },
		],
		default: 'original',
		description: 'Which file of the photo to download',
	},
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		description: 'Name of the binary field of the output item that receives the file',
		hint: 'The output item also holds the photo record (name, album, dates...) as JSON',
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['image'], operation: ['download'] } },
	properties,
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: RunContext,
): Promise<INodeExecutionData[]> {
	const node = this.getNode();
	const companyId = run.companyId(itemIndex);
	const projectId = run.projectId(itemIndex);
	const imageId = chosenImageId(this, run, projectId, itemIndex);
	const size = this.getNodeParameter('size', itemIndex, 'original') as 'original' | 'thumbnail';
	const field = String(this.getNodeParameter('binaryPropertyName', itemIndex, 'data') ?? '').trim();
	if (!field) {
		throw new NodeOperationError(node, 'Put Output File in Field is empty', {
			itemIndex,
			description: 'Set the name of the binary field to put the file in, such as data.',
		});
	}
	const what = `${size === 'thumbnail' ? 'the thumbnail of ' : ''}photo ${imageId} in project ${projectId}`;

	const downloaded = await downloadPhotoFile(
		this,
		run.connection,
		{ companyId, what, itemIndex, fallbackName: `photo-${imageId}`, storageNameFirst: size === 'thumbnail' },
		async () => {
			const image = await readImage(this, run.connection, { companyId, projectId, imageId, itemIndex });
			if (image.permanently_deleted === true || image.url === null || image.url === undefined) {
				throw new NodeOperationError(node, `Photo ${imageId} in project ${projectId} was permanently deleted: Procore has no file for it`, {
					itemIndex,
					description: 'Procore keeps the record of a permanently deleted photo but not its file. Skip this photo, or filter such photos out before this node.',
				});
			}
			const link = size === 'thumbnail' ? image.thumbnail_url : image.url;
			if (typeof link !== 'string' || !link) {
				throw new NodeOperationError(node, `Procore has no thumbnail for photo ${imageId} in project ${projectId}`, {
					itemIndex,
					description: 'Choose Size: Original to download the photo itself.',
				});
			}
			return { image, link };
		},
	);
	// read() never answers undefined here: it throws instead.
	const { image, binary } = downloaded as NonNullable<typeof downloaded>;
	return [{ json: image, binary: { [field]: binary }, pairedItem: { item: itemIndex } }];
}
