/**
 * What the MSC service does, apart from HTTP and SMTP framing: send a message for an account
 * (idempotently, answered by its send deadline), record the recipients the upstream refused and try
 * those refused for now again (retries.ts), and record bounce reports (reports.ts).
 */
import { createHash } from 'node:crypto';

import type * as Api from '../../../core/msc-api';
import { formatAddress } from '../../../core/message/addresses';
import { allRecipients } from '../../../core/message/compose';
import { buildMime } from '../../../core/message/mime';
import type { RecipientRejection } from '../../../core/model';
import type { SandboxConfig } from '../config';
import { Problem, unknownResultProblem, type ApiResponse } from '../problem';
import type { Relay, RelayOutcome, RelayRequest } from '../relay/index';
import {
	newId,
	type Account,
	type Identity,
	type SandboxStore,
	type StoredMessage,
} from '../store';
import { relayFailure, type RelaySite } from './failures';
import { receiveReport, type ReportReceipt } from './reports';
import { parseJson, resolveIdentity, toOutgoingMessage } from './request';
import { DeferredRetries } from './retries';
import { accountView, identityView, messageView, senderOf } from './views';

export { Problem, PROBLEM_BASE, type ApiResponse } from '../problem';

export class MscService {
	private readonly retries: DeferredRetries;
	private readonly site: RelaySite;

	constructor(
		readonly config: SandboxConfig,
		readonly store: SandboxStore,
		private readonly relay: Relay,
	) {
		this.retries = new DeferredRetries(config, store, relay);
		this.site = { remoteMta: relay.target, reportingMta: config.domain };
	}

	accountView(account: Account): Api.Account {
		return accountView(account, this.config.domain);
	}

	identityView(identity: Identity): Api.Identity {
		return identityView(identity);
	}

	messageView(message: StoredMessage): Api.Message {
		return messageView(message);
	}

	/** Tries the deferred recipients that are due (see DeferredRetries.retryDue). */
	async retryDue(nowMs = Date.now()): Promise<number> {
		return await this.retries.retryDue(nowMs);
	}

	/** Parses one report from the inbound port and records its failures. */
	async receiveReport(
		raw: Buffer,
		envelope: { mailFrom?: string; rcptTo: string[] },
	): Promise<ReportReceipt> {
		return await receiveReport(this.store, this.config.domain, raw, envelope);
	}

	async send(
		account: Account,
		rawBody: Buffer,
		idempotencyKey: string | undefined,
	): Promise<ApiResponse> {
		if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
			throw new Problem(
				400,
				'invalid-idempotency-key',
				'Invalid Idempotency-Key',
				'The Idempotency-Key header must be 1 to 255 visible ASCII characters.',
			);
		}
		const requestHash = createHash('sha256').update(rawBody).digest('hex');
		// A retry gets the first answer, whatever changed since (an identity unverified meanwhile...).
		const earlier =
			idempotencyKey === undefined
				? undefined
				: this.store.messageByKey(account.id, idempotencyKey);
		if (earlier)
			return this.answerRetry(
				earlier,
				earlier.requestHash === requestHash
					? earlier.status === 'sending'
						? 'in-progress'
						: 'replay'
					: 'mismatch',
			);

		const body = parseJson(rawBody);
		const identity = resolveIdentity(this.store, account, body);
		const message = toOutgoingMessage(body, identity);
		const id = newId('msg');
		const bounceAddress = `bounce+${id}@${this.config.domain}`;
		const recipients = allRecipients(message);

		const claim = this.store.claimMessage(
			{
				id,
				accountId: account.id,
				identityId: identity.id,
				idempotencyKey,
				messageId: message.messageId,
				deliveryId: message.deliveryId,
				subject: message.subject,
				from: formatAddress(message.identity),
				recipients,
				bounceAddress,
			},
			requestHash,
		);
		if (claim.state !== 'claimed') return this.answerRetry(claim.existing, claim.state);

		const sender = senderOf(account);
		message.headers.push({ name: 'X-MSC-Message-Id', value: id });
		let raw: Buffer;
		try {
			raw = await buildMime(message, { sender });
		} catch (error) {
			this.store.releaseMessage(id);
			throw new Problem(
				422,
				'invalid-message',
				'Invalid message',
				`The message could not be built: ${(error as Error).message}`,
			);
		}
		const outcome = await this.relayByDeadline(
			id,
			{ envelopeFrom: bounceAddress, recipients, raw, envelopeId: message.deliveryId },
			(late) => this.settleLate(id, identity, raw, late),
		);

		if (outcome.kind === 'not-sent') {
			// Nothing left the sandbox: drop the claim so the client's retry (same key) sends it.
			this.store.releaseMessage(id);
			throw new Problem(
				503,
				'upstream-unavailable',
				'Upstream unavailable',
				`The message could not be handed to the receiving server (${outcome.reason}); nothing was sent.`,
				{ retryable: true },
				{ 'Retry-After': '2' },
			);
		}
		if (outcome.kind === 'unknown') {
			const problem = unknownResultProblem();
			this.store.finishMessage(id, 'unknown', 502, problem as unknown as Record<string, unknown>);
			return { status: 502, body: problem };
		}

