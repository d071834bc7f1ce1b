/**
 * The MSC HTTP API (docs/msc-api.openapi.yaml): bearer API keys, JSON in and out, every error as
 * application/problem+json, 429 with Retry-After when an account goes over its request rate.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { parseAddressList } from '../../core/message/addresses';
import type { SandboxConfig } from './config';
import { Problem, type ApiResponse, type MscService } from './service';
import type { Account, FailureFilter, FailureRecord } from './store';

const MAX_PAGE = 100;
const KINDS: Array<FailureRecord['kind']> = ['failure', 'delay', 'complaint'];

/** Token bucket per account: `burst` requests at once, refilled at `perSecond`. */
class RateLimiter {
	private readonly buckets = new Map<string, { tokens: number; at: number }>();

	constructor(private readonly perSecond: number, private readonly burst: number) {}

	/** 0 when the request may go ahead, else the seconds to wait. */
	take(key: string): number {
		const now = Date.now();
		const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
		bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
		bucket.at = now;
		this.buckets.set(key, bucket);
		if (bucket.tokens >= 1) {
			bucket.tokens -= 1;
			return 0;
		}
		return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
	}
}

export type Logger = (line: string) => void;

export function createApiServer(service: MscService, config: SandboxConfig, log: Logger): Server {
	const limiter = new RateLimiter(config.rateLimit.perSecond, config.rateLimit.burst);
	return createServer((request, response) => {
		const started = Date.now();
		handle(service, config, limiter, request)
			.catch((error: unknown) => {
				if (error instanceof Problem) return { status: error.status, body: error.toJSON(), headers: error.headers } as ApiResponse;
				log(`internal error on ${request.method} ${request.url}: ${(error as Error)?.stack ?? String(error)}`);
				return { status: 500, body: new Problem(500, 'internal-error', 'Internal error', 'The sandbox failed to handle the request.', { retryable: true }).toJSON() } as ApiResponse;
			})
			.then((answer) => {
				send(response, answer);
				log(`${request.method} ${request.url} -> ${answer.status} (${Date.now() - started} ms)`);
			});
	});
}

function send(response: ServerResponse, answer: ApiResponse): void {
	const problem = answer.status >= 400;
	const payload = Buffer.from(JSON.stringify(answer.body));
	response.writeHead(answer.status, {
		'Content-Type': problem ? 'application/problem+json' : 'application/json',
		'Content-Length': String(payload.length),
		'Cache-Control': 'no-store',
		...answer.headers,
	});
	response.end(payload);
}

async function handle(service: MscService, config: SandboxConfig, limiter: RateLimiter, request: IncomingMessage): Promise<ApiResponse> {
	const url = new URL(request.url ?? '/', 'http://sandbox.invalid');
	const method = request.method ?? 'GET';
	const path = url.pathname.replace(/\/+$/, '') || '/';

	if (path === '/healthz') return { status: 200, body: { status: 'ok' } };
	if (!path.startsWith('/v1/')) throw new Problem(404, 'not-found', 'Not found', `No such endpoint: ${method} ${path}`);

	const account = authenticate(service, request);
	const wait = limiter.take(account.id);
	if (wait > 0) {
		// Drain the body so the connection stays usable for the retry.
		request.resume();
		throw new Problem(429, 'rate-limited', 'Too many requests', `This account is over ${config.rateLimit.perSecond} requests per second; retry after ${wait} s.`, { retryable: true }, { 'Retry-After': String(wait) });
	}

	const allow = (verb: string): void => {
		if (method !== verb) throw new Problem(405, 'method-not-allowed', 'Method not allowed', `${method} is not allowed on ${path}.`, {}, { Allow: verb });
	};
	let match: RegExpExecArray | null;

	if (path === '/v1/account') {
		allow('GET');
		return { status: 200, body: service.accountView(account) };
	}
	if (path === '/v1/identities') {
		if (method === 'POST') return createIdentity(service, account, await readBody(request, config.maxRequestBytes));
		allow('GET');
		return { status: 200, body: { data: service.store.identities(account.id).map((identity) => service.identityView(identity)) } };
	}
	if ((match = /^\/v1\/identities\/([^/]+)\/verify$/.exec(path))) {
		allow('POST');
		const identity = service.store.identity(account.id, decodeURIComponent(match[1]));
		if (!identity) throw new Problem(404, 'not-found', 'Not found', `No Email Identity ${match[1]} on this account.`);
		service.store.setVerified(identity.id, true);
		return { status: 200, body: service.identityView({ ...identity, verified: true }) };
	}
	if ((match = /^\/v1\/identities\/([^/]+)$/.exec(path))) {
		allow('GET');
		const identity = service.store.identity(account.id, decodeURIComponent(match[1]));
		if (!identity) throw new Problem(404, 'not-found', 'Not found', `No Email Identity ${match[1]} on this account.`);
		return { status: 200, body: service.identityView(identity) };
	}
	if (path === '/v1/messages') {
		allow('POST');
		const key = headerValue(request, 'idempotency-key');
		return await service.send(account, await readBody(request, config.maxRequestBytes), key);
	}
	if ((match = /^\/v1\/messages\/([^/]+)$/.exec(path))) {
		allow('GET');
		const message = service.store.message(decodeURIComponent(match[1]));
		if (!message || message.accountId !== account.id) throw new Problem(404, 'not-found', 'Not found', `No message ${match[1]} on this account.`);
		return { status: 200, body: service.messageView(message) };
	}
	if (path === '/v1/failed-deliveries') {
		allow('GET');
		return listFailures(service, account, url.searchParams);
	}
	throw new Problem(404, 'not-found', 'Not found', `No such endpoint: ${method} ${path}`);
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
	const value = request.headers[name];
	return Array.isArray(value) ? value[0] : value;
}

