/**
 * A small pool of SMTP connections that we drive ourselves instead of nodemailer's pool: that pool
 * re-queues a message whose connection dropped, without limit and without knowing whether the server
 * already took it, which can deliver it twice. Here every message is tried once per call, and the
 * caller learns exactly how far it got.
 */
import { PassThrough } from 'node:stream';

import type SMTPConnection from 'nodemailer/lib/smtp-connection';

import { DeliveryError } from '../../../../core/errors';
import {
	offersDsn,
	openConnection,
	socketOf,
	type PooledConnection,
	type SmtpDelivery,
	type SmtpEnvelope,
} from './connection';
import {
	cancelledAfterSending,
	cancelledBeforeSending,
	notAttempted,
	toDeliveryError,
	type SmtpLibraryError,
} from './errors';
import { park, parkingKey, unpark } from './parking';
import type { SmtpSettings } from './settings';
import { paceMessage, slotOrParked, slotWantedFor, type ConnectionSlots } from './slots';

type Waiter = { resolve: (entry: PooledConnection) => void; reject: (error: unknown) => void };

/**
 * How far a message got. 'envelope': no byte of the message left yet, or some did but not all
 * ('writing': bytes still queued in this process). 'flushing': the body ended and the last bytes
 * are on their way to the socket. 'data-sent': every byte, the final dot included, went to the
 * operating system, so the server may have the whole message whatever happens next.
 */
type SendStage = 'envelope' | 'writing' | 'flushing' | 'data-sent';

/** Whether the server can have the complete message: then it must never be sent again. */
function mayBeComplete(stage: SendStage): boolean {
	return stage === 'flushing' || stage === 'data-sent';
}

/** Which pool a connection belongs to now (a parked connection changes hands). */
const owners = new WeakMap<SMTPConnection, SmtpPool>();

export class SmtpPool {
	private readonly idle: PooledConnection[] = [];
	private readonly waiters: Waiter[] = [];
	private open = 0;
	private closed = false;
	/** The execution was cancelled: nothing new starts, and what runs is cut. */
	private aborted = false;
	/** Every connection open or opening, so a cancel can cut them all. */
	private readonly live = new Set<SMTPConnection>();
	/** Sends in flight, each with the way to end it when a cancel cuts its connection. */
	private readonly inFlight = new Set<() => void>();
	/** Until one connection has worked, connect one at a time: a wrong password is tried once, not per item. */
	private connectedOnce = false;
	/** A connection failure that will not pass (login, certificate, unknown host): later sends are not tried. */
	private fatal?: DeliveryError;

	/** Where this pool's connections are parked between executions (pools with shared slots). */
	private readonly parkingKey?: string;

	constructor(
		readonly settings: SmtpSettings,
		readonly size: number,
		/** Connection slots shared with every execution and worker sending as this account. */
		private readonly shared: { slots?: ConnectionSlots; messagesPerMinute?: number } = {},
		private readonly messagesPerConnection = 100,
	) {
		if (shared.slots) this.parkingKey = parkingKey(settings, shared.slots.account);
	}

	/** Opens a connection and logs in, then closes it: the credential test. */
	async verify(): Promise<void> {
		const entry = await this.connect();
		entry.connection.quit();
	}

