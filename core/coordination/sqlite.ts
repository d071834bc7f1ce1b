/**
 * The SQLite file the local coordinator and the local suppression list keep their tables in: opened
 * on first use (WAL, a 10 s busy timeout, so several n8n processes on one user folder take turns),
 * and write transactions that make the others wait.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';

/** Opens `file` (making its folder) and creates what `schema` creates, if missing. */
export function openDatabase(file: string, schema: string): DatabaseSync {
	mkdirSync(dirname(file), { recursive: true });
	// Loaded on first use: node:sqlite prints an experimental-feature warning when loaded.
	const { DatabaseSync: Database } = require('node:sqlite') as typeof import('node:sqlite');
	const db = new Database(file);
	db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000;');
	db.exec(schema);
	return db;
}

/** Runs `work` in one write transaction, so other processes on the same file wait their turn. */
export function inTransaction<T>(db: DatabaseSync, work: (db: DatabaseSync) => T): T {
	db.exec('BEGIN IMMEDIATE');
	try {
		const result = work(db);
		db.exec('COMMIT');
		return result;
	} catch (error) {
		db.exec('ROLLBACK');
		throw error;
	}
}
