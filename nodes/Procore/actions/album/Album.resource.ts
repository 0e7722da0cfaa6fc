import type { INodeProperties } from 'n8n-workflow';

import * as create from './create.operation';
import * as deleteAlbum from './delete.operation';
import * as get from './get.operation';
import * as getMany from './getMany.operation';
import * as getOrCreate from './getOrCreate.operation';
import * as update from './update.operation';

export { create, deleteAlbum, get, getMany, getOrCreate, update };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['album'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description: "Create a photo album in a project's Photos",
				action: 'Create an album',
			},
			{
				name: 'Delete',
				value: 'delete',
				description: "Delete an album of a project's Photos (not the default album)",
				action: 'Delete an album',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Get one album of a project',
				action: 'Get an album',
			},
			{
				name: 'Get Many',
				value: 'getMany',
				description: "List a project's albums",
				action: 'Get many albums',
			},
			{
				name: 'Get or Create',
				value: 'getOrCreate',
				description: 'Find an album by name, creating it when the project has none of that name',
				action: 'Get or create an album',
			},
			{
				name: 'Update',
				value: 'update',
				description: "Rename an album, or change whether it is private or its cover photo",
				action: 'Update an album',
			},
		],
		default: 'getOrCreate',
	},
	...create.description,
	...deleteAlbum.description,
	...get.description,
	...getMany.description,
	...getOrCreate.description,
	...update.description,
];
