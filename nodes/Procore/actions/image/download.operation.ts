import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { companyLocator, imageLocator, projectLocator } from '../common.descriptions';
import type { RunContext } from '../../types';
import { imageIdFromLocator, type ImageLocator } from '../../helpers/images';
import { isStaleLinkError, openFileLink, type OpenedFile } from '../../transport/download';
import { asNodeError } from '../../transport/errors';
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

/** Storage answers that name no type; the file name tells more. */
const GENERIC_TYPES = ['application/octet-stream', 'binary/octet-stream', 'application/binary'];

export function specificType(contentType: string | undefined): string | undefined {
	const type = contentType?.split(';')[0].trim().toLowerCase();
	return type && !GENERIC_TYPES.includes(type) ? type : undefined;
}

/** A file name fit for n8n's binary data: no folders, no control characters. */
export function safeFileName(name: string): string {
	return Array.from(name.replace(/[\\/]/g, '_'))
		.filter((character) => character.charCodeAt(0) >= 0x20 && character.charCodeAt(0) !== 0x7f)
		.join('')
		.trim();
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: RunContext,
): Promise<INodeExecutionData[]> {
	const node = this.getNode();
	const companyId = run.companyId(itemIndex);
	const projectId = run.projectId(itemIndex);
	const imageId = imageIdFromLocator(
		node,
		this.getNodeParameter('imageId', itemIndex) as ImageLocator,
		run.connection,
		projectId,
		itemIndex,
	);
	const size = this.getNodeParameter('size', itemIndex, 'original') as 'original' | 'thumbnail';
	const field = String(this.getNodeParameter('binaryPropertyName', itemIndex, 'data') ?? '').trim();
	if (!field) {
		throw new NodeOperationError(node, 'Put Output File in Field is empty', {
			itemIndex,
			description: 'Set the name of the binary field to put the file in, such as data.',
		});
	}
	const what = `${size === 'thumbnail' ? 'the thumbnail of ' : ''}photo ${imageId} in project ${projectId}`;

	// File links expire and Procore may change their shape, so the record is read right before the
	// download and its link used as it is (docs/procore-api.md §11 "Downloading a photo"). A link that
	// fails as stale gets one more try with a fresh record.
	for (let round = 1; ; round++) {
		const image = await readImage(this, run.connection, { companyId, projectId, imageId, itemIndex });
		const link = size === 'thumbnail' ? image.thumbnail_url : image.url;
		if (image.permanently_deleted === true || image.url === null || image.url === undefined) {
			throw new NodeOperationError(node, `Photo ${imageId} in project ${projectId} was permanently deleted: Procore has no file for it`, {
				itemIndex,
				description: 'Procore keeps the record of a permanently deleted photo but not its file. Skip this photo, or filter such photos out before this node.',
			});
		}
		if (typeof link !== 'string' || !link) {
			throw new NodeOperationError(node, `Procore has no thumbnail for photo ${imageId} in project ${projectId}`, {
				itemIndex,
				description: 'Choose Size: Original to download the photo itself.',
			});
		}
		let file: OpenedFile | undefined;
		try {
			file = await openFileLink(this, run.connection, { link, companyId, action: `Downloading ${what}`, itemIndex });
			const fileName = safeFileName(
				(size === 'thumbnail' ? file.fileName : undefined) ??
					(typeof image.filename === 'string' && image.filename ? image.filename : undefined) ??
					file.fileName ??
					`photo-${imageId}`,
			);
			// Streamed into n8n's binary data: in filesystem mode the file goes to disk as it arrives.
			const binary = await this.helpers.prepareBinaryData(file.stream, fileName, specificType(file.contentType));
			return [{ json: image, binary: { [field]: binary }, pairedItem: { item: itemIndex } }];
		} catch (error) {
			file?.stream.destroy();
			// A transfer that broke off mid-way is stale too: the next link starts it afresh.
			const brokeOff = file !== undefined;
			if ((brokeOff || isStaleLinkError(error)) && round < 2) continue;
			if (!brokeOff) throw asNodeError(node, error, itemIndex);
			throw new NodeOperationError(node, `Downloading ${what}: the transfer broke off${round > 1 ? ', twice' : ''}`, {
				itemIndex,
				description:
					'The connection to Procore or its file storage failed while the file was coming in. Run the item again.',
			});
		}
	}
}
