/** Holds every fault scenario to the acceptance rule (see types.ts); `npm run faults` prints the table. */
import { loadScenarios, scenarioFiles } from './index';
import { rowProblems, type FaultScenario } from './types';

jest.setTimeout(180_000);

let scenarios: FaultScenario[] = [];

beforeAll(async () => {
	scenarios = await loadScenarios();
});

test('the matrix covers at least 30 scenarios across every area', () => {
	expect(scenarios.length).toBeGreaterThanOrEqual(30);
	const areas = new Set(scenarios.map((scenario) => scenario.area));
	for (const area of ['smtp', 'gmail', 'msc', 'imap']) expect(areas).toContain(area);
	expect(scenarioFiles.length).toBeGreaterThan(0);
});

test('every scenario: one outcome per item, no duplicate, nothing lost, every sent confirmed', async () => {
	const failures: string[] = [];
	for (const scenario of scenarios) {
		const row = await scenario.run();
		const problems = rowProblems(row);
		if (problems.length) failures.push(`${scenario.area} / ${scenario.name}: ${problems.join('; ')}`);
	}
	expect(failures).toEqual([]);
});
