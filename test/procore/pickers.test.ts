import { runListSearch, runLoadOptions } from '../engine';
import {
	ACME,
	BETA,
	HARBOR_TOWER,
	procoreCredential,
	procoreNode,
	rl,
	serviceAccount,
	userLogin,
	useEmulator,
} from './fixtures';

const emu = useEmulator();

const pick = (parameters: Record<string, unknown>, credentials = userLogin(emu)) => ({
	nodeType: procoreNode,
	credentialTypes: [procoreCredential],
	credentials: { procoreOAuth2Api: credentials as never },
	parameters: { resource: 'image', operation: 'create', ...parameters } as never,
});

describe('Company picker', () => {
	test('lists the user’s companies, with links to Procore, and searches by name', async () => {
		const all = await runListSearch('searchCompanies', pick({}));
		expect(all.results.map((company) => company.value)).toEqual(expect.arrayContaining([ACME, BETA]));
		expect(all.results.find((company) => company.value === ACME)).toMatchObject({
			name: 'Acme Construction',
			// Acme lives on a regional host (GET /rest/v1.0/company_base_url).
			url: `https://us02.procore.com/${ACME}/company/home`,
		});
		const beta = await runListSearch('searchCompanies', { ...pick({}), filter: 'beta' });
		expect(beta.results.map((company) => company.name)).toEqual(['Beta Builders']);
	});

	test('a service account sends the credential’s Company ID even here', async () => {
		const companies = await runListSearch('searchCompanies', pick({}, serviceAccount(emu)));
		expect(companies.results.map((company) => company.value)).toContain(ACME);
		const call = emu.requests.find((request) => request.path === '/rest/v1.0/companies');
		expect(call?.headers['procore-company-id']).toBe(ACME);
	});
});

describe('Project picker: Procore pagination', () => {
	test('pages through 230 projects, 100 at a time, with the company header on every call', async () => {
		const parameters = { companyId: rl(BETA, 'list') };
		const first = await runListSearch('searchProjects', pick(parameters));
		expect(first.results).toHaveLength(100);
		expect(first.paginationToken).toBe('2');
		const second = await runListSearch('searchProjects', { ...pick(parameters), paginationToken: '2' });
		const third = await runListSearch('searchProjects', { ...pick(parameters), paginationToken: '3' });
		expect(third.results).toHaveLength(30);
		expect(third.paginationToken).toBeUndefined();
		const ids = new Set([...first.results, ...second.results, ...third.results].map((project) => project.value));
		expect(ids.size).toBe(230);
		const calls = emu.requests.filter((request) => request.path === '/rest/v1.0/projects');
		expect(calls.map((call) => call.query.page)).toEqual(['1', '2', '3']);
		expect(calls.every((call) => call.headers['procore-company-id'] === BETA && call.query.company_id === BETA)).toBe(true);
	});

	test('a search reads ahead across pages', async () => {
		const found = await runListSearch('searchProjects', { ...pick({ companyId: rl(BETA) }), filter: 'Project 22' });
		expect(found.results.map((project) => project.name)).toEqual(
			// Procore's display name: project number, then name.
			Array.from({ length: 10 }, (_, index) => `BP-${220 + index} - Beta Project ${220 + index}`),
		);
	});

	test('the company may be given by URL', async () => {
		const projects = await runListSearch(
			'searchProjects',
			pick({ companyId: rl(`${emu.apiUrl}/${ACME}/company/home`, 'url') }),
		);
		expect(projects.results.map((project) => project.name)).toEqual(['HT-001 - Harbor Tower', 'RC-002 - Riverside Clinic']);
	});

	test.each([
		['another host', 'https://evil.example.com/1001/company/home', /not Procore in the credential's environment/],
		['no company in it', '__API__/2001/project/home', /No company ID found in the URL/],
		['not a URL', 'acme', /is not a web address/],
	])('a malformed company URL (%s) is a clear error, not a crash', async (_label, url, message) => {
		await expect(
			runListSearch('searchProjects', pick({ companyId: rl(url.replace('__API__', emu.apiUrl), 'url') })),
		).rejects.toThrow(message);
		expect(emu.requests.filter((request) => request.listener === 'api')).toHaveLength(0);
	});

	test('no company chosen yet', async () => {
		await expect(runListSearch('searchProjects', pick({ companyId: rl('', 'list') }))).rejects.toThrow('No company chosen');
	});
});

describe('Album, Location and Trade pickers', () => {
	const inHarborTower = { companyId: rl(ACME), projectId: rl(HARBOR_TOWER) };

	test('albums of the project', async () => {
		const albums = await runListSearch('searchAlbums', pick(inHarborTower));
		expect(albums.results.map((album) => album.name)).toEqual(['Unclassified', 'Site Progress', 'Safety Walks']);
	});

	test('locations of the project, shown as paths, searchable', async () => {
		const locations = await runListSearch('searchLocations', { ...pick(inHarborTower), filter: 'level' });
		expect(locations.results).toEqual([{ name: 'Building A > Level 2', value: '6002' }]);
	});

	test('active trades of the company, sorted', async () => {
		const trades = await runLoadOptions('getTrades', pick(inHarborTower));
		expect(trades.map((trade) => trade.name)).toEqual(['Concrete', 'Drywall', 'Electrical', 'Plumbing']);
	});

	test('Procore’s refusal reaches the user: photos disabled in a project', async () => {
		await expect(
			runListSearch('searchAlbums', pick({ companyId: rl(ACME), projectId: rl('2002') })),
		).rejects.toThrow(/Procore refused access \(403\)/);
	});
});
