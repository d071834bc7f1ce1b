/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 for tests, recording what it received
 * and able to misbehave on purpose: refuse recipients, answer 4xx/5xx at MAIL FROM or after the
 * final dot, or drop / reset the connection at a chosen point of a chosen message.
 */
import type { AddressInfo, Socket } from 'node:net';

import { simpleParser } from './parse-mail';
import {
	SMTPServer,
	type SMTPServerAuthentication,
	type SMTPServerAuthenticationResponse,
	type SMTPServerOptions,
	type SMTPServerSession,
} from 'smtp-server';

/** The shared AUTH answer (one user and password), also used by scripts/lib/limited-smtp.js. */
const { answerAuth } = require('../../scripts/lib/smtp-auth.js') as {
	answerAuth(
		expected: { user: string; pass: string } | undefined,
		auth: SMTPServerAuthentication,
		callback: (error: Error | null, response?: SMTPServerAuthenticationResponse) => void,
	): boolean;
};

export interface ReceivedMessage {
	from: string;
	to: string[];
	raw: Buffer;
	headers: Record<string, string>;
	/** DSN parameters from the envelope, when the client sent them. */
	envid?: string;
	user?: string;
	secure: boolean;
}

/**
 * A fault to inject: close the connection ('drop'), reset it ('reset': an RST, as a crash or a broken
 * network gives it), or answer with this reply ('421' ... or [code, text]).
 */
export type SmtpFault = 'drop' | 'reset' | '421' | '451' | '452' | '550' | [number, string];

const FAULT_REPLIES: Record<string, [number, string]> = {
	'421': [421, '4.3.2 Service shutting down, try again later'],
	'451': [451, '4.3.0 Temporary failure, try again'],
	'452': [452, '4.3.1 Insufficient system storage'],
	'550': [550, '5.7.1 Message refused'],
};

function faultReply(fault: SmtpFault): [number, string] | undefined {
	return Array.isArray(fault) ? fault : FAULT_REPLIES[fault];
}

export interface TestSmtpOptions {
	/** Require AUTH with these credentials. */
	auth?: { user: string; pass: string };
	/** Offer STARTTLS with smtp-server's built-in self-signed certificate; required when true. */
	tls?: 'required' | 'offered' | 'off';
	/** Return an SMTP error (e.g. [550, '5.1.1 No such user']) for a recipient, or nothing to accept. */
	rcpt?: (address: string) => [number, string] | undefined;
	/** Called for each message (1-based count) at MAIL FROM; may return an action. */
	onMail?: (count: number) => SmtpFault | undefined;
	/**
	 * Called when the first bytes of a message (1-based count of DATA commands) arrive; may cut the
	 * connection there, or 'hold': stop reading, as a stalled server does, so the client's bytes queue up.
	 */
	duringData?: (count: number) => 'drop' | 'reset' | 'hold' | undefined;
	/**
	 * Called after the whole message was received (1-based count); may drop or reset instead of
	 * answering (the server keeps the message: it may have been stored), or refuse it with a reply
	 * (the server does not keep it).
	 */
	afterData?: (count: number) => SmtpFault | 'hold' | undefined;
	/** Whether to hide DSN from EHLO. */
	hideDSN?: boolean;
	/** The port to listen on (127.0.0.1); default a free one. Only for a port just found free, e.g. a server that comes back. */
	port?: number;
}

export interface TestSmtpServer {
	port: number;
	host: string;
	received: ReceivedMessage[];
	/** MAIL FROM commands seen, including the ones that did not end in a message. */
	attempts: number;
	connections: number;
	/** AUTH commands the server answered (a password reached it). */
	authAttempts: number;
	/** Client connections open right now. */
	openConnections: number;
	/** Called with the 1-based DATA count once a message's first bytes arrived (e.g. to cancel then). */
	onDataStarted?: (count: number) => void;
	close(): Promise<void>;
}

function headerMap(raw: Buffer): Record<string, string> {
	const text = raw.toString('utf8');
	const end = text.search(/\r?\n\r?\n/);
	const head = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
	const headers: Record<string, string> = {};
	for (const line of head.split(/\r?\n/)) {
		const colon = line.indexOf(':');
		if (colon > 0)
			headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
	}
	return headers;
}

