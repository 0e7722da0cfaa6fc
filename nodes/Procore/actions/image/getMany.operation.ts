import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeParameterResourceLocator,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { albumLocator, companyLocator, projectLocator, returnAllOrLimit } from '../common.descriptions';
import { makeLocator } from '../locator.builder';
import type { RunContext } from '../../types';
import { procoreDateTime, toInstant } from '../../helpers/dateTimes';
import { toLogDate, toTradeIds } from '../../helpers/imageFields';
import { requirePositiveId } from '../../helpers/locators';
import { procoreListAll } from '../../transport';
import { procorePath } from '../../transport/paths';

/** Procore pages its lists; 100 a page keeps each answer small (docs/procore-api.md §4). */
const PER_PAGE = 100;

/** A location to filter on: from the list or by ID (By Path would create tiers, which a filter must not). */
const locationFilter = makeLocator({
	name: 'location',
	displayName: 'Location',
	noun: 'location',
	description: 'Only photos taken at this location',
	searchListMethod: 'searchLocations',
	idExample: '13',
});

const dateTimeFilter = (displayName: string, name: string, description: string): INodeProperties => ({
	displayName,
	name,
	type: 'dateTime',
	default: '',
	description,
});

const properties: INodeProperties[] = [
	companyLocator,
	projectLocator,
	...returnAllOrLimit,
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		options: [
			albumLocator({ description: 'Only photos in this album (Procore: image category)' }),
			dateTimeFilter('Created After', 'createdAfter', 'Only photos uploaded at or after this time'),
			dateTimeFilter('Created Before', 'createdBefore', 'Only photos uploaded at or before this time'),
			{
				displayName: 'Include Sublocations',
				name: 'includeSublocations',
				type: 'boolean',
				default: true,
				description: 'Whether photos at locations below Location count too (e.g. the rooms of a level)',
			},
			locationFilter,
			{
				displayName: 'Log Date',
				name: 'logDate',
				type: 'dateTime',
				default: '',
				description: 'Only photos filed under this Daily Log date, or from this date on when Log Date Until is set',
			},
			{
				displayName: 'Log Date Until',
				name: 'logDateUntil',
				type: 'dateTime',
				default: '',
				description: 'The last Daily Log date of the range that starts at Log Date',
			},
			{
				displayName: 'Private',
				name: 'private',
				type: 'boolean',
				default: true,
				description:
					'Whether to return only private photos. Off lists private and other photos alike. Private photos are listed only to users who may see them.',
			},
			{
				displayName: 'Search Text',
				name: 'query',
				type: 'string',
				default: '',
				placeholder: 'e.g. facade',
				description: "Text Procore searches for in the photos, such as part of a file name (Procore's filters[query])",
			},
			{
				displayName: 'Starred',
				name: 'starred',
				type: 'boolean',
				default: true,
				description: 'Whether to return only starred photos. Off lists starred and other photos alike.',
			},
			{
				displayName: 'Trade Names or IDs',
				name: 'tradeIds',
				type: 'multiOptions',
				typeOptions: { loadOptionsMethod: 'getTrades', loadOptionsDependsOn: ['companyId.value'] },
				default: [],
				description:
					'Only photos that show one of these trades. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			dateTimeFilter('Updated After', 'updatedAfter', 'Only photos changed at or after this time'),
			dateTimeFilter('Updated Before', 'updatedBefore', 'Only photos changed at or before this time'),
			{
				displayName: 'Uploader IDs',
				name: 'uploaderIds',
				type: 'string',
				default: '',
				placeholder: 'e.g. 3001, 3002',
				description: 'Only photos uploaded by these Procore users (their user IDs, separated by commas)',
			},
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'IDs Only',
				name: 'idsOnly',
				type: 'boolean',
				default: false,
				description:
					'Whether to output only the ID of each photo, one item per photo. Much smaller answers, for checking what exists.',
			},
			{
				displayName: 'Sort',
				name: 'sort',
				type: 'options',
				options: [
					{ name: 'Newest First', value: '-created_at', description: 'Newest uploads first' },
					{ name: 'Oldest First', value: 'created_at', description: 'Oldest uploads first' },
					{ name: 'Taken Date, Newest First', value: '-taken_at', description: 'By the date the photo was taken' },
					{ name: 'Taken Date, Oldest First', value: 'taken_at', description: 'By the date the photo was taken' },
				],
				default: '-created_at',
				description: 'The order of the photos',
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['image'], operation: ['getMany'] } }, properties);

