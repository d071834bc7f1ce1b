/**
 * The sandbox's settings: defaults, then a JSON config file (--config), then command-line flags.
 * Everything listens on 127.0.0.1 unless told otherwise.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export type UpstreamSecurity = 'tls' | 'starttls' | 'starttlsWhenOffered' | 'none';

export interface UpstreamConfig {
	host: string;
	port: number;
	security: UpstreamSecurity;
	user?: string;
	password?: string;
	/** Accept a self-signed certificate from the upstream (a local test server). */
	allowSelfSigned?: boolean;
}

export interface DemoIdentity {
	name: string;
	address: string;
	verified: boolean;
}

export interface DemoConfig {
	/** Create the demo account on first start (or when `apiKey` is not known yet). */
	enabled: boolean;
	/** The demo account's API key; a random one is generated (and printed once) when empty. */
	apiKey?: string;
	accountName: string;
	identities: DemoIdentity[];
}

export interface SandboxConfig {
	/** Address both servers listen on. */
	host: string;
	/** HTTP API port (0 = any free port). */
	port: number;
	/** Inbound SMTP port for bounce reports (0 = any free port). */
	smtpPort: number;
	/** The sandbox's own domain: bounce addresses (bounce+<message id>@domain) and the default sending domain. */
	domain: string;
	/** Where every message is relayed (by default a local mail catcher). */
	upstream: UpstreamConfig;
	/** SQLite file; ':memory:' keeps nothing across restarts. */
	db: string;
	demo: DemoConfig;
	/** Requests per second per account before 429 (token bucket). */
	rateLimit: { perSecond: number; burst: number };
	/** Largest API request body, in bytes (attachments travel base64-encoded). */
	maxRequestBytes: number;
	/** Largest inbound report, in bytes: what comes after it is read and thrown away, then refused (552). */
	maxReportBytes: number;
	/** Report senders connected to the inbound port at once; one more is turned away (421). */
	maxInboundClients: number;
	/**
	 * A send request is answered within this many seconds of its arrival: when the upstream has not
	 * answered by then, the outcome is recorded as unknown (502 upstream-result-unknown), and a
	 * retry with the same key in the meantime is told how long is left (409, finishesWithin).
	 */
	sendDeadlineSeconds: number;
	/** Connections kept to the upstream. */
	upstreamConnections: number;
	/**
	 * Recipients the upstream refused for now (4xx) are tried again, as an MTA would: after each of
	 * `scheduleSeconds` in turn (the last one repeats) until `maxAgeSeconds` after the first attempt,
	 * when the delivery fails for good. Due retries are looked for every `checkSeconds`.
	 */
	retry: { scheduleSeconds: number[]; maxAgeSeconds: number; checkSeconds: number };
}

export const DEFAULT_CONFIG: SandboxConfig = {
	host: '127.0.0.1',
	port: 8025,
	smtpPort: 2526,
	domain: 'msc-sandbox.localhost',
	// Mail and any relay password never cross a network unencrypted unless the config says 'none'.
	upstream: { host: '127.0.0.1', port: 1025, security: 'starttls' },
	db: '.dev/msc-sandbox/sandbox.sqlite',
	demo: {
		enabled: true,
		accountName: 'Demo Company',
		identities: [
			{ name: 'Demo Sales', address: 'sales@demo-company.example', verified: true },
			{ name: 'Unverified Sender', address: 'unverified@demo-company.example', verified: false },
		],
	},
	rateLimit: { perSecond: 50, burst: 100 },
	maxRequestBytes: 40 * 1024 * 1024,
	maxReportBytes: 10 * 1024 * 1024,
	maxInboundClients: 20,
	sendDeadlineSeconds: 120,
	upstreamConnections: 5,
	retry: {
		scheduleSeconds: [60, 300, 900, 1800, 3600],
		maxAgeSeconds: 24 * 3600,
		checkSeconds: 15,
	},
};

export type SandboxOptions = Partial<
	Omit<SandboxConfig, 'upstream' | 'demo' | 'rateLimit' | 'retry'>
> & {
	upstream?: Partial<UpstreamConfig>;
	demo?: Partial<DemoConfig>;
	rateLimit?: Partial<SandboxConfig['rateLimit']>;
	retry?: Partial<SandboxConfig['retry']>;
};

/** Defaults, overridden field by field (nested objects are merged, not replaced). */
export function resolveConfig(options: SandboxOptions = {}): SandboxConfig {
	const config: SandboxConfig = {
		...DEFAULT_CONFIG,
		...stripUndefined(options),
		upstream: { ...DEFAULT_CONFIG.upstream, ...stripUndefined(options.upstream ?? {}) },
		demo: { ...DEFAULT_CONFIG.demo, ...stripUndefined(options.demo ?? {}) },
		rateLimit: { ...DEFAULT_CONFIG.rateLimit, ...stripUndefined(options.rateLimit ?? {}) },
		retry: { ...DEFAULT_CONFIG.retry, ...stripUndefined(options.retry ?? {}) },
	};
	validate(config);
	return config;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
	return Object.fromEntries(
		Object.entries(value).filter(([, entry]) => entry !== undefined),
	) as Partial<T>;
}

