/**
 * The sandbox's SQLite schema (Node's built-in node:sqlite, no dependency): accounts and their API
 * keys, Email Identities, messages (with their idempotency keys and the answer given), bounce
 * reports, failed deliveries and recipients waiting for another attempt. WAL mode, so a restart
 * loses nothing that was answered.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { unknownResultProblem } from '../problem';
import type { Row } from './types';

export function openDatabase(file: string): DatabaseSync {
	if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
	const db = new DatabaseSync(file);
	db.exec(
		'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;',
	);
	createTables(db);
	addReceivedTimes(db);
	// A request that was relaying when the process stopped may or may not have gone out: keep its
	// key answered with "result unknown" so a retry never sends it a second time.
	db.prepare(
		`UPDATE messages SET status = 'unknown', response_status = 502, response_body = ? WHERE status = 'sending'`,
	).run(JSON.stringify(unknownResultProblem()));
	return db;
}

function createTables(db: DatabaseSync): void {
	db.exec(`
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
}

/**
 * Databases from before every failure had a received time: the report's arrival when there was a
 * report, else the failure time (a refusal while relaying is recorded when it happens).
 */
function addReceivedTimes(db: DatabaseSync): void {
	const columns = db.prepare('PRAGMA table_info(failures)').all() as Row[];
	if (!columns.some((column) => column.name === 'received_at_ms')) {
		db.exec('ALTER TABLE failures ADD COLUMN received_at_ms INTEGER');
		db.exec(`
			UPDATE failures SET received_at_ms = COALESCE(
				CAST(ROUND((julianday(json_extract(record, '$.reportReceivedAt')) - 2440587.5) * 86400000) AS INTEGER),
				failed_at_ms)
		`);
	}
	// Polls ask for failures received since a time: found through this index, not by reading the history.
	db.exec('CREATE INDEX IF NOT EXISTS failures_received ON failures (account_id, received_at_ms)');
}
