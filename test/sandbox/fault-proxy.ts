/**
 * A local HTTP server in front of the MSC sandbox that injects one fault per request, as a load
 * balancer, a flaky network or a broken service would: answer in the sandbox's place, forward and
 * then lose, replace or delay the answer, or cut the connection while the sandbox works on. It keeps
 * every request it saw (method, path, Idempotency-Key, headers) so tests can count them.
 */
import {
	createServer,
	request as httpRequest,
	type IncomingHttpHeaders,
	type Server,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SeenRequest {
	method: string;
	path: string;
	headers: IncomingHttpHeaders;
	key?: string;
	/** 1-based number of this request among those with the same Idempotency-Key (or method and path without one). */
	count: number;
	body: Buffer;
	/** The sandbox's HTTP status and the size of its answer's body, when the request was forwarded and answered. */
	upstreamStatus?: number;
	upstreamBytes?: number;
}

export interface CannedAnswer {
	status: number;
	headers?: Record<string, string>;
	body?: unknown;
}

/** What the proxy does with one request; nothing (undefined) forwards it untouched. */
export type Fault =
	/** Answer without forwarding: the sandbox never sees the request. */
	| { answer: CannedAnswer }
	/** Forward, then answer this instead of the sandbox's answer. */
	| { forwardThenAnswer: CannedAnswer }
	/** Forward, then cut the client's connection instead of answering. */
	| { forwardThenDrop: true }
	/** Forward, and cut the client's connection after this long, whether or not the sandbox answered. */
	| { forwardAndCutAfterMs: number }
	/** Forward, and hold the sandbox's answer this long before passing it on. */
	| { forwardThenHoldMs: number }
	/** Cut the connection without forwarding. */
	| { drop: true };

export interface FaultProxy {
	url: string;
	seen: SeenRequest[];
	close(): Promise<void>;
}

function problem(answer: CannedAnswer): { headers: Record<string, string>; payload: Buffer } {
	const payload = Buffer.from(
		answer.body === undefined
			? ''
			: typeof answer.body === 'string'
				? answer.body
				: JSON.stringify(answer.body),
	);
	const type =
		typeof answer.body === 'object'
			? answer.status >= 400
				? 'application/problem+json'
				: 'application/json'
			: 'text/plain';
	return {
		headers: { 'Content-Type': type, 'Content-Length': String(payload.length), ...answer.headers },
		payload,
	};
}

export async function startFaultProxy(
	target: string,
	decide: (request: SeenRequest) => Fault | undefined,
): Promise<FaultProxy> {
	const seen: SeenRequest[] = [];
	const counts = new Map<string, number>();
	const sockets = new Set<Socket>();
	const server: Server = createServer((incoming, outgoing) => {
		const chunks: Buffer[] = [];
		incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
		incoming.on('end', () => {
			const key =
				typeof incoming.headers['idempotency-key'] === 'string'
					? incoming.headers['idempotency-key']
					: undefined;
			const countKey = key ?? `${incoming.method} ${incoming.url}`;
			const count = (counts.get(countKey) ?? 0) + 1;
			counts.set(countKey, count);
			const request: SeenRequest = {
				method: incoming.method ?? 'GET',
				path: incoming.url ?? '/',
				headers: incoming.headers,
				key,
				count,
				body: Buffer.concat(chunks),
			};
			seen.push(request);
			const fault = decide(request);
			const cut = () => incoming.socket.destroy();
			const reply = (answer: CannedAnswer) => {
				const { headers, payload } = problem(answer);
				outgoing.writeHead(answer.status, headers);
				outgoing.end(payload);
			};
			if (fault && 'drop' in fault) return cut();
			if (fault && 'answer' in fault) return reply(fault.answer);
			if (fault && 'forwardAndCutAfterMs' in fault) setTimeout(cut, fault.forwardAndCutAfterMs);
			const forward = httpRequest(
				`${target}${incoming.url}`,
				{ method: incoming.method, headers: incoming.headers },
				(answer) => {
					const body: Buffer[] = [];
					answer.on('data', (chunk: Buffer) => body.push(chunk));
					answer.on('end', () => {
						request.upstreamStatus = answer.statusCode;
						request.upstreamBytes = body.reduce((sum, chunk) => sum + chunk.length, 0);
						if (!fault) {
							outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
							return outgoing.end(Buffer.concat(body));
						}
						if ('forwardThenDrop' in fault || 'forwardAndCutAfterMs' in fault) return cut();
						if ('forwardThenAnswer' in fault) return reply(fault.forwardThenAnswer);
						if ('forwardThenHoldMs' in fault) {
							setTimeout(() => {
								if (outgoing.destroyed || incoming.socket.destroyed) return;
								outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
								outgoing.end(Buffer.concat(body));
							}, fault.forwardThenHoldMs);
						}
					});
				},
			);
			forward.on('error', () => cut());
			forward.end(Buffer.concat(chunks));
		});
	});
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		seen,
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			}),
	};
}

/** A server that only records what reaches it: the "other origin" of a redirect. */
export async function startRecorder(): Promise<FaultProxy> {
	return await startFaultProxy('http://127.0.0.1:9', () => ({
		answer: { status: 200, body: { data: [], id: 'msg_recorder', accepted: [], rejected: [] } },
	}));
}
