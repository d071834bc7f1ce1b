/**
 * Recipients the upstream refused for now (4xx) are tried again, as an MTA does: after each step of
 * the configured schedule (its last step repeats) until the retry period ends.
 */
import type { RecipientRejection } from '../../../core/model';
import type { SandboxConfig } from '../config';
import type { Relay } from '../relay/index';
import type { DeferredMessage, Identity, SandboxStore, StoredMessage } from '../store';
import { relayFailure } from './failures';

export class DeferredRetries {
	private running = false;

	constructor(
		private readonly config: SandboxConfig,
		private readonly store: SandboxStore,
		private readonly relay: Relay,
	) {}

	/** Wait before attempt number `attempt + 1`, from the configured schedule (its last step repeats). */
	delayMs(attempt: number): number {
		const schedule = this.config.retry.scheduleSeconds;
		return schedule[Math.min(attempt, schedule.length) - 1] * 1000;
	}

	/**
	 * Tries the recipients whose next attempt is due. A recipient the upstream now accepts is done; one
	 * it refuses for good, or still refuses when `retry.maxAgeSeconds` have passed since the first
	 * attempt, becomes a failed delivery. When the connection broke after the message went out, its
	 * recipients are not tried again (they may have it). Returns how many messages were tried.
	 */
	async retryDue(nowMs = Date.now()): Promise<number> {
		if (this.running) return 0;
		this.running = true;
		try {
			const due = this.store.dueDeferred(nowMs, 200);
			for (const entry of due) await this.retryMessage(entry);
			return due.length;
		} finally {
			this.running = false;
		}
	}

	private async retryMessage(entry: DeferredMessage): Promise<void> {
		const message = this.store.message(entry.messageRef);
		const identity = message
			? this.store.identity(message.accountId, message.identityId)
			: undefined;
		if (!message || !identity || entry.raw.length === 0) {
			for (const recipient of entry.recipients)
				this.store.settleDeferred(entry.messageRef, recipient.address);
			return;
		}
		const outcome = await this.relay.relay({
			envelopeFrom: message.bounceAddress,
			recipients: entry.recipients.map((recipient) => recipient.address),
			raw: entry.raw,
			envelopeId: message.deliveryId,
		});
		const attemptMs = Date.now();
		for (const recipient of entry.recipients) {
			if (outcome.kind === 'unknown') {
				this.store.settleDeferred(entry.messageRef, recipient.address);
				continue;
			}
			const refusal =
				outcome.kind === 'answered'
					? outcome.rejected.find(
							(rejection) => rejection.address.toLowerCase() === recipient.address.toLowerCase(),
						)
					: {
							address: recipient.address,
							response: `not handed over: ${outcome.reason}`,
							retryable: true,
						};
			if (refusal)
				this.settleRefusal(entry, message, identity, { ...recipient, refusal }, attemptMs);
			else this.store.settleDeferred(entry.messageRef, recipient.address);
		}
	}

	/** Refused again: deferred once more, or a failed delivery when refused for good or out of time. */
	private settleRefusal(
		entry: DeferredMessage,
		message: StoredMessage,
		identity: Identity,
		recipient: DeferredMessage['recipients'][number] & { refusal: RecipientRejection },
		attemptMs: number,
	): void {
		const attempts = recipient.attempts + 1;
		const nextMs = attemptMs + this.delayMs(attempts);
		const expired = nextMs - recipient.firstAtMs > this.config.retry.maxAgeSeconds * 1000;
		const site = { remoteMta: this.relay.target, reportingMta: this.config.domain };
		const givenUp = expired ? { attempts, sinceMs: recipient.firstAtMs } : undefined;
		const failure = relayFailure(
			site,
			message,
			identity,
			recipient.refusal,
			new Date(attemptMs).toISOString(),
			givenUp,
		);
		if (failure.action === 'delayed') {
			this.store.defer(
				entry.messageRef,
				entry.raw,
				recipient.address,
				recipient.firstAtMs,
				nextMs,
				recipient.refusal.response,
			);
			return;
		}
		this.store.addFailure(message.accountId, identity.id, message.id, failure);
		this.store.settleDeferred(entry.messageRef, recipient.address);
	}
}
