/**
 * The sandbox's own relay to the upstream, as a real MSC's MTA would have: a few SMTP connections
 * (nodemailer's SMTPConnection), each message offered once per call, and an answer per recipient.
 * The envelope sender is the message's own bounce address, so every report comes back to the sandbox.
 * Retrying what the upstream refused for now is the service's job (its retry schedule), not this one's.
 */
import { PassThrough } from 'node:stream';

import type SMTPConnection from 'nodemailer/lib/smtp-connection';

import type { RecipientRejection } from '../../../core/model';
import type { UpstreamConfig } from '../config';
import { openConnection, SetupError, type UpstreamError } from './upstream';

export interface RelayRequest {
	envelopeFrom: string;
	recipients: string[];
	raw: Buffer;
	/** DSN envelope id (RFC 3461), echoed back in reports by servers that offer DSN. */
	envelopeId?: string;
}

export type RelayOutcome =
	/** The upstream answered: some or all recipients accepted, the others refused with their own reply. */
	| { kind: 'answered'; accepted: string[]; rejected: RecipientRejection[]; response: string }
	/** Nothing went out (no connection, login or TLS failure, 4xx before the data): safe to try again. */
	| { kind: 'not-sent'; reason: string }
	/** The connection broke after the whole message went out: it may have been delivered. */
	| { kind: 'unknown'; reason: string };

/** A connection is retired after this many messages, as MTAs do. */
const MESSAGES_PER_CONNECTION = 100;

interface Link {
	connection: SMTPConnection;
	sent: number;
	broken: boolean;
	/** Ends the transaction in flight when the connection breaks without the library calling back. */
	onBreak?: () => void;
}

export class Relay {
	readonly target: string;
	private readonly idle: Link[] = [];
	private readonly queue: Array<() => void> = [];
	private busy = 0;
	private closed = false;

	constructor(
		private readonly upstream: UpstreamConfig,
		private readonly clientName: string,
		private readonly connections: number,
	) {
		this.target = `${upstream.host}:${upstream.port}`;
	}

	async relay(request: RelayRequest): Promise<RelayOutcome> {
		await this.turn();
		try {
			if (this.closed) return { kind: 'not-sent', reason: 'the relay is closed' };
			let link: Link;
			try {
				link = this.idle.pop() ?? (await this.open());
			} catch (error) {
				if (error instanceof SetupError) return { kind: 'not-sent', reason: error.message };
				throw error;
			}
			return await this.transact(link, request);
		} finally {
			this.busy -= 1;
			this.queue.shift()?.();
		}
	}

	async close(): Promise<void> {
		this.closed = true;
		for (const link of this.idle.splice(0)) link.connection.quit();
	}

	/** Waits until fewer than `connections` messages are on their way. */
	private async turn(): Promise<void> {
		if (this.busy >= this.connections) await new Promise<void>((ready) => this.queue.push(ready));
		this.busy += 1;
	}

	private async open(): Promise<Link> {
		const link: Partial<Link> = { sent: 0, broken: false };
		link.connection = await openConnection(this.upstream, this.clientName, () =>
			this.broke(link as Link),
		);
		return link as Link;
	}

	/** The connection failed or closed: never used again, and a transaction on it ends. */
	private broke(link: Link): void {
		link.broken = true;
		const index = this.idle.indexOf(link);
		if (index >= 0) this.idle.splice(index, 1);
		// The send's own callback, when the library gives one, comes first and settles the transaction.
		if (link.onBreak) setImmediate(link.onBreak);
	}

