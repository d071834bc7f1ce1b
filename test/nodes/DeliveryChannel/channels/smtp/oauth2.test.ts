/**
 * The OAuth2 sign-in of Custom SMTP (smtp/oauth2.ts and the deliveryChannelSmtpOAuth2Api credential).
 * The token rules are checked directly; the rest runs against the real Postfix + Dovecot taking SASL
 * XOAUTH2 (Dovecot asks the fake Microsoft identity platform about each token) and the node in n8n's
 * engine, whose own helpers.refreshOAuth2Token renews at the fake's token endpoint and stores the
 * rotated token: the credential test, sending, Failed Deliveries reading a real bounce, a token that
 * expired before the batch, one about to expire, and a revoked grant.
 */
import { randomUUID } from 'node:crypto';

import type {
	ICredentialTestFunctions,
	ICredentialType,
	IDataObject,
	INode,
	INodeProperties,
} from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { DeliveryChannelSmtpOAuth2Api } from '../../../../../credentials/DeliveryChannelSmtpOAuth2Api.credentials';
import { DeliveryChannel } from '../../../../../nodes/DeliveryChannel/DeliveryChannel.node';
import { DeliveryChannelTrigger } from '../../../../../nodes/DeliveryChannelTrigger/DeliveryChannelTrigger.node';
import { smtpChannel } from '../../../../../nodes/DeliveryChannel/channels/smtp';
import type {
	ChannelContext,
	OutgoingMessage,
} from '../../../../../nodes/DeliveryChannel/channels/types';
import { smtpLimits } from '../../../../../nodes/DeliveryChannel/channels/smtp/limits';
import {
	AccessTokens,
	RENEW_BEFORE_MS,
} from '../../../../../nodes/DeliveryChannel/channels/smtp/oauth2';
import { smtpSettings } from '../../../../../nodes/DeliveryChannel/channels/smtp/settings';
import { chain, itemsNode, manualTrigger, node, runWorkflow } from '../../../../helpers/n8n';
import type { MicrosoftIdentity, TokenSet } from '../../../../fakes/microsoft-identity';
import { describeWithMailSystem, type MailSystem } from '../../../../support/mailsystem';
import { startOAuth2MailSystem, type OAuth2MailSystem } from '../../../../support/oauth2';
import { pollOnce } from '../../../../support/poll';

jest.setTimeout(120_000);

const TYPE = 'CUSTOM.deliveryChannel';
const OAUTH = 'deliveryChannelSmtpOAuth2Api';
const SCOPES =
	'offline_access https://outlook.office.com/SMTP.Send https://outlook.office.com/IMAP.AccessAsUser.All';

/** n8n's oAuth2Api (n8n-nodes-base), the fields our credential does not define itself. */
const OAUTH2_API_STAND_IN: ICredentialType = {
	name: 'oAuth2Api',
	displayName: 'OAuth2 API',
	properties: [
		{ displayName: 'Client ID', name: 'clientId', type: 'string', default: '' },
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{ displayName: 'Ignore SSL Issues', name: 'ignoreSSLIssues', type: 'boolean', default: false },
	],
};

const RECONNECT = {
	code: 'EAUTH',
	retryable: false,
	error: 'The Microsoft 365 sign-in of this credential is no longer valid',
	hint: 'Open the credential and select Connect (Reconnect) to sign in again.',
};

function tokenData(accessToken: string, expiresInMs: number, refresh = 'rt') {
	return {
		access_token: accessToken,
		refresh_token: refresh,
		n8n_expires_at: String(Date.now() + expiresInMs),
	};
}

