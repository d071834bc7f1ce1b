/**
 * The MSC HTTP API (docs/msc-api.openapi.yaml): bearer API keys, JSON in and out, every error as
 * application/problem+json, 429 with Retry-After when an account goes over its request rate.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { parseAddressList } from '../../core/message/addresses';
import type { SandboxConfig } from './config';
import { Problem, type ApiResponse, type MscService } from './service';
import { listFailures } from './listing';
import type { Account, Identity } from './store';

/** Token bucket per account: `burst` requests at once, refilled at `perSecond`. */
class RateLimiter {
	private readonly buckets = new Map<string, { tokens: number; at: number }>();

	constructor(
		private readonly perSecond: number,
		private readonly burst: number,
	) {}

	/** 0 when the request may go ahead, else the seconds to wait. */
	take(key: string): number {
		const now = Date.now();
		const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
		bucket.tokens = Math.min(
			this.burst,
			bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond,
		);
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
				if (error instanceof Problem)
					return {
						status: error.status,
						body: error.toJSON(),
						headers: error.headers,
					} as ApiResponse;
				log(
					`internal error on ${request.method} ${request.url}: ${(error as Error)?.stack ?? String(error)}`,
				);
				return {
					status: 500,
					body: new Problem(
						500,
						'internal-error',
						'Internal error',
						'The sandbox failed to handle the request.',
						{ retryable: true },
					).toJSON(),
				} as ApiResponse;
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

async function handle(
	service: MscService,
	config: SandboxConfig,
	limiter: RateLimiter,
	request: IncomingMessage,
): Promise<ApiResponse> {
	const url = new URL(request.url ?? '/', 'http://sandbox.invalid');
	const method = request.method ?? 'GET';
	const path = url.pathname.replace(/\/+$/, '') || '/';

	if (path === '/healthz') return { status: 200, body: { status: 'ok' } };
	if (!path.startsWith('/v1/'))
		throw new Problem(404, 'not-found', 'Not found', `No such endpoint: ${method} ${path}`);

	const account = authenticate(service, request);
	const wait = limiter.take(account.id);
	if (wait > 0) {
		// Drain the body so the connection stays usable for the retry.
		request.resume();
		throw new Problem(
			429,
			'rate-limited',
			'Too many requests',
			`This account is over ${config.rateLimit.perSecond} requests per second; retry after ${wait} s.`,
			{ retryable: true },
			{ 'Retry-After': String(wait) },
		);
	}

	const allow = (verb: string): void => {
		if (method !== verb)
			throw new Problem(
				405,
				'method-not-allowed',
				'Method not allowed',
				`${method} is not allowed on ${path}.`,
				{},
				{ Allow: verb },
			);
	};
	let match: RegExpExecArray | null;

	if (path === '/v1/account') {
		allow('GET');
		return { status: 200, body: service.accountView(account) };
	}
	if (path === '/v1/identities') {
		if (method === 'POST')
			return createIdentity(service, account, await readBody(request, config.maxRequestBytes));
		allow('GET');
		return {
			status: 200,
			body: {
				data: service.store
					.identities(account.id)
					.map((identity) => service.identityView(identity)),
			},
		};
	}
	if ((match = /^\/v1\/identities\/([^/]+)\/verify$/.exec(path))) {
		allow('POST');
		const identity = identityOf(service, account, match[1]);
		service.store.setVerified(identity.id, true);
		return { status: 200, body: service.identityView({ ...identity, verified: true }) };
	}
	if ((match = /^\/v1\/identities\/([^/]+)$/.exec(path))) {
		allow('GET');
		const identity = identityOf(service, account, match[1]);
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
		if (!message || message.accountId !== account.id)
			throw new Problem(404, 'not-found', 'Not found', `No message ${match[1]} on this account.`);
		return { status: 200, body: service.messageView(message) };
	}
	if (path === '/v1/failed-deliveries') {
		allow('GET');
		return listFailures(service, account, url.searchParams);
	}
	throw new Problem(404, 'not-found', 'Not found', `No such endpoint: ${method} ${path}`);
}

/** The account's identity named in the path (id or address), or a 404. */
function identityOf(service: MscService, account: Account, ref: string): Identity {
	const identity = service.store.identity(account.id, decodeURIComponent(ref));
	if (!identity)
		throw new Problem(404, 'not-found', 'Not found', `No Email Identity ${ref} on this account.`);
	return identity;
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
	const value = request.headers[name];
	return Array.isArray(value) ? value[0] : value;
}

function authenticate(service: MscService, request: IncomingMessage): Account {
	const header = headerValue(request, 'authorization') ?? '';
	const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
	const unauthorized = (detail: string) =>
		new Problem(
			401,
			'unauthorized',
			'Unauthorized',
			detail,
			{},
			{ 'WWW-Authenticate': 'Bearer realm="msc"' },
		);
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
			if (tooLarge)
				reject(
					new Problem(
						413,
						'too-large',
						'Request too large',
						`The request body is over ${limit} bytes.`,
					),
				);
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
		address = parseAddressList('address', 'address', body.address, {
			required: true,
			single: true,
		})[0].address;
	} catch (error) {
		throw new Problem(422, 'invalid-request', 'Invalid request', (error as Error).message, {
			field: 'address',
		});
	}
	if (service.store.identity(account.id, address)) {
		throw new Problem(
			409,
			'identity-exists',
			'Identity exists',
			`${address} is already an Email Identity of this account.`,
		);
	}
	const identity = service.store.createIdentity(
		account.id,
		String(body.name ?? '').trim(),
		address,
		false,
	);
	return {
		status: 201,
		body: service.identityView(identity),
		headers: { Location: `/v1/identities/${identity.id}` },
	};
}
