/**
 * Starts the MSC sandbox in-process on random 127.0.0.1 ports, relaying to a real SMTP server
 * (test/helpers/smtp-server) that can refuse recipients or misbehave, and builds and delivers bounce
 * reports to the sandbox's inbound port the way a receiving server would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createTransport } from 'nodemailer';

import { startSandbox, type RunningSandbox } from '../../sandbox/msc/server';
import type { SandboxOptions } from '../../sandbox/msc/config';
import { startSmtpServer, type TestSmtpOptions, type TestSmtpServer } from '../helpers/smtp-server';

export const SANDBOX_DOMAIN = 'msc-sandbox.test';
export const VERIFIED = 'sales@acme.example';
export const UNVERIFIED = 'new-rep@acme.example';
/** The upstream refuses this recipient at RCPT time. */
export const UNKNOWN_USER = 'nobody@example.net';

const tempFolders: string[] = [];

/** A fresh folder for a sandbox database file (removed by removeTempFolders). */
export function tempFolder(): string {
	const folder = mkdtempSync(join(tmpdir(), 'msc-sandbox-test-'));
	tempFolders.push(folder);
	return folder;
}

/** A database file path in a fresh folder, for tests that restart the sandbox on the same file. */
export function tempDb(): string {
	return join(tempFolder(), 'sandbox.sqlite');
}

/** Removes every folder tempFolder made; call it in afterAll. */
export function removeTempFolders(): void {
	for (const folder of tempFolders.splice(0)) rmSync(folder, { recursive: true, force: true });
}

export interface TestSandbox {
	sandbox: RunningSandbox;
	upstream: TestSmtpServer;
	apiKey: string;
	close(): Promise<void>;
}

export interface TestSandboxExtras {
	/** Delay every answer of the upstream by this long (a slow receiving server), through a TCP relay. */
	upstreamLatencyMs?: number;
}

export async function startTestSandbox(
	options: SandboxOptions = {},
	upstreamOptions: TestSmtpOptions = {},
	extras: TestSandboxExtras = {},
): Promise<TestSandbox> {
	const upstream = await startSmtpServer({
		rcpt: (address) =>
			address.toLowerCase() === UNKNOWN_USER
				? [
						550,
						'5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual mailbox table',
					]
				: undefined,
		...upstreamOptions,
	});
	const slow = extras.upstreamLatencyMs
		? await startLatencyRelay(upstream.port, extras.upstreamLatencyMs)
		: undefined;
	const sandbox = await startSandbox({
		port: 0,
		smtpPort: 0,
		db: ':memory:',
		domain: SANDBOX_DOMAIN,
		...options,
		upstream: {
			host: upstream.host,
			port: slow?.port ?? upstream.port,
			security: 'none',
			...options.upstream,
		},
		demo: {
			apiKey: 'msc_sk_test_demo_key',
			accountName: 'Acme Sales',
			identities: [
				{ name: 'Acme Sales', address: VERIFIED, verified: true },
				{ name: 'New Rep', address: UNVERIFIED, verified: false },
			],
			...options.demo,
		},
	});
	return {
		sandbox,
		upstream,
		apiKey: 'msc_sk_test_demo_key',
		async close() {
			await sandbox.close();
			await slow?.close();
			await upstream.close();
		},
	};
}

/** A TCP relay to 127.0.0.1:port that passes the server's bytes on only after `latencyMs`, in order. */
export async function startLatencyRelay(
	port: number,
	latencyMs: number,
): Promise<{ port: number; close(): Promise<void> }> {
	const sockets = new Set<Socket>();
	const server = createNetServer((client) => {
		const upstream = connect(port, '127.0.0.1');
		for (const socket of [client, upstream]) {
			sockets.add(socket);
			socket.on('close', () => sockets.delete(socket));
			socket.on('error', () => undefined);
		}
		client.on('data', (chunk) => upstream.write(chunk));
		let due = 0;
		upstream.on('data', (chunk) => {
			due = Math.max(Date.now() + latencyMs, due);
			setTimeout(() => client.writable && client.write(chunk), due - Date.now());
		});
		client.on('close', () => upstream.destroy());
		upstream.on('close', () => setTimeout(() => client.destroy(), Math.max(0, due - Date.now())));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as AddressInfo).port,
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			}),
	};
}

export async function api(
	sandbox: RunningSandbox,
	apiKey: string | undefined,
	method: string,
	path: string,
	body?: unknown,
	headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
	const response = await fetch(`${sandbox.apiUrl}${path}`, {
		method,
		headers: {
			...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}),
			...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
			...headers,
		},
		body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
	});
	return {
		status: response.status,
		headers: response.headers,
		body: (await response.json()) as Record<string, unknown>,
	};
}

/** An RFC 3464 report as Postfix writes it, for one recipient of a message we sent. */
export function dsnReport(options: {
	to: string;
	recipient: string;
	status: string;
	diagnostic: string;
	messageId?: string;
	envelopeId?: string;
	subject?: string;
	action?: 'failed' | 'delayed';
}): string {
	const boundary = 'B0UNDARY-42';
	return [
		'From: MAILER-DAEMON@mx.example.net (Mail Delivery System)',
		`To: ${options.to}`,
		'Subject: Undelivered Mail Returned to Sender',
		'Date: Mon, 23 Nov 2026 10:00:00 +0000',
		'Auto-Submitted: auto-replied',
		'MIME-Version: 1.0',
		`Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
		'',
		`--${boundary}`,
		'Content-Type: text/plain; charset=us-ascii',
		'',
		'This is the mail system at host mx.example.net.',
		'',
		"I'm sorry to have to inform you that your message could not",
		'be delivered to one or more recipients.',
		'',
		`<${options.recipient}>: ${options.diagnostic}`,
		'',
		`--${boundary}`,
		'Content-Type: message/delivery-status',
		'',
		'Reporting-MTA: dns; mx.example.net',
		...(options.envelopeId ? [`Original-Envelope-Id: ${options.envelopeId}`] : []),
		'Arrival-Date: Mon, 23 Nov 2026 09:59:58 +0000',
		'',
		`Final-Recipient: rfc822; ${options.recipient}`,
		`Action: ${options.action ?? 'failed'}`,
		`Status: ${options.status}`,
		'Remote-MTA: dns; mbox.example.net',
		`Diagnostic-Code: smtp; ${options.diagnostic}`,
		'',
		`--${boundary}`,
		'Content-Type: text/rfc822-headers',
		'',
		...(options.messageId ? [`Message-ID: ${options.messageId}`] : []),
		`Subject: ${options.subject ?? 'Hello'}`,
		'From: Acme Sales <sales@acme.example>',
		`To: ${options.recipient}`,
		'',
		`--${boundary}--`,
		'',
	].join('\r\n');
}

/** Delivers a report to the sandbox's inbound port with a null sender, as MTAs send bounces. */
export async function deliverReport(
	sandbox: RunningSandbox,
	rcptTo: string,
	raw: string,
): Promise<string> {
	const transport = createTransport({
		host: sandbox.smtpHost,
		port: sandbox.smtpPort,
		secure: false,
		ignoreTLS: true,
	});
	try {
		const info = await transport.sendMail({ envelope: { from: '', to: [rcptTo] }, raw });
		return String(info.response);
	} finally {
		transport.close();
	}
}
