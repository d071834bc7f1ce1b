/**
 * A fake Microsoft identity platform (Entra ID) for tests, on a free port of 127.0.0.1:
 *
 *   POST {url}/{tenant}/oauth2/v2.0/token       authorization_code and refresh_token grants, form
 *                                                 encoded, client secret in the form or as HTTP Basic;
 *                                                 Microsoft's answers and errors (see errors.ts)
 *   GET  {url}/{tenant}/oauth2/v2.0/authorize   signs `login_hint` (or signInAs) in without a page and
 *                                                 redirects back with ?code=&state= (n8n's Connect)
 *   POST {url}/introspect  token=...            RFC 7662; also GET ?token=... and GET with a Bearer
 *                                                 header: Dovecot's introspection_mode post, get, auth
 *
 * {tenant} is common, organizations, consumers, the tenant id or a tenant domain. Access tokens and
 * refresh tokens are opaque. A refresh token is issued when the scope includes offline_access.
 *
 *   const idp = await startMicrosoftIdentity({ user: 'sales@example.test' });
 *   const tokens = await idp.signIn();        // authorize + code redemption, as after Connect
 *   idp.expireAccessTokens();                 // or { inSeconds: 5 }; idp.revoke() for invalid_grant
 *   const again = await idp.refresh(tokens.refresh_token!);
 *   idp.issuedTokens();                       // every access and refresh token so far (secret scans)
 *   await idp.stop();
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import type { MicrosoftErrorBody } from './errors';
import { GrantStore, type FakeClient, type RevokeReason, type TokenSet } from './grants';
import { handler, type ServerState, type TokenRequestRecord } from './server';

export type { MicrosoftErrorBody, TokenSet, TokenRequestRecord, FakeClient, RevokeReason };

/** The scopes a Microsoft 365 mailbox needs for SMTP AUTH and IMAP with OAuth2. */
export const OUTLOOK_SCOPES = [
	'offline_access',
	'https://outlook.office.com/SMTP.Send',
	'https://outlook.office.com/IMAP.AccessAsUser.All',
];

export interface MicrosoftIdentityOptions {
	/** Who signs in at /authorize when the request has no login_hint (default: nobody). */
	user?: string;
	/** The registered app (default: a random client id and secret; any redirect URI accepted). */
	client?: Partial<FakeClient>;
	/** expires_in of the access tokens issued (default 3599, as Microsoft usually answers). */
	accessTokenLifetimeSeconds?: number;
	tenantId?: string;
	/** Tenant names answered besides common, organizations, consumers and the id (default example.test). */
	tenantDomains?: string[];
	port?: number;
}

export interface TokenEndpointAnswer {
	status: number;
	body: TokenSet | MicrosoftErrorBody;
}

export interface MicrosoftIdentity {
	/** http://127.0.0.1:port */
	url: string;
	tenantId: string;
	client: FakeClient;
	/** The redirect URI signIn() uses (any is accepted unless the client registered some). */
	redirectUri: string;
	tokenUrl(tenant?: string): string;
	authorizeUrl(tenant?: string): string;
	/** For Dovecot's oauth2 passdb (introspection_mode = post). */
	introspectionUrl: string;
	/** Who signs in at /authorize without a login_hint. */
	signInAs: string | undefined;
	/** The next /authorize ends with error=access_denied (AADSTS65004). */
	declineConsentOnce(): void;
	/** Over HTTP: /authorize for `user` (default signInAs), then the code redeemed. Throws on an error answer. */
	signIn(options?: { user?: string; scopes?: string[]; tenant?: string }): Promise<TokenSet>;
	/** Over HTTP: grant_type=refresh_token with the app's credentials; the answer as it came. */
	refresh(
		refreshToken: string,
		options?: { scope?: string; tenant?: string },
	): Promise<TokenEndpointAnswer>;
	/** Over HTTP: a token request with exactly these form fields. */
	tokenRequest(form: Record<string, string>, tenant?: string): Promise<TokenEndpointAnswer>;
	/**
	 * Revokes the grants of `user` (default: all): refresh tokens then get invalid_grant (AADSTS50173;
	 * reason 'inactive' gives 700082, 'consent' 65001), and access tokens stop working at once, as
	 * Exchange Online enforces a revoked session (continuous access evaluation).
	 */
	revoke(options?: { user?: string; reason?: RevokeReason }): number;
	/** Access tokens issued so far (of `user`, default all) expire `inSeconds` from now (default 0). */
	expireAccessTokens(options?: { user?: string; inSeconds?: number }): number;
	/** expires_in of the tokens issued from now on. */
	setAccessTokenLifetime(seconds: number): void;
	/** Every access and refresh token issued so far (for a secret scan of what saw them). */
	issuedTokens(): { accessTokens: string[]; refreshTokens: string[] };
	/** Requests to the token endpoint so far, in order (the count is its length). */
	readonly tokenRequests: readonly TokenRequestRecord[];
	readonly authorizeRequests: number;
	readonly introspectionRequests: number;
	stop(): Promise<void>;
}

