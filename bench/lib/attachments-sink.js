'use strict';
// Postfix's smtp-sink for the attachment benchmark: counts messages (`-c`) and, unless told not to,
// dumps each one to a file (`-d`) so the benchmark can count the bytes that arrived and check one
// message's attachment against the file that was attached. The dump is removed after each row.

const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { start } = require('../../scripts/lib/proc');
const { freePort, makeTempDir } = require('../../scripts/lib/n8n');
const { SMTP_SINK } = require('./smtp-sink');

/** @param {number} port */
function listening(port) {
	return new Promise((resolve) => {
		const socket = net.connect(port, '127.0.0.1', () => {
			socket.destroy();
			resolve(true);
		});
		socket.on('error', () => resolve(false));
	});
}

/**
 * Starts smtp-sink on 127.0.0.1:<free port>, dumping into a fresh folder when `dump` is set.
 * @param {boolean} dump
 */
async function startDumpingSink(dump) {
	const port = await freePort();
	const dir = dump ? makeTempDir('delivery-channel-bench-sink-') : null;
	// smtp-sink drops to the user `nobody` (-u), which must be able to write the dump folder.
	if (dir) fs.chmodSync(dir, 0o777);
	const args = ['-u', 'nobody', '-c'];
	if (dir) args.push('-d', path.join(dir, 'm.'));
	args.push(`127.0.0.1:${port}`, '1000');
	let last = 0;
	const handle = start(SMTP_SINK, args, { timeoutMs: 2 * 60 * 60 * 1000, keep: false });
	// -c prints "sess=N quit=N mesg=N\r" counters; parse them as they stream.
	handle.child.stdout.on('data', (chunk) => {
		const m = [...chunk.toString().matchAll(/mesg=(\d+)/g)];
		if (m.length) last = Number(m[m.length - 1][1]);
	});
	for (let i = 0; i < 50 && !(await listening(port)); i++)
		await new Promise((r) => setTimeout(r, 100));
	return { port, handle, dir, count: () => last };
}

/**
 * The decoded bytes of the first base64 attachment part of a dumped message, or null.
 * @param {Buffer} raw
 */
function firstAttachment(raw) {
	const text = raw.toString('latin1');
	const disposition = text.search(/Content-Disposition: attachment/i);
	if (disposition < 0) return null;
	const blank = /\r?\n\r?\n/.exec(text.slice(disposition));
	if (!blank) return null;
	const from = disposition + blank.index + blank[0].length;
	const end = text.indexOf('\n--', from);
	return Buffer.from(text.slice(from, end < 0 ? undefined : end), 'base64');
}

/**
 * What the dump holds since the last call: message count, bytes, smallest and largest message, when
 * the first and the last were written (ms), and whether one message's attachment is the attached
 * file byte for byte. Removes the dumped files.
 * @param {{ dir: string | null }} sink
 * @param {string} attachedFile
 */
function takeDump(sink, attachedFile) {
	if (!sink.dir) return null;
	const names = fs.readdirSync(sink.dir);
	const stats = names.map((name) => fs.statSync(path.join(sink.dir, name)));
	const sizes = stats.map((stat) => stat.size);
	const times = stats.map((stat) => stat.mtimeMs);
	let sampleMatches = null;
	if (names.length) {
		const attachment = firstAttachment(fs.readFileSync(path.join(sink.dir, names[0])));
		const digest = (/** @type {Buffer} */ b) => crypto.createHash('sha256').update(b).digest('hex');
		sampleMatches =
			attachment !== null && digest(attachment) === digest(fs.readFileSync(attachedFile));
	}
	for (const name of names) fs.rmSync(path.join(sink.dir, name), { force: true });
	const bytes = sizes.reduce((sum, size) => sum + size, 0);
	return {
		messages: names.length,
		bytes,
		min: names.length ? Math.min(...sizes) : 0,
		max: names.length ? Math.max(...sizes) : 0,
		sampleMatches,
		firstAt: names.length ? Math.min(...times) : null,
		lastAt: names.length ? Math.max(...times) : null,
	};
}

module.exports = { startDumpingSink, takeDump };
