'use strict';
// The MSC server as a user gets it from npm: the packed tarball installed with --omit=dev into
// <folder>/.n8n/nodes, then `npx delivery-channel-msc` started there (the package's bin), relaying
// to a local mail catcher that wants a login. Checked with real requests: the health check, the
// account (what the MSC credential's Test calls) with the key and with a wrong one, one message sent
// and relayed, SIGTERM, a restart on the same data folder that still knows the message, and a start
// without a key, which keeps a made one in <data dir>/api-key (mode 0600) and never prints it.

const fs = require('node:fs');
const path = require('node:path');
const { installCommunityPackage, PACKAGE_NAME } = require('./n8n');
const { startMailCatcher } = require('./mail-catcher');
const { freePort } = require('./ports');
const { start, stop } = require('./proc');
const { secs } = require('./e2e-common');

const BIN = 'delivery-channel-msc';
const SENDER = 'sales@acme.example';
const BOUNCE_DOMAIN = 'bounce.acme.example';

/**
 * `npx --no-install delivery-channel-msc` in `cwd` (or, `direct`, node_modules/.bin/delivery-channel-msc
 * itself, as systemd or Docker run it, so its own exit code is seen); resolves once it printed where it
 * listens.
 * @param {string} cwd
 * @param {string[]} args
 * @param {Record<string, string>} env
 */
async function startCommand(cwd, args, env, direct = false) {
	let resolveReady;
	const ready = new Promise((resolve) => (resolveReady = resolve));
	const [cmd, ...rest] = direct
		? [path.join(cwd, 'node_modules', '.bin', BIN), ...args]
		: ['npx', '--no-install', BIN, ...args];
	const handle = start(cmd, rest, {
		cwd,
		env: { ...process.env, ...env },
		timeoutMs: 120_000,
		onLine: (line) => {
			if (line.startsWith('MSC server listening')) resolveReady(line);
		},
	});
	const first = await Promise.race([
		ready,
		handle.done.then((r) => `exited (${r.code}): ${r.stderr.trim().slice(-500)}`),
		new Promise((resolve) => setTimeout(() => resolve('no startup line within 30 s'), 30_000)),
	]);
	return { handle, first: String(first) };
}

/**
 * @param {string} url
 * @param {string} key
 * @param {RequestInit} [init]
 */
async function call(url, key, init = {}) {
	const response = await fetch(url, {
		...init,
		headers: {
			Authorization: `Bearer ${key}`,
			'Content-Type': 'application/json',
			...init.headers,
		},
	});
	const text = await response.text();
	let body;
	try {
		body = JSON.parse(text);
	} catch {
		body = text;
	}
	return { status: response.status, body };
}

/**
 * Installs the tarball, runs the command three times and records what it saw.
 * @param {{ run: import('./e2e-run').E2eRun, secrets: import('./secret-scan').SecretSet }} options
 */
