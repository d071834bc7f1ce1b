/**
 * The sending limits of a Custom SMTP account, from its credential. 0 (the default) is automatic:
 * Microsoft 365's documented limits for its hosts (3 connections per mailbox, 30 messages per
 * minute, 10,000 recipients per day, 500 recipients per message), 5 connections and no other limit
 * elsewhere.
 */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import type { SendingLimits } from '../../../../core/coordination';
import type { SmtpSettings } from './settings';

const MICROSOFT_365 = {
	maxConnections: 3,
	messagesPerMinute: 30,
	recipientsPerDay: 10_000,
	recipientsPerMessage: 500,
};

export function isMicrosoft365(host: string): boolean {
	return /(^|\.)(office365\.com|outlook\.com)$/i.test(host.trim());
}

function configured(value: unknown, max: number): number | undefined {
	const number = Number(value);
	return Number.isInteger(number) && number > 0 ? Math.min(number, max) : undefined;
}

export function smtpLimits(
	settings: SmtpSettings,
	credentials: ICredentialDataDecryptedObject,
): Required<Pick<SendingLimits, 'maxConnections'>> & SendingLimits {
	// The OAuth2 credential's Microsoft 365 provider counts too, whatever host it names.
	const microsoft = isMicrosoft365(settings.host) || credentials.provider === 'microsoft365';
	const preset = microsoft ? MICROSOFT_365 : undefined;
	return {
		maxConnections: configured(credentials.maxConnections, 50) ?? preset?.maxConnections ?? 5,
		messagesPerMinute:
			configured(credentials.messagesPerMinute, 100_000) ?? preset?.messagesPerMinute,
		recipientsPerDay:
			configured(credentials.recipientsPerDay, 10_000_000) ?? preset?.recipientsPerDay,
		recipientsPerMessage:
			configured(credentials.recipientsPerMessage, 100_000) ?? preset?.recipientsPerMessage,
	};
}
