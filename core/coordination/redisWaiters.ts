/**
 * Who waits for an account's connection slots, across processes: each waiting process keeps a mark
 * (a member of a sorted set scored with its expiry) renewed while it waits, so a process that keeps
 * an idle connection of the account can see it and free its slot.
 */
import { randomUUID } from 'node:crypto';

import type Redis from 'ioredis';

/** How long a mark lasts unless renewed (every third of it). */
const MARK_MS = 3_000;

type Call = <T>(work: (client: Redis) => Promise<T>) => Promise<T>;

/** Marks one waiter in `key` until the returned function withdraws it. */
export function announceWaiter(call: Call, key: string): () => void {
	const member = randomUUID();
	const mark = () =>
		void call((client) =>
			client
				.multi()
				.zadd(key, Date.now() + MARK_MS, member)
				.pexpire(key, MARK_MS)
				.exec(),
		).catch(() => undefined);
	mark();
	const timer = setInterval(mark, MARK_MS / 3);
	timer.unref();
	return () => {
		clearInterval(timer);
		void call((client) => client.zrem(key, member)).catch(() => undefined);
	};
}

/** Whether `key` holds a mark that has not expired. */
export async function anyWaiter(call: Call, key: string): Promise<boolean> {
	return await call(async (client) => {
		await client.zremrangebyscore(key, '-inf', Date.now());
		return (await client.zcard(key)) > 0;
	});
}
