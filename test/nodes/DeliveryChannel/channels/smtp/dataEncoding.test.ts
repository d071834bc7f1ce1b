import { PassThrough, Transform } from 'node:stream';

import {
	encodeDataChunk,
	useFastDataEncoding,
} from '../../../../../nodes/DeliveryChannel/channels/smtp/dataEncoding';
import { openConnection } from '../../../../../nodes/DeliveryChannel/channels/smtp/connection';
import { smtpSettings } from '../../../../../nodes/DeliveryChannel/channels/smtp/settings';
import { startSmtpServer, type TestSmtpServer } from '../../../../helpers/smtp-server';

/** nodemailer's own DATA stream: the reference the encoder must match byte for byte. */
const NodemailerDataStream =
	require('nodemailer/lib/smtp-connection/data-stream') as new () => Transform & {
		inByteCount: number;
		outByteCount: number;
	};

/** A deterministic generator, so a failure can be reproduced from its seed. */
function random(seed: number): () => number {
	let state = seed >>> 0 || 1;
	return () => {
		state ^= state << 13;
		state ^= state >>> 17;
		state ^= state << 5;
		return (state >>> 0) / 0x100000000;
	};
}

/** Bytes rich in what the encoding cares about: CR, LF, dots, next to ordinary bytes. */
function sample(next: () => number, length: number): Buffer {
	const alphabet = [0x0d, 0x0a, 0x2e, 0x41, 0x20, 0xff];
	return Buffer.from(Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]));
}

function cut(next: () => number, data: Buffer): Buffer[] {
	const chunks: Buffer[] = [];
	for (let at = 0; at < data.length;) {
		const size = 1 + Math.floor(next() * 12);
		chunks.push(data.subarray(at, at + size));
		at += size;
	}
	return chunks;
}

/** Runs chunks through a DATA stream; `ours` swaps in the encoder the way a connection does. */
async function through(chunks: Buffer[], ours: boolean) {
	const stream = new NodemailerDataStream();
	if (ours) {
		const connection = { _createSendStream: () => stream };
		useFastDataEncoding(connection as never);
		(
			connection as unknown as { _createSendStream(callback: unknown): Transform }
		)._createSendStream(undefined);
	}
	const out: Buffer[] = [];
	stream.on('data', (chunk: Buffer) => out.push(chunk));
	const ended = new Promise((resolve) => stream.on('end', resolve));
	for (const chunk of chunks) stream.write(chunk);
	stream.end();
	await ended;
	return { bytes: Buffer.concat(out), inBytes: stream.inByteCount, outBytes: stream.outByteCount };
}

describe('SMTP DATA encoding', () => {
	it.each([
		['a dot starting the data', '.a', '..a'],
		['a dot after CRLF', 'a\r\n.b', 'a\r\n..b'],
		['a bare LF', 'a\nb', 'a\r\nb'],
		['a dot after a bare LF', 'a\n.b', 'a\r\n..b'],
		['a bare CR', 'a\rb', 'a\r\nb'],
		['a dot after a bare CR', 'a\r.b', 'a\r\n..b'],
		['two bare CRs', '\r\r', '\r\n\r'],
		['a dot inside a line', 'a.b\r\nc.', 'a.b\r\nc.'],
		['LF CR', '\n\r', '\r\n\r'],
	])('%s', (_name, input, expected) => {
		expect(encodeDataChunk(Buffer.from(input, 'latin1'), false).toString('latin1')).toBe(expected);
	});

	it('carries the byte before the chunk across a cut', () => {
		expect(encodeDataChunk(Buffer.from('.x'), 0x0a).toString()).toBe('..x');
		expect(encodeDataChunk(Buffer.from('.x'), 0x41).toString()).toBe('.x');
		expect(encodeDataChunk(Buffer.from('\nx'), 0x0d).toString()).toBe('\nx');
		expect(encodeDataChunk(Buffer.from('.x'), 0x0d).toString()).toBe('\n..x');
		expect(encodeDataChunk(Buffer.from('x'), 0x0d).toString()).toBe('\nx');
	});

	it('returns a chunk that needs nothing as it is, without copying', () => {
		const chunk = Buffer.from('a line\r\nanother line\r\n');
		expect(encodeDataChunk(chunk, 0x0a)).toBe(chunk);
	});

	it('gives the same bytes and counts as nodemailer for 2,000 random messages cut at random', async () => {
		for (let seed = 1; seed <= 2000; seed += 1) {
			const next = random(seed);
			const chunks = cut(next, sample(next, Math.floor(next() * 80)));
			const reference = await through(chunks, false);
			const ours = await through(chunks, true);
			if (!ours.bytes.equals(reference.bytes)) {
				throw new Error(
					`seed ${seed}: ${JSON.stringify(ours.bytes.toString('latin1'))} vs ${JSON.stringify(reference.bytes.toString('latin1'))}`,
				);
			}
			expect([ours.inBytes, ours.outBytes]).toEqual([reference.inBytes, reference.outBytes]);
		}
	});

	it('leaves a connection without the DATA stream it expects as it is', () => {
		const plain = new PassThrough();
		const connection = { _createSendStream: () => plain };
		useFastDataEncoding(connection as never);
		const created = connection._createSendStream() as PassThrough;
		expect(created._transform).toBe(PassThrough.prototype._transform);
	});

	describe('on a connection to a real SMTP server', () => {
		let server: TestSmtpServer | undefined;
		afterEach(async () => server?.close());

		it('delivers lines that start with dots, bare line ends and a 1 MB body intact', async () => {
			server = await startSmtpServer();
			const settings = smtpSettings({ host: server.host, port: server.port, security: 'none' });
			const entry = await openConnection(settings, { created: () => {}, lost: () => {} });
			expect(Object.prototype.hasOwnProperty.call(entry.connection, '_createSendStream')).toBe(
				true,
			);
			const big = Buffer.alloc(1024 * 1024, 'x.y\r\n.line\r\n').toString('latin1');
			const body = `Subject: dots\r\n\r\n.one\n..two\r.three\r\n.\r\nend\r\n${big}`;
			const sent = await new Promise<{ messageSize?: number }>((resolve, reject) =>
				entry.connection.send(
					{ from: 'a@example.com', to: ['b@example.org'] },
					body,
					(error, info) => (error ? reject(error) : resolve(info as { messageSize?: number })),
				),
			);
			entry.connection.close();
			const expected = body.replace(/\r\n|\r|\n/g, '\r\n');
			expect(server.received).toHaveLength(1);
			expect(server.received[0].raw.toString('latin1')).toBe(expected);
			// Every line that starts with a dot went out with one more.
			const dotted = expected.split('\r\n').filter((line) => line.startsWith('.')).length;
			expect(sent.messageSize).toBe(
				Buffer.byteLength(expected, 'latin1') + dotted + '.\r\n'.length,
			);
		});
	});
});
