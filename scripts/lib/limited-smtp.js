#!/usr/bin/env node
'use strict';
// A counting SMTP server (the `smtp-server` package) with the limits real providers set, for load
// tests: at most N connections open at once (an extra one gets "421 4.3.2 Too many concurrent
// connections" as its greeting), at most M messages in any 60 s (MAIL FROM beyond it is refused),
// an optional delay before every reply (a remote server), AUTH PLAIN/LOGIN with one user.
// It counts connections (opened, refused, peak open), messages (by Message-ID and lead: the X-Lead
// header, else "lead <id>" in the subject), duplicates, and messages per calendar minute.
//
// Module: startLimitedSmtp(options) → { port, stats(), messages(), reset(limits), close() }.
// Program: node scripts/lib/limited-smtp.js [--port=0] [--http-port=0] [--max-connections=3]
//   [--per-minute=60] [--delay=150] [--user=NAME] (password: LIMITED_SMTP_PASSWORD); prints
//   {"smtpPort":..,"httpPort":..} when ready. HTTP on 127.0.0.1: GET /stats, GET /messages,
//   POST /reset (JSON: the limits; keepHistory: true counts duplicates across resets).

const http = require('node:http');
const { SMTPServer } = require('smtp-server');
const { answerAuth } = require('./smtp-auth');

const WINDOW_MS = 60_000;

/**
 * @typedef {object} Limits
 * @property {number} [maxConnections] connections open at once (0: no limit)
 * @property {number} [perMinute] messages in any 60 s (0: no limit)
 * @property {number} [delayMs] wait before every reply (the greeting, each command, end of data)
 * @property {string} [rateReply] the refusal at MAIL FROM beyond perMinute, "CODE TEXT"
 * @property {boolean} [keepHistory] reset(): keep the Message-IDs and leads seen (duplicates span resets)
 */

const DEFAULT_RATE_REPLY =
	'451 4.7.0 Message rate limit exceeded ({perMinute} per minute), try again later';

function normalizeLimits(limits = {}) {
	return {
		maxConnections: Math.max(0, Number(limits.maxConnections) || 0),
		perMinute: Math.max(0, Number(limits.perMinute) || 0),
		delayMs: Math.max(0, Number(limits.delayMs) || 0),
		rateReply: String(limits.rateReply || DEFAULT_RATE_REPLY),
	};
}

function emptyCounters() {
	return {
		since: Date.now(),
		socketsOpened: 0,
		connectionsAccepted: 0,
		connectionsRefused: 0,
		peakOpen: 0,
		peakSockets: 0,
		authFailures: 0,
		mailFromAccepted: 0,
		mailFromRefused: 0,
		messages: 0,
		duplicateMessageIds: 0,
		duplicateLeads: 0,
		/** Accept times (ms) of this period's messages, for the per-minute counts. */
		acceptedAt: [],
		/** Refused MAIL FROMs: when, and the messages accepted in the 60 s before plus those in progress. */
		rateRefusals: [],
	};
}

/** The header block of a raw message, unfolded, as a lower-case name → value map. */
function headerMap(head) {
	const headers = {};
	for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
		const colon = line.indexOf(':');
		if (colon > 0)
			headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
	}
	return headers;
}

