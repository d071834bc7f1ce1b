/**
 * Everything the sandbox knows, in one SQLite file (Node's built-in node:sqlite, no dependency):
 * accounts, Email Identities, messages (with their idempotency keys and the answer given), failed
 * deliveries and the bounce reports they came from. WAL mode, so a restart loses nothing that was
 * answered.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import type { DataObject as IDataObject } from '../../core/model';

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

/** A failed delivery as the API returns it (the bounce engine's fields plus links). */
export interface FailureRecord {
	id: string;
	recipient: string;
	action: string;
	kind: 'failure' | 'delay' | 'complaint';
	hard: boolean;
	reason: string;
	status: string;
	replyCode: string;
	diagnostic: string;
	failedAt: string;
	remoteMta?: string;
	reportingMta?: string;
	feedbackType?: string;
	message: IDataObject;
	link: { method: string; confidence: string };
	/** 'relay': refused while the sandbox relayed the message; 'bounce-report': from a report on the inbound port. */
	source: 'relay' | 'bounce-report';
	reportId?: string;
	reportReceivedAt?: string;
	/** When the service recorded it (a refusal while relaying, or the report's arrival); every failure has one. */
	receivedAt?: string;
}

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
	records: FailureRecord[];
	/** Sequence number of the last record returned. */
	lastSeq?: number;
	more: boolean;
	/** Where a reader in recording order resumes: nothing at or before it is left unread. */
	checkpointSeq: number;
}

/** The first failure of an account received at or after a time (covered by the failures_received index). */
export const FIRST_RECEIVED_SQL = 'SELECT MIN(seq) AS seq FROM failures WHERE account_id = ? AND received_at_ms >= ?';

/**
 * The query for one page of failures, starting from a cursor position and, with `receivedSince`,
 * from `firstSeq` (FIRST_RECEIVED_SQL's answer): a range of the (account_id, seq) index, never the
 * whole history. One more row than the limit is asked for, to know whether a next page exists.
 */
export function failurePageQuery(accountId: string, filter: FailureFilter, firstSeq?: number): { sql: string; params: Array<string | number> } {
	const where = ['account_id = ?'];
	const params: Array<string | number> = [accountId];
	const asc = filter.order === 'asc';
	if (filter.from !== undefined) {
		where.push(asc ? 'seq > ?' : 'seq < ?');
		params.push(filter.from);
	}
	if (filter.receivedSince !== undefined) {
		where.push('seq >= ?', 'received_at_ms >= ?');
		params.push(firstSeq ?? 0, filter.receivedSince);
	}
	const optional: Array<[unknown, string, string | number | undefined]> = [
		[filter.since, 'failed_at_ms >= ?', filter.since],
		[filter.until, 'failed_at_ms < ?', filter.until],
		[filter.recipient, 'recipient_lc = ?', filter.recipient?.toLowerCase()],
		[filter.identityId, 'identity_id = ?', filter.identityId],
		[filter.messageId, 'message_ref = ?', filter.messageId],
	];
	for (const [given, condition, value] of optional) {
		if (given === undefined || given === '' || value === undefined) continue;
		where.push(condition);
		params.push(value);
	}
	if (filter.verdict !== 'all') where.push(filter.verdict === 'hard' ? 'hard = 1' : 'hard = 0');
	where.push(`kind IN (${filter.kinds.map(() => '?').join(', ') || "''"})`);
	params.push(...filter.kinds, filter.limit + 1);
	return {
		sql: `SELECT seq, received_at_ms, record FROM failures WHERE ${where.join(' AND ')} ORDER BY seq ${asc ? 'ASC' : 'DESC'} LIMIT ?`,
		params,
	};
}

export function newId(prefix: string): string {
	return `${prefix}_${randomBytes(10).toString('hex')}`;
}

export function hashKey(apiKey: string): string {
	return createHash('sha256').update(apiKey).digest('hex');
}

type Row = Record<string, unknown>;

