/**
 * Relays a message to the configured upstream with nodemailer's SMTP client, through the same small
 * pool the Custom SMTP channel uses (it never re-sends a message whose fate is unknown). The envelope
 * sender is the message's own bounce address, so every report comes back to the sandbox.
 */
import { DeliveryError } from '../../core/errors';
import { SmtpPool } from '../../nodes/DeliveryChannel/channels/smtp/pool';
import { smtpSettings } from '../../nodes/DeliveryChannel/channels/smtp/settings';
import type { RecipientRejection } from '../../core/model';
import type { UpstreamConfig } from './config';

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
	/** Nothing went out (no connection, login or TLS failure, 421 before the data): safe to try again. */
	| { kind: 'not-sent'; error: DeliveryError }
	/** The connection broke after the whole message went out: it may have been delivered. */
	| { kind: 'unknown'; error: DeliveryError };

interface NodemailerEnvelopeError extends Error {
	rejectedErrors?: Array<{ recipient?: string; responseCode?: number; response?: string }>;
}

export class Relay {
	private readonly pool: SmtpPool;

	readonly target: string;

	constructor(upstream: UpstreamConfig, clientName: string, connections: number) {
		const settings = smtpSettings({
			host: upstream.host,
			port: upstream.port,
			security: upstream.security,
			user: upstream.user ?? '',
			password: upstream.password ?? '',
			clientHostname: clientName,
			allowSelfSigned: upstream.allowSelfSigned === true,
		});
		this.pool = new SmtpPool(settings, connections);
		this.target = `${upstream.host}:${upstream.port}`;
	}

	async relay(request: RelayRequest): Promise<RelayOutcome> {
		try {
			const delivery = await this.pool.deliver(
				{
					from: request.envelopeFrom,
					to: request.recipients,
					dsn: request.envelopeId ? { envid: request.envelopeId, ret: 'HDRS', notify: ['FAILURE', 'DELAY'] } : undefined,
				},
				request.raw,
			);
			return { kind: 'answered', accepted: delivery.accepted, rejected: delivery.rejected, response: delivery.response };
		} catch (error) {
			const failure = error as DeliveryError;
			if (!(failure instanceof DeliveryError)) throw error;
			if (failure.code === 'EUNKNOWN') return { kind: 'unknown', error: failure };
			if (failure.code === 'EENVELOPE' || failure.code === 'EMESSAGE') {
				// A temporary refusal of the sender (MAIL FROM 4xx): nothing was offered to any recipient yet.
				if (failure.retryable && /sender/i.test(failure.message)) return { kind: 'not-sent', error: failure };
				return { kind: 'answered', accepted: [], rejected: refusals(failure, request.recipients), response: failure.response ?? failure.message };
			}
			return { kind: 'not-sent', error: failure };
		}
	}

	async close(): Promise<void> {
		await this.pool.close();
	}
}

/** One refusal per recipient, each with the upstream's own reply when it gave one. */
function refusals(error: DeliveryError, recipients: string[]): RecipientRejection[] {
	const perRecipient = (error.cause as NodemailerEnvelopeError | undefined)?.rejectedErrors ?? [];
	return recipients.map((address) => {
		const own = perRecipient.find((entry) => entry.recipient?.toLowerCase() === address.toLowerCase());
		const code = own?.responseCode ?? error.responseCode;
		return {
			address,
			code,
			response: String(own?.response ?? error.response ?? error.message),
			retryable: code !== undefined && code >= 400 && code < 500,
		};
	});
}
