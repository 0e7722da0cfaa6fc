import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { RunContext } from '../types';
import { procoreRequest } from '../transport';
import { asNodeError, type StatusAdvice } from '../transport/errors';
import type { ProcorePath } from '../transport/paths';

/**
 * Sends a DELETE, and sends it again after a lost answer (500, 502, 504, a dropped connection):
 * deleting what is already deleted ends in the same state, so a second send is safe. But when the
 * first send did delete the record, the second one finds nothing and Procore answers 404
 * (docs/procore-api.md §5: 404 = no such record). That 404 means "done", not "failed", so it is
 * accepted only for a re-sent request; a 404 on the first send is the user's error and is raised.
 *
 * The request is marked 'once' only to learn that its first answer was lost: `recover` notes it
 * and finds nothing, so the transport sends the request again. Two differences from 'repeatable'
 * follow from the transport's rules for 'once', and both suit a delete: after a 504 or a timeout the
 * re-send waits a few seconds more (Procore may still be deleting), and a second 500 fails the item
 * with Procore's words instead of being sent again and again.
 */
export async function deleteRecord(
	context: IExecuteFunctions,
	run: RunContext,
	request: {
		path: ProcorePath;
		qs: IDataObject;
		companyId: string;
		itemIndex: number;
		action: string;
		explain: StatusAdvice;
	},
): Promise<{ resent: boolean }> {
	let resent = false;
	try {
		await procoreRequest(
			context,
			{
				method: 'DELETE',
				...request,
				retry: 'once',
				recover: async () => {
					resent = true;
					return undefined;
				},
			},
			run.connection,
		);
	} catch (error) {
		if (resent && (error as { httpCode?: unknown }).httpCode === '404') return { resent };
		throw asNodeError(context.getNode(), error, request.itemIndex);
	}
	return { resent };
}
