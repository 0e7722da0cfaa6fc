import type { INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/;
const HAS_OFFSET = /(?:Z|[+-]\d{2}:?\d{2})$/i;

/** Milliseconds between UTC and the wall clock of `timeZone` at the instant `utcMs`. */
function zoneOffsetMs(utcMs: number, timeZone: string): number {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone,
		hourCycle: 'h23',
		year: 'numeric',
		month: '2-digit',
		day: '2-digit',
		hour: '2-digit',
		minute: '2-digit',
		second: '2-digit',
	}).formatToParts(new Date(utcMs));
	const part = (type: string) => Number(parts.find((entry) => entry.type === type)?.value);
	const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
	return wall - Math.floor(utcMs / 1000) * 1000;
}

/** A wall-clock time in `timeZone` as an instant; twice so that a daylight-saving change is met. */
function fromWallClock(wallMs: number, timeZone: string): number {
	let utc = wallMs - zoneOffsetMs(wallMs, timeZone);
	utc = wallMs - zoneOffsetMs(utc, timeZone);
	return utc;
}

/**
 * An instant from a date-time field or an expression: a Luxon DateTime, a Date, an ISO string with
 * an offset, or one without, which n8n's date picker gives in the workflow's time zone.
 */
export function toInstant(
	node: INode,
	value: unknown,
	label: string,
	itemIndex: number,
	timeZone: string,
): number {
	let ms: number | undefined;
	if (value && typeof value === 'object' && typeof (value as { toMillis?: unknown }).toMillis === 'function') {
		ms = (value as { toMillis: () => number }).toMillis();
	} else if (value instanceof Date) {
		ms = value.getTime();
	} else if (typeof value === 'string') {
		const text = value.trim();
		const local = text.match(LOCAL_DATE_TIME);
		if (local && !HAS_OFFSET.test(text)) {
			const [, year, month, day, hour = '0', minute = '0', second = '0'] = local;
			const wall = Date.UTC(+year, +month - 1, +day, +hour, +minute, +second);
			const check = new Date(wall);
			if (check.getUTCMonth() === +month - 1 && check.getUTCDate() === +day) {
				try {
					ms = fromWallClock(wall, timeZone);
				} catch {
					ms = wall;
				}
			}
		} else if (HAS_OFFSET.test(text) && /^\d{4}-\d{2}-\d{2}T/.test(text)) {
			ms = Date.parse(text);
		}
	}
	if (ms === undefined || !Number.isFinite(ms)) {
		throw new NodeOperationError(node, `${label} "${String(value).slice(0, 60)}" is not a date and time`, {
			itemIndex,
			description: `Pick ${label} in the date field, or give it as an ISO date-time such as 2026-11-28T14:30:00Z.`,
		});
	}
	return ms;
}

/**
 * An instant as Procore's list filters want it: `YYYY-MM-DDTHH:MM:SSZ`, in UTC, without
 * milliseconds (docs/procore-api.md §11 "Filters").
 */
export function procoreDateTime(ms: number): string {
	return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
