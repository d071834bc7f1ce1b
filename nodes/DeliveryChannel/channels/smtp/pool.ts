/**
 * A small pool of SMTP connections that we drive ourselves instead of nodemailer's pool: that pool
 * re-queues a message whose connection dropped, without limit and without knowing whether the server
 * already took it, which can deliver it twice. Here every message is tried once per call, and the
 * caller learns exactly how far it got.
 */
import { PassThrough } from 'node:stream';

import SMTPConnection from 'nodemailer/lib/smtp-connection';

import { DeliveryError } from '../errors';
import type { RecipientRejection } from '../types';
import { toDeliveryError, type SmtpLibraryError } from './failures';
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

interface PooledConnection {
	connection: SMTPConnection;
	sent: number;
	broken: boolean;
}

type Waiter = { resolve: (entry: PooledConnection) => void; reject: (error: unknown) => void };

function notAttempted(cause: DeliveryError): DeliveryError {
	return new DeliveryError(`Not attempted: connecting to the SMTP server failed for an earlier message (${cause.message})`, {
		code: 'ENOTSENT',
		retryable: true,
		hint: cause.hint,
	});
}

export class SmtpPool {
	private readonly idle: PooledConnection[] = [];
	private readonly waiters: Waiter[] = [];
	private open = 0;
	private closed = false;
	/** Until one connection has worked, connect one at a time: a wrong password is tried once, not per item. */
	private connectedOnce = false;
	/** A connection failure that will not pass (login, certificate, unknown host): later sends are not tried. */
	private fatal?: DeliveryError;

	constructor(
		private readonly settings: SmtpSettings,
		readonly size: number,
		private readonly messagesPerConnection = 100,
	) {}

	/** Opens a connection and logs in, then closes it: the credential test. */
	async verify(): Promise<void> {
		const entry = await this.connect();
		entry.connection.quit();
	}

