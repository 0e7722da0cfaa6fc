import type { INodeProperties } from 'n8n-workflow';

import * as create from './create.operation';
import * as deleteImage from './delete.operation';
import * as update from './update.operation';

export { create, deleteImage, update };

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
				name: 'Update',
				value: 'update',
				description: "Change a photo's description, album, location, trades, log date, private or starred flag",
				action: 'Update a photo',
			},
		],
		default: 'create',
	},
	...create.description,
	...deleteImage.description,
	...update.description,
];
