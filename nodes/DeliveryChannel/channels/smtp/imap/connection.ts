/** One IMAP connection to the sender's mailbox for the length of a session: opened on first use, cut by a cancel. */
import { ImapFlow, type ImapFlowOptions } from 'imapflow';

import { cancelled, toMailboxError } from './errors';
import { MAILBOX_LIMITS, type MailboxSettings } from './settings';

/** With `accessToken` (the OAuth2 credential) the login is XOAUTH2 as the mailbox user. */
export function imapOptions(settings: MailboxSettings, accessToken?: string): ImapFlowOptions {
	return {
		host: settings.host,
		port: settings.port,
		secure: settings.security === 'tls',
		// false = never upgrade; true = must upgrade; for SSL/TLS the question does not arise.
		doSTARTTLS:
			settings.security === 'starttls' ? true : settings.security === 'none' ? false : undefined,
		auth: accessToken
			? { user: settings.user, accessToken }
			: { user: settings.user, pass: settings.password },
		// Certificates are checked unless the credential says otherwise; pinned so no default loosens it.
		tls: { rejectUnauthorized: !settings.allowSelfSigned, servername: settings.host },
		logger: false,
		connectionTimeout: MAILBOX_LIMITS.connectMs,
		greetingTimeout: MAILBOX_LIMITS.greetingMs,
		socketTimeout: MAILBOX_LIMITS.socketMs,
		disableAutoIdle: true,
		emitLogs: false,
	} as ImapFlowOptions;
}

/** One IMAP connection for the length of a session; opened on first use, closed by close(). */
export class ImapConnection {
	private client?: ImapFlow;
	private connecting?: Promise<ImapFlow>;
	private aborted = false;

	constructor(
		readonly settings: MailboxSettings,
		private readonly createClient: (options: ImapFlowOptions) => ImapFlow = (options) =>
			new ImapFlow(options),
	) {}

	/** Runs one task on the connection; every failure comes back as a DeliveryError. */
	async call<T>(task: (client: ImapFlow) => Promise<T>): Promise<T> {
		const client = await this.connection();
		try {
			return await task(client);
		} catch (error) {
			throw this.aborted ? cancelled() : toMailboxError(error, this.settings);
		}
	}

	/** The execution was cancelled: the connection is cut, what runs on it fails, nothing new starts. */
	abort(): void {
		this.aborted = true;
		this.client?.close();
		this.client = undefined;
	}

	async close(): Promise<void> {
		const client = this.client ?? (await this.connecting?.catch(() => undefined));
		this.client = undefined;
		this.connecting = undefined;
		if (!client) return;
		let timer: NodeJS.Timeout | undefined;
		try {
			await Promise.race([
				client.logout(),
				new Promise<void>((resolve) => {
					timer = setTimeout(resolve, MAILBOX_LIMITS.logoutMs);
				}),
			]);
		} catch {
			// Logging out of a broken connection fails; closing it below is all that is left to do.
		} finally {
			clearTimeout(timer);
			client.close();
		}
	}

	private async connection(): Promise<ImapFlow> {
		if (this.aborted) throw cancelled();
		if (this.client?.usable) return this.client;
		this.connecting ??= this.signIn().finally(() => {
			this.connecting = undefined;
		});
		return await this.connecting;
	}

	/** Connects and logs in; an OAuth2 token the server refuses is renewed once and tried again. */
	private async signIn(): Promise<ImapFlow> {
		const tokens = this.settings.tokens;
		let token = await tokens?.current();
		for (let attempt = 1; ; attempt++) {
			try {
				return await this.connectWith(token);
			} catch (error) {
				const refused = (error as { authenticationFailed?: boolean }).authenticationFailed;
				if (!tokens || !token || !refused || attempt > 1 || this.aborted)
					throw this.aborted ? cancelled() : toMailboxError(error, this.settings);
				const renewed = await tokens.renew(token);
				if (renewed === token) throw toMailboxError(error, this.settings);
				token = renewed;
			}
		}
	}

	private async connectWith(accessToken?: string): Promise<ImapFlow> {
		const client = this.createClient(imapOptions(this.settings, accessToken));
		// Without a listener an 'error' event would crash the process; the failing call rejects anyway.
		client.on('error', () => undefined);
		try {
			await client.connect();
		} catch (error) {
			client.close();
			throw error;
		}
		if (this.aborted) {
			client.close();
			throw cancelled();
		}
		this.client = client;
		return client;
	}
}