/** The lead a message is for: its X-Lead header, else "lead <id>" in the subject, else the subject. */
function leadOf(headers) {
	if (headers['x-lead']) return headers['x-lead'];
	const subject = headers.subject || '';
	const m = /\blead[ :#-]+(\S+)/i.exec(subject);
	return m ? m[1] : subject;
}

/** The most messages accepted in any 60 s interval (each interval starting at an accepted message). */
function maxInWindow(times, windowMs = WINDOW_MS) {
	const sorted = [...times].sort((a, b) => a - b);
	let best = 0;
	for (let i = 0, j = 0; i < sorted.length; i++) {
		while (sorted[i] - sorted[j] >= windowMs) j++;
		best = Math.max(best, i - j + 1);
	}
	return best;
}

/** Messages per calendar minute (UTC "HH:MM"), in time order. */
function perCalendarMinute(times) {
	const counts = {};
	for (const t of [...times].sort((a, b) => a - b)) {
		const key = new Date(t).toISOString().slice(11, 16);
		counts[key] = (counts[key] || 0) + 1;
	}
	return counts;
}

/**
 * Starts the server on 127.0.0.1.
 * @param {Limits & { port?: number, auth?: { user: string, pass: string } }} options
 */
async function startLimitedSmtp(options = {}) {
	let limits = normalizeLimits(options);
	let counters = emptyCounters();
	/** Every message of this period: { messageId, lead, at, user }. */
	let received = [];
	const seenIds = new Set();
	const seenLeads = new Set();
	/** Accepted sessions open now (ids), and sessions with a MAIL FROM not yet ended in a message. */
	const open = new Set();
	const pending = new Set();
	const sockets = new Set();
	/** Accept times of messages still inside the sliding window (survives nothing: reset clears it). */
	let windowTimes = [];
	const later = (fn) => (limits.delayMs ? setTimeout(fn, limits.delayMs) : fn());
	const refusal = (code, text) => Object.assign(new Error(text), { responseCode: code });

	const inWindow = () => {
		const cutoff = Date.now() - WINDOW_MS;
		windowTimes = windowTimes.filter((t) => t > cutoff);
		return windowTimes.length + pending.size;
	};

	const server = new SMTPServer({
		secure: false,
		name: 'limited-smtp.test',
		banner: 'counting test server',
		disabledCommands: ['STARTTLS', ...(options.auth ? [] : ['AUTH'])],
		authMethods: ['PLAIN', 'LOGIN'],
		authOptional: !options.auth,
		allowInsecureAuth: true,
		hideENHANCEDSTATUSCODES: true,
		disableReverseLookup: true,
		logger: false,
		size: 50 * 1024 * 1024,
		onConnect(session, callback) {
			const full = limits.maxConnections > 0 && open.size >= limits.maxConnections;
			if (full) counters.connectionsRefused += 1;
			else {
				open.add(session.id);
				counters.connectionsAccepted += 1;
				counters.peakOpen = Math.max(counters.peakOpen, open.size);
			}
			later(() => callback(full ? refusal(421, '4.3.2 Too many concurrent connections') : null));
		},
		onAuth(auth, _session, callback) {
			// (the AUTH command and its continuation lines are delayed by the connection wrapper)
			if (!answerAuth(options.auth, auth, callback)) counters.authFailures += 1;
		},
		onMailFrom(_address, session, callback) {
			// the delay of this command is added by the connection wrapper (see connect below)
			if (!pending.has(session.id) && limits.perMinute > 0 && inWindow() >= limits.perMinute) {
				counters.mailFromRefused += 1;
				counters.rateRefusals.push({
					at: Date.now(),
					accepted: windowTimes.length,
					inProgress: pending.size,
				});
				const [code, ...text] = limits.rateReply
					.replace('{perMinute}', String(limits.perMinute))
					.split(' ');
				callback(refusal(Number(code) || 451, text.join(' ')));
				return;
			}
			pending.add(session.id);
			counters.mailFromAccepted += 1;
			callback();
		},
		onData(stream, session, callback) {
			let head = '';
			let headDone = false;
			stream.on('data', (chunk) => {
				if (headDone) return;
				head += chunk.toString('utf8');
				const end = head.search(/\r?\n\r?\n/);
				if (end >= 0) {
					head = head.slice(0, end);
					headDone = true;
				} else if (head.length > 256 * 1024) headDone = true;
			});
			stream.on('error', () => pending.delete(session.id));
			stream.on('end', () => {
				pending.delete(session.id);
				const headers = headerMap(head);
				const messageId = (headers['message-id'] || '').replace(/^<|>$/g, '');
				const lead = leadOf(headers);
				const at = Date.now();
				if (messageId && seenIds.has(messageId)) counters.duplicateMessageIds += 1;
				if (lead && seenLeads.has(lead)) counters.duplicateLeads += 1;
				if (messageId) seenIds.add(messageId);
				if (lead) seenLeads.add(lead);
				windowTimes.push(at);
				counters.acceptedAt.push(at);
				counters.messages += 1;
				received.push({
					messageId,
					lead,
					subject: headers.subject || '',
					at,
					user: session.user || null,
				});
				const queued = `2.0.0 Ok: queued as Q${counters.messages}`;
				later(() => callback(null, queued));
			});
		},
		onClose(session) {
			open.delete(session.id);
			pending.delete(session.id);
		},
	});

	// Every command waits limits.delayMs before it is handled (and answered); the parser hands the
	// next command over only after this one's reply, so the order stays as the client sent it.
	const connect = server.connect.bind(server);
	/** @type {any} */ (server).connect = (socket, socketOptions) => {
		counters.socketsOpened += 1;
		sockets.add(socket);
		counters.peakSockets = Math.max(counters.peakSockets, sockets.size);
		socket.on('close', () => sockets.delete(socket));
		connect(socket, socketOptions);
		/** @type {any} */
		const connection = [...server.connections].pop();
		if (!connection || typeof connection._onCommand !== 'function') return;
		const handle = connection._onCommand.bind(connection);
		connection._onCommand = (command, next) => later(() => handle(command, next));
	};
	server.on('error', () => undefined);

	await new Promise((resolve) =>
		server.listen(options.port || 0, '127.0.0.1', () => resolve(undefined)),
	);
	/** @type {any} */
	const address = /** @type {any} */ (server).server.address();

	const api = {
		host: '127.0.0.1',
		port: address.port,
		get limits() {
			return { ...limits };
		},
		stats() {
			// counts: socketsOpened, connectionsAccepted/Refused, peakOpen, peakSockets, authFailures,
			// mailFromAccepted/Refused, messages, duplicateMessageIds, duplicateLeads
			const { acceptedAt, since, rateRefusals, ...counts } = counters;
			const minutes = perCalendarMinute(acceptedAt);
			return {
				limits: { ...limits },
				since: new Date(since).toISOString(),
				openNow: open.size,
				socketsNow: sockets.size,
				...counts,
				distinctLeads: new Set(received.map((m) => m.lead)).size,
				perMinute: minutes,
				maxCalendarMinute: Math.max(0, ...Object.values(minutes)),
				maxAny60s: maxInWindow(acceptedAt),
				rateRefusals: rateRefusals.slice(0, 1000),
			};
		},
		messages: () => received.slice(),
		/** New limits and zero counters; open connections are closed (they belong to the last period). */
		reset(/** @type {Limits} */ next = {}) {
			limits = normalizeLimits(next);
			counters = emptyCounters();
			received = [];
			windowTimes = [];
			pending.clear();
			if (!next.keepHistory) {
				seenIds.clear();
				seenLeads.clear();
			}
			for (const socket of sockets) socket.destroy();
			return api.stats();
		},
		close: () =>
			new Promise((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve(undefined));
			}),
	};
	return api;
}