export async function startSmtpServer(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
	const received: ReceivedMessage[] = [];
	const sockets = new Map<number, Socket>();
	const state = { attempts: 0, connections: 0, messages: 0, dataStarts: 0, authAttempts: 0 };
	const drop = (session: SMTPServerSession) => sockets.get(session.remotePort)?.destroy();
	const reset = (session: SMTPServerSession) => sockets.get(session.remotePort)?.resetAndDestroy();
	const refusal = (reply: [number, string]) =>
		Object.assign(new Error(reply[1]), { responseCode: reply[0] });
	const tls = options.tls ?? 'off';

	const serverOptions: SMTPServerOptions = {
		secure: false,
		disabledCommands: [...(options.auth ? [] : ['AUTH']), ...(tls === 'off' ? ['STARTTLS'] : [])],
		authOptional: !options.auth,
		allowInsecureAuth: tls === 'off',
		hideDSN: options.hideDSN ?? false,
		hideENHANCEDSTATUSCODES: false,
		logger: false,
		onConnect(_session, callback) {
			state.connections += 1;
			callback();
		},
		onAuth(auth, _session, callback) {
			state.authAttempts += 1;
			answerAuth(options.auth, auth, callback);
		},
		onMailFrom(_address, session, callback) {
			if (tls === 'required' && !session.secure) {
				callback(
					Object.assign(new Error('5.7.0 Must issue a STARTTLS command first'), {
						responseCode: 530,
					}),
				);
				return;
			}
			state.attempts += 1;
			const action = options.onMail?.(state.attempts);
			if (action === 'drop' || action === 'reset') {
				(action === 'drop' ? drop : reset)(session);
				return;
			}
			if (action) {
				callback(refusal(faultReply(action)!));
				return;
			}
			callback();
		},
		onRcptTo(address, _session, callback) {
			const refusal = options.rcpt?.(address.address);
			if (refusal) {
				callback(Object.assign(new Error(refusal[1]), { responseCode: refusal[0] }));
				return;
			}
			callback();
		},
		onData(stream, session, callback) {
			const chunks: Buffer[] = [];
			state.dataStarts += 1;
			const cutDuring = options.duringData?.(state.dataStarts);
			let cut = false;
			let started = false;
			const count = state.dataStarts;
			stream.on('data', (chunk: Buffer) => {
				if (cut) return;
				chunks.push(chunk);
				if (!started) {
					started = true;
					api.onDataStarted?.(count);
				}
				if (cutDuring === 'hold') {
					cut = true;
					stream.pause();
				} else if (cutDuring) {
					cut = true;
					(cutDuring === 'drop' ? drop : reset)(session);
				}
			});
			stream.on('end', () => {
				if (cut) return;
				state.messages += 1;
				const action = options.afterData?.(state.messages);
				const raw = Buffer.concat(chunks);
				const reply = action && action !== 'hold' ? faultReply(action) : undefined;
				if (!reply) {
					received.push({
						from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
						to: session.envelope.rcptTo.map((entry) => entry.address),
						raw,
						headers: headerMap(raw),
						envid: (session.envelope as { dsn?: { envid?: string } }).dsn?.envid,
						user: session.user as string | undefined,
						secure: session.secure,
					});
				}
				if (action === 'drop' || action === 'reset') {
					(action === 'drop' ? drop : reset)(session);
					return;
				}
				// The server has the message and never answers (a stalled server).
				if (action === 'hold') return;
				if (reply) {
					callback(refusal(reply));
					return;
				}
				callback(null, `2.0.0 Ok: queued as M${state.messages}`);
			});
		},
	};
	const server = new SMTPServer(serverOptions);
	(server as unknown as { server: import('node:net').Server }).server.on(
		'connection',
		(socket: Socket) => {
			sockets.set(socket.remotePort ?? 0, socket);
			socket.on('close', () => sockets.delete(socket.remotePort ?? 0));
		},
	);
	await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
	const port = (
		(server as unknown as { server: import('node:net').Server }).server.address() as AddressInfo
	).port;
	const api: TestSmtpServer = {
		port,
		host: '127.0.0.1',
		received,
		get attempts() {
			return state.attempts;
		},
		get connections() {
			return state.connections;
		},
		get authAttempts() {
			return state.authAttempts;
		},
		get openConnections() {
			return sockets.size;
		},
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of sockets.values()) socket.destroy();
				server.close(() => resolve());
			}),
	};
	return api;
}

