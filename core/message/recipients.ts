/**
 * The recipients of one message: To, CC and BCC parsed, each address kept once, and at most
 * MAX_RECIPIENTS of them together.
 */
import { inputError } from '../errors';
import type { MailAddress, OutgoingMessage } from '../model';
import { parseAddressList } from './addresses';
import { show } from './show';

/**
 * Recipients in one message, To, CC and BCC together. Microsoft 365 (Exchange Online) refuses
 * messages with more than 500 recipients, Gmail allows 500 for a personal account, and RFC 5321 only
 * promises 100; a campaign to more people is one message per recipient anyway.
 */
export const MAX_RECIPIENTS = 500;

export type Recipients = Record<'to' | 'cc' | 'bcc', MailAddress[]>;

const RECIPIENT_FIELDS = [
	{ key: 'to', field: 'to', label: 'To Email' },
	{ key: 'cc', field: 'options.cc', label: 'CC Email' },
	{ key: 'bcc', field: 'options.bcc', label: 'BCC Email' },
] as const;

/**
 * One copy per address (compared without case, as mailboxes are in practice): an address in To and
 * CC, or twice in To, would otherwise receive the message twice. The first place it appears (To,
 * then CC, then BCC) keeps it.
 */
export function uniqueRecipients(
	input: Partial<Record<keyof Recipients, unknown>>,
	warnings: string[],
): Recipients {
	const seen = new Map<string, string>();
	const removed: string[] = [];
	const result: Recipients = { to: [], cc: [], bcc: [] };
	let total = 0;
	for (const { key, field, label } of RECIPIENT_FIELDS) {
		const parsed = parseAddressList(field, label, input[key], { required: key === 'to' });
		for (const recipient of parsed) {
			const id = recipient.address.toLowerCase();
			const first = seen.get(id);
			if (first) {
				removed.push(
					first === label
						? `${recipient.address} (twice in ${label})`
						: `${recipient.address} (in ${first} and ${label})`,
				);
				continue;
			}
			seen.set(id, label);
			result[key].push(recipient);
			total += 1;
		}
		if (total > MAX_RECIPIENTS) {
			throw inputError(
				field,
				`The message has ${total.toLocaleString('en-US')} recipients once ${label} is counted; ` +
					`one message can go to at most ${MAX_RECIPIENTS} (To, CC and BCC together). ` +
					`${label}: ${show(input[key])}`,
				'Split the list: send one message per recipient (one item each), ' +
					'which is also what most providers expect for sales email. ' +
					'Microsoft 365 refuses more than 500 recipients per message.',
			);
		}
	}
	if (removed.length) {
		const listed =
			removed.slice(0, 10).join(', ') +
			(removed.length > 10 ? ` and ${removed.length - 10} more` : '');
		warnings.push(`Left out duplicate recipients so nobody gets this message twice: ${listed}.`);
	}
	return result;
}

/** Every recipient address of a message, To, CC and BCC. */
export function allRecipients(message: OutgoingMessage): string[] {
	return [...message.to, ...message.cc, ...message.bcc].map((entry) => entry.address);
}
