// @ts-check
'use strict';

/**
 * The emulator's in-memory data and its seed. Everything is a Map keyed by id so tests can read
 * and change it directly (`emu.state.projects.get(2001).photosEnabled = false`).
 */

const SEED_TIME = '2024-01-15T08:00:00Z';

const SEED = {
	clientId: 'procore-test-client',
	clientSecret: 'procore-test-secret',
	/** A second registered client without a service account, for "issued to another client" cases. */
	otherClientId: 'procore-other-client',
	otherClientSecret: 'procore-other-secret',
	userId: 3001,
	otherUserId: 3002,
	serviceAccountUserId: 3900,
	companies: { acme: 1001, beta: 1002, gamma: 1003 },
	projects: { harborTower: 2001, riversideClinic: 2002, oldDepot: 2003, firstBeta: 2101, secondBeta: 2102, gammaBridge: 2401 },
	betaProjectCount: 230,
};

/**
 * @typedef {{ clientId: string, clientSecret: string, name: string, redirectUris: string[], allowLoopbackRedirects?: boolean, serviceAccountUserId: number | null }} Client
 * @typedef {'read_only' | 'standard' | 'admin'} PhotosPermission
 * @typedef {{ id: number, login: string, name: string, companyIds: number[], myCompanyId: number | null, serviceAccount: boolean, photosPermission: PhotosPermission }} User
 * @typedef {{ id: number, name: string, isActive: boolean, appInstalled: boolean, permittedProjectIds: number[] | null, webBaseUrl: string }} Company
 * @typedef {{ id: number, companyId: number, name: string, projectNumber: string, active: boolean, photosEnabled: boolean, photosPrivateByDefault: boolean, disableDynamicLocationCreation: boolean, createdAt: string, updatedAt: string }} Project
 * @typedef {{ id: number, projectId: number, name: string, private: boolean, position: number, albumCoverId: number | null, isDefault: boolean, createdAt: string, updatedAt: string }} Album
 * @typedef {{ id: number, projectId: number, nodeName: string, parentId: number | null, code: string | null, createdAt: string, updatedAt: string }} Location
 * @typedef {{ id: number, companyId: number, name: string, active: boolean, updatedAt: string }} Trade
 */

function createState() {
	const state = {
		/** @type {Map<string, Client>} */ clients: new Map(),
		/** @type {Map<number, User>} */ users: new Map(),
		/** @type {Map<number, Company>} */ companies: new Map(),
		/** @type {Map<number, Project>} */ projects: new Map(),
		/** @type {Map<number, Album>} */ albums: new Map(),
		/** @type {Map<number, Location>} */ locations: new Map(),
		/** @type {Map<number, Trade>} */ trades: new Map(),
		/** @type {Map<number, any>} */ images: new Map(),
		/** @type {Map<string, any>} uuid → upload */ uploads: new Map(),
		/** @type {Map<string, any>} storage key → stored object { key, size, sha256, md5, contentType, bytes? } */ objects: new Map(),
		/** @type {Map<string, any>} */ authCodes: new Map(),
		/** @type {Map<string, any>} access token → record */ tokens: new Map(),
		/** @type {Map<string, any>} refresh token → record */ refreshTokens: new Map(),
		counters: /** @type {Record<string, number>} */ ({ project: 2500, album: 5000, location: 6000, trade: 4000, image: 9000 }),
		/** @param {string} kind */
		nextId(kind) {
			this.counters[kind] = (this.counters[kind] ?? 0) + 1;
			return this.counters[kind];
		},
	};
	seed(state);
	return state;
}

