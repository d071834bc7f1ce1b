'use strict';
// Starts and stops the throwaway Postfix + Dovecot pair of scripts/mailsystem/start.sh for tests and
// the end-to-end run, on free ports of 127.0.0.1, with a random password for the sender's mailbox.
//
//   const { startMailSystem } = require('./scripts/mailsystem/mailsystem');
//   const mail = await startMailSystem();
//   mail.smtpCredential()       // data for the Custom SMTP credential, mailbox settings included
//   await mail.waitForMessages('INBOX', 3, 20000)
//   await mail.stop()
//
// With OAuth2 (SASL XOAUTH2 for SMTP AUTH and IMAP, tokens checked at an RFC 7662 endpoint, e.g. the
// fake Microsoft identity platform of test/fakes/microsoft-identity):
//   const mail = await startMailSystem({ oauth2IntrospectionUrl: idp.introspectionUrl });
//   mail.smtpOptions({ accessToken })   mail.imapOptions({ accessToken })
//
// unavailableReason() says in words why this machine cannot start it ('' when it can): tests skip
// with that reason, unless REQUIRE_MAILSYSTEM=1 (CI), where startMailSystem fails instead.

const { execFile, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('../lib/ports');

const START = path.join(__dirname, 'start.sh');
const STOP = path.join(__dirname, 'stop.sh');
const INSTALL_COMMAND =
	'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix dovecot-imapd openssl';

function runScript(file, args, { env, timeoutMs }) {
	return new Promise((resolve, reject) => {
		execFile(
			'bash',
			[file, ...args],
			{ env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 },
			(error, stdout, stderr) => {
				if (error) {
					const why = error.killed ? `timed out after ${timeoutMs} ms` : `exit ${error.code}`;
					const lastLines = String(stderr).trim().split('\n').slice(-25).join('\n');
					reject(
						new Error(
							`${path.relative(process.cwd(), file) || file} failed (${why}):\n${lastLines}`,
						),
					);
					return;
				}
				resolve(String(stdout));
			},
		);
	});
}

function onPath(name) {
	const dirs = [...(process.env.PATH || '').split(path.delimiter), '/usr/sbin', '/sbin'];
	return dirs.some((dir) => {
		try {
			fs.accessSync(path.join(dir, name), fs.constants.X_OK);
			return true;
		} catch {
			return false;
		}
	});
}

function isExecutable(file) {
	try {
		fs.accessSync(file, fs.constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

/**
 * Why start.sh cannot run here, in words ('' when it can). Postfix insists on root; the packages
 * count as available when installed or when start.sh can install them with apt-get.
 */
function unavailableReason() {
	if (process.platform !== 'linux') {
		return `Postfix + Dovecot run from a temporary folder on Linux only, this is ${process.platform}`;
	}
	if (process.getuid() !== 0) return 'not root, and Postfix only starts as root';
	const installed =
		onPath('postfix') &&
		isExecutable('/usr/sbin/dovecot') &&
		isExecutable('/usr/lib/dovecot/imap') &&
		onPath('openssl');
	if (installed) return '';
	if (process.env.MAILSYSTEM_NO_INSTALL === '1')
		return 'postfix, dovecot-imapd or openssl not installed (and MAILSYSTEM_NO_INSTALL=1)';
	if (!onPath('apt-get'))
		return 'postfix, dovecot-imapd or openssl not installed, and no apt-get to install them';
	return '';
}

/**
 * Starts the mail system. Options: dir (default: a new temporary folder), timeoutMs (default 180 s,
 * enough for the package installation on a fresh machine), keep (leave the folder on stop),
 * imapOnly (Dovecot alone, for tests that write the Maildir themselves; no SMTP),
 * oauth2IntrospectionUrl (OAuth2 logins beside the password: Dovecot's oauth2 passdb asks this RFC 7662
 * endpoint about each bearer token; Postfix takes SASL from Dovecot) and oauth2Mechanisms (the SASL
 * mechanisms offered for it, default ['xoauth2'] as Microsoft 365 offers; 'oauthbearer' may be added).
 */
async function startMailSystem(options = {}) {
	const unavailable = unavailableReason();
	if (unavailable) {
		throw new Error(
			`The real mail system cannot start here: ${unavailable}. ` +
				`Run the tests as root on Linux with Postfix and Dovecot (${INSTALL_COMMAND}).`,
		);
	}
	const dir = options.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-channel-mail-'));
	const password = crypto.randomBytes(12).toString('hex');
	const [smtpPort, imapPort, smtpsPort, imapsPort] = [
		await freePort(),
		await freePort(),
		await freePort(),
		await freePort(),
	];
	let info;
	try {
		const ports = [
			...['--smtp-port', String(smtpPort), '--imap-port', String(imapPort)],
			...['--smtps-port', String(smtpsPort), '--imaps-port', String(imapsPort)],
		];
		const oauth2 = options.oauth2IntrospectionUrl
			? [
					...['--oauth2-introspection-url', options.oauth2IntrospectionUrl],
					...['--oauth2-mechanisms', (options.oauth2Mechanisms || ['xoauth2']).join(' ')],
				]
			: [];
		const out = await runScript(
			START,
			[dir, ...ports, ...(options.imapOnly ? ['--imap-only'] : []), ...oauth2],
			{
				env: { ...process.env, MAILSYSTEM_PASSWORD: password },
				timeoutMs: options.timeoutMs || 180_000,
			},
		);
		info = JSON.parse(out.trim().split('\n').pop());
	} catch (error) {
		await runScript(STOP, [dir], { env: process.env, timeoutMs: 30_000 }).catch(() => undefined);
		throw new Error(
			`Could not start the local Postfix + Dovecot mail system. ${error.message}\n` +
				`If the packages are missing, install them with: ${INSTALL_COMMAND}`,
		);
	}

	let stopped = false;
	// Never leave servers behind, even when a test run is cut short.
	const onExit = () => {
		if (stopped) return;
		try {
			execFileSync('bash', [STOP, dir, ...(options.keep ? ['--keep'] : [])], {
				stdio: 'ignore',
				timeout: 20_000,
			});
		} catch {
			// best effort
		}
	};
	process.once('exit', onExit);

	const sender = { address: info.sender, password };
	const system = {
		dir: info.dir,
		host: info.host,
		smtpPort: info.smtpPort,
		imapPort: info.imapPort,
		/** Implicit TLS ports, with the self-signed certificate at tlsCert (STARTTLS is offered on the others). */
		smtpsPort: info.smtpsPort,
		imapsPort: info.imapsPort,
		tlsCert: info.tlsCert,
		domain: info.domain,
		sender,
		/** The OAuth2 setup (null without oauth2IntrospectionUrl): the endpoint and the SASL mechanisms offered. */
		oauth2: options.oauth2IntrospectionUrl
			? {
					introspectionUrl: options.oauth2IntrospectionUrl,
					mechanisms: options.oauth2Mechanisms || ['xoauth2'],
				}
			: null,
		/** The sender's Maildir (INBOX; other folders are its ".Name" subfolders), owned by mailUid:mailGid. */
		maildir: path.join(info.dir, 'mail', info.domain, info.sender.split('@')[0]),
		/** Accepted, then refused by its mailbox: "5.2.2 Mailbox full". */
		refusing: info.refusing,
		/** Accepted, deferred, reported as delayed, and failed after queueLifetimeSeconds. */
		deferring: info.deferring,
		queueLifetimeSeconds: info.queueLifetimeSeconds,
		/** A local user that does not exist (bounced after acceptance as 5.1.1). */
		unknownUser(tag = crypto.randomBytes(4).toString('hex')) {
			return `nobody-${tag}@${info.domain}`;
		},
		/** Data for the Custom SMTP credential (deliveryChannelSmtpApi) with the mailbox settings. */
		smtpCredential(extra = {}) {
			return {
				host: info.host,
				port: info.smtpPort,
				security: 'none',
				user: sender.address,
				password,
				imapHost: info.host,
				imapPort: info.imapPort,
				imapSecurity: 'none',
				imapUser: '',
				imapPassword: '',
				imapFolders: 'INBOX, Junk',
				sentFolder: '',
				...extra,
			};
		},
		/**
		 * imapflow options for the sender's mailbox (for checks from the test side); with an accessToken
		 * imapflow logs in with OAuth2 (XOAUTH2, or OAUTHBEARER when offered) instead of the password.
		 * @param {{ accessToken?: string, user?: string }} [login]
		 * @returns {import('imapflow').ImapFlowOptions}
		 */
		imapOptions(login = {}) {
			const user = login.user || sender.address;
			const auth = login.accessToken
				? { user, accessToken: login.accessToken }
				: { user, pass: password };
			return {
				host: info.host,
				port: info.imapPort,
				secure: false,
				doSTARTTLS: false,
				auth,
				logger: false,
			};
		},
		/**
		 * nodemailer transport options for SMTP submission as the sender: with an accessToken, SMTP AUTH
		 * XOAUTH2; without, the password (PLAIN). No TLS (the certificate is self-signed).
		 * @param {{ accessToken?: string, user?: string }} [login]
		 */
		smtpOptions(login = {}) {
			const user = login.user || sender.address;
			return {
				host: info.host,
				port: info.smtpPort,
				secure: false,
				ignoreTLS: true,
				auth: login.accessToken
					? { type: 'OAuth2', user, accessToken: login.accessToken }
					: { user, pass: password },
			};
		},
		/**
		 * Waits until `folder` holds at least `count` messages (optionally only those `match` accepts:
		 * (envelope) => boolean); resolves with their envelopes. Rejects on timeout with what it saw.
		 */
		async waitForMessages(folder, count, timeoutMs = 30_000, match = () => true) {
			const { ImapFlow } = require('imapflow');
			const deadline = Date.now() + timeoutMs;
			let seen = [];
			while (Date.now() < deadline) {
				const client = new ImapFlow(system.imapOptions());
				client.on('error', () => undefined);
				try {
					await client.connect();
					const lock = await client.getMailboxLock(folder, { readOnly: true });
					try {
						seen = [];
						const status = client.mailbox && client.mailbox.exists;
						if (status) {
							for await (const message of client.fetch('1:*', {
								uid: true,
								envelope: true,
								internalDate: true,
							})) {
								seen.push({
									uid: message.uid,
									internalDate: message.internalDate,
									...message.envelope,
								});
							}
						}
					} finally {
						lock.release();
					}
					await client.logout();
				} catch {
					client.close();
				}
				const matching = seen.filter(match);
				if (matching.length >= count) return matching;
				await new Promise((resolve) => setTimeout(resolve, 200));
			}
			const subjects = seen.map((m) => JSON.stringify(m.subject)).join(', ') || 'none';
			throw new Error(
				`${folder} of ${sender.address} holds ${seen.filter(match).length} matching messages after ${timeoutMs} ms, ` +
					`expected ${count}: ${subjects}`,
			);
		},
		/** The last lines of the Postfix and Dovecot logs, for failure messages. */
		logs(lines = 40) {
			const read = (file) => {
				try {
					return fs
						.readFileSync(path.join(info.dir, 'log', file), 'utf8')
						.trim()
						.split('\n')
						.slice(-lines)
						.join('\n');
				} catch {
					return '';
				}
			};
			return `--- postfix.log\n${read('postfix.log')}\n--- dovecot.log\n${read('dovecot.log')}`;
		},
		async stop() {
			if (stopped) return;
			stopped = true;
			process.removeListener('exit', onExit);
			await runScript(STOP, [dir, ...(options.keep ? ['--keep'] : [])], {
				env: process.env,
				timeoutMs: 30_000,
			});
		},
	};
	return system;
}

module.exports = { startMailSystem, unavailableReason, INSTALL_COMMAND };
