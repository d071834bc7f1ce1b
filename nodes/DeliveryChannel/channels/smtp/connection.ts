/**
 * One SMTP connection of the pool: opened, greeted and logged in (encrypted, unless the user chose
 * None), with what the pool needs to know about it afterwards (its socket, whether it offers DSN).
 */
import type { Socket } from 'node:net';

import SMTPConnection from 'nodemailer/lib/smtp-connection';

import type { RecipientRejection } from '../types';
import { useFastDataEncoding } from './dataEncoding';
import { toDeliveryError, unencryptedLogin, type SmtpLibraryError } from './errors';
import type { SmtpSettings } from './settings';

export interface SmtpEnvelope {
	from: string;
	to: string[];
	/** Delivery status notification request (RFC 3461); dropped by servers that do not offer DSN. */
	dsn?: { envid: string; ret: 'HDRS' | 'FULL'; notify: string[] };
}

export interface SmtpDelivery {
	accepted: string[];
	rejected: RecipientRejection[];
	response: string;
	/** Whether the server advertised DSN, so the envelope id will come back in reports. */
	dsnOffered: boolean;
}

export interface PooledConnection {
	connection: SMTPConnection;
	sent: number;
	broken: boolean;
	/** Told when the connection fails or the server closes it: its current owner (a pool, parking). */
	onLost?: () => void;
}

/** What the pool hears about a connection it asked for. */
export interface ConnectionEvents {
	/** The connection exists (before it connects): a cancel may have to cut it from now on. */
	created(connection: SMTPConnection): void;
	/** A connection that was handed out failed or the server closed it (an idle timeout, say). */
	lost(entry: PooledConnection): void;
}

/** nodemailer keeps the socket it writes to (the TLS one after STARTTLS) on the connection. */
export function socketOf(connection: SMTPConnection): Socket | undefined {
	return (connection as unknown as { _socket?: Socket })._socket;
}

/** Whether the server advertised DSN (RFC 3461) on this connection. */
export function offersDsn(connection: SMTPConnection): boolean {
	const extensions = (connection as unknown as { _supportedExtensions?: string[] })
		._supportedExtensions;
	return Array.isArray(extensions) && extensions.includes('DSN');
}

/**
 * SASL XOAUTH2 with the session's tokens. nodemailer asks for a token, and after the server refused
 * one ("334 <challenge>", then 535) asks again with `renew`: the tokens renew once and it tries again
 * on the same connection.
 */
function xoauth2Login(
	{ user, tokens }: NonNullable<SmtpSettings['oauth']>,
	tokenFailed: (error: unknown) => void,
) {
	let used: string | undefined;
	const oauth2 = {
		getToken(renew: boolean, callback: (error: Error | null, token?: string) => void) {
			const next = renew && used ? tokens.renew(used) : tokens.current();
			next.then(
				(token) => {
					used = token;
					callback(null, token);
				},
				(error: unknown) => {
					// Ours is kept as it is; the library would rewrite the code of what it is given.
					tokenFailed(error);
					callback(new Error('No access token'));
				},
			);
		},
		buildXOAuth2Token(token: string) {
			return Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`, 'utf8').toString('base64');
		},
	};
	return { type: 'OAuth2', user, oauth2 } as unknown as SMTPConnection.AuthenticationOAuth2;
}

/** Opens a connection and logs in; a failure is a DeliveryError of the 'connect' stage. */
export function openConnection(
	settings: SmtpSettings,
	events: ConnectionEvents,
): Promise<PooledConnection> {
	return new Promise<PooledConnection>((resolve, reject) => {
		const connection = new SMTPConnection(settings.connection);
		useFastDataEncoding(connection);
		const entry: PooledConnection = { connection, sent: 0, broken: false };
		events.created(connection);
		let settled = false;
		const fail = (error: SmtpLibraryError) => {
			if (settled) return;
			settled = true;
			connection.close();
			reject(toDeliveryError(error, settings, 'connect'));
		};
		// Without a listener an 'error' event would crash the process; errors during a send reach
		// the send callback as well, and an idle connection that fails is simply dropped.
		connection.on('error', (error: SmtpLibraryError) => {
			if (!settled) fail(error);
			else events.lost(entry);
		});
		connection.on('end', () => {
			if (!settled)
				fail(
					Object.assign(new Error('Connection closed before the greeting'), {
						code: 'ECONNECTION',
					}),
				);
			else events.lost(entry);
		});
		connection.connect(() => {
			if (!settings.auth && !settings.oauth) {
				settled = true;
				resolve(entry);
				return;
			}
			// The login goes out encrypted or not at all, unless the user chose None (Unencrypted).
			if (!connection.secure && settings.security !== 'none') {
				fail(unencryptedLogin(settings));
				return;
			}
			let tokenError: unknown;
			const auth = settings.auth ?? xoauth2Login(settings.oauth!, (error) => (tokenError = error));
			connection.login(auth, (error) => {
				if (error) {
					// No token to sign in with (a revoked grant, the provider out of reach) says more
					// than the server's refusal.
					if (tokenError && !settled) {
						settled = true;
						connection.close();
						reject(tokenError);
						return;
					}
					fail(error as SmtpLibraryError);
					return;
				}
				settled = true;
				resolve(entry);
			});
		});
	});
}
