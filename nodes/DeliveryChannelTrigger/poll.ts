/**
 * One poll of the Delivery Channel Trigger: opens the channel through the registry, lists the
 * failures whose reports arrived since the previous poll (minus an overlap) and after the channel's
 * checkpoint, and emits those not emitted before, oldest first. The first poll looks back
 * STATE_LIMITS.overlapMs (one hour). A listing cut short by a channel's cap keeps the window where it
 * was and stores the channel's checkpoint, which never passes a report left unread: the rest comes
 * with the next polls. A manual run ("Fetch Test Event") shows the most recent failures and leaves
 * the state alone.
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
	FailedDelivery,
	FailedDeliveryList,
	FailedDeliveryQuery,
} from '../DeliveryChannel/channels/types';
import { sendingAccount } from '../shared/coordination';
import { recordFailures } from '../shared/suppressions';
import { readState, takeNew, windowStart, writeState } from './dedupe';

/** How many failures a manual run shows. */
export const MANUAL_LIMIT = 10;

function toNodeError(context: IPollFunctions, error: Error): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	const description = error instanceof DeliveryError ? error.hint : undefined;
	return new NodeOperationError(context.getNode(), error.message, { description });
}

export async function pollFailedDeliveries(
	this: IPollFunctions,
): Promise<INodeExecutionData[][] | null> {
	const filters = this.getNodeParameter('filters', {}) as IDataObject;
	const manual = this.getMode() === 'manual';
	// A manual run does not even read the state: reading it creates it.
	const staticData = manual ? undefined : this.getWorkflowStaticData('node');
	const previous = staticData ? readState(staticData) : undefined;
	const pollStartedAt = Date.now();

	const query: FailedDeliveryQuery = {
		verdict: (filters.verdict as FailedDeliveryQuery['verdict']) || 'all',
		includeDelays: filters.includeDelays === true,
		includeComplaints: filters.includeComplaints === true,
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
		// Recorded before the state moves on: a store that cannot be reached leaves them for the next poll.
		await recordFailures(listing.failures, `Trigger (${sendingAccount(this, channel)})`);
	} catch (error) {
		throw toNodeError(this, error as Error);
	} finally {
		await session?.close().catch(() => undefined);
	}

	const { failures } = listing;
	if (!staticData) {
		return failures.length
			? [this.helpers.returnJsonArray(failures as unknown as IDataObject[])]
			: null;
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
function reportTime(failure: FailedDelivery): number {
	const time = Date.parse(String(failure.details?.reportReceivedAt ?? failure.failedAt ?? ''));
	return Number.isNaN(time) ? Number.POSITIVE_INFINITY : time;
}

/** Oldest first, the order in which they happened, whatever order the channel listed them in. */
function oldestFirst(failures: FailedDelivery[]): FailedDelivery[] {
	return failures
		.map((failure, index) => ({ failure, index, time: reportTime(failure) }))
		.sort((a, b) => a.time - b.time || a.index - b.index)
		.map((entry) => entry.failure);
}
