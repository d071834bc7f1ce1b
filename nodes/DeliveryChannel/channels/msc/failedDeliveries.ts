/**
 * MSC Failed Deliveries: the API keeps every failure (bounces it received, refusals while relaying).
 * Without a checkpoint (the operation) newest first up to the limit; with a checkpoint or a
 * received-since time (the trigger) in the order the API recorded them, from that point on.
 */
import type { IDataObject } from 'n8n-workflow';

import { matchesQuery } from '../../../../core/failures';
import { DeliveryError } from '../../../../core/errors';
import type { FailedDelivery as ApiFailure, operations } from '../../../../core/msc-api';
import type { FailedDelivery, FailedDeliveryList, FailedDeliveryQuery } from '../types';
import type { MscApi } from './transport';

const PAGE_SIZE = 100;
/** Most failures one listing in arrival order (a trigger poll) reads; the rest follow from its checkpoint. */
const ARRIVAL_CAP = 1_000;

/** One page of GET /v1/failed-deliveries, as the API's contract (docs/msc-api.openapi.yaml) declares it. */
type ApiFailurePage =
	operations['listFailedDeliveries']['responses'][200]['content']['application/json'];

/**
 * With a checkpoint or a received-since time (the trigger), the API is read in the order it
 * recorded failures, from that point on, so a poll reads only what is new. Without (Failed
 * Deliveries), newest first, as far as the limit.
 */
export async function listFailedDeliveries(
	api: MscApi,
	query: FailedDeliveryQuery,
): Promise<FailedDeliveryList> {
	const start = checkpointCursor(query.checkpoint);
	const list =
		start || query.receivedSince
			? await listInArrivalOrder(api, query, start)
			: await listNewestFirst(api, query);
	if (query.includeReplies) list.repliesUnavailable = MSC_REPLIES_UNAVAILABLE;
	return list;
}

/**
 * Why MSC lists no replies: a person's reply goes to the sender's own mailbox, which MSC never
 * sees; the RFC 3834 auto-replies that answer the envelope sender do reach MSC's bounce address,
 * but its API keeps failures only (docs/msc-api.md), so the channel has none to return.
 */
export const MSC_REPLIES_UNAVAILABLE =
	'MSC lists no replies or auto-replies: people reply to your own mailbox, which MSC does not read, ' +
	'and its API keeps failed deliveries only (auto-replies that reach its bounce address are not kept). ' +
	'To see replies and auto-replies, read the mailbox they reach with the Gmail or Custom SMTP channel.';

async function listNewestFirst(
	api: MscApi,
	query: FailedDeliveryQuery,
): Promise<FailedDeliveryList> {
	const found: FailedDelivery[] = [];
	let cursor: string | undefined;
	do {
		const wanted =
			query.limit === undefined ? PAGE_SIZE : Math.min(PAGE_SIZE, query.limit - found.length);
		const page = await failurePage(api, {
			...filterQs(query),
			limit: wanted,
			...(cursor ? { cursor } : {}),
		});
		// The API applies the same filters; checking again keeps the result identical to other channels.
		found.push(
			...page.data.map(toFailedDelivery).filter((failure) => matchesQuery(failure, query)),
		);
		cursor = page.nextCursor || undefined;
	} while (cursor && (query.limit === undefined || found.length < query.limit));
	// Pages go on until the user's limit or the end: no cap of the channel cuts this listing.
	return {
		failures: query.limit === undefined ? found : found.slice(0, query.limit),
		truncated: false,
	};
}

async function listInArrivalOrder(
	api: MscApi,
	query: FailedDeliveryQuery,
	start: string | undefined,
): Promise<FailedDeliveryList> {
	const cap = query.limit ?? ARRIVAL_CAP;
	const qs: IDataObject = { ...filterQs(query), order: 'asc' };
	// A checkpoint is exact; the time is only for a first poll. Applying the time as well could skip
	// failures a capped earlier poll left behind the checkpoint.
	if (!start) qs.receivedSince = query.receivedSince!.toISOString();
	const matching: FailedDeliveryQuery = start ? { ...query, receivedSince: undefined } : query;
	const found: FailedDelivery[] = [];
	let position = start;
	let cursor = start;
	let read = 0;
	let truncated = false;
	for (;;) {
		const page = await failurePage(api, {
			...qs,
			limit: Math.min(PAGE_SIZE, cap - read),
			...(cursor ? { cursor } : {}),
		});
		read += page.data.length;
		found.push(
			...page.data.map(toFailedDelivery).filter((failure) => matchesQuery(failure, matching)),
		);
		// The API's checkpoint follows the last record it returned: never past one left unread.
		if (typeof page.checkpoint === 'string' && page.checkpoint) position = page.checkpoint;
		cursor = page.nextCursor || undefined;
		if (!cursor) break;
		if (read >= cap) {
			truncated = true;
			break;
		}
	}
	return {
		// Oldest first after a checkpoint; a first poll is ordered like any listing without one.
		failures: start ? found : found.reverse(),
		...(position ? { checkpoint: { after: position } } : {}),
		truncated,
		...(truncated
			? {
					truncatedReason: `read ${read} failed deliveries, the most one listing reads; the rest follow in the next poll`,
				}
			: {}),
	};
}

async function failurePage(api: MscApi, qs: IDataObject): Promise<ApiFailurePage> {
	const page = await api.request<ApiFailurePage>('GET', '/v1/failed-deliveries', { qs });
	if (!page.body || !Array.isArray(page.body.data)) {
		throw new DeliveryError(
			'The MSC API answered the failed-deliveries request with something unexpected',
			{ code: 'EPROTOCOL' },
		);
	}
	return page.body;
}

/** The API filters that mirror the query's (the client checks them again). */
function filterQs(query: FailedDeliveryQuery): IDataObject {
	const types = [
		'failure',
		...(query.includeDelays ? ['delay'] : []),
		...(query.includeComplaints ? ['complaint'] : []),
	];
	const qs: IDataObject = { type: types.join(','), verdict: query.verdict };
	if (query.since) qs.since = query.since.toISOString();
	if (query.until) qs.until = query.until.toISOString();
	if (query.recipient) qs.recipient = query.recipient;
	return qs;
}

/** The API cursor a checkpoint of ours holds, or undefined for none (or one from something else). */
function checkpointCursor(checkpoint: IDataObject | undefined): string | undefined {
	const after = checkpoint?.after;
	return typeof after === 'string' && /^[A-Za-z0-9_-]{1,200}$/.test(after) ? after : undefined;
}

/** The API's failure record as the node's failed delivery: the one place the two meet. */
function toFailedDelivery(record: ApiFailure): FailedDelivery {
	const failure: FailedDelivery = {
		channel: 'msc',
		recipient: record.recipient,
		action: record.action,
		kind: record.kind,
		hard: record.hard,
		reason: record.reason,
		status: record.status,
		replyCode: record.replyCode,
		diagnostic: record.diagnostic,
		failedAt: record.failedAt,
		remoteMta: record.remoteMta,
		reportingMta: record.reportingMta,
		message: record.message ?? {},
		link: record.link ?? { method: 'none', confidence: 'none' },
		details: {
			failureId: record.id,
			source: record.source,
			reportId: record.reportId,
			// When MSC learnt of it: the report's arrival, or the refusal while relaying. A record
			// without either stays undated, and time filters leave it out.
			reportReceivedAt: record.reportReceivedAt ?? record.receivedAt,
			receivedAt: record.receivedAt,
		},
	};
	if (record.feedbackType) failure.feedbackType = record.feedbackType;
	return failure;
}
