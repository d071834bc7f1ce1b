/**
 * n8n's own lint rules for community packages: the package.json rules, the credential rules and
 * the node rules, with zero warnings allowed (see the "lint" script).
 * @type {import('@types/eslint').ESLint.ConfigData}
 */
module.exports = {
	root: true,
	env: { browser: true, es6: true, node: true },
	parser: '@typescript-eslint/parser',
	parserOptions: {
		project: ['./tsconfig.json'],
		sourceType: 'module',
		extraFileExtensions: ['.json'],
	},
	ignorePatterns: ['/*.js', '**/node_modules/**', '**/dist/**', 'test/**/*.js'],
	overrides: [
		{
			// Scripts, benchmarks and CI checks: plain JavaScript, type-checked by tsconfig.scripts.json
			// (`npm run typecheck`) and linted here.
			files: ['./scripts/**/*.js', './bench/**/*.js', './.ci/*.js'],
			parserOptions: { project: ['./tsconfig.scripts.json'], sourceType: 'script' },
			extends: ['eslint:recommended'],
			rules: {
				'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
				'no-empty': ['error', { allowEmptyCatch: true }],
			},
		},
		{
			files: ['package.json'],
			plugins: ['eslint-plugin-n8n-nodes-base'],
			extends: ['plugin:n8n-nodes-base/community'],
			rules: { 'n8n-nodes-base/community-package-json-name-still-default': 'off' },
		},
		{
			files: ['./credentials/**/*.ts'],
			plugins: ['eslint-plugin-n8n-nodes-base'],
			extends: ['plugin:n8n-nodes-base/credentials'],
			rules: {
				// The rule's own documentation: "Only applicable to nodes in the main repository", where
				// documentation URLs are slugs; a community package links a full URL.
				'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
			},
		},
		{
			files: ['./nodes/**/*.ts'],
			plugins: ['eslint-plugin-n8n-nodes-base'],
			extends: ['plugin:n8n-nodes-base/nodes'],
		},
		{
			// The core is n8n-free: the delivery model, messages, the bounce engine, failure records.
			// The MSC sandbox (a server of its own) may build on the core only, never on node internals.
			files: ['./core/**/*.ts', './sandbox/**/*.ts'],
			rules: {
				'no-restricted-imports': [
					'error',
					{
						patterns: [
							{ group: ['n8n-workflow', 'n8n-workflow/*', 'n8n-core', 'n8n-core/*', '@n8n/*'], message: 'The core and the sandbox are n8n-free.' },
							{ group: ['**/nodes/**', '**/credentials/**'], message: 'Build on core/, not on node internals.' },
						],
					},
				],
			},
		},
		{
			// Anyone can mail the mailboxes the bounce engine reads: no pattern in the core may take
			// super-linear time on hostile text (this replaced timing assertions in unit tests).
			files: ['./core/**/*.ts'],
			plugins: ['regexp'],
			rules: {
				'regexp/no-super-linear-backtracking': 'error',
				'regexp/no-super-linear-move': 'error',
				'regexp/no-misleading-capturing-group': 'error',
				'regexp/no-invalid-regexp': 'error',
				'regexp/no-useless-backreference': 'error',
				'regexp/no-potentially-useless-backreference': 'error',
			},
		},
		{
			// Size limits a reader can hold: no file over 350 lines, no line over 140 characters
			// (tabs count as one). The generated API types are exempt.
			files: ['./core/**', './nodes/**', './credentials/**', './sandbox/**', './scripts/**', './bench/**', './.ci/*.js'],
			excludedFiles: ['./core/msc-api.ts'],
			rules: {
				'max-len': ['error', { code: 140, tabWidth: 1 }],
				'max-lines': ['error', { max: 350, skipBlankLines: false, skipComments: false }],
			},
		},
	],
};
