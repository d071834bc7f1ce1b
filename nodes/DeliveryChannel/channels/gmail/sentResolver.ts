/**
 * Links a failure to the message that was sent: Sent searched by the original Message-ID, else by
 * recipient and subject (search.ts builds the query), then the found message's headers read. One
 * search per distinct link per listing.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import type { IDataObject } from 'n8n-workflow';

import { findAddresses } from '../../../../core/bounce/util';
import type { SentMessageResolver } from '../../../../core/failures';
import { READ_SCOPE_HINT } from './auth';
import { sentSearch } from './search';
import { UNITS, type GmailApi } from './transport';

function headerValue(message: gmail_v1.Schema$Message, name: string): string | undefined {
	return (
		message.payload?.headers?.find((header) => header.name?.toLowerCase() === name.toLowerCase())
			?.value ?? undefined
	);
}

/** Gmail's internalDate (epoch ms as a string) as an ISO date, or undefined when it is not one. */
export function isoFromInternalDate(value: string | null | undefined): string | undefined {
	const ms = Number(value);
	return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined;
}

/** Finds the sent message in Sent; one search per distinct link for the life of the resolver. */
export function sentResolver(api: GmailApi): SentMessageResolver {
	const cache = new Map<string, Promise<IDataObject | undefined>>();
	return (link) => {
		const q = sentSearch(link);
		if (!q) return Promise.resolve(undefined);
		let pending = cache.get(q);
		if (!pending) {
			pending = findSent(api, q);
			cache.set(q, pending);
		}
		return pending;
	};
}

async function findSent(api: GmailApi, q: string): Promise<IDataObject | undefined> {
	const { data } = await api.call(
		{
			units: UNITS.list,
			what: 'search Sent for the original message',
			scopeHint: READ_SCOPE_HINT,
		},
		(options) => api.gmail.users.messages.list({ userId: 'me', q, maxResults: 1 }, options),
	);
	const id = data.messages?.[0]?.id;
	if (!id) return undefined;
	const { data: message } = await api.call(
		{ units: UNITS.get, what: 'read the original message', scopeHint: READ_SCOPE_HINT },
		(options) =>
			api.gmail.users.messages.get(
				{
					userId: 'me',
					id,
					format: 'metadata',
					metadataHeaders: ['Subject', 'Message-ID', 'From', 'To', 'Date'],
				},
				options,
			),
	);
	const sentTo = findAddresses(headerValue(message, 'To') ?? '');
	const found: IDataObject = {
		messageId: headerValue(message, 'Message-ID'),
		subject: headerValue(message, 'Subject'),
		from: headerValue(message, 'From'),
		to: sentTo.length ? sentTo : undefined,
		sentAt: isoFromInternalDate(message.internalDate),
		gmailMessageId: message.id ?? id,
		gmailThreadId: message.threadId ?? undefined,
	};
	for (const key of Object.keys(found)) if (found[key] === undefined) delete found[key];
	return found;
}
