/**
 * A raw TCP proxy on 127.0.0.1 for tests: it sits between a client and a real server, records every
 * byte each side sent (what a listener on the wire would see), counts them, and can play the man in
 * the middle (rewrite bytes) or the broken network (cut a connection at a chosen point).
 */
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * What a hook may do with a chunk: pass it on (possibly rewritten), cut the connection instead, or
 * pass part of it on and then cut (a connection that breaks in the middle of a response).
 */
export type ChunkAction = Buffer | 'cut' | { send: Buffer; thenCut: true };

export interface ChunkInfo {
	/** 1-based number of the connection through the proxy. */
	connection: number;
	/** Bytes this side sent on this connection before this chunk. */
	before: number;
}

export interface TcpProxyOptions {
	target: { host: string; port: number };
	fromClient?: (chunk: Buffer, info: ChunkInfo) => ChunkAction;
	fromServer?: (chunk: Buffer, info: ChunkInfo) => ChunkAction;
}

export interface TcpProxy {
	host: string;
	port: number;
	/** Connections accepted so far. */
	readonly connections: number;
	/** Bytes the client sent / the server sent, as they arrived at the proxy (before any rewrite). */
	readonly clientBytes: number;
	readonly serverBytes: number;
	/** Everything the client sent, all connections in order. */
	clientData(): Buffer;
	serverData(): Buffer;
	/** Starts counting again (the data kept so far is dropped too). */
	reset(): void;
	close(): Promise<void>;
}

export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
	const fromClient: Buffer[] = [];
	const fromServer: Buffer[] = [];
	const open = new Set<Socket>();
	const counts = { connections: 0, client: 0, server: 0 };

	const server = createServer((client) => {
		counts.connections += 1;
		const connection = counts.connections;
		const upstream = createConnection(options.target);
		open.add(client);
		open.add(upstream);
		const cut = () => {
			// A reset, as a broken network or a crashed peer gives it, not a polite close.
			client.resetAndDestroy();
			upstream.resetAndDestroy();
		};
		const relay = (
			source: Socket,
			target: Socket,
			store: Buffer[],
			side: 'client' | 'server',
			hook?: (chunk: Buffer, info: ChunkInfo) => ChunkAction,
		) => {
			let sent = 0;
			source.on('data', (chunk: Buffer) => {
				store.push(chunk);
				counts[side] += chunk.length;
				const action = hook ? hook(chunk, { connection, before: sent }) : chunk;
				sent += chunk.length;
				if (action === 'cut') {
					cut();
					return;
				}
				if (Buffer.isBuffer(action)) {
					if (!target.destroyed) target.write(action);
					return;
				}
				if (!target.destroyed) target.write(action.send, () => cut());
				else cut();
			});
			source.on('end', () => target.end());
			source.on('error', () => target.destroy());
			source.on('close', () => {
				open.delete(source);
				target.destroy();
			});
		};
		relay(client, upstream, fromClient, 'client', options.fromClient);
		relay(upstream, client, fromServer, 'server', options.fromServer);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		host: '127.0.0.1',
		port,
		get connections() {
			return counts.connections;
		},
		get clientBytes() {
			return counts.client;
		},
		get serverBytes() {
			return counts.server;
		},
		clientData: () => Buffer.concat(fromClient),
		serverData: () => Buffer.concat(fromServer),
		reset() {
			fromClient.length = 0;
			fromServer.length = 0;
			counts.connections = 0;
			counts.client = 0;
			counts.server = 0;
		},
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of open) socket.destroy();
				server.close(() => resolve());
			}),
	};
}
