/**
 * The sandbox's inbound SMTP port: receiving servers send their bounce reports (and complaints) to
 * the per-message bounce address, bounce+<message id>@<sandbox domain>. Mail for any other domain is
 * refused, so this is not an open relay.
 */
import { SMTPServer } from 'smtp-server';

import type { Logger } from './api';
import type { SandboxConfig } from './config';
import type { MscService } from './service';

export function createInboundServer(
	service: MscService,
	config: SandboxConfig,
	log: Logger,
): SMTPServer {
	const domain = config.domain.toLowerCase();
	const server = new SMTPServer({
		name: config.domain,
		banner: 'MSC sandbox: bounce reports only',
		// Loopback only by default; a real MSC would offer STARTTLS here.
		disabledCommands: ['AUTH', 'STARTTLS'],
		authOptional: true,
		size: config.maxReportBytes,
		// One more sender than this is answered 421 and disconnected, instead of holding a connection.
		maxClients: config.maxInboundClients,
		logger: false,
		// Stopping the sandbox should not wait long for idle report senders.
		closeTimeout: 1000,
		onRcptTo(address, _session, callback) {
			const at = address.address.lastIndexOf('@');
			if (at < 0 || address.address.slice(at + 1).toLowerCase() !== domain) {
				const error = new Error(
					`5.7.1 Relaying denied: this server only accepts reports for @${config.domain}`,
				) as Error & { responseCode: number };
				error.responseCode = 550;
				callback(error);
				return;
			}
			callback();
		},
		onData(stream, session, callback) {
			// Only the allowed size is kept; the rest is read and dropped, so an oversized report costs
			// no more memory than the limit before it is refused at the end of the data.
			const chunks: Buffer[] = [];
			let kept = 0;
			let tooLarge = false;
			stream.on('data', (chunk: Buffer) => {
				if (tooLarge) return;
				if (kept + chunk.length > config.maxReportBytes) {
					tooLarge = true;
					chunks.length = 0;
					return;
				}
				kept += chunk.length;
				chunks.push(chunk);
			});
			stream.on('end', () => {
				if (tooLarge || (stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
					const error = new Error(
						`5.3.4 Report too large (over ${config.maxReportBytes} bytes)`,
					) as Error & { responseCode: number };
					error.responseCode = 552;
					callback(error);
					return;
				}
				const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined;
				const rcptTo = session.envelope.rcptTo.map((entry) => entry.address);
				service
					.receiveReport(Buffer.concat(chunks), { mailFrom: mailFrom || undefined, rcptTo })
					.then(({ reportId, recorded, kind }) => {
						log(
							`inbound report ${reportId} for ${rcptTo.join(', ')}: ${kind}, ${recorded} failed deliveries recorded`,
						);
						callback(null, `Report accepted as ${reportId}`);
					})
					.catch((error: unknown) => {
						log(
							`inbound report for ${rcptTo.join(', ')} could not be stored: ${(error as Error)?.message ?? String(error)}`,
						);
						const failure = new Error(
							'4.3.0 Temporary failure storing the report, try again later',
						) as Error & { responseCode: number };
						failure.responseCode = 451;
						callback(failure);
					});
			});
		},
	});
	// Client resets and protocol errors end one session, never the sandbox.
	server.on('error', (error) => log(`inbound SMTP: ${error.message}`));
	return server;
}
