/** The soak tests only (npm run test:soak), otherwise as jest.config.js. */
const base = require('./jest.config');

module.exports = {
	...base,
	testMatch: ['**/*.soak.test.ts'],
	testPathIgnorePatterns: ['/node_modules/'],
	testTimeout: 600000,
};
