/**
 * The packed package (or the tarball E2E_TARBALL names) installed under <user folder>/.n8n/nodes the
 * way n8n installs a community package, in a real n8n without N8N_CUSTOM_EXTENSIONS.
 */
import { Check, SETUP_TIMEOUT, State, usePart, verify } from './support';

interface Smtp extends State {
	catcher: { close(): Promise<void> };
}

const smtpLib = require('../../scripts/lib/e2e-smtp') as {
	startSmtp(secrets: object): Promise<Smtp>;
};
const pkg = require('../../scripts/lib/e2e-community-package') as {
	runCommunityPackage(options: { run: object; smtp: Smtp }): Promise<State>;
	checkCommunityPackage(result: State): Check;
};

const part = usePart('community-package');

describe('community package', () => {
	let smtp: Smtp | undefined;
	let result: State;
	beforeAll(async () => {
		smtp = await smtpLib.startSmtp(part().secrets);
		result = await pkg.runCommunityPackage({ run: part().run, smtp });
	}, SETUP_TIMEOUT);

	afterAll(async () => {
		if (smtp) await smtp.catcher.close();
	});

	test('community package (n8n-nodes-delivery-channel.deliveryChannel) installed from npm pack into .n8n/nodes, no N8N_CUSTOM_EXTENSIONS', () =>
		verify(pkg.checkCommunityPackage(result)));
});
