import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { runOptions } from './actions/common.descriptions';
import * as album from './actions/album/Album.resource';
import * as image from './actions/image/Image.resource';
import { router } from './actions/router';
import { listSearch, loadOptions } from './methods';

export class Procore implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Procore',
		name: 'procore',
		icon: { light: 'file:procore.svg', dark: 'file:procore.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Upload photos and work with Procore projects',
		defaults: { name: 'Procore' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'procoreOAuth2Api', required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Album', value: 'album', description: "A photo album in a project's Photos tool (Procore: image category)" },
					{ name: 'Image', value: 'image', description: "A photo in a project's Photos tool" },
				],
				default: 'image',
			},
			...album.description,
			...image.description,
			runOptions,
		],
	};

	methods = { listSearch, loadOptions };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
