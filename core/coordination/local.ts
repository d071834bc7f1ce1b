/**
 * Coordination without any setup: connection slots and the per-minute window live in this process
 * (every execution of one n8n process shares them), the idempotency ledger and the daily counts in
 * a SQLite file (node:sqlite) in the n8n user folder, so they survive a restart and are shared by
 * every n8n process that uses the same folder.
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';

import { inTransaction, openDatabase } from './sqlite';
import { KEY_RETENTION_MS, keyDigest } from './keys';
import { LocalSemaphores, SlidingWindows } from './memory';
import type * as T from './types';
import { dailyRefusal, DAY_MS } from './daily';
import { abandoned } from './transmit';

export class LocalCoordinator implements T.Coordinator {
	readonly kind = 'local' as const;
	readonly where: string;
	private db?: DatabaseSync;
	private readonly semaphores = new LocalSemaphores();
	private readonly windows = new SlidingWindows();

	constructor(
		private readonly file: string,
		private readonly now: () => number = Date.now,
	) {
		this.where = `this n8n process and ${file}`;
	}

	private database(): DatabaseSync {
		this.db ??= openDatabase(
			this.file,
			'CREATE TABLE IF NOT EXISTS ledger (scope TEXT NOT NULL, digest TEXT NOT NULL, entry TEXT NOT NULL, ' +
				'expires INTEGER NOT NULL, PRIMARY KEY (scope, digest));' +
				'CREATE TABLE IF NOT EXISTS daily (account TEXT PRIMARY KEY, started INTEGER NOT NULL, ' +
				'messages INTEGER NOT NULL, recipients INTEGER NOT NULL);',
		);
		return this.db;
	}

	/** Runs `work` in one write transaction, so other processes on the same file wait their turn. */
	private transaction<T>(work: (db: DatabaseSync) => T): T {
		return inTransaction(this.database(), work);
	}

	private read(db: DatabaseSync, scope: string, digest: string): T.LedgerEntry | undefined {
		const row = db
			.prepare('SELECT entry, expires FROM ledger WHERE scope = ? AND digest = ?')
			.get(scope, digest) as { entry: string; expires: number } | undefined;
		if (!row) return undefined;
		if (row.expires <= this.now()) {
			db.prepare('DELETE FROM ledger WHERE scope = ? AND digest = ?').run(scope, digest);
			return undefined;
		}
		return JSON.parse(row.entry) as T.LedgerEntry;
	}

	private write(db: DatabaseSync, scope: string, digest: string, entry: T.LedgerEntry): void {
		db.prepare(
			'INSERT OR REPLACE INTO ledger (scope, digest, entry, expires) VALUES (?, ?, ?, ?)',
		).run(scope, digest, JSON.stringify(entry), this.now() + KEY_RETENTION_MS);
	}

	async reserve(
		scope: string,
		key: string,
		proposal: T.LedgerProposal,
		leaseMs?: number,
	): Promise<T.Reservation> {
		const digest = keyDigest(scope, key);
		return this.transaction((db) => {
			const entry = this.read(db, scope, digest);
			if (entry?.state === 'sent') return { kind: 'sent', entry };
			if (entry && !abandoned(entry, this.now())) return { kind: 'pending', entry };
			const token = randomUUID();
			this.write(db, scope, digest, this.reservation(proposal, token, leaseMs));
			return entry ? { kind: 'reserved', token, replaced: entry } : { kind: 'reserved', token };
		});
	}

	private reservation(
		proposal: T.LedgerProposal,
		token: string,
		leaseMs: number | undefined,
	): T.LedgerEntry {
		const entry: T.LedgerEntry = { ...proposal, state: 'reserved', token };
		if (leaseMs) entry.leaseUntil = this.now() + leaseMs;
		return entry;
	}

	/** Changes the entry `token` holds unconfirmed; false when the token no longer holds it. */
	private update(
		scope: string,
		key: string,
		token: string,
		change: (entry: T.LedgerEntry) => T.LedgerEntry,
	): boolean {
		const digest = keyDigest(scope, key);
		return this.transaction((db) => {
			const entry = this.read(db, scope, digest);
			if (entry?.state !== 'reserved' || entry.token !== token) return false;
			this.write(db, scope, digest, change(entry));
			return true;
		});
	}

	async start(scope: string, key: string, token: string): Promise<boolean> {
		return this.update(scope, key, token, (entry) => ({
			...entry,
			startedAt: entry.startedAt ?? new Date(this.now()).toISOString(),
		}));
	}

	async renew(scope: string, key: string, token: string, leaseMs: number): Promise<boolean> {
		return this.update(scope, key, token, (entry) =>
			entry.startedAt ? entry : { ...entry, leaseUntil: this.now() + leaseMs },
		);
	}

	async confirm(
		scope: string,
		key: string,
		token: string,
		sent: Pick<T.LedgerEntry, 'messageId' | 'sentAt' | 'details'>,
	) {
		const digest = keyDigest(scope, key);
		this.transaction((db) => {
			const entry = this.read(db, scope, digest);
			if (!entry || entry.token !== token) return;
			this.write(db, scope, digest, { ...entry, ...sent, state: 'sent' });
		});
	}

	async release(scope: string, key: string, token: string): Promise<void> {
		const digest = keyDigest(scope, key);
		this.transaction((db) => {
			const entry = this.read(db, scope, digest);
			if (entry?.state === 'reserved' && entry.token === token)
				db.prepare('DELETE FROM ledger WHERE scope = ? AND digest = ?').run(scope, digest);
		});
	}

	async takeOver(
		scope: string,
		key: string,
		staleToken: string,
		proposal: T.LedgerProposal,
		leaseMs?: number,
	): Promise<string | false> {
		const digest = keyDigest(scope, key);
		return this.transaction((db) => {
			const entry = this.read(db, scope, digest);
			if (entry && (entry.state !== 'reserved' || entry.token !== staleToken)) return false;
			const token = randomUUID();
			this.write(db, scope, digest, this.reservation(proposal, token, leaseMs));
			return token;
		});
	}

	connectionSlot(account: string, max: number, wait: T.WaitOptions): Promise<() => Promise<void>> {
		return this.semaphores.acquire(account, max, wait);
	}

	messageSlot(account: string, perMinute: number, wait: T.WaitOptions): Promise<T.MessagePlace> {
		return this.windows.take(account, perMinute, wait);
	}

	async countDaily(
		account: string,
		recipients: number,
		limits: T.SendingLimits,
	): Promise<T.QuotaRefusal | undefined> {
		if (!limits.messagesPerDay && !limits.recipientsPerDay) return undefined;
		return this.transaction((db) => {
			const now = this.now();
			let row = db
				.prepare('SELECT started, messages, recipients FROM daily WHERE account = ?')
				.get(account) as { started: number; messages: number; recipients: number } | undefined;
			if (!row || row.started + DAY_MS <= now) row = { started: now, messages: 0, recipients: 0 };
			const refusal = dailyRefusal(row, recipients, limits);
			if (refusal) return refusal;
			db.prepare(
				'INSERT OR REPLACE INTO daily (account, started, messages, recipients) VALUES (?, ?, ?, ?)',
			).run(account, row.started, row.messages + 1, row.recipients + recipients);
			return undefined;
		});
	}

	async close(): Promise<void> {
		this.db?.close();
		this.db = undefined;
	}
}
