import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { albumLocator, companyLocator, locationLocator, projectLocator } from '../common.descriptions';
import type { RunContext } from '../../types';
import { resolveAlbumId, type AlbumLocator } from '../../helpers/albums';
import { buildImageAttributes, type ImageAttributes, type LocationLocator } from '../../helpers/imageFields';
import { readPhoto, type Photo } from '../../helpers/photo';
import { procoreRequest, type ProcoreRequest, type ProcoreResponse } from '../../transport';
import {
	createImageFromUpload,
	findCreatedImage,
	findPhotoAlreadyThere,
	notePhotoNowThere,
	placeLocation,
	sameFileInRun,
} from '../../helpers/imageCreation';
import { captureDate, EXIF_HEAD_BYTES } from '../../helpers/exif';
import { isUploadUuid, procorePath } from '../../transport/paths';
import { directUpload, streamedFile } from '../../transport/storage';

const properties: INodeProperties[] = [
	companyLocator,
	projectLocator,
	{
		displayName: 'Upload Method',
		name: 'uploadMethod',
		type: 'options',
		options: [
			{
				name: 'Direct Upload',
				value: 'direct',
				description:
					"Procore's recommended flow: the file goes straight to Procore's storage (in pieces only above 5 GB), then the photo is created from it",
			},
			{
				name: 'Inline (Multipart)',
				value: 'inline',
				description: 'The legacy single request with the file inside it (image[data])',
			},
			{
				name: 'Existing Upload UUID',
				value: 'existingUpload',
				description: 'Create the photo from an upload already made elsewhere; no file is needed',
			},
		],
		default: 'direct',
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		displayOptions: { show: { uploadMethod: ['direct', 'inline'] } },
		description: 'Name of the binary field of the incoming item that holds the photo',
		hint: "The file is streamed from n8n's binary data as it is sent: with binary data on disk, a photo of any size never sits whole in memory",
	},
	{
		displayName: 'Upload UUID',
		name: 'uploadUuid',
		type: 'string',
		default: '',
		required: true,
		displayOptions: { show: { uploadMethod: ['existingUpload'] } },
		placeholder: 'e.g. 01J3Z8Q5K9M2X7W4V6T1R0N8PB',
		description:
			'UUID of a completed Procore upload in this project, made with the same Procore user or service account',
	},
	{
		displayName: 'Image Name',
		name: 'imageName',
		type: 'string',
		default: '',
		placeholder: 'e.g. north-facade.jpg',
		description:
			"The photo's name in Procore. Leave empty to use the file name of the binary data. Required with Existing Upload UUID.",
	},
	albumLocator({
		description:
			"The photo album (Procore: image category). Leave empty for the project's default album (\"Unclassified\" unless renamed).",
		byName: { placeholder: 'e.g. Site Progress', hint: 'Looked up once per run; see Create Album If Missing' },
	}),
	{
		displayName: 'Create Album If Missing',
		name: 'createAlbumIfMissing',
		type: 'boolean',
		default: true,
		description:
			'Whether to create the album when Album is given by name and the project has no album of that name (needs Standard or Admin on Photos)',
	},
	{
		displayName: 'Skip If Already There',
		name: 'skipIfExists',
		type: 'boolean',
		default: false,
		description:
			'Whether to leave out a photo when the album already holds one with the same file name and size, so that running the workflow again uploads nothing twice. The output then holds the photo already there, with skipped: true.',
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		options: [
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
				description: 'Text shown with the photo in Procore',
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
				displayName: 'Log Date From Photo',
				name: 'logDateFromPhoto',
				type: 'boolean',
				default: false,
				description:
					"Whether to file the photo under the day it was taken, read from the photo's own EXIF data (DateTimeOriginal). A photo without one uses Log Date, or none. The photo is sent unchanged.",
			},
			{
				displayName: 'Private',
				name: 'private',
				type: 'boolean',
				default: false,
				description:
					'Whether only Photos admins can see the photo. Leave this field out to use the project\'s default.',
			},
			{
				displayName: 'Source',
				name: 'source',
				type: 'string',
				default: '',
				placeholder: 'e.g. Drone survey',
				description: 'Where the photo came from, as shown in Procore',
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
					'The company trades the photo shows. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
		],
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['image'], operation: ['create'] } },
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
	const uploadMethod = this.getNodeParameter('uploadMethod', itemIndex) as 'direct' | 'inline' | 'existingUpload';

	// Everything the user typed is checked before a request is sent for this item.
	const additionalFields = this.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject & {
		location?: LocationLocator;
	};
	const attributes = buildImageAttributes(node, itemIndex, {
		additionalFields,
		advancedOptions: this.getNodeParameter('advancedOptions', itemIndex, {}) as IDataObject,
	});
	const skipIfExists = this.getNodeParameter('skipIfExists', itemIndex, false) as boolean;
	const typedName = String(this.getNodeParameter('imageName', itemIndex, '') ?? '').trim();

	let uploadUuid: string | undefined;
	let photo: Photo | undefined;
	if (uploadMethod === 'existingUpload') {
		uploadUuid = String(this.getNodeParameter('uploadUuid', itemIndex, '') ?? '').trim();
		if (!uploadUuid) {
			throw new NodeOperationError(node, 'Upload UUID is empty', {
				itemIndex,
				description: 'Set Upload UUID to the UUID of a completed Procore upload, or choose another Upload Method.',
			});
		}
		if (!isUploadUuid(uploadUuid)) {
			throw new NodeOperationError(node, `Upload UUID "${uploadUuid.slice(0, 60)}" is not a Procore upload UUID`, {
				itemIndex,
				description: 'A Procore upload UUID holds only letters, digits, "-" and "_", such as 01J3Z8Q5K9M2X7W4V6T1R0N8PB.',
			});
		}
		if (!typedName) {
			throw new NodeOperationError(node, 'Image Name is empty', {
				itemIndex,
				description: 'With Existing Upload UUID there is no file to take a name from: set Image Name.',
			});
		}
	} else {
		const binaryPropertyName = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
		photo = await readPhoto(this, itemIndex, binaryPropertyName);
	}
	if (additionalFields.logDateFromPhoto === true && photo) {
		// Procore does not read the capture date of photos sent over the API (docs/procore-api.md §11
		// "Read-only Image fields"), so the node reads it; the Log Date field is the fallback.
		const taken = captureDate(await photo.head(EXIF_HEAD_BYTES));
		if (taken) attributes.log_date = taken.date;
	}
	const imageName = typedName || photo?.fileName || '';
	if (!imageName) {
		throw new NodeOperationError(node, 'Image Name is empty and the file has no name', {
			itemIndex,
			description: 'Set Image Name, for example with an expression such as {{ $json.name }}.jpg.',
		});
	}

	const albumId = await resolveAlbumId(this, run, {
		itemIndex,
		companyId,
		projectId,
		locator: this.getNodeParameter('albumId', itemIndex, { mode: 'list', value: '' }) as AlbumLocator,
		createIfMissing: this.getNodeParameter('createAlbumIfMissing', itemIndex, true) as boolean,
	});
	if (albumId !== undefined) {
		attributes.image_category_id = albumId;
	} else if (Object.keys(attributes).length === 0) {
		// No album means the project's default album: Procore's spec marks image_category_id
		// optional. Procore refuses an empty image object even with upload_uuid (docs/procore-api.md
		// §9 #2), so it carries a documented attribute that changes nothing: an empty description.
		attributes.description = '';
	}

	const skipped = (existing: IDataObject) => [{ json: { ...existing, skipped: true }, pairedItem: { item: itemIndex } }];
	if (skipIfExists) {
		const existing = await findPhotoAlreadyThere(this, run, { companyId, projectId, albumId, imageName, size: photo?.size, itemIndex });
		if (existing) return skipped(existing);
	}

	const failureOf = await placeLocation(this, run, attributes, { companyId, projectId, itemIndex });

	// Items of this run with the same file: one creates the photo, the others are skipped.
	const sameFile = skipIfExists ? await sameFileInRun(run, { companyId, projectId, albumId, imageName, size: photo?.size }) : undefined;
	if (sameFile?.photo) return skipped(sameFile.photo);

	const startedAt = Date.now();
	const request = {
		method: 'POST' as const,
		path: procorePath`/rest/v1.0/images`,
		qs: { project_id: projectId },
		companyId,
		itemIndex,
		// Creating a photo is sent again only when Procore provably did not process it; when the
		// answer is lost, the node first looks for the photo it may have created (never twice).
		retry: 'once' as const,
		recover: async () =>
			await findCreatedImage(this, run, { projectId, companyId, imageName, size: photo?.size, since: startedAt, itemIndex }),
		explain: attributes.private
			? {
					403: "Procore refused the photo. Marking a photo private needs the Admin level on the project's Photos tool: leave Private off, or ask a project admin for Admin on Photos. Otherwise the Photos tool may be disabled in the project, or the user lacks Standard on Photos.",
				}
			: undefined,
	};
	try {
		const created = await createImage.call(this, run, {
			request,
			uploadMethod,
			photo,
			uploadUuid,
			imageName,
			attributes,
			projectId,
			companyId,
			itemIndex,
		});
		if (typeof created.body?.id === 'number') run.claimed.add(created.body.id);
		sameFile?.done?.(created.body);
		if (!skipIfExists) return [{ json: created.body, pairedItem: { item: itemIndex } }];
		await notePhotoNowThere(this, run, { companyId, projectId, albumId, imageName, itemIndex }, created.body);
		return [{ json: { ...created.body, skipped: false }, pairedItem: { item: itemIndex } }];
	} catch (error) {
		sameFile?.done?.();
		throw failureOf(error);
	}
}

