'use strict';
/**
 * A fake Google for tests: the OAuth 2.0 token endpoint and the subset of the Gmail API the Gmail
 * channel uses, following Google's documented behaviour:
 * - access tokens expire (401 UNAUTHENTICATED with Google's error body) and are refreshed with the
 *   refresh token at the token endpoint; a revoked refresh token gives 400 invalid_grant;
 * - scopes are enforced per method (403 insufficientPermissions / ACCESS_TOKEN_SCOPE_INSUFFICIENT);
 * - users.messages.send silently replaces a From that is not the account or a verified send-as
 *   alias with the primary address, and still answers 200; the copy lands in Sent;
 * - a per-user quota in units (send 100, list/get 5, sendAs.list/profile 1) answered with 429
 *   rateLimitExceeded, a daily sending limit, injected 429 / 403 / 5xx answers;
 * - users.messages.list with `q` (after:, before:, from:, to:, subject:, rfc822msgid:, in:,
 *   {OR groups}, quoted phrases, words), pagination, and format=raw|metadata|minimal gets;
 * - a message to an address it treats as nonexistent (local part nosuchuser…, domain
 *   nonexistent.example), full (mailboxfull…) or slow (delayed…) puts a realistic Gmail bounce report
 *   into the inbox;
 * - uploads to /upload/…/messages/send as uploadType=media, multipart, and resumable
 *   (https://developers.google.com/gmail/api/guides/uploads). Resumable: the initiating POST
 *   (X-Upload-Content-Type message/*, X-Upload-Content-Length up to 35 MB, optional JSON metadata)
 *   is the send call, where the fake charges quota, the daily limit and injected errors, once; it
 *   answers 200 with the session URI (…&upload_id=…) in Location. PUTs to it carry
 *   `Content-Range: bytes a-b/N` chunks, multiples of 256 KiB except the last, answered 308 Resume
 *   Incomplete with `Range: bytes=0-x` (no Range while nothing arrived); `Content-Range: bytes *\/N`
 *   asks the status. The last byte sends the message (200 with it), once; any later PUT answers 200
 *   with the same message. A broken chunk keeps what arrived, in whole 256 KiB; an unknown or
 *   expired session answers 404. The upload_id authenticates the PUTs (as Google documents for
 *   Cloud Storage session URIs). Faults for tests: failUploadChunk(), expireUploadSessions().
 * - answers that leave a send's outcome open, as Google's frontends can produce them: Google's
 *   guidance for 5xx is "retry with exponential backoff" and says nothing about whether the message
 *   was kept, and a timeout says nothing at all. inject('send', 'backend500' | 'unavailable503',
 *   { stored: true }) stores the message (it is in Sent, its bounces arrive) and then answers the
 *   error; inject('send', 'noAnswer', { stored: true, holdMs }) stores it and never answers (the
 *   connection is dropped after holdMs, or held until the client gives up). Upload chunks likewise:
 *   failUploadChunk('backend500', { chunk: 'last', stored: true });
 * - redirects: redirectApi({ to }) answers API requests that arrive at the fake's own address with
 *   a 307 (or `status`) to the same path at `to`. Requests that arrive at any other host name (e.g.
 *   http://localhost:<port> when the client was given http://127.0.0.1:<port>) are served normally
 *   and recorded with that host, so a test sees whether a client followed the redirect;
 * - search lag: with `searchLagMs`, a new message shows in searches (`q`) only that long after it was
 *   stored, as Gmail's asynchronously built search index may; listing by label (no `q`) and
 *   messages.get see it at once;
 * - cost accounting: every API request is recorded with the bytes of its answer (state.bytesOut in
 *   total), so tests can show what a listing cost.
 *
 *   const fake = await startFakeGmail({ account: { email: 'jane@acme.example' } });
 *   fake.apiBaseUrl, fake.tokenUrl, fake.authUrl, fake.issueTokens() -> oauthTokenData
 */
const http = require('node:http');
const crypto = require('node:crypto');
const { gmailBounce } = require('./bounce');

const SCOPE = {
	send: 'https://www.googleapis.com/auth/gmail.send',
	readonly: 'https://www.googleapis.com/auth/gmail.readonly',
	settingsBasic: 'https://www.googleapis.com/auth/gmail.settings.basic',
	modify: 'https://www.googleapis.com/auth/gmail.modify',
	compose: 'https://www.googleapis.com/auth/gmail.compose',
	full: 'https://mail.google.com/',
};

/** Which scopes allow each method (from the method pages of the Gmail API reference). */
const METHOD_SCOPES = {
	send: [SCOPE.send, SCOPE.compose, SCOPE.modify, SCOPE.full],
	sendAs: [SCOPE.settingsBasic, SCOPE.readonly, SCOPE.modify, SCOPE.full],
	profile: [SCOPE.readonly, SCOPE.compose, SCOPE.modify, SCOPE.full],
	list: [SCOPE.readonly, SCOPE.modify, SCOPE.full],
	get: [SCOPE.readonly, SCOPE.modify, SCOPE.full],
};

const COST = { send: 100, list: 5, get: 5, sendAs: 1, profile: 1 };

