/**
 * The real Postfix + Dovecot pair (scripts/mailsystem/start.sh) for jest: started on free ports of
 * 127.0.0.1, stopped in afterAll. Tests that need it go in `describeWithMailSystem` blocks: where it
 * cannot start (not root, not Linux, the packages missing and not installable) they are skipped and
 * the reason is printed; with REQUIRE_MAILSYSTEM=1 (.ci/run) they run and fail instead.
 */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const lib = require('../../scripts/mailsystem/mailsystem.js') as {
	startMailSystem(options?: {
		dir?: string;
		timeoutMs?: number;
		keep?: boolean;
	}): Promise<MailSystem>;
	unavailableReason(): string;
	INSTALL_COMMAND: string;
};

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
	refusing: string;
	deferring: string;
	queueLifetimeSeconds: number;
	unknownUser(tag?: string): string;
	smtpCredential(extra?: ICredentialDataDecryptedObject): ICredentialDataDecryptedObject;
	imapOptions(): Record<string, unknown>;
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

export async function startMailSystem(
	options: { timeoutMs?: number; keep?: boolean } = {},
): Promise<MailSystem> {
	return await lib.startMailSystem({ keep: process.env.KEEP_TMP === '1', ...options });
}
