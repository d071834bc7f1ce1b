/**
 * The fake Microsoft identity platform answers as Microsoft's documented v2.0 endpoints do: the
 * shapes a later channel test relies on (tokens, each error with its HTTP status and AADSTS code,
 * the authorize redirect) and the RFC 7662 introspection Dovecot uses.
 */
import { createHash } from 'node:crypto';
import { OUTLOOK_SCOPES, startMicrosoftIdentity, type MicrosoftIdentity, type TokenSet } from '.';

const USER = 'sales@example.test';
let idp: MicrosoftIdentity;

beforeAll(async () => {
	idp = await startMicrosoftIdentity({ user: USER });
});

afterAll(async () => {
	await idp.stop();
});

/** /authorize without following the redirect: the Location's query. */
async function authorize(params: Record<string, string>, tenant = 'common') {
	const query = new URLSearchParams({
		client_id: idp.client.clientId,
		response_type: 'code',
		redirect_uri: idp.redirectUri,
		scope: OUTLOOK_SCOPES.join(' '),
		...params,
	});
	for (const [key, value] of Object.entries(params)) if (value === '') query.delete(key);
	const response = await fetch(`${idp.authorizeUrl(tenant)}?${query}`, { redirect: 'manual' });
	const location = response.headers.get('location');
	return {
		status: response.status,
		location: location ? new URL(location) : undefined,
		text: location ? '' : await response.text(),
	};
}

async function code(params: Record<string, string> = {}): Promise<string> {
	const { location } = await authorize(params);
	return location!.searchParams.get('code')!;
}

function redeem(value: string, extra: Record<string, string> = {}) {
	return idp.tokenRequest({
		grant_type: 'authorization_code',
		code: value,
		redirect_uri: idp.redirectUri,
		client_id: idp.client.clientId,
		client_secret: idp.client.clientSecret,
		...extra,
	});
}

async function introspect(token: string, how: 'post' | 'get' | 'auth') {
	const url =
		how === 'get'
			? `${idp.introspectionUrl}?token=${encodeURIComponent(token)}`
			: idp.introspectionUrl;
	const response = await fetch(url, {
		method: how === 'post' ? 'POST' : 'GET',
		headers:
			how === 'post'
				? { 'Content-Type': 'application/x-www-form-urlencoded' }
				: how === 'auth'
					? { Authorization: `Bearer ${token}` }
					: {},
		body: how === 'post' ? new URLSearchParams({ token }).toString() : undefined,
	});
	return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('token endpoint: success', () => {
	test('a redeemed code gives Bearer tokens with exactly Microsoft’s fields; offline_access is not echoed in scope', async () => {
		const response = await fetch(idp.tokenUrl(), {
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'authorization_code',
				code: await code(),
				redirect_uri: idp.redirectUri,
				client_id: idp.client.clientId,
				client_secret: idp.client.clientSecret,
			}).toString(),
		});
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
		expect(response.headers.get('cache-control')).toContain('no-store');
		const body = (await response.json()) as TokenSet;
		expect(Object.keys(body).sort()).toEqual(
			[
				'access_token',
				'expires_in',
				'ext_expires_in',
				'refresh_token',
				'scope',
				'token_type',
			].sort(),
		);
		expect(body).toMatchObject({
			token_type: 'Bearer',
			scope:
				'https://outlook.office.com/SMTP.Send https://outlook.office.com/IMAP.AccessAsUser.All',
			expires_in: 3599,
			ext_expires_in: 3599,
		});
	});

	test('no refresh token without offline_access', async () => {
		const answer = await redeem(await code({ scope: 'https://outlook.office.com/SMTP.Send' }));
		expect(answer.status).toBe(200);
		expect(answer.body).not.toHaveProperty('refresh_token');
	});

	test('client_secret_basic works like the secret in the form; every tenant name of the tenant is accepted', async () => {
		for (const tenant of ['common', 'organizations', idp.tenantId, 'example.test']) {
			const { location } = await authorize({}, tenant);
			const response = await fetch(idp.tokenUrl(tenant), {
				method: 'POST',
				headers: {
					'Content-Type': 'application/x-www-form-urlencoded',
					Authorization: `Basic ${Buffer.from(`${idp.client.clientId}:${idp.client.clientSecret}`).toString('base64')}`,
				},
				body: new URLSearchParams({
					grant_type: 'authorization_code',
					code: location!.searchParams.get('code')!,
					redirect_uri: idp.redirectUri,
				}).toString(),
			});
			expect(response.status).toBe(200);
		}
	});

	test('refresh: a new access token and refresh token; the old refresh token stays valid; a narrower scope is allowed', async () => {
		const first = (await redeem(await code())).body as TokenSet;
		const second = await idp.refresh(first.refresh_token!);
		expect(second.status).toBe(200);
		const renewed = second.body as TokenSet;
		expect(renewed.access_token).not.toBe(first.access_token);
		expect(renewed.refresh_token).not.toBe(first.refresh_token);
		expect((await idp.refresh(first.refresh_token!)).status).toBe(200);
		const narrow = await idp.refresh(first.refresh_token!, {
			scope: 'https://outlook.office.com/SMTP.Send',
		});
		expect(narrow.body).toMatchObject({ scope: 'https://outlook.office.com/SMTP.Send' });
	});
});

