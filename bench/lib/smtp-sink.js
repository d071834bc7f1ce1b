'use strict';
// Postfix's smtp-sink for the SMTP throughput benchmark: a server on 127.0.0.1 that accepts and
// counts messages (`-c`), nothing else.

const fs = require('node:fs');
const net = require('node:net');
const { start, run } = require('../../scripts/lib/proc');
const { freePort } = require('../../scripts/lib/n8n');

const SMTP_SINK = '/usr/sbin/smtp-sink';
const INSTALL =
	'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix';

/** Exits (2) with how to install smtp-sink when it is missing, or installs it (--install, as root). */
async function ensureSmtpSink(install) {
	if (fs.existsSync(SMTP_SINK)) return;
	if (!install || process.getuid() !== 0) {
		console.error(
			`${SMTP_SINK} is missing. It comes with Debian's postfix package:\n  ${INSTALL}\n` +
				'(as root), or run this benchmark with --install as root to do that for you.',
		);
		process.exit(2);
	}
	console.log('Installing postfix for smtp-sink ...');
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	const r = await run('bash', ['-c', INSTALL], { timeoutMs: 10 * 60 * 1000, echo: true, env });
	if (r.code !== 0 || !fs.existsSync(SMTP_SINK)) throw new Error('installing postfix failed');
}

/** Resolves true once something accepts connections on 127.0.0.1:port (gives up after about 5 s). */
async function waitUntilListening(port) {
	for (let i = 0; i < 50; i++) {
		const ok = await new Promise((resolve) => {
			const s = net.connect(port, '127.0.0.1', () => {
				s.destroy();
				resolve(true);
			});
			s.on('error', () => resolve(false));
		});
		if (ok) return true;
		await new Promise((r) => setTimeout(r, 100));
	}
	return false;
}

/**
 * Starts smtp-sink on 127.0.0.1:<free port>; count() is the number of messages it has received.
 * @returns {Promise<{ port: number, handle: ReturnType<typeof start>, count: () => number }>}
 */
async function startSink() {
	const port = await freePort();
	let last = 0;
	const handle = start(SMTP_SINK, ['-u', 'nobody', '-c', `127.0.0.1:${port}`, '1000'], {
		timeoutMs: 60 * 60 * 1000,
		keep: false,
		onLine: () => {},
	});
	// -c prints "sess=N quit=N mesg=N\r" counters; parse them as they stream.
	handle.child.stdout.on('data', (chunk) => {
		const m = [...chunk.toString().matchAll(/mesg=(\d+)/g)];
		if (m.length) last = Number(m[m.length - 1][1]);
	});
	await waitUntilListening(port);
	return { port, handle, count: () => last };
}

/** Waits (up to timeoutMs) until the sink has counted `target` messages; resolves with its count. */
async function waitForCount(sink, target, timeoutMs = 5000) {
	const deadline = Date.now() + timeoutMs;
	while (sink.count() < target && Date.now() < deadline)
		await new Promise((r) => setTimeout(r, 50));
	return sink.count();
}

module.exports = { SMTP_SINK, ensureSmtpSink, startSink, waitForCount };
