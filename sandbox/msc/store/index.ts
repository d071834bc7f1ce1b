/**
 * Everything the sandbox knows, in one SQLite file (schema.ts): accounts and keys, Email Identities,
 * messages with their idempotency keys, recipients waiting for another attempt, and (failures.ts)
 * bounce reports and failed deliveries.
 */
import { FailureLog } from './failures';
import { openDatabase } from './schema';
import {
	hashKey,
	newId,
	toAccount,
	toIdentity,
	toMessage,
	type Account,
	type DeferredMessage,
	type Identity,
	type MessageStatus,
	type Row,
	type StoredMessage,
} from './types';

export { FIRST_RECEIVED_SQL, failurePageQuery } from './failures';
export * from './types';

/** The failure log's reads and writes (failures.ts), and the rest of what the sandbox keeps. */
export class SandboxStore extends FailureLog {
	constructor(file: string) {
		super(openDatabase(file));
	}

	close(): void {
		this.db.close();
	}

	/* ---------------------------------------------------------------- accounts and keys */

	accountCount(): number {
		return Number((this.db.prepare('SELECT COUNT(*) AS n FROM accounts').get() as Row).n);
	}

	createAccount(name: string, sendingDomain: string, apiKey: string): Account {
		const account: Account = {
			id: newId('acc'),
			name,
			sendingDomain,
			createdAt: new Date().toISOString(),
		};
		this.db
			.prepare('INSERT INTO accounts (id, name, sending_domain, created_at) VALUES (?, ?, ?, ?)')
			.run(account.id, name, sendingDomain, account.createdAt);
		this.db
			.prepare('INSERT INTO api_keys (key_hash, account_id, created_at) VALUES (?, ?, ?)')
			.run(hashKey(apiKey), account.id, account.createdAt);
		return account;
	}

	accountByApiKey(apiKey: string): Account | undefined {
		const row = this.db
			.prepare(
				'SELECT a.* FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.key_hash = ?',
			)
			.get(hashKey(apiKey)) as Row | undefined;
		return row ? toAccount(row) : undefined;
	}

	account(id: string): Account | undefined {
		const row = this.db.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as Row | undefined;
		return row ? toAccount(row) : undefined;
	}

	/* ---------------------------------------------------------------- identities */

	createIdentity(accountId: string, name: string, address: string, verified: boolean): Identity {
		const identity: Identity = {
			id: newId('idt'),
			accountId,
			name,
			address,
			verified,
			createdAt: new Date().toISOString(),
		};
		this.db
			.prepare(
				'INSERT INTO identities (id, account_id, name, address, verified, created_at) VALUES (?, ?, ?, ?, ?, ?)',
			)
			.run(
				identity.id,
				accountId,
				name,
				address.toLowerCase(),
				verified ? 1 : 0,
				identity.createdAt,
			);
		return { ...identity, address: address.toLowerCase() };
	}

	identities(accountId: string): Identity[] {
		return (
			this.db
				.prepare('SELECT * FROM identities WHERE account_id = ? ORDER BY created_at, rowid')
				.all(accountId) as Row[]
		).map(toIdentity);
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
		const row = this.db
			.prepare('SELECT * FROM identities WHERE address = ? ORDER BY created_at LIMIT 1')
			.get(address.toLowerCase()) as Row | undefined;
		return row ? toIdentity(row) : undefined;
	}

	setVerified(identityId: string, verified: boolean): void {
		this.db
			.prepare('UPDATE identities SET verified = ? WHERE id = ?')
			.run(verified ? 1 : 0, identityId);
	}

	/* ---------------------------------------------------------------- messages */

