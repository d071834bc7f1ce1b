/**
 * The MSC channel in a real n8n against the MSC sandbox, which relays to a local SMTP server that
 * refuses one recipient; bounce reports arrive on the sandbox's inbound port.
 */
import { Check, SETUP_TIMEOUT, State, usePart, verify } from './support';

const msc = require('../../scripts/lib/e2e-msc') as {
	setupMsc(options: { run: object; secrets: object }): Promise<State>;
	teardownMsc(ctx: State): Promise<void>;
};
const checks = require('../../scripts/lib/e2e-msc-checks') as {
	checkSend(ctx: State): Check;
	checkRelayed(ctx: State): Check;
	checkFailedDeliveries(ctx: State): Promise<Check>;
	checkErrorOutputAndRejectedKey(ctx: State): Promise<Check>;
	checkSuppression(ctx: State): Promise<Check>;
};

const part = usePart('msc');

describe('MSC channel', () => {
	let ctx: State | undefined;
	const state = (): State => {
		if (!ctx) throw new Error('the MSC setup did not complete');
		return ctx;
	};
	// Starts the upstream, the sandbox and n8n, and runs the send workflow the first two checks read.
	beforeAll(async () => {
		ctx = await msc.setupMsc(part());
	}, SETUP_TIMEOUT);

	afterAll(async () => {
		if (ctx) await msc.teardownMsc(ctx);
	});

	test('MSC channel in real n8n: sent, partial (refused recipient) and unverified-identity items', () =>
		verify(checks.checkSend(state())));

	test('MSC sandbox relayed exactly 2 messages with the bounce address as envelope sender and a Sender header', () =>
		verify(checks.checkRelayed(state())));

	test('MSC Failed Deliveries in real n8n: the refused recipient and the bounced one, with reason and link', () =>
		verify(checks.checkFailedDeliveries(state())));

	test(
		'MSC in real n8n: error output (sent lead on output 0, unverified identity on output 1 with details and the lead), ' +
			'a rejected API key fails clearly',
		() => verify(checks.checkErrorOutputAndRejectedKey(state())),
	);

	test('MSC in real n8n: the hard failure Failed Deliveries listed is suppressed on the next send', () =>
		verify(checks.checkSuppression(state())));
});
