/**
 * The seeded-secret check, run after every other part (jest.e2e.config.js orders it last): every
 * secret of every credential the run used was a marker made for the run; none may appear in what n8n
 * printed, stored or wrote. The other parts handed over their markers, the texts their servers
 * received and what their n8n commands printed (scripts/lib/e2e-run.js); this part exports every n8n
 * user folder and scans it all (scripts/lib/e2e-secrets.js).
 */
import { Check, SETUP_TIMEOUT, usePart, verify } from './support';

const secretsLib = require('../../scripts/lib/e2e-secrets') as {
	scanRun(run: object): Promise<{ selfCheck: Check; noSecret: Check }>;
};

const part = usePart('seeded-secrets');

describe('seeded-secret check', () => {
	let scan: { selfCheck: Check; noSecret: Check } | undefined;
	const result = () => {
		if (!scan) throw new Error('the scan did not complete');
		return scan;
	};
	beforeAll(async () => {
		scan = await secretsLib.scanRun(part().run);
	}, SETUP_TIMEOUT);

	test(
		"self-check: the scanner finds planted markers (plain, AUTH PLAIN base64, a long SQLite row) and a decoy lead field in n8n's " +
			'run output and execution records',
		() => verify(result().selfCheck),
	);

	test('no secret marker in n8n output items, errors, log lines (debug), execution records, exports or files written during the run', () =>
		verify(result().noSecret));
});
