/**
 * One connection to the upstream, set up as the sandbox's own MTA would: encrypted unless the config
 * says 'none' (STARTTLS required by default), and a login that never travels in clear.
 */
import { isIP } from 'node:net';

import SMTPConnection, { type SMTPConnectionOptions } from 'nodemailer/lib/smtp-connection';

import type { UpstreamConfig } from '../config';

/** nodemailer's error, with the SMTP facts it adds. */
export interface UpstreamError extends Error {
	code?: string;
	command?: string;
	response?: string;
	responseCode?: number;
	recipient?: string;
	rejectedErrors?: UpstreamError[];
}

/** An upstream that answers slowly fails the send, it does not hold it for the library's minutes. */
const TIMEOUTS_MS = { connect: 15_000, greeting: 15_000, socket: 60_000, dns: 15_000 };

export function connectionOptions(
	upstream: UpstreamConfig,
	clientName: string,
): SMTPConnectionOptions {
	const login = Boolean(upstream.user);
	// With a login, "when offered" insists on STARTTLS like "required" does: the password stays encrypted.
	const requireTls =
		upstream.security === 'starttls' || (upstream.security === 'starttlsWhenOffered' && login);
	return {
		host: upstream.host,
		port: upstream.port,
		secure: upstream.security === 'tls',
		requireTLS: requireTls,
		opportunisticTLS: upstream.security === 'starttlsWhenOffered' && !login,
		ignoreTLS: upstream.security === 'none',
		name: clientName,
		connectionTimeout: TIMEOUTS_MS.connect,
		greetingTimeout: TIMEOUTS_MS.greeting,
		socketTimeout: TIMEOUTS_MS.socket,
		dnsTimeout: TIMEOUTS_MS.dns,
		// Certificates are checked unless the config allows a self-signed one; SNI only for a name (RFC 6066).
		tls: {
			rejectUnauthorized: upstream.allowSelfSigned !== true,
			servername: isIP(upstream.host) ? undefined : upstream.host,
		},
	};
}

/** Why the upstream could not be used, in words for the API's 503 detail. */
export function setupFailure(error: UpstreamError, target: string): string {
	if (error.code === 'ECLEARAUTH')
		return `the connection to the upstream ${target} is not encrypted, so the relay's login was not sent`;
	if (error.code === 'ETLS' || (error.command === 'EHLO' && /STARTTLS/.test(error.message))) {
		const answer = error.response ? ` (it answered: ${error.response.trim()})` : '';
		return `the upstream ${target} offers no working STARTTLS/TLS${answer}, and the relay does not send in clear`;
	}
	if (error.code === 'EAUTH')
		return `the upstream ${target} refused the relay's login${error.response ? `: ${error.response.trim()}` : ''}`;
	if (error.responseCode)
		return `the upstream ${target} refused the session: ${String(error.response ?? error.message).trim()}`;
	return `could not talk to the upstream ${target}: ${error.message}`;
}

export class SetupError extends Error {}

/**
 * Connects, upgrades and logs in. Resolves with a connection ready for MAIL FROM; rejects with a
 * SetupError whose message says why nothing could be sent.
 */
export function openConnection(
	upstream: UpstreamConfig,
	clientName: string,
	onBroken: () => void,
): Promise<SMTPConnection> {
	const target = `${upstream.host}:${upstream.port}`;
	return new Promise((resolve, reject) => {
		const connection = new SMTPConnection(connectionOptions(upstream, clientName));
		let ready = false;
		const fail = (error: UpstreamError) => {
			if (ready) return onBroken();
			ready = true;
			connection.close();
			reject(new SetupError(setupFailure(error, target)));
		};
		// Errors while sending reach the send's callback too; here they only mark the connection broken.
		connection.on('error', fail);
		connection.on('end', () =>
			fail(Object.assign(new Error('the connection closed during setup'), { code: 'ECONNECTION' })),
		);
		connection.connect(() => {
			if (!upstream.user) {
				ready = true;
				return resolve(connection);
			}
			if (!connection.secure && upstream.security !== 'none') {
				return fail(
					Object.assign(new Error('login over an unencrypted connection'), { code: 'ECLEARAUTH' }),
				);
			}
			connection.login({ user: upstream.user, pass: upstream.password ?? '' }, (error) => {
				if (error) return fail(error as UpstreamError);
				ready = true;
				resolve(connection);
			});
		});
	});
}
