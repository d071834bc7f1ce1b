/**
 * Holds every fault scenario to the acceptance rule (see types.ts) and prints the matrix
 * (`npm run faults` runs this file and the bad-input table).
 */
import { mailSystemSkipReason } from '../support/mailsystem';
import { allScenarios } from './index';
import { formatMatrix } from './report';
import { rowProblems, type FaultRow, type FaultScenario } from './types';

jest.setTimeout(120_000);

/** FAULTS_ONLY=<text> runs only the scenarios whose area or name contains it (the count check then fails). */
const only = process.env.FAULTS_ONLY;
const scenarios: FaultScenario[] = allScenarios.filter(
	(scenario) => !only || `${scenario.area} ${scenario.name}`.includes(only),
);
const rows: FaultRow[] = [];

afterAll(() => {
	process.stdout.write(`\n${formatMatrix(rows)}\n`);
});

test('the matrix covers at least 30 scenarios across every area', () => {
	expect(scenarios.length).toBeGreaterThanOrEqual(30);
	const areas = new Set(scenarios.map((scenario) => scenario.area));
	for (const area of ['smtp', 'gmail', 'msc', 'imap']) expect(areas).toContain(area);
});

describe.each(
	scenarios.map((scenario) => [`${scenario.area}: ${scenario.name}`, scenario] as const),
)('%s', (_name, scenario) => {
	// The mailbox readers' rows run against a real Dovecot (scripts/mailsystem).
	const needsMailSystem = scenario.area === 'imap' && mailSystemSkipReason;
	if (needsMailSystem)
		process.stderr.write(
			`SKIPPED, no real mail system here (${mailSystemSkipReason}): ${scenario.name}\n`,
		);
	(needsMailSystem ? test.skip : test)(
		'one outcome per item, no duplicate, nothing lost, every sent confirmed',
		async () => {
			let row: FaultRow;
			try {
				row = await scenario.run();
			} catch (error) {
				row = {
					scenario: scenario.name,
					area: scenario.area,
					itemsIn: 0,
					outcomes: { sent: 0, partial: 0, failed: 0, 'not sent': 0, EUNKNOWN: 0 },
					serverReceived: 0,
					duplicates: 0,
					lost: 0,
					unconfirmed: 0,
					problems: [`the scenario crashed: ${(error as Error).message}`],
				};
			}
			rows.push(row);
			expect(rowProblems(row)).toEqual([]);
		},
	);
});