/** A message with recipients waiting for another attempt. */
export interface DeferredMessage {
	messageRef: string;
	raw: Buffer;
	recipients: Array<{ address: string; attempts: number; firstAtMs: number; lastResponse: string }>;
}

export class SandboxStore {
	readonly db: DatabaseSync;

	constructor(file: string) {
		if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
		this.db = new DatabaseSync(file);
		this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
		this.migrate();
	}

	private migrate(): void {
		this.db.exec(`
			CREATE TABLE IF NOT EXISTS accounts (
				id TEXT PRIMARY KEY,
				name TEXT NOT NULL,
				sending_domain TEXT NOT NULL,
				created_at TEXT NOT NULL
			);
			CREATE TABLE IF NOT EXISTS api_keys (
				key_hash TEXT PRIMARY KEY,
				account_id TEXT NOT NULL REFERENCES accounts(id),
				created_at TEXT NOT NULL
			);
			CREATE TABLE IF NOT EXISTS identities (
				id TEXT PRIMARY KEY,
				account_id TEXT NOT NULL REFERENCES accounts(id),
				name TEXT NOT NULL,
				address TEXT NOT NULL,
				verified INTEGER NOT NULL,
				created_at TEXT NOT NULL,
				UNIQUE (account_id, address)
			);
			CREATE TABLE IF NOT EXISTS messages (
				id TEXT PRIMARY KEY,
				account_id TEXT NOT NULL REFERENCES accounts(id),
				identity_id TEXT NOT NULL,
				idempotency_key TEXT,
				request_hash TEXT,
				status TEXT NOT NULL,
				message_id TEXT NOT NULL,
				delivery_id TEXT,
				subject TEXT NOT NULL,
				from_header TEXT NOT NULL,
				recipients TEXT NOT NULL,
				bounce_address TEXT NOT NULL,
				created_at TEXT NOT NULL,
				response_status INTEGER,
				response_body TEXT,
				UNIQUE (account_id, idempotency_key)
			);
			CREATE INDEX IF NOT EXISTS messages_message_id ON messages (message_id);
			CREATE INDEX IF NOT EXISTS messages_delivery_id ON messages (delivery_id);
			CREATE TABLE IF NOT EXISTS reports (
				id TEXT PRIMARY KEY,
				received_at TEXT NOT NULL,
				mail_from TEXT,
				rcpt_to TEXT NOT NULL,
				kind TEXT NOT NULL,
				message_ref TEXT,
				size INTEGER NOT NULL,
				problems TEXT,
				raw BLOB
			);
			CREATE TABLE IF NOT EXISTS failures (
				seq INTEGER PRIMARY KEY AUTOINCREMENT,
				id TEXT NOT NULL UNIQUE,
				account_id TEXT NOT NULL,
				identity_id TEXT,
				message_ref TEXT,
				recipient_lc TEXT NOT NULL,
				kind TEXT NOT NULL,
				hard INTEGER NOT NULL,
				failed_at_ms INTEGER NOT NULL,
				received_at_ms INTEGER NOT NULL,
				record TEXT NOT NULL
			);
			CREATE INDEX IF NOT EXISTS failures_account ON failures (account_id, seq);
			CREATE TABLE IF NOT EXISTS deferred (
				message_ref TEXT NOT NULL,
				recipient TEXT NOT NULL,
				attempts INTEGER NOT NULL,
				first_at_ms INTEGER NOT NULL,
				next_at_ms INTEGER NOT NULL,
				last_response TEXT NOT NULL,
				PRIMARY KEY (message_ref, recipient)
			);
			CREATE INDEX IF NOT EXISTS deferred_due ON deferred (next_at_ms);
			CREATE TABLE IF NOT EXISTS deferred_raw (
				message_ref TEXT PRIMARY KEY,
				raw BLOB NOT NULL
			);
		`);
		this.addReceivedTimes();
		// A request that was relaying when the process stopped may or may not have gone out: keep its
		// key answered with "result unknown" so a retry never sends it a second time.
		this.db
			.prepare(`UPDATE messages SET status = 'unknown', response_status = 502, response_body = ? WHERE status = 'sending'`)
			.run(JSON.stringify(unknownResultProblem()));
	}