/** Google's JSON error bodies. */
const ERRORS = {
	unauthenticated: () => [
		401,
		{
			code: 401,
			message:
				'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
			errors: [{ message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' }],
			status: 'UNAUTHENTICATED',
		},
	],
	insufficientScope: () => [
		403,
		{
			code: 403,
			message: 'Request had insufficient authentication scopes.',
			errors: [{ message: 'Insufficient Permission', domain: 'global', reason: 'insufficientPermissions' }],
			status: 'PERMISSION_DENIED',
			details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT', domain: 'googleapis.com', metadata: { service: 'gmail.googleapis.com', method: 'caribou.api.proto.MailboxService.SendMessage' } }],
		},
	],
	rateLimit429: (retryAt) => [
		429,
		{
			code: 429,
			message: `User-rate limit exceeded.  Retry after ${retryAt.toISOString()}`,
			errors: [{ message: `User-rate limit exceeded.  Retry after ${retryAt.toISOString()}`, domain: 'usageLimits', reason: 'rateLimitExceeded' }],
			status: 'RESOURCE_EXHAUSTED',
		},
	],
	userRateLimit403: () => [
		403,
		{
			code: 403,
			message: 'User Rate Limit Exceeded',
			errors: [{ message: 'User Rate Limit Exceeded', domain: 'usageLimits', reason: 'userRateLimitExceeded' }],
			status: 'PERMISSION_DENIED',
		},
	],
	rateLimit403: () => [
		403,
		{
			code: 403,
			message: 'Rate Limit Exceeded',
			errors: [{ message: 'Rate Limit Exceeded', domain: 'usageLimits', reason: 'rateLimitExceeded' }],
			status: 'PERMISSION_DENIED',
		},
	],
	dailyLimit403: () => [
		403,
		{
			code: 403,
			message: 'Daily Limit Exceeded',
			errors: [{ message: 'Daily Limit Exceeded', domain: 'usageLimits', reason: 'dailyLimitExceeded' }],
			status: 'PERMISSION_DENIED',
		},
	],
	sendingLimit429: (retryAt) => [
		429,
		{
			code: 429,
			message: `Mail sending limit exceeded.  Retry after ${retryAt.toISOString()}`,
			errors: [{ message: `Mail sending limit exceeded.  Retry after ${retryAt.toISOString()}`, domain: 'usageLimits', reason: 'rateLimitExceeded' }],
			status: 'RESOURCE_EXHAUSTED',
		},
	],
	backend500: () => [
		500,
		{ code: 500, message: 'Internal error encountered.', errors: [{ message: 'Internal error encountered.', domain: 'global', reason: 'backendError' }], status: 'INTERNAL' },
	],
	unavailable503: () => [
		503,
		{ code: 503, message: 'The service is currently unavailable.', errors: [{ message: 'The service is currently unavailable.', domain: 'global', reason: 'backendError' }], status: 'UNAVAILABLE' },
	],
	notFound: () => [404, { code: 404, message: 'Requested entity was not found.', errors: [{ message: 'Requested entity was not found.', domain: 'global', reason: 'notFound' }], status: 'NOT_FOUND' }],
	invalidArgument: (message) => [400, { code: 400, message, errors: [{ message, domain: 'global', reason: 'invalidArgument' }], status: 'INVALID_ARGUMENT' }],
	failedPrecondition: (message) => [400, { code: 400, message, errors: [{ message, domain: 'global', reason: 'failedPrecondition' }], status: 'FAILED_PRECONDITION' }],
	payloadTooLarge: () => [413, { code: 413, message: 'Request payload size exceeds the limit: 5242880 bytes.', errors: [{ message: 'Request payload size exceeds the limit: 5242880 bytes.', domain: 'global', reason: 'badRequest' }], status: 'INVALID_ARGUMENT' }],
};

const MAX_MESSAGE_BYTES = 35 * 1024 * 1024;
const MAX_METADATA_BODY_BYTES = 5 * 1024 * 1024;
/** Resumable upload chunks other than the last are multiples of this. */
const UPLOAD_GRANULE_BYTES = 256 * 1024;

/* ---------------------------------------------------------------- message helpers */

function splitMessage(raw) {
	const text = raw.toString('latin1');
	const match = /\r?\n\r?\n/.exec(text);
	const end = match ? match.index : text.length;
	return { head: text.slice(0, end), body: match ? text.slice(match.index + match[0].length) : '', separator: match ? match[0] : '\r\n\r\n' };
}

/** Header fields in order, unfolded: [{ name, value }]. */
function parseHeaders(raw) {
	const { head } = splitMessage(raw);
	const fields = [];
	for (const line of head.split(/\r?\n/)) {
		if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1].value += ` ${line.trim()}`;
		else {
			const colon = line.indexOf(':');
			if (colon > 0) fields.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
		}
	}
	return fields;
}

function header(fields, name) {
	const found = fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
	return found ? found.value : undefined;
}

/** Bare addresses in an address header ("Jane <a@x>, b@y"). */
function addresses(value) {
	if (!value) return [];
	const out = [];
	for (const m of value.matchAll(/<([^<>\s]+@[^<>\s]+)>|([^\s<>,;"]+@[^\s<>,;"]+)/g)) out.push((m[1] || m[2]).toLowerCase());
	return out;
}

function replaceHeader(raw, name, value) {
	const { head, body, separator } = splitMessage(raw);
	const lines = head.split(/\r\n|\n/);
	const out = [];
	let skipping = false;
	let replaced = false;
	for (const line of lines) {
		if (skipping && /^[ \t]/.test(line)) continue;
		skipping = false;
		if (line.toLowerCase().startsWith(`${name.toLowerCase()}:`)) {
			skipping = true;
			if (!replaced) out.push(`${name}: ${value}`);
			replaced = true;
			continue;
		}
		out.push(line);
	}
	if (!replaced) out.push(`${name}: ${value}`);
	return Buffer.from(`${out.join('\r\n')}${separator}${body}`, 'latin1');
}

function decodeBase64Url(value) {
	return Buffer.from(String(value).replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/* ---------------------------------------------------------------- search (q) */

function tokenize(q) {
	const tokens = [];
	let i = 0;
	while (i < q.length) {
		const c = q[i];
		if (/\s/.test(c)) {
			i++;
		} else if (c === '{' || c === '}') {
			tokens.push(c);
			i++;
		} else {
			let token = '';
			let quoted = false;
			while (i < q.length && (quoted || !/[\s{}]/.test(q[i]))) {
				if (q[i] === '"') quoted = !quoted;
				token += q[i++];
			}
			tokens.push(token);
		}
	}
	return tokens;
}

function unquote(value) {
	return value.replace(/^"|"$/g, '');
}

function dateBound(value) {
	if (/^\d+$/.test(value)) return Number(value) * 1000;
	const m = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$/.exec(value);
	// Gmail reads a date without time as midnight Pacific time; the fake uses UTC and says so here.
	return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
}

function termPredicate(term) {
	const negate = term.startsWith('-');
	if (negate) term = term.slice(1);
	const colon = term.indexOf(':');
	const op = colon > 0 && !term.startsWith('"') ? term.slice(0, colon).toLowerCase() : '';
	const arg = unquote(op ? term.slice(colon + 1) : term).toLowerCase();
	let predicate;
	switch (op) {
		case 'after':
			predicate = (m) => m.internalDate >= dateBound(arg);
			break;
		case 'before':
			predicate = (m) => m.internalDate < dateBound(arg);
			break;
		case 'from':
			predicate = (m) => (header(m.headers, 'from') || '').toLowerCase().includes(arg);
			break;
		case 'to':
			predicate = (m) => ['to', 'cc', 'bcc', 'delivered-to'].some((h) => (header(m.headers, h) || '').toLowerCase().includes(arg));
			break;
		case 'subject':
			predicate = (m) => (header(m.headers, 'subject') || '').toLowerCase().includes(arg);
			break;
		case 'rfc822msgid': {
			const bare = arg.replace(/^<|>$/g, '');
			predicate = (m) => (header(m.headers, 'message-id') || '').toLowerCase().replace(/^<|>$/g, '') === bare;
			break;
		}
		case 'in':
		case 'label':
			predicate = arg === 'anywhere' ? () => true : (m) => m.labelIds.includes(arg.toUpperCase());
			break;
		default:
			predicate = (m) => m.searchText.includes(arg);
	}
	return negate ? (m) => !predicate(m) : predicate;
}

/** Builds a predicate from a Gmail search string: terms are ANDed, {a b} is an OR group. */
function compileQuery(q) {
	const tokens = tokenize(q || '');
	const all = [];
	let group = null;
	for (const token of tokens) {
		if (token === '{') group = [];
		else if (token === '}') {
			if (group && group.length) {
				const members = group;
				all.push((m) => members.some((p) => p(m)));
			}
			group = null;
		} else if (group) group.push(termPredicate(token));
		else all.push(termPredicate(token));
	}
	const explicitPlace = tokens.some((t) => /^(in|label):/i.test(t));
	return { match: (m) => all.every((p) => p(m)), explicitPlace };
}

/* ---------------------------------------------------------------- the server */

function defaultRecipientFate(address) {
	const [local, domain] = address.toLowerCase().split('@');
	if (/^nosuchuser/.test(local) || domain === 'nonexistent.example') return 'unknown';
	if (/^mailboxfull/.test(local)) return 'full';
	if (/^delayed/.test(local)) return 'delay';
	return 'delivered';
}

/**
 * @param {object} [options] see test/fakes/gmail/index.d.ts
 */
async function startFakeGmail(options = {}) {
	const account = { email: 'jane@acme.example', displayName: 'Jane Doe', ...options.account };
	const aliases = options.aliases ?? [
		{ sendAsEmail: 'sales@acme.example', displayName: 'Acme Sales', verificationStatus: 'accepted' },
		{ sendAsEmail: 'pending@acme.example', displayName: 'Pending Alias', verificationStatus: 'pending' },
	];
	const client = { id: options.clientId ?? 'fake-client-id.apps.googleusercontent.com', secret: options.clientSecret ?? 'fake-client-secret' };
	const state = {
		messages: [],
		tokenRequests: [],
		requests: [],
		accessTokens: new Map(),
		refreshTokens: new Map(),
		authCodes: new Map(),
		sendsToday: 0,
		nextId: 1,
		/** Resumable upload sessions by upload_id. */
		uploadSessions: new Map(),
		/** Every PUT to a session URI: a chunk or a status query. */
		uploadRequests: [],
		/** Bytes of every API answer body. */
		bytesOut: 0,
		/** Requests answered with a redirect: { host, path, authorized, bytes (of the request body) }. */
		redirected: [],
	};
	const injections = [];
	const uploadFaults = [];
	const redirects = [];
	let random = null;
	const settings = {
		latencyMs: options.latencyMs ?? 0,
		accessTokenTtlSec: options.accessTokenTtlSec ?? 3599,
		quota: options.quota, // { units, windowMs }
		dailyLimit: options.dailyLimit,
		dailyLimitStyle: options.dailyLimitStyle ?? '403',
		retryAfterHeader: options.retryAfterHeader ?? true,
		recipientFate: options.recipientFate ?? defaultRecipientFate,
		searchLagMs: options.searchLagMs ?? 0,
		bounceDelayMs: options.bounceDelayMs ?? 1000,
		defaultScopes: options.scopes ?? [SCOPE.send, SCOPE.readonly],
	};
	const bucket = { units: settings.quota ? settings.quota.units : 0, at: Date.now() };

	function issueTokens(scopes = settings.defaultScopes) {
		const access = `ya29.fake-${crypto.randomBytes(18).toString('base64url')}`;
		const refresh = `1//fake-${crypto.randomBytes(24).toString('base64url')}`;
		state.accessTokens.set(access, { scopes, expiresAt: Date.now() + settings.accessTokenTtlSec * 1000 });
		state.refreshTokens.set(refresh, { scopes, revoked: false });
		return {
			access_token: access,
			refresh_token: refresh,
			expires_in: settings.accessTokenTtlSec,
			scope: scopes.join(' '),
			token_type: 'Bearer',
		};
	}

	function send(res, status, body, headers = {}) {
		const payload = Buffer.from(JSON.stringify(body));
		state.bytesOut += payload.length;
		if (res.record) res.record.bytes = (res.record.bytes || 0) + payload.length;
		const respond = () => {
			if (res.destroyed) return;
			res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': payload.length, ...headers });
			res.end(payload);
		};
		if (settings.latencyMs > 0) setTimeout(respond, settings.latencyMs);
		else respond();
	}

	function sendError(res, [status, error], headers = {}) {
		send(res, status, { error }, headers);
	}

	function retryAfterHeaders(seconds) {
		return settings.retryAfterHeader ? { 'Retry-After': String(seconds) } : {};
	}

	async function readBody(req, limit = MAX_MESSAGE_BYTES * 2) {
		const chunks = [];
		let size = 0;
		for await (const chunk of req) {
			size += chunk.length;
			if (size > limit) throw Object.assign(new Error('too large'), { tooLarge: true });
			chunks.push(chunk);
		}
		return Buffer.concat(chunks);
	}

	/* ---- OAuth */

	async function tokenEndpoint(req, res) {
		const body = new URLSearchParams((await readBody(req)).toString('utf8'));
		let id = body.get('client_id');
		let secret = body.get('client_secret');
		const basic = /^Basic (.+)$/i.exec(req.headers.authorization || '');
		if (basic) [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':').map(decodeURIComponent);
		state.tokenRequests.push({ grantType: body.get('grant_type'), at: Date.now() });
		const oauthError = (status, error, description) => send(res, status, { error, error_description: description });
		if (id !== client.id || secret !== client.secret) return oauthError(401, 'invalid_client', 'The OAuth client was not found.');
		const grant = body.get('grant_type');
		if (grant === 'refresh_token') {
			const entry = state.refreshTokens.get(body.get('refresh_token') || '');
			if (!entry || entry.revoked) return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
			const access = `ya29.fake-${crypto.randomBytes(18).toString('base64url')}`;
			state.accessTokens.set(access, { scopes: entry.scopes, expiresAt: Date.now() + settings.accessTokenTtlSec * 1000 });
			// Google does not return a new refresh token on refresh.
			return send(res, 200, { access_token: access, expires_in: settings.accessTokenTtlSec, scope: entry.scopes.join(' '), token_type: 'Bearer' });
		}
		if (grant === 'authorization_code') {
			const scopes = state.authCodes.get(body.get('code') || '');
			if (!scopes) return oauthError(400, 'invalid_grant', 'Malformed auth code.');
			state.authCodes.delete(body.get('code'));
			return send(res, 200, issueTokens(scopes));
		}
		return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grant}`);
	}

	function authEndpoint(req, res, url) {
		const redirect = url.searchParams.get('redirect_uri');
		if (url.searchParams.get('client_id') !== client.id || !redirect) {
			res.writeHead(400, { 'Content-Type': 'text/plain' });
			return res.end('Error 401: invalid_client');
		}
		const scopes = (url.searchParams.get('scope') || '').split(/\s+/).filter(Boolean);
		const code = `4/fake-${crypto.randomBytes(12).toString('base64url')}`;
		state.authCodes.set(code, scopes.length ? scopes : settings.defaultScopes);
		const target = new URL(redirect);
		target.searchParams.set('code', code);
		if (url.searchParams.get('state')) target.searchParams.set('state', url.searchParams.get('state'));
		res.writeHead(302, { Location: target.toString() });
		res.end();
	}

	/* ---- Gmail API */

	function authorize(req, method) {
		const m = /^Bearer (.+)$/i.exec(req.headers.authorization || '');
		const entry = m && state.accessTokens.get(m[1]);
		if (!entry || entry.expiresAt <= Date.now()) return ERRORS.unauthenticated();
		if (!METHOD_SCOPES[method].some((s) => entry.scopes.includes(s))) return ERRORS.insufficientScope();
		return null;
	}

	function takeUnits(units) {
		if (!settings.quota) return 0;
		const now = Date.now();
		const rate = settings.quota.units / settings.quota.windowMs;
		bucket.units = Math.min(settings.quota.units, bucket.units + (now - bucket.at) * rate);
		bucket.at = now;
		if (bucket.units >= units) {
			bucket.units -= units;
			return 0;
		}
		return Math.ceil((units - bucket.units) / rate);
	}

	/** The next injected fault for `method`; rules with `stored` only for a request that stores a message. */
	function injected(method, storing = false) {
		const index = injections.findIndex((rule) => (rule.method === method || rule.method === '*') && (!rule.stored || storing));
		if (index >= 0) {
			const rule = injections[index];
			if (--rule.times <= 0) injections.splice(index, 1);
			return rule;
		}
		if (random && (random.method === method || random.method === '*') && Math.random() < random.rate) return random;
		return null;
	}

	/** Answers a stored-then-failed send: the error, or nothing at all ('noAnswer'). */
	function failAfterStoring(req, res, rule) {
		if (rule.error === 'noAnswer') {
			const socket = req.socket;
			if (rule.holdMs !== undefined) setTimeout(() => socket.destroy(), rule.holdMs);
			return;
		}
		const [error, headers] = injectedError(rule);
		return sendError(res, error, headers);
	}

	function injectedError(rule) {
		const retryAt = new Date(Date.now() + (rule.retryAfterSec ?? 1) * 1000);
		const headers = rule.retryAfterSec !== undefined ? retryAfterHeaders(rule.retryAfterSec) : {};
		switch (rule.error) {
			case 'rateLimit429':
				return [ERRORS.rateLimit429(retryAt), headers];
			case 'userRateLimit403':
				return [ERRORS.userRateLimit403(), headers];
			case 'rateLimit403':
				return [ERRORS.rateLimit403(), headers];
			case 'dailyLimit403':
				return [ERRORS.dailyLimit403(), {}];
			case 'sendingLimit429':
				return [ERRORS.sendingLimit429(new Date(Date.now() + 6 * 3600 * 1000)), retryAfterHeaders(6 * 3600)];
			case 'unavailable503':
				return [ERRORS.unavailable503(), headers];
			case 'unauthenticated':
				return [ERRORS.unauthenticated(), {}];
			default:
				return [ERRORS.backend500(), headers];
		}
	}

	function storeMessage(raw, labelIds, internalDate = Date.now()) {
		const headers = parseHeaders(raw);
		const id = (0x18c0000000000 + state.nextId++).toString(16);
		const message = {
			id,
			threadId: id,
			labelIds,
			raw,
			headers,
			internalDate,
			searchText: raw.toString('latin1').toLowerCase(),
			searchableAt: Date.now() + settings.searchLagMs,
		};
		state.messages.push(message);
		return message;
	}

	function deliverReports(sent) {
		const recipients = [...addresses(header(sent.headers, 'to')), ...addresses(header(sent.headers, 'cc')), ...(sent.bcc || [])];
		for (const recipient of recipients) {
			const fate = settings.recipientFate(recipient);
			if (fate === 'delivered') continue;
			const date = new Date(sent.internalDate + settings.bounceDelayMs);
			const report = gmailBounce({
				sender: account.email,
				recipient,
				kind: fate,
				original: sent.deliveredCopy,
				originalMessageId: header(sent.headers, 'message-id'),
				date,
			});
			storeMessage(Buffer.from(report, 'latin1'), ['INBOX', 'UNREAD', 'CATEGORY_UPDATES'], date.getTime());
		}
	}

	function acceptSend(raw) {
		if (raw.length > MAX_MESSAGE_BYTES) return { error: ERRORS.invalidArgument('Message too large. Max size is 35 MB.') };
		let fields = parseHeaders(raw);
		const recipients = ['to', 'cc', 'bcc'].flatMap((h) => addresses(header(fields, h)));
		if (!recipients.length) return { error: ERRORS.invalidArgument('Invalid To header') };
		const fromAddress = addresses(header(fields, 'from'))[0];
		const allowed = [account.email, ...aliases.filter((a) => a.verificationStatus === 'accepted').map((a) => a.sendAsEmail)].map((a) => a.toLowerCase());
		if (!fromAddress || !allowed.includes(fromAddress)) {
			// What Gmail does: the message still goes out, from the primary address, and the API says 200.
			raw = replaceHeader(raw, 'From', account.displayName ? `${account.displayName} <${account.email}>` : account.email);
		}
		if (!header(fields, 'message-id')) raw = replaceHeader(raw, 'Message-ID', `<CA+fake${crypto.randomBytes(10).toString('hex')}@mail.gmail.com>`);
		if (!header(fields, 'date')) raw = replaceHeader(raw, 'Date', new Date().toUTCString());
		fields = parseHeaders(raw);
		const bcc = addresses(header(fields, 'bcc'));
		const message = storeMessage(raw, ['SENT']);
		// Recipients never see Bcc; the sender's Sent copy keeps it, as in Gmail.
		message.bcc = bcc;
		message.deliveredCopy = bcc.length ? removeHeader(raw, 'Bcc').toString('latin1') : raw.toString('latin1');
		state.sendsToday++;
		deliverReports(message);
		return { message };
	}

	function removeHeader(raw, name) {
		const { head, body, separator } = splitMessage(raw);
		const out = [];
		let skipping = false;
		for (const line of head.split(/\r\n|\n/)) {
			if (skipping && /^[ \t]/.test(line)) continue;
			skipping = line.toLowerCase().startsWith(`${name.toLowerCase()}:`);
			if (!skipping) out.push(line);
		}
		return Buffer.from(`${out.join('\r\n')}${separator}${body}`, 'latin1');
	}

	function messageResource(m, format, metadataHeaders) {
		const resource = {
			id: m.id,
			threadId: m.threadId,
			labelIds: m.labelIds,
			snippet: m.searchText.slice(0, 100),
			sizeEstimate: m.raw.length,
			historyId: String(1000 + Number.parseInt(m.id, 16) % 100000),
			internalDate: String(m.internalDate),
		};
		if (format === 'raw') resource.raw = m.raw.toString('base64url');
		if (format === 'metadata' || format === 'full') {
			const wanted = (metadataHeaders || []).map((h) => h.toLowerCase());
			resource.payload = {
				mimeType: 'message/rfc822',
				headers: m.headers.filter((h) => format === 'full' || !wanted.length || wanted.includes(h.name.toLowerCase())),
			};
		}
		return resource;
	}

	/* ---- resumable uploads */

	/** An answer without a body (200 with the session URI, 308 Resume Incomplete). */
	function sendEmpty(res, status, statusText, headers = {}) {
		const respond = () => {
			if (res.destroyed) return;
			res.writeHead(status, statusText, { 'Content-Length': 0, ...headers });
			res.end();
		};
		if (settings.latencyMs > 0) setTimeout(respond, settings.latencyMs);
		else respond();
	}

	/** The initiating POST, after authorization, quota and injected errors like any send. */
	function startUpload(req, res, body, record, user) {
		const type = String(req.headers['x-upload-content-type'] || '');
		if (!/^message\//i.test(type)) return sendError(res, ERRORS.invalidArgument(`Media type '${type}' is not supported. Valid media types: [message/*]`));
		const lengthHeader = req.headers['x-upload-content-length'];
		let declared = null;
		if (lengthHeader !== undefined) {
			if (!/^\d+$/.test(lengthHeader)) return sendError(res, ERRORS.invalidArgument(`Invalid X-Upload-Content-Length: ${lengthHeader}`));
			declared = Number(lengthHeader);
			if (declared > MAX_MESSAGE_BYTES) return sendError(res, ERRORS.invalidArgument('Message too large. Max size is 35 MB.'));
		}
		if (body.length) {
			// Optional metadata (a Message resource without raw).
			if (!/^application\/json/i.test(String(req.headers['content-type'] || ''))) return sendError(res, ERRORS.invalidArgument('Invalid JSON payload received.'));
			try {
				JSON.parse(body.toString('utf8'));
			} catch {
				return sendError(res, ERRORS.invalidArgument('Invalid JSON payload received.'));
			}
		}
		const id = `ADPycd${crypto.randomBytes(24).toString('base64url')}`;
		state.uploadSessions.set(id, { id, declared, parts: [], size: 0, chunks: 0, final: null, expired: false, record, createdAt: Date.now() });
		record.uploadId = id;
		const location = `http://${req.headers.host}/upload/gmail/v1/users/${encodeURIComponent(user)}/messages/send?uploadType=resumable&upload_id=${id}`;
		return sendEmpty(res, 200, 'OK', { Location: location });
	}

	// `bytes a-b/N`, `bytes a-b/*`, `bytes */N`, `bytes */*`; no header: the whole upload in one PUT.
	function parseContentRange(value) {
		if (value === undefined) return { whole: true };
		const m = /^bytes (?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(String(value).trim());
		if (!m) return null;
		const total = m[3] === '*' ? null : Number(m[3]);
		if (m[1] === undefined) return { status: true, total };
		const start = Number(m[1]);
		const end = Number(m[2]);
		if (end < start || (total !== null && end >= total)) return null;
		return { start, end, total };
	}

	function nextUploadFault(session, final) {
		const index = uploadFaults.findIndex((f) => f.chunk === undefined || f.chunk === session.chunks || (f.chunk === 'last' && final));
		return index >= 0 ? uploadFaults.splice(index, 1)[0] : null;
	}

	/** The chunk's body, or with `stopAfter` only its first bytes (the connection breaks there). */
	async function readChunk(req, stopAfter) {
		if (stopAfter === 0) return { body: Buffer.alloc(0), cut: true };
		const chunks = [];
		let size = 0;
		for await (const part of req) {
			if (stopAfter !== undefined && size + part.length >= stopAfter) {
				chunks.push(part.subarray(0, stopAfter - size));
				return { body: Buffer.concat(chunks), cut: true };
			}
			chunks.push(part);
			size += part.length;
			if (size > MAX_MESSAGE_BYTES * 2) throw Object.assign(new Error('too large'), { tooLarge: true });
		}
		return { body: Buffer.concat(chunks), cut: false };
	}

	function rangeHeaders(session) {
		return session.size > 0 ? { Range: `bytes=0-${session.size - 1}` } : {};
	}

	/** Appends the bytes of `body` (starting at byte `start`) that the session does not hold yet. */
	function keep(session, start, body) {
		const fresh = body.subarray(Math.max(0, session.size - start));
		if (start + body.length <= session.size || !fresh.length) return;
		session.parts.push(Buffer.from(fresh));
		session.size += fresh.length;
	}

	function completeUpload(session) {
		const outcome = acceptSend(Buffer.concat(session.parts));
		session.parts = [];
		if (outcome.error) {
			session.final = { status: outcome.error[0], body: { error: outcome.error[1] } };
			return;
		}
		session.record.outcome = 'sent';
		session.record.messageId = outcome.message.id;
		session.final = { status: 200, body: { id: outcome.message.id, threadId: outcome.message.threadId, labelIds: outcome.message.labelIds } };
	}

	/** A PUT to a session URI: a chunk, the whole upload, or a status query. */
	async function uploadPut(req, res, url) {
		const id = url.searchParams.get('upload_id') || '';
		const session = state.uploadSessions.get(id);
		// Kept here: once the request stream is destroyed, req.socket is null.
		const socket = req.socket;
		const entry = { uploadId: id, at: Date.now(), kind: 'chunk', contentRange: req.headers['content-range'] ?? null, bytes: 0, status: null };
		state.uploadRequests.push(entry);
		const answer = (status, body, headers) => {
			entry.status = status;
			return send(res, status, body, headers);
		};
		const error = (failure) => answer(failure[0], { error: failure[1] });
		const range = parseContentRange(req.headers['content-range']);
		if (range && range.status) entry.kind = 'status';
		if (!session || session.expired) {
			await readBody(req).catch(() => undefined);
			return error(ERRORS.notFound());
		}
		if (!range) {
			await readBody(req).catch(() => undefined);
			return error(ERRORS.invalidArgument(`Invalid Content-Range header: ${req.headers['content-range']}`));
		}
		if (range.status) {
			const body = await readBody(req);
			entry.bytes = body.length;
			if (session.final) return answer(session.final.status, session.final.body);
			if (body.length) return error(ERRORS.invalidArgument('A status query (Content-Range: bytes */N) must have an empty body.'));
			const total = range.total ?? session.declared;
			if (range.total !== null && session.declared !== null && range.total !== session.declared) {
				return error(ERRORS.invalidArgument(`The total size ${range.total} in Content-Range does not match X-Upload-Content-Length ${session.declared}.`));
			}
			if (total !== null && session.size === total) {
				completeUpload(session);
				return answer(session.final.status, session.final.body);
			}
			entry.status = 308;
			return sendEmpty(res, 308, 'Resume Incomplete', rangeHeaders(session));
		}

		session.chunks++;
		const declaredLength = Number(req.headers['content-length'] ?? NaN);
		const start = range.whole ? 0 : range.start;
		const total = range.whole ? declaredLength : range.total;
		const final = total !== null && (range.whole || range.end + 1 === total);
		const fault = nextUploadFault(session, final);
		if (fault) entry.fault = fault.fault;
		const { body, cut } = await readChunk(req, fault && fault.fault === 'disconnect' ? fault.afterBytes : undefined);
		entry.bytes = body.length;
		const length = range.whole ? (Number.isFinite(declaredLength) ? declaredLength : body.length) : range.end - range.start + 1;
		// The connection broke before the whole chunk arrived.
		const partial = cut && body.length < length;
		if (session.final && !partial) return answer(session.final.status, session.final.body);
		if (!partial) {
			if (body.length !== length) return error(ERRORS.invalidArgument(`Content-Range says ${length} bytes, the request carried ${body.length}.`));
			if (total !== null && session.declared !== null && total !== session.declared) {
				return error(ERRORS.invalidArgument(`The total size ${total} in Content-Range does not match X-Upload-Content-Length ${session.declared}.`));
			}
			if (start > session.size) return error(ERRORS.invalidArgument(`The upload offset ${start} is beyond the ${session.size} bytes received so far.`));
			if (!final && length % UPLOAD_GRANULE_BYTES !== 0) {
				// Google's wording (as its upload service answers Cloud Storage clients).
				return error(
					ERRORS.invalidArgument(
						`Invalid request. The number of bytes uploaded is required to be equal or greater than 262144, except for the final request (it's recommended to be the exact multiple of 262144). The received request contained ${length} bytes, which does not meet this requirement.`,
					),
				);
			}
			if (Math.max(session.size, start + length) > MAX_MESSAGE_BYTES) return error(ERRORS.invalidArgument('Message too large. Max size is 35 MB.'));
		}
		const errorFault = fault && (fault.fault === 'unavailable503' || fault.fault === 'backend500');
		if (errorFault && !fault.stored) {
			return error(fault.fault === 'unavailable503' ? ERRORS.unavailable503() : ERRORS.backend500());
		}
		if (partial) {
			// The connection broke inside the chunk: Google keeps what arrived, in whole 256 KiB.
			const kept = Math.floor((start + body.length) / UPLOAD_GRANULE_BYTES) * UPLOAD_GRANULE_BYTES - start;
			if (kept > 0 && start <= session.size) keep(session, start, body.subarray(0, kept));
			socket.destroy();
			return;
		}
		if (start <= session.size) keep(session, start, body);
		if (total !== null && session.size === total && !session.final) completeUpload(session);
		// Kept (and, for the last chunk, sent), then answered with an error anyway.
		if (errorFault) return error(fault.fault === 'unavailable503' ? ERRORS.unavailable503() : ERRORS.backend500());
		if (fault) {
			// 'loseResponse' (or a disconnect after the whole chunk): handled, but the answer never leaves.
			socket.destroy();
			return;
		}
		if (session.final) return answer(session.final.status, session.final.body);
		entry.status = 308;
		return sendEmpty(res, 308, 'Resume Incomplete', rangeHeaders(session));
	}

	async function api(req, res, url, path) {
		const m = /^\/(upload\/)?gmail\/v1\/users\/([^/]+)\/(.+)$/.exec(path);
		if (!m) return sendError(res, ERRORS.notFound());
		const [, upload, user, rest] = m;
		if (upload && req.method === 'PUT' && rest === 'messages/send' && url.searchParams.get('uploadType') === 'resumable') {
			return await uploadPut(req, res, url);
		}
		let method;
		if (req.method === 'POST' && rest === 'messages/send') method = 'send';
		else if (req.method === 'GET' && rest === 'settings/sendAs') method = 'sendAs';
		else if (req.method === 'GET' && rest === 'profile') method = 'profile';
		else if (req.method === 'GET' && rest === 'messages') method = 'list';
		else if (req.method === 'GET' && /^messages\/[0-9a-f]+$/.test(rest)) method = 'get';
		else return sendError(res, ERRORS.notFound());

		const record = {
			method,
			at: Date.now(),
			upload: Boolean(upload),
			query: Object.fromEntries(url.searchParams),
			host: String(req.headers.host || ''),
			authorized: Boolean(req.headers.authorization),
			bytes: 0,
		};
		state.requests.push(record);
		res.record = record;
		// Read the body first: a server answers after the request, and gaxios may still be writing it.
		let body = Buffer.alloc(0);
		try {
			body = await readBody(req);
		} catch (error) {
			if (error.tooLarge) return sendError(res, ERRORS.invalidArgument('Message too large. Max size is 35 MB.'));
			throw error;
		}
		const denied = authorize(req, method);
		if (denied) return sendError(res, denied, denied[0] === 401 ? { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' } : {});
		if (user !== 'me' && user.toLowerCase() !== account.email.toLowerCase()) {
			return sendError(res, [403, { code: 403, message: 'Delegation denied for ' + account.email, errors: [{ message: 'Delegation denied for ' + account.email, domain: 'global', reason: 'forbidden' }], status: 'PERMISSION_DENIED' }]);
		}
		const storing = method === 'send' && !(upload && url.searchParams.get('uploadType') === 'resumable');
		const rule = injected(method, storing);
		if (rule) record.injected = rule.error;
		if (rule && !rule.stored) {
			if (rule.error === 'noAnswer') return failAfterStoring(req, res, rule);
			const [error, headers] = injectedError(rule);
			return sendError(res, error, headers);
		}
		if (method === 'send' && settings.dailyLimit !== undefined && state.sendsToday >= settings.dailyLimit) {
			record.outcome = 'dailyLimit';
			if (settings.dailyLimitStyle === '429') return sendError(res, ERRORS.sendingLimit429(new Date(Date.now() + 6 * 3600 * 1000)), retryAfterHeaders(6 * 3600));
			return sendError(res, ERRORS.dailyLimit403());
		}
		const wait = takeUnits(COST[method]);
		if (wait > 0) {
			record.outcome = 'quota';
			const seconds = Math.max(1, Math.ceil(wait / 1000));
			return sendError(res, ERRORS.rateLimit429(new Date(Date.now() + wait)), retryAfterHeaders(seconds));
		}

		if (method === 'profile') {
			return send(res, 200, { emailAddress: account.email, messagesTotal: state.messages.length, threadsTotal: state.messages.length, historyId: '4242' });
		}
		if (method === 'sendAs') {
			const primary = { sendAsEmail: account.email, displayName: account.displayName || '', replyToAddress: '', signature: '', isPrimary: true, isDefault: true };
			return send(res, 200, { sendAs: [primary, ...aliases.map((a) => ({ replyToAddress: '', signature: '', isDefault: false, treatAsAlias: true, ...a }))] });
		}
		if (method === 'send') {
			let raw;
			if (upload) {
				const type = url.searchParams.get('uploadType');
				const contentType = String(req.headers['content-type'] || '');
				if (type === 'resumable') return startUpload(req, res, body, record, user);
				if (type === 'media') {
					if (!/^message\//i.test(contentType)) return sendError(res, ERRORS.invalidArgument(`Media type '${contentType}' is not supported. Valid media types: [message/*]`));
					raw = body;
				} else if (type === 'multipart') {
					const boundary = /boundary=("?)([^";]+)\1/i.exec(contentType);
					if (!boundary) return sendError(res, ERRORS.invalidArgument('Invalid multipart request with 0 mime parts.'));
					const parts = body.toString('latin1').split(`--${boundary[2]}`).slice(1, -1);
					const media = parts[1] && parts[1].replace(/^\r\n/, '');
					if (!media) return sendError(res, ERRORS.invalidArgument('Invalid multipart request with 1 mime parts.'));
					const split = media.indexOf('\r\n\r\n');
					raw = Buffer.from(media.slice(split + 4).replace(/\r\n$/, ''), 'latin1');
				} else {
					return sendError(res, ERRORS.invalidArgument(`Invalid upload type: ${type}`));
				}
			} else {
				if (body.length > MAX_METADATA_BODY_BYTES * 1.4) return sendError(res, ERRORS.payloadTooLarge());
				let json;
				try {
					json = JSON.parse(body.toString('utf8'));
				} catch {
					return sendError(res, ERRORS.invalidArgument('Invalid JSON payload received.'));
				}
				if (!json.raw) return sendError(res, ERRORS.invalidArgument("'raw' RFC822 payload message string or uploading message via /upload/* URL required"));
				raw = decodeBase64Url(json.raw);
			}
			const outcome = acceptSend(raw);
			if (outcome.error) return sendError(res, outcome.error);
			record.outcome = 'sent';
			record.messageId = outcome.message.id;
			if (rule) return failAfterStoring(req, res, rule);
			return send(res, 200, { id: outcome.message.id, threadId: outcome.message.threadId, labelIds: outcome.message.labelIds });
		}
		if (method === 'list') {
			const q = url.searchParams.get('q') || '';
			const { match, explicitPlace } = compileQuery(q);
			const includeSpamTrash = url.searchParams.get('includeSpamTrash') === 'true';
			const labelIds = url.searchParams.getAll('labelIds');
			const maxResults = Math.min(500, Number(url.searchParams.get('maxResults') || 100));
			const offset = Number(url.searchParams.get('pageToken') || 0);
			if (url.searchParams.get('pageToken') && !/^\d+$/.test(url.searchParams.get('pageToken'))) return sendError(res, ERRORS.invalidArgument('Invalid pageToken'));
			const now = Date.now();
			const found = state.messages
				.filter((msg) => !q || msg.searchableAt <= now)
				.filter((msg) => includeSpamTrash || explicitPlace || !msg.labelIds.some((l) => l === 'SPAM' || l === 'TRASH'))
				.filter((msg) => labelIds.every((l) => msg.labelIds.includes(l)))
				.filter(match)
				.sort((a, b) => b.internalDate - a.internalDate || Number.parseInt(b.id, 16) - Number.parseInt(a.id, 16));
			const page = found.slice(offset, offset + maxResults);
			const out = { resultSizeEstimate: found.length };
			if (page.length) out.messages = page.map((msg) => ({ id: msg.id, threadId: msg.threadId }));
			if (offset + maxResults < found.length) out.nextPageToken = String(offset + maxResults);
			return send(res, 200, out);
		}
		if (method === 'get') {
			const id = rest.slice('messages/'.length);
			const message = state.messages.find((msg) => msg.id === id);
			if (!message) return sendError(res, ERRORS.notFound());
			const format = url.searchParams.get('format') || 'full';
			return send(res, 200, messageResource(message, format, url.searchParams.getAll('metadataHeaders')));
		}
		return sendError(res, ERRORS.notFound());
	}

	const server = http.createServer((req, res) => {
		const url = new URL(req.url, 'http://127.0.0.1');
		const handle = async () => {
			if (url.pathname === '/token' && req.method === 'POST') return await tokenEndpoint(req, res);
			if (url.pathname === '/o/oauth2/v2/auth') return authEndpoint(req, res, url);
			const redirect = redirects.find((rule) => rule.times > 0);
			if (redirect && req.headers.host === `127.0.0.1:${server.address().port}`) {
				redirect.times--;
				const body = await readBody(req).catch(() => Buffer.alloc(0));
				state.redirected.push({ host: req.headers.host, path: url.pathname, authorized: Boolean(req.headers.authorization), bytes: body.length });
				res.writeHead(redirect.status, { Location: `${redirect.to}${url.pathname}${url.search}`, 'Content-Length': 0 });
				return res.end();
			}
			return await api(req, res, url, url.pathname);
		};
		handle().catch((error) => {
			if (!res.headersSent) sendError(res, [500, { code: 500, message: `fake: ${error.message}`, errors: [], status: 'INTERNAL' }]);
		});
	});
	server.keepAliveTimeout = 30_000;
	await new Promise((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
	const { port } = server.address();
	const base = `http://127.0.0.1:${port}`;

	return {
		url: base,
		apiBaseUrl: base,
		tokenUrl: `${base}/token`,
		authUrl: `${base}/o/oauth2/v2/auth`,
		client,
		account,
		aliases,
		state,
		settings,
		SCOPE,
		issueTokens,
		/** oauthTokenData as n8n stores it after "Connect", with an access token that is already expired. */
		expiredTokenData(scopes) {
			const data = issueTokens(scopes);
			state.accessTokens.get(data.access_token).expiresAt = Date.now() - 1000;
			return { ...data, n8n_expires_at: String(Date.now() - 1000) };
		},
		expireAccessTokens() {
			for (const entry of state.accessTokens.values()) entry.expiresAt = Date.now() - 1;
		},
		revokeRefreshTokens() {
			for (const entry of state.refreshTokens.values()) entry.revoked = true;
			for (const entry of state.accessTokens.values()) entry.expiresAt = Date.now() - 1;
		},
		/** Answers the next `times` calls of `method` ('send', 'list', 'get', 'sendAs', 'profile' or '*') with an error. */
		inject(method, error, { times = 1, retryAfterSec, stored = false, holdMs } = {}) {
			injections.push({ method, error, times, retryAfterSec, stored, holdMs });
		},
		/** Answers a random share of the calls of `method` with an error (for the benchmark). */
		injectRandom(method, error, rate, { retryAfterSec } = {}) {
			random = rate > 0 ? { method, error, rate, retryAfterSec } : null;
		},
		clearInjections() {
			injections.length = 0;
			random = null;
			uploadFaults.length = 0;
			redirects.length = 0;
		},
		/**
		 * Breaks one resumable upload chunk PUT (status queries are not chunks): the next one, the
		 * `chunk`-th of its session (1-based), or 'last', the one carrying the last byte.
		 * 'disconnect' closes the connection after `afterBytes` bytes of the chunk arrived (Google keeps
		 * them in whole 256 KiB); 'unavailable503' / 'backend500' keep nothing and answer the error;
		 * 'loseResponse' handles the chunk (sending the message if it was the last) and closes the
		 * connection instead of answering.
		 */
		failUploadChunk(fault, { chunk, afterBytes = 0, stored = false } = {}) {
			uploadFaults.push({ fault, chunk, afterBytes, stored });
		},
		/** Answers API requests that arrive at the fake's own address with a redirect to the same path at `to`. */
		redirectApi({ to, status = 307, times = Infinity } = {}) {
			redirects.push({ to: String(to).replace(/\/+$/, ''), status, times });
		},
		/** Message-ID of every message in Sent, once per stored copy (a duplicate shows twice). */
		storedMessageIds() {
			return state.messages.filter((m) => m.labelIds.includes('SENT')).map((m) => header(m.headers, 'message-id') || '');
		},
		/** Google forgets every open upload session (they last a week): PUTs to them answer 404. */
		expireUploadSessions() {
			for (const session of state.uploadSessions.values()) session.expired = true;
		},
		/** Puts a message into the mailbox (e.g. a bounce report from another server). */
		addMessage(raw, labelIds = ['INBOX'], internalDate = Date.now()) {
			return storeMessage(Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1'), labelIds, internalDate);
		},
		sent() {
			return state.messages.filter((m) => m.labelIds.includes('SENT'));
		},
		inbox() {
			return state.messages.filter((m) => m.labelIds.includes('INBOX'));
		},
		header,
		addresses,
		close() {
			server.closeAllConnections?.();
			return new Promise((resolve) => server.close(() => resolve()));
		},
	};
}

module.exports = { startFakeGmail, defaultRecipientFate, SCOPE, parseHeaders, header, addresses };
