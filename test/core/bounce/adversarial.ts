/**
 * Hostile mails for the bounce engine, each built at any size: one per parsing step (HTML
 * stripping, MIME splitting, header unfolding, text anchors, DSN fields, mbox splitting, ...),
 * shaped after the patterns that make a naive parser backtrack or rescan. Anyone can mail the
 * mailbox the engine reads, so each of these must cost time in proportion to its size.
 * Used by adversarial.test.ts (they parse, caps hold) and bench/bounce.js (the speed table).
 */

export interface AdversarialInput {
	name: string;
	/** The parsing step the input aims at. */
	step: string;
	/** The mail, about `bytes` long. */
	make(bytes: number): Buffer;
}

/** `unit` repeated to `bytes` characters. */
export function fill(unit: string, bytes: number): string {
	if (bytes <= 0) return '';
	return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}

const BOUNCE_HEAD = [
	'Return-Path: <>',
	'From: Mail Delivery System <MAILER-DAEMON@mx.sender.example>',
	'To: rep@sender.example',
	'Subject: Undelivered Mail Returned to Sender',
	'Message-ID: <report-1@mx.sender.example>',
	'Date: Thu, 2 Jul 2020 12:05:05 +0000',
	'MIME-Version: 1.0',
].join('\r\n');

/** A bounce whose body is `body`, with the given top-level Content-Type (and more header lines). */
function mail(contentType: string, body: string, extraHeaders = ''): Buffer {
	return Buffer.from(
		`${BOUNCE_HEAD}\r\n${extraHeaders}Content-Type: ${contentType}\r\n\r\n${body}`,
		'latin1',
	);
}

/** The Postfix notice every text input starts with, so the text parsers do run. */
const NOTICE =
	'This is the mail system at host mx.sender.example.\r\n\r\n<a@dest.example>: host mx.dest.example said: 550 5.1.1 no such user (in reply to RCPT TO command)\r\n\r\n';

function text(bytes: number, unit: string): Buffer {
	return mail('text/plain; charset=us-ascii', NOTICE + fill(unit, bytes - 600));
}

function html(bytes: number, unit: string): Buffer {
	return mail(
		'text/html; charset=utf-8',
		`<html><body><p>${NOTICE}</p>${fill(unit, bytes - 700)}</body></html>`,
	);
}

/** A multipart/report with a readable part, a delivery-status part holding `status`, and the original. */
function report(status: string, readable = NOTICE): Buffer {
	const b = 'b0undary';
	return mail(
		`multipart/report; report-type=delivery-status; boundary="${b}"`,
		[
			`--${b}`,
			'Content-Type: text/plain; charset=us-ascii',
			'',
			readable,
			`--${b}`,
			'Content-Type: message/delivery-status',
			'',
			'Reporting-MTA: dns; mx.sender.example',
			'',
			status,
			`--${b}`,
			'Content-Type: text/rfc822-headers',
			'',
			'From: rep@sender.example',
			'To: a@dest.example',
			'Message-ID: <offer-1@sender.example>',
			'Subject: Offer',
			'',
			`--${b}--`,
			'',
		].join('\r\n'),
	);
}

/** `depth` multiparts, each inside the last, with `leaf` (a whole part, header included) innermost. */
function nested(bytes: number, leaf: string): Buffer {
	const open: string[] = [];
	const close: string[] = [];
	let size = leaf.length;
	for (let d = 0; size < bytes - 400; d++) {
		const line = `--n${d}\r\nContent-Type: multipart/mixed; boundary="n${d + 1}"\r\n\r\n`;
		open.push(line);
		close.unshift(`\r\n--n${d}--\r\n`);
		size += line.length + 10 + String(d).length;
	}
	return mail(
		'multipart/mixed; boundary="n0"',
		`${open.join('')}--n${open.length}\r\n${leaf}\r\n--n${open.length}--\r\n${close.join('')}`,
	);
}

const FROM_LINE = 'From MAILER-DAEMON  Thu Jul  2 12:05:05 2020\n';

function mboxMessage(i: number, type = 'text/plain'): string {
	return `${FROM_LINE}From: MAILER-DAEMON@mx.sender.example\nTo: rep@sender.example\nSubject: Undelivered Mail Returned to Sender\nContent-Type: ${type}\n\n<u${i}@dest.example>: 550 5.1.1 no such user (in reply to RCPT TO command)\n\n`;
}

