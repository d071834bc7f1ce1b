/**
 * Gmail replaces a From that is not the account's address or a verified send-as alias with the
 * account's address, silently, and still reports success. We decide before sending instead: send
 * as the identity when Gmail will keep it, otherwise send as the account and say so, or fail.
 */
import type { gmail_v1 } from '@googleapis/gmail';

import { formatAddress } from '../../../../core/message/addresses';
import { DeliveryError } from '../../../../core/errors';
import type { MailAddress } from '../types';

export type UnverifiedIdentityPolicy = 'sendAsAccount' | 'fail';

export interface SendAsIdentity {
	address: string;
	displayName: string;
	primary: boolean;
	/** Gmail keeps a From with this address. */
	usable: boolean;
	verificationStatus?: string;
}

export interface IdentityDecision {
	from: MailAddress;
	/** Whether Gmail will show the requested identity. */
	asRequested: boolean;
	warning?: string;
	alias?: SendAsIdentity;
}

export function sendAsIdentities(entries: gmail_v1.Schema$SendAs[] | undefined): SendAsIdentity[] {
	return (entries ?? [])
		.filter((entry) => entry.sendAsEmail)
		.map((entry) => ({
			address: entry.sendAsEmail!,
			displayName: entry.displayName ?? '',
			primary: entry.isPrimary === true,
			// The primary address has no verification status; an alias is usable once "accepted".
			usable: entry.isPrimary === true || entry.verificationStatus === 'accepted',
			verificationStatus: entry.verificationStatus ?? undefined,
		}));
}

export function decideIdentity(
	requested: MailAddress,
	identities: SendAsIdentity[],
	policy: UnverifiedIdentityPolicy,
): IdentityDecision {
	const wanted = requested.address.toLowerCase();
	const match = identities.find((identity) => identity.address.toLowerCase() === wanted);
	if (match?.usable) {
		// Keep the name the item asked for; fall back to the name configured for the alias in Gmail.
		return {
			from: { name: requested.name || match.displayName, address: match.address },
			asRequested: true,
			alias: match,
		};
	}
	const primary = identities.find((identity) => identity.primary);
	const why = match
		? `${requested.address} is a send-as alias of this Gmail account that is not verified yet ` +
			`(status: ${match.verificationStatus ?? 'unknown'})`
		: `${requested.address} is not the address of this Gmail account nor one of its verified send-as aliases`;
	if (policy === 'fail' || !primary) {
		const aliases =
			identities
				.filter((i) => i.usable && !i.primary)
				.map((i) => i.address)
				.join(', ') || 'none yet';
		throw new DeliveryError(`Gmail would replace the identity: ${why}`, {
			code: 'EIDENTITY',
			field: 'identity',
			hint: primary
				? `Pick ${primary.address} or a verified alias (${aliases}), ` +
					'add and verify the address in Gmail under Settings > Accounts > "Send mail as", ' +
					'or set "If the Identity Is Not Verified" to send as the account.'
				: 'Gmail listed no primary address for this account; reconnect the credential.',
		});
	}
	const from = { name: primary.displayName, address: primary.address };
	return {
		from,
		asRequested: false,
		warning: `Sent as ${formatAddress(from)} instead of ${formatAddress(requested)}: ${why}, and Gmail would have replaced it anyway.`,
	};
}
