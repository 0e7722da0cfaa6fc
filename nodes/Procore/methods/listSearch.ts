import type {
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';

import { chosenId } from '../helpers/locators';
import { companyWebOrigin, defaultWebOrigin } from '../helpers/webLinks';
import { getConnection, procoreListPage, type ProcoreConnection } from '../transport';
import { procorePath, type ProcorePath } from '../transport/paths';

const PAGE_SIZE = 100;
/**
 * When the user types a filter, read ahead up to this many pages so a page of matches is rarely
 * empty, yet the list answers within seconds; the list's pagination token carries on from there.
 */
const FILTER_READ_AHEAD_PAGES = 3;

interface NamedRecord {
	id: number;
	name?: string;
	display_name?: string;
	project_number?: string | null;
}

function matches(record: NamedRecord, filter: string | undefined): boolean {
	if (!filter) return true;
	const needle = filter.toLowerCase();
	return [record.name, record.display_name, record.project_number, String(record.id)].some(
		(field) => typeof field === 'string' && field.toLowerCase().includes(needle),
	);
}

/**
 * Pages through a Procore list from `startPage`, keeping the records that match the filter.
 * Filtering happens here, on names, so it behaves the same on every Procore list endpoint.
 */
async function searchPages(
	context: ILoadOptionsFunctions,
	request: { path: ProcorePath; qs?: Record<string, string>; companyId?: string },
	connection: ProcoreConnection,
	filter: string | undefined,
	startPage: number,
	toItem: (record: NamedRecord) => INodeListSearchItems,
): Promise<INodeListSearchResult> {
	const results: INodeListSearchItems[] = [];
	let page: number | undefined = startPage;
	let pagesRead = 0;
	while (page !== undefined && pagesRead < (filter ? FILTER_READ_AHEAD_PAGES : 1)) {
		const result: { items: NamedRecord[]; nextPage?: number } = await procoreListPage<NamedRecord>(
			context,
			{ method: 'GET', ...request, page, perPage: PAGE_SIZE, action: 'Listing from Procore' },
			connection,
		);
		results.push(...result.items.filter((record) => matches(record, filter)).map(toItem));
		page = result.nextPage;
		pagesRead++;
		if (results.length >= PAGE_SIZE) break;
	}
	return { results, paginationToken: page === undefined ? undefined : String(page) };
}

/** A picker's connection: it goes before batch requests and never waits long (see INTERACTIVE_TIMEOUT_MS). */
async function pickerConnection(context: ILoadOptionsFunctions): Promise<ProcoreConnection> {
	return await getConnection(context, { interactive: true });
}

/** The connection, company and project a project-level picker lists from. */
async function projectScope(context: ILoadOptionsFunctions) {
	const connection = await pickerConnection(context);
	return {
		connection,
		companyId: chosenId(context, 'company', connection),
		projectId: chosenId(context, 'project', connection),
	};
}

/** Companies listed at once whose own web addresses are asked for their links. */
const MAX_COMPANY_ADDRESSES_ASKED = 10;

export async function searchCompanies(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string | number,
): Promise<INodeListSearchResult> {
	const connection = await pickerConnection(this);
	const found = await searchPages(
		this,
		// Service accounts must send a company even here; the credential's Company ID serves (docs/procore-api.md §1.5).
		{ path: procorePath`/rest/v1.0/companies`, companyId: connection.credentialCompanyId },
		connection,
		filter,
		Number(paginationToken) || 1,
		(company) => ({ name: company.name ?? `Company ${company.id}`, value: String(company.id) }),
	);
	// Each company's link goes to its own zone's web host. Asking costs a request per company, so
	// only a short list is asked (answers are kept for minutes); longer lists link the default host.
	const ask = found.results.length <= MAX_COMPANY_ADDRESSES_ASKED;
	await Promise.all(
		found.results.map(async (company) => {
			const origin = ask
				? await companyWebOrigin(this, connection, String(company.value))
				: defaultWebOrigin(connection);
			company.url = `${origin}/${company.value}/company/home`;
		}),
	);
	return found;
}

export async function searchProjects(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string | number,
): Promise<INodeListSearchResult> {
	const connection = await pickerConnection(this);
	const companyId = chosenId(this, 'company', connection);
	const origin = await companyWebOrigin(this, connection, companyId);
	return await searchPages(
		this,
		{ path: procorePath`/rest/v1.0/projects`, qs: { company_id: companyId }, companyId },
		connection,
		filter,
		Number(paginationToken) || 1,
		(project) => ({
			name: project.display_name || project.name || `Project ${project.id}`,
			value: String(project.id),
			url: `${origin}/${project.id}/project/home`,
		}),
	);
}

export async function searchAlbums(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string | number,
): Promise<INodeListSearchResult> {
	const { connection, companyId, projectId } = await projectScope(this);
	return await searchPages(
		this,
		{ path: procorePath`/rest/v1.0/image_categories`, qs: { project_id: projectId }, companyId },
		connection,
		filter,
		Number(paginationToken) || 1,
		(album) => ({ name: album.name ?? `Album ${album.id}`, value: String(album.id) }),
	);
}

export async function searchLocations(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string | number,
): Promise<INodeListSearchResult> {
	const { connection, companyId, projectId } = await projectScope(this);
	return await searchPages(
		this,
		{ path: procorePath`/rest/v1.0/projects/${projectId}/locations`, companyId },
		connection,
		filter,
		Number(paginationToken) || 1,
		// Procore's location name is the full path, e.g. "Building A>Level 2".
		(location) => ({ name: (location.name ?? `Location ${location.id}`).replace(/\s*>\s*/g, ' > '), value: String(location.id) }),
	);
}

interface ImageRecord {
	id: number;
	filename?: string;
	taken_at?: string | null;
	created_at?: string;
}

/**
 * Photos of the chosen project, newest first. Typed text goes to Procore as `filters[query]`
 * (docs/procore-api.md §6.2), so the search covers every photo, not only the pages read so far.
 */
export async function searchImages(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string | number,
): Promise<INodeListSearchResult> {
	const { connection, companyId, projectId } = await projectScope(this);
	const query = filter?.trim();
	const page = Number(paginationToken) || 1;
	const result = await procoreListPage<ImageRecord>(
		this,
		{
			method: 'GET',
			path: procorePath`/rest/v1.0/images`,
			qs: { project_id: projectId, sort: '-created_at', ...(query ? { 'filters[query]': query } : {}) },
			companyId,
			page,
			perPage: PAGE_SIZE,
			action: "Listing the project's photos",
		},
		connection,
	);
	return {
		results: result.items.map((image) => {
			// The day the photo was taken when Procore knows it, else the day it was uploaded.
			const day = (image.taken_at || image.created_at || '').slice(0, 10);
			const name = image.filename || `Image ${image.id}`;
			return { name: day ? `${name} (${day})` : name, value: String(image.id) };
		}),
		paginationToken: result.nextPage === undefined ? undefined : String(result.nextPage),
	};
}
