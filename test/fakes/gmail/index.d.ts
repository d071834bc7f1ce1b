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
	| 'unauthenticated';

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
	state: { messages: FakeMessage[]; tokenRequests: Array<{ grantType: string; at: number }>; requests: FakeRequest[]; sendsToday: number };
	settings: { latencyMs: number; quota?: { units: number; windowMs: number }; dailyLimit?: number; dailyLimitStyle: '403' | '429' };
	SCOPE: Record<'send' | 'readonly' | 'settingsBasic' | 'modify' | 'compose' | 'full', string>;
	issueTokens(scopes?: string[]): OAuthTokenData;
	expiredTokenData(scopes?: string[]): OAuthTokenData;
	expireAccessTokens(): void;
	revokeRefreshTokens(): void;
	inject(method: FakeMethod, error: FakeError, options?: { times?: number; retryAfterSec?: number }): void;
	injectRandom(method: FakeMethod, error: FakeError, rate: number, options?: { retryAfterSec?: number }): void;
	clearInjections(): void;
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