export const ADVERSARIAL: AdversarialInput[] = [
	// HTML stripping (ours and the MIME parser's).
	{ name: 'repeated <script>', step: 'html', make: (n) => html(n, '<script>') },
	{
		name: 'repeated <style> with attributes',
		step: 'html',
		make: (n) => html(n, '<style type="text/css" media="all">'),
	},
	{ name: '<!-- without end', step: 'html', make: (n) => html(n, '<!-- x ') },
	{ name: 'unclosed tags (< without >)', step: 'html', make: (n) => html(n, '<a href=x ') },
	{
		name: 'many tags',
		step: 'html',
		make: (n) => html(n, '<b>x</b><br><td>y</td><a href="mailto:u@dest.example">u</a>'),
	},
	{ name: 'entities', step: 'html', make: (n) => html(n, '&amp;&#12345;&nbsp;&bogus;&') },
	{
		name: '<script> in an unclosed body and head',
		step: 'html',
		make: (n) => html(n, '<head><body><script x'),
	},
	{
		name: 'html part in deep multipart',
		step: 'html',
		make: (n) => nested(n, `Content-Type: text/html\r\n\r\n${fill('<script>', Math.floor(n / 2))}`),
	},
	{
		name: 'html attachment of repeated <script>',
		step: 'html',
		make: (n) => {
			const b = 'hb';
			return mail(
				`multipart/mixed; boundary="${b}"`,
				`--${b}\r\nContent-Type: text/plain\r\n\r\n${NOTICE}\r\n--${b}\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=x.html\r\n\r\n${fill('<script>', n - 500)}\r\n--${b}--\r\n`,
			);
		},
	},
	// MIME splitting and the compacting pre-pass.
	{
		name: 'deep multipart nesting',
		step: 'mime',
		make: (n) => nested(n, `Content-Type: text/plain\r\n\r\n${NOTICE}`),
	},
	{
		name: 'many parts',
		step: 'mime',
		make: (n) => {
			const part = `--p\r\nContent-Type: text/plain\r\n\r\n${NOTICE}\r\n`;
			return mail('multipart/mixed; boundary="p"', `${fill(part, n - 600)}\r\n--p--\r\n`);
		},
	},
	{
		name: 'many boundary-like lines',
		step: 'mime',
		make: (n) =>
			mail(
				'multipart/mixed; boundary="p"',
				`--p\r\nContent-Type: text/plain\r\n\r\n${NOTICE}${fill('--p-\r\n--px\r\n', n - 700)}\r\n--p--\r\n`,
			),
	},
	{
		name: 'quoted-printable soft breaks and escapes',
		step: 'mime',
		make: (n) =>
			mail(
				'text/plain',
				NOTICE + fill('=\r\n=3D= =\t=XX', n - 600),
				'Content-Transfer-Encoding: quoted-printable\r\n',
			),
	},
	{
		name: 'base64 with garbage',
		step: 'mime',
		make: (n) =>
			mail(
				'text/plain',
				fill('QUJD!!==\r\n*&^%', n - 400),
				'Content-Transfer-Encoding: base64\r\n',
			),
	},
	{
		name: 'lines without end (CR only)',
		step: 'mime',
		make: (n) => mail('text/plain', NOTICE.replace(/\r\n/g, '\r') + fill('x\r', n - 600)),
	},
	// Header unfolding.
	{
		name: 'one huge header line',
		step: 'headers',
		make: (n) => mail('text/plain', NOTICE, `X-Long: ${fill('a@b ', n - 700)}\r\n`),
	},
	{
		name: 'one header folded many times',
		step: 'headers',
		make: (n) =>
			mail('text/plain', NOTICE, `Subject: ${fill('\r\n x=?utf-8?B?QQ==?=', n - 700)}\r\n`),
	},
	{
		name: 'many header fields',
		step: 'headers',
		make: (n) => mail('text/plain', NOTICE, fill('X-B: b\r\n', n - 700)),
	},
	{
		name: 'many References',
		step: 'headers',
		make: (n) => mail('text/plain', NOTICE, `References: ${fill('<a@b> ', n - 700)}\r\n`),
	},
	{
		name: 'In-Reply-To of many @',
		step: 'headers',
		make: (n) => mail('text/plain', NOTICE, `In-Reply-To: ${fill('a@', n - 700)}\r\n`),
	},
	{
		name: 'many encoded words',
		step: 'headers',
		make: (n) =>
			mail('text/plain', NOTICE, `Subject: ${fill('=?utf-8?q?a=C3=A9?= =?x?b?', n - 700)}\r\n`),
	},
	// Text anchors and the readable-part scanners.
	{ name: 'long run of spaces', step: 'text', make: (n) => text(n, ' ') },
	{ name: 'long run of dots', step: 'text', make: (n) => text(n, '.') },
	{ name: 'long run of @', step: 'text', make: (n) => text(n, '@') },
	{ name: 'address-like run without dot', step: 'text', make: (n) => text(n, 'aaaaaaaaaa@') },
	{
		name: 'one long line of words',
		step: 'text',
		make: (n) => text(n, 'delivery to the following recipient failed 550 '),
	},
	{ name: 'many addresses', step: 'text', make: (n) => text(n, 'u1@dest.example, ') },
	{
		name: 'many recipient lines',
		step: 'text',
		make: (n) => text(n, '<u@dest.example>: 550 5.1.1 no such user\r\n'),
	},
	{
		name: 'many distinct recipients',
		step: 'text',
		make: (n) =>
			mail(
				'text/plain',
				NOTICE +
					Array.from(
						{ length: Math.ceil(n / 50) },
						(_, i) => `<u${i}@dest.example>: 550 5.1.1 no such user\r\n`,
					)
						.join('')
						.slice(0, n - 600),
			),
	},
	{
		name: 'phrases before an address',
		step: 'text',
		make: (n) => text(n, `${'sent delivery recipient '.repeat(80)}to <a@\r\n`),
	},
	{
		name: 'long domains without a dot',
		step: 'text',
		make: (n) => text(n, `recipient <${'a'.repeat(64)}@${'b'.repeat(250)}(\r\n`),
	},
	{ name: 'separator lines', step: 'text', make: (n) => text(n, '-----=====#####\r\n') },
	{ name: 'quoted lines', step: 'text', make: (n) => text(n, '> > > <a@dest.example>\r\n') },
	{
		name: 'transcript lines',
		step: 'text',
		make: (n) => text(n, '<<< 550 5.1.1 x\r\n<a@dest.example>... Remote protocol error\r\n'),
	},
	{ name: 'empty lines', step: 'text', make: (n) => text(n, '\r\n') },
	{
		name: 'SES JSON without end',
		step: 'text',
		make: (n) => text(n, '{"notificationType":"Bounce","bounce":{"bouncedRecipients":['),
	},
	// DSN fields.
	{
		name: 'Diagnostic-Code continuation lines',
		step: 'dsn',
		make: (n) =>
			report(
				`Final-Recipient: rfc822; a@dest.example\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 no such user${fill('\r\n continued 550 5.1.1', n - 1200)}`,
			),
	},
	{
		name: 'many DSN recipients',
		step: 'dsn',
		make: (n) =>
			report(
				fill(
					'Final-Recipient: rfc822; a@dest.example\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 no such user\r\n\r\n',
					n - 1200,
				),
			),
	},
	{
		name: 'many distinct DSN recipients',
		step: 'dsn',
		make: (n) =>
			report(
				Array.from(
					{ length: Math.ceil(n / 90) },
					(_, i) =>
						`Final-Recipient: rfc822; u${i}@dest.example\r\nAction: failed\r\nStatus: 5.2.2\r\n\r\n`,
				)
					.join('')
					.slice(0, n - 1200),
			),
	},
	{
		name: 'DSN recipients with a run of dots',
		step: 'dsn',
		make: (n) =>
			report(
				fill(
					`Final-Recipient: rfc822; a@dest.example${'.'.repeat(1900)}x\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n`,
					n - 1200,
				),
			),
	},
	{
		name: 'DSN fields in the text part',
		step: 'dsn',
		make: (n) =>
			text(n, 'Final-Recipient: rfc822; a@dest.example\r\nAction: failed\r\nStatus: 5.1.1\r\n'),
	},
	// Mailbox files.
	{
		name: 'mbox of many bounces',
		step: 'mbox',
		make: (n) =>
			Buffer.from(
				Array.from({ length: Math.ceil(n / 180) }, (_, i) => mboxMessage(i))
					.join('')
					.slice(0, n),
				'latin1',
			),
	},
	{
		name: 'mbox with many non-separator From lines',
		step: 'mbox',
		make: (n) =>
			Buffer.from(mboxMessage(0) + fill('\nFrom x\n>From y\n', n - 200) + mboxMessage(1), 'latin1'),
	},
	{
		name: 'mbox of four huge HTML bounces',
		step: 'mbox',
		make: (n) =>
			Buffer.from(
				[0, 1, 2, 3]
					.map(
						(i) => mboxMessage(i, 'text/html') + fill('<script>', Math.floor(n / 4) - 250) + '\n',
					)
					.join(''),
				'latin1',
			),
	},
];

