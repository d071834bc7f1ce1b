/**
 * `npm run faults`: runs every fault scenario and prints the matrix, then the bad-input table.
 * Exit code 1 when any row breaks the acceptance rule.
 */
import { runBadInputTable } from './bad-inputs';
import { loadScenarios } from './index';
import { rowProblems, type FaultRow } from './types';

function pad(text: string, width: number): string {
	return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function table(headers: string[], rows: string[][]): string {
	const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
	const line = (cells: string[]) => `| ${cells.map((cell, column) => pad(cell, widths[column])).join(' | ')} |`;
	return [line(headers), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
	const only = process.argv[2];
	const scenarios = (await loadScenarios()).filter((scenario) => !only || `${scenario.area} ${scenario.name}`.includes(only));
	const rows: FaultRow[] = [];
	for (const scenario of scenarios) {
		try {
			rows.push(await scenario.run());
		} catch (error) {
			rows.push({
				scenario: scenario.name,
				area: scenario.area,
				itemsIn: 0,
				outcomes: { sent: 0, partial: 0, failed: 0, 'not sent': 0, EUNKNOWN: 0 },
				serverReceived: 0,
				duplicates: 0,
				lost: 0,
				unconfirmed: 0,
				problems: [`the scenario crashed: ${(error as Error).stack ?? error}`],
			});
		}
	}
	let failing = 0;
	const printed = rows.map((row) => {
		const problems = rowProblems(row);
		if (problems.length) failing += 1;
		const o = row.outcomes;
		return [
			row.area,
			row.scenario,
			String(row.itemsIn),
			`${o.sent} / ${o.partial} / ${o.failed} / ${o['not sent']} / ${o.EUNKNOWN}`,
			String(row.serverReceived),
			String(row.duplicates),
			String(row.lost),
			problems.length ? `FAIL: ${problems.join('; ')}` : `ok${row.note ? `: ${row.note}` : ''}`,
		];
	});
	console.log(`Fault matrix (${rows.length} scenarios)\n`);
	console.log(
		table(['area', 'scenario', 'items in', 'sent / partial / failed / not sent / EUNKNOWN', 'server received', 'duplicates', 'lost', 'verdict'], printed),
	);

	if (!only) {
		const inputs = await runBadInputTable();
		console.log(`\nBad-input table (${inputs.length} inputs)\n`);
		console.log(
			table(
				['input', 'field', 'error on the item', 'others sent', 'verdict'],
				inputs.map((entry) => [entry.label, entry.field ?? '', entry.error.slice(0, 110), entry.othersSent, entry.problems.length ? `FAIL: ${entry.problems.join('; ')}` : 'ok']),
			),
		);
		failing += inputs.filter((entry) => entry.problems.length).length;
	}
	console.log(failing ? `\n${failing} row(s) failed` : '\nall rows pass');
	process.exitCode = failing ? 1 : 0;
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
