/**
 * Access to the Gmail API with n8n's stored OAuth token as the one source of truth.
 *
 * Calls go through the googleapis Gmail client with a google-auth-library OAuth2Client seeded from
 * the credential's `oauthTokenData`. The client is never given the refresh token or the client
 * secret: when the access token is about to expire (or Google answers 401), it asks n8n, through
 * `helpers.refreshOAuth2Token`, which refreshes at the credential's token URL, stores the new token
 * in the credential (so the next execution and every other node see it) and turns a revoked grant
 * (invalid_grant) into its "reconnect the credential" error. Letting the library refresh on its own
 * would leave the renewed token in memory only, and n8n would keep refreshing an outdated one.
 */
import { auth as googleAuth } from '@googleapis/gmail';
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { DeliveryError } from '../../../../core/errors';

export const GMAIL_CREDENTIAL = 'deliveryChannelGmailOAuth2Api';
export const DEFAULT_API_BASE_URL = 'https://gmail.googleapis.com';
export const READ_SCOPES = [
	'https://www.googleapis.com/auth/gmail.readonly',
	'https://www.googleapis.com/auth/gmail.modify',
	'https://mail.google.com/',
];

/** How to get read access to the mailbox, for a 403 on any call that reads it. */
export const READ_SCOPE_HINT =
	'Turn on "Read Mailbox for Failed Deliveries" in the Gmail credential and reconnect it, ' +
	'so it may read the mailbox (gmail.readonly).';

/** The part of an n8n context this module needs (execute, poll, load-options and test contexts all fit). */
export interface GmailHost {
	getCredentials(type: string, itemIndex?: number): Promise<ICredentialDataDecryptedObject>;
	helpers: object;
}

export interface TokenState {
	accessToken?: string;
	/** Epoch ms; undefined when n8n did not record when the token expires. */
	expiresAt?: number;
	grantedScopes?: string[];
}

const RECONNECT_HINT =
	'Open the Gmail credential in n8n and click "Sign in with Google" again (Reconnect). ' +
	'Someone may have removed access in the Google account, changed the password, or the grant expired.';

function epochMs(value: unknown): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const number = Number(value);
	if (Number.isFinite(number)) return number < 1e11 ? number * 1000 : number; // seconds or ms
	const parsed = Date.parse(String(value));
	return Number.isNaN(parsed) ? undefined : parsed;
}

/** Reads the token n8n stored ("oauthTokenData") without ever putting it in a message. */
export function tokenState(tokenData: IDataObject | undefined): TokenState {
	if (!tokenData || typeof tokenData !== 'object') return {};
	const accessToken =
		typeof tokenData.access_token === 'string' && tokenData.access_token
			? tokenData.access_token
			: undefined;
	const expiresAt =
		epochMs(tokenData.n8n_expires_at) ??
		epochMs(tokenData.expiry_date) ??
		epochMs(tokenData.expires_at) ??
		epochMs(tokenData.expires);
	const grantedScopes =
		typeof tokenData.scope === 'string' ? tokenData.scope.split(/\s+/).filter(Boolean) : undefined;
	return { accessToken, expiresAt, grantedScopes };
}

/** Loopback hosts: plain http stays on this machine there (a local proxy or test server). */
function isLoopback(hostname: string): boolean {
	const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
	return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function baseUrlError(message: string, hint?: string): DeliveryError {
	return new DeliveryError(message, {
		code: 'EINPUT',
		field: 'apiBaseUrl',
		hint: hint ?? `Use ${DEFAULT_API_BASE_URL}, or turn off Use Custom API Base URL.`,
		stopsBatch: true,
	});
}

/**
 * Where Gmail API requests (and the access token) go. Google's address unless the credential turns
 * on "Use Custom API Base URL"; a custom one must be https (plain http only on a loopback address),
 * without user info, so the token never crosses a network in clear or lands on a server by accident.
 */
export function apiBaseUrl(credentials: ICredentialDataDecryptedObject): string {
	if (credentials.useCustomApiBaseUrl !== true) return DEFAULT_API_BASE_URL;
	const raw = String(credentials.apiBaseUrl ?? '').trim();
	if (!raw)
		throw baseUrlError(
			'The API Base URL of the Gmail credential is empty while Use Custom API Base URL is on',
		);
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw baseUrlError(
			`The API Base URL of the Gmail credential is not a URL: ${JSON.stringify(raw.slice(0, 200))}`,
		);
	}
	if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
		throw baseUrlError(
			`The API Base URL of the Gmail credential must start with https://, got ${JSON.stringify(raw.slice(0, 200))}`,
			'The access token would travel unencrypted. Use https://, or http:// only for a server on this machine (localhost, 127.0.0.1, [::1]).',
		);
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		throw baseUrlError(
			`The API Base URL of the Gmail credential must start with https://, got ${JSON.stringify(raw.slice(0, 200))}`,
		);
	}
	if (url.username || url.password) {
		throw baseUrlError(
			'The API Base URL of the Gmail credential must not contain a user name or password',
			'Remove the "user:password@" part; the Gmail credential signs requests with its OAuth token.',
		);
	}
	if (url.search || url.hash) {
		throw baseUrlError(
			`The API Base URL of the Gmail credential must not contain a query or fragment, got ${JSON.stringify(raw.slice(0, 200))}`,
		);
	}
	return url.toString().replace(/\/+$/, '');
}

