/**
 * The MSC server's command line (sandbox/msc/args.ts, cli.ts): environment variables under flags,
 * the data folder, identities, and the API key kept in the data folder when none is given. The
 * shipped command itself (packed, installed, started) is checked by test/e2e/msc-command.e2e.ts.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseArgs, parseIdentity, USAGE } from '../../sandbox/msc/args';
import { resolveApiKey } from '../../sandbox/msc/cli';
import { DEFAULT_CONFIG, resolveConfig } from '../../sandbox/msc/config';
import { removeTempFolders, tempFolder } from './helpers';

afterAll(() => removeTempFolders());

describe('MSC server command line', () => {
	it('takes every setting from MSC_* variables, and flags win over them', () => {
		const dataDir = tempFolder();
		const env = {
			MSC_HOST: '0.0.0.0',
			MSC_PORT: '9025',
			MSC_SMTP_PORT: '9026',
			MSC_DATA_DIR: dataDir,
			MSC_API_KEY: 'msc_sk_from_env',
			MSC_DOMAIN: 'bounce.acme.example',
			MSC_RELAY: 'smtp.acme.example:587',
			MSC_RELAY_SECURITY: 'starttls',
			MSC_RELAY_USER: 'relay@acme.example',
			MSC_RELAY_PASSWORD: 'relay-secret',
			MSC_IDENTITIES: 'Jane Doe <Jane@Acme.example>, sales@acme.example',
			MSC_ACCOUNT_NAME: 'Acme',
			MSC_QUIET: '1',
		};
		const config = resolveConfig(parseArgs([], env));
		expect(config).toMatchObject({
			host: '0.0.0.0',
			port: 9025,
			smtpPort: 9026,
			db: join(dataDir, 'msc.sqlite'),
			domain: 'bounce.acme.example',
			upstream: {
				host: 'smtp.acme.example',
				port: 587,
				security: 'starttls',
				user: 'relay@acme.example',
				password: 'relay-secret',
			},
			demo: {
				apiKey: 'msc_sk_from_env',
				accountName: 'Acme',
				identities: [
					{ name: 'Jane Doe', address: 'jane@acme.example', verified: true },
					{ name: 'sales', address: 'sales@acme.example', verified: true },
				],
			},
		});
		expect(parseArgs([], env).quiet).toBe(true);

		const flagged = parseArgs(
			[
				'--port',
				'9100',
				'--relay=127.0.0.1:1025',
				'--identity',
				'a@x.example',
				'--identity',
				'b@x.example',
			],
			env,
		);
		expect(flagged.port).toBe(9100);
		expect(flagged.upstream).toMatchObject({ host: '127.0.0.1', port: 1025 });
		expect(flagged.identities?.map((identity) => identity.address)).toEqual([
			'a@x.example',
			'b@x.example',
		]);
		// The old flag names of `npm run msc-sandbox` still work.
		expect(parseArgs(['--upstream', 'h.example:26', '--demo-api-key', 'k']).upstream).toEqual({
			host: 'h.example',
			port: 26,
		});
		// Without --data-dir / --db the state is kept in the user's home, not in the current folder.
		expect(resolveConfig(parseArgs([])).db).toBe(DEFAULT_CONFIG.db);
		expect(DEFAULT_CONFIG.db).toMatch(/\.delivery-channel-msc[/\\]msc\.sqlite$/);
	});

	it('refuses what it does not know, a relay password as a flag (visible in ps), and a bad identity', () => {
		expect(() => parseArgs(['--relay-password', 'x'])).toThrow(/Unknown option: --relay-password/);
		expect(() => parseArgs(['--nope'])).toThrow(/Unknown option/);
		expect(() => parseArgs([], { MSC_PORT: 'eighty' })).toThrow(/MSC_PORT.*must be a number/);
		expect(() => parseIdentity('not an address')).toThrow(/--identity/);
		expect(parseArgs(['--help']).help).toBe(true);
		for (const variable of ['MSC_API_KEY', 'MSC_RELAY_PASSWORD', 'MSC_DATA_DIR', 'MSC_DOMAIN'])
			expect(USAGE).toContain(variable);
	});

	it('makes an API key once into <data dir>/api-key (mode 0600) and uses it on every later start', () => {
		const dataDir = tempFolder();
		const options = parseArgs(['--data-dir', dataDir]);
		const first = resolveApiKey(options, {});
		const file = join(dataDir, 'api-key');
		expect(existsSync(file)).toBe(true);
		expect(statSync(file).mode & 0o777).toBe(0o600);
		expect(first?.apiKey).toMatch(/^msc_sk_[\w-]{32}$/);
		expect(first?.from).toContain(file);
		expect(first?.from).not.toContain(first!.apiKey);
		expect(resolveApiKey(parseArgs(['--data-dir', dataDir]), {})?.apiKey).toBe(first?.apiKey);
		expect(readFileSync(file, 'utf8').trim()).toBe(first?.apiKey);

		const given = resolveApiKey(parseArgs([], { MSC_API_KEY: 'msc_sk_given' }), {
			MSC_API_KEY: 'msc_sk_given',
		});
		expect(given).toEqual({ apiKey: 'msc_sk_given', from: 'MSC_API_KEY' });
		expect(() => resolveApiKey(parseArgs(['--db', ':memory:']), {})).toThrow(/MSC_API_KEY/);
		expect(resolveApiKey(parseArgs(['--no-demo', '--db', ':memory:']), {})).toBeUndefined();
		writeFileSync(file, '\n');
		expect(() => resolveApiKey(parseArgs(['--data-dir', dataDir]), {})).toThrow(/is empty/);
	});
});
