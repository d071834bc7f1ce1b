'use strict';
// An in-process SMTP server (the `smtp-server` package) that records every message it receives.
// Used by the e2e test (random port) and by `npm run dev` (127.0.0.1:1025), which also serves the
// caught messages as a small web page (startMailPage).
// Listens on 127.0.0.1 only. No STARTTLS (plain SMTP on loopback); AUTH PLAIN/LOGIN is accepted
// without TLS when credentials are configured. Addresses in `refuse` are refused at RCPT TO with
// 550 5.1.1, as a server without that mailbox does.

const http = require('node:http');
const { SMTPServer } = require('smtp-server');
const PostalMime = require('postal-mime').default;

/**
 * @param {object} [options]
 * @param {number} [options.port=0]  0 = random free port
 * @param {{user: string, pass: string}} [options.auth]  when set, AUTH must use exactly these
 * @param {(msg: object) => void} [options.onMessage]
 * @param {number} [options.maxMessages=10000]  older messages are dropped beyond this
 * @param {string[]} [options.refuse]  recipients refused at RCPT TO (550 5.1.1)
 * @param {boolean} [options.keepRaw=true]  false: do not keep each message's source (`raw`)
 */
async function startMailCatcher(options = {}) {
	const messages = [];
	const waiters = [];
	const maxMessages = options.maxMessages ?? 10000;
	let seq = 0;
	const refused = new Set((options.refuse || []).map((a) => a.toLowerCase()));
	/** Failed AUTH attempts: { user } (never the password). */
	const authFailures = [];

	const notify = () => {
		for (const w of waiters.slice()) {
			if (messages.length >= w.count) {
				waiters.splice(waiters.indexOf(w), 1);
				clearTimeout(w.timer);
				w.resolve(messages.slice());
			}
		}
	};

	const server = new SMTPServer({
		name: 'mail-catcher.localhost',
		banner: 'delivery-channel test mail catcher',
		secure: false,
		disabledCommands: ['STARTTLS'],
		authOptional: !options.auth,
		allowInsecureAuth: true,
		authMethods: ['PLAIN', 'LOGIN'],
		size: 40 * 1024 * 1024,
		logger: false,
		onAuth(auth, session, callback) {
			if (!options.auth) return callback(null, { user: auth.username });
			if (auth.username === options.auth.user && auth.password === options.auth.pass) {
				return callback(null, { user: auth.username });
			}
			authFailures.push({ user: auth.username });
			return callback(new Error('Invalid username or password'));
		},
		onRcptTo(address, session, callback) {
			if (refused.has(address.address.toLowerCase())) {
				const refusal = new Error(
					`5.1.1 <${address.address}>: Recipient address rejected: User unknown`,
				);
				return callback(Object.assign(refusal, { responseCode: 550 }));
			}
			return callback();
		},
		onData(stream, session, callback) {
			const chunks = [];
			stream.on('data', (c) => chunks.push(c));
			stream.on('end', async () => {
				const raw = Buffer.concat(chunks);
				let parsed = {};
				try {
					parsed = await PostalMime.parse(raw);
				} catch (err) {
					parsed = { parseError: err.message };
				}
				const headerMap = {};
				for (const h of parsed.headers || []) {
					if (!(h.key in headerMap)) headerMap[h.key] = h.value;
				}
				const msg = {
					seq: ++seq,
					receivedAt: new Date().toISOString(),
					authUser: session.user || null,
					envelope: {
						from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
						to: session.envelope.rcptTo.map((r) => r.address),
					},
					messageId: parsed.messageId || null,
					subject: parsed.subject ?? null,
					from: parsed.from || null,
					to: parsed.to || [],
					cc: parsed.cc || [],
					replyTo: parsed.replyTo || [],
					inReplyTo: parsed.inReplyTo || null,
					references: parsed.references || null,
					text: parsed.text ?? null,
					html: parsed.html ?? null,
					headers: headerMap,
					size: raw.length,
					raw: options.keepRaw === false ? undefined : raw.toString('utf8'),
				};
				if (stream.sizeExceeded) return callback(new Error('Message too big'));
				messages.push(msg);
				if (messages.length > maxMessages) messages.shift();
				try {
					if (options.onMessage) options.onMessage(msg);
				} catch {
					// the listener must not break the SMTP session
				}
				notify();
				callback(null, `Queued as catcher-${msg.seq}`);
			});
		},
	});
	server.on('error', () => {
		// connection-level errors (client resets) are not fatal for a catcher
	});

	await new Promise((resolve, reject) => {
		const onErr = (err) => reject(err);
		server.server.once('error', onErr);
		server.listen(options.port ?? 0, '127.0.0.1', () => {
			server.server.removeListener('error', onErr);
			resolve();
		});
	});
	const { port } = /** @type {import('node:net').AddressInfo} */ (server.server.address());

	return {
		host: '127.0.0.1',
		port,
		messages,
		authFailures,
		clear() {
			messages.length = 0;
			authFailures.length = 0;
		},
		/** Resolves with all messages once at least `count` arrived; rejects after timeoutMs. */
		waitFor(count, timeoutMs = 10000) {
			if (messages.length >= count) return Promise.resolve(messages.slice());
			return new Promise((resolve, reject) => {
				const w = { count, resolve };
				w.timer = setTimeout(() => {
					waiters.splice(waiters.indexOf(w), 1);
					reject(
						new Error(`expected ${count} messages, got ${messages.length} within ${timeoutMs} ms`),
					);
				}, timeoutMs);
				waiters.push(w);
			});
		},
		close() {
			return new Promise((resolve) => server.close(() => resolve()));
		},
		server,
	};
}

