/**
 * The Gmail channel in a real n8n against the fake Google of test/fakes/gmail: credentials imported
 * with the fake's endpoints and an expired access token.
 */
import { Check, SETUP_TIMEOUT, State, usePart, verify } from './support';

const gmail = require('../../scripts/lib/e2e-gmail') as {
	setupGmail(options: { run: object; secrets: object }): Promise<State>;
	teardownGmail(ctx: State): Promise<void>;
	checkSend(ctx: State): Check;
	checkFailedDeliveries(ctx: State): Check;
	checkTokenStored(ctx: State): Promise<Check>;
	checkRefusedAndRevoked(ctx: State): Promise<Check>;
};

const part = usePart('gmail');

describe('Gmail channel', () => {
	let ctx: State | undefined;
	const state = (): State => {
		if (!ctx) throw new Error('the Gmail setup did not complete');
		return ctx;
	};
	// Starts the fake and n8n, and runs the workflow once (send, then Failed Deliveries): checks 1 and 2 read it.
	beforeAll(async () => {
		ctx = await gmail.setupGmail(part());
	}, SETUP_TIMEOUT);

	afterAll(async () => {
		if (ctx) await gmail.teardownGmail(ctx);
	});

	test('send 3 items via the fake Gmail (alias, account, unverified -> sent as account with warning), expired token refreshed', () =>
		verify(gmail.checkSend(state())));

	test('Failed Deliveries finds the Gmail bounce report and links it to the message in Sent', () =>
		verify(gmail.checkFailedDeliveries(state())));

	test('the refreshed token was stored by n8n (second run needs no refresh); the bounced address is then suppressed', () =>
		verify(gmail.checkTokenStored(state())));

	test(
		'an access token Google keeps refusing and a revoked refresh token give EAUTH items under Continue ' +
			'and a node error under Stop, nothing sent',
		() => verify(gmail.checkRefusedAndRevoked(state())),
	);
});
