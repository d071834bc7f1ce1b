'use strict';
/**
 * Writes bounce reports the way Gmail's Mail Delivery Subsystem delivers them to the sender's inbox
 * today: multipart/report (report-type=delivery-status) holding a human part (text and HTML), a
 * message/delivery-status part with X-Original-Message-ID, and the returned message.
 * Our own generator, modelled on the format; no real report is copied.
 */
const crypto = require('node:crypto');

const KINDS = {
	unknown: {
		subject: 'Delivery Status Notification (Failure)',
		title: 'Address not found',
		human: (rcpt) =>
			`Your message wasn't delivered to ${rcpt} because the address couldn't be found, or is unable to receive mail.`,
		learnMore: 'https://support.google.com/mail/?p=NoSuchUser',
		action: 'failed',
		status: '5.1.1',
		reply: (rcpt) =>
			`550-5.1.1 The email account that you tried to reach does not exist. Please try\n 550-5.1.1 double-checking the recipient's email address for typos or\n 550-5.1.1 unnecessary spaces. For more information, go to\n 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser ${token(10)} - gsmtp (${rcpt})`,
	},
	full: {
		subject: 'Delivery Status Notification (Failure)',
		title: 'Message not delivered',
		human: (rcpt) =>
			`Your message couldn't be delivered to ${rcpt} because the remote server's mailbox is full.`,
		learnMore: 'https://support.google.com/mail/?p=OverQuotaPerm',
		action: 'failed',
		status: '5.2.2',
		reply: () =>
			`552-5.2.2 The recipient's inbox is out of storage space. Please direct the\n 552-5.2.2 recipient to\n 552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm ${token(10)} - gsmtp`,
	},
	delay: {
		subject: 'Delivery Status Notification (Delay)',
		title: 'Delivery incomplete',
		human: (rcpt) =>
			`There was a temporary problem delivering your message to ${rcpt}. Gmail will retry for 47 more hours. You'll be notified if the delivery fails permanently.`,
		learnMore: 'https://support.google.com/mail/?p=ReceivingServerSlow',
		action: 'delayed',
		status: '4.4.1',
		reply: () => '421 4.4.1 Connection timed out. The recipient server did not accept our requests to connect.',
	},
};

function token(length) {
	return crypto.randomBytes(length).toString('base64url').slice(0, length);
}

/** RFC 5322 date in UTC, as Gmail writes it. */
function rfcDate(date) {
	return date.toUTCString().replace('GMT', '+0000');
}

function domainOf(address) {
	return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * @param {object} input
 * @param {string} input.sender the account address the report goes to
 * @param {string} input.recipient the address that failed
 * @param {'unknown'|'full'|'delay'} input.kind
 * @param {string} input.original the sent message (RFC 5322 text)
 * @param {string} [input.originalMessageId] with angle brackets
 * @param {Date} [input.date]
 * @returns {string} the report as RFC 5322 text (CRLF line ends)
 */
function gmailBounce({ sender, recipient, kind, original, originalMessageId, date = new Date() }) {
	const spec = KINDS[kind];
	if (!spec) throw new Error(`unknown bounce kind ${kind}`);
	const outer = `000000000000${token(12).toLowerCase()}`;
	const related = `000000000000${token(12).toLowerCase()}`;
	const alternative = `000000000000${token(12).toLowerCase()}`;
	const mx = `mx.${domainOf(recipient)}`;
	const reply = spec.reply(recipient);
	const human = spec.human(recipient);
	const threading = originalMessageId ? [`References: ${originalMessageId}`, `In-Reply-To: ${originalMessageId}`] : [];
	const lines = [
		`Delivered-To: ${sender}`,
		'Return-Path: <>',
		`Received: from mail-sor-f69.google.com (mail-sor-f69.google.com. [209.85.220.69])`,
		`        by mx.google.com with SMTPS id ${token(16)}.${date.getTime()}`,
		`        for <${sender}>; ${rfcDate(date)}`,
		'From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
		`To: ${sender}`,
		'Auto-Submitted: auto-replied',
		`Subject: ${spec.subject}`,
		...threading,
		...(spec.action === 'failed' ? [`X-Failed-Recipients: ${recipient}`] : []),
		`Message-ID: <${token(22)}.${date.getTime()}@mx.google.com>`,
		`Date: ${rfcDate(date)}`,
		'MIME-Version: 1.0',
		`Content-Type: multipart/report; boundary="${outer}"; report-type=delivery-status`,
		'',
		`--${outer}`,
		`Content-Type: multipart/related; boundary="${related}"`,
		'',
		`--${related}`,
		`Content-Type: multipart/alternative; boundary="${alternative}"`,
		'',
		`--${alternative}`,
		'Content-Type: text/plain; charset="UTF-8"',
		'',
		'',
		`** ${spec.title} **`,
		'',
		human,
		'',
		`Learn more here: ${spec.learnMore}`,
		'',
		'The response from the remote server was:',
		reply.replace(/\n /g, '\n'),
		'',
		`--${alternative}`,
		'Content-Type: text/html; charset="UTF-8"',
		'',
		'<html><head></head><body>',
		`<table><tr><td><h2>${spec.title}</h2><p>${human.replace(recipient, `<a style='color:#212121;text-decoration:none'><b>${recipient}</b></a>`)}</p>`,
		`<p><a href="${spec.learnMore}">LEARN MORE</a></p></td></tr></table>`,
		`<p>The response was:</p><p>${reply.replace(/\n /g, ' ')}</p>`,
		'</body></html>',
		'',
		`--${alternative}--`,
		`--${related}`,
		'Content-Type: image/png; name="icon.png"',
		'Content-Disposition: attachment; filename="icon.png"',
		'Content-Transfer-Encoding: base64',
		'Content-ID: <icon.png>',
		'',
		'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
		`--${related}--`,
		`--${outer}`,
		'Content-Type: message/delivery-status',
		'',
		'Reporting-MTA: dns; googlemail.com',
		`Received-From-MTA: dns; ${sender}`,
		`Arrival-Date: ${rfcDate(new Date(date.getTime() - 2000))}`,
		...(originalMessageId ? [`X-Original-Message-ID: ${originalMessageId}`] : []),
		'',
		`Final-Recipient: rfc822; ${recipient}`,
		`Action: ${spec.action}`,
		`Status: ${spec.status}`,
		`Remote-MTA: dns; ${mx}. (192.0.2.25, the server for the domain ${domainOf(recipient)}.)`,
		`Diagnostic-Code: smtp; ${reply}`,
		`Last-Attempt-Date: ${rfcDate(date)}`,
		...(spec.action === 'delayed' ? [`Will-Retry-Until: ${rfcDate(new Date(date.getTime() + 47 * 3600 * 1000))}`] : []),
		'',
		`--${outer}`,
		'Content-Type: message/rfc822',
		'',
		original.replace(/\r\n/g, '\n').replace(/\n+$/, ''),
		'',
		`--${outer}--`,
		'',
	];
	return lines.join('\r\n').replace(/\r?\n/g, '\r\n');
}

module.exports = { gmailBounce, BOUNCE_KINDS: Object.keys(KINDS) };
