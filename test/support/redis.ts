/**
 * A private, throwaway redis-server (Debian's `redis-server`) on a free port of 127.0.0.1 for the
 * tests of the Redis coordinator. `describeWithRedis` blocks are skipped, with the reason printed,
 * where the binary is missing; with REQUIRE_REDIS=1 (.ci/run) they run and fail instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((path) =>
	existsSync(path),
);

export const redisSkipReason = BINARY
	? ''
	: 'redis-server is not installed (apt-get install redis-server); the Redis coordinator tests are skipped';

export interface TestRedis {
	host: string;
	port: number;
	stop(): Promise<void>;
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const port = (server.address() as { port: number }).port;
			server.close(() => resolve(port));
		});
	});
}

function answers(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect(port, '127.0.0.1');
		socket.once('connect', () => {
			socket.end();
			resolve(true);
		});
		socket.once('error', () => resolve(false));
	});
}

export async function startRedis(): Promise<TestRedis> {
	if (!BINARY) throw new Error(redisSkipReason);
	const port = await freePort();
	const dir = mkdtempSync(join(tmpdir(), 'dc-redis-'));
	const child: ChildProcess = spawn(
		BINARY,
		[
			'--port',
			String(port),
			'--bind',
			'127.0.0.1',
			'--dir',
			dir,
			'--save',
			'',
			'--appendonly',
			'no',
		],
		{ stdio: 'ignore' },
	);
	for (let i = 0; i < 100 && !(await answers(port)); i++)
		await new Promise((r) => setTimeout(r, 50));
	if (!(await answers(port))) {
		child.kill('SIGKILL');
		throw new Error(`redis-server did not start on port ${port}`);
	}
	return {
		host: '127.0.0.1',
		port,
		stop: async () => {
			const exited = new Promise((resolve) => child.once('exit', resolve));
			child.kill('SIGTERM');
			await exited;
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

/** A describe block that needs Redis: skipped with the reason where it cannot run, unless REQUIRE_REDIS=1. */
export function describeWithRedis(name: string, body: () => void): void {
	if (redisSkipReason && process.env.REQUIRE_REDIS !== '1') {
		// eslint-disable-next-line no-console
		console.warn(`${name}: skipped: ${redisSkipReason}`);
		describe.skip(name, body);
		return;
	}
	describe(name, body);
}
