import type { INodeProperties, INodePropertyMode } from 'n8n-workflow';

import { PROCORE_ID_PATTERN } from '../transport/paths';

/**
 * One builder for every picker (resource locator) of the node, so each offers the same modes in the
 * same order, with the same ID rule as the runtime (transport/paths.ts).
 */
export interface LocatorSpec {
	name: string;
	displayName: string;
	description: string;
	/** The record, in words: "company", "album"... */
	noun: string;
	required?: boolean;
	/** Which method of methods/listSearch fills the list; no list mode without it. */
	searchListMethod?: string;
	idExample: string;
	/** A Procore web address holding the ID; checked again at run time. */
	url?: { example: string; regex: string };
	/** A name to look up (and maybe create) at run time. */
	byName?: { placeholder: string; hint?: string };
	/** A path of names, such as a location "Building A > Level 2". */
	byPath?: { placeholder: string };
	hint?: string;
}

/** The editor's check for an ID field: whole positive numbers of at most 16 digits, spaces allowed around. */
export const idValidation = (noun: string) => [
	{
		type: 'regex' as const,
		properties: {
			regex: `^\\s*${PROCORE_ID_PATTERN}\\s*$`,
			errorMessage: `${/^[aeiou]/i.test(noun) ? 'An' : 'A'} ${noun} ID is a whole number of at most 16 digits`,
		},
	},
];

/** A mode of a resource locator (not a parameter, so it has no default of its own). */
function mode(
	displayName: string,
	name: string,
	type: INodePropertyMode['type'],
	rest: Omit<INodePropertyMode, 'displayName' | 'name' | 'type'>,
): INodePropertyMode {
	return { displayName, name, type, ...rest };
}

export function makeLocator(spec: LocatorSpec): INodeProperties {
	const modes: INodePropertyMode[] = [];
	if (spec.searchListMethod) {
		modes.push(
			mode('From List', 'list', 'list', {
				placeholder: `Select ${/^[aeiou]/i.test(spec.noun) ? 'an' : 'a'} ${spec.noun}...`,
				typeOptions: { searchListMethod: spec.searchListMethod, searchable: true },
			}),
		);
	}
	modes.push(mode('By ID', 'id', 'string', { placeholder: `e.g. ${spec.idExample}`, validation: idValidation(spec.noun) }));
	if (spec.url) {
		modes.push(
			mode('By URL', 'url', 'string', {
				placeholder: `e.g. ${spec.url.example}`,
				validation: [
					{
						type: 'regex',
						properties: {
							regex: spec.url.regex,
							errorMessage: `Paste the address of ${/^[aeiou]/i.test(spec.noun) ? 'an' : 'a'} ${spec.noun} page in Procore`,
						},
					},
				],
			}),
		);
	}
	if (spec.byName) {
		modes.push(
			mode('By Name', 'name', 'string', {
				placeholder: spec.byName.placeholder,
				...(spec.byName.hint ? { hint: spec.byName.hint } : {}),
			}),
		);
	}
	if (spec.byPath) {
		modes.push(mode('By Path', 'path', 'string', { placeholder: spec.byPath.placeholder }));
	}
	return {
		displayName: spec.displayName,
		name: spec.name,
		type: 'resourceLocator',
		default: { mode: modes[0].name, value: '' },
		...(spec.required ? { required: true } : {}),
		description: spec.description,
		...(spec.hint ? { hint: spec.hint } : {}),
		modes,
	};
}
