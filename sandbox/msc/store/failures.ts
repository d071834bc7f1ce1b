/**
 * Bounce reports and failed deliveries. Each failure row holds the API's record (JSON) beside the
 * columns its listings are read by: the account's sequence number and the received time, both
 * indexed, so a listing costs the rows it returns, not the history.
 */
import type { DatabaseSync } from 'node:sqlite';

import type * as Api from '../../../core/msc-api';
import type { FailureFilter, FailurePage, FailureRecord, Row } from './types';

/** The first failure of an account received at or after a time (covered by the failures_received index). */
export const FIRST_RECEIVED_SQL =
	'SELECT MIN(seq) AS seq FROM failures WHERE account_id = ? AND received_at_ms >= ?';

/**
 * The query for one page of failures, starting from a cursor position and, with `receivedSince`,
 * from `firstSeq` (FIRST_RECEIVED_SQL's answer): a range of the (account_id, seq) index, never the
 * whole history. One more row than the limit is asked for, to know whether a next page exists.
 */
export function failurePageQuery(
	accountId: string,
	filter: FailureFilter,
	firstSeq?: number,
): { sql: string; params: Array<string | number> } {
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

/** A failure row as the API returns it: its record, with the time the service recorded it. */
export function toApiFailure(row: Row): Api.FailedDelivery {
	return {
		...(JSON.parse(String(row.record)) as FailureRecord),
		receivedAt: new Date(Number(row.received_at_ms)).toISOString(),
	};
}

export class FailureLog {
	constructor(readonly db: DatabaseSync) {}

	addReport(report: {
		id: string;
		receivedAt: string;
		mailFrom?: string;
		rcptTo: string[];
		kind: string;
		messageRef?: string;
		raw: Buffer;
		problems?: string[];
	}): void {
		this.db
			.prepare(
				'INSERT INTO reports (id, received_at, mail_from, rcpt_to, kind, message_ref, size, problems, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
			)
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
	addFailure(
		accountId: string,
		identityId: string | undefined,
		messageRef: string | undefined,
		record: FailureRecord,
	): void {
		const failedAt = Date.parse(record.failedAt);
		const given = record.receivedAt === undefined ? Number.NaN : Date.parse(record.receivedAt);
		const receivedAtMs = Number.isNaN(given) ? Date.now() : given;
		this.db
			.prepare(
				'INSERT INTO failures (id, account_id, identity_id, message_ref, recipient_lc, kind, hard, failed_at_ms, received_at_ms, record) ' +
					'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
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
			if (first.seq === null)
				return { records: [], more: false, checkpointSeq: this.lastSeq(accountId, filter.from) };
			firstSeq = Number(first.seq);
		}
		const { sql, params } = failurePageQuery(accountId, filter, firstSeq);
		const rows = this.db.prepare(sql).all(...params) as Row[];
		const more = rows.length > filter.limit;
		const page = rows.slice(0, filter.limit);
		const lastSeq = page.length ? Number(page[page.length - 1].seq) : undefined;
		return {
			records: page.map(toApiFailure),
			lastSeq,
			more,
			checkpointSeq: more ? lastSeq! : this.lastSeq(accountId, filter.from),
		};
	}

	/** The newest sequence number of the account, or `floor` when nothing is newer. */
	private lastSeq(accountId: string, floor = 0): number {
		const row = this.db
			.prepare('SELECT MAX(seq) AS seq FROM failures WHERE account_id = ?')
			.get(accountId) as Row;
		return Math.max(floor, row.seq === null ? 0 : Number(row.seq));
	}

	failureCount(): number {
		return Number((this.db.prepare('SELECT COUNT(*) AS n FROM failures').get() as Row).n);
	}
}
