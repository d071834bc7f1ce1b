'use strict';
// The Custom SMTP channel's side of the real-n8n end-to-end test: the local mail catcher
// (scripts/lib/mail-catcher.js) the custom extension, the community package and the On Error parts
// send to, their credential, and what a "sent" item and the message the catcher received must show.
// The SMTP password is a marker of the seeded-secret check; every message the catcher receives is
// handed to it.

const { startMailCatcher, formatAddress } = require('./mail-catcher');
const { readFixture, bareId, pairedIndex } = require('./e2e-common');

const SMTP_USER = 'e2e-user';
const IDENTITY = 'Jane Doe <jane@example.com>';
/** The address the catcher refuses at RCPT TO, as a server without that mailbox does. */
const REFUSED = 'refused@example.net';

/**
 * @typedef {import('./secret-scan').SecretSet} SecretSet
 * @typedef {import('./n8n-run-data').N8nItem} N8nItem
 * @typedef {Awaited<ReturnType<typeof startMailCatcher>>} MailCatcher
 * @typedef {{ catcher: MailCatcher, auth: { user: string, pass: string } }} Smtp
 */

/**
 * Starts the mail catcher; its password is a marker, every message it receives goes to the scan.
 * @param {SecretSet} secrets
 * @returns {Promise<Smtp>}
 */
async function startSmtp(secrets) {
	const auth = {
		user: SMTP_USER,
		pass: secrets.marker('Custom SMTP password (local SMTP server)'),
	};
	const catcher = await startMailCatcher({
		auth,
		refuse: [REFUSED],
		onMessage: (/** @type {any} */ m) =>
			secrets.texts.push({
				where: `message received by the local SMTP server: ${m.subject}`,
				text: m.raw,
			}),
	});
	return { catcher, auth };
}

/**
 * test/e2e/credentials.json pointed at the catcher.
 * @param {Smtp} smtp
 */
function credentialsFor({ catcher, auth }) {
	const creds = readFixture('credentials.json');
	for (const c of creds) {
		c.data.host = catcher.host;
		c.data.port = catcher.port;
		c.data.password = auth.pass;
	}
	return creds;
}

/**
 * The output-shape part of a "sent" item.
 * @param {N8nItem} item
 * @param {number} index
 * @param {string[]} envelopeTo  every recipient the server must have accepted
 * @returns {string[]}
 */
function checkSentItem(item, index, envelopeTo) {
	const f = [];
	const j = item.json || {};
	const tag = `item ${index}`;
	if (j.status !== 'sent') {
		const error = j.error ? ` (error: ${JSON.stringify(j.error)})` : '';
		f.push(`${tag}: status is ${JSON.stringify(j.status)}, expected "sent"${error}`);
	}
	if (!j.messageId) f.push(`${tag}: no messageId in the output`);
	if (pairedIndex(item) !== index) {
		f.push(`${tag}: pairedItem is ${JSON.stringify(item.pairedItem)}, expected {"item":${index}}`);
	}
	if (j.channel !== undefined && j.channel !== 'smtp')
		f.push(`${tag}: channel is ${JSON.stringify(j.channel)}, expected "smtp"`);
	if (Array.isArray(j.accepted)) {
		const accepted = j.accepted.map((/** @type {unknown} */ a) => String(a).toLowerCase());
		for (const rcpt of envelopeTo) {
			if (!accepted.includes(rcpt))
				f.push(`${tag}: accepted ${JSON.stringify(j.accepted)} lacks ${rcpt}`);
		}
	} else f.push(`${tag}: output has no accepted[] list`);
	if (Array.isArray(j.rejected) && j.rejected.length)
		f.push(`${tag}: rejected is ${JSON.stringify(j.rejected)}`);
	return f;
}

/** @param {string[]} a @param {string[]} b */
const sameSet = (a, b) =>
	JSON.stringify(a.map((s) => s.toLowerCase()).sort()) ===
	JSON.stringify(b.map((s) => s.toLowerCase()).sort());

/**
 * @typedef {object} ExpectedMessage
 * @property {string} subject
 * @property {string} from
 * @property {string[]} headerTo
 * @property {string[]} envelopeTo
 * @property {string} [bodyIncludes]
 * @property {string} [htmlIncludes]
 * @property {string} [replyTo]
 */

/**
 * What the SMTP server received for one "sent" item (found by the item's Message-ID).
 * @param {N8nItem} item
 * @param {number} index
 * @param {ExpectedMessage} expected
 * @param {any[]} received  the catcher's messages
 * @returns {string[]}
 */
function checkReceived(item, index, expected, received) {
	const f = [];
	const j = item.json || {};
	const tag = `item ${index}`;
	const matches = received.filter(
		(m) => bareId(m.messageId) === bareId(j.messageId) && j.messageId,
	);
	if (matches.length !== 1)
		return [
			`${tag}: ${matches.length} received messages carry the output's Message-ID ${j.messageId}`,
		];
	const m = matches[0];
	const got = (/** @type {unknown} */ value) => JSON.stringify(value);
	if (m.subject !== expected.subject)
		f.push(`${tag}: received subject ${got(m.subject)}, expected ${got(expected.subject)}`);
	if (formatAddress(m.from) !== expected.from) {
		f.push(`${tag}: received From ${got(formatAddress(m.from))}, expected ${got(expected.from)}`);
	}
	const headerTo = m.to.map((/** @type {{ address: string }} */ a) => a.address);
	if (!sameSet(headerTo, expected.headerTo))
		f.push(`${tag}: To header ${got(headerTo)}, expected ${got(expected.headerTo)}`);
	if (!sameSet(m.envelope.to, expected.envelopeTo)) {
		f.push(
			`${tag}: envelope recipients ${got(m.envelope.to)}, expected ${got(expected.envelopeTo)}`,
		);
	}
	if (expected.bodyIncludes && !(m.text || '').includes(expected.bodyIncludes))
		f.push(`${tag}: text body lacks ${got(expected.bodyIncludes)}`);
	if (expected.htmlIncludes && !(m.html || '').includes(expected.htmlIncludes))
		f.push(`${tag}: HTML body lacks ${got(expected.htmlIncludes)}`);
	const replyTo = m.replyTo || [];
	if (
		expected.replyTo &&
		!replyTo.some((/** @type {{ address: string }} */ a) => a.address === expected.replyTo)
	) {
		f.push(`${tag}: Reply-To is ${got(replyTo.map(formatAddress))}, expected ${expected.replyTo}`);
	}
	if (m.headers.bcc) f.push(`${tag}: a Bcc header leaked into the message: ${m.headers.bcc}`);
	if (m.authUser !== SMTP_USER)
		f.push(`${tag}: SMTP AUTH user was ${got(m.authUser)}, expected ${SMTP_USER}`);
	return f;
}

module.exports = {
	SMTP_USER,
	IDENTITY,
	REFUSED,
	startSmtp,
	credentialsFor,
	checkSentItem,
	checkReceived,
};