describe('AccessTokens', () => {
	const credentials = (data: IDataObject) => ({ provider: 'microsoft365', oauthTokenData: data });

	it('gives the stored token while it has more than 5 minutes left, and renews one about to expire first', async () => {
		const refresher = jest.fn(async () => tokenData('new', 3_600_000));
		expect(
			await new AccessTokens(
				credentials(tokenData('old', RENEW_BEFORE_MS + 60_000)),
				refresher,
			).current(),
		).toBe('old');
		expect(refresher).not.toHaveBeenCalled();
		const expiring = new AccessTokens(
			credentials(tokenData('old', RENEW_BEFORE_MS - 60_000)),
			refresher,
		);
		expect(await expiring.current()).toBe('new');
		expect(await expiring.current()).toBe('new');
		expect(refresher).toHaveBeenCalledTimes(1);
	});

	it('renews a refused token once for every login that saw it refused, and never a renewed token again', async () => {
		let calls = 0;
		const refresher = jest.fn(async (): Promise<IDataObject> => {
			calls += 1;
			return tokenData(`new-${calls}`, 3_600_000);
		});
		const tokens = new AccessTokens(credentials(tokenData('old', 3_600_000)), refresher);
		const renewed = await Promise.all([
			tokens.renew('old'),
			tokens.renew('old'),
			tokens.renew('old'),
		]);
		expect(renewed).toEqual(['new-1', 'new-1', 'new-1']);
		expect(await tokens.renew('old')).toBe('new-1');
		// The fresh token refused too: the server's refusal stands (the account, not the token).
		expect(await tokens.renew('new-1')).toBe('new-1');
		expect(refresher).toHaveBeenCalledTimes(1);
	});

	it('turns a refused grant (invalid_grant, n8n\'s "needs to be reconnected") into the reconnect error, without tokens', async () => {
		for (const failure of [
			Object.assign(new Error('invalid_grant'), { body: { error: 'invalid_grant' } }),
			Object.assign(new Error('The credential "x" needs to be reconnected.'), {
				failure: { cause: 'credential-invalid' },
			}),
		]) {
			const tokens = new AccessTokens(
				credentials(tokenData('secret-access', 3_600_000, 'secret-refresh')),
				async () => {
					throw failure;
				},
			);
			const error = await tokens.renew('secret-access').catch((e: unknown) => e);
			expect(error).toMatchObject({
				code: 'EAUTH',
				retryable: false,
				stopsBatch: true,
				message: RECONNECT.error,
				hint: RECONNECT.hint,
			});
			expect(JSON.stringify(error)).not.toMatch(/secret/);
			// Every later login learns the same.
			await expect(tokens.renew('secret-access')).rejects.toBe(error);
		}
	});

	it('names the provider, and says "not connected" without a token', async () => {
		await expect(new AccessTokens({ provider: 'googleWorkspace' }).current()).rejects.toMatchObject(
			{
				code: 'EAUTH',
				message: 'The Google Workspace sign-in of this credential is not connected yet',
			},
		);
	});

	it('a refused client holds for the session; a provider out of reach is retryable and tried again next time', async () => {
		const refused = new AccessTokens(
			{ provider: 'other', oauthTokenData: tokenData('a', 3_600_000) },
			async () => {
				throw Object.assign(new Error('invalid_client: AADSTS7000215 secret-ish text'), {
					body: { error: 'invalid_client', error_description: 'AADSTS7000215 secret-ish text' },
				});
			},
		);
		const error = await refused.renew('a').catch((e: unknown) => e);
		expect(error).toMatchObject({
			code: 'EAUTH',
			retryable: false,
			stopsBatch: true,
			message: 'The OAuth2 sign-in of this credential could not be renewed (invalid_client)',
		});
		await expect(refused.renew('a')).rejects.toBe(error);

		let calls = 0;
		const unreachable = new AccessTokens(
			{ provider: 'microsoft365', oauthTokenData: tokenData('a', 3_600_000) },
			async () => {
				calls += 1;
				throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), {
					code: 'ECONNREFUSED',
				});
			},
		);
		await expect(unreachable.renew('a')).rejects.toMatchObject({
			code: 'ECONNECTION',
			retryable: true,
			stopsBatch: true,
			message: 'Could not reach the Microsoft 365 sign-in to renew the token (ECONNREFUSED)',
		});
		await expect(unreachable.renew('a')).rejects.toMatchObject({ code: 'ECONNECTION' });
		expect(calls).toBe(2);
	});
});

