/**
 * What the MSC service does, apart from HTTP and SMTP framing: send a message for an account
 * (idempotently), record the recipients the upstream refused, and turn bounce reports that arrive on
 * the inbound port into failed deliveries linked to the message they are about.
 */
import { createHash } from 'node:crypto';

import type { DataObject as IDataObject } from '../../core/model';

import { parseBounce } from '../../core/bounce';
import type { OriginalLink } from '../../core/bounce/types';
import { classify, isHard } from '../../core/bounce';
import { DeliveryError } from '../../core/errors';
import type { OutgoingAttachment, RecipientRejection } from '../../core/model';
import { failuresFromReport } from '../../core/failures';
import { formatAddress, parseAddressList } from '../../core/message/addresses';
import { allRecipients, composeMessage } from '../../core/message/compose';
import { buildMime } from '../../core/message/mime';
import type { SandboxConfig } from './config';
import type { Relay, RelayOutcome, RelayRequest } from './relay/index';
import { newId, unknownResultProblem, type Account, type FailureRecord, type Identity, type SandboxStore, type StoredMessage } from './store';

export const PROBLEM_BASE = 'https://msc.example/problems/';

/** An RFC 9457 problem: the API's only error shape. */
export class Problem extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		readonly title: string,
		readonly detail: string,
		readonly extra: Record<string, unknown> = {},
		readonly headers: Record<string, string> = {},
	) {
		super(detail);
	}

	toJSON(): Record<string, unknown> {
		return {
			type: `${PROBLEM_BASE}${this.code}`,
			title: this.title,
			status: this.status,
			detail: this.detail,
			code: this.code,
			...this.extra,
		};
	}
}

export interface ApiResponse {
	status: number;
	body: Record<string, unknown>;
	headers?: Record<string, string>;
}

const VERP = /^bounce\+(msg_[0-9a-f]+)@(.+)$/i;

export class MscService {
	constructor(
		readonly config: SandboxConfig,
		readonly store: SandboxStore,
		private readonly relay: Relay,
	) {}

	/* ---------------------------------------------------------------- views */

	accountView(account: Account): Record<string, unknown> {
		return {
			id: account.id,
			name: account.name,
			sendingDomain: account.sendingDomain,
			bounceDomain: this.config.domain,
			sender: formatAddress(this.senderOf(account)),
			createdAt: account.createdAt,
		};
	}

	identityView(identity: Identity): Record<string, unknown> {
		return { id: identity.id, name: identity.name, address: identity.address, verified: identity.verified, createdAt: identity.createdAt };
	}

	/** Who actually sends on the identity's behalf: this is the "via" recipients may see. */
	senderOf(account: Account): { name: string; address: string } {
		return { name: `${account.name} via MSC`, address: `${account.id}@${account.sendingDomain}` };
	}

	/* ---------------------------------------------------------------- send */

	async send(account: Account, rawBody: Buffer, idempotencyKey: string | undefined): Promise<ApiResponse> {
		if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
			throw new Problem(400, 'invalid-idempotency-key', 'Invalid Idempotency-Key', 'The Idempotency-Key header must be 1 to 255 visible ASCII characters.');
		}
		const requestHash = createHash('sha256').update(rawBody).digest('hex');
		// A retry gets the first answer, whatever changed since (an identity unverified meanwhile...).
		const earlier = idempotencyKey === undefined ? undefined : this.store.messageByKey(account.id, idempotencyKey);
		if (earlier) return this.answerRetry(earlier, earlier.requestHash === requestHash ? (earlier.status === 'sending' ? 'in-progress' : 'replay') : 'mismatch');

		const body = parseJson(rawBody);
		const identity = this.resolveIdentity(account, body);
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

		const sender = this.senderOf(account);
		message.headers.push({ name: 'X-MSC-Message-Id', value: id });
		let raw: Buffer;
		try {
			raw = await buildMime(message, { sender });
		} catch (error) {
			this.store.releaseMessage(id);
			throw new Problem(422, 'invalid-message', 'Invalid message', `The message could not be built: ${(error as Error).message}`);
		}
		const outcome = await this.relayByDeadline(id, { envelopeFrom: bounceAddress, recipients, raw, envelopeId: message.deliveryId }, (late) =>
			this.settleLate(id, identity, raw, late),
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
			this.store.finishMessage(id, 'unknown', 502, problem);
			return { status: 502, body: problem };
		}

