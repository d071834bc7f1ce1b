/** Turns the Custom SMTP credential into connection options, with timeouts sized for a workflow step. */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import type { SMTPConnectionOptions } from 'nodemailer/lib/smtp-connection';

import { DeliveryError } from '../../../../core/errors';
import type { AccessTokens } from './oauth2';

export type SmtpSecurity = 'tls' | 'starttls' | 'starttlsWhenOffered' | 'none';

export interface SmtpSettings {
	connection: SMTPConnectionOptions;
	auth?: { user: string; pass: string };
	/** The OAuth2 sign-in (SASL XOAUTH2) instead of a password. */
	/** The OAuth2 sign-in (SASL XOAUTH2) instead of a password. */
	oauth?: { user: string; tokens: AccessTokens };
	host: string;
	port: number;
	security: SmtpSecurity;
}

/** Seconds, not the library's minutes: a stuck server should fail the item, not the whole workflow. */
export const TIMEOUTS = { connect: 15_000, greeting: 15_000, socket: 60_000, dns: 15_000 };

/**
 * Ports whose encryption is fixed by their assignment (RFC 8314, IANA): implicit TLS on 465 and
 * 993; plain text with optional STARTTLS on 25, 587 and 143. A credential that pairs one of them
 * with the other kind of security can only time out or fail the handshake, so it is refused with
 * the reason instead.
 */
export function portSecurityMismatch(
	port: number,
	implicitTls: boolean,
	labels: { port: string; security: string },
): string | undefined {
	const implicitPorts = [465, 993];
	const plainPorts = [25, 587, 143];
	if (!implicitTls && implicitPorts.includes(port)) {
		return (
			`${labels.port} ${port} is for SSL/TLS (implicit) connections, but ${labels.security} is not ` +
			`SSL/TLS. Choose SSL/TLS, or the STARTTLS port (${port === 993 ? 143 : 587}).`
		);
	}
	if (implicitTls && plainPorts.includes(port)) {
		return (
			`${labels.port} ${port} is for plain connections upgraded with STARTTLS, but ${labels.security} ` +
			`is SSL/TLS (implicit). Choose STARTTLS, or the SSL/TLS port (${port === 143 ? 993 : 465}).`
		);
	}
	return undefined;
}

/** With `tokens`, the credential signs in with OAuth2 as its Mailbox (User) instead of a password. */
export function smtpSettings(
	credentials: ICredentialDataDecryptedObject,
	tokens?: AccessTokens,
): SmtpSettings {
	const host = String(credentials.host ?? '').trim();
	if (!host) {
		throw new DeliveryError('The Custom SMTP credential has no Host', {
			code: 'EINPUT',
			field: 'host',
			hint: 'Open the credential and enter the SMTP server host name.',
		});
	}
	// n8n fills in the credential's default before the node runs; anything else that builds settings
	// without a value (the MSC sandbox's relay, a hand-made credential) gets the strict choice too.
	const security = (credentials.security || 'starttls') as SmtpSecurity;
	if (!['tls', 'starttls', 'starttlsWhenOffered', 'none'].includes(security)) {
		throw new DeliveryError(
			`The Custom SMTP credential has an unknown Security value: ${JSON.stringify(security)}`,
			{ code: 'EINPUT', field: 'security' },
		);
	}
	const port = Number(credentials.port || (security === 'tls' ? 465 : 587));
	if (!Number.isInteger(port) || port < 1 || port > 65535) {
		throw new DeliveryError(
			`The Custom SMTP credential has an invalid Port: ${JSON.stringify(credentials.port)}`,
			{ code: 'EINPUT', field: 'port' },
		);
	}
	const mismatch = portSecurityMismatch(port, security === 'tls', {
		port: 'Port',
		security: 'Security',
	});
	if (mismatch)
		throw new DeliveryError(`The Custom SMTP credential does not fit together: ${mismatch}`, {
			code: 'EINPUT',
			field: 'port',
		});
	const user = tokens ? String(credentials.user ?? '').trim() : String(credentials.user ?? '');
	if (tokens && !user) {
		throw new DeliveryError('The Custom SMTP OAuth2 credential has no Mailbox (User)', {
			code: 'EINPUT',
			field: 'user',
			stopsBatch: true,
			hint: 'Open the credential and enter the address of the mailbox that signs in.',
		});
	}
	const clientHostname = String(credentials.clientHostname ?? '').trim();
	// A password goes out encrypted or not at all, unless the user chose None (Unencrypted): with a
	// login, "When Offered" insists on STARTTLS like "Required" does. Only a session without a login
	// may fall back to plain text (nodemailer's opportunisticTLS goes on after a refused STARTTLS).
	const insistOnTls =
		security === 'starttls' || (security === 'starttlsWhenOffered' && Boolean(user));
	const connection: SMTPConnectionOptions = {
		host,
		port,
		secure: security === 'tls',
		requireTLS: insistOnTls,
		opportunisticTLS: security === 'starttlsWhenOffered' && !user,
		ignoreTLS: security === 'none',
		connectionTimeout: TIMEOUTS.connect,
		greetingTimeout: TIMEOUTS.greeting,
		socketTimeout: TIMEOUTS.socket,
		dnsTimeout: TIMEOUTS.dns,
		name: clientHostname || undefined,
		tls: {
			// Certificates are checked unless the user switched it off explicitly in the credential;
			// pinned here so a global default cannot loosen it.
			rejectUnauthorized: credentials.allowSelfSigned !== true,
			servername: host,
		},
	};
	return {
		connection,
		auth: user && !tokens ? { user, pass: String(credentials.password ?? '') } : undefined,
		oauth: tokens ? { user, tokens } : undefined,
		host,
		port,
		security,
	};
}
