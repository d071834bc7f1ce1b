/**
 * Failed deliveries as the API records them (the record generated from docs/msc-api.openapi.yaml):
 * a recipient the upstream refused while relaying, or one failure of a bounce report.
 */
import { classify, isHard } from '../../../core/bounce';
import type { FailedDelivery, RecipientRejection } from '../../../core/model';
import { newId, type FailureRecord, type Identity, type StoredMessage } from '../store';
import { messageFacts } from './views';

/** Where a refusal happened: the relay's upstream, and the sandbox that reports it. */
export interface RelaySite {
	remoteMta: string;
	reportingMta: string;
}

/**
 * A recipient the upstream refused, as a failed delivery. `givenUp` turns a temporary refusal
 * into the final failure after the retries ran out.
 */
export function relayFailure(
	site: RelaySite,
	message: StoredMessage,
	identity: Identity,
	rejection: RecipientRejection,
	now: string,
	givenUp?: { attempts: number; sinceMs: number },
): FailureRecord {
	const replyCode = rejection.code ? String(rejection.code) : '';
	const status = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(rejection.response)?.[1] ?? '';
	const refusedForNow = rejection.retryable || status.startsWith('4');
	const temporary = refusedForNow && !givenUp;
	const reason = classify({
		status,
		replyCode,
		diagnostic: rejection.response,
		action: temporary ? 'delayed' : 'failed',
		command: 'RCPT',
	});
	const diagnostic =
		refusedForNow && givenUp
			? `${rejection.response} (refused for now on each of ${givenUp.attempts} attempts since ` +
				`${new Date(givenUp.sinceMs).toISOString()}; no more attempts)`
			: rejection.response;
	return {
		id: newId('fd'),
		recipient: rejection.address,
		action: temporary ? 'delayed' : 'failed',
		kind: temporary ? 'delay' : 'failure',
		hard: isHard(reason, status, replyCode),
		reason,
		status,
		replyCode,
		diagnostic,
		failedAt: now,
		...site,
		message: messageFacts(message, identity),
		link: { method: 'relay-session', confidence: 'high' },
		source: 'relay',
		receivedAt: now,
	};
}

/** One failure the bounce engine found in a report, as the API records it. */
export function reportFailure(
	failure: FailedDelivery,
	report: { id: string; receivedAt: string },
): FailureRecord {
	return {
		id: newId('fd'),
		recipient: failure.recipient,
		// The core keeps only failed, delayed and complaint (its kinds), the API's three actions.
		action: failure.action as FailureRecord['action'],
		kind: failure.kind,
		hard: failure.hard,
		reason: failure.reason,
		status: failure.status,
		replyCode: failure.replyCode,
		diagnostic: failure.diagnostic,
		failedAt: validDate(failure.failedAt) ?? report.receivedAt,
		remoteMta: failure.remoteMta,
		reportingMta: failure.reportingMta,
		feedbackType: failure.feedbackType,
		message: failure.message as FailureRecord['message'],
		link: failure.link,
		source: 'bounce-report',
		reportId: report.id,
		reportReceivedAt: report.receivedAt,
		receivedAt: report.receivedAt,
	};
}

function validDate(value: string | undefined): string | undefined {
	if (!value) return undefined;
	const time = Date.parse(value);
	return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}
