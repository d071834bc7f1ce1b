/**
 * What the trigger remembers between polls (the workflow's static data), so that every failed
 * recipient is emitted once: each failure gets a stable key per (sent message, or the report when
 * the message is unknown; recipient; kind). A delay and the failure that follows it have different
 * kinds, so the failure is emitted too; the same failure found again (a second report, the poll
 * window overlapping the last one, a copy in Junk) is not.
 */
import { createHash } from 'node:crypto';

import type { IDataObject } from 'n8n-workflow';

import type { FailedDelivery, MailboxReply } from '../DeliveryChannel/channels/types';

/** What the trigger emits: a failed recipient, or a reply or auto-reply to a message sent. */
export type TriggerEvent = FailedDelivery | MailboxReply;

export interface TriggerState {
	version: 1;
	/**
	 * When the last poll that read everything up to its start began (ms since the epoch). A poll cut
	 * short by a channel's cap leaves it where it was, so the next window still covers what was left.
	 */
	lastPoll: number;
	/** Failure key → when it was first seen (ms). */
	seen: Record<string, number>;
	/** Where the channel's next listing resumes (its own opaque checkpoint), and for which channel. */
	checkpoint?: { channel: string; value: IDataObject };
}

export const STATE_LIMITS = {
	/** Most keys kept; the oldest go first. About 30 bytes each in the workflow's static data. */
	maxKeys: 5_000,
	/** Keys are forgotten after this long, so the state does not grow without end. */
	retainMs: 14 * 24 * 60 * 60 * 1000,
	/**
	 * How far each poll looks back before the previous one: reports that became visible late, and
	 * clocks that differ between this machine and the mail server (the report's time is the server's).
	 */
	overlapMs: 60 * 60 * 1000,
};

function text(value: unknown): string {
	return typeof value === 'string' ? value.trim() : '';
}

/** The sent message a failure belongs to, or the report it came from when the message is unknown. */
function messageKey(failure: TriggerEvent): string {
	// What the report itself says comes first: it is the same in every poll, whatever linking found.
	const message = failure.message ?? {};
	const envelopeId = text(message.envelopeId);
	if (envelopeId) return `envelope:${envelopeId}`;
	const messageId = text(message.messageId).replace(/^<|>$/g, '').toLowerCase();
	if (messageId) return `message:${messageId}`;
	const deliveryId = text(message.deliveryId);
	if (deliveryId) return `envelope:${deliveryId}`;
	const reportId = text(failure.details?.reportId);
	if (reportId) return `report:${reportId}`;
	if ('excerpt' in failure) return `time:${failure.receivedAt ?? ''}:${failure.subject}`;
	return `time:${failure.failedAt ?? ''}:${failure.status}:${failure.diagnostic}`;
}

export function failureKey(failure: TriggerEvent): string {
	if ('excerpt' in failure) return replyKey(failure);
	const raw = [
		failure.channel,
		failure.kind,
		failure.recipient.toLowerCase(),
		messageKey(failure),
	].join('\n');
	return createHash('sha256').update(raw).digest('base64url').slice(0, 22);
}

/** A reply is one mail: the same one found again (a copy in another folder, a second poll) is not new. */
function replyKey(reply: MailboxReply): string {
	const own = text(reply.details?.replyMessageId).replace(/^<|>$/g, '').toLowerCase();
	const id = own ? `reply:${own}` : `report:${text(reply.details?.reportId)}:${messageKey(reply)}`;
	const raw = [reply.channel, reply.kind, reply.recipient.toLowerCase(), id].join('\n');
	return createHash('sha256').update(raw).digest('base64url').slice(0, 22);
}

/** Reads the state from the static data, or undefined before the first poll. */
export function readState(staticData: Record<string, unknown>): TriggerState | undefined {
	const state = staticData.failedDeliveries as TriggerState | undefined;
	if (
		!state ||
		state.version !== 1 ||
		typeof state.lastPoll !== 'number' ||
		typeof state.seen !== 'object' ||
		state.seen === null
	)
		return undefined;
	const checkpoint = state.checkpoint;
	if (
		checkpoint &&
		(typeof checkpoint !== 'object' ||
			typeof checkpoint.channel !== 'string' ||
			typeof checkpoint.value !== 'object' ||
			checkpoint.value === null)
	) {
		return { ...state, checkpoint: undefined };
	}
	return state;
}

export function writeState(staticData: Record<string, unknown>, state: TriggerState): void {
	staticData.failedDeliveries = state;
}

/** When reports must have arrived for the next poll to look at them. */
export function windowStart(state: TriggerState): Date {
	return new Date(state.lastPoll - STATE_LIMITS.overlapMs);
}

/**
 * Splits what a poll found into what is new, and returns the state to keep. The first poll (no
 * state yet) emits what it finds in its window, the last overlapMs: n8n keeps no state from the test
 * poll it runs on activation, so swallowing the first findings would lose the failures that arrive
 * between activation and the first scheduled poll.
 */
export function takeNew<T extends TriggerEvent>(
	previous: TriggerState | undefined,
	failures: T[],
	pollStartedAt: number,
	listing: { truncated: boolean; checkpoint?: TriggerState['checkpoint'] } = { truncated: false },
): { fresh: T[]; state: TriggerState } {
	const seen: Record<string, number> = { ...(previous?.seen ?? {}) };
	const fresh: T[] = [];
	for (const failure of failures) {
		const key = failureKey(failure);
		if (key in seen) continue;
		seen[key] = pollStartedAt;
		fresh.push(failure);
	}
	// Cut short: what was not read arrived before this poll started, so the window must not move past it.
	const lastPoll = listing.truncated ? (previous?.lastPoll ?? pollStartedAt) : pollStartedAt;
	const state: TriggerState = { version: 1, lastPoll, seen: prune(seen, pollStartedAt) };
	const checkpoint = listing.checkpoint ?? previous?.checkpoint;
	if (checkpoint) state.checkpoint = checkpoint;
	return { fresh, state };
}

function prune(seen: Record<string, number>, now: number): Record<string, number> {
	const entries = Object.entries(seen).filter(
		([, at]) => typeof at === 'number' && now - at <= STATE_LIMITS.retainMs,
	);
	if (entries.length > STATE_LIMITS.maxKeys) {
		entries.sort((a, b) => b[1] - a[1]);
		entries.length = STATE_LIMITS.maxKeys;
	}
	return Object.fromEntries(entries);
}
