/**
 * The command line of the MSC server (`delivery-channel-msc`, `npm run msc-sandbox`): defaults, then a
 * JSON config file (--config), then environment variables (MSC_*), then flags. A secret (the API key,
 * the relay's password) is best given by environment variable: flags are visible to every user of
 * the machine (ps).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { DemoIdentity, SandboxOptions, UpstreamSecurity } from './config';

export const USAGE = `Usage: delivery-channel-msc [options]
       (npx --package n8n-nodes-delivery-channel delivery-channel-msc; npm run msc-sandbox -- in a clone)

The MSC server: the API the Delivery Channel node's default channel (MSC Servers) sends through, a
relay to an SMTP server that delivers the mail, and an SMTP port that takes the bounce reports.

  --host ADDRESS          MSC_HOST           listen address of both ports (default 127.0.0.1;
                                             0.0.0.0 in a container)
  --port N                MSC_PORT           HTTP API port, the credential's Base URL (default 8025)
  --smtp-port N           MSC_SMTP_PORT      SMTP port for bounce reports (default 2526)
  --data-dir DIR          MSC_DATA_DIR       folder for its state: msc.sqlite and, when no key is
                                             given, api-key (default ~/.delivery-channel-msc)
  --db FILE               MSC_DB             the SQLite file itself (:memory: keeps nothing)
  --api-key KEY           MSC_API_KEY        the API key it expects (the n8n credential's API Key);
                                             without one, a key is made once and kept in
                                             <data dir>/api-key (mode 0600), never printed
  --identity ADDRESS      MSC_IDENTITIES     a sender address of the account, verified ("Name
                                             <address>" works too); repeat the flag, or separate
                                             the variable's addresses by commas
  --account-name NAME     MSC_ACCOUNT_NAME   the account's name (default Demo Company)
  --domain NAME           MSC_DOMAIN         the bounce domain: Return-Path bounce+<id>@NAME; its MX
                                             points here (default msc-sandbox.localhost)
  --relay HOST:PORT       MSC_RELAY          the SMTP server that delivers (default 127.0.0.1:1025)
  --relay-security S      MSC_RELAY_SECURITY starttls | tls | starttlsWhenOffered | none (default
                                             starttls; none only for a local mail catcher)
  --relay-user USER       MSC_RELAY_USER     login at the relay; its password only by environment:
                                             MSC_RELAY_PASSWORD
  --rate-limit N          MSC_RATE_LIMIT     API requests per second per account (default 50)
  --config FILE           MSC_CONFIG         JSON file with any setting (docs/msc-api.md)
  --no-demo                                  create no account
  --quiet                 MSC_QUIET=1        no line per request
  --help                                     this text

SIGTERM or SIGINT (Ctrl+C) stops it: the ports close and the database is closed.
`;

/** The old names of some flags (`npm run msc-sandbox` before the command was shipped). */
const ALIASES: Record<string, string> = {
	upstream: 'relay',
	'upstream-security': 'relay-security',
	'demo-api-key': 'api-key',
	'bounce-domain': 'domain',
};

const ENV: Record<string, string> = {
	host: 'MSC_HOST',
	port: 'MSC_PORT',
	'smtp-port': 'MSC_SMTP_PORT',
	'data-dir': 'MSC_DATA_DIR',
	db: 'MSC_DB',
	'api-key': 'MSC_API_KEY',
	identity: 'MSC_IDENTITIES',
	'account-name': 'MSC_ACCOUNT_NAME',
	domain: 'MSC_DOMAIN',
	relay: 'MSC_RELAY',
	'relay-security': 'MSC_RELAY_SECURITY',
	'relay-user': 'MSC_RELAY_USER',
	'relay-password': 'MSC_RELAY_PASSWORD',
	'rate-limit': 'MSC_RATE_LIMIT',
	config: 'MSC_CONFIG',
	quiet: 'MSC_QUIET',
};

const SWITCHES = new Set(['help', 'no-demo', 'quiet']);

export type CommandOptions = SandboxOptions & {
	help?: boolean;
	quiet?: boolean;
	/** Identities given by --identity / MSC_IDENTITIES: kept on the account, verified, on every start. */
	identities?: DemoIdentity[];
};

