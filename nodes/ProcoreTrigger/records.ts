import type {
	IBinaryData,
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IPollFunctions,
	IWebhookFunctions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { readAlbum } from '../Procore/actions/album/get.operation';
import { readImage } from '../Procore/actions/image/get.operation';
import { downloadPhotoFile } from '../Procore/helpers/photoFile';
import { idFromLocator } from '../Procore/helpers/locators';
import type { ProcoreConnection, ProcoreContext } from '../Procore/transport';
import { asNodeError, httpStatusOf } from '../Procore/transport/errors';

/** The contexts the trigger nodes run in. */
export type TriggerContext = IHookFunctions | IWebhookFunctions | IPollFunctions;

/**
 * The Procore transport is typed for the action node's contexts, but uses only what every n8n
 * context has: getNode, getCredentials and helpers.httpRequest(WithAuthentication). The trigger
 * contexts have all three, so they go through the same transport: the same rate budget, retries
 * and error messages as the Procore node.
 */
export function asProcoreContext(context: TriggerContext): ProcoreContext & IExecuteFunctions {
	return context as unknown as ProcoreContext & IExecuteFunctions;
}

/** The Company and Project a trigger watches, as IDs, whichever mode their pickers are in. */
export function chosenScope(context: TriggerContext, connection: ProcoreConnection) {
	const node = context.getNode();
	const companyId = idFromLocator(node, 'company', context.getNodeParameter('companyId') as never, connection, 0);
	const projectId = idFromLocator(node, 'project', context.getNodeParameter('projectId') as never, connection, 0);
	return { companyId, projectId, connection };
}

export interface RecordRequest {
	companyId: string;
	projectId: string;
	resourceName: string;
	resourceId: string;
}

/** The resources whose record the triggers know how to read, by Procore's webhook resource name. */
export const READABLE_RESOURCES = ['Images', 'Image Categories'];

/**
 * The record an event is about, read right after the event (docs/procore-api.md §8: the payload
 * holds only IDs). Undefined when the record is gone: deleted after the event, or never visible.
 */
export async function readRecord(
	context: TriggerContext,
	connection: ProcoreConnection,
	request: RecordRequest,
): Promise<IDataObject | undefined> {
	const { companyId, projectId, resourceName, resourceId } = request;
	try {
		if (resourceName === 'Images') {
			return await readImage(asProcoreContext(context), connection, {
				companyId,
				projectId,
				imageId: resourceId,
				itemIndex: 0,
			});
		}
		if (resourceName === 'Image Categories') {
			return await readAlbum(asProcoreContext(context), connection, { companyId, projectId, albumId: resourceId });
		}
	} catch (error) {
		if (httpStatusOf(error) === 404) return undefined;
		throw asNodeError(context.getNode(), error);
	}
	throw new NodeOperationError(context.getNode(), `The trigger cannot read records of the resource "${resourceName}"`, {
		description: `Fetch the Record works for ${READABLE_RESOURCES.join(' and ')}. Turn it off, and read the record with an HTTP Request node using the event's resource_id.`,
	});
}

/**
 * The photo's file as n8n binary data, by the rules of Image → Download (helpers/photoFile.ts).
 * Undefined when the photo is gone or has no file any more.
 */
export async function downloadPhoto(
	context: IWebhookFunctions | IPollFunctions,
	connection: ProcoreConnection,
	request: { companyId: string; projectId: string; imageId: string },
): Promise<{ image: IDataObject; binary: IBinaryData } | undefined> {
	const { companyId, projectId, imageId } = request;
	return await downloadPhotoFile(
		asProcoreContext(context),
		connection,
		{ companyId, what: `photo ${imageId} in project ${projectId}`, fallbackName: `photo-${imageId}` },
		async () => {
			const image = await readRecord(context, connection, { companyId, projectId, resourceName: 'Images', resourceId: imageId });
			if (!image || image.permanently_deleted === true || typeof image.url !== 'string' || !image.url) return undefined;
			return { image, link: image.url };
		},
	);
}