	async deliver(envelope: SmtpEnvelope, raw: Buffer): Promise<SmtpDelivery> {
		const entry = await this.acquire();
		let stage: 'envelope' | 'data-sent' = 'envelope';
		try {
			const info = await new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) => {
				const body = new PassThrough();
				// 'end' means every byte was handed to the connection; from then on the server may
				// have the complete message even if its answer never reaches us.
				body.once('end', () => (stage = 'data-sent'));
				// A fresh envelope per attempt: the library writes its progress (and any error) into the
				// object it is given, and a retry must not inherit the previous attempt's failure.
				const attemptEnvelope = { ...envelope, to: [...envelope.to], dsn: envelope.dsn && { ...envelope.dsn, notify: [...envelope.dsn.notify] } };
				entry.connection.send(attemptEnvelope, body, (error, result) => (error ? reject(error) : resolve(result)));
				body.end(raw);
			});
			entry.sent += 1;
			this.release(entry);
			const rejectedErrors = (info.rejectedErrors ?? []) as SmtpLibraryError[];
			return {
				accepted: info.accepted.map(String),
				rejected: info.rejected.map((address: string) => {
					const detail = rejectedErrors.find((error) => error.recipient === address);
					const code = detail?.responseCode;
					return {
						address: String(address),
						code,
						response: (detail?.response ?? 'rejected').toString(),
						retryable: code !== undefined && code >= 400 && code < 500,
					};
				}),
				response: String(info.response ?? ''),
				dsnOffered: this.offersDsn(entry),
			};
		} catch (error) {
			this.discard(entry);
			throw toDeliveryError(error as SmtpLibraryError, this.settings, stage, envelope.to);
		}
	}

	async close(): Promise<void> {
		this.closed = true;
		for (const waiter of this.waiters.splice(0)) {
			waiter.reject(new DeliveryError('The SMTP connection pool was closed', { code: 'ECONNECTION' }));
		}
		for (const entry of this.idle.splice(0)) {
			this.open -= 1;
			entry.connection.quit();
		}
	}

	private offersDsn(entry: PooledConnection): boolean {
		const extensions = (entry.connection as unknown as { _supportedExtensions?: string[] })._supportedExtensions;
		return Array.isArray(extensions) && extensions.includes('DSN');
	}

	private async acquire(): Promise<PooledConnection> {
		if (this.closed) throw new DeliveryError('The SMTP connection pool is closed', { code: 'ECONNECTION' });
		if (this.fatal) throw notAttempted(this.fatal);
		const ready = this.idle.pop();
		if (ready) return ready;
		if (this.open < this.size && (this.connectedOnce || this.open === 0)) {
			this.open += 1;
			try {
				const entry = await this.connect();
				this.connectedOnce = true;
				this.fillWaiters();
				return entry;
			} catch (error) {
				this.open -= 1;
				this.connectFailed(error);
				throw error;
			}
		}
		return await new Promise<PooledConnection>((resolve, reject) => this.waiters.push({ resolve, reject }));
	}

	private release(entry: PooledConnection): void {
		if (entry.broken || this.closed || entry.sent >= this.messagesPerConnection) {
			this.discard(entry, true);
			return;
		}
		const waiter = this.waiters.shift();
		if (waiter) waiter.resolve(entry);
		else this.idle.push(entry);
	}

	private discard(entry: PooledConnection, polite = false): void {
		const index = this.idle.indexOf(entry);
		if (index >= 0) this.idle.splice(index, 1);
		if (!entry.broken) {
			entry.broken = true;
			this.open -= 1;
			if (polite) entry.connection.quit();
			else entry.connection.close();
		}
		this.wakeWaiter();
	}

	/** A slot freed up: give a queued caller a fresh connection. */
	private wakeWaiter(): void {
		if (this.closed || this.fatal || this.open >= this.size) return;
		if (!this.connectedOnce && this.open > 0) return;
		const waiter = this.waiters.shift();
		if (!waiter) return;
		this.open += 1;
		this.connect().then(
			(entry) => {
				this.connectedOnce = true;
				waiter.resolve(entry);
				this.fillWaiters();
			},
			(error) => {
				this.open -= 1;
				waiter.reject(error);
				this.connectFailed(error);
			},
		);
	}

	/** The server takes connections: open as many as there are callers waiting, up to the pool size. */
	private fillWaiters(): void {
		let room = Math.min(this.waiters.length, this.size - this.open);
		while (room-- > 0) this.wakeWaiter();
	}

	private connectFailed(error: unknown): void {
		if (error instanceof DeliveryError && error.stopsBatch) {
			this.fatal = error;
			for (const waiter of this.waiters.splice(0)) waiter.reject(notAttempted(error));
			return;
		}
		this.wakeWaiter();
	}

	private connect(): Promise<PooledConnection> {
		return new Promise<PooledConnection>((resolve, reject) => {
			const connection = new SMTPConnection(this.settings.connection);
			const entry: PooledConnection = { connection, sent: 0, broken: false };
			let settled = false;
			const fail = (error: SmtpLibraryError) => {
				if (settled) return;
				settled = true;
				connection.close();
				reject(toDeliveryError(error, this.settings, 'connect'));
			};
			// Without a listener an 'error' event would crash the process; errors during a send reach
			// the send callback as well, and an idle connection that fails is simply dropped.
			connection.on('error', (error: SmtpLibraryError) => {
				if (!settled) fail(error);
				else this.dropIdle(entry);
			});
			connection.on('end', () => {
				if (!settled) fail(Object.assign(new Error('Connection closed before the greeting'), { code: 'ECONNECTION' }));
				else this.dropIdle(entry);
			});
			connection.connect(() => {
				if (!this.settings.auth) {
					settled = true;
					resolve(entry);
					return;
				}
				connection.login(this.settings.auth, (error) => {
					if (error) {
						fail(error as SmtpLibraryError);
						return;
					}
					settled = true;
					resolve(entry);
				});
			});
		});
	}

	/** The server closed a connection while it sat idle (idle timeout): forget it. */
	private dropIdle(entry: PooledConnection): void {
		const index = this.idle.indexOf(entry);
		if (index < 0 || entry.broken) return;
		this.idle.splice(index, 1);
		entry.broken = true;
		this.open -= 1;
	}
}
