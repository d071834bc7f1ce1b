/** Every fault scenario, in the order the table prints them. Each area keeps its own file. */
import type { FaultScenario } from './types';

export const scenarioFiles = ['smtp', 'gmail', 'msc', 'mailbox', 'cancel'] as const;

export async function loadScenarios(): Promise<FaultScenario[]> {
	const all: FaultScenario[] = [];
	for (const file of scenarioFiles) {
		const loaded = (await import(`./scenarios/${file}`)) as { scenarios: FaultScenario[] };
		all.push(...loaded.scenarios);
	}
	return all;
}