/** The JSON control endpoint: GET /stats, GET /messages, POST /reset. */
function serveControl(smtp, port = 0) {
	const server = http.createServer((req, res) => {
		const reply = (status, body) => {
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(body));
		};
		let body = '';
		req.on('data', (c) => (body += c));
		req.on('end', () => {
			try {
				if (req.method === 'GET' && req.url === '/stats') return reply(200, smtp.stats());
				if (req.method === 'GET' && req.url === '/messages') return reply(200, smtp.messages());
				if (req.method === 'POST' && req.url === '/reset')
					return reply(200, smtp.reset(body ? JSON.parse(body) : {}));
				return reply(404, { error: 'GET /stats, GET /messages or POST /reset' });
			} catch (error) {
				return reply(400, { error: error.message });
			}
		});
	});
	return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

function parseArgs(argv) {
	const args = {};
	for (const arg of argv) {
		const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
		if (!m) throw new Error(`unknown argument ${arg}`);
		args[m[1]] = m[2] === undefined ? 'true' : m[2];
	}
	return args;
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	const user = args.user || process.env.LIMITED_SMTP_USER || '';
	const smtp = await startLimitedSmtp({
		port: Number(args.port) || 0,
		maxConnections: Number(args['max-connections']) || 0,
		perMinute: Number(args['per-minute']) || 0,
		delayMs: Number(args.delay) || 0,
		rateReply: args['rate-reply'],
		auth: user ? { user, pass: process.env.LIMITED_SMTP_PASSWORD || '' } : undefined,
	});
	const control = await serveControl(smtp, Number(args['http-port']) || 0);
	process.stdout.write(
		`${JSON.stringify({ smtpPort: smtp.port, httpPort: control.address().port })}\n`,
	);
	const stop = () => smtp.close().then(() => process.exit(0));
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
}

if (require.main === module) {
	main().catch((error) => {
		process.stderr.write(`limited-smtp: ${error.message}\n`);
		process.exit(1);
	});
}

module.exports = { startLimitedSmtp, serveControl, maxInWindow, perCalendarMinute };
