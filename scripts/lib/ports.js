'use strict';
// TCP ports of 127.0.0.1 for the servers our scripts and tests start: a free one, and waiting for
// one to listen.

const net = require('node:net');

/**
 * Asks the OS for a free TCP port on 127.0.0.1.
 * @returns {Promise<number>}
 */
function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = /** @type {net.AddressInfo} */ (srv.address());
			srv.close(() => resolve(port));
		});
	});
}

/**
 * Resolves once 127.0.0.1:port accepts a TCP connection; rejects after timeoutMs or when `exited()`.
 * @param {number} port
 * @param {{ timeoutMs?: number, exited?: () => boolean, what?: string }} [options]
 */
async function waitForPort(
	port,
	{ timeoutMs = 60_000, exited = () => false, what = `port ${port}` } = {},
) {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (exited()) throw new Error(`${what} exited before it listened`);
		const ok = await new Promise((resolve) => {
			const socket = net.connect(port, '127.0.0.1', () => {
				socket.destroy();
				resolve(true);
			});
			socket.on('error', () => resolve(false));
		});
		if (ok) return;
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`${what} did not listen within ${timeoutMs} ms`);
}

module.exports = { freePort, waitForPort };
