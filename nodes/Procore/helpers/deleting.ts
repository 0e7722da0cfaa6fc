import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { RunContext } from '../types';
import { procoreRequest, type ProcoreRequest } from '../transport';
import { asNodeError, httpStatusOf, type StatusAdvice } from '../transport/errors';
import type { ProcorePath } from '../transport/paths';

/**
 * Sends a DELETE, and sends it again after a lost answer (500, 502, 504, a dropped connection):
 * deleting what is already deleted ends in the same state, so a second send is safe. But when the
 * first send did delete the record, the second one finds nothing and Procore answers 404
 * (docs/procore-api.md §5: 404 = no such record). That 404 means "done", not "failed", so it is
 * accepted only from a re-sent request; a 404 to the first send is the user's error and is raised.
 *
 * The transport's `recover` is where a lost answer surfaces, so the re-send happens there, and is
 * then retried like any repeatable request.
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
): Promise<void> {
	const deletion: ProcoreRequest = { method: 'DELETE', ...request };
	await procoreRequest(
		context,
		{
			...deletion,
			retry: 'once',
			recover: async () => {
				try {
					return await procoreRequest(context, { ...deletion, retry: 'repeatable' }, run.connection);
				} catch (error) {
					if (httpStatusOf(error) === 404) return { body: undefined, headers: {}, statusCode: 404 };
					throw asNodeError(context.getNode(), error, request.itemIndex);
				}
			},
		},
		run.connection,
	);
}