describe('the OAuth2 credential and the Authentication parameter', () => {
	const properties = new DeliveryChannelSmtpOAuth2Api().properties;
	/**
	 * The credential's values as n8n resolves them: its defaults for what is displayed, then its
	 * expressions over its own fields ($self). The expressions here are plain JavaScript.
	 */
	const resolved = (values: IDataObject) => {
		const data = NodeHelpers.getNodeParameters(
			properties as INodeProperties[],
			values as never,
			true,
			false,
			null,
			null,
		) as IDataObject;
		const evaluate = (value: unknown) =>
			typeof value === 'string' && value.startsWith('={{')
				? // eslint-disable-next-line @typescript-eslint/no-implied-eval
					(new Function('$self', `return (${value.slice(3, -2)});`)(data) as unknown)
				: value;
		return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, evaluate(value)]));
	};

	it('one field per name (n8n merges credential properties by name); presets for Microsoft 365 and Google Workspace', () => {
		const names = properties.map((p) => p.name);
		expect(new Set(names).size).toBe(names.length);
		expect(resolved({})).toMatchObject({
			provider: 'microsoft365',
			tenant: 'organizations',
			authUrl: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize',
			accessTokenUrl: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token',
			scope: SCOPES,
			authQueryParameters: 'prompt=select_account',
			authentication: 'body',
			grantType: 'authorizationCode',
			host: 'smtp.office365.com',
			port: 587,
			security: 'starttls',
			imapHost: 'outlook.office365.com',
			imapPort: 993,
			imapSecurity: 'tls',
			maxConnections: 0,
		});
		expect(resolved({ tenant: ' contoso.onmicrosoft.com ' })).toMatchObject({
			authUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
		});
		expect(resolved({ provider: 'googleWorkspace' })).toMatchObject({
			authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
			accessTokenUrl: 'https://oauth2.googleapis.com/token',
			scope: 'https://mail.google.com/',
			authQueryParameters: 'access_type=offline&prompt=consent',
			host: 'smtp.gmail.com',
			port: 587,
			security: 'starttls',
			imapHost: 'imap.gmail.com',
		});
		expect(resolved({ provider: 'googleWorkspace' }).tenant).toBeUndefined();
		expect(
			resolved({
				provider: 'other',
				customAuthUrl: 'https://id.example.com/authorize',
				customAccessTokenUrl: 'https://id.example.com/token',
				customScope: 'mail',
			}),
		).toMatchObject({
			authUrl: 'https://id.example.com/authorize',
			accessTokenUrl: 'https://id.example.com/token',
			scope: 'mail',
			authQueryParameters: '',
			host: '',
			imapHost: '',
		});
	});

	it("Microsoft 365's limits apply to the preset whatever its host: 3 connections, 30 a minute, 10,000 recipients a day, 500 a message", () => {
		const credentials = {
			provider: 'microsoft365',
			host: 'smtp-relay.example.com',
			user: 'a@example.com',
		};
		const settings = smtpSettings(credentials, new AccessTokens(credentials));
		expect(smtpLimits(settings, credentials)).toEqual({
			maxConnections: 3,
			messagesPerMinute: 30,
			recipientsPerDay: 10_000,
			recipientsPerMessage: 500,
		});
		expect(settings.auth).toBeUndefined();
		expect(settings.oauth?.user).toBe('a@example.com');
	});

	it('the node offers Password (default) and OAuth2 for Custom SMTP, each with its own credential and test', () => {
		const { description } = new DeliveryChannel();
		const authentication = description.properties.find((p) => p.name === 'authentication');
		expect(authentication).toMatchObject({
			default: 'password',
			displayOptions: { show: { channel: ['smtp'] } },
			options: [
				{ name: 'Password', value: 'password' },
				{ name: 'OAuth2 (Microsoft 365, Google Workspace)', value: 'oAuth2' },
			],
		});
		expect(
			description.credentials?.filter((c) => c.displayOptions?.show?.channel?.includes('smtp')),
		).toEqual([
			{
				name: 'deliveryChannelSmtpApi',
				required: true,
				displayOptions: { show: { channel: ['smtp'], authentication: ['password'] } },
				testedBy: 'smtpCredentialTest',
			},
			{
				name: OAUTH,
				required: true,
				displayOptions: { show: { channel: ['smtp'], authentication: ['oAuth2'] } },
				testedBy: 'smtpCredentialTest',
			},
		]);
	});
});

