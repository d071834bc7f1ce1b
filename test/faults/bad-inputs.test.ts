/** Prints the bad-input table (bad-inputs.ts) and holds every row to its rules; part of `npm run faults`. */
import { runBadInputTable, type BadInputResult } from './bad-inputs';
import { formatBadInputs } from './report';

jest.setTimeout(300_000);

let results: BadInputResult[] = [];

beforeAll(async () => {
	results = await runBadInputTable();
});

afterAll(() => {
	process.stdout.write(`\n${formatBadInputs(results)}\n`);
});

test('the table has at least 60 bad inputs, each failing its own item with an EINPUT error', () => {
	expect(
		results.filter((row) => !row.label.startsWith('(accepted)')).length,
	).toBeGreaterThanOrEqual(60);
	expect(results.filter((row) => row.field).length).toBeGreaterThanOrEqual(60);
});

test('every row holds: field and value named, the other items sent, nothing crashed', () => {
	const failing = results
		.filter((row) => row.problems.length)
		.map((row) => `${row.label}: ${row.problems.join('; ')}`);
	expect(failing).toEqual([]);
});