export { simpleParser };

/* ------------------------------------------------------------------------------------------------ */
/* A scripted SMTP server, for the faults smtp-server has no hook for                               */
/* ------------------------------------------------------------------------------------------------ */

export interface ScriptedSmtpOptions {
	/** The reply to the DATA command of the n-th transaction (1-based); undefined: 354 and go on. */
	dataCommand?: (count: number) => [number, string] | undefined;
}

/**
 * A small line-based SMTP server written for the one thing smtp-server cannot do: refuse the DATA
 * command itself (smtp-server answers 354 before any hook runs). It speaks enough of RFC 5321 for
 * nodemailer (EHLO with DSN, MAIL, RCPT, DATA, RSET, NOOP, QUIT), no PIPELINING, no AUTH, no TLS,
 * and records each message it accepted by its headers.
 */
export async function startScriptedSmtpServer(
	options: ScriptedSmtpOptions = {},
): Promise<TestSmtpServer> {
	const { createServer } = await import('node:net');
	const received: ReceivedMessage[] = [];
	const open = new Set<Socket>();
	const state = { attempts: 0, connections: 0, transactions: 0 };
	const server = createServer((socket) => {
		state.connections += 1;
		open.add(socket);
		socket.on('close', () => open.delete(socket));
		socket.on('error', () => undefined);
		let buffer = Buffer.alloc(0);
		let inData = false;
		let envelope: { from: string; to: string[]; envid?: string } = { from: '', to: [] };
		const reply = (line: string) => socket.write(`${line}\r\n`);
		const command = (line: string) => {
			const verb = line.split(' ')[0].toUpperCase();
			if (verb === 'EHLO') return reply('250-scripted.test\r\n250-8BITMIME\r\n250 DSN');
			if (verb === 'HELO' || verb === 'NOOP' || verb === 'RSET') {
				if (verb === 'RSET') envelope = { from: '', to: [] };
				return reply('250 OK');
			}
			if (verb === 'QUIT') {
				reply('221 Bye');
				return socket.end();
			}
			if (verb === 'MAIL') {
				state.attempts += 1;
				envelope = {
					from: /<([^>]*)>/.exec(line)?.[1] ?? '',
					to: [],
					envid: /ENVID=(\S+)/i.exec(line)?.[1],
				};
				return reply('250 2.1.0 OK');
			}
			if (verb === 'RCPT') {
				envelope.to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
				return reply('250 2.1.5 OK');
			}
			if (verb === 'DATA') {
				state.transactions += 1;
				const refusal = options.dataCommand?.(state.transactions);
				if (refusal) return reply(`${refusal[0]} ${refusal[1]}`);
				inData = true;
				return reply('354 End data with <CR><LF>.<CR><LF>');
			}
			return reply('502 5.5.2 Command not implemented');
		};
		socket.on('data', (chunk: Buffer) => {
			buffer = Buffer.concat([buffer, chunk]);
			for (;;) {
				if (inData) {
					const end = buffer.indexOf('\r\n.\r\n');
					if (end < 0) return;
					const raw = Buffer.from(
						buffer
							.subarray(0, end + 2)
							.toString('latin1')
							.replace(/^\.\./gm, '.'),
						'latin1',
					);
					buffer = buffer.subarray(end + 5);
					inData = false;
					received.push({
						from: envelope.from,
						to: envelope.to,
						raw,
						headers: headerMap(raw),
						envid: envelope.envid,
						secure: false,
					});
					reply(`250 2.0.0 Ok: queued as S${received.length}`);
					continue;
				}
				const end = buffer.indexOf('\r\n');
				if (end < 0) return;
				const line = buffer.subarray(0, end).toString('latin1');
				buffer = buffer.subarray(end + 2);
				command(line);
			}
		});
		reply('220 scripted.test ESMTP');
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		host: '127.0.0.1',
		port,
		received,
		get attempts() {
			return state.attempts;
		},
		get connections() {
			return state.connections;
		},
		authAttempts: 0,
		get openConnections() {
			return open.size;
		},
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of open) socket.destroy();
				server.close(() => resolve());
			}),
	};
}