describe('token endpoint: errors as Microsoft gives them', () => {
	test('the error body: code, AADSTS description with trace id, correlation id and timestamp, the same as fields, a lookup link', async () => {
		const response = await fetch(idp.tokenUrl(), {
			method: 'POST',
			headers: {
				'Content-Type': 'application/x-www-form-urlencoded',
				'client-request-id': 'c0ffee00-0000-4000-8000-000000000001',
			},
			body:
				'grant_type=authorization_code&code=nope&redirect_uri=x&client_id=' +
				idp.client.clientId +
				'&client_secret=' +
				idp.client.clientSecret,
		});
		expect(response.status).toBe(400);
		const body = (await response.json()) as Record<string, unknown>;
		expect(body).toEqual({
			error: 'invalid_grant',
			error_description: expect.stringMatching(
				/^AADSTS70000: The provided value for the 'code' parameter is not valid\.\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: c0ffee00-0000-4000-8000-000000000001\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/,
			),
			error_codes: [70000],
			timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/),
			trace_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
			correlation_id: 'c0ffee00-0000-4000-8000-000000000001',
			error_uri: 'https://login.microsoftonline.com/error?code=70000',
		});
	});

	const client = () => ({ client_id: idp.client.clientId, client_secret: idp.client.clientSecret });
	const id = () => ({ client_id: idp.client.clientId });
	const refreshX = { grant_type: 'refresh_token', refresh_token: 'x' };
	type Form = () => Record<string, string>;
	test.each<[string, number, string, number, Form]>([
		['no grant_type', 400, 'invalid_request', 900144, () => client()],
		[
			'a grant type it does not take',
			400,
			'unsupported_grant_type',
			70003,
			() => ({ grant_type: 'password', ...client() }),
		],
		['no client_id', 400, 'invalid_request', 900144, () => refreshX],
		[
			'an unknown app',
			400,
			'unauthorized_client',
			700016,
			() => ({ ...refreshX, client_id: 'f00', client_secret: 's' }),
		],
		['no secret', 401, 'invalid_client', 7000218, () => ({ ...refreshX, ...id() })],
		[
			'a wrong secret',
			401,
			'invalid_client',
			7000215,
			() => ({ ...refreshX, ...id(), client_secret: 'wrong' }),
		],
		[
			'no refresh_token',
			400,
			'invalid_request',
			900144,
			() => ({ grant_type: 'refresh_token', ...client() }),
		],
		[
			'a refresh token never issued',
			400,
			'invalid_grant',
			9002313,
			() => ({ ...refreshX, ...client() }),
		],
		[
			'no code',
			400,
			'invalid_request',
			900144,
			() => ({ grant_type: 'authorization_code', ...client() }),
		],
	])('%s: HTTP %i %s (AADSTS%i)', async (_name, status, error, aadsts, form) => {
		const answer = await idp.tokenRequest(form());
		expect(answer.status).toBe(status);
		expect(answer.body).toMatchObject({ error, error_codes: [aadsts] });
		expect(idp.tokenRequests.at(-1)).toMatchObject({ status, error, aadsts });
	});

	test('an unknown tenant: invalid_request AADSTS90002', async () => {
		const answer = await idp.tokenRequest(
			{ grant_type: 'refresh_token', refresh_token: 'x', ...client() },
			'contoso.example',
		);
		expect(answer).toMatchObject({
			status: 400,
			body: { error: 'invalid_request', error_codes: [90002] },
		});
	});

	test('a code redeemed twice: invalid_grant AADSTS54005; for another redirect URI: AADSTS50011', async () => {
		const value = await code();
		expect((await redeem(value)).status).toBe(200);
		expect(await redeem(value)).toMatchObject({
			status: 400,
			body: { error: 'invalid_grant', error_codes: [54005] },
		});
		expect(await redeem(await code(), { redirect_uri: 'http://elsewhere.test/cb' })).toMatchObject({
			status: 400,
			body: { error: 'invalid_grant', error_codes: [50011] },
		});
	});

	test('PKCE: the right code_verifier redeems the code, a wrong one gets AADSTS501481', async () => {
		const verifier = 'a-verifier-of-enough-length-for-pkce-0123456789';
		const challenge = createHash('sha256').update(verifier).digest('base64url');
		const pkce = { code_challenge: challenge, code_challenge_method: 'S256' };
		expect((await redeem(await code(pkce), { code_verifier: verifier })).status).toBe(200);
		expect(await redeem(await code(pkce), { code_verifier: 'wrong' })).toMatchObject({
			status: 400,
			body: { error: 'invalid_grant', error_codes: [501481] },
		});
	});

	test.each([
		['revoked', 50173, /^AADSTS50173: The provided grant has expired due to it being revoked/],
		['inactive', 700082, /^AADSTS700082: The refresh token has expired due to inactivity/],
		['consent', 65001, /^AADSTS65001: The user or administrator has not consented/],
	] as const)(
		'a grant ended as %s: refresh gets invalid_grant AADSTS%i',
		async (reason, aadsts, description) => {
			const user = `${reason}@example.test`;
			const tokens = (await redeem(await code({ login_hint: user }))).body as TokenSet;
			expect(idp.revoke({ user, reason })).toBe(1);
			const answer = await idp.refresh(tokens.refresh_token!);
			expect(answer).toMatchObject({
				status: 400,
				body: { error: 'invalid_grant', error_codes: [aadsts] },
			});
			expect((answer.body as { error_description: string }).error_description).toMatch(description);
			expect((await introspect(tokens.access_token, 'post')).body).toEqual({ active: false });
		},
	);

	test('a scope beyond the grant on refresh: invalid_grant AADSTS65001', async () => {
		const tokens = (await redeem(await code())).body as TokenSet;
		const answer = await idp.refresh(tokens.refresh_token!, {
			scope: 'https://graph.microsoft.com/Mail.Send',
		});
		expect(answer).toMatchObject({
			status: 400,
			body: { error: 'invalid_grant', error_codes: [65001] },
		});
	});
});

