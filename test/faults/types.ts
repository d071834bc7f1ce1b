/**
 * The fault matrix: each scenario runs the real node (n8n-core in-process) or a mailbox reader
 * against a real or local server that injects one fault, then counts, on the server's side, what
 * actually arrived. `npm run faults` prints one row per scenario; `faults.test.ts` holds every row to
 * the acceptance rule: every item has exactly one outcome, no duplicates, nothing lost, every `sent`
 * confirmed by the server.
 */
import type { INodeExecutionData } from 'n8n-workflow';

export type Outcome = 'sent' | 'partial' | 'failed' | 'not sent' | 'EUNKNOWN';

export interface FaultRow {
	scenario: string;
	/** smtp, gmail, msc, imap, gmail-mailbox, msc-failures, ... */
	area: string;
	itemsIn: number;
	outcomes: Record<Outcome, number>;
	/** Messages (or reports, for mailbox readers) the server actually received / emitted. */
	serverReceived: number;
	/** Message-IDs the server received more than once (or failures emitted more than once). */
	duplicates: number;
	/** Input items without exactly one output item (or reports never emitted). */
	lost: number;
	/** Items reported `sent`/`partial` whose message the server does not have. */
	unconfirmed: number;
	/** Anything the scenario itself checked and found wrong (empty = fine). */
	problems: string[];
	/** A short word on what happened, for the table. */
	note?: string;
}

export interface FaultScenario {
	name: string;
	area: string;
	run(): Promise<FaultRow>;
}

/** What a send scenario hands to `sendRow`: the node's items and the Message-IDs the server got. */
export interface SendObservation {
	scenario: string;
	area: string;
	itemsIn: number;
	/** Every item the node emitted, on every output (success and error outputs together). */
	items: INodeExecutionData[];
	/** One entry per message the server received (Message-ID as the server saw it). */
	serverMessageIds: string[];
	problems?: string[];
	note?: string;
}

function bare(id: unknown): string {
	return String(id ?? '')
		.trim()
		.replace(/^<|>$/g, '')
		.toLowerCase();
}

/** The outcome of one output item, from its json (flat, or n8n's error-output shape). */
export function outcomeOf(item: INodeExecutionData): Outcome | undefined {
	const json = item.json as Record<string, unknown>;
	const flat = (
		json.details && typeof json.details === 'object' && !('status' in json) ? json.details : json
	) as Record<string, unknown>;
	if (flat.code === 'EUNKNOWN') return 'EUNKNOWN';
	const status = flat.status;
	if (status === 'sent' || status === 'partial' || status === 'failed' || status === 'not sent')
		return status;
	return undefined;
}

function messageIdOf(item: INodeExecutionData): string {
	const json = item.json as Record<string, unknown>;
	const flat = (
		json.details && typeof json.details === 'object' && !('status' in json) ? json.details : json
	) as Record<string, unknown>;
	return bare(flat.messageId);
}

/** Counts a send scenario's row from what the node emitted and what the server received. */
export function sendRow(observation: SendObservation): FaultRow {
	const outcomes: Record<Outcome, number> = {
		sent: 0,
		partial: 0,
		failed: 0,
		'not sent': 0,
		EUNKNOWN: 0,
	};
	const problems = [...(observation.problems ?? [])];
	const perInput = new Map<number, number>();
	for (const item of observation.items) {
		const outcome = outcomeOf(item);
		if (!outcome)
			problems.push(`an item without an outcome: ${JSON.stringify(item.json).slice(0, 160)}`);
		else outcomes[outcome] += 1;
		const paired = Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem;
		const index =
			typeof paired === 'object' && paired ? paired.item : typeof paired === 'number' ? paired : -1;
		perInput.set(index, (perInput.get(index) ?? 0) + 1);
	}
	let lost = 0;
	for (let index = 0; index < observation.itemsIn; index++) {
		const count = perInput.get(index) ?? 0;
		if (count !== 1) lost += 1;
		if (count > 1) problems.push(`input item ${index} has ${count} outcomes`);
	}
	const received = new Map<string, number>();
	for (const id of observation.serverMessageIds)
		received.set(bare(id), (received.get(bare(id)) ?? 0) + 1);
	const duplicates = [...received.values()].filter((count) => count > 1).length;
	let unconfirmed = 0;
	for (const item of observation.items) {
		const outcome = outcomeOf(item);
		if ((outcome === 'sent' || outcome === 'partial') && !received.has(messageIdOf(item)))
			unconfirmed += 1;
	}
	return {
		scenario: observation.scenario,
		area: observation.area,
		itemsIn: observation.itemsIn,
		outcomes,
		serverReceived: observation.serverMessageIds.length,
		duplicates,
		lost,
		unconfirmed,
		problems,
		note: observation.note,
	};
}

/** Whether a row meets the acceptance rule. */
export function rowProblems(row: FaultRow): string[] {
	const problems = [...row.problems];
	if (row.duplicates) problems.push(`${row.duplicates} duplicate(s) on the server`);
	if (row.lost) problems.push(`${row.lost} item(s) lost`);
	if (row.unconfirmed) problems.push(`${row.unconfirmed} 'sent' item(s) the server does not have`);
	return problems;
}