		const stored = this.store.message(id)!;
		this.recordRefusals(stored, identity, raw, outcome.rejected);
		const status = outcome.accepted.length === 0 ? 'failed' : outcome.rejected.length ? 'partial' : 'sent';
		const response: Record<string, unknown> = {
			id,
			status,
			messageId: message.messageId,
			deliveryId: message.deliveryId,
			identity: this.identityView(identity),
			from: formatAddress(message.identity),
			sender: formatAddress(sender),
			sendingDomain: account.sendingDomain,
			envelopeFrom: bounceAddress,
			accepted: outcome.accepted,
			rejected: outcome.rejected,
			upstreamResponse: outcome.response,
			createdAt: stored.createdAt,
		};
		this.store.finishMessage(id, status, 201, response);
		return { status: 201, body: response, headers: { Location: `/v1/messages/${id}` } };
	}

	/**
	 * Relays, but answers by the send deadline whatever the upstream does: past it (or when the relay
	 * itself fails unexpectedly) the outcome is unknown. A relay that finishes after the deadline is
	 * handed to `late`, so its refusals are still recorded.
	 */
	private async relayByDeadline(id: string, request: RelayRequest, late: (outcome: RelayOutcome) => void): Promise<RelayOutcome> {
		const deadline = Date.parse(this.store.message(id)?.createdAt ?? '') + this.config.sendDeadlineSeconds * 1000;
		const unknown = (reason: string): RelayOutcome => ({ kind: 'unknown', reason });
		const relayed = this.relay.relay(request).catch((error: unknown) => unknown(`the relay failed: ${(error as Error)?.message ?? String(error)}`));
		let timer: NodeJS.Timeout | undefined;
		const expired = new Promise<undefined>((resolve) => {
			timer = setTimeout(() => resolve(undefined), Math.max(0, (Number.isNaN(deadline) ? Date.now() : deadline) - Date.now()));
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
		this.store.setStatus(id, outcome.accepted.length === 0 ? 'failed' : outcome.rejected.length ? 'partial' : 'sent');
	}

	/** Recipients the upstream refused become failed deliveries; those refused for now are tried again later. */
	private recordRefusals(message: StoredMessage, identity: Identity, raw: Buffer, rejected: RecipientRejection[]): void {
		const nowMs = Date.now();
		const now = new Date(nowMs).toISOString();
		for (const rejection of rejected) {
			const failure = this.relayFailure(message, identity, rejection, now);
			this.store.addFailure(message.accountId, identity.id, message.id, failure);
			// Refused for now: tried again later, as an MTA does; the delay is on record meanwhile.
			if (failure.action === 'delayed') this.store.defer(message.id, raw, rejection.address, nowMs, nowMs + this.retryDelayMs(1), rejection.response);
		}
	}

	private answerRetry(existing: StoredMessage, state: 'replay' | 'in-progress' | 'mismatch'): ApiResponse {
		if (state === 'mismatch') {
			throw new Problem(422, 'idempotency-key-reused', 'Idempotency-Key reused', `The Idempotency-Key was already used for a different request (message ${existing.id}).`, { messageId: existing.id });
		}
		if (state === 'in-progress' || !existing.response) {
			const deadline = Date.parse(existing.createdAt) + this.config.sendDeadlineSeconds * 1000;
			const finishesWithin = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
			throw new Problem(
				409,
				'request-in-progress',
				'Request in progress',
				`A request with this Idempotency-Key is still being processed; it is answered within ${finishesWithin} s. Try again with the same key after Retry-After.`,
				{ retryable: true, finishesWithin },
				{ 'Retry-After': '1' },
			);
		}
		return { status: existing.response.status, body: existing.response.body, headers: { 'Idempotent-Replayed': 'true' } };
	}

	messageView(message: StoredMessage): Record<string, unknown> {
		return {
			id: message.id,
			status: message.status,
			messageId: message.messageId,
			deliveryId: message.deliveryId,
			identityId: message.identityId,
			from: message.from,
			subject: message.subject,
			recipients: message.recipients,
			envelopeFrom: message.bounceAddress,
			createdAt: message.createdAt,
			result: message.response?.body,
		};
	}

	private resolveIdentity(account: Account, body: Record<string, unknown>): Identity {
		const given = body.identity;
		const key = typeof given === 'string' ? given.trim() : typeof given === 'object' && given ? String((given as { address?: unknown }).address ?? '').trim() : '';
		if (!key) throw new Problem(422, 'invalid-request', 'Invalid request', 'identity is required: an identity id or its address.', { field: 'identity' });
		let lookup = key;
		if (!key.startsWith('idt_')) {
			try {
				lookup = parseAddressList('identity', 'identity', key, { required: true, single: true })[0].address;
			} catch (error) {
				throw new Problem(422, 'invalid-request', 'Invalid request', (error as Error).message, { field: 'identity' });
			}
		}
		const identity = this.store.identity(account.id, lookup);
		const verified = this.store.identities(account.id).filter((entry) => entry.verified).map((entry) => entry.address);
		if (!identity) {
			throw new Problem(422, 'unknown-identity', 'Unknown identity', `${key} is not an Email Identity of this account.`, { field: 'identity', verifiedIdentities: verified });
		}
		if (!identity.verified) {
			throw new Problem(422, 'identity-not-verified', 'Identity not verified', `The Email Identity ${identity.address} is not verified yet, so MSC does not send from it.`, {
				field: 'identity',
				identity: this.identityView(identity),
				verifiedIdentities: verified,
			});
		}
		return identity;
	}

	/* ---------------------------------------------------------------- retries of deferred recipients */

	/** Wait before attempt number `attempt + 1`, from the configured schedule (its last step repeats). */
	private retryDelayMs(attempt: number): number {
		const schedule = this.config.retry.scheduleSeconds;
		return schedule[Math.min(attempt, schedule.length) - 1] * 1000;
	}

	private retrying = false;

	/**
	 * Tries the recipients whose next attempt is due. A recipient the upstream now accepts is done; one
	 * it refuses for good, or still refuses when `retry.maxAgeSeconds` have passed since the first
	 * attempt, becomes a failed delivery. When the connection broke after the message went out, its
	 * recipients are not tried again (they may have it). Returns how many messages were tried.
	 */
	async retryDue(nowMs = Date.now()): Promise<number> {
		if (this.retrying) return 0;
		this.retrying = true;
		try {
			const due = this.store.dueDeferred(nowMs, 200);
			for (const entry of due) {
				const message = this.store.message(entry.messageRef);
				const identity = message ? this.store.identity(message.accountId, message.identityId) : undefined;
				if (!message || !identity || entry.raw.length === 0) {
					for (const recipient of entry.recipients) this.store.settleDeferred(entry.messageRef, recipient.address);
					continue;
				}
				const outcome = await this.relay.relay({
					envelopeFrom: message.bounceAddress,
					recipients: entry.recipients.map((recipient) => recipient.address),
					raw: entry.raw,
					envelopeId: message.deliveryId,
				});
				const attemptMs = Date.now();
				const now = new Date(attemptMs).toISOString();
				for (const recipient of entry.recipients) {
					if (outcome.kind === 'unknown') {
						this.store.settleDeferred(entry.messageRef, recipient.address);
						continue;
					}
					const refusal =
						outcome.kind === 'answered'
							? outcome.rejected.find((rejection) => rejection.address.toLowerCase() === recipient.address.toLowerCase())
							: { address: recipient.address, response: `not handed over: ${outcome.reason}`, retryable: true };
					if (!refusal) {
						this.store.settleDeferred(entry.messageRef, recipient.address);
						continue;
					}
					const attempts = recipient.attempts + 1;
					const nextMs = attemptMs + this.retryDelayMs(attempts);
					const expired = nextMs - recipient.firstAtMs > this.config.retry.maxAgeSeconds * 1000;
					const failure = this.relayFailure(message, identity, refusal, now, expired ? { attempts, sinceMs: recipient.firstAtMs } : undefined);
					if (failure.action === 'delayed') {
						this.store.defer(entry.messageRef, entry.raw, recipient.address, recipient.firstAtMs, nextMs, refusal.response);
					} else {
						this.store.addFailure(message.accountId, identity.id, message.id, failure);
						this.store.settleDeferred(entry.messageRef, recipient.address);
					}
				}
			}
			return due.length;
		} finally {
			this.retrying = false;
		}
	}

	/**
	 * A recipient the upstream refused, as a failed delivery. `givenUp` turns a temporary refusal
	 * into the final failure after the retries ran out.
	 */
	private relayFailure(
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
		const reason = classify({ status, replyCode, diagnostic: rejection.response, action: temporary ? 'delayed' : 'failed', command: 'RCPT' });
		const diagnostic =
			refusedForNow && givenUp
				? `${rejection.response} (refused for now on each of ${givenUp.attempts} attempts since ${new Date(givenUp.sinceMs).toISOString()}; no more attempts)`
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
			remoteMta: this.relay.target,
			reportingMta: this.config.domain,
			message: messageFacts(message, identity),
			link: { method: 'relay-session', confidence: 'high' },
			source: 'relay',
			receivedAt: now,
		};
	}

	/* ---------------------------------------------------------------- inbound reports */

	/** Parses one report from the inbound port and records its failures. Returns the report id. */
	async receiveReport(raw: Buffer, envelope: { mailFrom?: string; rcptTo: string[] }): Promise<{ reportId: string; recorded: number; kind: string }> {
		const reportId = newId('rpt');
		const receivedAt = new Date().toISOString();
		const report = await parseBounce(raw);

		// The bounce address names the message (VERP): the strongest link there is.
		let verp: StoredMessage | undefined;
		for (const rcpt of envelope.rcptTo) {
			const match = VERP.exec(rcpt);
			if (match && match[2].toLowerCase() === this.config.domain.toLowerCase()) verp = this.store.message(match[1].toLowerCase()) ?? verp;
		}
		const resolved = new Map<string, StoredMessage>();
		const resolver = async (link: OriginalLink) => {
			const found = this.findByLink(link);
			if (!found) return undefined;
			resolved.set(found.id, found);
			return messageFacts(found, this.identityOf(found));
		};
		let failures = await failuresFromReport(report, 'msc', { receivedAt, reportId }, resolver);
		if (verp) {
			const facts = messageFacts(verp, this.identityOf(verp));
			failures = failures.map((failure) => ({ ...failure, message: { ...failure.message, ...facts }, link: { method: 'bounce-address', confidence: 'high' } }));
		}

		let recorded = 0;
		for (const failure of failures) {
			const message = verp ?? resolved.get(String(failure.message.id ?? ''));
			const identity = message ? this.identityOf(message) : this.store.identityByAddress(report.original.from ?? '');
			const accountId = message?.accountId ?? identity?.accountId;
			if (!accountId) continue; // about nothing this sandbox sent
			const record: FailureRecord = {
				id: newId('fd'),
				recipient: failure.recipient,
				action: failure.action,
				kind: failure.kind,
				hard: failure.hard,
				reason: failure.reason,
				status: failure.status,
				replyCode: failure.replyCode,
				diagnostic: failure.diagnostic,
				failedAt: validDate(failure.failedAt) ?? receivedAt,
				remoteMta: failure.remoteMta,
				reportingMta: failure.reportingMta,
				feedbackType: failure.feedbackType,
				message: failure.message,
				link: failure.link,
				source: 'bounce-report',
				reportId,
				reportReceivedAt: receivedAt,
				receivedAt,
			};
			this.store.addFailure(accountId, identity?.id, message?.id, record);
			recorded += 1;
		}
		this.store.addReport({
			id: reportId,
			receivedAt,
			mailFrom: envelope.mailFrom,
			rcptTo: envelope.rcptTo,
			kind: report.kind,
			messageRef: verp?.id ?? [...resolved.keys()][0],
			raw,
			problems: report.problems,
		});
		return { reportId, recorded, kind: report.kind };
	}

	private identityOf(message: StoredMessage): Identity | undefined {
		return this.store.identity(message.accountId, message.identityId);
	}

	private findByLink(link: OriginalLink): StoredMessage | undefined {
		switch (link.method) {
			case 'envelope-id':
				return this.store.messageByDeliveryId(link.value);
			case 'message-id':
			case 'x-original-message-id':
			case 'in-reply-to':
			case 'references':
				return this.store.messageByHeaderId(link.value);
			case 'subject-recipient': {
				const [recipient, ...subject] = link.value.split('\n');
				return this.store.messageBySubjectAndRecipient(subject.join('\n'), recipient);
			}
			default:
				return undefined;
		}
	}
}

