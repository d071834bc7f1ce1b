'use strict';
// The mail side of `npm run dev`: the mail catcher (SMTP, one line per message), its page, and the
// MSC sandbox relaying to the catcher with a demo account whose key stays in the dev folder
// (never printed). A default port that is taken gives way to a free one (dev-ports.js).

const crypto = require('node:crypto');
const path = require('node:path');
const { startMailCatcher, startMailPage, formatAddress } = require('./mail-catcher');
const { devDir, say, devSecret } = require('./dev-folder');
const { portFor } = require('./dev-ports');

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
	const port = await portFor(args, '--smtp-port', args.smtpPort, 'the mail catcher', say);
	const catcher = await startMailCatcher({ port, onMessage: printMessage }).catch((err) => {
		throw new Error(
			`cannot start the mail catcher on 127.0.0.1:${port || 'a free port'} (${err.code || err.message}); ` +
				'use --smtp-port.',
		);
	});
	say(`mail catcher: SMTP on 127.0.0.1:${catcher.port}`);
	return catcher;
}

/** The page listing the caught mail and its URL, or nulls (--no-http, or it cannot listen: a warning only). */
async function startPage(args, catcher) {
	if (!args.http) return { page: null, pageUrl: null };
	const port = await portFor(args, '--http-port', args.httpPort, 'the mail page', say);
	const page = await startMailPage(catcher, port).catch((err) => {
		say(
			`warning: mail page not started on 127.0.0.1:${port} (${err.code || err.message}); use --http-port`,
		);
		return null;
	});
	if (!page) return { page: null, pageUrl: null };
	const pageUrl = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (page.address()).port}/`;
	say(`mail catcher page: ${pageUrl}`);
	return { page, pageUrl };
}

/**
 * The MSC sandbox from the build in `dist`, relaying to the catcher. Its demo account's key is made
 * once and kept in the dev folder (msc-api-key).
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
		port: await portFor(args, '--msc-port', args.mscPort, 'the MSC sandbox', say),
		smtpPort: await portFor(args, '--msc-smtp-port', args.mscSmtpPort, 'the MSC sandbox', say),
		db: path.join(devDir(), 'msc-sandbox', 'sandbox.sqlite'),
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
	const { page, pageUrl } = await startPage(args, catcher);
	const { msc, apiKey } = await startMscSandbox(args, dist, catcher).catch(async (err) => {
		if (page) page.close();
		await catcher.close();
		throw err;
	});
	return {
		catcher,
		page,
		pageUrl,
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