export async function startMicrosoftIdentity(
	options: MicrosoftIdentityOptions = {},
): Promise<MicrosoftIdentity> {
	const store = new GrantStore(options.accessTokenLifetimeSeconds ?? 3599);
	const client: FakeClient = {
		clientId: options.client?.clientId ?? randomUUID(),
		clientSecret: options.client?.clientSecret ?? randomBytes(24).toString('base64url'),
		redirectUris: options.client?.redirectUris ?? [],
	};
	store.addClient(client);
	const state: ServerState = {
		store,
		tenantId: options.tenantId ?? randomUUID(),
		tenantDomains: options.tenantDomains ?? ['example.test'],
		signInAs: options.user,
		declineConsent: false,
		tokenRequests: [],
		authorizeRequests: 0,
		introspectionRequests: 0,
	};
	const server: Server = createServer(handler(state));
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
	});
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	const redirectUri =
		client.redirectUris[0] ?? 'http://localhost:5678/rest/oauth2-credential/callback';
	const tokenUrl = (tenant = 'common') => `${url}/${tenant}/oauth2/v2.0/token`;

	async function tokenRequest(
		form: Record<string, string>,
		tenant?: string,
	): Promise<TokenEndpointAnswer> {
		const response = await fetch(tokenUrl(tenant), {
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams(form).toString(),
		});
		return {
			status: response.status,
			body: (await response.json()) as TokenEndpointAnswer['body'],
		};
	}

	const identity: MicrosoftIdentity = {
		url,
		tenantId: state.tenantId,
		client,
		redirectUri,
		tokenUrl,
		authorizeUrl: (tenant = 'common') => `${url}/${tenant}/oauth2/v2.0/authorize`,
		introspectionUrl: `${url}/introspect`,
		get signInAs() {
			return state.signInAs;
		},
		set signInAs(user: string | undefined) {
			state.signInAs = user;
		},
		declineConsentOnce() {
			state.declineConsent = true;
		},
		async signIn({ user, scopes = OUTLOOK_SCOPES, tenant } = {}) {
			const query = new URLSearchParams({
				client_id: client.clientId,
				response_type: 'code',
				redirect_uri: redirectUri,
				response_mode: 'query',
				scope: scopes.join(' '),
				state: randomUUID(),
			});
			if (user) query.set('login_hint', user);
			const answer = await fetch(`${identity.authorizeUrl(tenant)}?${query}`, {
				redirect: 'manual',
			});
			const location = new URL(answer.headers.get('location') ?? 'about:blank');
			const code = location.searchParams.get('code');
			if (!code) {
				throw new Error(
					`authorize answered ${answer.status}: ${location.searchParams.get('error_description') ?? (await answer.text())}`,
				);
			}
			const result = await tokenRequest(
				{
					grant_type: 'authorization_code',
					code,
					redirect_uri: redirectUri,
					client_id: client.clientId,
					client_secret: client.clientSecret,
				},
				tenant,
			);
			if (result.status !== 200)
				throw new Error(`token endpoint answered ${result.status}: ${JSON.stringify(result.body)}`);
			return result.body as TokenSet;
		},
		async refresh(refreshToken, { scope, tenant } = {}) {
			const form: Record<string, string> = {
				grant_type: 'refresh_token',
				refresh_token: refreshToken,
				client_id: client.clientId,
				client_secret: client.clientSecret,
			};
			if (scope) form.scope = scope;
			return await tokenRequest(form, tenant);
		},
		tokenRequest,
		revoke: ({ user, reason = 'revoked' } = {}) => store.revoke({ user }, reason),
		expireAccessTokens: ({ user, inSeconds = 0 } = {}) =>
			store.expireAccessTokens({ user }, inSeconds),
		setAccessTokenLifetime(seconds) {
			store.accessTokenLifetimeSeconds = seconds;
		},
		issuedTokens: () => store.issuedTokens(),
		get tokenRequests() {
			return state.tokenRequests;
		},
		get authorizeRequests() {
			return state.authorizeRequests;
		},
		get introspectionRequests() {
			return state.introspectionRequests;
		},
		async stop() {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
	return identity;
}
