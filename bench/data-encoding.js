#!/usr/bin/env node
/**
 * SMTP DATA encoding: CPU per message of nodemailer's DATA stream (a test of every byte) against the
 * encoder the Custom SMTP channel installs on its connections (nodes/DeliveryChannel/channels/smtp/
 * dataEncoding.ts: jumps from line break to line break). Each message is cut into 64 KiB chunks, as a
 * socket stream hands them over; both outputs are compared byte for byte before anything is timed.
 *
 *   node bench/data-encoding.js [--repeat 100]
 * Runs from the TypeScript sources (transpiled on load); no build needed. Prints a table.
 */
'use strict';
const crypto = require('node:crypto');
const path = require('node:path');

require('./lib/load-ts');

const { useFastDataEncoding } = require(
	path.join(__dirname, '../nodes/DeliveryChannel/channels/smtp/dataEncoding.ts'),
);
/** @type {new () => import('node:stream').Transform} */
const NodemailerDataStream = /** @type {any} */ (
	require('nodemailer/lib/smtp-connection/data-stream')
);

const repeatAt = process.argv.indexOf('--repeat');
const repeat = repeatAt > 0 ? Number(process.argv[repeatAt + 1]) : 100;

/** Message bodies: what a 1 MiB attachment becomes, plain text, and text full of what needs work. */
function messages() {
	const base64 = crypto
		.randomBytes(1024 * 1024)
		.toString('base64')
		.replace(/.{76}/g, '$&\r\n');
	const text = 'Hello Jane, here is the offer we spoke about.\r\n'.repeat(20_000);
	const awkward = '.a line that starts with a dot\n'.repeat(20_000);
	return [
		['1 MiB attachment (base64, CRLF)', Buffer.from(`Subject: offer\r\n\r\n${base64}`)],
		['plain text, CRLF', Buffer.from(`Subject: offer\r\n\r\n${text}`)],
		['dot-led lines, bare LF', Buffer.from(`Subject: offer\r\n\r\n${awkward}`)],
	];
}

function chunksOf(message) {
	const chunks = [];
	for (let at = 0; at < message.length; at += 65536) chunks.push(message.subarray(at, at + 65536));
	return chunks;
}

/** Runs the chunks through a DATA stream as a connection writes them; `fast`: with our encoder. */
function encode(chunks, fast) {
	const stream = new NodemailerDataStream();
	if (fast) {
		const connection = { _createSendStream: () => stream };
		useFastDataEncoding(/** @type {any} */ (connection));
		connection._createSendStream();
	}
	const out = [];
	stream.on('data', (chunk) => out.push(chunk));
	for (const chunk of chunks) stream.write(chunk);
	stream.end();
	return Buffer.concat(out);
}

const nodemailer = (chunks) => encode(chunks, false);
const ours = (chunks) => encode(chunks, true);

function cpuMs(run, chunks) {
	const start = process.cpuUsage();
	for (let round = 0; round < repeat; round += 1) run(chunks);
	const used = process.cpuUsage(start);
	return (used.user + used.system) / 1000 / repeat;
}

const rows = [];
for (const [name, message] of messages()) {
	const chunks = chunksOf(message);
	const same = ours(chunks).equals(nodemailer(chunks));
	cpuMs(nodemailer, chunks);
	cpuMs(ours, chunks);
	const theirs = cpuMs(nodemailer, chunks);
	const mine = cpuMs(ours, chunks);
	rows.push([
		name,
		(message.length / 1048576).toFixed(2),
		theirs.toFixed(2),
		mine.toFixed(2),
		(theirs / mine).toFixed(1),
		same,
	]);
}

console.log(
	`\nSMTP DATA encoding, CPU ms per message (mean of ${repeat}), Node ${process.version}\n`,
);
console.log(
	'| message | MiB | nodemailer 10 DATA stream | ours (dataEncoding.ts) | ratio | same bytes |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
if (rows.some((row) => !row[5])) process.exitCode = 1;