/**
 * CPU time of this thread only (Node >= 23.9): the garbage collector's and the compiler's helper
 * threads are not charged to the input being timed.
 */
export function threadCpuMs(): number {
	const p = process as unknown as { threadCpuUsage?: () => NodeJS.CpuUsage };
	const u = typeof p.threadCpuUsage === 'function' ? p.threadCpuUsage() : process.cpuUsage();
	return (u.user + u.system) / 1000;
}

/** The longest time the event loop could not run anything else, in wall-clock and in CPU time. */
export interface EventLoopBlock {
	wallMs: number;
	/** CPU time of this thread in that stretch: what the work costs, whatever the machine's load. */
	cpuMs: number;
}

/**
 * Runs `work` while a setImmediate ticker measures the gaps between its turns: the longest gap is
 * the longest stretch the event loop could not run anything else (timers, sockets, n8n's UI).
 * Thread CPU time is counted in scheduler ticks (about 4 ms on Linux), fine for limits of tens
 * of milliseconds.
 */
export async function longestBlock(work: () => Promise<unknown>): Promise<EventLoopBlock> {
	const block: EventLoopBlock = { wallMs: 0, cpuMs: 0 };
	let lastWall = performance.now();
	let lastCpu = threadCpuMs();
	const mark = () => {
		const wall = performance.now();
		const cpu = threadCpuMs();
		block.wallMs = Math.max(block.wallMs, wall - lastWall);
		block.cpuMs = Math.max(block.cpuMs, cpu - lastCpu);
		lastWall = wall;
		lastCpu = cpu;
	};
	let running = true;
	const tick = () => {
		mark();
		if (running) setImmediate(tick);
	};
	setImmediate(tick);
	try {
		await work();
	} finally {
		running = false;
	}
	mark();
	return block;
}