function authenticate(service: MscService, request: IncomingMessage): Account {
	const header = headerValue(request, 'authorization') ?? '';
	const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
	const unauthorized = (detail: string) =>
		new Problem(401, 'unauthorized', 'Unauthorized', detail, {}, { 'WWW-Authenticate': 'Bearer realm="msc"' });
	if (!match) {
		request.resume();
		throw unauthorized('Send the API key as "Authorization: Bearer <key>".');
	}
	const account = service.store.accountByApiKey(match[1]);
	if (!account) {
		request.resume();
		throw unauthorized('The API key is not valid.');
	}
	return account;
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let tooLarge = false;
		request.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) tooLarge = true;
			else chunks.push(chunk);
		});
		request.on('end', () => {
			if (tooLarge) reject(new Problem(413, 'too-large', 'Request too large', `The request body is over ${limit} bytes.`));
			else resolve(Buffer.concat(chunks));
		});
		request.on('error', reject);
	});
}

function createIdentity(service: MscService, account: Account, raw: Buffer): ApiResponse {
	let body: { name?: unknown; address?: unknown };
	try {
		body = JSON.parse(raw.toString('utf8')) as typeof body;
	} catch {
		throw new Problem(400, 'invalid-json', 'Invalid JSON', 'The request body is not valid JSON.');
	}
	let address: string;
	try {
		address = parseAddressList('address', 'address', body.address, { required: true, single: true })[0].address;
	} catch (error) {
		throw new Problem(422, 'invalid-request', 'Invalid request', (error as Error).message, { field: 'address' });
	}
	if (service.store.identity(account.id, address)) {
		throw new Problem(409, 'identity-exists', 'Identity exists', `${address} is already an Email Identity of this account.`);
	}
	const identity = service.store.createIdentity(account.id, String(body.name ?? '').trim(), address, false);
	return { status: 201, body: service.identityView(identity), headers: { Location: `/v1/identities/${identity.id}` } };
}

function listFailures(service: MscService, account: Account, params: URLSearchParams): ApiResponse {
	const invalid = (field: string, detail: string) => new Problem(400, 'invalid-request', 'Invalid request', detail, { field });
	const date = (field: string): number | undefined => {
		const value = params.get(field);
		if (!value) return undefined;
		const time = Date.parse(value);
		if (Number.isNaN(time)) throw invalid(field, `${field} must be an ISO 8601 date-time, got ${JSON.stringify(value)}.`);
		return time;
	};
	const limitText = params.get('limit');
	const limit = limitText === null ? 50 : Number(limitText);
	if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw invalid('limit', `limit must be an integer from 1 to ${MAX_PAGE}.`);
	const kinds = (params.get('type') ?? 'failure').split(',').map((entry) => entry.trim()).filter(Boolean) as FailureFilter['kinds'];
	if (!kinds.length || kinds.some((kind) => !KINDS.includes(kind))) throw invalid('type', `type is a comma-separated list of ${KINDS.join(', ')}.`);
	const verdict = (params.get('verdict') ?? 'all') as FailureFilter['verdict'];
	if (!['all', 'hard', 'soft'].includes(verdict)) throw invalid('verdict', 'verdict is all, hard or soft.');
	const order = params.get('order') ?? 'desc';
	if (order !== 'asc' && order !== 'desc') throw invalid('order', `order is asc (oldest first, in the order they were recorded) or desc (newest first), got ${JSON.stringify(order)}.`);
	let from: number | undefined;
	const cursor = params.get('cursor');
	if (cursor) {
		const position = readCursor(cursor);
		const key = order === 'asc' ? 'after' : 'before';
		if (!position || !Number.isInteger(position[key])) {
			const other = position && Number.isInteger(position[key === 'after' ? 'before' : 'after']);
			throw invalid('cursor', other ? `This cursor continues a listing with order=${key === 'after' ? 'desc' : 'asc'}.` : 'cursor is not one this API returned.');
		}
		from = position[key];
	}
	let identityId: string | undefined;
	const identityParam = params.get('identity');
	if (identityParam) {
		const identity = service.store.identity(account.id, identityParam);
		if (!identity) throw new Problem(422, 'unknown-identity', 'Unknown identity', `${identityParam} is not an Email Identity of this account.`, { field: 'identity' });
		identityId = identity.id;
	}
	const page = service.store.failures(account.id, {
		since: date('since'),
		until: date('until'),
		receivedSince: date('receivedSince'),
		recipient: params.get('recipient')?.trim() || undefined,
		kinds,
		verdict,
		identityId,
		messageId: params.get('message') ?? undefined,
		order,
		from,
		limit,
	});
	const key = order === 'asc' ? 'after' : 'before';
	const nextCursor = page.more && page.lastSeq !== undefined ? writeCursor({ [key]: page.lastSeq }) : null;
	const body: Record<string, unknown> = { data: page.records, nextCursor };
	if (order === 'asc') body.checkpoint = writeCursor({ after: page.checkpointSeq });
	return { status: 200, body };
}

type Position = Partial<Record<'after' | 'before', number>>;

function writeCursor(position: Position): string {
	return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function readCursor(cursor: string): Position | undefined {
	try {
		const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
		return value && typeof value === 'object' ? (value as Position) : undefined;
	} catch {
		return undefined;
	}
}
