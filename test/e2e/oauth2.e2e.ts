/**
 * Custom SMTP with Authentication OAuth2 in a real n8n: credentials imported as n8n stores them after
 * Connect (oauthTokenData), signed in at the fake Microsoft identity platform (test/fakes/
 * microsoft-identity), sending and reading over SASL XOAUTH2 on a real Postfix + Dovecot whose oauth2
 * passdb asks the fake about each token (needs root on Linux, like the mail-system part).
 */
import { Check, SETUP_TIMEOUT, State, usePart, verify } from './support';

const oauth2 = require('../../scripts/lib/e2e-oauth2') as {
	setupOAuth2(options: { run: object; secrets: object }): Promise<State>;
	teardownOAuth2(ctx: State): Promise<void>;
};
const checks = require('../../scripts/lib/e2e-oauth2-checks') as {
	checkSend(ctx: State): Promise<Check>;
	checkRenewed(ctx: State): Promise<Check>;
	checkFailedDeliveries(ctx: State): Check;
	checkRevoked(ctx: State): Promise<Check>;
};

const part = usePart('oauth2');

describe('Custom SMTP with OAuth2 (XOAUTH2, fake Microsoft identity platform)', () => {
	let ctx: State | undefined;
	const state = (): State => {
		if (!ctx) throw new Error('the OAuth2 setup did not complete');
		return ctx;
	};
	// Starts the fake, the mail system and n8n; runs the send, renewal and revoked-grant workflows.
	beforeAll(async () => {
		ctx = await oauth2.setupOAuth2(part());
	}, SETUP_TIMEOUT);

	afterAll(async () => {
		if (ctx) await oauth2.teardownOAuth2(ctx);
	});

	test('send with Authentication OAuth2: SMTP AUTH XOAUTH2 with the stored token, the message arrives once', () =>
		verify(checks.checkSend(state())));

	test(
		"a stored token expired by n8n's record and one the server refuses: each renewed once through n8n at the " +
			"fake's token endpoint, the sends arrive, the renewed tokens are stored in n8n's database",
		() => verify(checks.checkRenewed(state())),
	);

	test('Failed Deliveries reads the real bounce over IMAP with XOAUTH2 and links it to the sent message', () =>
		verify(checks.checkFailedDeliveries(state())));

	test(
		'a revoked grant (invalid_grant): EAUTH "reconnect" items under Continue, a node error under Stop, ' +
			'nothing sent',
		() => verify(checks.checkRevoked(state())),
	);
});
