/** Types for the fake Google server in ./index.js (plain JS so the e2e runner and the bench use it too). */

export type FakeMethod = 'send' | 'list' | 'get' | 'sendAs' | 'profile' | '*';
export type FakeError =
	| 'rateLimit429'
	| 'userRateLimit403'
	| 'rateLimit403'
	| 'dailyLimit403'
	| 'sendingLimit429'
	| 'backend500'
	| 'unavailable503'
	| 'unauthenticated'
	/** No answer: the connection is dropped after `holdMs`, or held until the client gives up. */
	| 'noAnswer';

export interface FakeAlias {
	sendAsEmail: string;
	displayName?: string;
	verificationStatus: 'accepted' | 'pending';
}

export interface FakeGmailOptions {
	account?: { email?: string; displayName?: string };
	aliases?: FakeAlias[];
	clientId?: string;
	clientSecret?: string;
	/** Delay before every API / token answer. */
	latencyMs?: number;
	accessTokenTtlSec?: number;
	/** Per-user quota as a token bucket: `units` per `windowMs` (Google: 6,000 per 60,000 ms). */
	quota?: { units: number; windowMs: number };
	/** Sends accepted before the daily sending limit answers. */
	dailyLimit?: number;
	/** '403' dailyLimitExceeded (default) or '429' "Mail sending limit exceeded" with a Retry-After hours away. */
	dailyLimitStyle?: '403' | '429';
	/** Whether 429s carry a Retry-After header (default true); the message always says "Retry after <time>". */
	retryAfterHeader?: boolean;
	recipientFate?: (address: string) => 'delivered' | 'unknown' | 'full' | 'delay';
	/** A new message shows in searches (`q`) only this long after it was stored (Gmail's index lag). */
	searchLagMs?: number;
	bounceDelayMs?: number;
	/** Scopes of tokens issued by issueTokens() without arguments. */
	scopes?: string[];
	port?: number;
}

export interface FakeHeader {
	name: string;
	value: string;
}

export interface FakeMessage {
	id: string;
	threadId: string;
	labelIds: string[];
	raw: Buffer;
	headers: FakeHeader[];
	internalDate: number;
	bcc?: string[];
}

export interface FakeRequest {
	method: Exclude<FakeMethod, '*'>;
	at: number;
	upload: boolean;
	query: Record<string, string>;
	injected?: FakeError;
	outcome?: 'sent' | 'quota' | 'dailyLimit';
	messageId?: string;
	/** For the POST that started a resumable upload: the session it started. */
	uploadId?: string;
	/** The Host header the request arrived with (the fake's own address, or another name for it). */
	host: string;
	/** Whether it carried an Authorization header. */
	authorized: boolean;
	/** Bytes of the answer's body. */
	bytes: number;
}

export interface FakeInjectOptions {
	times?: number;
	retryAfterSec?: number;
	/** The fault comes after Google stored the message (sends only): it is in Sent, and then the error or silence. */
	stored?: boolean;
	/** For 'noAnswer': drop the connection after this long (default: hold it until the client gives up). */
	holdMs?: number;
}

export interface FakeRedirected {
	host: string;
	path: string;
	authorized: boolean;
	/** Bytes of the request body that arrived before the redirect. */
	bytes: number;
}

/** A fault for one resumable upload chunk PUT; see FakeGmail.failUploadChunk. */
export type FakeUploadFault = 'disconnect' | 'unavailable503' | 'backend500' | 'loseResponse';

/** A PUT to a resumable upload session URI. */
export interface FakeUploadRequest {
	uploadId: string;
	at: number;
	/** 'status' for `Content-Range: bytes *\/N` (an empty body asking what arrived). */
	kind: 'chunk' | 'status';
	contentRange: string | null;
	/** Body bytes that arrived (fewer than the chunk when the connection was broken). */
	bytes: number;
	/** The answer's status; null when the connection was closed instead. */
	status: number | null;
	fault?: FakeUploadFault;
}

export interface FakeUploadSession {
	id: string;
	/** X-Upload-Content-Length, when given. */
	declared: number | null;
	/** Bytes held. */
	size: number;
	/** Chunk PUTs received (status queries not counted). */
	chunks: number;
	/** The answer once the last byte arrived (200 with the message, or Google's error). */
	final: { status: number; body: unknown } | null;
	expired: boolean;
	record: FakeRequest;
	createdAt: number;
}

export interface OAuthTokenData {
	access_token: string;
	refresh_token: string;
	expires_in: number;
	scope: string;
	token_type: string;
	n8n_expires_at?: string;
}

export interface FakeGmail {
	url: string;
	apiBaseUrl: string;
	tokenUrl: string;
	authUrl: string;
	client: { id: string; secret: string };
	account: { email: string; displayName: string };
	aliases: FakeAlias[];
	state: {
		messages: FakeMessage[];
		tokenRequests: Array<{ grantType: string; at: number }>;
		requests: FakeRequest[];
		sendsToday: number;
		uploadSessions: Map<string, FakeUploadSession>;
		uploadRequests: FakeUploadRequest[];
		bytesOut: number;
		redirected: FakeRedirected[];
	};
	settings: {
		latencyMs: number;
		quota?: { units: number; windowMs: number };
		dailyLimit?: number;
		dailyLimitStyle: '403' | '429';
	};
	SCOPE: Record<'send' | 'readonly' | 'settingsBasic' | 'modify' | 'compose' | 'full', string>;
	issueTokens(scopes?: string[]): OAuthTokenData;
	expiredTokenData(scopes?: string[]): OAuthTokenData;
	expireAccessTokens(): void;
	revokeRefreshTokens(): void;
	inject(method: FakeMethod, error: FakeError, options?: FakeInjectOptions): void;
	injectRandom(
		method: FakeMethod,
		error: FakeError,
		rate: number,
		options?: { retryAfterSec?: number },
	): void;
	clearInjections(): void;
	/**
	 * Breaks one resumable upload chunk PUT: the next one, the `chunk`-th of its session (1-based), or
	 * 'last', the one carrying the last byte. 'disconnect' closes the connection after `afterBytes`
	 * bytes of it arrived (default 0; kept in whole 256 KiB); 'unavailable503' / 'backend500' keep
	 * nothing and answer the error (with `stored`: keep the chunk, send the message if it was the
	 * last, then answer the error); 'loseResponse' handles the chunk and closes the connection instead
	 * of answering.
	 */
	failUploadChunk(
		fault: FakeUploadFault,
		options?: { chunk?: number | 'last'; afterBytes?: number; stored?: boolean },
	): void;
	/** API requests arriving at the fake's own address are answered with `status` (307) to the same path at `to`. */
	redirectApi(options: { to: string; status?: number; times?: number }): void;
	/** Message-ID of every message in Sent, one entry per stored copy. */
	storedMessageIds(): string[];
	/** Google forgets every open upload session: PUTs to them answer 404. */
	expireUploadSessions(): void;
	addMessage(raw: string | Buffer, labelIds?: string[], internalDate?: number): FakeMessage;
	sent(): FakeMessage[];
	inbox(): FakeMessage[];
	header(fields: FakeHeader[], name: string): string | undefined;
	addresses(value: string | undefined): string[];
	close(): Promise<void>;
}

export function startFakeGmail(options?: FakeGmailOptions): Promise<FakeGmail>;
export function defaultRecipientFate(address: string): 'delivered' | 'unknown' | 'full' | 'delay';
export const SCOPE: FakeGmail['SCOPE'];
export function parseHeaders(raw: Buffer | string): FakeHeader[];
export function header(fields: FakeHeader[], name: string): string | undefined;
export function addresses(value: string | undefined): string[];
