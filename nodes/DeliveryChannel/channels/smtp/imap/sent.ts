/**
 * Links a report to the message that was sent: the Sent folder searched by Message-ID, X-Delivery-Id
 * or recipient and subject; our own envelope ids and Message-IDs are recognised even when the
 * mailbox keeps no Sent copy. Bounded: at most MAILBOX_LIMITS.sentSearches searches per listing.
 */
import type { IDataObject } from 'n8n-workflow';
import type { ImapFlow } from 'imapflow';

import type { OriginalLink } from '../../../../../core/bounce/types';
import type { SentMessageResolver } from '../../../../../core/failures';
import {
	bareMessageId as bare,
	deliveryIdOfMessageId,
	isOwnDeliveryId,
} from '../../../../../core/message/ids';
import type { ImapConnection } from './connection';
import { MAILBOX_LIMITS } from './settings';

/** Our own delivery id behind an envelope id or a Message-ID, if it is one of ours. */
export function ownDeliveryId(link: Pick<OriginalLink, 'method' | 'value'>): string | undefined {
	if (link.method === 'envelope-id')
		return isOwnDeliveryId(link.value) ? link.value.trim() : undefined;
	if (link.method === 'subject-recipient') return undefined;
	return deliveryIdOfMessageId(link.value);
}

/** A resolver for one listing; `release` gives the Sent folder back. */
export function sentResolver(
	imap: ImapConnection,
	sentFolder: string | undefined,
): { resolve: SentMessageResolver; release: () => void } {
	const cache = new Map<string, IDataObject | undefined>();
	let searches = 0;
	let lock: { release(): void } | undefined;
	const openSent = async (client: ImapFlow) => {
		lock ??= await client.getMailboxLock(sentFolder!, { readOnly: true });
	};
	const searchSent = async (
		criteria: Record<string, unknown>,
	): Promise<IDataObject | undefined> => {
		if (!sentFolder || searches >= MAILBOX_LIMITS.sentSearches) return undefined;
		searches += 1;
		return await imap.call(async (client) => {
			await openSent(client);
			const uids = await client.search(criteria, { uid: true });
			if (!uids || !uids.length) return undefined;
			const uid = Math.max(...uids);
			const message = await client.fetchOne(
				String(uid),
				{ uid: true, envelope: true, internalDate: true, headers: ['x-delivery-id'] },
				{ uid: true },
			);
			if (!message) return undefined;
			const deliveryId = /^x-delivery-id:\s*(\S+)/im.exec(
				message.headers?.toString('latin1') ?? '',
			)?.[1];
			const found: IDataObject = {
				messageId: message.envelope?.messageId,
				subject: message.envelope?.subject,
				to: (message.envelope?.to ?? []).map((address) => address.address ?? '').filter(Boolean),
				sentAt: message.internalDate ? new Date(message.internalDate).toISOString() : undefined,
				sentFolder,
				sentUid: uid,
			};
			if (deliveryId) found.deliveryId = deliveryId;
			for (const key of Object.keys(found)) if (found[key] === undefined) delete found[key];
			return found;
		});
	};
	const resolve: SentMessageResolver = async (link) => {
		const key = `${link.method}\n${link.value}`;
		if (cache.has(key)) return cache.get(key);
		let found: IDataObject | undefined;
		const own = ownDeliveryId(link);
		if (link.method === 'envelope-id') {
			if (own) found = await searchSent({ header: { 'x-delivery-id': own } });
		} else if (link.method === 'subject-recipient') {
			const [recipient, ...subject] = link.value.split('\n');
			if (recipient && subject.join('\n'))
				found = await searchSent({ to: recipient, header: { subject: subject.join('\n') } });
		} else {
			found = await searchSent({ header: { 'message-id': bare(link.value) } });
		}
		// Not in Sent (or no Sent folder), but the id is one we gave out: that is our message.
		if (!found && own)
			found =
				link.method === 'envelope-id'
					? { deliveryId: own }
					: { deliveryId: own, messageId: `<${bare(link.value)}>` };
		cache.set(key, found);
		return found;
	};
	const release = () => {
		lock?.release();
		lock = undefined;
	};
	return { resolve, release };
}
