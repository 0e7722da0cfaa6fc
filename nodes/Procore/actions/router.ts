import type { IExecuteFunctions, INodeExecutionData, INodeParameterResourceLocator } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { idFromLocator } from '../helpers/locators';
import { getConnection, isCredentialFailure, type ProcoreConnection } from '../transport';
import { asNodeError } from '../transport/errors';
import * as image from './image/Image.resource';

/** What the items of one execution share: the connection, resolved IDs, caches. */
export interface RunContext {
	connection: ProcoreConnection;
	companyId(itemIndex: number): string;
	projectId(itemIndex: number): string;
	/** A per-execution memo, so lookups such as an album by name happen once, not once per item. */
	memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
	/** IDs of the records this run has created or claimed, so a recovery never claims one twice. */
	claimed: Set<number>;
}

type Operation = (
	this: IExecuteFunctions,
	itemIndex: number,
	run: RunContext,
) => Promise<INodeExecutionData[]>;

const OPERATIONS: Record<string, Operation> = {
	'image:create': image.create.execute,
};

export function createRunContext(context: IExecuteFunctions, connection: ProcoreConnection): RunContext {
	const memos = new Map<string, Promise<unknown>>();
	const locator = (name: string, itemIndex: number) =>
		context.getNodeParameter(name, itemIndex) as INodeParameterResourceLocator;
	return {
		connection,
		companyId: (itemIndex) =>
			idFromLocator(context.getNode(), 'company', locator('companyId', itemIndex), connection, itemIndex),
		projectId: (itemIndex) =>
			idFromLocator(context.getNode(), 'project', locator('projectId', itemIndex), connection, itemIndex),
		claimed: new Set<number>(),
		memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
			let pending = memos.get(key);
			if (!pending) {
				pending = compute();
				// A failed lookup is not remembered: the next item may try again.
				pending.catch(() => memos.delete(key));
				memos.set(key, pending);
			}
			return pending as Promise<T>;
		},
	};
}

/** Items in flight at once when the user does not say; see the README's benchmark for why. */
export const DEFAULT_PARALLEL_UPLOADS = 16;
export const MAX_PARALLEL_UPLOADS = 16;

interface ItemFailure {
	error: unknown;
	itemIndex: number;
}

interface RunOptions {
	parallelUploads?: number;
	maxWaitSeconds?: number;
}

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const execute = OPERATIONS[`${resource}:${operation}`];
	if (!execute) {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" on "${resource}" is not supported`);
	}
	const options = this.getNodeParameter('advancedOptions', 0, {}) as RunOptions;
	const parallel = Math.min(
		MAX_PARALLEL_UPLOADS,
		Math.max(1, Math.floor(Number(options.parallelUploads ?? DEFAULT_PARALLEL_UPLOADS)) || 1),
	);
	const run = createRunContext(this, await getConnection(this, { maxWaitSeconds: options.maxWaitSeconds }));
	const continueOnFail = this.continueOnFail();

	// Items run `parallel` at a time; each result lands in its input's slot, so output order and
	// pairing are those of sequential processing.
	const results: INodeExecutionData[][] = new Array(items.length);
	let nextItem = 0;
	const halt: { first?: ItemFailure } = {};
	const worker = async () => {
		while (!halt.first) {
			const itemIndex = nextItem++;
			if (itemIndex >= items.length) return;
			try {
				results[itemIndex] = await execute.call(this, itemIndex, run);
			} catch (error) {
				// A broken credential fails every item alike: say it once, not once per item.
				if (!continueOnFail || isCredentialFailure(error)) {
					// Another worker may have failed meanwhile: report the earliest item, as sequential runs would.
					const earlier = halt.first as ItemFailure | undefined;
					if (!earlier || itemIndex < earlier.itemIndex) halt.first = { error, itemIndex };
					return;
				}
				results[itemIndex] = [
					{
						json: {
							error: error.message,
							...(error.description ? { description: error.description } : {}),
						},
						pairedItem: { item: itemIndex },
					},
				];
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
	if (halt.first) throw asNodeError(this.getNode(), halt.first.error, halt.first.itemIndex);
	return [results.flat()];
}
