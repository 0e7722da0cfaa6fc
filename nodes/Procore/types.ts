/**
 * Types shared by the router, the operations and their helpers. Living here, apart from the
 * router, they let a helper name the run context without importing the code that runs it.
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { ProcoreConnection } from './transport';

/** Every resource of the node and its operations. Adding one here without code fails to compile. */
export interface ProcoreResourceMap {
	image: 'create' | 'get' | 'getMany' | 'download' | 'update' | 'delete';
	album: 'create' | 'get' | 'getMany' | 'update' | 'delete' | 'getOrCreate';
}

export type ProcoreResource = keyof ProcoreResourceMap;

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

/** One operation for one input item; it returns that item's output items, each paired to it. */
export type Operation = (
	this: IExecuteFunctions,
	itemIndex: number,
	run: RunContext,
) => Promise<INodeExecutionData[]>;

/** The operations of every resource, typed so that a missing or misspelt one is a compile error. */
export type OperationTable = {
	[Resource in ProcoreResource]: Record<ProcoreResourceMap[Resource], Operation>;
};

/** The node-wide run options (parameter "advancedOptions"; its names are kept for saved workflows). */
export interface RunOptions {
	parallelUploads?: number;
	maxWaitSeconds?: number;
}
