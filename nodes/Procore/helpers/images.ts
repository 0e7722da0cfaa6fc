import type { IExecuteFunctions, INode, INodeParameterResourceLocator } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { ProcoreConnection } from '../transport';
import type { RunContext } from '../types';
import { idsFromProcoreWebPath, isPositiveId, procoreWebUrl, requirePositiveId, truncate } from './locators';

export type ImageLocator = INodeParameterResourceLocator;

const EXAMPLE_PATH = '/7654321/project/photos/images/98765';

/** Path segments after which Procore's web app puts a photo's ID. */
const PHOTO_SEGMENTS = new Set(['images', 'image', 'photos', 'photo']);
/** Query or fragment parameters that carry a photo's ID. */
const PHOTO_PARAMETERS = ['image_id', 'imageId', 'photo_id', 'photoId'];

/**
 * The photo ID in a Procore web address. Procore documents no address for a single photo, so the
 * node accepts the shapes its web app uses for records, on the credential's web hosts only (with
 * production's regional hosts, transport/environments.ts):
 *  - the ID as the path segment after `images`, `image`, `photos` or `photo`, in a project's Photos
 *    tool, classic (`/<project id>/project/photos/images/<image id>`) or newer
 *    (`/webclients/host/companies/<company id>/projects/<project id>/tools/photos/images/<image id>`);
 *  - the ID as an `image_id` / `photo_id` parameter of the query or of the fragment
 *    (`/<project id>/project/photos?image_id=<image id>`).
 * The address must name the Photos tool of a project; when that project is not the node's
 * project, the node says so rather than read a photo of another project.
 */
export function imageIdFromProcoreUrl(
	node: INode,
	rawUrl: string,
	connection: Pick<ProcoreConnection, 'webHosts' | 'environment'>,
	projectId: string,
	itemIndex: number,
): string {
	const example = `https://${connection.webHosts[0] ?? 'app.procore.com'}${EXAMPLE_PATH}`;
	const url = procoreWebUrl(node, rawUrl, connection, itemIndex, {
		label: 'Image',
		example,
		notAnAddress: `Paste the address of the photo from Procore's Photos tool, such as ${example}, or choose the image by ID.`,
	});
	const segments = url.pathname.split('/').filter(Boolean);
	const urlProject = idsFromProcoreWebPath(url.pathname).project;
	let imageId: string | undefined;
	if (segments.some((segment) => segment.toLowerCase() === 'photos')) {
		for (let index = segments.length - 2; index >= 0 && !imageId; index--) {
			if (PHOTO_SEGMENTS.has(segments[index].toLowerCase()) && isPositiveId(segments[index + 1])) {
				imageId = segments[index + 1];
			}
		}
		// A fragment holds either parameters ("#image_id=5") or a route with them ("#/grid?image_id=5").
		const hash = url.hash.slice(1);
		const fragment = new URLSearchParams(hash.includes('?') ? hash.slice(hash.indexOf('?') + 1) : hash);
		for (const name of PHOTO_PARAMETERS) {
			const value = url.searchParams.get(name) ?? fragment.get(name);
			if (!imageId && value && isPositiveId(value)) imageId = value;
		}
	}
	if (!imageId || !urlProject) {
		throw new NodeOperationError(node, `No photo ID found in the URL "${truncate(rawUrl)}"`, {
			itemIndex,
			description: `Open the photo in the project's Photos tool and copy its address; it looks like ${example}. Or choose the image by ID.`,
		});
	}
	if (urlProject !== projectId) {
		throw new NodeOperationError(node, `The image URL is a photo of project ${urlProject}, not of project ${projectId}`, {
			itemIndex,
			description: 'Choose the project of that photo in Project, or paste the address of a photo of this project.',
		});
	}
	return imageId;
}

/** The photo ID an Image picker points at, in whichever mode the user chose. */
export function imageIdFromLocator(
	node: INode,
	locator: ImageLocator | string | number | undefined,
	connection: Pick<ProcoreConnection, 'webHosts' | 'environment'>,
	projectId: string,
	itemIndex: number,
): string {
	const value =
		locator && typeof locator === 'object'
			? typeof locator.value === 'number'
				? String(locator.value)
				: String(locator.value ?? '').trim()
			: String(locator ?? '').trim();
	if (!value) {
		throw new NodeOperationError(node, 'No image chosen', {
			itemIndex,
			description: 'Choose an Image in the node: from the list, by ID or by URL, or map an ID such as {{ $json.id }}.',
		});
	}
	if (locator && typeof locator === 'object' && locator.mode === 'url') {
		return imageIdFromProcoreUrl(node, value, connection, projectId, itemIndex);
	}
	return requirePositiveId(node, value, 'Image ID', itemIndex);
}

/** The photo ID of an operation's Image parameter, in whichever mode the user chose. */
export function chosenImageId(context: IExecuteFunctions, run: RunContext, projectId: string, itemIndex: number): string {
	const locator = context.getNodeParameter('imageId', itemIndex) as ImageLocator;
	return imageIdFromLocator(context.getNode(), locator, run.connection, projectId, itemIndex);
}