export function reconnectError(detail: string, cause?: unknown): DeliveryError {
	return new DeliveryError(`The Gmail credential needs to be reconnected: ${detail}`, {
		code: 'EAUTH',
		hint: RECONNECT_HINT,
		stopsBatch: true,
		cause,
	});
}

function describeRefreshFailure(error: unknown): DeliveryError {
	const failure = error as {
		message?: string;
		body?: { error?: string; error_description?: string };
		description?: string;
	};
	const body = failure?.body;
	const text = `${failure?.message ?? ''} ${failure?.description ?? ''}`;
	if (body?.error === 'invalid_grant' || /invalid_grant|reconnected|revoked/i.test(text)) {
		return reconnectError(
			'Google no longer accepts its refresh token (invalid_grant: revoked or expired)',
			error,
		);
	}
	if (body?.error === 'invalid_client' || /invalid_client/i.test(text)) {
		return new DeliveryError(
			'Google refused the Client ID or Client Secret of the Gmail credential (invalid_client)',
			{
				code: 'EAUTH',
				hint: 'Check the Client ID and Client Secret against the OAuth client in Google Cloud Console, then reconnect the credential.',
				stopsBatch: true,
				cause: error,
			},
		);
	}
	// Only the library's message: the request (with the refresh token) is never echoed.
	const reason = body?.error
		? `${body.error}${body.error_description ? `: ${body.error_description}` : ''}`
		: (failure?.message ?? 'unknown error').split('\n')[0];
	return new DeliveryError(`Could not renew the Gmail access token (${reason})`, {
		code: 'EAUTH',
		retryable: false,
		hint: RECONNECT_HINT,
		stopsBatch: true,
		cause: error,
	});
}

/**
 * The OAuth2Client of the google-auth-library the Gmail client itself is built on (googleapis-common
 * carries its own copy), so the client recognises it as one of its auth clients.
 */
type OAuth2Client = InstanceType<typeof googleAuth.OAuth2>;

type RefreshHelper = (this: GmailHost, credentialType: string) => Promise<IDataObject>;

/** One OAuth2Client per execution whose refreshes go through n8n. */
export class N8nTokenAuth {
	readonly client: OAuth2Client;
	private refreshing?: Promise<void>;
	private state: TokenState;

	constructor(
		private readonly host: GmailHost,
		tokenData: IDataObject | undefined,
	) {
		this.state = tokenState(tokenData);
		if (!this.state.accessToken) {
			throw new DeliveryError('The Gmail credential is not connected to a Google account yet', {
				code: 'EAUTH',
				hint: 'Open the Gmail credential in n8n and click "Sign in with Google".',
				stopsBatch: true,
			});
		}
		this.client = new googleAuth.OAuth2({ eagerRefreshThresholdMillis: 60_000 });
		this.client.refreshHandler = async () => {
			await this.refresh(this.client.credentials.access_token ?? undefined);
			return { access_token: this.state.accessToken!, expiry_date: this.expiry() };
		};
		this.apply();
	}

	get grantedScopes(): string[] | undefined {
		return this.state.grantedScopes;
	}

	get accessToken(): string | undefined {
		return this.state.accessToken;
	}

	/**
	 * Gets a new access token through n8n, unless another request already did since `usedToken` went
	 * out. Concurrent callers share one refresh.
	 */
	async refresh(usedToken?: string): Promise<void> {
		if (usedToken && usedToken !== this.state.accessToken) return;
		this.refreshing ??= this.doRefresh().finally(() => {
			this.refreshing = undefined;
		});
		await this.refreshing;
	}

	private async doRefresh(): Promise<void> {
		const helper = (this.host.helpers as { refreshOAuth2Token?: RefreshHelper }).refreshOAuth2Token;
		if (typeof helper !== 'function') {
			throw new DeliveryError(
				'This n8n version cannot renew OAuth tokens for community nodes (helpers.refreshOAuth2Token is missing)',
				{
					code: 'EAUTH',
					hint: 'Update n8n to 2.x, or reconnect the Gmail credential to get a fresh access token.',
					stopsBatch: true,
				},
			);
		}
		let data: IDataObject;
		try {
			data = await helper.call(this.host, GMAIL_CREDENTIAL);
		} catch (error) {
			throw describeRefreshFailure(error);
		}
		const next = tokenState(data);
		if (!next.accessToken) throw reconnectError('Google returned no access token');
		this.state = { ...next, grantedScopes: next.grantedScopes ?? this.state.grantedScopes };
		this.apply();
	}

	/** An unknown expiry counts as an hour away: a 401 still triggers a refresh through `refresh()`. */
	private expiry(): number {
		return this.state.expiresAt ?? Date.now() + 3_600_000;
	}

	private apply(): void {
		// Always with an expiry date: without one, google-auth-library would also "refresh" on every
		// 403, and Gmail's rate limits are 403s.
		this.client.setCredentials({
			access_token: this.state.accessToken,
			expiry_date: this.expiry(),
			token_type: 'Bearer',
		});
	}
}
