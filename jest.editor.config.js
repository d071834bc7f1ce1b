/**
 * The editor browser test (`npm run test:editor`): test/editor/*.editor.ts in Chromium (Debian's
 * /usr/bin/chromium driven by playwright-core) against a real n8n with the packed package installed
 * as a community package. The same global setup as the end-to-end test installs the pinned n8n and
 * builds and packs the package (or takes the tarball E2E_TARBALL names).
 */
module.exports = {
	testEnvironment: 'node',
	rootDir: __dirname,
	roots: ['<rootDir>/test/editor'],
	testMatch: ['**/*.editor.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
	globalSetup: '<rootDir>/scripts/lib/e2e-global-setup.js',
	globalTeardown: '<rootDir>/scripts/lib/e2e-global-teardown.js',
	maxWorkers: 1,
	testTimeout: 10 * 60 * 1000,
	verbose: true,
};