	/**
	 * Claims an idempotency key for a new message. Atomic (one INSERT under a UNIQUE constraint), so
	 * two concurrent requests with the same key cannot both send.
	 */
	claimMessage(
		message: Omit<StoredMessage, 'status' | 'createdAt' | 'response'>,
		requestHash: string,
	):
		| { state: 'claimed' }
		| { state: 'replay' | 'in-progress' | 'mismatch'; existing: StoredMessage } {
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
				`INSERT INTO messages (id, account_id, identity_id, idempotency_key, request_hash, status, message_id, delivery_id,
				   subject, from_header, recipients, bounce_address, created_at)
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
	finishMessage(
		id: string,
		status: MessageStatus,
		responseStatus: number,
		responseBody: Record<string, unknown>,
	): void {
		this.db
			.prepare(
				`UPDATE messages SET status = ?, response_status = ?, response_body = ? WHERE id = ? AND status = 'sending'`,
			)
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

	messageByKey(
		accountId: string,
		idempotencyKey: string,
	): (StoredMessage & { requestHash: string }) | undefined {
		const row = this.db
			.prepare('SELECT * FROM messages WHERE account_id = ? AND idempotency_key = ?')
			.get(accountId, idempotencyKey) as Row | undefined;
		return row ? { ...toMessage(row), requestHash: String(row.request_hash) } : undefined;
	}

	message(id: string): StoredMessage | undefined {
		const row = this.db.prepare('SELECT * FROM messages WHERE id = ? COLLATE NOCASE').get(id) as
			Row | undefined;
		return row ? toMessage(row) : undefined;
	}

	messageByHeaderId(messageId: string): StoredMessage | undefined {
		const row = this.db
			.prepare('SELECT * FROM messages WHERE message_id = ? ORDER BY created_at DESC LIMIT 1')
			.get(messageId) as Row | undefined;
		return row ? toMessage(row) : undefined;
	}

	messageByDeliveryId(deliveryId: string): StoredMessage | undefined {
		const row = this.db
			.prepare('SELECT * FROM messages WHERE delivery_id = ? ORDER BY created_at DESC LIMIT 1')
			.get(deliveryId) as Row | undefined;
		return row ? toMessage(row) : undefined;
	}

	messageBySubjectAndRecipient(subject: string, recipient: string): StoredMessage | undefined {
		const row = this.db
			.prepare(
				`SELECT * FROM messages WHERE subject = ? AND instr(lower(recipients), ?) > 0 ORDER BY created_at DESC LIMIT 1`,
			)
			.get(subject, JSON.stringify(recipient.toLowerCase())) as Row | undefined;
		return row ? toMessage(row) : undefined;
	}

	messageCount(accountId?: string): number {
		const row = accountId
			? this.db.prepare('SELECT COUNT(*) AS n FROM messages WHERE account_id = ?').get(accountId)
			: this.db.prepare('SELECT COUNT(*) AS n FROM messages').get();
		return Number((row as Row).n);
	}

	/* ---------------------------------------------------------------- deferred recipients */

	/** Keeps a recipient the upstream refused for now, and the message, for a later attempt. */
	defer(
		messageRef: string,
		raw: Buffer,
		recipient: string,
		firstAtMs: number,
		nextAtMs: number,
		response: string,
	): void {
		this.db
			.prepare('INSERT OR IGNORE INTO deferred_raw (message_ref, raw) VALUES (?, ?)')
			.run(messageRef, raw);
		this.db
			.prepare(
				`INSERT INTO deferred (message_ref, recipient, attempts, first_at_ms, next_at_ms, last_response) VALUES (?, ?, 1, ?, ?, ?)
				 ON CONFLICT (message_ref, recipient) DO UPDATE
				 SET attempts = attempts + 1, next_at_ms = excluded.next_at_ms, last_response = excluded.last_response`,
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
				const raw = this.db
					.prepare('SELECT raw FROM deferred_raw WHERE message_ref = ?')
					.get(ref) as Row | undefined;
				entry = {
					messageRef: ref,
					raw: raw ? Buffer.from(raw.raw as Uint8Array) : Buffer.alloc(0),
					recipients: [],
				};
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
		this.db
			.prepare('DELETE FROM deferred WHERE message_ref = ? AND recipient = ?')
			.run(messageRef, recipient);
		const left = this.db
			.prepare('SELECT COUNT(*) AS n FROM deferred WHERE message_ref = ?')
			.get(messageRef) as Row;
		if (Number(left.n) === 0)
			this.db.prepare('DELETE FROM deferred_raw WHERE message_ref = ?').run(messageRef);
	}

	deferredCount(): number {
		return Number((this.db.prepare('SELECT COUNT(*) AS n FROM deferred').get() as Row).n);
	}
}