interface ImageFilters {
	albumId?: INodeParameterResourceLocator;
	createdAfter?: unknown;
	createdBefore?: unknown;
	includeSublocations?: boolean;
	location?: INodeParameterResourceLocator;
	logDate?: unknown;
	logDateUntil?: unknown;
	private?: boolean;
	query?: string;
	starred?: boolean;
	tradeIds?: unknown;
	updatedAfter?: unknown;
	updatedBefore?: unknown;
	uploaderIds?: string;
}

const SORTS = ['-created_at', 'created_at', '-taken_at', 'taken_at'];

const given = (value: unknown) => value !== undefined && value !== null && value !== '';

function locatorValue(locator: INodeParameterResourceLocator | string | undefined): string {
	if (locator && typeof locator === 'object') return String(locator.value ?? '').trim();
	return String(locator ?? '').trim();
}

/**
 * The query of List Images (docs/procore-api.md §6.2) for the filters the user set. Every value is
 * checked first, so a wrong one fails with the name of its field before anything is sent.
 */
export function listQuery(
	context: IExecuteFunctions,
	itemIndex: number,
	projectId: string,
	filters: ImageFilters,
	sort: string,
): IDataObject {
	const node = context.getNode();
	const qs: IDataObject = { project_id: projectId, sort };
	const album = locatorValue(filters.albumId);
	if (album) qs.image_category_id = requirePositiveId(node, album, 'Album ID', itemIndex);

	const timeZone = context.getTimezone();
	const range = (name: string, label: string, after: unknown, before: unknown) => {
		if (!given(after) && !given(before)) return;
		const afterLabel = `${label} After`;
		const beforeLabel = `${label} Before`;
		// Procore wants both ends of a range (docs/procore-api.md §11 "Filters"): an open end is the
		// start of Unix time, or a day from now (nothing is created or updated in the future).
		const from = given(after) ? toInstant(node, after, afterLabel, itemIndex, timeZone) : 0;
		const to = given(before)
			? toInstant(node, before, beforeLabel, itemIndex, timeZone)
			: Date.now() + 24 * 60 * 60 * 1000;
		if (from > to) {
			throw new NodeOperationError(node, `${afterLabel} is later than ${beforeLabel}`, {
				itemIndex,
				description: `${afterLabel} (${procoreDateTime(from)}) must be at or before ${beforeLabel} (${procoreDateTime(to)}). Swap them, or clear one to leave that end open.`,
			});
		}
		qs[`filters[${name}]`] = `${procoreDateTime(from)}...${procoreDateTime(to)}`;
	};
	range('created_at', 'Created', filters.createdAfter, filters.createdBefore);
	range('updated_at', 'Updated', filters.updatedAfter, filters.updatedBefore);

	if (given(filters.logDate) || given(filters.logDateUntil)) {
		if (!given(filters.logDate)) {
			throw new NodeOperationError(node, 'Log Date Until is set without Log Date', {
				itemIndex,
				description: 'Set Log Date to the first day of the range, or clear Log Date Until.',
			});
		}
		const first = toLogDate(node, filters.logDate, itemIndex);
		if (given(filters.logDateUntil)) {
			const last = toLogDate(node, filters.logDateUntil, itemIndex);
			if (first > last) {
				throw new NodeOperationError(node, 'Log Date is later than Log Date Until', {
					itemIndex,
					description: `Log Date (${first}) must be on or before Log Date Until (${last}). Swap them, or clear Log Date Until for one day.`,
				});
			}
			qs['filters[log_date]'] = first === last ? first : `${first}...${last}`;
		} else {
			qs['filters[log_date]'] = first;
		}
	}

	const location = locatorValue(filters.location);
	if (location) {
		qs['filters[location_id]'] = [Number(requirePositiveId(node, location, 'Location ID', itemIndex))];
		qs['filters[include_sublocations]'] = String(filters.includeSublocations !== false);
	}

	if (filters.tradeIds !== undefined) {
		const tradeIds = toTradeIds(node, filters.tradeIds, itemIndex);
		if (tradeIds.length) qs['filters[trade_ids]'] = tradeIds;
	}
	if (given(filters.uploaderIds)) {
		const uploaderIds = String(filters.uploaderIds)
			.split(',')
			.map((entry) => entry.trim())
			.filter(Boolean)
			.map((entry) => Number(requirePositiveId(node, entry, 'Uploader ID', itemIndex, 'separate user IDs with commas')));
		if (uploaderIds.length) qs['filters[uploader_id]'] = uploaderIds;
	}
	// Procore documents only what `true` does ("returns only item(s) with a private status",
	// docs/procore-api.md §6.2); `false` is its default, so it is not sent.
	if (filters.private === true) qs['filters[private]'] = 'true';
	if (filters.starred === true) qs['filters[starred]'] = 'true';
	const query = typeof filters.query === 'string' ? filters.query.trim() : '';
	if (query) qs['filters[query]'] = query;
	return qs;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	run: RunContext,
): Promise<INodeExecutionData[]> {
	const node = this.getNode();
	const companyId = run.companyId(itemIndex);
	const projectId = run.projectId(itemIndex);
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	let maxItems = Number.POSITIVE_INFINITY;
	if (!returnAll) {
		maxItems = Math.floor(Number(this.getNodeParameter('limit', itemIndex, 50)));
		if (!Number.isFinite(maxItems) || maxItems < 1) {
			throw new NodeOperationError(node, 'Limit must be a whole number of at least 1', {
				itemIndex,
				description: 'Set Limit to how many photos to return, or turn on Return All.',
			});
		}
	}
	const filters = this.getNodeParameter('filters', itemIndex, {}) as ImageFilters;
	const options = this.getNodeParameter('options', itemIndex, {}) as { idsOnly?: boolean; sort?: string };
	const sort = options.sort ?? '-created_at';
	if (!SORTS.includes(sort)) {
		throw new NodeOperationError(node, `Sort "${String(sort).slice(0, 40)}" is not one the node offers`, {
			itemIndex,
			description: `Use one of ${SORTS.join(', ')}.`,
		});
	}
	const qs = listQuery(this, itemIndex, projectId, filters, sort);
	// ids_only makes Procore answer with bare IDs (docs/procore-api.md §6.2): cheap checks of what exists.
	if (options.idsOnly) qs.serializer_view = 'ids_only';

	const images = await procoreListAll<IDataObject | number>(
		this,
		{
			method: 'GET',
			path: procorePath`/rest/v1.0/images`,
			qs,
			companyId,
			itemIndex,
			action: `Listing the photos of project ${projectId}`,
			explain: {
				403: "Procore refused access: listing photos needs at least 'Read Only' on the project's Photos tool, and the app must be installed in this company.",
				404: qs.image_category_id
					? `Procore found no album ${String(qs.image_category_id)} in project ${projectId} that this user may see. Check the album, the project and the user's access.`
					: `Procore found no project ${projectId} with Photos that this user may see. Check the project and the user's access.`,
			},
		},
		{ perPage: PER_PAGE, maxItems },
		run.connection,
	);
	return images.map((image) => ({
		json: typeof image === 'object' && image !== null ? image : { id: image },
		pairedItem: { item: itemIndex },
	}));
}
