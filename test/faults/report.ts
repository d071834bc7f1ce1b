/** Prints the fault matrix and the bad-input table as plain-text tables (`npm run faults`). */
import type { BadInputResult } from './bad-inputs';
import { rowProblems, type FaultRow } from './types';

function pad(text: string, width: number): string {
	return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function table(headers: string[], rows: string[][]): string {
	const clean = rows.map((row) => row.map((cell) => cell.replace(/\s+/g, ' ')));
	const widths = headers.map((header, column) =>
		Math.max(header.length, ...clean.map((row) => row[column].length)),
	);
	const line = (cells: string[]) =>
		`| ${cells.map((cell, column) => pad(cell, widths[column])).join(' | ')} |`;
	return [
		line(headers),
		`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
		...clean.map(line),
	].join('\n');
}

export function formatMatrix(rows: FaultRow[]): string {
	const printed = rows.map((row) => {
		const problems = rowProblems(row);
		const o = row.outcomes;
		return [
			row.area,
			row.scenario,
			String(row.itemsIn),
			`${o.sent} / ${o.partial} / ${o.failed} / ${o['not sent']} / ${o.EUNKNOWN}`,
			String(row.serverReceived),
			String(row.duplicates),
			String(row.lost),
			problems.length
				? `FAIL: ${problems.join('; ').slice(0, 300)}`
				: `ok${row.note ? `: ${row.note}` : ''}`,
		];
	});
	const failing = rows.filter((row) => rowProblems(row).length).length;
	return [
		`Fault matrix: ${rows.length} scenarios, ${failing} failing`,
		'',
		table(
			[
				'area',
				'scenario',
				'items in',
				'sent / partial / failed / not sent / EUNKNOWN',
				'server received',
				'duplicates',
				'lost',
				'verdict',
			],
			printed,
		),
		'',
	].join('\n');
}

export function formatBadInputs(rows: BadInputResult[]): string {
	const failing = rows.filter((row) => row.problems.length).length;
	return [
		`Bad-input table: ${rows.length} inputs, ${failing} failing`,
		'',
		table(
			['input', 'field', 'error on the item', 'others sent', 'verdict'],
			rows.map((row) => [
				row.label,
				row.field ?? '',
				row.error.slice(0, 110),
				row.othersSent,
				row.problems.length ? `FAIL: ${row.problems.join('; ')}` : 'ok',
			]),
		),
		'',
	].join('\n');
}