describe('authorize endpoint', () => {
	test('redirects back with a code, the state and a session_state; login_hint names who signs in', async () => {
		const before = idp.authorizeRequests;
		const { status, location } = await authorize({
			state: 'xyz',
			login_hint: 'Other@Example.test',
		});
		expect(status).toBe(302);
		expect(`${location!.origin}${location!.pathname}`).toBe(idp.redirectUri);
		expect(location!.searchParams.get('state')).toBe('xyz');
		expect(location!.searchParams.get('session_state')).toMatch(/^[0-9a-f-]{36}$/);
		const tokens = (await redeem(location!.searchParams.get('code')!)).body as TokenSet;
		expect((await introspect(tokens.access_token, 'post')).body).toMatchObject({
			username: 'other@example.test',
		});
		expect(idp.authorizeRequests).toBe(before + 1);
	});

	test('a declined consent redirects with error=access_denied (AADSTS65004); no scope: invalid_request', async () => {
		idp.declineConsentOnce();
		const declined = await authorize({ state: 's1' });
		expect(declined.location!.searchParams.get('error')).toBe('access_denied');
		expect(declined.location!.searchParams.get('error_description')).toMatch(/^AADSTS65004: /);
		expect(declined.location!.searchParams.get('state')).toBe('s1');
		const noScope = await authorize({ scope: '' });
		expect(noScope.location!.searchParams.get('error')).toBe('invalid_request');
	});

	test('an unknown app is an error page, never a redirect (AADSTS700016)', async () => {
		const answer = await authorize({ client_id: 'not-registered' });
		expect(answer.status).toBe(400);
		expect(answer.location).toBeUndefined();
		expect(answer.text).toContain('AADSTS700016');
	});

	test('an app with registered redirect URIs refuses another one (AADSTS50011)', async () => {
		const strict = await startMicrosoftIdentity({
			user: USER,
			client: { redirectUris: ['http://localhost:5678/cb'] },
		});
		try {
			const response = await fetch(
				`${strict.authorizeUrl()}?${new URLSearchParams({ client_id: strict.client.clientId, response_type: 'code', scope: 'offline_access', redirect_uri: 'http://evil.test/cb' })}`,
				{ redirect: 'manual' },
			);
			expect(response.status).toBe(400);
			expect(await response.text()).toContain('AADSTS50011');
			expect(strict.redirectUri).toBe('http://localhost:5678/cb');
			expect((await strict.signIn()).access_token).toBeTruthy();
		} finally {
			await strict.stop();
		}
	});
});

describe('introspection (RFC 7662), as Dovecot asks it', () => {
	test.each(['post', 'get', 'auth'] as const)(
		'introspection_mode = %s: an active token names its mailbox',
		async (how) => {
			const { access_token } = await idp.signIn();
			const before = idp.introspectionRequests;
			const answer = await introspect(access_token, how);
			expect(answer.status).toBe(200);
			expect(answer.body).toMatchObject({
				active: true,
				username: USER,
				token_type: 'Bearer',
				client_id: idp.client.clientId,
				scope: OUTLOOK_SCOPES.join(' '),
				exp: expect.any(Number),
			});
			expect(idp.introspectionRequests).toBe(before + 1);
		},
	);

	test('expired, or never issued: {"active":false} and nothing else; no token: HTTP 400', async () => {
		const { access_token } = await idp.signIn({ user: 'expiring@example.test' });
		expect(idp.expireAccessTokens({ user: 'expiring@example.test' })).toBe(1);
		expect((await introspect(access_token, 'post')).body).toEqual({ active: false });
		expect((await introspect('EwB-never-issued', 'post')).body).toEqual({ active: false });
		const empty = await fetch(idp.introspectionUrl, { method: 'POST' });
		expect(empty.status).toBe(400);
	});
});
