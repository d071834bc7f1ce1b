/**
 * The n8n side of the suppression list: the process's store (where the coordinator lives), and the
 * one place where listed failures become suppressions: Failed Deliveries and the trigger both record
 * the hard failures and complaints they return (never soft failures or delays).
 */
import {
	processSuppressions,
	type Suppression,
	type SuppressionStore,
} from '../../core/coordination';
import type { FailedDelivery } from '../DeliveryChannel/channels/types';
import { fromEnvironment } from './coordination';

/** The suppression list of this n8n process; a wrong setting in its environment stops the batch. */
export function sharedSuppressions(): SuppressionStore {
	return fromEnvironment(() => processSuppressions());
}

function text(value: unknown): string | undefined {
	return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** The suppression a listed failure calls for: a hard failure or a complaint; else undefined. */
export function suppressionOf(
	failure: FailedDelivery,
	source: string,
	now = new Date(),
): Suppression | undefined {
	const complaint = failure.kind === 'complaint';
	const hardFailure =
		failure.kind === 'failure' && failure.hard === true && failure.action === 'failed';
	const address = text(failure.recipient);
	if ((!complaint && !hardFailure) || !address || !address.includes('@')) return undefined;
	const detail = complaint
		? (text(failure.feedbackType) ?? 'abuse')
		: [text(failure.reason), text(failure.status)].filter(Boolean).join(' ') || undefined;
	const message = failure.message ?? {};
	const entry: Suppression = {
		address,
		reason: complaint ? 'complaint' : 'hard-bounce',
		source,
		recordedAt: now.toISOString(),
	};
	if (detail) entry.detail = detail;
	if (text(failure.failedAt)) entry.failedAt = text(failure.failedAt);
	if (text(message.deliveryId)) entry.deliveryId = text(message.deliveryId);
	if (text(message.messageId)) entry.messageId = text(message.messageId);
	return entry;
}

/**
 * Records the hard failures and complaints among `failures` (`source`: who listed them, e.g.
 * `failed-deliveries smtp:cred-1`). Returns how many addresses are newly suppressed.
 */
export async function recordFailures(failures: FailedDelivery[], source: string): Promise<number> {
	const now = new Date();
	const entries = failures
		.map((failure) => suppressionOf(failure, source, now))
		.filter((entry): entry is Suppression => entry !== undefined);
	if (!entries.length) return 0;
	return await sharedSuppressions().record(entries);
}
