/**
 * What the fake Microsoft identity platform remembers: registered apps, authorization codes, grants
 * (one per sign-in of a user to an app), and the access and refresh tokens issued under each grant.
 * No HTTP here: server.ts turns requests into calls of this store, and the test controls (revoke,
 * expire) act on it directly.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

export interface FakeClient {
	clientId: string;
	clientSecret: string;
	/** Redirect URIs registered for the app; empty: any is accepted. */
	redirectUris: string[];
}

export interface AuthorizationCode {
	code: string;
	clientId: string;
	user: string;
	scopes: string[];
	redirectUri: string;
	codeChallenge?: string;
	codeChallengeMethod?: string;
	expiresAt: number;
	redeemed: boolean;
}

export type RevokeReason = 'revoked' | 'inactive' | 'consent';

export interface Grant {
	id: string;
	clientId: string;
	user: string;
	scopes: string[];
	issuedAt: Date;
	revoked?: { at: Date; reason: RevokeReason };
}

export interface AccessToken {
	token: string;
	grantId: string;
	issuedAt: number;
	expiresAt: number;
}

/** One answer of the token endpoint that issued tokens. */
export interface TokenSet {
	token_type: 'Bearer';
	scope: string;
	expires_in: number;
	ext_expires_in: number;
	access_token: string;
	refresh_token?: string;
}

export interface Introspection {
	active: boolean;
	/** The mailbox the token was issued for (also given for a token no longer active; never for one never issued). */
	username?: string;
	grant?: Grant;
	token?: AccessToken;
}

/** Scopes that ask for something other than access to a resource; not echoed in `scope`. */
const OIDC_SCOPES = new Set(['offline_access', 'openid', 'profile', 'email']);
const CODE_LIFETIME_MS = 10 * 60 * 1000;

function opaque(prefix: string, bytes: number): string {
	return prefix + randomBytes(bytes).toString('base64url');
}

export function splitScopes(scope: string | undefined): string[] {
	return (scope ?? '').split(/\s+/).filter(Boolean);
}

export class GrantStore {
	readonly clients = new Map<string, FakeClient>();
	private readonly codes = new Map<string, AuthorizationCode>();
	private readonly grants = new Map<string, Grant>();
	private readonly accessTokens = new Map<string, AccessToken>();
	private readonly refreshTokens = new Map<string, string>();

	constructor(public accessTokenLifetimeSeconds: number) {}

	addClient(client: FakeClient): void {
		this.clients.set(client.clientId, client);
	}

	newCode(input: Omit<AuthorizationCode, 'code' | 'expiresAt' | 'redeemed'>): string {
		const code = opaque('0.AX', 96);
		this.codes.set(code, {
			...input,
			code,
			expiresAt: Date.now() + CODE_LIFETIME_MS,
			redeemed: false,
		});
		return code;
	}

	code(code: string): AuthorizationCode | undefined {
		return this.codes.get(code);
	}

	static verifierMatches(code: AuthorizationCode, verifier: string | undefined): boolean {
		if (!code.codeChallenge) return true;
		if (!verifier) return false;
		if (code.codeChallengeMethod === 'S256') {
			return createHash('sha256').update(verifier).digest('base64url') === code.codeChallenge;
		}
		return verifier === code.codeChallenge;
	}

	/** A new grant for a redeemed code: its first tokens. */
	grantFor(code: AuthorizationCode): TokenSet {
		code.redeemed = true;
		const grant: Grant = {
			id: randomUUID(),
			clientId: code.clientId,
			user: code.user,
			scopes: code.scopes,
			issuedAt: new Date(),
		};
		this.grants.set(grant.id, grant);
		return this.issue(grant, grant.scopes);
	}

	/** The grant a refresh token belongs to, or undefined when it was never issued. */
	grantOfRefreshToken(refreshToken: string): Grant | undefined {
		const id = this.refreshTokens.get(refreshToken);
		return id === undefined ? undefined : this.grants.get(id);
	}

	/**
	 * New tokens under a grant. A refresh token is issued when the grant includes offline_access;
	 * earlier refresh tokens stay valid (Microsoft does not revoke a refresh token when it is used).
	 */
	issue(grant: Grant, scopes: string[]): TokenSet {
		const now = Date.now();
		const lifetime = this.accessTokenLifetimeSeconds;
		const access: AccessToken = {
			token: opaque('EwB', 160),
			grantId: grant.id,
			issuedAt: now,
			expiresAt: now + lifetime * 1000,
		};
		this.accessTokens.set(access.token, access);
		const set: TokenSet = {
			token_type: 'Bearer',
			scope: scopes.filter((s) => !OIDC_SCOPES.has(s)).join(' '),
			expires_in: lifetime,
			ext_expires_in: lifetime,
			access_token: access.token,
		};
		if (grant.scopes.includes('offline_access')) {
			const refresh = opaque('M.C5', 240);
			this.refreshTokens.set(refresh, grant.id);
			set.refresh_token = refresh;
		}
		return set;
	}

	/** Every access and refresh token issued so far (a test's secret scan searches its outputs for them). */
	issuedTokens(): { accessTokens: string[]; refreshTokens: string[] } {
		return {
			accessTokens: [...this.accessTokens.keys()],
			refreshTokens: [...this.refreshTokens.keys()],
		};
	}

	introspect(token: string): Introspection {
		const access = this.accessTokens.get(token);
		const grant = access && this.grants.get(access.grantId);
		if (!access || !grant) return { active: false };
		const active = !grant.revoked && Date.now() < access.expiresAt;
		return { active, username: grant.user, grant, token: access };
	}

	private matching(filter: { user?: string; clientId?: string }): Grant[] {
		return [...this.grants.values()].filter(
			(g) =>
				(filter.user === undefined || g.user === filter.user.toLowerCase()) &&
				(filter.clientId === undefined || g.clientId === filter.clientId),
		);
	}

	/** Revokes the matching grants; returns how many were active. */
	revoke(filter: { user?: string; clientId?: string }, reason: RevokeReason): number {
		let count = 0;
		for (const grant of this.matching(filter)) {
			if (grant.revoked) continue;
			grant.revoked = { at: new Date(), reason };
			count++;
		}
		return count;
	}

	/** Makes the access tokens issued so far under the matching grants expire `inSeconds` from now. */
	expireAccessTokens(filter: { user?: string; clientId?: string }, inSeconds: number): number {
		const ids = new Set(this.matching(filter).map((g) => g.id));
		const at = Date.now() + inSeconds * 1000;
		let count = 0;
		for (const token of this.accessTokens.values()) {
			if (!ids.has(token.grantId) || token.expiresAt <= at) continue;
			token.expiresAt = at;
			count++;
		}
		return count;
	}
}
