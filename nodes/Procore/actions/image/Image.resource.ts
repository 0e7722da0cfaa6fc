import type { INodeProperties } from 'n8n-workflow';

import * as create from './create.operation';
import * as deleteImage from './delete.operation';
import * as download from './download.operation';
import * as get from './get.operation';
import * as getMany from './getMany.operation';
import * as update from './update.operation';

export { create, deleteImage, download, get, getMany, update };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['image'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description: "Upload a photo into a project's Photos",
				action: 'Upload a photo to a project',
			},
			{
				name: 'Delete',
				value: 'delete',
				description: "Move a photo to the project's recycle bin, or delete it permanently",
				action: 'Delete a photo',
			},
			{
				name: 'Download',
				value: 'download',
				description: 'Download a photo (or its thumbnail) as binary data, to send it elsewhere',
				action: 'Download a photo',
			},
			{
				name: 'Get',
				value: 'get',
				description: "Get one photo's record: name, album, dates, location, trades, file links",
				action: 'Get a photo',
			},
			{
				name: 'Get Many',
				value: 'getMany',
				description: "List a project's photos, filtered by album, dates, location, trades and more",
				action: 'Get many photos',
			},
			{
				name: 'Update',
				value: 'update',
				description: "Change a photo's description, album, location, trades, log date, private or starred flag",
				action: 'Update a photo',
			},
		],
		default: 'create',
	},
	...create.description,
	...get.description,
	...getMany.description,
	...download.description,
	...update.description,
	...deleteImage.description,
];
