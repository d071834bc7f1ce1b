/**
 * Starts the MSC sandbox in-process: the HTTP API, the inbound SMTP port for bounce reports, the
 * relay to the upstream and the SQLite store. Used by the CLI (`npm run msc-sandbox`), by
 * `npm run dev`, by the jest tests and by the real-n8n end-to-end test.
 *
 *   const sandbox = await startSandbox({ port: 0, smtpPort: 0, db: ':memory:', upstream: { host, port } });
 *   sandbox.apiUrl;        // http://127.0.0.1:<port>
 *   sandbox.demo?.apiKey;  // only when the demo account was created by this start
 *   await sandbox.close();
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

import type { SMTPServer } from 'smtp-server';

import { createApiServer, type Logger } from './api';
import { resolveConfig, type SandboxConfig, type SandboxOptions } from './config';
import { createInboundServer } from './inbound';
import { Relay } from './relay/index';
import { MscService } from './service';
import { SandboxStore, type Account, type Identity } from './store';

export interface DemoAccount {
	account: Account;
	/** The API key in clear text: only here, at creation; the store keeps a hash. */
	apiKey: string;
	identities: Identity[];
}

export interface RunningSandbox {
	config: SandboxConfig;
	apiUrl: string;
	apiPort: number;
	smtpHost: string;
	smtpPort: number;
	/** Set when this start created the demo account. */
	demo?: DemoAccount;
	store: SandboxStore;
	service: MscService;
	/** Creates an account with its own API key (for tests and scripts). */
	createAccount(
		name: string,
		identities: Array<{ name: string; address: string; verified: boolean }>,
		apiKey?: string,
	): DemoAccount;
	close(): Promise<void>;
}

export function newApiKey(): string {
	return `msc_sk_${randomBytes(24).toString('base64url')}`;
}

export async function startSandbox(
	options: SandboxOptions = {},
	log: Logger = () => undefined,
): Promise<RunningSandbox> {
	const config = resolveConfig(options);
	const dbFile = config.db === ':memory:' ? ':memory:' : resolve(config.db);
	const store = new SandboxStore(dbFile);
	const relay = new Relay(config.upstream, config.domain, config.upstreamConnections);
	const service = new MscService(config, store, relay);

	const createAccount: RunningSandbox['createAccount'] = (
		name,
		identities,
		apiKey = newApiKey(),
	) => {
		const account = store.createAccount(name, config.domain, apiKey);
		const created = identities.map((identity) =>
			store.createIdentity(account.id, identity.name, identity.address, identity.verified),
		);
		return { account, apiKey, identities: created };
	};

	let demo: DemoAccount | undefined;
	if (config.demo.enabled) {
		const known = config.demo.apiKey ? store.accountByApiKey(config.demo.apiKey) : undefined;
		if (!known && (store.accountCount() === 0 || config.demo.apiKey)) {
			demo = createAccount(
				config.demo.accountName,
				config.demo.identities,
				config.demo.apiKey || newApiKey(),
			);
		}
	}

	const api = createApiServer(service, config, log);
	const inbound = createInboundServer(service, config, log);
	try {
		await listen(api, config.port, config.host);
		await listen(inbound.server as unknown as Server, config.smtpPort, config.host);
	} catch (error) {
		api.close();
		inbound.close(() => undefined);
		await relay.close();
		store.close();
		throw error;
	}
	// Recipients refused for now are tried again on the configured schedule.
	const retryTimer = setInterval(() => {
		service
			.retryDue()
			.catch((error: Error) => log(`retry of deferred recipients failed: ${error.message}`));
	}, config.retry.checkSeconds * 1000);
	retryTimer.unref();
	const apiPort = (api.address() as AddressInfo).port;
	const smtpPort = ((inbound.server as unknown as Server).address() as AddressInfo).port;
	const urlHost = config.host.includes(':') ? `[${config.host}]` : config.host;

	let closed = false;
	return {
		config,
		apiUrl: `http://${urlHost}:${apiPort}`,
		apiPort,
		smtpHost: config.host,
		smtpPort,
		demo,
		store,
		service,
		createAccount,
		async close() {
			if (closed) return;
			closed = true;
			clearInterval(retryTimer);
			await Promise.all([
				new Promise<void>((done) => {
					api.close(() => done());
					api.closeAllConnections();
				}),
				closeSmtp(inbound),
			]);
			await relay.close();
			store.close();
		},
	};
}

function listen(server: Server, port: number, host: string): Promise<void> {
	return new Promise((done, fail) => {
		const onError = (error: Error) => fail(error);
		server.once('error', onError);
		server.listen(port, host, () => {
			server.removeListener('error', onError);
			done();
		});
	});
}

function closeSmtp(server: SMTPServer): Promise<void> {
	return new Promise((done) => server.close(() => done()));
}
