/** Daily caps, decided the same way wherever the counts live. */
import type { QuotaRefusal, SendingLimits } from './types';

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface DailyCount {
	/** When the current 24-hour window began (ms since the epoch). */
	started: number;
	messages: number;
	recipients: number;
}

/** Whether one more message to `recipients` would pass a daily cap of `limits`. */
export function dailyRefusal(
	count: DailyCount,
	recipients: number,
	limits: SendingLimits,
): QuotaRefusal | undefined {
	const resetsAt = new Date(count.started + DAY_MS);
	if (limits.messagesPerDay && count.messages + 1 > limits.messagesPerDay)
		return { limit: 'messagesPerDay', cap: limits.messagesPerDay, used: count.messages, resetsAt };
	if (limits.recipientsPerDay && count.recipients + recipients > limits.recipientsPerDay)
		return {
			limit: 'recipientsPerDay',
			cap: limits.recipientsPerDay,
			used: count.recipients,
			resetsAt,
		};
	return undefined;
}
