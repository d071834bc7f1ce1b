/**
 * The HTTP side of the fake Microsoft identity platform: the v2.0 authorize and token endpoints of a
 * tenant, and an RFC 7662 introspection endpoint (which Microsoft does not have: it stands in for
 * Exchange Online's own token check, so Dovecot's oauth2 passdb can ask it).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { ERRORS, microsoftError, type OAuthErrorCode } from './errors';
import { GrantStore, splitScopes, type FakeClient, type TokenSet } from './grants';

export interface TokenRequestRecord {
	at: number;
	tenant: string;
	grantType: string;
	clientId: string;
	status: number;
	/** The OAuth error code and the AADSTS number when refused. */
	error?: OAuthErrorCode;
	aadsts?: number;
}

export interface ServerState {
	store: GrantStore;
	tenantId: string;
	/** Tenant names the endpoints answer for besides the id, common, organizations and consumers. */
	tenantDomains: string[];
	/** Who signs in at /authorize when the request names nobody (login_hint). */
	signInAs?: string;
	/** The next sign-in at /authorize ends with the user declining consent. */
	declineConsent: boolean;
	tokenRequests: TokenRequestRecord[];
	authorizeRequests: number;
	introspectionRequests: number;
}

type Refusal = readonly [OAuthErrorCode, number, string];

const MAX_BODY = 64 * 1024;

function send(
	res: ServerResponse,
	status: number,
	body: unknown,
	headers: Record<string, string> = {},
): void {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'Content-Type': 'application/json; charset=utf-8',
		'Cache-Control': 'no-store, no-cache',
		Pragma: 'no-cache',
		...headers,
	});
	res.end(text);
}

function errorPage(res: ServerResponse, refusal: Refusal): void {
	const [error, aadsts, message] = refusal;
	res.writeHead(400, { 'Content-Type': 'text/html; charset=utf-8' });
	res.end(
		`<!DOCTYPE html><html><body><h1>Sign in</h1><p>Sorry, but we're having trouble signing you in.` +
			`</p><p>${error} AADSTS${aadsts}: ${message.replace(/[<>&]/g, '')}</p></body></html>`,
	);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
	let size = 0;
	const chunks: Buffer[] = [];
	for await (const chunk of req) {
		size += (chunk as Buffer).length;
		if (size > MAX_BODY) throw new Error('body too large');
		chunks.push(chunk as Buffer);
	}
	return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function knownTenant(state: ServerState, tenant: string): boolean {
	const names = ['common', 'organizations', 'consumers', state.tenantId, ...state.tenantDomains];
	return names.map((n) => n.toLowerCase()).includes(tenant.toLowerCase());
}

/** client_secret_basic (Authorization: Basic) or client_secret_post (the form). */
function clientCredentials(req: IncomingMessage, form: URLSearchParams) {
	const header = req.headers.authorization ?? '';
	if (/^basic /i.test(header)) {
		const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
		const colon = decoded.indexOf(':');
		if (colon > 0) {
			return {
				clientId: decodeURIComponent(decoded.slice(0, colon)),
				secret: decodeURIComponent(decoded.slice(colon + 1)),
			};
		}
	}
	return { clientId: form.get('client_id') ?? '', secret: form.get('client_secret') ?? '' };
}

function redeemCode(
	store: GrantStore,
	client: FakeClient,
	form: URLSearchParams,
): Refusal | TokenSet {
	const value = form.get('code');
	if (!value) return ERRORS.missingParameter('code');
	const redirectUri = form.get('redirect_uri');
	if (!redirectUri) return ERRORS.missingParameter('redirect_uri');
	const code = store.code(value);
	if (!code || code.clientId !== client.clientId) return ERRORS.badCode();
	if (code.redeemed) return ERRORS.codeRedeemed();
	if (Date.now() > code.expiresAt) return ERRORS.codeExpired();
	if (code.redirectUri !== redirectUri)
		return ERRORS.redirectMismatch(redirectUri, code.redirectUri);
	if (!GrantStore.verifierMatches(code, form.get('code_verifier') ?? undefined)) {
		return ERRORS.codeVerifierMismatch();
	}
	return store.grantFor(code);
}

function refresh(store: GrantStore, client: FakeClient, form: URLSearchParams): Refusal | TokenSet {
	const value = form.get('refresh_token');
	if (!value) return ERRORS.missingParameter('refresh_token');
	const grant = store.grantOfRefreshToken(value);
	if (!grant) return ERRORS.badRefreshToken();
	if (grant.clientId !== client.clientId) return ERRORS.otherClientsToken();
	if (grant.revoked?.reason === 'inactive') return ERRORS.grantInactive();
	if (grant.revoked?.reason === 'consent') return ERRORS.consentMissing(client.clientId);
	if (grant.revoked) return ERRORS.grantRevoked(grant.issuedAt, grant.revoked.at);
	const asked = splitScopes(form.get('scope') ?? undefined);
	if (asked.some((s) => !grant.scopes.includes(s))) return ERRORS.consentMissing(client.clientId);
	return store.issue(grant, asked.length > 0 ? asked : grant.scopes);
}

async function token(
	state: ServerState,
	tenant: string,
	req: IncomingMessage,
	res: ServerResponse,
): Promise<void> {
	const form = await readForm(req);
	const grantType = form.get('grant_type') ?? '';
	const { clientId, secret } = clientCredentials(req, form);
	const record: TokenRequestRecord = { at: Date.now(), tenant, grantType, clientId, status: 200 };
	state.tokenRequests.push(record);
	const client = state.store.clients.get(clientId);
	let outcome: Refusal | TokenSet;
	if (!knownTenant(state, tenant)) outcome = ERRORS.unknownTenant(tenant);
	else if (!grantType) outcome = ERRORS.missingParameter('grant_type');
	else if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
		outcome = ERRORS.unsupportedGrantType(grantType);
	} else if (!clientId) outcome = ERRORS.missingParameter('client_id');
	else if (!client) outcome = ERRORS.unknownClient(clientId, tenant);
	else if (!secret) outcome = ERRORS.missingSecret();
	else if (secret !== client.clientSecret) outcome = ERRORS.wrongSecret(clientId);
	else if (grantType === 'authorization_code') outcome = redeemCode(state.store, client, form);
	else outcome = refresh(state.store, client, form);

	if (!Array.isArray(outcome)) {
		send(res, 200, outcome);
		return;
	}
	const requestId = req.headers['client-request-id'];
	const failure = microsoftError(
		...(outcome as Refusal),
		typeof requestId === 'string' ? requestId : undefined,
	);
	record.status = failure.status;
	record.error = failure.body.error;
	record.aadsts = failure.body.error_codes[0];
	send(res, failure.status, failure.body);
}