/** "Jane Doe <jane@example.com>" or "jane@example.com". */
export function parseIdentity(text: string): DemoIdentity {
	const match = /^\s*(?:"?([^"<]*?)"?\s*<([^<>\s]+@[^<>\s]+)>|([^<>\s",]+@[^<>\s",]+))\s*$/.exec(
		text,
	);
	if (!match)
		throw new Error(
			`--identity must be an address or "Name <address>", got ${JSON.stringify(text)}`,
		);
	const address = (match[2] ?? match[3]).toLowerCase();
	return { name: match[1]?.trim() || address.split('@')[0], address, verified: true };
}

function readFlags(argv: string[]): Map<string, string | true> {
	const flags = new Map<string, string | true>();
	for (let index = 0; index < argv.length; index++) {
		const arg = argv[index];
		if (!arg.startsWith('--')) throw new Error(`Unexpected argument: ${arg}\n\n${USAGE}`);
		const [given, inline] = arg.slice(2).split(/=(.*)/s, 2);
		const name = ALIASES[given] ?? given;
		if (SWITCHES.has(name)) {
			flags.set(name, true);
			continue;
		}
		if (!(name in ENV) || name === 'relay-password')
			throw new Error(`Unknown option: --${given}\n\n${USAGE}`);
		const value = inline ?? argv[++index];
		if (value === undefined) throw new Error(`--${given} needs a value\n\n${USAGE}`);
		// --identity may be repeated; every other flag takes its last value.
		const before = flags.get(name);
		flags.set(
			name,
			name === 'identity' && typeof before === 'string' ? `${before}\n${value}` : value,
		);
	}
	return flags;
}

/**
 * Reads --config first, then the environment, then the other flags on top of them. `env` is the
 * process's environment for the command (none by default, so a caller's own MSC_* stay out).
 */
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = {}): CommandOptions {
	const flags = readFlags(argv);
	if (flags.has('help')) return { help: true };
	const text = (name: string): string | undefined => {
		const flag = flags.get(name);
		if (typeof flag === 'string') return flag;
		const value = env[ENV[name]];
		return value === undefined || value === '' ? undefined : value;
	};
	const number = (name: string): number | undefined => {
		const value = text(name);
		if (value === undefined) return undefined;
		const parsed = Number(value);
		if (!Number.isFinite(parsed))
			throw new Error(`--${name} (${ENV[name]}) must be a number, got ${JSON.stringify(value)}`);
		return parsed;
	};

	let options: SandboxOptions = {};
	const file = text('config');
	if (file) {
		try {
			options = JSON.parse(readFileSync(resolve(file), 'utf8')) as SandboxOptions;
		} catch (error) {
			throw new Error(`Cannot read config file ${file}: ${(error as Error).message}`);
		}
	}
	const upstream = { ...options.upstream };
	const hostPort = text('relay');
	if (hostPort) {
		const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(hostPort);
		if (!match) throw new Error(`--relay must be HOST:PORT, got ${JSON.stringify(hostPort)}`);
		upstream.host = match[1];
		upstream.port = Number(match[2]);
	}
	if (text('relay-security')) upstream.security = text('relay-security') as UpstreamSecurity;
	if (text('relay-user')) upstream.user = text('relay-user');
	if (text('relay-password')) upstream.password = text('relay-password');

	const demo = { ...options.demo };
	if (text('api-key')) demo.apiKey = text('api-key');
	if (text('account-name')) demo.accountName = text('account-name');
	const identityList = text('identity')
		?.split(flags.has('identity') ? '\n' : ',')
		.filter((entry) => entry.trim());
	const identities = identityList?.map(parseIdentity);
	if (identities?.length) demo.identities = identities;
	if (flags.has('no-demo')) demo.enabled = false;

	const rateLimit = { ...options.rateLimit };
	const perSecond = number('rate-limit');
	if (perSecond !== undefined) {
		rateLimit.perSecond = perSecond;
		rateLimit.burst = Math.max(1, Math.ceil(2 * perSecond));
	}
	const dataDir = text('data-dir');
	return {
		...options,
		host: text('host') ?? options.host,
		port: number('port') ?? options.port,
		smtpPort: number('smtp-port') ?? options.smtpPort,
		db: text('db') ?? (dataDir ? join(resolve(dataDir), 'msc.sqlite') : options.db),
		domain: text('domain') ?? options.domain,
		upstream,
		demo,
		rateLimit,
		...(identities?.length ? { identities } : {}),
		...(flags.has('quiet') || ['1', 'true'].includes(env.MSC_QUIET ?? '') ? { quiet: true } : {}),
	};
}
