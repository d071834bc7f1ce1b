/**
 * Sends one oversized message to an SMTP server, honouring back-pressure, from its own process, so
 * the memory a test measures in its own process is the server's alone (a client in the same process
 * adds the data in flight between the two). Usage: node floodClient.js <port> <recipient> <megabytes>
 * Prints the replies to the final dot and to a NOOP after it.
 */
const net = require('node:net');

const [port, recipient, megabytes] = process.argv.slice(2);
const socket = net.connect(Number(port), '127.0.0.1');
let buffer = '';
let waiting;
socket.on('data', (chunk) => {
	buffer += chunk.toString('latin1');
	if (/(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(buffer) && waiting) {
		const reply = buffer;
		buffer = '';
		const done = waiting;
		waiting = undefined;
		done(reply);
	}
});
socket.on('close', () => waiting && waiting(buffer || '(closed)\r\n'));
const next = () => new Promise((resolve) => (waiting = resolve));
const say = (line) => {
	const reply = next();
	socket.write(`${line}\r\n`);
	return reply;
};

(async () => {
	await next();
	for (const line of ['EHLO mx.example.net', 'MAIL FROM:<>', `RCPT TO:<${recipient}>`, 'DATA']) {
		process.stdout.write(await say(line));
	}
	const chunk = Buffer.from(`${'x'.repeat(998)}\r\n`.repeat(64));
	const total = Number(megabytes) * 1024 * 1024;
	for (let written = 0; written < total; written += chunk.length) {
		if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
	}
	process.stdout.write(await say('.'));
	process.stdout.write(await say('NOOP'));
	socket.destroy();
})();