function authorize(state: ServerState, tenant: string, url: URL, res: ServerResponse): void {
	state.authorizeRequests++;
	const q = url.searchParams;
	const clientId = q.get('client_id') ?? '';
	const client = state.store.clients.get(clientId);
	if (!knownTenant(state, tenant)) return errorPage(res, ERRORS.unknownTenant(tenant));
	if (!clientId) return errorPage(res, ERRORS.missingParameter('client_id'));
	if (!client) return errorPage(res, ERRORS.unknownClient(clientId, tenant));
	const redirectUri = q.get('redirect_uri') ?? client.redirectUris[0];
	if (!redirectUri) return errorPage(res, ERRORS.missingParameter('redirect_uri'));
	if (client.redirectUris.length > 0 && !client.redirectUris.includes(redirectUri)) {
		return errorPage(res, ERRORS.unregisteredRedirect(redirectUri, clientId));
	}
	const back = new URL(redirectUri);
	const state_ = q.get('state');
	const redirect = (params: Record<string, string>) => {
		for (const [k, v] of Object.entries(params)) back.searchParams.set(k, v);
		if (state_ !== null) back.searchParams.set('state', state_);
		res.writeHead(302, { Location: back.toString() });
		res.end();
	};
	const refuse = ([error, aadsts, message]: Refusal) =>
		redirect({ error, error_description: `AADSTS${aadsts}: ${message}` });
	const responseType = q.get('response_type');
	if (!responseType) return refuse(ERRORS.missingParameter('response_type'));
	if (responseType !== 'code') return refuse(ERRORS.unsupportedResponseType(responseType));
	const scopes = splitScopes(q.get('scope') ?? undefined);
	if (scopes.length === 0) return refuse(ERRORS.missingParameter('scope'));
	const user = (q.get('login_hint') || state.signInAs || '').toLowerCase();
	if (!user) return errorPage(res, ERRORS.nobodySignedIn());
	if (state.declineConsent) {
		state.declineConsent = false;
		return refuse(ERRORS.consentDeclined());
	}
	const method = q.get('code_challenge_method') ?? (q.get('code_challenge') ? 'plain' : undefined);
	const code = state.store.newCode({
		clientId,
		user,
		scopes,
		redirectUri,
		codeChallenge: q.get('code_challenge') ?? undefined,
		codeChallengeMethod: method,
	});
	redirect({ code, session_state: randomUUID() });
}

async function introspect(state: ServerState, req: IncomingMessage, url: URL, res: ServerResponse) {
	state.introspectionRequests++;
	const bearer = /^bearer (.+)$/i.exec(req.headers.authorization ?? '');
	const form = req.method === 'POST' ? await readForm(req) : url.searchParams;
	const value = form.get('token') ?? bearer?.[1] ?? '';
	if (!value) {
		send(res, 400, { error: 'invalid_request', error_description: 'token is required' });
		return;
	}
	const found = state.store.introspect(value.trim());
	if (!found.active || !found.grant || !found.token) {
		// RFC 7662: nothing more about a token that is not active (expired, revoked or never issued).
		send(res, 200, { active: false });
		return;
	}
	send(res, 200, {
		active: true,
		username: found.username,
		scope: found.grant.scopes.join(' '),
		client_id: found.grant.clientId,
		token_type: 'Bearer',
		exp: Math.floor(found.token.expiresAt / 1000),
		iat: Math.floor(found.token.issuedAt / 1000),
		nbf: Math.floor(found.token.issuedAt / 1000),
		sub: found.grant.user,
		aud: 'https://outlook.office.com',
		iss: `https://sts.windows.net/${state.tenantId}/`,
	});
}

const TENANT_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/(token|authorize)$/;

export function handler(state: ServerState) {
	return (req: IncomingMessage, res: ServerResponse): void => {
		const url = new URL(req.url ?? '/', 'http://fake.invalid');
		const route = TENANT_PATH.exec(url.pathname);
		const run = async () => {
			if (route && route[2] === 'token' && req.method === 'POST') {
				return await token(state, decodeURIComponent(route[1]), req, res);
			}
			if (route && route[2] === 'authorize' && req.method === 'GET') {
				return authorize(state, decodeURIComponent(route[1]), url, res);
			}
			if (url.pathname === '/introspect' && (req.method === 'POST' || req.method === 'GET')) {
				return await introspect(state, req, url, res);
			}
			send(res, 404, { error: 'not_found', error_description: `${req.method} ${url.pathname}` });
		};
		run().catch((error: Error) => {
			if (!res.headersSent)
				send(res, 500, { error: 'server_error', error_description: error.message });
			else res.destroy();
		});
	};
}
