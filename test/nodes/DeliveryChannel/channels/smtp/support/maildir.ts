/**
 * A real Dovecot (scripts/mailsystem, IMAP only) whose sender mailbox the test fills by writing
 * Maildir files directly: thousands of reports in a second, each with the arrival time it needs
 * (Dovecot takes a Maildir file's mtime as the message's INTERNALDATE). Far faster than sending
 * through Postfix, and the IMAP side is the real server.
 */
import { chownSync, mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const lib = require('../../../../../../scripts/mailsystem/mailsystem.js') as {
	startMailSystem(options?: { keep?: boolean; imapOnly?: boolean }): Promise<Dovecot>;
};

export interface Dovecot {
	dir: string;
	host: string;
	imapPort: number;
	maildir: string;
	sender: { address: string; password: string };
	smtpCredential(extra?: ICredentialDataDecryptedObject): ICredentialDataDecryptedObject;
	imapOptions(): Record<string, unknown>;
	stop(): Promise<void>;
}

export async function startDovecot(): Promise<Dovecot> {
	return await lib.startMailSystem({ keep: process.env.KEEP_TMP === '1', imapOnly: true });
}

let counter = 0;

function folderDir(dovecot: Pick<Dovecot, 'maildir'>, folder: string): string {
	return folder.toUpperCase() === 'INBOX'
		? dovecot.maildir
		: join(dovecot.maildir, `.${folder.replace(/\//g, '.')}`);
}

/** Creates a folder (Maildir++ layout) owned by the mail user, if it is not there yet. */
export function ensureFolder(dovecot: Pick<Dovecot, 'maildir'>, folder: string): void {
	const owner = statSync(dovecot.maildir);
	const dir = folderDir(dovecot, folder);
	for (const sub of ['', 'cur', 'new', 'tmp']) {
		mkdirSync(join(dir, sub), { recursive: true });
		chownSync(join(dir, sub), owner.uid, owner.gid);
	}
	if (folder.toUpperCase() !== 'INBOX') {
		writeFileSync(join(dir, 'maildirfolder'), '');
		chownSync(join(dir, 'maildirfolder'), owner.uid, owner.gid);
	}
}

/** Puts messages into a folder as delivered mail, each arriving at its own time. */
export function writeMessages(
	dovecot: Pick<Dovecot, 'maildir'>,
	folder: string,
	messages: Array<{ raw: string | Buffer; receivedAt: Date }>,
): void {
	ensureFolder(dovecot, folder);
	const owner = statSync(dovecot.maildir);
	const cur = join(folderDir(dovecot, folder), 'cur');
	for (const { raw, receivedAt } of messages) {
		counter += 1;
		const file = join(
			cur,
			`${Math.floor(receivedAt.getTime() / 1000)}.M${counter}P${process.pid}.fill:2,`,
		);
		writeFileSync(file, raw);
		utimesSync(file, receivedAt, receivedAt);
		chownSync(file, owner.uid, owner.gid);
	}
}

export interface ReportOptions {
	recipient: string;
	status?: string;
	diagnostic?: string;
	action?: 'failed' | 'delayed';
	envid?: string;
	messageId?: string;
	subject?: string;
}

/** A standard RFC 3464 report, as Postfix writes them. */
export function bounceReport(options: ReportOptions): string {
	const boundary = `b-${(counter += 1)}-${Math.random().toString(36).slice(2)}`;
	const status = options.status ?? '5.1.1';
	return [
		'From: MAILER-DAEMON@mx.example.net (Mail Delivery System)',
		'To: sales@example.test',
		`Subject: ${options.action === 'delayed' ? 'Delayed Mail (still being retried)' : 'Undelivered Mail Returned to Sender'}`,
		`Message-ID: <report-${counter}-${Math.random().toString(36).slice(2)}@mx.example.net>`,
		'MIME-Version: 1.0',
		`Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
		'',
		`--${boundary}`,
		'Content-Type: text/plain',
		'',
		'I am sorry to have to inform you that your message could not be delivered.',
		'',
		`--${boundary}`,
		'Content-Type: message/delivery-status',
		'',
		'Reporting-MTA: dns; mx.example.net',
		...(options.envid ? [`Original-Envelope-Id: ${options.envid}`] : []),
		'',
		`Final-Recipient: rfc822; ${options.recipient}`,
		`Action: ${options.action ?? 'failed'}`,
		`Status: ${status}`,
		`Diagnostic-Code: smtp; ${options.diagnostic ?? `550 ${status} <${options.recipient}>: Recipient address rejected: User unknown`}`,
		'',
		`--${boundary}`,
		'Content-Type: text/rfc822-headers',
		'',
		'From: Sales <sales@example.test>',
		`To: ${options.recipient}`,
		`Subject: ${options.subject ?? 'Offer'}`,
		`Message-ID: ${options.messageId ?? `<offer-${counter}@example.test>`}`,
		'',
		`--${boundary}--`,
		'',
	].join('\r\n');
}