describeWithMailSystem('Custom SMTP with OAuth2 (XOAUTH2) on the real Postfix + Dovecot', () => {
	let system: OAuth2MailSystem | undefined;
	let idp: MicrosoftIdentity;
	let mail: MailSystem;

	beforeAll(async () => {
		system = await startOAuth2MailSystem();
		({ idp, mail } = system);
	}, 240_000);

	afterAll(async () => await system?.stop());

	/** The credential as n8n stores it after Connect, pointed at the fake and the local servers. */
	function credential(tokens: TokenSet, expiresInMs = tokens.expires_in * 1000): IDataObject {
		const smtp = mail.smtpCredential();
		return {
			provider: 'microsoft365',
			tenant: 'organizations',
			grantType: 'authorizationCode',
			authUrl: idp.authorizeUrl('organizations'),
			accessTokenUrl: idp.tokenUrl('organizations'),
			clientId: idp.client.clientId,
			clientSecret: idp.client.clientSecret,
			scope: SCOPES,
			authentication: 'body',
			user: mail.sender.address,
			host: smtp.host,
			port: smtp.port,
			security: 'none',
			imapHost: smtp.imapHost,
			imapPort: smtp.imapPort,
			imapSecurity: 'none',
			imapFolders: 'INBOX, Junk',
			sentFolder: '',
			oauthTokenData: { ...tokens, n8n_expires_at: String(Date.now() + expiresInMs) },
		};
	}

	let runs = 0;
	const refreshes = () => idp.tokenRequests.filter((r) => r.grantType === 'refresh_token');

	async function run(
		data: IDataObject,
		parameters: IDataObject,
		leads: IDataObject[] = [{}],
		credentialTypes?: Record<string, ICredentialType>,
	) {
		const nodes: INode[] = [
			manualTrigger(),
			itemsNode('Leads', leads),
			node('Mail', TYPE, { channel: 'smtp', authentication: 'oAuth2', ...parameters } as never, {
				// A credential of its own per run: connections kept between executions (parking) and
				// connection slots belong to one credential, and each test signs in anew.
				credentials: { [OAUTH]: { id: `oauth-${++runs}`, name: 'Microsoft 365' } },
				onError: 'continueRegularOutput',
			}),
		];
		const result = await runWorkflow({
			workflow: { nodes, connections: chain(...nodes) },
			nodeTypes: { [TYPE]: new DeliveryChannel() },
			credentials: { [OAUTH]: data as never },
			credentialTypes,
		});
		return {
			items: result.output('Mail').map((item) => item.json),
			stored: result.credentials[OAUTH],
		};
	}

	const sendParameters = {
		operation: 'send',
		identity: { __rl: true, mode: 'address', value: '' },
		to: '={{ $json.to }}',
		subject: '={{ $json.subject }}',
		emailFormat: 'text',
		text: 'Sent with SMTP AUTH XOAUTH2.',
	};

	async function send(
		data: IDataObject,
		leads: IDataObject[],
		credentialTypes?: Record<string, ICredentialType>,
	) {
		return await run(
			data,
			{ ...sendParameters, identity: { ...sendParameters.identity, value: mail.sender.address } },
			leads,
			credentialTypes,
		);
	}

	function leads(tag: string, count: number) {
		return Array.from({ length: count }, (_, i) => ({
			to: mail.sender.address,
			subject: `${tag} ${i + 1}`,
		}));
	}

	/** Waits for the tagged messages, then checks that each arrived exactly once. */
	async function arrivedOnce(tag: string, count: number) {
		const match = (m: { subject?: string }) => Boolean(m.subject?.startsWith(`${tag} `));
		await mail.waitForMessages('INBOX', count, 30_000, match);
		await new Promise((resolve) => setTimeout(resolve, 1_000));
		const seen = (await mail.waitForMessages('INBOX', count, 5_000, match)).map((m) => m.subject);
		expect(seen.sort()).toEqual(Array.from({ length: count }, (_, i) => `${tag} ${i + 1}`).sort());
	}

	const test = (data: IDataObject) =>
		new DeliveryChannel().methods.credentialTest.smtpCredentialTest.call(
			{} as ICredentialTestFunctions,
			{
				id: 'c1',
				name: 'Microsoft 365',
				type: OAUTH,
				data: data as never,
			},
		);

	it('the credential test signs in to SMTP and the mailbox with the stored token', async () => {
		expect(await test(credential(await idp.signIn()))).toEqual({
			status: 'OK',
			message: expect.stringMatching(
				/^Connection successful \(SMTP, and the mailbox: reports read from INBOX/,
			),
		});
		expect(mail.logs(100)).toMatch(/sasl_method=XOAUTH2|method=XOAUTH2/);
	});

	it("the credential test reports an expired token, a refused one with the server's answer, and a missing sign-in", async () => {
		const tokens = await idp.signIn();
		expect(await test(credential(tokens, -1_000))).toEqual({
			status: 'Error',
			message: expect.stringMatching(
				/^The Microsoft 365 access token of this credential has expired.*Reconnect/,
			),
		});
		idp.revoke({ user: mail.sender.address });
		const refused = await test(credential(tokens));
		expect(refused.status).toBe('Error');
		expect(refused.message).toContain('535 5.7.8');
		expect(refused.message).toContain('OAuth2 sign-in');
		expect(refused.message).not.toContain(tokens.access_token);
		const { oauthTokenData: _unused, ...unconnected } = credential(tokens);
		expect(await test(unconnected)).toEqual({
			status: 'Error',
			message:
				'The Microsoft 365 sign-in of this credential is not connected yet. Open the credential and select Connect to sign in with the mailbox account.',
		});
	});

	it('sends with XOAUTH2; a token expired at the server is renewed once through n8n, stored, and every item goes out once', async () => {
		const tokens = await idp.signIn();
		idp.expireAccessTokens({ user: mail.sender.address });
		const before = refreshes().length;
		const tag = `expired ${Date.now()}`;
		const { items, stored } = await send(credential(tokens), leads(tag, 6));
		expect(items.map((item) => item.status)).toEqual(Array(6).fill('sent'));
		expect(refreshes().slice(before)).toEqual([expect.objectContaining({ status: 200 })]);
		const renewed = stored.oauthTokenData as IDataObject;
		expect(renewed.access_token).not.toBe(tokens.access_token);
		expect(Number(renewed.n8n_expires_at)).toBeGreaterThan(Date.now() + 3_000_000);
		await arrivedOnce(tag, 6);
	});

	/**
	 * The channel driven on its own, mid-batch: the context's refreshOAuth2Token does what n8n does
	 * (refresh at the token URL with the stored refresh token, store the answer, return it).
	 */
	function channelContext(data: IDataObject): ChannelContext {
		const stored = { ...data };
		return {
			getCredentials: async () => stored,
			getNodeParameter: (name: string, _item: number, fallback: unknown) =>
				name === 'authentication' ? 'oAuth2' : fallback,
			getInputData: () => [],
			helpers: {
				async refreshOAuth2Token() {
					const token = stored.oauthTokenData as IDataObject;
					const answer = await idp.refresh(String(token.refresh_token));
					if (answer.status !== 200)
						throw Object.assign(new Error('refused'), { body: answer.body });
					const renewed = answer.body as TokenSet;
					stored.oauthTokenData = {
						...token,
						...renewed,
						n8n_expires_at: String(Date.now() + renewed.expires_in * 1000),
					};
					return stored.oauthTokenData;
				},
			},
		} as unknown as ChannelContext;
	}

	function outgoing(subject: string): OutgoingMessage {
		const deliveryId = `dc-${randomUUID()}`;
		return {
			deliveryId,
			messageId: `<${deliveryId}@example.test>`,
			identity: { name: '', address: mail.sender.address },
			to: [{ name: '', address: mail.sender.address }],
			cc: [],
			bcc: [],
			replyTo: [],
			subject,
			text: 'Sent with SMTP AUTH XOAUTH2.',
			attachments: [],
			headers: [],
			references: [],
		};
	}

	it('a token that expires in the middle of a batch: the next logins renew it once, and the batch goes on', async () => {
		const tokens = await idp.signIn();
		const session = await smtpChannel.open(channelContext(credential(tokens)));
		const tag = `mid-batch ${Date.now()}`;
		try {
			expect(session.concurrency).toBe(3);
			await session.send(outgoing(`${tag} 1`));
			idp.expireAccessTokens({ user: mail.sender.address });
			const before = refreshes().length;
			// Six at once: the logged-in connection takes one, two new connections log in and are refused.
			const results = await Promise.all(
				[2, 3, 4, 5, 6, 7].map((i) => session.send(outgoing(`${tag} ${i}`))),
			);
			expect(results.map((result) => result.accepted)).toEqual(
				Array(6).fill([mail.sender.address]),
			);
			// The token still had an hour by n8n's clock: only a refused login renews it.
			expect(refreshes().slice(before)).toEqual([expect.objectContaining({ status: 200 })]);
		} finally {
			await session.close();
		}
		await arrivedOnce(tag, 7);
	});

	it("as n8n stores it (the type's defaults and expressions, merged with oAuth2Api): Other with its own endpoints renews at its token URL", async () => {
		const tokens = await idp.signIn();
		const smtp = mail.smtpCredential();
		// Only what the user entered, and the token n8n stored after Connect.
		const stored = {
			provider: 'other',
			customAuthUrl: idp.authorizeUrl(),
			customAccessTokenUrl: idp.tokenUrl(),
			customScope: SCOPES,
			clientId: idp.client.clientId,
			clientSecret: idp.client.clientSecret,
			user: mail.sender.address,
			host: smtp.host,
			port: smtp.port,
			security: 'none',
			imapHost: smtp.imapHost,
			imapPort: smtp.imapPort,
			imapSecurity: 'none',
			oauthTokenData: { ...tokens, n8n_expires_at: String(Date.now() + 3_600_000) },
		};
		idp.expireAccessTokens({ user: mail.sender.address });
		const before = refreshes().length;
		const tag = `as stored ${Date.now()}`;
		const { items, stored: after } = await send(stored, leads(tag, 2), {
			oAuth2Api: OAUTH2_API_STAND_IN,
			[OAUTH]: new DeliveryChannelSmtpOAuth2Api(),
		});
		expect(items.map((item) => item.status)).toEqual(['sent', 'sent']);
		expect(refreshes().slice(before)).toEqual([
			expect.objectContaining({ tenant: 'common', status: 200 }),
		]);
		expect((after.oauthTokenData as IDataObject).access_token).not.toBe(tokens.access_token);
		await arrivedOnce(tag, 2);
	});

	it('a token within 5 minutes of its expiry is renewed before the first login', async () => {
		const tokens = await idp.signIn();
		const before = refreshes().length;
		const tag = `expiring ${Date.now()}`;
		const { items, stored } = await send(credential(tokens, 60_000), leads(tag, 2));
		expect(items.map((item) => item.status)).toEqual(['sent', 'sent']);
		expect(refreshes().length).toBe(before + 1);
		expect((stored.oauthTokenData as IDataObject).access_token).not.toBe(tokens.access_token);
		await arrivedOnce(tag, 2);
	});

	it('a revoked grant: the batch stops with "reconnect", the refresh is tried once, no token in the output', async () => {
		const tokens = await idp.signIn();
		idp.revoke({ user: mail.sender.address });
		const before = refreshes().length;
		const { items } = await send(credential(tokens), leads(`revoked ${Date.now()}`, 3));
		expect(items[0]).toMatchObject({ status: 'failed', ...RECONNECT });
		expect(items.slice(1).map((item) => item.status)).toEqual(['not sent', 'not sent']);
		expect(refreshes().slice(before)).toEqual([
			expect.objectContaining({ status: 400, error: 'invalid_grant' }),
		]);
		const output = JSON.stringify(items);
		expect(output).not.toContain(tokens.access_token);
		expect(output).not.toContain(tokens.refresh_token!);
	});

	/** The recipient whose bounce the Failed Deliveries test produced (the trigger reads it too). */
	let unknown = '';

	it('Failed Deliveries reads the real bounce over IMAP with XOAUTH2, renewing an expired token once', async () => {
		const tokens = await idp.signIn();
		unknown = mail.unknownUser();
		const { items } = await send(credential(tokens), [
			{ to: unknown, subject: `bounce ${Date.now()}` },
		]);
		expect(items[0].status).toBe('sent');
		await mail.waitForMessages('INBOX', 1, 60_000, (m) =>
			(m.from ?? []).some((f) => /mailer-daemon/i.test(f.address ?? '')),
		);

		idp.expireAccessTokens({ user: mail.sender.address });
		const before = refreshes().length;
		let failures: IDataObject[] = [];
		const deadline = Date.now() + 30_000;
		while (Date.now() < deadline) {
			({ items: failures } = await run(credential(tokens), {
				operation: 'getFailedDeliveries',
				returnAll: true,
				filters: {},
			}));
			if (failures.some((f) => String(f.recipient).toLowerCase() === unknown.toLowerCase())) break;
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
		expect(
			failures.find((f) => String(f.recipient).toLowerCase() === unknown.toLowerCase()),
		).toMatchObject({ channel: 'smtp', recipient: unknown });
		// Each run starts from the stored (expired) token here, so each renews once.
		expect(refreshes().length).toBeGreaterThan(before);
		expect(mail.logs(200)).toMatch(/imap-login: Info: Login: user=<[^>]+>, method=XOAUTH2/);
	});

	it('the trigger emits that bounce, reading the mailbox with XOAUTH2 after renewing an expired token', async () => {
		expect(unknown).not.toBe('');
		const tokens = await idp.signIn();
		idp.expireAccessTokens({ user: mail.sender.address });
		const before = refreshes().length;
		const trigger = node(
			'Failed Delivery',
			'CUSTOM.deliveryChannelTrigger',
			{
				channel: 'smtp',
				authentication: 'oAuth2',
				event: 'failedDelivery',
				filters: { includeDelays: true },
			},
			{ credentials: { [OAUTH]: { id: `oauth-${++runs}`, name: 'Microsoft 365' } } },
		);
		const { items } = await pollOnce({
			node: trigger,
			nodeType: new DeliveryChannelTrigger(),
			credentials: { [OAUTH]: credential(tokens) as never },
			// This helper neither merges parent types nor resolves expressions: the fields as one list.
			credentialTypes: {
				[OAUTH]: {
					...new DeliveryChannelSmtpOAuth2Api(),
					properties: [
						...OAUTH2_API_STAND_IN.properties,
						...new DeliveryChannelSmtpOAuth2Api().properties,
					],
				},
			},
			staticData: {},
		});
		expect(items.map((item) => item.json)).toEqual(
			expect.arrayContaining([expect.objectContaining({ channel: 'smtp', recipient: unknown })]),
		);
		expect(refreshes().length).toBe(before + 1);
	});

	it('Failed Deliveries with a revoked grant gives the same reconnect error', async () => {
		const tokens = await idp.signIn();
		idp.revoke({ user: mail.sender.address });
		const { items } = await run(credential(tokens), {
			operation: 'getFailedDeliveries',
			returnAll: true,
			filters: {},
		});
		expect(items[0]).toMatchObject({ status: 'failed', ...RECONNECT });
	});
});
