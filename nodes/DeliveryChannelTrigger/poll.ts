/**
 * One poll of the Delivery Channel Trigger: opens the channel through the registry, lists the
 * failures whose reports arrived since the previous poll (minus an overlap) and after the channel's
 * checkpoint, and emits those not emitted before, oldest first. The first poll looks back
 * STATE_LIMITS.overlapMs (one hour). A listing cut short by a channel's cap keeps the window where it
 * was and stores the channel's checkpoint, which never passes a report left unread: the rest comes
 * with the next polls. A manual run ("Fetch Test Event") shows the most recent failures and leaves
 * the state alone; with none it says so (n8n would show nothing at all).
 */
import {
	NodeOperationError,
	type IDataObject,
	type INodeExecutionData,
	type IPollFunctions,
} from 'n8n-workflow';

import { DeliveryError } from '../../core/errors';
import { getChannel } from '../DeliveryChannel/channels/registry';
import type {
	ChannelSession,
	FailedDeliveryList,
	FailedDeliveryQuery,
} from '../DeliveryChannel/channels/types';
import { sendingAccount } from '../shared/coordination';
import { recordFailures } from '../shared/suppressions';
import { readState, takeNew, windowStart, writeState, type TriggerEvent } from './dedupe';

export type EventName = 'failedDelivery' | 'autoReply' | 'reply';
const EVENT_NAMES: readonly EventName[] = ['failedDelivery', 'autoReply', 'reply'];

/** The chosen events; a workflow saved before Events existed (no value) watches failed deliveries. */
export function chosenEvents(value: unknown): EventName[] {
	const list = Array.isArray(value) ? value : value === undefined || value === '' ? [] : [value];
	const events = EVENT_NAMES.filter((name) => list.includes(name));
	return events.length ? events : ['failedDelivery'];
}

/** The items of a listing for the chosen events, oldest first. */
export function eventsOf(listing: FailedDeliveryList, events: EventName[]): TriggerEvent[] {
	const items: TriggerEvent[] = events.includes('failedDelivery') ? [...listing.failures] : [];
	for (const reply of listing.replies ?? []) {
		if (reply.kind === 'reply' ? events.includes('reply') : events.includes('autoReply'))
			items.push(reply);
	}
	return items;
}

/** How many failures a manual run shows. */
export const MANUAL_LIMIT = 10;

function toNodeError(context: IPollFunctions, error: Error): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	const description = error instanceof DeliveryError ? error.hint : undefined;
	return new NodeOperationError(context.getNode(), error.message, { description });
}

/** What "Fetch Test Event" says when the channel lists nothing for the chosen events: how to get one. */
function noFailureYet(context: IPollFunctions, events: EventName[]): NodeOperationError {
	const answers = events.filter((event) => event !== 'failedDelivery');
	const also = answers.length
		? ` Replies and auto-replies count only when they answer an email this node sent (${answers.join(', ')} chosen).`
		: '';
	const what = answers.length
		? 'No failed delivery, reply or auto-reply found'
		: 'No failed delivery found';
	return new NodeOperationError(context.getNode(), what, {
		description:
			'The channel lists no failed delivery that matches the filters yet. To get one, send an email ' +
			'to an address that does not exist (a made-up mailbox at your own domain), wait for its bounce ' +
			'report to reach the channel, then fetch again. Once the workflow is active, each new failed ' +
			'delivery starts a run.' +
			also,
	});
}

export async function pollFailedDeliveries(
	this: IPollFunctions,
): Promise<INodeExecutionData[][] | null> {
	const filters = this.getNodeParameter('filters', {}) as IDataObject;
	const events = chosenEvents(this.getNodeParameter('events', ['failedDelivery']));
	const manual = this.getMode() === 'manual';
	// A manual run does not even read the state: reading it creates it.
	const staticData = manual ? undefined : this.getWorkflowStaticData('node');
	const previous = staticData ? readState(staticData) : undefined;
	const pollStartedAt = Date.now();

	const query: FailedDeliveryQuery = {
		verdict: (filters.verdict as FailedDeliveryQuery['verdict']) || 'all',
		includeDelays: filters.includeDelays === true,
		includeComplaints: filters.includeComplaints === true,
		includeReplies: events.includes('reply') || events.includes('autoReply'),
	};
	if (manual) query.limit = MANUAL_LIMIT;
	else
		query.receivedSince = previous
			? windowStart(previous)
			: windowStart({ version: 1, lastPoll: pollStartedAt, seen: {} });

	let listing: FailedDeliveryList;
	let session: ChannelSession | undefined;
	let channelKey = '';
	try {
		const channel = getChannel(this.getNodeParameter('channel'));
		channelKey = channel.key;
		// A checkpoint is the channel's own: after switching channel (or mailbox) it means nothing.
		if (previous?.checkpoint?.channel === channel.key) query.checkpoint = previous.checkpoint.value;
		session = await channel.open(this);
		if (!session.listFailedDeliveries) {
			throw new DeliveryError(
				`The ${channel.displayName} channel cannot list failed deliveries yet, so the trigger has nothing to watch`,
				{
					code: 'ENOTAVAILABLE',
					hint: 'Pick another channel.',
				},
			);
		}
		listing = await session.listFailedDeliveries(query);
		if (listing.repliesUnavailable) {
			throw new DeliveryError(listing.repliesUnavailable, {
				code: 'ENOTAVAILABLE',
				hint: 'Choose only Failed Delivery under Events, or another channel.',
			});
		}
		// Recorded before the state moves on: a store that cannot be reached leaves them for the next poll.
		await recordFailures(listing.failures, `Trigger (${sendingAccount(this, channel)})`);
	} catch (error) {
		throw toNodeError(this, error as Error);
	} finally {
		await session?.close().catch(() => undefined);
	}

	const failures = eventsOf(listing, events);
	if (!staticData) {
		// The channel lists newest first; replies join them by time, unknown times last.
		const shown = listing.replies?.length
			? oldestFirst(failures)
					.reverse()
					.sort((a, b) => Number(reportTime(a) === Infinity) - Number(reportTime(b) === Infinity))
					.slice(0, MANUAL_LIMIT)
			: failures;
		if (!shown.length) throw noFailureYet(this, events);
		return [this.helpers.returnJsonArray(shown as unknown as IDataObject[])];
	}
	if (listing.truncated) {
		this.logger.warn(
			`Delivery Channel Trigger: ${listing.truncatedReason ?? 'the listing was cut short'}; the rest follows with the next polls`,
		);
	}
	const checkpoint = listing.checkpoint
		? { channel: channelKey, value: listing.checkpoint }
		: undefined;
	const { fresh, state } = takeNew(previous, failures, pollStartedAt, {
		truncated: listing.truncated,
		checkpoint,
	});
	writeState(staticData, state);
	if (!fresh.length) return null;
	return [this.helpers.returnJsonArray(oldestFirst(fresh) as unknown as IDataObject[])];
}

/** When the report reached the channel, else when the failure happened; unknown times go last. */
function reportTime(failure: TriggerEvent): number {
	const happened = 'excerpt' in failure ? failure.receivedAt : failure.failedAt;
	const time = Date.parse(String(failure.details?.reportReceivedAt ?? happened ?? ''));
	return Number.isNaN(time) ? Number.POSITIVE_INFINITY : time;
}

/** Oldest first, the order in which they happened, whatever order the channel listed them in. */
function oldestFirst(failures: TriggerEvent[]): TriggerEvent[] {
	return failures
		.map((failure, index) => ({ failure, index, time: reportTime(failure) }))
		.sort((a, b) => a.time - b.time || a.index - b.index)
		.map((entry) => entry.failure);
}