async function runMscCommand({ run, secrets }) {
	const f = [];
	const details = [];
	const folder = path.join(run.work, 'msc-command');
	let t = Date.now();
	const { nodesDir } = await installCommunityPackage(folder, run.tarball.file);
	details.push(`npm install <tgz> --omit=dev into .n8n/nodes took ${secs(t)} s`);
	if (!fs.existsSync(path.join(nodesDir, 'node_modules', '.bin', BIN)))
		f.push(`node_modules/.bin/${BIN} missing after installing ${PACKAGE_NAME}`);

	const apiKey = secrets.marker('MSC server API key (MSC_API_KEY)', 'msc_sk_');
	const relayPassword = secrets.marker('MSC server relay password (MSC_RELAY_PASSWORD)');
	const catcher = await startMailCatcher({ auth: { user: 'relay-user', pass: relayPassword } });
	const [port, smtpPort] = [await freePort(), await freePort()];
	const dataDir = path.join(folder, 'msc-data');
	const args = ['--port', String(port), '--smtp-port', String(smtpPort)];
	const env = {
		MSC_API_KEY: apiKey,
		MSC_DATA_DIR: dataDir,
		MSC_RELAY: `127.0.0.1:${catcher.port}`,
		MSC_RELAY_SECURITY: 'none',
		MSC_RELAY_USER: 'relay-user',
		MSC_RELAY_PASSWORD: relayPassword,
		MSC_DOMAIN: BOUNCE_DOMAIN,
		MSC_IDENTITIES: `Sales <${SENDER}>`,
	};
	const api = `http://127.0.0.1:${port}`;
	const outputs = [];
	try {
		t = Date.now();
		const first = await startCommand(nodesDir, args, env);
		details.push(`started in ${secs(t)} s: ${first.first}`);
		if (!first.first.startsWith('MSC server listening'))
			f.push(`${BIN} did not start: ${first.first}`);
		if (!first.first.includes(api)) f.push(`the startup line does not name ${api}`);

		const health = await call(`${api}/healthz`, '');
		const account = await call(`${api}/v1/account`, apiKey);
		const wrong = await call(`${api}/v1/account`, 'msc_sk_wrong');
		details.push(
			`GET /healthz ${health.status}; GET /v1/account ${account.status} ${JSON.stringify(account.body)}; wrong key ${wrong.status}`,
		);
		if (health.status !== 200) f.push(`GET /healthz answered ${health.status}`);
		if (account.status !== 200 || typeof account.body?.name !== 'string')
			f.push('GET /v1/account (the credential test) did not answer the account');
		if (wrong.status !== 401) f.push(`a wrong API key got ${wrong.status}, not 401`);

		const sent = await call(`${api}/v1/messages`, apiKey, {
			method: 'POST',
			headers: { 'Idempotency-Key': 'msc-command-e2e-1' },
			body: JSON.stringify({
				identity: SENDER,
				to: [{ address: 'lead@example.org' }],
				subject: 'From the installed MSC server',
				text: 'Hello',
			}),
		});
		const received = await catcher.waitFor(1, 10_000).catch(() => catcher.messages);
		details.push(`POST /v1/messages ${sent.status}; the relay received ${received.length}`);
		if (sent.status !== 201)
			f.push(`POST /v1/messages answered ${sent.status}: ${JSON.stringify(sent.body)}`);
		if (received.length !== 1) f.push(`the relay received ${received.length} messages, not 1`);
		else if (!String(received[0].envelope.from).endsWith(`@${BOUNCE_DOMAIN}`))
			f.push(`envelope sender ${received[0].envelope.from} is not at ${BOUNCE_DOMAIN}`);

		t = Date.now();
		const stopped = await stop(first.handle, 10_000);
		outputs.push(stopped.stdout, stopped.stderr);
		details.push(`SIGTERM to npx: ${stopped.code ?? stopped.signal} after ${secs(t)} s`);
		if (!/MSC server stopped/.test(stopped.stdout))
			f.push('no "MSC server stopped" line after SIGTERM');

		// node_modules/.bin/delivery-channel-msc itself, as systemd or Docker run it: its own exit code.
		const again = await startCommand(nodesDir, args, env, true);
		const kept = sent.body?.id
			? await call(`${api}/v1/messages/${sent.body.id}`, apiKey)
			: { status: 0 };
		t = Date.now();
		const ended = await stop(again.handle, 10_000);
		outputs.push(ended.stdout, ended.stderr);
		details.push(
			`restarted (.bin/${BIN}) on the same data folder: GET /v1/messages/<id> ${kept.status}; ` +
				`SIGTERM: exit ${ended.code ?? ended.signal} after ${secs(t)} s`,
		);
		if (kept.status !== 200)
			f.push('after a restart the data folder no longer knows the sent message');
		if (ended.code !== 0)
			f.push(`SIGTERM ended it with ${ended.code ?? ended.signal}, not exit code 0`);

		const ownDir = path.join(folder, 'msc-own-key');
		const own = await startCommand(nodesDir, args, {
			...env,
			MSC_API_KEY: '',
			MSC_DATA_DIR: ownDir,
		});
		const keyFile = path.join(ownDir, 'api-key');
		const made = fs.existsSync(keyFile) ? fs.readFileSync(keyFile, 'utf8').trim() : '';
		const mode = made ? (fs.statSync(keyFile).mode & 0o777).toString(8) : '-';
		const ownAccount = made ? await call(`${api}/v1/account`, made) : { status: 0 };
		const ownOut = await stop(own.handle, 10_000);
		outputs.push(ownOut.stdout, ownOut.stderr);
		details.push(
			`without MSC_API_KEY: api-key mode ${mode}, GET /v1/account with it ${ownAccount.status}`,
		);
		if (!made || mode !== '600')
			f.push(`no api-key file with mode 600 in the data folder (mode ${mode})`);
		if (ownAccount.status !== 200) f.push('the key made into <data dir>/api-key is not accepted');
		if (made && (ownOut.stdout + ownOut.stderr).includes(made))
			f.push('the made API key was printed');
	} finally {
		await catcher.close();
	}
	const printed = outputs.join('\n');
	secrets.texts.push({ where: `${BIN} output`, text: printed });
	for (const [label, value] of [
		['API key', apiKey],
		['relay password', relayPassword],
	]) {
		if (printed.includes(value)) f.push(`the ${label} appears in what ${BIN} printed`);
	}
	return { failures: f, details };
}

module.exports = { runMscCommand };
