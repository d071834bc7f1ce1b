/**
 * The MSC server's settings and their defaults; the command line (a JSON config file, MSC_*
 * variables, flags) is read in args.ts. Everything listens on 127.0.0.1 unless told otherwise.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

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

/** Where the server keeps its state when no --data-dir / --db is given. */
export const DEFAULT_DATA_DIR = join(homedir(), '.delivery-channel-msc');

export const DEFAULT_CONFIG: SandboxConfig = {
	host: '127.0.0.1',
	port: 8025,
	smtpPort: 2526,
	domain: 'msc-sandbox.localhost',
	// Mail and any relay password never cross a network unencrypted unless the config says 'none'.
	upstream: { host: '127.0.0.1', port: 1025, security: 'starttls' },
	db: join(DEFAULT_DATA_DIR, 'msc.sqlite'),
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

export { parseArgs, USAGE } from './args';
