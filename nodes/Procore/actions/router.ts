import type { IExecuteFunctions, INodeExecutionData, INodeParameterResourceLocator } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { idFromLocator } from '../helpers/locators';
import { getConnection, isCredentialFailure, type ProcoreConnection } from '../transport';
import { asNodeError } from '../transport/errors';
import type { Operation, OperationTable, ProcoreResource, RunContext, RunOptions } from '../types';
import { DEFAULT_PARALLEL_ITEMS, MAX_PARALLEL_ITEMS } from './common.descriptions';
import * as album from './album/Album.resource';
import * as image from './image/Image.resource';

const OPERATIONS: OperationTable = {
	image: {
		create: image.create.execute,
		get: image.get.execute,
		getMany: image.getMany.execute,
		download: image.download.execute,
		update: image.update.execute,
		delete: image.deleteImage.execute,
	},
	album: {
		create: album.create.execute,
		get: album.get.execute,
		getMany: album.getMany.execute,
		update: album.update.execute,
		delete: album.deleteAlbum.execute,
		getOrCreate: album.getOrCreate.execute,
	},
};

function operationFor(resource: string, operation: string): Operation | undefined {
	if (!Object.prototype.hasOwnProperty.call(OPERATIONS, resource)) return undefined;
	const table = OPERATIONS[resource as ProcoreResource] as Record<string, Operation>;
	return Object.prototype.hasOwnProperty.call(table, operation) ? table[operation] : undefined;
}

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

interface ItemFailure {
	error: unknown;
	itemIndex: number;
}

/** Parallel Items as a whole number within its bounds, whatever an expression gave. */
function parallelItems(options: RunOptions): number {
	const asked = Math.floor(Number(options.parallelUploads ?? DEFAULT_PARALLEL_ITEMS));
	return Math.min(MAX_PARALLEL_ITEMS, Math.max(1, asked || 1));
}

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const execute = operationFor(resource, operation);
	if (!execute) {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" on "${resource}" is not supported`);
	}
	const options = this.getNodeParameter('advancedOptions', 0, {}) as RunOptions;
	const parallel = parallelItems(options);
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
