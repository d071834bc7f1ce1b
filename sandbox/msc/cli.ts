/**
 * `npm run msc-sandbox [-- flags]`: runs the MSC sandbox until Ctrl+C. The demo account's API key is
 * printed once, when the account is created; the database keeps only its hash.
 */
import { parseArgs, USAGE } from './config';
import { startSandbox } from './server';

function describeIdentity(identity: { address: string; verified: boolean }): string {
	return `${identity.address} (${identity.verified ? 'verified' : 'not verified'})`;
}

export async function main(argv: string[]): Promise<void> {
	let options: ReturnType<typeof parseArgs>;
	try {
		options = parseArgs(argv);
	} catch (error) {
		process.stderr.write(`${(error as Error).message}\n`);
		process.exitCode = 2;
		return;
	}
	if (options.help) {
		process.stdout.write(USAGE);
		return;
	}
	const quiet = process.env.MSC_SANDBOX_QUIET === '1';
	const log = (line: string) => {
		if (!quiet) process.stdout.write(`[msc-sandbox] ${new Date().toISOString()} ${line}\n`);
	};
	const sandbox = await startSandbox(options, log);
	const { config } = sandbox;
	const lines = [
		'MSC sandbox is running',
		`  API               ${sandbox.apiUrl}   (credential "Delivery Channel: MSC API", Base URL)`,
		`  Inbound SMTP      ${sandbox.smtpHost}:${sandbox.smtpPort}   (bounce reports for bounce+<message id>@${config.domain})`,
		`  Upstream relay    ${config.upstream.host}:${config.upstream.port} (${config.upstream.security})`,
		`  Database          ${config.db === ':memory:' ? ':memory: (nothing is kept)' : config.db}`,
	];
	if (sandbox.demo) {
		lines.push(
			'',
			`  Demo account "${sandbox.demo.account.name}" created. Its API key is shown only this once:`,
			`    ${sandbox.demo.apiKey}`,
			`  Identities: ${sandbox.demo.identities.map(describeIdentity).join(', ')}`,
		);
	} else {
		lines.push(
			'',
			'  Using the accounts already in the database (their API keys were printed when they were created).',
		);
	}
	process.stdout.write(`${lines.join('\n')}\n\n`);

	let stopping = false;
	const stop = (signal: string) => {
		if (stopping) return;
		stopping = true;
		log(`${signal}: stopping`);
		sandbox.close().then(
			() => process.exit(0),
			() => process.exit(1),
		);
	};
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
	main(process.argv.slice(2)).catch((error: unknown) => {
		process.stderr.write(
			`MSC sandbox failed to start: ${(error as Error)?.message ?? String(error)}\n`,
		);
		process.exit(1);
	});
}
