/**
 * The suppression list in the SQLite file of the local coordinator (its own connection to the same
 * file, table `suppressions`), shared by every n8n process that uses the same user folder.
 */
import type { DatabaseSync } from 'node:sqlite';

import { inTransaction, openDatabase } from './sqlite';
import {
	active,
	merged,
	present,
	suppressionKey,
	type StoredSuppression,
	type Suppression,
	type SuppressionStore,
} from './suppressions';

export class LocalSuppressions implements SuppressionStore {
	readonly where: string;
	private db?: DatabaseSync;

	constructor(private readonly file: string) {
		this.where = file;
	}

	private database(): DatabaseSync {
		this.db ??= openDatabase(
			this.file,
			'CREATE TABLE IF NOT EXISTS suppressions (key TEXT PRIMARY KEY, entry TEXT NOT NULL, ' +
				'recorded TEXT NOT NULL, removed INTEGER NOT NULL DEFAULT 0);' +
				'CREATE INDEX IF NOT EXISTS suppressions_recorded ON suppressions (removed, recorded);',
		);
		return this.db;
	}

	private transaction<T>(work: (db: DatabaseSync) => T): T {
		return inTransaction(this.database(), work);
	}

	private read(db: DatabaseSync, key: string): StoredSuppression | undefined {
		const row = db.prepare('SELECT entry FROM suppressions WHERE key = ?').get(key) as
			{ entry: string } | undefined;
		return row ? (JSON.parse(row.entry) as StoredSuppression) : undefined;
	}

	private write(db: DatabaseSync, key: string, entry: StoredSuppression): void {
		db.prepare(
			'INSERT OR REPLACE INTO suppressions (key, entry, recorded, removed) VALUES (?, ?, ?, ?)',
		).run(key, JSON.stringify(entry), entry.recordedAt, entry.removedAt ? 1 : 0);
	}

	async record(entries: Suppression[]): Promise<number> {
		if (!entries.length) return 0;
		return this.transaction((db) => {
			let added = 0;
			for (const incoming of entries) {
				const key = suppressionKey(incoming.address);
				const next = merged(this.read(db, key), incoming);
				if (!next) continue;
				this.write(db, key, next);
				added++;
			}
			return added;
		});
	}

	async find(addresses: string[]): Promise<Suppression[]> {
		if (!addresses.length) return [];
		const db = this.database();
		const keys = [...new Set(addresses.map(suppressionKey))];
		return present(keys.map((key) => active(this.read(db, key))));
	}

	async list(limit?: number): Promise<Suppression[]> {
		const rows = this.database()
			.prepare(
				'SELECT entry FROM suppressions WHERE removed = 0 ORDER BY recorded DESC, key' +
					(limit === undefined ? '' : ' LIMIT ?'),
			)
			.all(...(limit === undefined ? [] : [limit])) as Array<{ entry: string }>;
		return present(rows.map((row) => active(JSON.parse(row.entry) as StoredSuppression)));
	}

	async remove(address: string, at = new Date()): Promise<Suppression | undefined> {
		const key = suppressionKey(address);
		return this.transaction((db) => {
			const was = active(this.read(db, key));
			if (was) this.write(db, key, { ...was, removedAt: at.toISOString() });
			return was;
		});
	}

	async close(): Promise<void> {
		this.db?.close();
		this.db = undefined;
	}
}