	/**
	 * Databases from before every failure had a received time: the report's arrival when there was a
	 * report, else the failure time (a refusal while relaying is recorded when it happens).
	 */
	private addReceivedTimes(): void {
		const columns = this.db.prepare('PRAGMA table_info(failures)').all() as Row[];
		if (!columns.some((column) => column.name === 'received_at_ms')) {
			this.db.exec('ALTER TABLE failures ADD COLUMN received_at_ms INTEGER');
			this.db.exec(`
				UPDATE failures SET received_at_ms = COALESCE(
					CAST(ROUND((julianday(json_extract(record, '$.reportReceivedAt')) - 2440587.5) * 86400000) AS INTEGER),
					failed_at_ms)
			`);
		}
		// Polls ask for failures received since a time: found through this index, not by reading the history.
		this.db.exec('CREATE INDEX IF NOT EXISTS failures_received ON failures (account_id, received_at_ms)');
	}

	close(): void {
		this.db.close();
	}

	/* ---------------------------------------------------------------- accounts and keys */

	accountCount(): number {
		return Number((this.db.prepare('SELECT COUNT(*) AS n FROM accounts').get() as Row).n);
	}

	createAccount(name: string, sendingDomain: string, apiKey: string): Account {
		const account: Account = { id: newId('acc'), name, sendingDomain, createdAt: new Date().toISOString() };
		this.db.prepare('INSERT INTO accounts (id, name, sending_domain, created_at) VALUES (?, ?, ?, ?)').run(account.id, name, sendingDomain, account.createdAt);
		this.db.prepare('INSERT INTO api_keys (key_hash, account_id, created_at) VALUES (?, ?, ?)').run(hashKey(apiKey), account.id, account.createdAt);
		return account;
	}

	accountByApiKey(apiKey: string): Account | undefined {
		const row = this.db
			.prepare('SELECT a.* FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.key_hash = ?')
			.get(hashKey(apiKey)) as Row | undefined;
		return row ? toAccount(row) : undefined;
	}

	account(id: string): Account | undefined {
		const row = this.db.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as Row | undefined;
		return row ? toAccount(row) : undefined;
	}

	/* ---------------------------------------------------------------- identities */

	createIdentity(accountId: string, name: string, address: string, verified: boolean): Identity {
		const identity: Identity = { id: newId('idt'), accountId, name, address, verified, createdAt: new Date().toISOString() };
		this.db
			.prepare('INSERT INTO identities (id, account_id, name, address, verified, created_at) VALUES (?, ?, ?, ?, ?, ?)')
			.run(identity.id, accountId, name, address.toLowerCase(), verified ? 1 : 0, identity.createdAt);
		return { ...identity, address: address.toLowerCase() };
	}

	identities(accountId: string): Identity[] {
		return (this.db.prepare('SELECT * FROM identities WHERE account_id = ? ORDER BY created_at, rowid').all(accountId) as Row[]).map(toIdentity);
	}

	/** By id or by address (case-insensitive). */
	identity(accountId: string, idOrAddress: string): Identity | undefined {
		const row = this.db
			.prepare('SELECT * FROM identities WHERE account_id = ? AND (id = ? OR address = ?)')
			.get(accountId, idOrAddress, idOrAddress.toLowerCase()) as Row | undefined;
		return row ? toIdentity(row) : undefined;
	}

	/** An identity with this address on any account (to place a report nothing else links). */
	identityByAddress(address: string): Identity | undefined {
		const row = this.db.prepare('SELECT * FROM identities WHERE address = ? ORDER BY created_at LIMIT 1').get(address.toLowerCase()) as Row | undefined;
		return row ? toIdentity(row) : undefined;
	}

	setVerified(identityId: string, verified: boolean): void {
		this.db.prepare('UPDATE identities SET verified = ? WHERE id = ?').run(verified ? 1 : 0, identityId);
	}

