import type { INodeProperties } from 'n8n-workflow';

/** Company picker: every Procore call names its company (Procore-Company-Id). */
export const companyLocator: INodeProperties = {
	displayName: 'Company',
	name: 'companyId',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	required: true,
	description: 'The Procore company that owns the project',
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			placeholder: 'Select a company...',
			typeOptions: { searchListMethod: 'searchCompanies', searchable: true },
		},
		{
			displayName: 'By ID',
			name: 'id',
			type: 'string',
			placeholder: 'e.g. 1234567',
			validation: [
				{
					type: 'regex',
					properties: { regex: '^\\s*[1-9][0-9]*\\s*$', errorMessage: 'A company ID is a whole number' },
				},
			],
		},
		{
			displayName: 'By URL',
			name: 'url',
			type: 'string',
			placeholder: 'e.g. https://app.procore.com/1234567/company/home',
			validation: [
				{
					type: 'regex',
					properties: {
						regex: '^\\s*https?://[^/]+/(?:.*/)?(?:[0-9]+/company|companies/[0-9]+)(?:[/?#].*)?\\s*$',
						errorMessage: 'Paste the address of a company page in Procore',
					},
				},
			],
		},
	],
};

/** Project picker: lists the projects of the chosen company. */
export const projectLocator: INodeProperties = {
	displayName: 'Project',
	name: 'projectId',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	required: true,
	description: 'The Procore project whose Photos receive the image',
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			placeholder: 'Select a project...',
			typeOptions: { searchListMethod: 'searchProjects', searchable: true },
		},
		{
			displayName: 'By ID',
			name: 'id',
			type: 'string',
			placeholder: 'e.g. 7654321',
			validation: [
				{
					type: 'regex',
					properties: { regex: '^\\s*[1-9][0-9]*\\s*$', errorMessage: 'A project ID is a whole number' },
				},
			],
		},
		{
			displayName: 'By URL',
			name: 'url',
			type: 'string',
			placeholder: 'e.g. https://app.procore.com/7654321/project/home',
			validation: [
				{
					type: 'regex',
					properties: {
						regex: '^\\s*https?://[^/]+/(?:.*/)?(?:[0-9]+/project|projects/[0-9]+)(?:[/?#].*)?\\s*$',
						errorMessage: 'Paste the address of a project page in Procore',
					},
				},
			],
		},
	],
};
