import type { INodeProperties } from 'n8n-workflow';

import { DEFAULT_MAX_WAIT_SECONDS } from '../transport';
import { makeLocator } from './locator.builder';

/** Items in flight at once when the user does not say; see the README's benchmark for why. */
export const DEFAULT_PARALLEL_ITEMS = 64;
export const MAX_PARALLEL_ITEMS = 100;

/** Company picker: every Procore call names its company (Procore-Company-Id). */
export const companyLocator = makeLocator({
	name: 'companyId',
	displayName: 'Company',
	noun: 'company',
	required: true,
	description: 'The Procore company that owns the project',
	searchListMethod: 'searchCompanies',
	idExample: '1234567',
	url: {
		example: 'https://app.procore.com/1234567/company/home',
		regex: '^\\s*https?://[^/]+/(?:.*/)?(?:[0-9]+/company|companies/[0-9]+)(?:[/?#].*)?\\s*$',
	},
});

/** Project picker: lists the projects of the chosen company. */
export const projectLocator = makeLocator({
	name: 'projectId',
	displayName: 'Project',
	noun: 'project',
	required: true,
	description: 'The Procore project whose Photos the node works in',
	searchListMethod: 'searchProjects',
	idExample: '7654321',
	url: {
		example: 'https://app.procore.com/7654321/project/home',
		regex: '^\\s*https?://[^/]+/(?:.*/)?(?:[0-9]+/project|projects/[0-9]+)(?:[/?#].*)?\\s*$',
	},
});

/** Album picker (Procore: image category) of the chosen project. */
export const albumLocator = (overrides: Partial<Parameters<typeof makeLocator>[0]> = {}) =>
	makeLocator({
		name: 'albumId',
		displayName: 'Album',
		noun: 'album',
		description: 'The photo album (Procore: image category)',
		searchListMethod: 'searchAlbums',
		idExample: '186339',
		...overrides,
	});

/** Location picker of the chosen project; By Path names tiers that Procore creates when missing. */
export const locationLocator = makeLocator({
	name: 'location',
	displayName: 'Location',
	noun: 'location',
	description: 'Where the photo was taken',
	hint: 'By Path creates missing tiers (Procore: mt_location). Procore ignores a path when a location ID is sent, so the node sends one or the other.',
	searchListMethod: 'searchLocations',
	idExample: '13',
	byPath: { placeholder: 'e.g. Building A > Level 2 > Room 201' },
});

/**
 * Image picker (a photo of the chosen project). By URL takes the address of the photo in Procore's
 * Photos tool; the shapes accepted are listed with imageIdFromProcoreUrl (helpers/images.ts).
 */
export const imageLocator = makeLocator({
	name: 'imageId',
	displayName: 'Image',
	noun: 'image',
	required: true,
	description: "The photo in the project's Photos tool. Map an ID from an earlier node, such as {{ $json.id }}.",
	searchListMethod: 'searchImages',
	idExample: '98765',
	url: {
		example: 'https://app.procore.com/7654321/project/photos/images/98765',
		regex:
			'^\\s*https?://[^/]+/.*photos.*(?:/(?:images?|photos?)/[0-9]+|[?&#](?:image|photo)_?[iI]d=[0-9]+)(?:[/?#&].*)?\\s*$',
	},
});

/**
 * Options of the whole run, for every operation. The collection keeps the name "advancedOptions"
 * (and its fields their names) that Image → Create used, so saved workflows keep their settings.
 */
export const runOptions: INodeProperties = {
	displayName: 'Advanced Options',
	name: 'advancedOptions',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		{
			displayName: 'Markup Provider ID',
			name: 'providerId',
			type: 'string',
			default: '',
			description: 'ID of the markup layer to add the photo to. Only for photos added to a markup.',
			displayOptions: { show: { '/resource': ['image'], '/operation': ['create'] } },
		},
		{
			displayName: 'Markup Provider Type',
			name: 'providerType',
			type: 'options',
			options: [{ name: 'Markup Layer', value: 'MarkupLayer' }],
			default: 'MarkupLayer',
			description: 'Procore supports only markup layers. Only for photos added to a markup.',
			displayOptions: { show: { '/resource': ['image'], '/operation': ['create'] } },
		},
		{
			displayName: 'Maximum Wait (Seconds)',
			name: 'maxWaitSeconds',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 3600 },
			default: DEFAULT_MAX_WAIT_SECONDS,
			description:
				'The longest the node waits for one request when Procore throttles it or a retry is due. An item that would wait longer fails with how long Procore asked to wait.',
		},
		{
			displayName: 'Parallel Items',
			name: 'parallelUploads',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: MAX_PARALLEL_ITEMS },
			default: DEFAULT_PARALLEL_ITEMS,
			description:
				"How many items run at once. All of them share Procore's rate limit, so more never means more 429s; output order and item pairing stay those of the input. Files are streamed, so more items in flight cost little memory.",
		},
	],
};

/** Return All, or a Limit (default 50), for every Get Many. */
export const returnAllOrLimit: INodeProperties[] = [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		displayOptions: { show: { returnAll: [false] } },
		description: 'Max number of results to return',
	},
];
