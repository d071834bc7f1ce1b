/**
 * The real Postfix + Dovecot taking SASL XOAUTH2, with the fake Microsoft identity platform answering
 * Dovecot's token introspection and signing the mail system's sender in: what OAuth2 tests start in
 * their beforeAll (and stop in afterAll).
 */
import { startMicrosoftIdentity, type MicrosoftIdentity } from '../fakes/microsoft-identity';
import { startMailSystem, type MailSystem } from './mailsystem';

export interface OAuth2MailSystem {
	idp: MicrosoftIdentity;
	mail: MailSystem;
	stop(): Promise<void>;
}

export async function startOAuth2MailSystem(): Promise<OAuth2MailSystem> {
	const idp = await startMicrosoftIdentity();
	try {
		const mail = await startMailSystem({ oauth2IntrospectionUrl: idp.introspectionUrl });
		idp.signInAs = mail.sender.address;
		return {
			idp,
			mail,
			async stop() {
				await mail.stop();
				await idp.stop();
			},
		};
	} catch (error) {
		await idp.stop();
		throw error;
	}
}