/** @param {ReturnType<typeof createState>} state */
function seed(state) {
	state.clients.set(SEED.clientId, {
		clientId: SEED.clientId,
		clientSecret: SEED.clientSecret,
		name: 'n8n Procore (emulator)',
		// Procore registers http://localhost by default (docs/procore-api.md §1.2); other loopback
		// redirects are allowed through the allowLoopbackRedirects option for tests.
		redirectUris: ['http://localhost', 'urn:ietf:wg:oauth:2.0:oob'],
		serviceAccountUserId: SEED.serviceAccountUserId,
	});
	state.clients.set(SEED.otherClientId, {
		clientId: SEED.otherClientId,
		clientSecret: SEED.otherClientSecret,
		name: 'Another app (emulator)',
		redirectUris: ['http://localhost'],
		serviceAccountUserId: null,
	});

	const companies = [
		// webBaseUrl: the zone's web host that GET /rest/v1.0/company_base_url answers (docs/procore-api.md
		// §11 "Web hosts and regions"): Acme lives on a regional host, the others on app.procore.com.
		{ id: SEED.companies.acme, name: 'Acme Construction', isActive: true, appInstalled: true, permittedProjectIds: null, webBaseUrl: 'https://us02.procore.com' },
		{ id: SEED.companies.beta, name: 'Beta Builders', isActive: true, appInstalled: true, permittedProjectIds: null, webBaseUrl: 'https://app.procore.com' },
		{ id: SEED.companies.gamma, name: 'Gamma Civil', isActive: true, appInstalled: false, permittedProjectIds: null, webBaseUrl: 'https://app.procore.com' },
	];
	for (const c of companies) state.companies.set(c.id, c);

	state.users.set(SEED.userId, {
		id: SEED.userId,
		login: 'pat.builder@example.com',
		name: 'Pat Builder',
		companyIds: [1001, 1002, 1003],
		myCompanyId: 1001,
		serviceAccount: false,
		// Admin on Photos unless a test lowers it (docs/procore-api.md §9.10, §11 "Permissions").
		photosPermission: 'admin',
	});
	state.users.set(SEED.otherUserId, {
		id: SEED.otherUserId,
		login: 'sam.viewer@example.com',
		name: 'Sam Viewer',
		companyIds: [1001],
		myCompanyId: 1001,
		serviceAccount: false,
		// Admin on Photos unless a test lowers it (docs/procore-api.md §9.10, §11 "Permissions").
		photosPermission: 'admin',
	});
	state.users.set(SEED.serviceAccountUserId, {
		id: SEED.serviceAccountUserId,
		login: 'procore-test-client@service-account.example.com',
		name: 'n8n Procore (emulator) Service Account',
		// A DMSA reaches the companies where the app is installed (docs/procore-api.md §1.3).
		companyIds: [1001, 1002],
		myCompanyId: null,
		serviceAccount: true,
		photosPermission: 'admin',
	});

	/** @param {number} companyId @param {number} id @param {string} name @param {string} number @param {Partial<Project>} [extra] */
	const addProject = (companyId, id, name, number, extra = {}) => {
		state.projects.set(id, {
			id,
			companyId,
			name,
			projectNumber: number,
			active: true,
			photosEnabled: true,
			photosPrivateByDefault: false,
			// The project setting "Disable Dynamic Location Creation" (docs/procore-api.md §11 "Locations").
			disableDynamicLocationCreation: false,
			createdAt: SEED_TIME,
			updatedAt: SEED_TIME,
			...extra,
		});
		// The first album is the project's default one. Beta Project 002's default album carries
		// another name (a Spanish-speaking account), so a client cannot find it by name.
		const defaultName = id === SEED.projects.secondBeta ? 'Sin clasificar' : 'Unclassified';
		const albums = [defaultName, 'Site Progress', ...(id === SEED.projects.harborTower ? ['Safety Walks'] : [])];
		albums.forEach((albumName, position) => {
			const albumId = state.nextId('album');
			state.albums.set(albumId, {
				id: albumId,
				projectId: id,
				name: albumName,
				private: false,
				position,
				albumCoverId: null,
				isDefault: position === 0,
				createdAt: SEED_TIME,
				updatedAt: SEED_TIME,
			});
		});
		/** @param {string} nodeName @param {number | null} parentId */
		const addLocation = (nodeName, parentId) => {
			const locationId = state.nextId('location');
			state.locations.set(locationId, { id: locationId, projectId: id, nodeName, parentId, code: null, createdAt: SEED_TIME, updatedAt: SEED_TIME });
			return locationId;
		};
		const buildingA = addLocation('Building A', null);
		addLocation('Level 2', buildingA);
		addLocation('Building B', null);
	};

	addProject(1001, SEED.projects.harborTower, 'Harbor Tower', 'HT-001');
	addProject(1001, SEED.projects.riversideClinic, 'Riverside Clinic', 'RC-002', { photosEnabled: false });
	addProject(1001, SEED.projects.oldDepot, 'Old Depot Renovation', 'OD-003', { active: false });
	for (let i = 1; i <= SEED.betaProjectCount; i++) {
		const n = String(i).padStart(3, '0');
		addProject(1002, SEED.projects.firstBeta + i - 1, `Beta Project ${n}`, `BP-${n}`);
	}
	addProject(1003, SEED.projects.gammaBridge, 'Gamma Bridge', 'GB-001');

	const tradeNames = ['Concrete', 'Electrical', 'Plumbing', 'Drywall', 'Demolition'];
	for (const company of companies) {
		for (const name of tradeNames) {
			const id = state.nextId('trade');
			state.trades.set(id, { id, companyId: company.id, name, active: name !== 'Demolition', updatedAt: SEED_TIME });
		}
	}
}

module.exports = { createState, SEED, SEED_TIME };
