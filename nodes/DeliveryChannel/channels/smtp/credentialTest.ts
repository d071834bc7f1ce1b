/**
 * The "Test" button of the Custom SMTP credential: logs in to the SMTP server and, when the
 * credential names a mailbox, logs in there too and finds the folders Failed Deliveries will read.
 */
import type { ICredentialDataDecryptedObject, INodeCredentialTestResult } from 'n8n-workflow';

import type { DeliveryError } from '../../../../core/errors';
import { Mailbox } from './failedDeliveries';
import { mailboxSettings } from './imap/settings';
import { smtpSettings } from './settings';
import { SmtpPool } from './transport';

export async function testSmtpCredential(
	credentials: ICredentialDataDecryptedObject,
): Promise<INodeCredentialTestResult> {
	try {
		await new SmtpPool(smtpSettings(credentials), 1).verify();
		const settings = mailboxSettings(credentials);
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