/** "Jane Doe <jane@example.com>" style rendering of a postal-mime address object. */
function formatAddress(a) {
	if (!a) return '';
	if (a.group) return `${a.name}: ${a.group.map(formatAddress).join(', ')};`;
	return a.name ? `${a.name} <${a.address}>` : a.address;
}

function escapeHtml(s) {
	const entities = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
	return String(s ?? '').replace(/[&<>"']/g, (c) => entities[c]);
}

const PAGE_STYLE = [
	'body{font-family:sans-serif;margin:2em}',
	'table{border-collapse:collapse}',
	'td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}',
	'pre{margin:0;color:#555;white-space:pre-wrap}',
].join('');

/** Two table rows per message: its envelope and headers, then the start of its text. */
function messageRows(m) {
	const cells = [
		m.seq,
		escapeHtml(m.receivedAt.slice(11, 19)),
		escapeHtml(formatAddress(m.from)),
		escapeHtml(m.envelope.to.join(', ')),
		escapeHtml(m.subject),
		`<code>${escapeHtml(m.messageId)}</code>`,
		`<a href="/messages/${m.seq}.eml">raw</a>`,
	];
	return (
		`<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>` +
		`<tr><td></td><td colspan="6"><pre>${escapeHtml((m.text || '').slice(0, 2000))}</pre></td></tr>`
	);
}

/** The list of caught messages, newest first; it reloads itself every 5 s. */
function messagesPage(catcher) {
	const rows = catcher.messages.slice().reverse().map(messageRows).join('\n');
	const head = ['#', 'time', 'From', 'envelope To', 'Subject', 'Message-ID', '']
		.map((h) => `<th>${h}</th>`)
		.join('');
	return [
		'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Mail catcher</title>',
		`<style>${PAGE_STYLE}</style>`,
		`<h1>Mail catcher</h1><p>SMTP 127.0.0.1:${catcher.port} &middot; ${catcher.messages.length} message(s) &middot; ` +
			'<a href="/messages.json">JSON</a> &middot; refreshes every 5 s</p>',
		`<table><tr>${head}</tr>${rows || '<tr><td colspan="7">No messages yet.</td></tr>'}</table>`,
	].join('\n');
}

/**
 * Serves the catcher's messages on http://127.0.0.1:port: `/` the list, `/messages.json` every
 * message without its source, `/messages/N.eml` the source of message N. Resolves with the server.
 * @param {Awaited<ReturnType<typeof startMailCatcher>>} catcher
 * @param {number} port
 * @returns {Promise<http.Server>}
 */
function startMailPage(catcher, port) {
	const server = http.createServer((req, res) => {
		const url = new URL(req.url, 'http://127.0.0.1');
		const send = (status, type, body) => {
			res.writeHead(status, type ? { 'content-type': type } : {});
			res.end(body);
		};
		if (url.pathname === '/messages.json') {
			const list = catcher.messages.map(({ raw: _raw, ...m }) => m);
			return send(200, 'application/json', JSON.stringify(list, null, 2));
		}
		const raw = url.pathname.match(/^\/messages\/(\d+)\.eml$/);
		if (raw) {
			const m = catcher.messages.find((x) => x.seq === Number(raw[1]));
			return m ? send(200, 'text/plain; charset=utf-8', m.raw) : send(404, null, 'not found');
		}
		if (url.pathname !== '/') return send(404, null, 'not found');
		return send(200, 'text/html; charset=utf-8', messagesPage(catcher));
	});
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', () => resolve(server));
	});
}

module.exports = { startMailCatcher, startMailPage, formatAddress };