function validate(config: SandboxConfig): void {
	for (const [name, port] of [
		['port', config.port],
		['smtp-port', config.smtpPort],
		['upstream port', config.upstream.port],
	] as const) {
		if (!Number.isInteger(port) || port < 0 || port > 65535)
			throw new Error(`Invalid ${name}: ${JSON.stringify(port)}`);
	}
	if (!/^[a-z0-9.-]+$/i.test(config.domain) || !config.domain.includes('.')) {
		throw new Error(
			`Invalid domain: ${JSON.stringify(config.domain)} (use a name like msc-sandbox.localhost)`,
		);
	}
	if (!['tls', 'starttls', 'starttlsWhenOffered', 'none'].includes(config.upstream.security)) {
		throw new Error(`Invalid upstream security: ${JSON.stringify(config.upstream.security)}`);
	}
	if (!(config.rateLimit.perSecond > 0) || !(config.rateLimit.burst >= 1)) {
		throw new Error('rateLimit.perSecond must be > 0 and rateLimit.burst >= 1');
	}
	for (const [name, value] of [
		['maxReportBytes', config.maxReportBytes],
		['maxInboundClients', config.maxInboundClients],
		['sendDeadlineSeconds', config.sendDeadlineSeconds],
	] as const) {
		if (!(typeof value === 'number' && value > 0 && Number.isFinite(value)))
			throw new Error(`${name} must be a positive number, got ${JSON.stringify(value)}`);
	}
	const { scheduleSeconds, maxAgeSeconds, checkSeconds } = config.retry;
	if (
		!Array.isArray(scheduleSeconds) ||
		scheduleSeconds.length === 0 ||
		!scheduleSeconds.every((seconds) => typeof seconds === 'number' && seconds > 0)
	) {
		throw new Error(
			`retry.scheduleSeconds must be a non-empty list of positive numbers, got ${JSON.stringify(scheduleSeconds)}`,
		);
	}
	if (!(maxAgeSeconds > 0) || !(checkSeconds > 0)) {
		throw new Error(
			`retry.maxAgeSeconds and retry.checkSeconds must be positive, got ${JSON.stringify({ maxAgeSeconds, checkSeconds })}`,
		);
	}
}

export const USAGE = `Usage: npm run msc-sandbox -- [options]

  --config FILE          JSON file with any of the settings below (flags win)
  --host ADDRESS         listen address for the API and the inbound SMTP port (default 127.0.0.1)
  --port N               HTTP API port (default 8025)
  --smtp-port N          inbound SMTP port for bounce reports (default 2526)
  --upstream HOST:PORT   where messages are relayed (default 127.0.0.1:1025, a local mail catcher)
  --upstream-security S  starttls | tls | starttlsWhenOffered | none (default starttls; a local
                         mail catcher without TLS needs none)
  --db FILE              SQLite database (default .dev/msc-sandbox/sandbox.sqlite; :memory: keeps nothing)
  --domain NAME          the sandbox's domain: bounce addresses and sending domain (default msc-sandbox.localhost)
  --demo-api-key KEY     API key of the demo account created on first start (default: random, printed once)
  --no-demo              do not create the demo account
  --rate-limit N         requests per second per account before 429 (default 50)
  --help                 this text
`;

/** Reads --config first, then applies the other flags on top of it. */
export function parseArgs(argv: string[]): SandboxOptions & { help?: boolean } {
	const flags = new Map<string, string | true>();
	for (let index = 0; index < argv.length; index++) {
		const arg = argv[index];
		if (!arg.startsWith('--')) throw new Error(`Unexpected argument: ${arg}\n\n${USAGE}`);
		const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
		if (['help', 'no-demo'].includes(name)) {
			flags.set(name, true);
			continue;
		}
		const value = inline ?? argv[++index];
		if (value === undefined) throw new Error(`--${name} needs a value\n\n${USAGE}`);
		flags.set(name, value);
	}
	if (flags.has('help')) return { help: true };

	let options: SandboxOptions = {};
	const file = flags.get('config');
	if (typeof file === 'string') {
		try {
			options = JSON.parse(readFileSync(resolve(file), 'utf8')) as SandboxOptions;
		} catch (error) {
			throw new Error(`Cannot read config file ${file}: ${(error as Error).message}`);
		}
	}
	const number = (name: string): number | undefined => {
		const value = flags.get(name);
		if (value === undefined) return undefined;
		const parsed = Number(value);
		if (!Number.isFinite(parsed))
			throw new Error(`--${name} must be a number, got ${JSON.stringify(value)}`);
		return parsed;
	};
	const text = (name: string): string | undefined => {
		const value = flags.get(name);
		return typeof value === 'string' ? value : undefined;
	};
	const upstream = { ...options.upstream };
	const hostPort = text('upstream');
	if (hostPort) {
		const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(hostPort);
		if (!match) throw new Error(`--upstream must be HOST:PORT, got ${JSON.stringify(hostPort)}`);
		upstream.host = match[1];
		upstream.port = Number(match[2]);
	}
	if (text('upstream-security')) upstream.security = text('upstream-security') as UpstreamSecurity;
	const demo = { ...options.demo };
	if (text('demo-api-key')) demo.apiKey = text('demo-api-key');
	if (flags.has('no-demo')) demo.enabled = false;
	const rateLimit = { ...options.rateLimit };
	if (number('rate-limit') !== undefined) {
		rateLimit.perSecond = number('rate-limit');
		rateLimit.burst = Math.max(1, Math.ceil(2 * number('rate-limit')!));
	}
	return {
		...options,
		host: text('host') ?? options.host,
		port: number('port') ?? options.port,
		smtpPort: number('smtp-port') ?? options.smtpPort,
		db: text('db') ?? options.db,
		domain: text('domain') ?? options.domain,
		upstream,
		demo,
		rateLimit,
	};
}
