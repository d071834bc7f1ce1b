'use strict';
// Lets a benchmark require the TypeScript sources directly: each .ts file is transpiled on load
// (no type check, no build needed).
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
	const source = fs.readFileSync(filename, 'utf8');
	const { outputText } = ts.transpileModule(source, {
		fileName: filename,
		compilerOptions: {
			module: ts.ModuleKind.CommonJS,
			target: ts.ScriptTarget.ES2022,
			esModuleInterop: true,
		},
	});
	/** @type {any} */ (module)._compile(outputText, filename);
};
