'use strict';
// The ports of `npm run dev`: a default that is taken (by a second `npm run dev`, say) gives way to a
// free one, unless it was asked for on the command line; the editor's port must be free.

const net = require('node:net');

/** @typedef {import('./dev-options').DevOptions} DevOptions */

/**
 * @param {number} port
 * @param {string} [host]
 */
function portIsFree(port, host = '127.0.0.1') {
	return new Promise((resolve) => {
		const probe = net.createServer();
		probe.once('error', () => resolve(false));
		probe.listen(port, host, () => probe.close(() => resolve(true)));
	});
}

/**
 * The port to listen on: the one given on the command line as is (taken, it is an error later),
 * else the default when it is free, else 0 (any free port; the server says which it got).
 * @param {DevOptions} args
 * @param {string} option  e.g. '--smtp-port'
 * @param {number} wanted
 * @param {string} what  e.g. 'the mail catcher'
 * @param {(line: string) => void} say
 */
async function portFor(args, option, wanted, what, say) {
	if (args.given.has(option) || (await portIsFree(wanted))) return wanted;
	say(`127.0.0.1:${wanted} is taken; ${what} takes a free port instead (${option} picks one)`);
	return 0;
}

/**
 * Fails early when the editor's port is taken: n8n would fail to listen, and its health check would
 * be answered by whatever listens there (another `npm run dev`).
 * @param {number} port
 */
async function checkEditorPort(port) {
	if (!(await portIsFree(port)))
		throw new Error(
			`127.0.0.1:${port} is taken (another npm run dev?): start this one with --port <another port>`,
		);
}

module.exports = { portIsFree, portFor, checkEditorPort };
