/** The API's views of what the store keeps, in the shapes docs/msc-api.openapi.yaml declares. */
import type * as Api from '../../../core/msc-api';
import type { MailAddress } from '../../../core/model';
import { formatAddress } from '../../../core/message/addresses';
import type { Account, Identity, StoredMessage } from '../store';

/** Who actually sends on the identity's behalf: this is the "via" recipients may see. */
export function senderOf(account: Account): MailAddress {
	return { name: `${account.name} via MSC`, address: `${account.id}@${account.sendingDomain}` };
}

export function accountView(account: Account, bounceDomain: string): Api.Account {
	return {
		id: account.id,
		name: account.name,
		sendingDomain: account.sendingDomain,
		bounceDomain,
		sender: formatAddress(senderOf(account)),
		createdAt: account.createdAt,
	};
}

export function identityView(identity: Identity): Api.Identity {
	return {
		id: identity.id,
		name: identity.name,
		address: identity.address,
		verified: identity.verified,
		createdAt: identity.createdAt,
	};
}

export function messageView(message: StoredMessage): Api.Message {
	return {
		id: message.id,
		status: message.status,
		messageId: message.messageId,
		deliveryId: message.deliveryId,
		identityId: message.identityId,
		from: message.from,
		subject: message.subject,
		recipients: message.recipients,
		envelopeFrom: message.bounceAddress,
		createdAt: message.createdAt,
		result: message.response?.body,
	};
}

/** What the API says about a stored message: its record and the facts a failed delivery links to. */
export function messageFacts(
	message: StoredMessage,
	identity: Identity | undefined,
): Api.FailedDelivery['message'] {
	return {
		id: message.id,
		messageId: message.messageId,
		deliveryId: message.deliveryId,
		subject: message.subject,
		from: message.from,
		to: message.recipients,
		identity: identity?.address,
		identityId: message.identityId,
		envelopeFrom: message.bounceAddress,
		sentAt: message.createdAt,
	};
}
