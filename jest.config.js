/**
 * Jest drives the node through n8n-core's real execution machinery; see test/engine.
 * `npm test` leaves out the soak tests (*.soak.test.ts, minutes long): `npm run test:soak` runs them.
 */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	testPathIgnorePatterns: ['/node_modules/', '\\.soak\\.test\\.ts$'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
	},
	testTimeout: 60000,
	// The engine tests mostly wait (on Procore's stated waits, backoffs and sockets), not compute:
	// three files at once on two cores finish far sooner than one at a time.
	maxWorkers: 3,
};