	/* ---------------------------------------------------------------- messages */

	/**
	 * Claims an idempotency key for a new message. Atomic (one INSERT under a UNIQUE constraint), so
	 * two concurrent requests with the same key cannot both send.
	 */
	claimMessage(
		message: Omit<StoredMessage, 'status' | 'createdAt' | 'response'>,
		requestHash: string,
	): { state: 'claimed' } | { state: 'replay' | 'in-progress' | 'mismatch'; existing: StoredMessage } {
		if (message.idempotencyKey) {
			const existing = this.db
				.prepare('SELECT * FROM messages WHERE account_id = ? AND idempotency_key = ?')
				.get(message.accountId, message.idempotencyKey) as Row | undefined;
			if (existing) {
				const stored = toMessage(existing);
				if (existing.request_hash !== requestHash) return { state: 'mismatch', existing: stored };
				return { state: stored.status === 'sending' ? 'in-progress' : 'replay', existing: stored };
			}
		}
		this.db
			.prepare(
				`INSERT INTO messages (id, account_id, identity_id, idempotency_key, request_hash, status, message_id, delivery_id, subject, from_header, recipients, bounce_address, created_at)
				 VALUES (?, ?, ?, ?, ?, 'sending', ?, ?, ?, ?, ?, ?, ?)`,
			)
			.run(
				message.id,
				message.accountId,
				message.identityId,
				message.idempotencyKey ?? null,
				requestHash,
				message.messageId,
				message.deliveryId ?? null,
				message.subject,
				message.from,
				JSON.stringify(message.recipients),
				message.bounceAddress,
				new Date().toISOString(),
			);
		return { state: 'claimed' };
	}

	/** Stores the outcome and the answer, so a retry with the same key gets exactly this answer (the first one given stays). */
	finishMessage(id: string, status: MessageStatus, responseStatus: number, responseBody: Record<string, unknown>): void {
		this.db
			.prepare(`UPDATE messages SET status = ?, response_status = ?, response_body = ? WHERE id = ? AND status = 'sending'`)
			.run(status, responseStatus, JSON.stringify(responseBody), id);
	}

	/** What became of a message after its answer was given; the answer itself stays as it was. */
	setStatus(id: string, status: MessageStatus): void {
		this.db.prepare('UPDATE messages SET status = ? WHERE id = ?').run(status, id);
	}

	/** Nothing went out (the upstream was unreachable): forget the claim so a retry sends it. */
	releaseMessage(id: string): void {
		this.db.prepare(`DELETE FROM messages WHERE id = ? AND status = 'sending'`).run(id);
	}

	messageByKey(accountId: string, idempotencyKey: string): (StoredMessage & { requestHash: string }) | undefined {
		const row = this.db.prepare('SELECT * FROM messages WHERE account_id = ? AND idempotency_key = ?').get(accountId, idempotencyKey) as Row | undefined;
		return row ? { ...toMessage(row), requestHash: String(row.request_hash) } : undefined;
	}

	message(id: string): StoredMessage | undefined {
		const row = this.db.prepare('SELECT * FROM messages WHERE id = ? COLLATE NOCASE').get(id) as Row | undefined;
		return row ? toMessage(row) : undefined;
	}

	messageByHeaderId(messageId: string): StoredMessage | undefined {
		const row = this.db.prepare('SELECT * FROM messages WHERE message_id = ? ORDER BY created_at DESC LIMIT 1').get(messageId) as Row | undefined;
		return row ? toMessage(row) : undefined;
	}

	messageByDeliveryId(deliveryId: string): StoredMessage | undefined {
		const row = this.db.prepare('SELECT * FROM messages WHERE delivery_id = ? ORDER BY created_at DESC LIMIT 1').get(deliveryId) as Row | undefined;
		return row ? toMessage(row) : undefined;
	}