	async deliver(envelope: SmtpEnvelope, raw: Buffer): Promise<SmtpDelivery> {
		if (this.aborted) throw cancelledBeforeSending();
		let entry: PooledConnection;
		try {
			entry = await this.acquire();
		} catch (error) {
			throw this.aborted ? cancelledBeforeSending() : error;
		}
		if (this.aborted) {
			this.discard(entry);
			throw cancelledBeforeSending();
		}
		const progress = { stage: 'envelope' as SendStage, cancelled: false, counted: async () => {} };
		try {
			progress.counted = await paceMessage(this.shared);
		} catch (error) {
			this.release(entry);
			throw error;
		}
		let cut: (() => void) | undefined;
		try {
			const info = await new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) => {
				// nodemailer drops a send whose connection is closed without calling back: end it here.
				cut = () => {
					progress.cancelled = true;
					reject(new Error('cancelled'));
				};
				this.inFlight.add(cut);
				const body = new PassThrough();
				body.once('end', () => this.followLastBytes(entry.connection, progress));
				// A fresh envelope per attempt: the library writes its progress (and any error) into the
				// object it is given, and a retry must not inherit the previous attempt's failure.
				const attemptEnvelope = {
					...envelope,
					to: [...envelope.to],
					dsn: envelope.dsn && { ...envelope.dsn, notify: [...envelope.dsn.notify] },
				};
				entry.connection.send(attemptEnvelope, body, (error, result) =>
					error ? reject(error) : resolve(result),
				);
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
				dsnOffered: offersDsn(entry.connection),
			};
		} catch (error) {
			this.discard(entry);
			if (progress.cancelled || this.aborted)
				throw mayBeComplete(progress.stage) ? cancelledAfterSending() : cancelledBeforeSending();
			throw toDeliveryError(
				error as SmtpLibraryError,
				this.settings,
				mayBeComplete(progress.stage) ? 'data-sent' : 'envelope',
				envelope.to,
			);
		} finally {
			if (cut) this.inFlight.delete(cut);
			await progress.counted();
		}
	}

	/**
	 * Follows the message's last bytes after the body ended. The data stream writes the final dot in
	 * the ticks that follow; once the socket's own queue is empty, every byte went to the operating
	 * system. Until then a broken connection means the server cannot have the complete message.
	 */
	private followLastBytes(connection: SMTPConnection, progress: { stage: SendStage }): void {
		progress.stage = 'flushing';
		setImmediate(() => {
			if (progress.stage !== 'flushing') return;
			const socket = socketOf(connection);
			if (!socket || socket.destroyed || socket.writableLength === 0) {
				progress.stage = 'data-sent';
				return;
			}
			progress.stage = 'writing';
			socket.once('drain', () => {
				if (progress.stage === 'writing') progress.stage = 'data-sent';
			});
		});
	}

	/**
	 * The execution was cancelled: queued callers and sends in flight end now, every connection is
	 * cut, and nothing new starts. Sends learn whether their message may have gone out.
	 */
	abort(): void {
		if (this.aborted) return;
		this.aborted = true;
		this.closed = true;
		for (const waiter of this.waiters.splice(0)) waiter.reject(cancelledBeforeSending());
		for (const cut of [...this.inFlight]) cut();
		this.idle.splice(0);
		for (const connection of [...this.live]) {
			// Destroyed, not ended: ending would still flush what waits in the socket's queue, and
			// that may be the rest of a message, final dot included, that was just called not sent.
			socketOf(connection)?.destroy();
			connection.close();
		}
		this.live.clear();
	}

	async close(): Promise<void> {
		this.closed = true;
		for (const waiter of this.waiters.splice(0)) {
			waiter.reject(
				new DeliveryError('The SMTP connection pool was closed', { code: 'ECONNECTION' }),
			);
		}
		for (const entry of this.idle.splice(0)) {
			this.open -= 1;
			// Kept for the next execution of this credential, unless it has carried its share.
			if (this.parkingKey && !entry.broken && entry.sent < this.messagesPerConnection) {
				entry.onLost = undefined;
				park(this.parkingKey, entry, slotWantedFor(this.shared.slots));
			} else entry.connection.quit();
		}
	}

	/** A connection this pool now owns (opened by it, or parked by an earlier execution). */
	private adopt(entry: PooledConnection): PooledConnection {
		entry.onLost = () => this.dropIdle(entry);
		owners.set(entry.connection, this);
		this.live.add(entry.connection);
		this.connectedOnce = true;
		return entry;
	}

	private async acquire(): Promise<PooledConnection> {
		if (this.closed)
			throw new DeliveryError('The SMTP connection pool is closed', { code: 'ECONNECTION' });
		if (this.fatal) throw notAttempted(this.fatal);
		const ready = this.idle.pop();
		if (ready) return ready;
		if (this.open < this.size && (this.connectedOnce || this.open === 0)) {
			this.open += 1;
			try {
				const parked = this.parkingKey ? unpark(this.parkingKey) : undefined;
				const entry = parked ? this.adopt(parked) : await this.connect();
				this.connectedOnce = true;
				this.fillWaiters();
				return entry;
			} catch (error) {
				this.open -= 1;
				this.connectFailed(error);
				throw error;
			}
		}
		return await new Promise<PooledConnection>((resolve, reject) =>
			this.waiters.push({ resolve, reject }),
		);
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

	/**
	 * Opens a connection once the account has a free slot; the slot is given back when it closes.
	 * While waiting for a slot, a connection another execution parks for this credential is taken
	 * instead (it holds a slot already).
	 */
	private async connect(): Promise<PooledConnection> {
		let release: (() => Promise<void>) | undefined;
		if (this.shared.slots) {
			const got = await slotOrParked(this.shared.slots, this.size, this.parkingKey);
			if ('entry' in got) return this.adopt(got.entry);
			release = got.giveBack;
		}
		const giveBack = () => void release?.().catch(() => undefined);
		try {
			const entry = await openConnection(this.settings, {
				created: (connection) => {
					this.live.add(connection);
					// One listener for the connection's whole life, whichever pool owns it by then.
					connection.once('end', () => {
						(owners.get(connection) ?? this).live.delete(connection);
						giveBack();
					});
				},
				lost: (lostEntry) => lostEntry.onLost?.(),
			});
			return this.adopt(entry);
		} catch (error) {
			giveBack();
			throw error;
		}
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
