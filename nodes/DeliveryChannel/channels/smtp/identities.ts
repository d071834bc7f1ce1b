/**
 * Who a Custom SMTP account may send as: its mailbox (the credential's User, when that is an address)
 * and the Send-As Addresses the credential lists (aliases, shared mailboxes it has Send As rights to).
 *
 * Exchange Online refuses a From that is neither the signed-in mailbox nor an address it was granted
 * Send As / Send on Behalf for (554 5.2.252 SendAsDenied, 5.7.60), after the connection, the login
 * and the whole message. On Microsoft 365 such an identity is refused here, before anything is sent;
 * other servers' rules are unknown, so they decide.
 */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { DeliveryError } from '../../../../core/errors';
import { isValidAddress, parseAddressList } from '../../../../core/message/addresses';
import type { MailAddress } from '../types';

export const SEND_AS_LABEL = 'Send-As Addresses';

/** The credential's Send-As Addresses; a wrong entry is an input error naming the field and the value. */
export function sendAsAddresses(credentials: ICredentialDataDecryptedObject): string[] {
	const value = credentials.sendAs;
	if (value === undefined || value === null || String(value).trim() === '') return [];
	return parseAddressList('sendAs', `The credential's ${SEND_AS_LABEL}`, value).map(
		(entry) => entry.address,
	);
}

/** The mailbox first, then the Send-As Addresses, each once. */
export function smtpIdentities(credentials: ICredentialDataDecryptedObject): string[] {
	const user = String(credentials.user ?? '').trim();
	const all = [...(isValidAddress(user) ? [user] : []), ...sendAsAddresses(credentials)];
	return all.filter(
		(address, index) =>
			all.findIndex((other) => other.toLowerCase() === address.toLowerCase()) === index,
	);
}

/** Why the Identity list would be empty, said where the list shows it. */
export function noIdentities(credentials: ICredentialDataDecryptedObject): DeliveryError {
	const user = String(credentials.user ?? '').trim();
	const why = user
		? `The Custom SMTP credential's User is "${user}", a login name, not an email address`
		: 'The Custom SMTP credential has no User';
	return new DeliveryError(
		`${why}, and its ${SEND_AS_LABEL} are empty, so there is no identity to list`,
		{
			code: 'EINPUT',
			field: 'identity',
			hint: `Enter the address to send as with "Address", or add it to the credential's ${SEND_AS_LABEL}.`,
		},
	);
}

/**
 * On Microsoft 365, refuses an identity the mailbox may not send as, before sending. `microsoft`:
 * whether the credential reaches Exchange Online (its host or its OAuth2 provider).
 */
export function checkIdentity(
	identity: MailAddress,
	credentials: ICredentialDataDecryptedObject,
	microsoft: boolean,
): void {
	if (!microsoft) return;
	const allowed = smtpIdentities(credentials);
	const mailbox = String(credentials.user ?? '').trim();
	// Without a mailbox address there is nothing to compare with; Exchange decides.
	if (!isValidAddress(mailbox)) return;
	const wanted = identity.address.toLowerCase();
	if (allowed.some((address) => address.toLowerCase() === wanted)) return;
	throw new DeliveryError(
		`Microsoft 365 would refuse the identity ${identity.address}: it is not the mailbox ${mailbox} ` +
			`nor one of the credential's ${SEND_AS_LABEL} (${allowed.slice(1).join(', ') || 'none'})`,
		{
			code: 'EIDENTITY',
			field: 'identity',
			hint:
				`Send as ${mailbox}, or give ${mailbox} Send As rights to ${identity.address} in the Exchange admin ` +
				`center (Recipients > Mailboxes > Delegation) and add ${identity.address} to the credential's ` +
				`${SEND_AS_LABEL}. Exchange Online answers such a message with 554 5.2.252 SendAsDenied.`,
		},
	);
}
