/**
 * Where a Gmail listing stopped, kept by the trigger between polls: a time before which every report
 * is done, and the ids of the reports after it that were read already. JSON-safe and small.
 */
import type { IDataObject } from 'n8n-workflow';

/**
 * How far behind "now" a checkpoint stays. Gmail's search index can show a report some time after
 * its arrival (internal date); the window is listed again, and the ids already read are skipped.
 */
export const INDEX_LAG_MS = 10 * 60_000;
/** Ids a checkpoint remembers, at most (about 30 bytes each in the workflow's static data). */
const MAX_CHECKPOINT_IDS = 2_000;

/** What the trigger keeps between polls for Gmail: JSON-safe and small. */
export interface GmailCheckpoint {
	channel: 'gmail';
	version: 1;
	/** Reports with an earlier internal date (ms) are done. */
	after: number;
	/** Ids of reports at or after `after` that were read already, with their internal dates. */
	read: Record<string, number>;
}

export function readCheckpoint(value: IDataObject | undefined): GmailCheckpoint | undefined {
	if (
		!value ||
		value.channel !== 'gmail' ||
		value.version !== 1 ||
		typeof value.after !== 'number' ||
		!value.read ||
		typeof value.read !== 'object'
	)
		return undefined;
	const read: Record<string, number> = {};
	for (const [id, at] of Object.entries(value.read as IDataObject))
		if (typeof at === 'number') read[id] = at;
	return { channel: 'gmail', version: 1, after: value.after, read };
}

/** What a listing did, as far as the checkpoint is concerned. */
export interface CheckpointProgress {
	/** Reports decided (read, or skipped as too large), in the order they were decided. */
	done: Array<{ id: string; internalDate: number }>;
	oldestFirst: boolean;
	crowded?: boolean;
}

/**
 * Where the next listing starts: never past a report that was not decided (read or skipped as too
 * large), never closer to now than INDEX_LAG_MS (a report may still appear in search with an earlier
 * date), and with the ids already read at or after that point, so they are not read twice.
 */
export function nextCheckpoint(
	progress: CheckpointProgress,
	lower: number | undefined,
	previous: GmailCheckpoint | undefined,
	startedAt: number,
	complete: boolean,
): GmailCheckpoint {
	const floor = lower ?? 0;
	const read: Record<string, number> = { ...(previous?.read ?? {}) };
	for (const entry of progress.done) read[entry.id] = entry.internalDate;
	let after = Math.max(floor, startedAt - INDEX_LAG_MS);
	if (!complete) {
		// Reports after the last one decided may be unread. Read oldest first, they are all at or after
		// its date; read newest first, they may be anywhere in the window.
		const last = progress.done[progress.done.length - 1];
		after =
			progress.oldestFirst && last && !progress.crowded
				? Math.min(after, last.internalDate)
				: floor;
	}
	after = Math.max(floor, after);
	let kept = Object.entries(read).filter(([, at]) => at >= after);
	if (kept.length > MAX_CHECKPOINT_IDS) {
		// Keep the newest ids; the checkpoint moves up to the oldest kept, past reads only.
		kept = kept.sort((a, b) => b[1] - a[1]).slice(0, MAX_CHECKPOINT_IDS);
		after = Math.max(after, Math.min(...kept.map(([, at]) => at)));
	}
	return { channel: 'gmail', version: 1, after, read: Object.fromEntries(kept) };
}
