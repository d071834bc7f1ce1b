/**
 * The real Postfix + Dovecot pair (scripts/mailsystem/start.sh) for jest: started on free ports of
 * 127.0.0.1, stopped in afterAll. Tests that need it go in `describeWithMailSystem` blocks: where it
 * cannot start (not root, not Linux, the packages missing and not installable) they are skipped and
 * the reason is printed; with REQUIRE_MAILSYSTEM=1 (.ci/run) they run and fail instead.
 */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const lib = require('../../scripts/mailsystem/mailsystem.js') as {
	startMailSystem(options?: MailSystemOptions & { dir?: string }): Promise<MailSystem>;
	unavailableReason(): string;
	INSTALL_COMMAND: string;
};

export type OAuth2Mechanism = 'xoauth2' | 'oauthbearer';

export interface MailSystemOptions {
	timeoutMs?: number;
	keep?: boolean;
	/** Dovecot alone (no Postfix, no SMTP), for tests that only read over IMAP. */
	imapOnly?: boolean;
	/**
	 * OAuth2 logins beside the password: Dovecot's oauth2 passdb asks this RFC 7662 endpoint about each
	 * bearer token (the answer's "username" must be the login, "active" true), and Postfix takes SASL
	 * from Dovecot, so SMTP AUTH and IMAP both accept them. E.g. the fake Microsoft identity platform's
	 * introspectionUrl (test/fakes/microsoft-identity), started first.
	 */
	oauth2IntrospectionUrl?: string;
	/** The SASL mechanisms offered for OAuth2 (default ['xoauth2'], as Microsoft 365 offers). */
	oauth2Mechanisms?: OAuth2Mechanism[];
}

/** Who logs in: the sender (default) with its password, or with an OAuth2 access token. */
export interface MailLogin {
	accessToken?: string;
	user?: string;
}

export interface MailEnvelope {
	uid: number;
	internalDate: Date;
	subject?: string;
	messageId?: string;
	from?: Array<{ name?: string; address?: string }>;
	to?: Array<{ name?: string; address?: string }>;
}

export interface MailSystem {
	dir: string;
	host: string;
	smtpPort: number;
	imapPort: number;
	/** Implicit TLS ports; STARTTLS is offered on smtpPort and imapPort. The certificate is self-signed. */
	smtpsPort: number;
	imapsPort: number;
	/** PEM file of the self-signed certificate (for mx.example.test and 127.0.0.1). */
	tlsCert: string;
	domain: string;
	sender: { address: string; password: string };
	/** null unless started with oauth2IntrospectionUrl. */
	oauth2: { introspectionUrl: string; mechanisms: OAuth2Mechanism[] } | null;
	refusing: string;
	deferring: string;
	queueLifetimeSeconds: number;
	unknownUser(tag?: string): string;
	smtpCredential(extra?: ICredentialDataDecryptedObject): ICredentialDataDecryptedObject;
	/** imapflow options; with an accessToken the login is OAuth2 (XOAUTH2, or OAUTHBEARER when offered). */
	imapOptions(login?: MailLogin): Record<string, unknown>;
	/** nodemailer options for SMTP submission (no TLS); with an accessToken SMTP AUTH XOAUTH2. */
	smtpOptions(login?: MailLogin): {
		host: string;
		port: number;
		secure: false;
		ignoreTLS: true;
		auth: { type: 'OAuth2'; user: string; accessToken: string } | { user: string; pass: string };
	};
	waitForMessages(
		folder: string,
		count: number,
		timeoutMs?: number,
		match?: (message: MailEnvelope) => boolean,
	): Promise<MailEnvelope[]>;
	logs(lines?: number): string;
	stop(): Promise<void>;
}

export const INSTALL_COMMAND = lib.INSTALL_COMMAND;

/** Why the mail-system tests are skipped here ('' when they run). CI sets REQUIRE_MAILSYSTEM=1 so that they never skip. */
export const mailSystemSkipReason: string =
	process.env.REQUIRE_MAILSYSTEM === '1' ? '' : lib.unavailableReason();

/**
 * `describe` for tests that need the real mail system. Its beforeAll/afterAll may live at the top of
 * the file: jest runs no hooks in a file whose tests are all skipped.
 */
export function describeWithMailSystem(name: string, fn: () => void): void {
	if (!mailSystemSkipReason) {
		describe(name, fn);
		return;
	}
	process.stderr.write(
		`\nSKIPPED, no real mail system here (${mailSystemSkipReason}): ${name}. REQUIRE_MAILSYSTEM=1 makes this an error.\n`,
	);
	describe.skip(`${name} (skipped: ${mailSystemSkipReason})`, fn);
}

export async function startMailSystem(options: MailSystemOptions = {}): Promise<MailSystem> {
	return await lib.startMailSystem({ keep: process.env.KEEP_TMP === '1', ...options });
}
