/**
 * The real-n8n end-to-end test (`npm run test:e2e`): test/e2e/*.e2e.ts, one file per part, run one
 * after another in this process. The global setup installs the pinned n8n once and builds and packs
 * the package once (or takes the tarball E2E_TARBALL names); the seeded-secret check runs last.
 * `npm run test:e2e -- -t "MSC channel"` runs one part; KEEP_TMP=1 keeps the run's folder.
 */
module.exports = {
	testEnvironment: 'node',
	rootDir: __dirname,
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['**/*.e2e.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
	globalSetup: '<rootDir>/scripts/lib/e2e-global-setup.js',
	globalTeardown: '<rootDir>/scripts/lib/e2e-global-teardown.js',
	testSequencer: '<rootDir>/scripts/lib/e2e-sequencer.js',
	maxWorkers: 1,
	testTimeout: 10 * 60 * 1000,
	verbose: true,
};
