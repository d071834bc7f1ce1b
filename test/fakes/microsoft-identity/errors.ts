/**
 * The Microsoft identity platform's error answers, as its token endpoint gives them: HTTP 400 (401 for
 * a client that failed to authenticate) with a JSON body of the OAuth 2.0 error code, an AADSTS code
 * and message followed by the trace id, correlation id and timestamp, the same values again as fields,
 * and a link to the error lookup page. Shape taken from Microsoft's documentation of the token
 * endpoint's errors and from answers users have posted (AADSTS70000, 50173, 7000215, 900144, ...).
 */
import { randomUUID } from 'node:crypto';

export type OAuthErrorCode =
	| 'invalid_request'
	| 'invalid_client'
	| 'invalid_grant'
	| 'unauthorized_client'
	| 'unsupported_grant_type'
	| 'invalid_scope'
	/** Only at /authorize, in the redirect back. */
	| 'unsupported_response_type'
	| 'access_denied';

export interface MicrosoftErrorBody {
	error: OAuthErrorCode;
	error_description: string;
	error_codes: number[];
	timestamp: string;
	trace_id: string;
	correlation_id: string;
	error_uri: string;
}

export interface MicrosoftError {
	status: 400 | 401;
	body: MicrosoftErrorBody;
}

/** Microsoft's timestamp format: "2021-03-29 07:14:32Z". */
export function microsoftTimestamp(at = new Date()): string {
	return at
		.toISOString()
		.replace('T', ' ')
		.replace(/\.\d+Z$/, 'Z');
}

/** One error answer. `correlationId` is the client's `client-request-id` header when it sent one. */
export function microsoftError(
	error: OAuthErrorCode,
	aadsts: number,
	message: string,
	correlationId: string = randomUUID(),
): MicrosoftError {
	const traceId = randomUUID();
	const timestamp = microsoftTimestamp();
	return {
		status: error === 'invalid_client' ? 401 : 400,
		body: {
			error,
			error_description:
				`AADSTS${aadsts}: ${message}\r\nTrace ID: ${traceId}\r\n` +
				`Correlation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
			error_codes: [aadsts],
			timestamp,
			trace_id: traceId,
			correlation_id: correlationId,
			error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
		},
	};
}

/** The errors the fake gives, by situation; each returns the (error, AADSTS, message) triple. */
export const ERRORS = {
	missingParameter: (name: string) =>
		[
			'invalid_request',
			900144,
			`The request body must contain the following parameter: '${name}'.`,
		] as const,
	unknownTenant: (tenant: string) =>
		[
			'invalid_request',
			90002,
			`Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are ` +
				'signing into the correct cloud.',
		] as const,
	unsupportedGrantType: (grantType: string) =>
		[
			'unsupported_grant_type',
			70003,
			`The app requested an unsupported grant type '${grantType}'.`,
		] as const,
	unknownClient: (clientId: string, tenant: string) =>
		[
			'unauthorized_client',
			700016,
			`Application with identifier '${clientId}' was not found in the directory '${tenant}'. ` +
				'This can happen if the application has not been installed by the administrator of the ' +
				'tenant or consented to by any user in the tenant. You may have sent your authentication ' +
				'request to the wrong tenant.',
		] as const,
	missingSecret: () =>
		[
			'invalid_client',
			7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
		] as const,
	wrongSecret: (clientId: string) =>
		[
			'invalid_client',
			7000215,
			'Invalid client secret provided. Ensure the secret being sent in the request is the client ' +
				`secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
		] as const,
	badCode: () =>
		['invalid_grant', 70000, "The provided value for the 'code' parameter is not valid."] as const,
	codeRedeemed: () =>
		[
			'invalid_grant',
			54005,
			'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use ' +
				'an existing refresh token.',
		] as const,
	codeExpired: () =>
		[
			'invalid_grant',
			70008,
			'The provided authorization code or refresh token has expired due to inactivity. Send a new ' +
				'interactive authorization request for this user and resource.',
		] as const,
	unregisteredRedirect: (redirectUri: string, clientId: string) =>
		[
			'invalid_request',
			50011,
			`The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs ` +
				`configured for the application '${clientId}'.`,
		] as const,
	unsupportedResponseType: (responseType: string) =>
		[
			'unsupported_response_type',
			700054,
			`response_type '${responseType}' is not enabled for the application.`,
		] as const,
	nobodySignedIn: () =>
		[
			'invalid_request',
			50058,
			'No user is signed in (the fake was given no user to sign in).',
		] as const,
	consentDeclined: () =>
		['access_denied', 65004, 'User declined to consent to access the app.'] as const,
	redirectMismatch: (given: string, expected: string) =>
		[
			'invalid_grant',
			50011,
			`The redirect URI '${given}' specified in the request does not match the redirect URI ` +
				`'${expected}' provided when requesting the authorization code.`,
		] as const,
	codeVerifierMismatch: () =>
		[
			'invalid_grant',
			501481,
			'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
		] as const,
	badRefreshToken: () =>
		['invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.'] as const,
	otherClientsToken: () =>
		[
			'invalid_grant',
			70000,
			'The provided value for the refresh_token parameter is not valid: it was issued to another client.',
		] as const,
	grantRevoked: (issuedAt: Date, validFrom: Date) =>
		[
			'invalid_grant',
			50173,
			'The provided grant has expired due to it being revoked, a fresh auth token is needed. The ' +
				'user might have changed or reset their password. The grant was issued on ' +
				`'${issuedAt.toISOString()}' and the TokensValidFrom date (before which tokens are not ` +
				`valid) for this user is '${validFrom.toISOString()}'.`,
		] as const,
	grantInactive: () =>
		[
			'invalid_grant',
			700082,
			'The refresh token has expired due to inactivity. The token was issued on a date beyond the ' +
				'inactive time of 90 days.',
		] as const,
	consentMissing: (clientId: string) =>
		[
			'invalid_grant',
			65001,
			`The user or administrator has not consented to use the application with ID '${clientId}'. ` +
				'Send an interactive authorization request for this user and resource.',
		] as const,
} satisfies Record<string, (...args: never[]) => readonly [OAuthErrorCode, number, string]>;
