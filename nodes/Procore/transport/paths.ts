/**
 * What may stand in a Procore URL path, and the one way to build such a path.
 *
 * Every ID the node puts into a path comes from a user, an expression or an upstream item. Checked
 * here, once, an ID can never turn a path into another one ("123/../../companies", "1?x=y"), and the
 * editor's field validation uses the same rule, so a value the editor accepts is one the node runs.
 */

/**
 * Procore IDs are positive integers; some exceed 32 bits (docs/procore-api.md §2), and JavaScript
 * numbers hold them exactly up to 2^53 (16 digits). The editor's regex and the runtime share it.
 */
export const PROCORE_ID_PATTERN = '[1-9][0-9]{0,15}';
const PROCORE_ID = new RegExp(`^${PROCORE_ID_PATTERN}$`);

/** Upload UUIDs are ULID-like tokens: letters, digits, "-" and "_" (docs/procore-api.md §7). */
export const UPLOAD_UUID_PATTERN = '[A-Za-z0-9][A-Za-z0-9_-]{0,127}';
const UPLOAD_UUID = new RegExp(`^${UPLOAD_UUID_PATTERN}$`);

export function isProcoreId(value: string): boolean {
	return PROCORE_ID.test(value);
}

export function isUploadUuid(value: string): boolean {
	return UPLOAD_UUID.test(value);
}

/** A path on the API host whose every variable part was checked. Only `procorePath` makes one. */
export type ProcorePath = string & { readonly __checkedProcorePath: unique symbol };

/** A variable part of a path that is not an ID or UUID: a bug in the node, never user input. */
export class UnsafePathSegment extends Error {
	constructor(readonly segment: string) {
		super(`"${segment.slice(0, 40)}" cannot stand in a Procore URL path`);
	}
}

/**
 * Builds a path from a template, checking each interpolated value:
 * procorePath`/rest/v1.0/projects/${projectId}/uploads/${uuid}`.
 * Numbers and digit strings must be Procore IDs; anything else must be an upload UUID.
 */
export function procorePath(strings: TemplateStringsArray, ...values: Array<string | number>): ProcorePath {
	let path = strings[0];
	values.forEach((value, index) => {
		const text = String(value);
		const safe = /^[0-9]+$/.test(text) ? isProcoreId(text) : isUploadUuid(text);
		if (!safe) throw new UnsafePathSegment(text);
		path += text + strings[index + 1];
	});
	return path as ProcorePath;
}
