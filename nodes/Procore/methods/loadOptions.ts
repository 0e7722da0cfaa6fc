import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { chosenId } from '../helpers/locators';
import { getConnection, procoreListAll } from '../transport';
import { procorePath } from '../transport/paths';

interface Trade {
	id: number;
	name: string;
	active?: boolean;
}

/** The company's active trades, for the Trades multi-select. */
export async function getTrades(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const connection = await getConnection(this, { interactive: true });
	const companyId = chosenId(this, 'company', connection);
	const trades = await procoreListAll<Trade>(
		this,
		{
			method: 'GET',
			path: procorePath`/rest/v1.0/companies/${companyId}/trades`,
			qs: { 'filters[active]': 'true' },
			companyId,
			action: 'Listing the company\'s trades',
		},
		{ perPage: 300 },
		connection,
	);
	return trades
		.filter((trade) => trade.active !== false)
		.map((trade) => ({ name: trade.name, value: String(trade.id) }))
		.sort((a, b) => a.name.localeCompare(b.name));
}
