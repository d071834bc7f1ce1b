/**
 * GET /v1/failed-deliveries: the query checked field by field, one page read from the store, and
 * opaque cursors (a position in the account's recording order) for the next page or a checkpoint.
 */
import { Problem, type ApiResponse, type MscService } from './service';
import type { Account, FailureFilter, FailureRecord } from './store';

const MAX_PAGE = 100;
const KINDS: Array<FailureRecord['kind']> = ['failure', 'delay', 'complaint'];

export function listFailures(
	service: MscService,
	account: Account,
	params: URLSearchParams,
): ApiResponse {
	const invalid = (field: string, detail: string) =>
		new Problem(400, 'invalid-request', 'Invalid request', detail, { field });
	const date = (field: string): number | undefined => {
		const value = params.get(field);
		if (!value) return undefined;
		const time = Date.parse(value);
		if (Number.isNaN(time))
			throw invalid(field, `${field} must be an ISO 8601 date-time, got ${JSON.stringify(value)}.`);
		return time;
	};
	const limitText = params.get('limit');
	const limit = limitText === null ? 50 : Number(limitText);
	if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
		throw invalid('limit', `limit must be an integer from 1 to ${MAX_PAGE}.`);
	const kinds = (params.get('type') ?? 'failure')
		.split(',')
		.map((entry) => entry.trim())
		.filter(Boolean) as FailureFilter['kinds'];
	if (!kinds.length || kinds.some((kind) => !KINDS.includes(kind)))
		throw invalid('type', `type is a comma-separated list of ${KINDS.join(', ')}.`);
	const verdict = (params.get('verdict') ?? 'all') as FailureFilter['verdict'];
	if (!['all', 'hard', 'soft'].includes(verdict))
		throw invalid('verdict', 'verdict is all, hard or soft.');
	const order = params.get('order') ?? 'desc';
	if (order !== 'asc' && order !== 'desc')
		throw invalid(
			'order',
			`order is asc (oldest first, in the order they were recorded) or desc (newest first), got ${JSON.stringify(order)}.`,
		);
	let from: number | undefined;
	const cursor = params.get('cursor');
	if (cursor) {
		const position = readCursor(cursor);
		const key = order === 'asc' ? 'after' : 'before';
		if (!position || !Number.isInteger(position[key])) {
			const other = position && Number.isInteger(position[key === 'after' ? 'before' : 'after']);
			throw invalid(
				'cursor',
				other
					? `This cursor continues a listing with order=${key === 'after' ? 'desc' : 'asc'}.`
					: 'cursor is not one this API returned.',
			);
		}
		from = position[key];
	}
	let identityId: string | undefined;
	const identityParam = params.get('identity');
	if (identityParam) {
		const identity = service.store.identity(account.id, identityParam);
		if (!identity)
			throw new Problem(
				422,
				'unknown-identity',
				'Unknown identity',
				`${identityParam} is not an Email Identity of this account.`,
				{ field: 'identity' },
			);
		identityId = identity.id;
	}
	const page = service.store.failures(account.id, {
		since: date('since'),
		until: date('until'),
		receivedSince: date('receivedSince'),
		recipient: params.get('recipient')?.trim() || undefined,
		kinds,
		verdict,
		identityId,
		messageId: params.get('message') ?? undefined,
		order,
		from,
		limit,
	});
	const key = order === 'asc' ? 'after' : 'before';
	const nextCursor =
		page.more && page.lastSeq !== undefined ? writeCursor({ [key]: page.lastSeq }) : null;
	const body: Record<string, unknown> = { data: page.records, nextCursor };
	if (order === 'asc') body.checkpoint = writeCursor({ after: page.checkpointSeq });
	return { status: 200, body };
}

type Position = Partial<Record<'after' | 'before', number>>;

function writeCursor(position: Position): string {
	return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function readCursor(cursor: string): Position | undefined {
	try {
		const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
		return value && typeof value === 'object' ? (value as Position) : undefined;
	} catch {
		return undefined;
	}
}
