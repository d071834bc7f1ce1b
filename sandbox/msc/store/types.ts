/** What the sandbox keeps: its own rows, and the API's failure record (generated from the OpenAPI file). */
import { createHash, randomBytes } from 'node:crypto';

import type * as Api from '../../../core/msc-api';

export interface Account {
	id: string;
	name: string;
	sendingDomain: string;
	createdAt: string;
}

export interface Identity {
	id: string;
	accountId: string;
	name: string;
	address: string;
	verified: boolean;
	createdAt: string;
}

export type MessageStatus = 'sending' | 'sent' | 'partial' | 'failed' | 'unknown';

export interface StoredMessage {
	id: string;
	accountId: string;
	identityId: string;
	idempotencyKey?: string;
	status: MessageStatus;
	messageId: string;
	deliveryId?: string;
	subject: string;
	from: string;
	recipients: string[];
	bounceAddress: string;
	createdAt: string;
	/** The answer given to the request that created it, replayed for a retry with the same key. */
	response?: { status: number; body: Record<string, unknown> };
}

/**
 * A failed delivery as the API returns it: the API's own record, stored as JSON in its row. Before
 * the row is written, `receivedAt` may be missing (then it is the time of writing).
 */
export type FailureRecord = Omit<Api.FailedDelivery, 'receivedAt'> & { receivedAt?: string };

export interface FailureFilter {
	since?: number;
	until?: number;
	recipient?: string;
	kinds: Array<FailureRecord['kind']>;
	verdict: 'all' | 'hard' | 'soft';
	identityId?: string;
	messageId?: string;
	/** Only failures the service recorded at or after this time (ms). */
	receivedSince?: number;
	/** Recording order (`asc`, oldest first) or newest first. */
	order: 'asc' | 'desc';
	/** Exclusive bound on the sequence number, from a cursor: above it (`asc`) or below it (`desc`). */
	from?: number;
	limit: number;
}

export interface FailurePage {
	records: Api.FailedDelivery[];
	/** Sequence number of the last record returned. */
	lastSeq?: number;
	more: boolean;
	/** Where a reader in recording order resumes: nothing at or before it is left unread. */
	checkpointSeq: number;
}

/** A message with recipients waiting for another attempt. */
export interface DeferredMessage {
	messageRef: string;
	raw: Buffer;
	recipients: Array<{ address: string; attempts: number; firstAtMs: number; lastResponse: string }>;
}

export type Row = Record<string, unknown>;

export function newId(prefix: string): string {
	return `${prefix}_${randomBytes(10).toString('hex')}`;
}

export function hashKey(apiKey: string): string {
	return createHash('sha256').update(apiKey).digest('hex');
}

export function toAccount(row: Row): Account {
	return {
		id: String(row.id),
		name: String(row.name),
		sendingDomain: String(row.sending_domain),
		createdAt: String(row.created_at),
	};
}

export function toIdentity(row: Row): Identity {
	return {
		id: String(row.id),
		accountId: String(row.account_id),
		name: String(row.name),
		address: String(row.address),
		verified: Number(row.verified) === 1,
		createdAt: String(row.created_at),
	};
}

export function toMessage(row: Row): StoredMessage {
	return {
		id: String(row.id),
		accountId: String(row.account_id),
		identityId: String(row.identity_id),
		idempotencyKey: row.idempotency_key === null ? undefined : String(row.idempotency_key),
		status: String(row.status) as MessageStatus,
		messageId: String(row.message_id),
		deliveryId: row.delivery_id === null ? undefined : String(row.delivery_id),
		subject: String(row.subject),
		from: String(row.from_header),
		recipients: JSON.parse(String(row.recipients)) as string[],
		bounceAddress: String(row.bounce_address),
		createdAt: String(row.created_at),
		response:
			row.response_status === null || row.response_status === undefined
				? undefined
				: {
						status: Number(row.response_status),
						body: JSON.parse(String(row.response_body)) as Record<string, unknown>,
					},
	};
}
