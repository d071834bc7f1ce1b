/** Unit, integration and in-process workflow tests. The real-n8n end-to-end test is `npm run test:e2e`. */
module.exports = {
	preset: 'ts-jest',
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
	testTimeout: 30000,
	setupFilesAfterEnv: ['<rootDir>/test/support/isolate.ts'],
};
