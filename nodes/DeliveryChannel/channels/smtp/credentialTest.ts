/**
 * The "Test" button of the Custom SMTP credential: logs in to the SMTP server and, when the
 * credential names a mailbox, logs in there too and finds the folders Failed Deliveries will read.
 */
import type { ICredentialDataDecryptedObject, INodeCredentialTestResult } from 'n8n-workflow';

import type { DeliveryError } from '../../../../core/errors';
import { Mailbox } from './failedDeliveries';
import { mailboxSettings } from './imap/settings';
import { AccessTokens } from './oauth2';
import { smtpSettings } from './settings';
import { SmtpPool } from './transport';

/**
 * With `oauth2` the credential signs in with the token n8n stored after Connect. Nothing can renew
 * it here (a test has no way to store a rotated token), so an expired one is reported as such.
 */
export async function testSmtpCredential(
	credentials: ICredentialDataDecryptedObject,
	oauth2 = false,
): Promise<INodeCredentialTestResult> {
	try {
		const tokens = oauth2 ? new AccessTokens(credentials) : undefined;
		if (tokens?.expired) {
			return {
				status: 'Error',
				message:
					`The ${tokens.provider} access token of this credential has expired; n8n renews it when the ` +
					'node runs. Select Reconnect to test the sign-in now.',
			};
		}
		await new SmtpPool(smtpSettings(credentials, tokens), 1).verify();
		const settings = mailboxSettings(credentials, tokens);
		if (!settings) return { status: 'OK', message: 'Connection successful' };
		const mailbox = new Mailbox(settings);
		try {
			const folders = await mailbox.verify();
			const sent = folders.sent ? `, sent messages in ${folders.sent}` : ', no Sent folder found';
			return {
				status: 'OK',
				message: `Connection successful (SMTP, and the mailbox: reports read from ${folders.scan.join(', ')}${sent})`,
			};
		} finally {
			await mailbox.close();
		}
	} catch (error) {
		const failure = error as DeliveryError;
		const message = failure.hint ? `${failure.message}. ${failure.hint}` : failure.message;
		return { status: 'Error', message };
	}
}
