/**
 * The MSC server as shipped: the packed tarball installed with --omit=dev, `npx delivery-channel-msc`
 * run from it, checked by real requests and one relayed message, stopped with SIGTERM.
 */
import { Check, SETUP_TIMEOUT, State, usePart, verify } from './support';

const command = require('../../scripts/lib/e2e-msc-command') as {
	runMscCommand(options: { run: object; secrets: object }): Promise<State & Check>;
};

const part = usePart('msc-command');

describe('MSC server command', () => {
	let result: Check | undefined;
	beforeAll(async () => {
		result = await command.runMscCommand(part());
	}, SETUP_TIMEOUT);

	test(
		'MSC server command: delivery-channel-msc from the installed tarball answers the credential test, ' +
			'sends one message, stops on SIGTERM, keeps its state',
		() => {
			if (!result) throw new Error('the MSC command run did not complete');
			return verify(result);
		},
	);
});
