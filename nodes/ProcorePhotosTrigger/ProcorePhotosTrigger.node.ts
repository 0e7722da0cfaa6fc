import type {
	IDataObject,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { companyLocator, projectLocator } from '../Procore/actions/common.descriptions';
import { procoreDateTime } from '../Procore/helpers/dateTimes';
import { listSearch } from '../Procore/methods';
import {
	CREDENTIAL_TYPE,
	getConnection,
	isCredentialFailure,
	procoreListAll,
	procoreListPage,
	procoreRequest,
	type ProcoreConnection,
} from '../Procore/transport';
import { asNodeError, headerValue } from '../Procore/transport/errors';
import { procorePath } from '../Procore/transport/paths';
import { asProcoreContext, chosenScope, downloadPhoto } from '../ProcoreTrigger/records';

type Watch = 'new' | 'newOrUpdated';

/** What the node remembers between polls, in the workflow's static data for this node. */
interface PollState {
	/** The company and project the cursor belongs to; another Company or Project starts afresh. */
	companyId?: string;
	projectId?: string;
	/** Which field the cursor is on; a change of Trigger On starts afresh. */
	field?: 'created_at' | 'updated_at';
	/** When the trigger started (Procore's clock, whole seconds): older photos are never news. */
	since?: string;
	/** The second (YYYY-MM-DDTHH:MM:SSZ) of the newest photo seen so far. */
	cursor?: string;
	/**
	 * Photos already given out (or there at the start) whose time is within LOOK_BACK_MS of the
	 * cursor, as `id@timestamp`: the next poll asks for that window again and skips exactly these.
	 */
	seen?: string[];
}

/**
 * How far before the newest photo each poll looks again. Photos of the same second as the newest
 * may arrive after a poll, and a list may show a photo a little after a newer one (a search index
 * that lags, the emulator's `listLagMs` reading, docs/procore-api.md §11): both are caught if they show
 * within this window. Procore documents no bound for that lag.
 */
const LOOK_BACK_MS = 120_000;

/** The part of n8n's poll budget the downloads may use; the rest is for the answer and margins. */
const BUDGET_SHARE = 0.6;

const DAY_MS = 24 * 60 * 60 * 1000;

export class ProcorePhotosTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Procore Photos Trigger',
		name: 'procorePhotosTrigger',
		icon: { light: 'file:procore.svg', dark: 'file:procore.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["triggerOn"] === "new" ? "New photos" : "New or updated photos"}}',
		description: 'Starts the workflow when photos are added to (or changed in) a Procore project, by asking Procore regularly',
		defaults: { name: 'Procore Photos Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_TYPE, required: true }],
		properties: [
			companyLocator,
			projectLocator,
			{
				displayName: 'Trigger On',
				name: 'triggerOn',
				type: 'options',
				options: [
					{ name: 'New Photos', value: 'new', description: 'Photos added to the project since the last poll' },
					{
						name: 'New or Updated Photos',
						value: 'newOrUpdated',
						description: 'Photos added or changed (name, album, location...) since the last poll',
					},
				],
				default: 'new',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Download the Photo',
						name: 'downloadPhoto',
						type: 'boolean',
						default: false,
						description: 'Whether to add the photo file to each output item as binary data',
					},
					{
						displayName: 'Put Output File in Field',
						name: 'binaryPropertyName',
						type: 'string',
						default: 'data',
						description: 'Name of the binary field that receives the photo when Download the Photo is on',
					},
				],
			},
		],
	};

	methods = { listSearch };

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		// n8n gives a poll a time budget (getPollBudgetMs, 5 min by default); downloads stop well
		// before it runs out and the photos left over come with the next poll.
		const budgetMs = typeof this.getPollBudgetMs === 'function' ? this.getPollBudgetMs() : 5 * 60_000;
		const stopDownloadsAt = Date.now() + budgetMs * BUDGET_SHARE;
		const node = this.getNode();
		const connection = await getConnection(asProcoreContext(this));
		const { companyId, projectId } = chosenScope(this, connection);
		const watch = this.getNodeParameter('triggerOn', 'new') as Watch;
		const options = this.getNodeParameter('options', {}) as { downloadPhoto?: boolean; binaryPropertyName?: string };
		const field = watch === 'new' ? 'created_at' : 'updated_at';
		const state = this.getWorkflowStaticData('node') as PollState;
		const list = {
			method: 'GET' as const,
			path: procorePath`/rest/v1.0/images`,
			companyId,
			action: `Listing the photos of project ${projectId}`,
			explain: {
				403: "Procore refused access: listing photos needs at least 'Read Only' on the project's Photos tool, and the app must be installed in this company.",
				404: `Procore has no project ${projectId} that this user may see. Check the Project.`,
			},
		};

		if (this.getMode() === 'manual') {
			// "Fetch Test Event": the newest photo, so the user sees what the node outputs. The
			// cursor stays as it is.
			const newest = await procoreListPage<IDataObject>(
				asProcoreContext(this),
				{ ...list, qs: { project_id: projectId, sort: '-created_at' }, page: 1, perPage: 1 },
				connection,
			);
			if (newest.items.length === 0) {
				throw new NodeOperationError(node, `Project ${projectId} has no photos yet`, {
					description: 'Add a photo to the project in Procore, then fetch a test event again.',
				});
			}
			return [await outputFor(this, newest.items, { companyId, projectId, connection, options })];
		}

		const until = (now: number) => procoreDateTime(now + DAY_MS);
		const listFrom = async (from: string, now: number) =>
			await procoreListAll<IDataObject>(
				asProcoreContext(this),
				{ ...list, qs: { project_id: projectId, [`filters[${field}]`]: `${from}...${until(now)}`, sort: 'created_at' } },
				{ perPage: 100 },
				connection,
			);
		const timeOf = (photo: IDataObject) => Date.parse(String(photo[field]));
		const secondOf = (photo: IDataObject) => Math.floor(timeOf(photo) / 1000) * 1000;
		const keyOf = (photo: IDataObject) => `${String(photo.id)}@${String(photo[field])}`;

		// Another project's cursor says nothing about this one: its photos since the start would all
		// come out as new, so a change of Company or Project starts afresh, as a change of field does.
		const moved = state.field !== field || state.companyId !== companyId || state.projectId !== projectId;
		if (!state.cursor || !state.since || moved) {
			// The first poll after activation only marks where to start: the photos already there are
			// not news. The mark is Procore's "now" (its Date header), so that its clock, not this
			// machine's, decides what is newer; photos already in the look-back window are remembered.
			const probe = await procoreRequest<IDataObject[]>(
				asProcoreContext(this),
				{ ...list, qs: { project_id: projectId, page: 1, per_page: 1 } },
				connection,
			);
			const serverNow = Date.parse(headerValue(probe.headers, 'date') ?? '');
			const now = Number.isFinite(serverNow) ? serverNow : Date.now();
			const mark = Math.floor(now / 1000) * 1000;
			const already = (await listFrom(procoreDateTime(mark - LOOK_BACK_MS), now)).filter((photo) => Number.isFinite(timeOf(photo)));
			const cursor = Math.max(mark, ...already.map(secondOf));
			state.companyId = companyId;
			state.projectId = projectId;
			state.field = field;
			state.since = procoreDateTime(mark);
			state.cursor = procoreDateTime(cursor);
			state.seen = already.filter((photo) => secondOf(photo) >= cursor - LOOK_BACK_MS).map(keyOf);
			return null;
		}

		const sinceMs = Date.parse(state.since);
		const cursorMs = Date.parse(state.cursor);
		const seen = new Set(state.seen ?? []);
		const from = Math.max(sinceMs, cursorMs - LOOK_BACK_MS);
		const fresh = (await listFrom(procoreDateTime(from), Date.now()))
			.filter((photo) => Number.isFinite(timeOf(photo)) && secondOf(photo) >= sinceMs && !seen.has(keyOf(photo)))
			.sort((a, b) => timeOf(a) - timeOf(b) || Number(a.id) - Number(b.id));
		if (fresh.length === 0) return null;

		const items = await outputFor(this, fresh, { companyId, projectId, connection, options, stopDownloadsAt });
		// Only the photos given out move the cursor: the ones left over (out of time) are newer than
		// all of them, so the next poll's window holds them, and they are not in `seen`.
		const given = fresh.slice(0, items.length);
		const newCursor = Math.max(cursorMs, ...given.map(secondOf));
		const secondOfKey = (key: string) => Math.floor(Date.parse(key.slice(key.indexOf('@') + 1)) / 1000) * 1000;
		state.seen = [...seen, ...given.map(keyOf)].filter((key) => secondOfKey(key) >= newCursor - LOOK_BACK_MS);
		state.cursor = procoreDateTime(newCursor);
		return [items];
	}
}

