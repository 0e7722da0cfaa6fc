import type { ILoadOptionsFunctions, INode, INodeParameterResourceLocator } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { ProcoreConnection } from '../transport';
import { isWebHostOf, REGIONAL_WEB_HOSTS } from '../transport/environments';
import { isProcoreId } from '../transport/paths';

export type LocatorKind = 'company' | 'project';

const LABEL: Record<LocatorKind, string> = { company: 'Company', project: 'Project' };

/** The runtime's ID rule is the editor's (transport/paths.ts). */
export const isPositiveId = isProcoreId;

/** A value a user typed or an expression produced, as a Procore ID, or a clear error naming the field. */
export function requirePositiveId(
	node: INode,
	raw: unknown,
	label: string,
	itemIndex: number,
	hint = '',
): string {
	const text = typeof raw === 'number' ? String(raw) : String(raw ?? '').trim();
	if (!text) {
		throw new NodeOperationError(node, `${label} is empty`, {
			itemIndex,
			description: `Set ${label}${hint ? ` (${hint})` : ''}.`,
		});
	}
	if (!isPositiveId(text)) {
		throw new NodeOperationError(node, `${label} "${truncate(text)}" is not a Procore ID`, {
			itemIndex,
			description: `Procore IDs are whole positive numbers, such as 562949953421312${hint ? `; ${hint}` : ''}.`,
		});
	}
	return text;
}

/** A value the user typed, cut short for an error message. */
export function truncate(text: string, max = 80): string {
	return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * A web address the user pasted for a picker's URL mode, parsed, and only if it is on Procore's web
 * hosts in the credential's environment (with production's regional hosts, transport/environments.ts).
 * `label` names the picker ("Project"); `example` is a good address; `notAnAddress` the advice when
 * the text is no web address at all.
 */
export function procoreWebUrl(
	node: INode,
	rawUrl: string,
	connection: Pick<ProcoreConnection, 'webHosts' | 'environment'>,
	itemIndex: number,
	words: { label: string; example: string; notAnAddress: string },
): URL {
	let url: URL;
	try {
		url = new URL(rawUrl.trim());
	} catch {
		throw new NodeOperationError(node, `${words.label} URL "${truncate(rawUrl)}" is not a web address`, {
			itemIndex,
			description: words.notAnAddress,
		});
	}
	if (!isWebHostOf(connection.environment, connection.webHosts, url.hostname)) {
		throw new NodeOperationError(
			node,
			`${words.label} URL points to ${url.hostname}, which is not Procore in the credential's environment`,
			{
				itemIndex,
				description: `Use an address on ${connection.webHosts.join(' or ')}${REGIONAL_WEB_HOSTS[connection.environment] ? ' or a regional Procore host such as us02.procore.com' : ''}, such as ${words.example}, or choose the ${words.label.toLowerCase()} from the list or by ID.`,
			},
		);
	}
	return url;
}

/**
 * The IDs found in a Procore web address. Procore's web app puts them in the path in two styles:
 * `/<company id>/company/...` and `/<project id>/project/...` (classic), and
 * `/webclients/host/companies/<company id>/projects/<project id>/...` (newer tools).
 */
export function idsFromProcoreWebPath(pathname: string): { company?: string; project?: string } {
	const segments = pathname.split('/').filter(Boolean);
	const ids: { company?: string; project?: string } = {};
	for (let index = 0; index < segments.length; index++) {
		const segment = segments[index];
		const next = segments[index + 1];
		if (isPositiveId(segment) && next === 'company') ids.company ??= segment;
		if (isPositiveId(segment) && next === 'project') ids.project ??= segment;
		if (segment === 'companies' && next && isPositiveId(next)) ids.company ??= next;
		if (segment === 'projects' && next && isPositiveId(next)) ids.project ??= next;
	}
	return ids;
}

export function idFromProcoreUrl(
	node: INode,
	kind: LocatorKind,
	rawUrl: string,
	connection: Pick<ProcoreConnection, 'webHosts' | 'environment'>,
	itemIndex: number,
): string {
	const label = LABEL[kind];
	const example =
		kind === 'company'
			? `https://${connection.webHosts[0] ?? 'app.procore.com'}/1234567/company/home`
			: `https://${connection.webHosts[0] ?? 'app.procore.com'}/7654321/project/home`;
	const url = procoreWebUrl(node, rawUrl, connection, itemIndex, {
		label,
		example,
		notAnAddress: `Paste the address of a ${label.toLowerCase()} page from Procore, such as ${example}.`,
	});
	const id = idsFromProcoreWebPath(url.pathname)[kind];
	if (!id) {
		throw new NodeOperationError(node, `No ${label.toLowerCase()} ID found in the URL "${truncate(rawUrl)}"`, {
			itemIndex,
			description: `Open the ${label.toLowerCase()} in Procore and copy its address; it looks like ${example}.`,
		});
	}
	return id;
}

/** The ID a Company or Project picker points at, in whichever mode the user chose. */
export function idFromLocator(
	node: INode,
	kind: LocatorKind,
	locator: INodeParameterResourceLocator | string | number | undefined,
	connection: Pick<ProcoreConnection, 'webHosts' | 'environment'>,
	itemIndex: number,
): string {
	const label = LABEL[kind];
	if (locator === undefined || locator === null || locator === '') {
		throw new NodeOperationError(node, `No ${label.toLowerCase()} chosen`, {
			itemIndex,
			description: `Choose a ${label} in the node: from the list, by ID or by URL.`,
		});
	}
	if (typeof locator !== 'object') return requirePositiveId(node, locator, `${label} ID`, itemIndex);
	const value = typeof locator.value === 'number' ? String(locator.value) : String(locator.value ?? '').trim();
	if (!value) {
		throw new NodeOperationError(node, `No ${label.toLowerCase()} chosen`, {
			itemIndex,
			description: `Choose a ${label} in the node: from the list, by ID or by URL.`,
		});
	}
	if (locator.mode === 'url') return idFromProcoreUrl(node, kind, value, connection, itemIndex);
	return requirePositiveId(node, value, `${label} ID`, itemIndex);
}

/** The company or project chosen above the picker being opened, whichever mode it was given in. */
export function chosenId(
	context: ILoadOptionsFunctions,
	kind: 'company' | 'project',
	connection: ProcoreConnection,
): string {
	const locator = context.getCurrentNodeParameter(kind === 'company' ? 'companyId' : 'projectId') as
		| INodeParameterResourceLocator
		| undefined;
	return idFromLocator(context.getNode(), kind, locator, connection, 0);
}
