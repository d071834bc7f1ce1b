/**
 * Custom SMTP Failed Deliveries and the trigger in a real n8n, against a real Postfix + Dovecot
 * (scripts/mailsystem; needs root on Linux, installs the Debian packages when missing).
 */
import { Check, SETUP_TIMEOUT, State, usePart, verify } from './support';

const mailsystem = require('../../scripts/lib/e2e-mailsystem') as {
	setupMailSystem(options: { run: object; secrets: object }): Promise<State>;
	teardownMailSystem(ctx: State): Promise<void>;
};
const checks = require('../../scripts/lib/e2e-mailsystem-checks') as {
	checkFailedDeliveries(ctx: State): Check;
	checkTriggerOnce(ctx: State): Promise<Check>;
	checkWrongImapPassword(ctx: State): Promise<Check>;
	checkLogsClean(ctx: State): Check;
};

const part = usePart('mailsystem');

describe('Custom SMTP mailbox (Postfix + Dovecot)', () => {
	let ctx: State | undefined;
	const state = (): State => {
		if (!ctx) throw new Error('the mail-system setup did not complete');
		return ctx;
	};
	// Sends, waits for Postfix's reports, lists them, runs the wrong-IMAP-password workflow, then
	// activates the triggers and starts `n8n start`.
	beforeAll(async () => {
		ctx = await mailsystem.setupMailSystem(part());
	}, SETUP_TIMEOUT);

	afterAll(async () => {
		if (ctx) await mailsystem.teardownMailSystem(ctx);
	});

	test("Failed Deliveries returns the MTA's own reports (recipients, reasons, hard/soft, links)", () =>
		verify(checks.checkFailedDeliveries(state())));

	test('the active Delivery Channel Trigger emits each failure once across polls', () =>
		verify(checks.checkTriggerOnce(state())));

	test(
		'a wrong IMAP password gives an EAUTH item under Continue, a node error under Stop, and a logged failure ' +
			'of an active trigger',
		() => verify(checks.checkWrongImapPassword(state())),
	);

	test('mail system logs clean (no delivery agent crashes)', () =>
		verify(checks.checkLogsClean(state())));
});
