/**
 * The OAuth2 sign-in of Custom SMTP (SASL XOAUTH2, for SMTP and the mailbox) with n8n's stored token
 * as the one source of truth. A token that expires within 5 minutes, or one the server refuses, is
 * renewed once through `helpers.refreshOAuth2Token`, which refreshes at the credential's token URL,
 * stores the rotated token in the credential and lets concurrent refreshes share one request. A grant
 * the provider no longer honours (invalid_grant) stops the batch with "reconnect this credential".
 * Tokens never appear in a message, a hint or a log.
 */
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { DeliveryError } from '../../../../core/errors';

export const SMTP_OAUTH2_CREDENTIAL = 'deliveryChannelSmtpOAuth2Api';

/** Renewed ahead of use when it expires within this. */
export const RENEW_BEFORE_MS = 5 * 60_000;

const PROVIDERS: Record<string, string> = {
	microsoft365: 'Microsoft 365',
	googleWorkspace: 'Google Workspace',
};

const RECONNECT_HINT = 'Open the credential and select Connect (Reconnect) to sign in again.';

/** Asks n8n for a renewed token (its `oauthTokenData`); undefined where nothing can renew (the credential test). */
export type TokenRefresher = () => Promise<IDataObject>;

function providerName(credentials: ICredentialDataDecryptedObject): string {
	return PROVIDERS[String(credentials.provider ?? '')] ?? 'OAuth2';
}

function readToken(data: unknown): { accessToken?: string; expiresAt?: number } {
	const token = (data ?? {}) as IDataObject;
	const accessToken =
		typeof token.access_token === 'string' && token.access_token ? token.access_token : undefined;
	const expiresAt = Number(token.n8n_expires_at);
	return {
		accessToken,
		expiresAt: Number.isFinite(expiresAt) && expiresAt > 0 ? expiresAt : undefined,
	};
}

function authError(message: string, hint: string): DeliveryError {
	return new DeliveryError(message, { code: 'EAUTH', retryable: false, stopsBatch: true, hint });
}

/** Whether n8n's refresh failed because the grant is gone (revoked, expired, password changed). */
function grantRefused(error: unknown): boolean {
	const failure = error as {
		message?: string;
		description?: string;
		body?: { error?: string };
		failure?: { cause?: string };
	};
	if (failure?.body?.error === 'invalid_grant' || failure?.failure?.cause === 'credential-invalid')
		return true;
	return /invalid_grant|needs to be reconnected/i.test(`${failure?.message ?? ''}`);
}

/** The access tokens of one session (an execution, a poll, a credential test). */
export class AccessTokens {
	readonly provider: string;
	private accessToken?: string;
	private expiresAt?: number;
	/** Tokens this session got from a refresh: one of them refused is not renewed again. */
	private readonly renewed = new Set<string>();
	private refreshing?: Promise<string>;
	/** Why renewing failed; the login that asked for it reports this instead of the server's refusal. */
	failure?: DeliveryError;

	constructor(
		credentials: ICredentialDataDecryptedObject,
		private readonly refresher?: TokenRefresher,
	) {
		this.provider = providerName(credentials);
		({ accessToken: this.accessToken, expiresAt: this.expiresAt } = readToken(
			credentials.oauthTokenData,
		));
	}

	/** Whether the stored token's time is up (as n8n recorded it). */
	get expired(): boolean {
		return this.expiresAt !== undefined && this.expiresAt <= Date.now();
	}

	/** The token to sign in with; renewed first when it expires within RENEW_BEFORE_MS. */
	async current(): Promise<string> {
		if (!this.accessToken) {
			throw authError(
				`The ${this.provider} sign-in of this credential is not connected yet`,
				'Open the credential and select Connect to sign in with the mailbox account.',
			);
		}
		if (this.refresher && this.expiresAt && this.expiresAt - Date.now() < RENEW_BEFORE_MS) {
			return await this.renew(this.accessToken, true);
		}
		return this.accessToken;
	}

	/**
	 * A new token after `used` was refused (or is about to expire). Another login may have renewed it
	 * already: then that token. A token that was itself just renewed is not renewed again, nor is one
	 * where nothing can renew it: the caller gets it back and the server's refusal stands.
	 */
	async renew(used: string, expiring = false): Promise<string> {
		if (this.failure) throw this.failure;
		if (used !== this.accessToken) return this.accessToken ?? used;
		if (!this.refresher || (!expiring && this.renewed.has(used))) return used;
		this.refreshing ??= this.refresh().finally(() => {
			this.refreshing = undefined;
		});
		return await this.refreshing;
	}

	private async refresh(): Promise<string> {
		let data: IDataObject;
		try {
			data = await this.refresher!();
		} catch (error) {
			throw this.refreshFailed(error);
		}
		const next = readToken(data);
		if (!next.accessToken) {
			this.failure = authError(
				`The ${this.provider} sign-in of this credential is no longer valid (no access token came back)`,
				RECONNECT_HINT,
			);
			throw this.failure;
		}
		this.accessToken = next.accessToken;
		this.expiresAt = next.expiresAt;
		this.renewed.add(next.accessToken);
		return next.accessToken;
	}

	private refreshFailed(error: unknown): DeliveryError {
		const { error: failure, lasting } = describeRefreshFailure(this.provider, error);
		if (lasting) this.failure = failure;
		return failure;
	}
}

/**
 * Why a refresh failed, without anything the provider echoed beyond its error code. A refused grant
 * or client holds for the session; a provider out of reach may pass, so a later session tries again.
 */
function describeRefreshFailure(
	provider: string,
	error: unknown,
): { error: DeliveryError; lasting: boolean } {
	if (grantRefused(error)) {
		return {
			error: authError(
				`The ${provider} sign-in of this credential is no longer valid`,
				RECONNECT_HINT,
			),
			lasting: true,
		};
	}
	const oauthError = (error as { body?: { error?: unknown } })?.body?.error;
	if (typeof oauthError === 'string' && /^[\w.-]{1,64}$/.test(oauthError)) {
		return {
			error: authError(
				`The ${provider} sign-in of this credential could not be renewed (${oauthError})`,
				"Check the credential's Client ID, Client Secret and Access Token URL, then select Reconnect.",
			),
			lasting: true,
		};
	}
	const code = (error as { code?: unknown })?.code;
	return {
		error: new DeliveryError(
			`Could not reach the ${provider} sign-in to renew the token` +
				(typeof code === 'string' && /^[A-Z_]{2,32}$/.test(code) ? ` (${code})` : ''),
			{
				code: 'ECONNECTION',
				retryable: true,
				stopsBatch: true,
				hint: 'Nothing was sent with this credential after the token ran out; try again later.',
			},
		),
		lasting: false,
	};
}

/** What an n8n context gives to renew: `helpers.refreshOAuth2Token` (n8n 2.x) for the credential type. */
export function n8nRefresher(
	context: { helpers: object },
	credentialType: string,
): TokenRefresher | undefined {
	const helper = (
		context.helpers as {
			refreshOAuth2Token?: (this: unknown, type: string) => Promise<IDataObject>;
		}
	).refreshOAuth2Token;
	if (typeof helper !== 'function') return undefined;
	return async () => await helper.call(context, credentialType);
}
