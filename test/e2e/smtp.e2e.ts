/**
 * The Custom SMTP channel in a real n8n, the built package loaded as a custom extension
 * (N8N_CUSTOM_EXTENSIONS), against the local mail catcher: three emails, On Error = Continue
 * (regular output), and the On Error settings users set in the editor. Both parts run on one n8n:
 * the shared setup below.
 */
import { Check, SETUP_TIMEOUT, State, note, usePart, verify } from './support';

interface Smtp extends State {
	catcher: { close(): Promise<void> };
}

const smtpLib = require('../../scripts/lib/e2e-smtp') as {
	startSmtp(secrets: object): Promise<Smtp>;
};
const custom = require('../../scripts/lib/e2e-custom-extension') as {
	setupCustomExtension(options: { run: object; smtp: Smtp }): Promise<State & { note: string }>;
	sendThree(ext: State): Promise<State>;
	checkThreeOutput(sent: State): Check;
	checkThreeReceived(sent: State): Check;
	checkContinueRegularOutput(ext: State): Promise<Check>;
};
const onErrorLib = require('../../scripts/lib/e2e-onerror') as {
	setupOnError(options: { ext: State; secrets: object }): Promise<State>;
	checkContinueErrorOutput(ctx: State): Promise<Check>;
	checkStopBadInput(ctx: State): Promise<Check>;
	checkStopWhileSending(ctx: State): Promise<Check>;
	checkWrongPassword(ctx: State): Promise<Check>;
};

const part = usePart('smtp');
let smtp: Smtp | undefined;
let ext: State;

// The shared setup: the mail catcher and the custom-extension n8n with the SMTP credential.
beforeAll(async () => {
	smtp = await smtpLib.startSmtp(part().secrets);
	const setup = await custom.setupCustomExtension({ run: part().run, smtp });
	note([setup.note]);
	ext = setup;
}, SETUP_TIMEOUT);

afterAll(async () => {
	if (smtp) await smtp.catcher.close();
});

describe('custom extension (CUSTOM.deliveryChannel)', () => {
	let sent: State;
	beforeAll(async () => {
		sent = await custom.sendThree(ext);
	}, SETUP_TIMEOUT);

	test('node output for 3 items', () => verify(custom.checkThreeOutput(sent)));

	test('SMTP server received exactly the 3 expected messages (recipients incl. Bcc, subject, From, Reply-To, Message-ID)', () =>
		verify(custom.checkThreeReceived(sent)));

	test(
		'On Error = Continue (regular output): malformed and refused address -> flat error items on the one output, ' +
			'the other 2 items still sent',
		() => verify(custom.checkContinueRegularOutput(ext)),
	);
});

describe('On Error (Custom SMTP)', () => {
	let onError: State;
	beforeAll(async () => {
		onError = await onErrorLib.setupOnError({ ext, secrets: part().secrets });
	}, SETUP_TIMEOUT);

	test(
		'On Error = Continue (using error output): sent + partial on output 0, bad input + refused on output 1 ' +
			'with details and the lead merged back',
		() => verify(onErrorLib.checkContinueErrorOutput(onError)),
	);

	test('On Error = Stop Workflow: one bad input among three fails the execution naming item 1, nothing sent', () =>
		verify(onErrorLib.checkStopBadInput(onError)));

	test(
		'On Error = Stop Workflow: a refused lead while sending fails the execution naming every item already sent ' +
			'by Message-ID',
		() => verify(onErrorLib.checkStopWhileSending(onError)),
	);

	test('Custom SMTP with a wrong password: an EAUTH item under Continue, a node error under Stop, nothing sent', () =>
		verify(onErrorLib.checkWrongPassword(onError)));
});
