/**
 * One poll of the Delivery Channel Trigger: opens the channel through the registry, lists the
 * failures whose reports arrived since the previous poll (minus an overlap), and emits those not
 * emitted before. The first poll looks back STATE_LIMITS.overlapMs (one hour). A manual run ("Fetch Test Event") shows the most recent failures and leaves the state alone.
 */
import { NodeOperationError, type IDataObject, type INodeExecutionData, type IPollFunctions } from 'n8n-workflow';

import { DeliveryError } from '../DeliveryChannel/channels/errors';
import { getChannel } from '../DeliveryChannel/channels/registry';
import type { ChannelSession, FailedDelivery, FailedDeliveryQuery } from '../DeliveryChannel/channels/types';
import { readState, takeNew, windowStart, writeState } from './dedupe';

/** How many failures a manual run shows. */
export const MANUAL_LIMIT = 10;

function toNodeError(context: IPollFunctions, error: Error): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	const description = error instanceof DeliveryError ? error.hint : undefined;
	return new NodeOperationError(context.getNode(), error.message, { description });
}

export async function pollFailedDeliveries(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
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
	else query.receivedSince = previous ? windowStart(previous) : windowStart({ version: 1, lastPoll: pollStartedAt, seen: {} });

	let failures: FailedDelivery[];
	let session: ChannelSession | undefined;
	try {
		const channel = getChannel(this.getNodeParameter('channel'));
		session = await channel.open(this);
		if (!session.listFailedDeliveries) {
			throw new DeliveryError(`The ${channel.displayName} channel cannot list failed deliveries yet, so the trigger has nothing to watch`, {
				code: 'ENOTAVAILABLE',
				hint: 'Pick another channel.',
			});
		}
		({ failures } = await session.listFailedDeliveries(query, 0));
	} catch (error) {
		throw toNodeError(this, error as Error);
	} finally {
		await session?.close().catch(() => undefined);
	}

	if (!staticData) {
		return failures.length ? [this.helpers.returnJsonArray(failures as unknown as IDataObject[])] : null;
	}
	const { fresh, state } = takeNew(previous, failures, pollStartedAt);
	writeState(staticData, state);
	if (!fresh.length) return null;
	// Oldest first, the order in which they happened.
	fresh.reverse();
	return [this.helpers.returnJsonArray(fresh as unknown as IDataObject[])];
}
