'use strict';
// The mail side of `npm run dev`: the mail catcher (SMTP, one line per message), its page, and the
// MSC sandbox relaying to the catcher with a demo account whose key stays in .dev/ (never printed).

const crypto = require('node:crypto');
const net = require('node:net');
const path = require('node:path');
const { startMailCatcher, startMailPage, formatAddress } = require('./mail-catcher');
const { DEV_DIR, say, devSecret } = require('./dev-folder');

/** @typedef {import('./dev-options').DevOptions} DevOptions */

/** One line per caught message. */
function printMessage(m) {
	const from = formatAddress(m.from) || m.envelope.from;
	console.log(
		`[mail] #${m.seq} ${m.receivedAt.slice(11, 19)} from ${from} to ${m.envelope.to.join(', ')} ` +
			`"${m.subject}" ${m.messageId || ''} (${m.size} bytes)`,
	);
}

/** @param {DevOptions} args */
async function startCatcher(args) {
	const catcher = await startMailCatcher({ port: args.smtpPort, onMessage: printMessage }).catch(
		(err) => {
			throw new Error(
				`cannot start the mail catcher on 127.0.0.1:${args.smtpPort} (${err.code || err.message}); ` +
					'is another one running? Use --smtp-port.',
			);
		},
	);
	say(`mail catcher: SMTP on 127.0.0.1:${catcher.port}`);
	return catcher;
}

/** The page listing the caught mail, or null (--no-http, or its port is taken: a warning only). */
async function startPage(args, catcher) {
	if (!args.http) return null;
	const page = await startMailPage(catcher, args.httpPort).catch((err) => {
		say(
			`warning: mail page not started on 127.0.0.1:${args.httpPort} (${err.code || err.message}); use --http-port`,
		);
		return null;
	});
	if (page) say(`mail catcher page: http://127.0.0.1:${args.httpPort}/`);
	return page;
}

/** @param {number} port */
function portIsFree(port) {
	return new Promise((resolve) => {
		const probe = net.createServer();
		probe.once('error', () => resolve(false));
		probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
	});
}

/**
 * The port to ask the sandbox for: the one given on the command line, else the default when it is
 * free, else 0 (any free port), so a second `npm run dev` does not collide with the first.
 * @param {DevOptions} args
 * @param {'--msc-port' | '--msc-smtp-port'} option
 * @param {number} wanted
 */
async function sandboxPort(args, option, wanted) {
	if (args.given.has(option) || (await portIsFree(wanted))) return wanted;
	say(
		`127.0.0.1:${wanted} is taken; the MSC sandbox takes a free port instead (${option} picks one)`,
	);
	return 0;
}

/**
 * The MSC sandbox from the build in `dist`, relaying to the catcher. Its demo account's key is made
 * once and kept in .dev/msc-api-key.
 * @param {DevOptions} args
 * @param {string} dist
 * @param {{ port: number }} catcher
 */
async function startMscSandbox(args, dist, catcher) {
	const apiKey = devSecret(
		'msc-api-key',
		() => `msc_dev_${crypto.randomBytes(18).toString('hex')}`,
	);
	const { startSandbox } = require(path.join(dist, 'sandbox', 'msc', 'server.js'));
	const options = {
		port: await sandboxPort(args, '--msc-port', args.mscPort),
		smtpPort: await sandboxPort(args, '--msc-smtp-port', args.mscSmtpPort),
		db: path.join(DEV_DIR, 'msc-sandbox', 'sandbox.sqlite'),
		upstream: { host: '127.0.0.1', port: catcher.port, security: 'none' },
		demo: { apiKey },
	};
	const msc = await startSandbox(options, (line) => console.log(`[msc] ${line}`)).catch((err) => {
		const where = [options.port, options.smtpPort]
			.map((port) => port || 'a free port')
			.join(' and ');
		throw new Error(
			`cannot start the MSC sandbox on 127.0.0.1 (ports ${where}: ${err.code || err.message}); ` +
				'use --msc-port and --msc-smtp-port.',
		);
	});
	say(
		`MSC sandbox: API on ${msc.apiUrl}, reports by SMTP on 127.0.0.1:${msc.smtpPort} (identity sales@demo-company.example)`,
	);
	return { msc, apiKey };
}

/**
 * Starts the catcher, its page and the MSC sandbox; close() stops all three.
 * @param {DevOptions} args
 * @param {string} dist
 */
async function startMailServices(args, dist) {
	const catcher = await startCatcher(args);
	const page = await startPage(args, catcher);
	const { msc, apiKey } = await startMscSandbox(args, dist, catcher).catch(async (err) => {
		if (page) page.close();
		await catcher.close();
		throw err;
	});
	return {
		catcher,
		page,
		pageUrl: page ? `http://127.0.0.1:${args.httpPort}/` : null,
		msc,
		mscApiKey: apiKey,
		async close() {
			if (page) page.close();
			await msc.close();
			await catcher.close();
		},
	};
}

module.exports = { startMailServices };