/** One output item per photo; with Download the Photo, its file as binary data. */
async function outputFor(
	context: IPollFunctions,
	photos: IDataObject[],
	request: {
		companyId: string;
		projectId: string;
		connection: ProcoreConnection;
		options: { downloadPhoto?: boolean; binaryPropertyName?: string };
		/** After this time no further download starts (at least one photo is always given out). */
		stopDownloadsAt?: number;
	},
): Promise<INodeExecutionData[]> {
	const { companyId, projectId, connection, options } = request;
	if (!options.downloadPhoto) return photos.map((photo) => ({ json: photo }));
	const field = (options.binaryPropertyName ?? '').trim() || 'data';
	const items: INodeExecutionData[] = [];
	for (const photo of photos) {
		if (items.length > 0 && request.stopDownloadsAt !== undefined && Date.now() > request.stopDownloadsAt) break;
		let file: Awaited<ReturnType<typeof downloadPhoto>>;
		try {
			file = await downloadPhoto(context, connection, { companyId, projectId, imageId: String(photo.id) });
		} catch (error) {
			// A credential that no longer works fails every photo alike: the poll fails, so n8n shows it.
			if (isCredentialFailure(error)) throw asNodeError(context.getNode(), error);
			// A file that cannot be had (storage refusing it, a transfer broken off twice) would fail
			// every poll at this photo, and the cursor would never pass it: the photo comes without its
			// file, says why, and the photos after it still come. The transport's errors hold no token
			// or signed URL, so their message and description can go into the item.
			items.push({ json: { ...photo, downloadError: failureOf(error) } });
			continue;
		}
		// A photo deleted between the list and the download is output without a file, and says so.
		items.push(file ? { json: file.image, binary: { [field]: file.binary } } : { json: { ...photo, deleted: true } });
	}
	return items;
}

/** What went wrong, as the Procore Trigger's `fetchError`: the message and, when there is one, the advice. */
function failureOf(error: unknown): IDataObject {
	const failure = error as { message?: string; description?: string | null };
	return {
		message: failure.message ?? String(error),
		...(failure.description ? { description: failure.description } : {}),
	};
}
