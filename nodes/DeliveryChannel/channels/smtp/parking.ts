/**
 * Connections kept between executions: when an execution's pool closes, its healthy logged-in
 * connections wait here, per credential (a digest of every connection setting, the password
 * included, so a changed credential never gets an old connection), for the next execution of this
 * n8n process. A one-email execution then skips connect, TLS and login. A parked connection keeps
 * its account's connection slot; it is closed after PARKED_IDLE_MS unused, or handed straight to a
 * pool that waits for a slot of the same credential, so a parked connection never blocks one.
 */
import { createHash } from 'node:crypto';

import type { PooledConnection } from './connection';
import type { SmtpSettings } from './settings';

/** How long a connection waits unused before it is closed (servers allow about 5 minutes). */
export const PARKED_IDLE_MS = 15_000;

interface Parked {
	entry: PooledConnection;
	timer: NodeJS.Timeout;
	watch?: NodeJS.Timeout;
}

/** How often a parked connection asks whether another process waits for its account's slot. */
export const PARKED_WATCH_MS = 250;

const parked = new Map<string, Parked[]>();
const waiting = new Map<string, Array<(entry: PooledConnection) => void>>();

/**
 * The credential's identity for parking: a digest, so no password is kept as a map key. An OAuth2
 * sign-in has no password to tell it apart (its tokens change, the login they gave does not): its
 * sending account (the n8n credential) does, so only the same credential gets its connections.
 */
export function parkingKey(settings: SmtpSettings, account?: string): string {
	const { connection, auth, oauth } = settings;
	return createHash('sha256')
		.update(JSON.stringify([connection.host, connection.port, connection.secure, connection.name]))
		.update(
			JSON.stringify([connection.requireTLS, connection.ignoreTLS, connection.opportunisticTLS]),
		)
		.update(JSON.stringify([connection.tls ?? null, auth?.user ?? null, auth?.pass ?? null]))
		.update(oauth ? JSON.stringify(['oauth2', oauth.user, account ?? null]) : '')
		.digest('base64url');
}

function remove(key: string, item: Parked): void {
	const list = parked.get(key) ?? [];
	const index = list.indexOf(item);
	if (index >= 0) list.splice(index, 1);
	if (!list.length) parked.delete(key);
	clearTimeout(item.timer);
	clearInterval(item.watch);
}

/**
 * Keeps a healthy connection for the next pool of the same credential (or gives it to one waiting).
 * `slotWanted` says whether another process waits for the account's connection slots: then the
 * connection closes at once, which gives its slot back.
 */
export function park(
	key: string,
	entry: PooledConnection,
	slotWanted?: () => Promise<boolean>,
): void {
	const waiter = waiting.get(key)?.shift();
	if (waiter) {
		waiter(entry);
		return;
	}
	const close = () => {
		remove(key, item);
		entry.broken = true;
		entry.connection.quit();
	};
	const item: Parked = { entry, timer: setTimeout(close, PARKED_IDLE_MS) };
	item.timer.unref();
	if (slotWanted) {
		let asking = false;
		item.watch = setInterval(() => {
			if (asking) return;
			asking = true;
			slotWanted()
				.then((wanted) => {
					if (wanted && !entry.broken && parked.get(key)?.includes(item)) close();
				})
				.catch(() => undefined)
				.finally(() => (asking = false));
		}, PARKED_WATCH_MS);
		item.watch.unref();
	}
	// The server closed it while parked (its own idle timeout): forget it.
	entry.onLost = () => {
		entry.broken = true;
		remove(key, item);
	};
	parked.set(key, [...(parked.get(key) ?? []), item]);
}

/** A parked connection of this credential, if one is there. */
export function unpark(key: string): PooledConnection | undefined {
	for (;;) {
		const item = parked.get(key)?.pop();
		if (!item) return undefined;
		remove(key, item);
		if (!item.entry.broken) return item.entry;
	}
}

/**
 * Waits for a connection of this credential to be parked, while the caller also waits for a slot.
 * `cancel()` stops waiting; it returns false when a connection was already handed over.
 */
export function awaitParked(key: string): {
	connection: Promise<PooledConnection>;
	cancel(): boolean;
} {
	let handed = false;
	let take!: (entry: PooledConnection) => void;
	const connection = new Promise<PooledConnection>((resolve) => {
		take = (entry) => {
			handed = true;
			resolve(entry);
		};
	});
	waiting.set(key, [...(waiting.get(key) ?? []), take]);
	return {
		connection,
		cancel: () => {
			const list = waiting.get(key) ?? [];
			const index = list.indexOf(take);
			if (index >= 0) list.splice(index, 1);
			if (!list.length) waiting.delete(key);
			return !handed;
		},
	};
}
