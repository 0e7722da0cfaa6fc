import type { ILoadOptionsFunctions } from 'n8n-workflow';

import { procoreRequest, type ProcoreConnection } from '../transport';
import { isWebHostOf } from '../transport/environments';
import { procorePath } from '../transport/paths';

/** How long a company's web address is trusted before it is asked again. */
const CACHE_MS = 10 * 60 * 1000;
const cache = new Map<string, { origin: string; until: number }>();

/** The environment's default web origin, e.g. https://app.procore.com. */
export function defaultWebOrigin(connection: ProcoreConnection): string {
	return `https://${connection.webHosts[0]}`;
}

/**
 * Where a company's pages live in Procore's web app: its zone's web base URL
 * (GET /rest/v1.0/company_base_url, docs/procore-api.md §11 "Web hosts and regions"), such as
 * https://us02.procore.com, when Procore gives one that belongs to the credential's environment;
 * else the environment's default host. Only links shown in the pickers use it, so any failure
 * falls back quietly to the default.
 */
export async function companyWebOrigin(
	context: ILoadOptionsFunctions,
	connection: ProcoreConnection,
	companyId: string,
): Promise<string> {
	const key = `${connection.budgetKey}|${companyId}`;
	const cached = cache.get(key);
	if (cached && cached.until > Date.now()) return cached.origin;
	let origin = defaultWebOrigin(connection);
	try {
		const answer = await procoreRequest<{ web_base_url?: unknown }>(
			context,
			{
				method: 'GET',
				path: procorePath`/rest/v1.0/company_base_url`,
				companyId,
				action: "Reading the company's Procore web address",
			},
			connection,
		);
		const given = new URL(String(answer.body?.web_base_url ?? ''));
		const belongs =
			given.protocol === 'https:' &&
			(connection.environment === 'custom' || isWebHostOf(connection.environment, connection.webHosts, given.hostname));
		if (belongs) origin = given.origin;
	} catch {
		// No address from Procore: the links use the environment's default host.
	}
	cache.set(key, { origin, until: Date.now() + CACHE_MS });
	return origin;
}
