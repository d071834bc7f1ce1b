#!/usr/bin/env node
/**
 * Parse bounce / report mails with the compiled bounce engine and print one JSON line per file:
 *   npm run -s parse-bounces -- FILE...
 * Output: {"file": "...", "kind": "...", "failures": [...], "original": {...}}, plus "truncated": true
 * when the file was larger than the engine reads (1 MiB per file, 256 KB per mail).
 * Needs the compiled output in dist/ (run `npm run build` first).
 */
'use strict';
const fs = require('fs');
const path = require('path');

const enginePath = path.resolve(__dirname, '..', 'dist/core/bounce/index.js');

async function main() {
	const files = process.argv.slice(2);
	if (files.length === 0) {
		console.error('usage: npm run -s parse-bounces -- FILE...');
		process.exit(2);
	}
	if (!fs.existsSync(enginePath)) {
		console.error(
			`The compiled bounce engine is missing (${enginePath}). Run \`npm run build\` first.`,
		);
		process.exit(2);
	}
	const { parseBounce } = require(enginePath);
	let failed = 0;
	for (const file of files) {
		let raw;
		try {
			raw = fs.readFileSync(file);
		} catch (error) {
			console.error(`${file}: ${error.message}`);
			failed++;
			continue;
		}
		const report = await parseBounce(raw);
		const line = { file, kind: report.kind, failures: report.failures, original: report.original };
		if (report.reportingMta) line.reportingMta = report.reportingMta;
		if (report.arrivalDate) line.arrivalDate = report.arrivalDate;
		if (report.problems) line.problems = report.problems;
		// The engine read only the start of this file (size caps); recipients after the cut are missing.
		if (report.truncated) line.truncated = true;
		process.stdout.write(JSON.stringify(line) + '\n');
	}
	process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
