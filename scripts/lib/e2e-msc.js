'use strict';
// End-to-end checks of the MSC channel in a real n8n, against the MSC sandbox (dist/sandbox/msc,
// started in-process) relaying to a local SMTP server that refuses nobody@example.net:
//  1. the node sends through MSC: a sent item, a partial item (one recipient refused at relay time)
//     and an item with an unverified identity that fails alone (continue on fail);
//  2. the upstream received exactly the 2 messages, from the per-message bounce address, with a
//     Sender header for the account;
//  3. after a bounce report arrives on the sandbox's inbound port, Failed Deliveries lists the refused
//     recipient and the bounced one, with reason and link;
//  4. On Error = Continue (using error output): the sent lead reaches the node on output 0, the
//     unverified-identity lead the node on output 1 with details and its own fields; an API key the
//     sandbox rejects gives an EAUTH item under Continue and a node error under Stop.
// Both API keys are markers of the seeded-secret check (scripts/lib/secret-scan.js).
// setupMsc starts everything and runs the send workflow (checks 1 and 2 read it); teardownMsc stops.
// The checks are in ./e2e-msc-checks.js.

const fs = require('node:fs');
const path = require('node:path');
const { SMTPServer } = require('smtp-server');
const nodemailer = require('nodemailer');
const { NODE_TYPE_CUSTOM, nodeItems } = require('./n8n');
const { EMAIL_NODE, createN8n, readFixture, withNodeType, secs } = require('./e2e-common');

const CREDENTIAL_ID = 'dcE2eMscCred0001';
const REJECTED_KEY_CREDENTIAL = { id: 'dcE2eMscCred0002', name: 'E2E MSC sandbox, rejected key' };
const REFUSED = 'nobody@example.net';
const BOUNCED = 'alice@example.net';
const VERIFIED = 'sales@demo-company.example';
const UNVERIFIED = 'unverified@demo-company.example';

/**
 * @typedef {import('./e2e-common').Check} Check
 * @typedef {import('./n8n-run-data').N8nRun} N8nRun
 * @typedef {{ from: string, to: string[], headers: Record<string, string>, raw: string }} Relayed
 */

/** The upstream: records messages, refuses REFUSED at RCPT time like a server with no such mailbox. */
async function startUpstream() {
	/** @type {Relayed[]} */
	const received = [];
	const server = new SMTPServer({
		disabledCommands: ['AUTH', 'STARTTLS'],
		authOptional: true,
		logger: false,
		onRcptTo(address, _session, callback) {
			if (address.address.toLowerCase() === REFUSED) {
				return callback(
					Object.assign(new Error(`5.1.1 <${REFUSED}>: Recipient address rejected: User unknown`), {
						responseCode: 550,
					}),
				);
			}
			return callback();
		},
		onData(stream, session, callback) {
			const chunks = [];
			stream.on('data', (c) => chunks.push(c));
			stream.on('end', () => {
				const raw = Buffer.concat(chunks).toString('utf8');
				const head = raw.slice(0, raw.search(/\r?\n\r?\n/)).replace(/\r?\n[ \t]+/g, ' ');
				/** @type {Record<string, string>} */
				const headers = {};
				for (const line of head.split(/\r?\n/)) {
					const i = line.indexOf(':');
					if (i > 0 && !(line.slice(0, i).toLowerCase() in headers))
						headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
				}
				received.push({
					from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
					to: session.envelope.rcptTo.map((r) => r.address),
					headers,
					raw,
				});
				callback(null, 'Queued');
			});
		},
	});
	server.on('error', () => undefined);
	await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
	const { port } = /** @type {import('node:net').AddressInfo} */ (server.server.address());
	return {
		host: '127.0.0.1',
		port,
		received,
		close: () => new Promise((r) => server.close(() => r(undefined))),
	};
}

/**
 * A Postfix-style RFC 3464 report for `recipient`, delivered to the message's bounce address.
 * @param {{ smtpHost: string, smtpPort: number }} sandbox
 * @param {string} bounceAddress
 * @param {string} recipient
 * @param {string} messageId
 */
