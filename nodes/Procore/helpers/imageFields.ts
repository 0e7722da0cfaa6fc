import type { IDataObject, INode, INodeParameterResourceLocator } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { requirePositiveId } from './locators';

/** The `image` object of Create Image (docs/procore-api.md §6.1), as Procore's JSON wants it. */
export interface ImageAttributes extends IDataObject {
	image_category_id?: number;
	description?: string;
	location_id?: number;
	mt_location?: string[];
	trade_ids?: number[];
	log_date?: string;
	private?: boolean;
	starred?: boolean;
	source?: string;
	daily_log_segment_id?: number;
	provider_type?: string;
	provider_id?: number;
}

export type LocationLocator = INodeParameterResourceLocator;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/;

/** A Log Date as YYYY-MM-DD: from a date string, an ISO date-time, a Luxon DateTime or a Date. */
export function toLogDate(node: INode, value: unknown, itemIndex: number): string {
	let candidate: string | undefined;
	if (value && typeof value === 'object' && typeof (value as { toISODate?: unknown }).toISODate === 'function') {
		candidate = (value as { toISODate: () => string | null }).toISODate() ?? undefined;
	} else if (value instanceof Date && !Number.isNaN(value.getTime())) {
		candidate = value.toISOString().slice(0, 10);
	} else if (typeof value === 'string') {
		candidate = value.trim();
	}
	const match = candidate?.match(ISO_DATE);
	if (match) {
		const [, year, month, day] = match.map(Number);
		const date = new Date(Date.UTC(year, month - 1, day));
		if (date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day) {
			return `${match[1]}-${match[2]}-${match[3]}`;
		}
	}
	throw new NodeOperationError(node, `Log Date "${String(value).slice(0, 60)}" is not a date`, {
		itemIndex,
		description: 'Give the Daily Log date as YYYY-MM-DD, for example 2026-11-28, or pick it in the date field.',
	});
}

/** Trade IDs from the multi-select or an expression: an array, or a comma-separated list. */
export function toTradeIds(node: INode, value: unknown, itemIndex: number): number[] {
	const entries = Array.isArray(value)
		? value
		: typeof value === 'string'
			? value.split(',')
			: value === undefined || value === null
				? []
				: [value];
	return entries
		.map((entry) => (typeof entry === 'string' ? entry.trim() : entry))
		.filter((entry) => entry !== '')
		.map((entry) =>
			Number(requirePositiveId(node, entry, 'Trade ID', itemIndex, 'choose trades from the list or give their IDs')),
		);
}

/** A location path such as "Building A > Level 2 > Room 201", as Procore's tiers. */
export function toLocationPath(node: INode, value: string, itemIndex: number): string[] {
	const tiers = value.split('>').map((tier) => tier.trim());
	if (tiers.some((tier) => !tier)) {
		throw new NodeOperationError(node, `Location path "${value}" has an empty tier`, {
			itemIndex,
			description: 'Separate tiers with ">", each with a name, for example Building A > Level 2 > Room 201.',
		});
	}
	return tiers;
}

export function buildImageAttributes(
	node: INode,
	itemIndex: number,
	parameters: { additionalFields: IDataObject & { location?: LocationLocator }; advancedOptions: IDataObject },
): ImageAttributes {
	const fields = parameters.additionalFields;
	const image: ImageAttributes = {};
	if (typeof fields.description === 'string' && fields.description !== '') image.description = fields.description;
	if (typeof fields.source === 'string' && fields.source.trim()) image.source = fields.source.trim();
	if (typeof fields.private === 'boolean') image.private = fields.private;
	if (typeof fields.starred === 'boolean') image.starred = fields.starred;
	if (fields.logDate !== undefined && fields.logDate !== '' && fields.logDate !== null) {
		image.log_date = toLogDate(node, fields.logDate, itemIndex);
	}
	if (fields.tradeIds !== undefined) {
		const tradeIds = toTradeIds(node, fields.tradeIds, itemIndex);
		if (tradeIds.length) image.trade_ids = tradeIds;
	}
	if (fields.dailyLogSegmentId !== undefined && String(fields.dailyLogSegmentId).trim() !== '') {
		image.daily_log_segment_id = Number(
			requirePositiveId(node, fields.dailyLogSegmentId, 'Daily Log Segment ID', itemIndex),
		);
	}
	const location = fields.location;
	const locationValue = location && typeof location === 'object' ? String(location.value ?? '').trim() : '';
	if (location && locationValue) {
		if (location.mode === 'path') {
			image.mt_location = toLocationPath(node, locationValue, itemIndex);
		} else {
			image.location_id = Number(requirePositiveId(node, locationValue, 'Location ID', itemIndex));
		}
	}
	const advanced = parameters.advancedOptions;
	if (advanced.providerId !== undefined && String(advanced.providerId).trim() !== '') {
		image.provider_id = Number(requirePositiveId(node, advanced.providerId, 'Markup Provider ID', itemIndex));
		image.provider_type = String(advanced.providerType ?? 'MarkupLayer');
	} else if (advanced.providerType !== undefined) {
		throw new NodeOperationError(node, 'Markup Provider Type is set without a Markup Provider ID', {
			itemIndex,
			description: 'Set Markup Provider ID to the markup layer, or remove Markup Provider Type.',
		});
	}
	return image;
}