	private transact(link: Link, request: RelayRequest): Promise<RelayOutcome> {
		return new Promise((resolve) => {
			let settled = false;
			let wholeMessageOut = false;
			const settle = (outcome: RelayOutcome) => {
				if (settled) return;
				settled = true;
				link.onBreak = undefined;
				resolve(outcome);
			};
			link.onBreak = () => {
				const reason = 'the connection to the upstream closed during the transaction';
				settle(wholeMessageOut ? unknownAfterData(this.target) : { kind: 'not-sent', reason });
			};
			const body = new PassThrough();
			// Every byte handed to the connection: from here on the upstream may have the whole message.
			body.once('end', () => (wholeMessageOut = true));
			const dsn = request.envelopeId
				? { envid: request.envelopeId, ret: 'HDRS' as const, notify: ['FAILURE', 'DELAY'] }
				: undefined;
			link.connection.send(
				{ from: request.envelopeFrom, to: [...request.recipients], dsn },
				body,
				(error, info) => {
					if (error) {
						this.retire(link, false);
						return settle(
							failureOutcome(
								error as UpstreamError,
								request.recipients,
								wholeMessageOut,
								this.target,
							),
						);
					}
					link.sent += 1;
					this.retire(link, true);
					settle(answered(info, request.recipients));
				},
			);
			body.end(request.raw);
		});
	}

	/** Back to the idle list after a good transaction, else closed. */
	private retire(link: Link, reusable: boolean): void {
		if (reusable && !link.broken && !this.closed && link.sent < MESSAGES_PER_CONNECTION) {
			this.idle.push(link);
			return;
		}
		link.broken = true;
		if (reusable) link.connection.quit();
		else link.connection.close();
	}
}

function unknownAfterData(target: string): RelayOutcome {
	return {
		kind: 'unknown',
		reason: `the connection to the upstream ${target} broke after the whole message went out`,
	};
}

function answered(info: SMTPConnection.SentMessageInfo, recipients: string[]): RelayOutcome {
	const refusals = (info.rejectedErrors ?? []) as UpstreamError[];
	const accepted = info.accepted.map(String);
	const refused = recipients.filter(
		(address) => !accepted.some((entry) => sameAddress(entry, address)),
	);
	return {
		kind: 'answered',
		accepted,
		rejected: refused.map((address) => refusalOf(address, refusals)),
		response: String(info.response ?? ''),
	};
}

/** How a failed transaction ended: refused by the upstream (per recipient), not sent, or unknown. */
function failureOutcome(
	error: UpstreamError,
	recipients: string[],
	wholeMessageOut: boolean,
	target: string,
): RelayOutcome {
	const code = error.responseCode;
	const reply = String(error.response ?? error.message).trim();
	if (!code)
		return wholeMessageOut
			? unknownAfterData(target)
			: { kind: 'not-sent', reason: `the upstream ${target} failed: ${error.message}` };
	// A sender refused for now, or a server closing the session outside RCPT: no recipient took it.
	if (
		(error.command === 'MAIL FROM' && code < 500) ||
		(code === 421 && error.command !== 'RCPT TO')
	) {
		return {
			kind: 'not-sent',
			reason: `the upstream ${target} refused the transaction for now: ${reply}`,
		};
	}
	const own = error.rejectedErrors ?? [];
	const generic: UpstreamError = {
		name: 'UpstreamError',
		message: reply,
		responseCode: code,
		response: reply,
	};
	return {
		kind: 'answered',
		accepted: [],
		rejected: recipients.map((address) => refusalOf(address, [...own, generic])),
		response: reply,
	};
}

/** One recipient's refusal, with the upstream's own reply for it when it gave one. */
function refusalOf(address: string, refusals: UpstreamError[]): RecipientRejection {
	const own =
		refusals.find(
			(entry) => entry.recipient !== undefined && sameAddress(entry.recipient, address),
		) ?? refusals.find((entry) => !entry.recipient);
	const code = own?.responseCode;
	return {
		address,
		code,
		response: String(own?.response ?? own?.message ?? 'rejected').trim(),
		retryable: code !== undefined && code >= 400 && code < 500,
	};
}

function sameAddress(a: string, b: string): boolean {
	return a.toLowerCase() === b.toLowerCase();
}