		const stored = this.store.message(id)!;
		this.recordRefusals(stored, identity, raw, outcome.rejected);
		const status =
			outcome.accepted.length === 0 ? 'failed' : outcome.rejected.length ? 'partial' : 'sent';
		const response: Api.SendResult = {
			id,
			status,
			messageId: message.messageId,
			deliveryId: message.deliveryId,
			identity: identityView(identity),
			from: formatAddress(message.identity),
			sender: formatAddress(sender),
			sendingDomain: account.sendingDomain,
			envelopeFrom: bounceAddress,
			accepted: outcome.accepted,
			rejected: outcome.rejected,
			upstreamResponse: outcome.response,
			createdAt: stored.createdAt,
		};
		this.store.finishMessage(id, status, 201, response as unknown as Record<string, unknown>);
		return { status: 201, body: response, headers: { Location: `/v1/messages/${id}` } };
	}

	/**
	 * Relays, but answers by the send deadline whatever the upstream does: past it (or when the relay
	 * itself fails unexpectedly) the outcome is unknown. A relay that finishes after the deadline is
	 * handed to `late`, so its refusals are still recorded.
	 */
	private async relayByDeadline(
		id: string,
		request: RelayRequest,
		late: (outcome: RelayOutcome) => void,
	): Promise<RelayOutcome> {
		const deadline =
			Date.parse(this.store.message(id)?.createdAt ?? '') + this.config.sendDeadlineSeconds * 1000;
		const unknown = (reason: string): RelayOutcome => ({ kind: 'unknown', reason });
		const relayed = this.relay
			.relay(request)
			.catch((error: unknown) =>
				unknown(`the relay failed: ${(error as Error)?.message ?? String(error)}`),
			);
		let timer: NodeJS.Timeout | undefined;
		const expired = new Promise<undefined>((resolve) => {
			timer = setTimeout(
				() => resolve(undefined),
				Math.max(0, (Number.isNaN(deadline) ? Date.now() : deadline) - Date.now()),
			);
		});
		const outcome = await Promise.race([relayed, expired]);
		clearTimeout(timer);
		if (outcome) return outcome;
		// Recorded before the late answer can arrive, so that answer never replaces what the client was told.
		this.store.finishMessage(id, 'unknown', 502, unknownResultProblem());
		void relayed.then(late);
		return unknown(`no answer from the upstream within ${this.config.sendDeadlineSeconds} s`);
	}

	/** The upstream answered after the client was told "unknown": record what it said, keep the answer given. */
	private settleLate(id: string, identity: Identity, raw: Buffer, outcome: RelayOutcome): void {
		if (outcome.kind !== 'answered') return;
		const message = this.store.message(id);
		if (!message) return;
		this.recordRefusals(message, identity, raw, outcome.rejected);
		this.store.setStatus(
			id,
			outcome.accepted.length === 0 ? 'failed' : outcome.rejected.length ? 'partial' : 'sent',
		);
	}

	/** Recipients the upstream refused become failed deliveries; those refused for now are tried again later. */
	private recordRefusals(
		message: StoredMessage,
		identity: Identity,
		raw: Buffer,
		rejected: RecipientRejection[],
	): void {
		const nowMs = Date.now();
		const now = new Date(nowMs).toISOString();
		for (const rejection of rejected) {
			const failure = relayFailure(this.site, message, identity, rejection, now);
			this.store.addFailure(message.accountId, identity.id, message.id, failure);
			// Refused for now: tried again later, as an MTA does; the delay is on record meanwhile.
			if (failure.action === 'delayed')
				this.store.defer(
					message.id,
					raw,
					rejection.address,
					nowMs,
					nowMs + this.retries.delayMs(1),
					rejection.response,
				);
		}
	}

	private answerRetry(
		existing: StoredMessage,
		state: 'replay' | 'in-progress' | 'mismatch',
	): ApiResponse {
		if (state === 'mismatch') {
			throw new Problem(
				422,
				'idempotency-key-reused',
				'Idempotency-Key reused',
				`The Idempotency-Key was already used for a different request (message ${existing.id}, sent ${existing.createdAt}).`,
				{
					original: {
						id: existing.id,
						messageId: existing.messageId,
						createdAt: existing.createdAt,
					},
				},
			);
		}
		if (state === 'in-progress' || !existing.response) {
			const deadline = Date.parse(existing.createdAt) + this.config.sendDeadlineSeconds * 1000;
			const finishesWithin = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
			throw new Problem(
				409,
				'request-in-progress',
				'Request in progress',
				`A request with this Idempotency-Key is still being processed; it is answered within ${finishesWithin} s. ` +
					'Try again with the same key after Retry-After.',
				{ retryable: true, finishesWithin },
				{ 'Retry-After': '1' },
			);
		}
		return {
			status: existing.response.status,
			body: existing.response.body,
			headers: { 'Idempotent-Replayed': 'true' },
		};
	}
}
