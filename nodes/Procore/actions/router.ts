import type { IExecuteFunctions, INodeExecutionData, INodeParameterResourceLocator } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { idFromLocator } from '../helpers/locators';
import { getConnection, type ProcoreConnection } from '../transport';
import { asNodeError } from '../transport/errors';
import * as image from './image/Image.resource';

/** What the items of one execution share: the connection, resolved IDs, caches. */
export interface RunContext {
	connection: ProcoreConnection;
	companyId(itemIndex: number): string;
	projectId(itemIndex: number): string;
	/** A per-execution memo, so lookups such as an album by name happen once, not once per item. */
	memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
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

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const execute = OPERATIONS[`${resource}:${operation}`];
	if (!execute) {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" on "${resource}" is not supported`);
	}
	const run = createRunContext(this, await getConnection(this));
	const returnData: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			returnData.push(...(await execute.call(this, itemIndex, run)));
		} catch (error) {
			if (!this.continueOnFail()) throw asNodeError(this.getNode(), error, itemIndex);
			returnData.push({
				json: { error: error.message, ...(error.description ? { description: error.description } : {}) },
				pairedItem: { item: itemIndex },
			});
		}
	}
	return [returnData];
}
