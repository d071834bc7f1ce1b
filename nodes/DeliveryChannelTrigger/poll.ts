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
	FailedDelivery,
	FailedDeliveryList,
	FailedDeliveryQuery,
} from '../DeliveryChannel/channels/types';
import { readState, takeNew, windowStart, writeState } from './dedupe';

/** How many failures a manual run shows. */
export const MANUAL_LIMIT = 10;

function toNodeError(context: IPollFunctions, error: Error): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	const description = error instanceof DeliveryError ? error.hint : undefined;
	return new NodeOperationError(context.getNode(), error.message, { description });
}

/** What "Fetch Test Event" says when the channel lists no failure: how to get one. */
function noFailureYet(context: IPollFunctions): NodeOperationError {
	return new NodeOperationError(context.getNode(), 'No failed delivery found', {
		description:
			'The channel lists no failed delivery that matches the filters yet. To get one, send an email ' +
			'to an address that does not exist (a made-up mailbox at your own domain), wait for its bounce ' +
			'report to reach the channel, then fetch again. Once the workflow is active, each new failed ' +
			'delivery starts a run.',
	});
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
	} catch (error) {
		throw toNodeError(this, error as Error);
	} finally {
		await session?.close().catch(() => undefined);
	}

	const { failures } = listing;
	if (!staticData) {
		if (!failures.length) throw noFailureYet(this);
		return [this.helpers.returnJsonArray(failures as unknown as IDataObject[])];
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