	messageBySubjectAndRecipient(subject: string, recipient: string): StoredMessage | undefined {
		const row = this.db
			.prepare(`SELECT * FROM messages WHERE subject = ? AND instr(lower(recipients), ?) > 0 ORDER BY created_at DESC LIMIT 1`)
			.get(subject, JSON.stringify(recipient.toLowerCase())) as Row | undefined;
		return row ? toMessage(row) : undefined;
	}

	messageCount(accountId?: string): number {
		const row = accountId
			? this.db.prepare('SELECT COUNT(*) AS n FROM messages WHERE account_id = ?').get(accountId)
			: this.db.prepare('SELECT COUNT(*) AS n FROM messages').get();
		return Number((row as Row).n);
	}

	/* ---------------------------------------------------------------- reports and failures */

	addReport(report: { id: string; receivedAt: string; mailFrom?: string; rcptTo: string[]; kind: string; messageRef?: string; raw: Buffer; problems?: string[] }): void {
		this.db
			.prepare('INSERT INTO reports (id, received_at, mail_from, rcpt_to, kind, message_ref, size, problems, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
			.run(
				report.id,
				report.receivedAt,
				report.mailFrom ?? null,
				JSON.stringify(report.rcptTo),
				report.kind,
				report.messageRef ?? null,
				report.raw.length,
				report.problems?.length ? JSON.stringify(report.problems) : null,
				report.raw,
			);
	}

	/** Records a failed delivery; `record.receivedAt` (when the service learnt of it) is now unless given. */
	addFailure(accountId: string, identityId: string | undefined, messageRef: string | undefined, record: FailureRecord): void {
		const failedAt = Date.parse(record.failedAt);
		const given = record.receivedAt === undefined ? Number.NaN : Date.parse(record.receivedAt);
		const receivedAtMs = Number.isNaN(given) ? Date.now() : given;
		this.db
			.prepare(
				'INSERT INTO failures (id, account_id, identity_id, message_ref, recipient_lc, kind, hard, failed_at_ms, received_at_ms, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
			)
			.run(
				record.id,
				accountId,
				identityId ?? null,
				messageRef ?? null,
				record.recipient.toLowerCase(),
				record.kind,
				record.hard ? 1 : 0,
				Number.isNaN(failedAt) ? receivedAtMs : failedAt,
				receivedAtMs,
				JSON.stringify({ ...record, receivedAt: new Date(receivedAtMs).toISOString() }),
			);
	}

	/* ---------------------------------------------------------------- deferred recipients */

	/** Keeps a recipient the upstream refused for now, and the message, for a later attempt. */
	defer(messageRef: string, raw: Buffer, recipient: string, firstAtMs: number, nextAtMs: number, response: string): void {
		this.db.prepare('INSERT OR IGNORE INTO deferred_raw (message_ref, raw) VALUES (?, ?)').run(messageRef, raw);
		this.db
			.prepare(
				`INSERT INTO deferred (message_ref, recipient, attempts, first_at_ms, next_at_ms, last_response) VALUES (?, ?, 1, ?, ?, ?)
				 ON CONFLICT (message_ref, recipient) DO UPDATE SET attempts = attempts + 1, next_at_ms = excluded.next_at_ms, last_response = excluded.last_response`,
			)
			.run(messageRef, recipient, firstAtMs, nextAtMs, response);
	}

	/** Messages with recipients due for another attempt, oldest first. */
	dueDeferred(nowMs: number, limit: number): DeferredMessage[] {
		const rows = this.db
			.prepare('SELECT * FROM deferred WHERE next_at_ms <= ? ORDER BY next_at_ms LIMIT ?')
			.all(nowMs, Math.max(1, Math.min(limit, 1000))) as Row[];
		const byMessage = new Map<string, DeferredMessage>();
		for (const row of rows) {
			const ref = String(row.message_ref);
			let entry = byMessage.get(ref);
			if (!entry) {
				const raw = this.db.prepare('SELECT raw FROM deferred_raw WHERE message_ref = ?').get(ref) as Row | undefined;
				entry = { messageRef: ref, raw: raw ? Buffer.from(raw.raw as Uint8Array) : Buffer.alloc(0), recipients: [] };
				byMessage.set(ref, entry);
			}
			entry.recipients.push({
				address: String(row.recipient),
				attempts: Number(row.attempts),
				firstAtMs: Number(row.first_at_ms),
				lastResponse: String(row.last_response),
			});
		}
		return [...byMessage.values()];
	}

	/** The recipient is settled (delivered, refused for good, given up): forget it, and the message once none is left. */
	settleDeferred(messageRef: string, recipient: string): void {
		this.db.prepare('DELETE FROM deferred WHERE message_ref = ? AND recipient = ?').run(messageRef, recipient);
		const left = this.db.prepare('SELECT COUNT(*) AS n FROM deferred WHERE message_ref = ?').get(messageRef) as Row;
		if (Number(left.n) === 0) this.db.prepare('DELETE FROM deferred_raw WHERE message_ref = ?').run(messageRef);
	}

	deferredCount(): number {
		return Number((this.db.prepare('SELECT COUNT(*) AS n FROM deferred').get() as Row).n);
	}

	/**
	 * One page of failures in recording order (`asc`, oldest first) or the reverse, read through an
	 * index from where the previous page or checkpoint stopped, so the cost follows the rows asked
	 * for, not the history. `checkpointSeq` is where an `asc` reader resumes later: after the last row
	 * returned, or after everything recorded so far when no matching row is left.
	 */
	failures(accountId: string, filter: FailureFilter): FailurePage {
		let firstSeq: number | undefined;
		if (filter.receivedSince !== undefined) {
			// The first row received since then, found in the received-time index; rows before it are never read.
			const first = this.db.prepare(FIRST_RECEIVED_SQL).get(accountId, filter.receivedSince) as Row;
			if (first.seq === null) return { records: [], more: false, checkpointSeq: this.lastSeq(accountId, filter.from) };
			firstSeq = Number(first.seq);
		}
		const { sql, params } = failurePageQuery(accountId, filter, firstSeq);
		const rows = this.db.prepare(sql).all(...params) as Row[];
		const more = rows.length > filter.limit;
		const page = rows.slice(0, filter.limit);
		const lastSeq = page.length ? Number(page[page.length - 1].seq) : undefined;
		return {
			records: page.map((row) => ({ ...(JSON.parse(String(row.record)) as FailureRecord), receivedAt: new Date(Number(row.received_at_ms)).toISOString() })),
			lastSeq,
			more,
			checkpointSeq: more ? lastSeq! : this.lastSeq(accountId, filter.from),
		};
	}

	/** The newest sequence number of the account, or `floor` when nothing is newer. */
	private lastSeq(accountId: string, floor = 0): number {
		const row = this.db.prepare('SELECT MAX(seq) AS seq FROM failures WHERE account_id = ?').get(accountId) as Row;
		return Math.max(floor, row.seq === null ? 0 : Number(row.seq));
	}

	failureCount(): number {
		return Number((this.db.prepare('SELECT COUNT(*) AS n FROM failures').get() as Row).n);
	}
}

export function unknownResultProblem(): Record<string, unknown> {
	return {
		type: 'https://msc.example/problems/upstream-result-unknown',
		title: 'Result unknown',
		status: 502,
		detail: 'The connection to the receiving server broke after the whole message was handed over; it may have been delivered, so it is not sent again.',
		code: 'upstream-result-unknown',
		retryable: false,
	};
}

function toAccount(row: Row): Account {
	return { id: String(row.id), name: String(row.name), sendingDomain: String(row.sending_domain), createdAt: String(row.created_at) };
}

function toIdentity(row: Row): Identity {
	return {
		id: String(row.id),
		accountId: String(row.account_id),
		name: String(row.name),
		address: String(row.address),
		verified: Number(row.verified) === 1,
		createdAt: String(row.created_at),
	};
}

function toMessage(row: Row): StoredMessage {
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
				: { status: Number(row.response_status), body: JSON.parse(String(row.response_body)) as Record<string, unknown> },
	};
}