async function deliverBounce(sandbox, bounceAddress, recipient, messageId) {
	const raw = [
		'From: MAILER-DAEMON@mx.example.net (Mail Delivery System)',
		`To: ${bounceAddress}`,
		'Subject: Undelivered Mail Returned to Sender',
		'MIME-Version: 1.0',
		'Content-Type: multipart/report; report-type=delivery-status; boundary="E2E-B"',
		'',
		'--E2E-B',
		'Content-Type: text/plain',
		'',
		`<${recipient}>: host mbox.example.net said: 552 5.2.2 Mailbox full`,
		'',
		'--E2E-B',
		'Content-Type: message/delivery-status',
		'',
		'Reporting-MTA: dns; mx.example.net',
		'',
		`Final-Recipient: rfc822; ${recipient}`,
		'Action: failed',
		'Status: 5.2.2',
		'Diagnostic-Code: smtp; 552 5.2.2 Mailbox full',
		'',
		'--E2E-B',
		'Content-Type: text/rfc822-headers',
		'',
		`Message-ID: ${messageId}`,
		`To: ${recipient}`,
		'',
		'--E2E-B--',
		'',
	].join('\r\n');
	const transport = nodemailer.createTransport({
		host: sandbox.smtpHost,
		port: sandbox.smtpPort,
		secure: false,
		ignoreTLS: true,
	});
	try {
		await transport.sendMail({ envelope: { from: '', to: [bounceAddress] }, raw });
	} finally {
		transport.close();
	}
}

/**
 * Starts the upstream and the sandbox (API keys are markers), an n8n with the built package, imports
 * the MSC workflows and runs the send workflow, which checks 1 and 2 read.
 * @param {{ run: import('./e2e-run').E2eRun, secrets: import('./secret-scan').SecretSet }} options
 */
async function setupMsc({ run, secrets }) {
	const sandboxModule = path.join(run.dist, 'sandbox', 'msc', 'server.js');
	if (!fs.existsSync(sandboxModule)) {
		throw new Error(
			'dist/sandbox/msc/server.js is missing: run npm run build (tsconfig.build.json must include sandbox/**/*)',
		);
	}
	const { startSandbox } = require(sandboxModule);
	const folder = path.join(run.work, 'msc');
	fs.mkdirSync(folder, { recursive: true });
	const apiKey = secrets.marker('MSC API key', 'msc_sk_');
	const rejectedKey = secrets.marker('MSC API key that the server rejects', 'msc_sk_');
	const upstream = await startUpstream();
	const ctx = { secrets, upstream, sandbox: undefined };
	try {
		const sandbox = await startSandbox({
			port: 0,
			smtpPort: 0,
			db: path.join(folder, 'sandbox.sqlite'),
			upstream: { host: upstream.host, port: upstream.port, security: 'none' },
			demo: { apiKey },
		});
		ctx.sandbox = sandbox;
		const n8n = await createN8n(run, 'msc');
		const sendWf = withNodeType(readFixture('msc-send.workflow.json'), NODE_TYPE_CUSTOM);
		const failWf = withNodeType(
			readFixture('msc-failed-deliveries.workflow.json'),
			NODE_TYPE_CUSTOM,
		);
		const onErrorWf = readFixture('msc-on-error.workflow.json');
		const type = 'deliveryChannelMscApi';
		const credentials = [
			{
				id: CREDENTIAL_ID,
				name: 'E2E MSC sandbox',
				type,
				data: { baseUrl: sandbox.apiUrl, apiKey },
			},
			{ ...REJECTED_KEY_CREDENTIAL, type, data: { baseUrl: sandbox.apiUrl, apiKey: rejectedKey } },
		];
		await n8n.importCredentials(credentials, 'msc-credentials.json');
		await n8n.importWorkflow([sendWf, failWf, onErrorWf], 'msc-workflows.json');
		const t = Date.now();
		const { run: sendRun } = await n8n.execute(sendWf.id);
		const sendTook = secs(t);
		const items = nodeItems(sendRun, EMAIL_NODE).map((item) => item.json || {});
		return {
			...ctx,
			sandbox,
			domain: sandbox.config.domain,
			n8n,
			sendWf,
			failWf,
			onErrorWf,
			sendRun,
			sendTook,
			items,
		};
	} catch (error) {
		await teardownMsc(ctx);
		throw error;
	}
}
/** @typedef {Awaited<ReturnType<typeof setupMsc>>} Msc */

/**
 * Hands what the upstream received to the seeded-secret check and stops the servers.
 * @param {{ secrets: import('./secret-scan').SecretSet, upstream?: Awaited<ReturnType<typeof startUpstream>>, sandbox?: any }} ctx
 */
async function teardownMsc(ctx) {
	if (!ctx) return;
	if (ctx.upstream) {
		ctx.secrets.texts.push({
			where: 'messages the MSC upstream received (headers and envelope)',
			text: JSON.stringify(ctx.upstream.received),
		});
	}
	if (ctx.sandbox) await ctx.sandbox.close();
	if (ctx.upstream) await ctx.upstream.close();
}

module.exports = { REFUSED, BOUNCED, VERIFIED, UNVERIFIED, deliverBounce, setupMsc, teardownMsc };
