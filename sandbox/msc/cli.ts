#!/usr/bin/env node
/**
 * The MSC server's command: `delivery-channel-msc` (the package's bin) and `npm run msc-sandbox`.
 * Runs until SIGTERM or SIGINT. It prints where it listens and where its key is kept, never a
 * secret: the API key is given (MSC_API_KEY) or made once into <data dir>/api-key (mode 0600).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { parseArgs, USAGE, type CommandOptions } from './args';
import { startSandbox, type RunningSandbox } from './server';

const NAME = 'delivery-channel-msc';

/** Where the key came from, for the startup lines (never the key itself). */
interface KeySource {
	apiKey: string;
	from: string;
}

/**
 * The key the server expects: the one given, else the one kept in the data folder (made there with
 * mode 0600 on the first start). Undefined with --no-demo (accounts already in the database).
 */
export function resolveApiKey(
	options: CommandOptions,
	env: NodeJS.ProcessEnv,
): KeySource | undefined {
	if (options.demo?.enabled === false) return undefined;
	if (options.demo?.apiKey) {
		const from = env.MSC_API_KEY === options.demo.apiKey ? 'MSC_API_KEY' : 'the settings';
		return { apiKey: options.demo.apiKey, from };
	}
	if (!options.db || options.db === ':memory:') {
		throw new Error(
			'With --db :memory: give the API key it should expect (MSC_API_KEY): there is no folder to keep a made one in',
		);
	}
	const file = join(dirname(resolve(options.db)), 'api-key');
	if (!existsSync(file)) {
		mkdirSync(dirname(file), { recursive: true });
		const made = `msc_sk_${randomBytes(24).toString('base64url')}`;
		writeFileSync(file, `${made}\n`, { mode: 0o600, flag: 'wx' });
	}
	const apiKey = readFileSync(file, 'utf8').trim();
	if (!apiKey)
		throw new Error(`${file} is empty: delete it to have a new key made, or set MSC_API_KEY`);
	return { apiKey, from: `${file} (put it into the credential's API Key)` };
}

/** Identities given on the command line are on the key's account and verified, on every start. */
function keepIdentities(
	sandbox: RunningSandbox,
	options: CommandOptions,
	apiKey: string | undefined,
): void {
	const account = apiKey ? sandbox.store.accountByApiKey(apiKey) : undefined;
	if (!account || !options.identities) return;
	for (const wanted of options.identities) {
		const known = sandbox.store.identity(account.id, wanted.address);
		if (!known) sandbox.store.createIdentity(account.id, wanted.name, wanted.address, true);
		else if (!known.verified) sandbox.store.setVerified(known.id, true);
	}
}

function startupLines(sandbox: RunningSandbox, key: KeySource | undefined): string[] {
	const { config } = sandbox;
	const account = key ? sandbox.store.accountByApiKey(key.apiKey) : undefined;
	const identities = account
		? sandbox.store
				.identities(account.id)
				.map((identity) => `${identity.address}${identity.verified ? '' : ' (not verified)'}`)
		: [];
	const relay = config.upstream;
	return [
		`MSC server listening: API ${sandbox.apiUrl}, bounce reports by SMTP on ${sandbox.smtpHost}:${sandbox.smtpPort}`,
		`  relay     ${relay.host}:${relay.port} (${relay.security}${relay.user ? ', with a login' : ''})`,
		`  bounces   Return-Path bounce+<message id>@${config.domain} (its MX must point at this host)`,
		`  data      ${config.db === ':memory:' ? ':memory: (nothing is kept)' : config.db}`,
		key
			? `  API key   from ${key.from}; account "${account?.name ?? '?'}"`
			: '  API key   none made (--no-demo): the accounts already in the database',
		...(account ? [`  senders   ${identities.join(', ') || 'none yet (--identity)'}`] : []),
	];
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
	let options: CommandOptions;
	let key: KeySource | undefined;
	try {
		options = parseArgs(argv, env);
		if (options.help) {
			process.stdout.write(USAGE);
			return;
		}
		key = resolveApiKey(options, env);
	} catch (error) {
		process.stderr.write(`${NAME}: ${(error as Error).message}\n`);
		process.exitCode = 2;
		return;
	}
	const log = (line: string) => {
		if (!options.quiet) process.stdout.write(`[msc] ${new Date().toISOString()} ${line}\n`);
	};
	const sandbox = await startSandbox(
		{ ...options, demo: { ...options.demo, ...(key ? { apiKey: key.apiKey } : {}) } },
		log,
	);
	keepIdentities(sandbox, options, key?.apiKey);
	process.stdout.write(`${startupLines(sandbox, key).join('\n')}\n`);

	let stopping = false;
	const stop = (signal: string) => {
		if (stopping) return;
		stopping = true;
		process.stdout.write(`${signal}: stopping the MSC server\n`);
		sandbox.close().then(
			() => {
				process.stdout.write('MSC server stopped\n');
				process.exit(0);
			},
			() => process.exit(1),
		);
	};
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
	main(process.argv.slice(2)).catch((error: unknown) => {
		process.stderr.write(
			`${NAME} failed to start: ${(error as Error)?.message ?? String(error)}\n`,
		);
		process.exit(1);
	});
}