async function createImage(
	this: IExecuteFunctions,
	run: RunContext,
	input: {
		request: Omit<ProcoreRequest, 'body'>;
		uploadMethod: 'direct' | 'inline' | 'existingUpload';
		photo?: Photo;
		uploadUuid?: string;
		imageName: string;
		attributes: ImageAttributes;
		projectId: string;
		companyId: string;
		itemIndex: number;
	},
): Promise<ProcoreResponse<IDataObject>> {
	const { request, photo, imageName, attributes, itemIndex } = input;
	let uploadUuid = input.uploadUuid;
	if (input.uploadMethod === 'inline' && photo) {
		return await procoreRequest<IDataObject>(
			this,
			{
				...request,
				body: inlineForm(imageName, attributes, photo),
				action: `Uploading "${imageName}"`,
			},
			run.connection,
		);
	} else {
		if (photo) {
			uploadUuid = await directUpload(this, {
				connection: run.connection,
				companyId: input.companyId,
				projectId: input.projectId,
				photo,
				fileName: imageName,
				itemIndex,
			});
		}
		return await createImageFromUpload(this, run, {
			request: { ...request, action: `Creating the photo "${imageName}"` },
			uploadUuid: uploadUuid as string,
			imageName,
			image: attributes,
		});
	}
}

/**
 * The legacy multipart body: Rails bracket names, arrays as name[]. The file is streamed from n8n's
 * binary data while the request goes, and read afresh if it is sent again (after a token refresh).
 */
function inlineForm(imageName: string, attributes: ImageAttributes, photo: Photo): FormData {
	const form = new FormData();
	form.append('image_name', imageName);
	for (const [key, value] of Object.entries(attributes)) {
		if (Array.isArray(value)) {
			for (const entry of value) form.append(`image[${key}][]`, String(entry));
		} else if (value !== undefined) {
			form.append(`image[${key}]`, String(value));
		}
	}
	form.append('image[data]', streamedFile(photo, imageName));
	return form;
}