function validDate(value: string | undefined): string | undefined {
	if (!value) return undefined;
	const time = Date.parse(value);
	return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

function messageFacts(message: StoredMessage, identity: Identity | undefined): IDataObject {
	return {
		id: message.id,
		messageId: message.messageId,
		deliveryId: message.deliveryId,
		subject: message.subject,
		from: message.from,
		to: message.recipients,
		identity: identity?.address,
		identityId: message.identityId,
		envelopeFrom: message.bounceAddress,
		sentAt: message.createdAt,
	};
}

function parseJson(raw: Buffer): Record<string, unknown> {
	let body: unknown;
	try {
		body = JSON.parse(raw.toString('utf8'));
	} catch (error) {
		throw new Problem(400, 'invalid-json', 'Invalid JSON', `The request body is not valid JSON: ${(error as Error).message}`);
	}
	if (!body || typeof body !== 'object' || Array.isArray(body)) {
		throw new Problem(400, 'invalid-json', 'Invalid JSON', 'The request body must be a JSON object.');
	}
	return body as Record<string, unknown>;
}

/** The API body → the same message the node builds, validated by the same code. */
function toOutgoingMessage(body: Record<string, unknown>, identity: Identity) {
	const deliveryId = typeof body.deliveryId === 'string' && /^[\x21-\x7e]{1,100}$/.test(body.deliveryId) ? body.deliveryId : undefined;
	const given = body.identity;
	const name = typeof given === 'object' && given ? String((given as { name?: unknown }).name ?? '') : '';
	try {
		const format = body.html !== undefined && body.text !== undefined ? 'both' : body.html !== undefined ? 'html' : 'text';
		const message = composeMessage(
			{
				identity: { name: name || identity.name, address: identity.address },
				to: body.to,
				cc: body.cc,
				bcc: body.bcc,
				replyTo: body.replyTo,
				subject: body.subject ?? '',
				emailFormat: format,
				text: body.text,
				html: body.html,
				headers: asArray(body.headers, 'headers') as Array<{ name?: unknown; value?: unknown }>,
				inReplyTo: body.inReplyTo,
				references: body.references,
				attachments: asArray(body.attachments, 'attachments').map(toAttachment),
			},
			deliveryId,
		);
		if (typeof body.messageId === 'string' && /^<[^<>\s@]+@[^<>\s@]+>$/.test(body.messageId)) message.messageId = body.messageId;
		return message;
	} catch (error) {
		if (error instanceof Problem) throw error;
		const field = error instanceof DeliveryError ? error.field : undefined;
		throw new Problem(422, 'invalid-request', 'Invalid request', (error as Error).message, field ? { field } : {});
	}
}

function asArray(value: unknown, field: string): unknown[] {
	if (value === undefined || value === null) return [];
	if (!Array.isArray(value)) throw new Problem(422, 'invalid-request', 'Invalid request', `${field} must be a list.`, { field });
	return value;
}

function toAttachment(value: unknown, index: number): OutgoingAttachment {
	const entry = (value ?? {}) as Record<string, unknown>;
	const field = `attachments[${index}]`;
	if (typeof entry.content !== 'string' || !/^[A-Za-z0-9+/=\r\n]*$/.test(entry.content)) {
		throw new Problem(422, 'invalid-request', 'Invalid request', `${field}.content must be base64 text.`, { field });
	}
	return {
		filename: String(entry.filename ?? `attachment-${index + 1}`),
		contentType: String(entry.contentType ?? 'application/octet-stream'),
		content: Buffer.from(entry.content, 'base64'),
		inline: entry.inline === true,
		contentId: entry.inline === true && typeof entry.contentId === 'string' ? entry.contentId : undefined,
	};
}
