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
// With `secrets` (scripts/lib/secret-scan.js) both API keys are markers of the seeded-secret check.
//
// Used by scripts/e2e.js:   const msc = require('./lib/e2e-msc');
//                            suites.push(['MSC channel', msc.CHECKS, () => msc.run({ paths, tmp, record })]);
// Alone:                     node scripts/lib/e2e-msc.js   (installs n8n if needed and builds; E2E_SKIP_BUILD=1 skips the build)

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { SMTPServer } = require('smtp-server');
const nodemailer = require('nodemailer');
const n8nLib = require('./n8n');

const { REPO_ROOT, N8n, NODE_TYPE_CUSTOM, nodeItems, runError } = n8nLib;
const FIXTURES = path.join(REPO_ROOT, 'test', 'e2e');
const EMAIL_NODE = 'Delivery Channel';
const CREDENTIAL_ID = 'dcE2eMscCred0001';
const REJECTED_KEY_CREDENTIAL = { id: 'dcE2eMscCred0002', name: 'E2E MSC sandbox, rejected key' };
const REFUSED = 'nobody@example.net';
const BOUNCED = 'alice@example.net';
const VERIFIED = 'sales@demo-company.example';
const UNVERIFIED = 'unverified@demo-company.example';
const CHECKS = 4;

function readFixture(name) {
	return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
}

function withNodeType(workflow, type) {
	const wf = JSON.parse(JSON.stringify(workflow));
	for (const n of wf.nodes) if (n.name === EMAIL_NODE) n.type = type;
	return wf;
}

/** The upstream: records messages, refuses REFUSED at RCPT time like a server with no such mailbox. */
async function startUpstream() {
	const received = [];
	const server = new SMTPServer({
		disabledCommands: ['AUTH', 'STARTTLS'],
		authOptional: true,
		logger: false,
		onRcptTo(address, _session, callback) {
			if (address.address.toLowerCase() === REFUSED) {
				return callback(Object.assign(new Error(`5.1.1 <${REFUSED}>: Recipient address rejected: User unknown`), { responseCode: 550 }));
			}
			return callback();
		},
		onData(stream, session, callback) {
			const chunks = [];
			stream.on('data', (c) => chunks.push(c));
			stream.on('end', () => {
				const raw = Buffer.concat(chunks).toString('utf8');
				const head = raw.slice(0, raw.search(/\r?\n\r?\n/)).replace(/\r?\n[ \t]+/g, ' ');
				const headers = {};
				for (const line of head.split(/\r?\n/)) {
					const i = line.indexOf(':');
					if (i > 0 && !(line.slice(0, i).toLowerCase() in headers)) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
				}
				received.push({ from: session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address), headers, raw });
				callback(null, 'Queued');
			});
		},
	});
	server.on('error', () => undefined);
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	return { host: '127.0.0.1', port: server.server.address().port, received, close: () => new Promise((r) => server.close(r)) };
}

/** A Postfix-style RFC 3464 report for `recipient`, delivered to the message's bounce address. */
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
	const transport = nodemailer.createTransport({ host: sandbox.smtpHost, port: sandbox.smtpPort, secure: false, ignoreTLS: true });
	try {
		await transport.sendMail({ envelope: { from: '', to: [bounceAddress] }, raw });
	} finally {
		transport.close();
	}
}

function defaultRecord(name, failures, details = []) {
	console.log(`${failures.length ? 'FAIL' : 'PASS'} ${name}`);
	for (const d of details) console.log(`     ${d}`);
	for (const f of failures) console.log(`     - ${f}`);
}

/**
 * Runs the MSC checks. `paths` from n8nLib.installN8n(), `tmp` a temporary folder, `record(name,
 * failures, details)` the runner's reporter. Expects `npm run build` to have run (dist/sandbox/msc).
 * Records exactly CHECKS results unless it throws.
 */
const pairedIndex = (item) => {
	const paired = Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem;
	return paired ? paired.item : undefined;
};
const short = (value) => JSON.stringify(value).slice(0, 240);

/** Check 4: the error output and a rejected API key, in one execution. */
function checkOnError(run, received, upstreamBefore) {
	const f = [];
	const contacted = nodeItems(run, 'Mark Contacted');
	const failed = nodeItems(run, 'Update CRM Failure');
	const sentOut = nodeItems(run, 'Send via MSC', 0);
	const errorOut = nodeItems(run, 'Send via MSC', 1);
	if (JSON.stringify(sentOut.map(pairedIndex)) !== '[0]' || contacted.length !== 1) f.push(`output 0 holds leads ${JSON.stringify(sentOut.map(pairedIndex))} and "Mark Contacted" got ${contacted.length} items, expected lead 0 only`);
	else if (contacted[0].json.status !== 'sent' || contacted[0].json.channel !== 'msc') f.push(`the item on output 0 is ${short(contacted[0].json)}, expected a sent MSC item`);
	if (JSON.stringify(errorOut.map(pairedIndex)) !== '[1]' || failed.length !== 1) f.push(`output 1 holds leads ${JSON.stringify(errorOut.map(pairedIndex))} and "Update CRM Failure" got ${failed.length} items, expected lead 1 only`);
	else {
		const j = failed[0].json;
		const d = j.details || {};
		if (j.crmId !== 'CRM-302' || j.email !== 'pete@example.net') f.push(`the error item lacks the lead's own fields: ${short(j)}`);
		if (d.status !== 'failed' || d.code !== 'EIDENTITY' || d.channel !== 'msc') f.push(`the error item's details are ${short(d)}, expected status failed, code EIDENTITY, channel msc`);
		if (!String(j.error || '').includes(UNVERIFIED)) f.push(`the error item's error does not name ${UNVERIFIED}: ${short(j.error)}`);
		if (j.status !== undefined) f.push('the error item has a top-level status: not the shape n8n routes to the error output');
	}
	const keyItem = (nodeItems(run, 'Rejected Key (Continue)')[0] || {}).json || {};
	if (keyItem.status !== 'failed' || keyItem.code !== 'EAUTH') f.push(`with a rejected API key under Continue the item is ${short(keyItem)}, expected status failed with code EAUTH`);
	const e = run.data && run.data.resultData.error;
	if (!e || !e.node || e.node.name !== 'Rejected Key (Stop)') f.push(`the execution did not stop at "Rejected Key (Stop)" (error: ${short(e && e.message)})`);
	const relayed = received.slice(upstreamBefore);
	if (relayed.length !== 1 || JSON.stringify(relayed[0].to) !== '["olga@example.net"]') f.push(`the upstream received ${short(relayed.map((m) => m.to))}, expected one message to olga@example.net`);
	return { failures: f, keyError: keyItem.error, nodeError: e ? `${e.message} | ${e.description || ''}` : 'none' };
}

async function run({ paths, tmp, record = defaultRecord, secrets, logLevel, dist = path.join(REPO_ROOT, 'dist') }) {
	const sandboxModule = path.join(dist, 'sandbox', 'msc', 'server.js');
	if (!fs.existsSync(sandboxModule)) throw new Error('dist/sandbox/msc/server.js is missing: run npm run build (tsconfig.build.json must include sandbox/**/*)');
	const { startSandbox } = require(sandboxModule);
	const folder = path.join(tmp, 'msc');
	fs.mkdirSync(folder, { recursive: true });
	const upstream = await startUpstream();
	const apiKey = secrets ? secrets.marker('MSC API key', 'msc_sk_') : `msc_sk_e2e_${crypto.randomBytes(12).toString('hex')}`;
	const rejectedKey = secrets ? secrets.marker('MSC API key that the server rejects', 'msc_sk_') : `msc_sk_e2e_${crypto.randomBytes(12).toString('hex')}`;
	const sandbox = await startSandbox({
		port: 0,
		smtpPort: 0,
		db: path.join(folder, 'sandbox.sqlite'),
		upstream: { host: upstream.host, port: upstream.port, security: 'none' },
		demo: { apiKey },
	});
	const domain = sandbox.config.domain;
	try {
		const n8n = await N8n.create(paths, {
			userFolder: folder,
			encryptionKey: crypto.randomBytes(24).toString('hex'),
			customExtensions: dist,
			logLevel,
		});
		const sendWf = withNodeType(readFixture('msc-send.workflow.json'), NODE_TYPE_CUSTOM);
		const failWf = withNodeType(readFixture('msc-failed-deliveries.workflow.json'), NODE_TYPE_CUSTOM);
		const onErrorWf = readFixture('msc-on-error.workflow.json');
		await n8n.importCredentials(
			[
				{ id: CREDENTIAL_ID, name: 'E2E MSC sandbox', type: 'deliveryChannelMscApi', data: { baseUrl: sandbox.apiUrl, apiKey } },
				{ ...REJECTED_KEY_CREDENTIAL, type: 'deliveryChannelMscApi', data: { baseUrl: sandbox.apiUrl, apiKey: rejectedKey } },
			],
			'msc-credentials.json',
		);
		await n8n.importWorkflow([sendWf, failWf, onErrorWf], 'msc-workflows.json');

		// --- 1: send ---------------------------------------------------------------------------
		let t = Date.now();
		const { run: sendRun } = await n8n.execute(sendWf.id);
		const sendSecs = ((Date.now() - t) / 1000).toFixed(1);
		const items = nodeItems(sendRun, EMAIL_NODE).map((item) => item.json || {});
		const f1 = [];
		if (runError(sendRun)) f1.push(`execution failed: ${runError(sendRun)}`);
		if (items.length !== 3) f1.push(`the node output ${items.length} items, expected 3`);
		const [alice, bob, carol] = items;
		if (alice) {
			if (alice.status !== 'sent') f1.push(`item 0: status ${JSON.stringify(alice.status)}, expected "sent" (${alice.error || ''})`);
			if (alice.channel !== 'msc') f1.push(`item 0: channel ${JSON.stringify(alice.channel)}`);
			if (!alice.identity || !String(alice.identity.used).includes(VERIFIED)) f1.push(`item 0: identity ${JSON.stringify(alice.identity)} does not name ${VERIFIED}`);
			if (!(alice.warnings || []).some((w) => w.includes(`via ${domain}`))) f1.push(`item 0: no "via ${domain}" warning in ${JSON.stringify(alice.warnings)}`);
			if (!(alice.warnings || []).some((w) => /DMARC/.test(w))) f1.push('item 0: no DMARC warning');
		}
		if (bob) {
			if (bob.status !== 'partial') f1.push(`item 1: status ${JSON.stringify(bob.status)}, expected "partial"`);
			if (!(bob.rejected || []).some((r) => r.address === REFUSED)) f1.push(`item 1: rejected ${JSON.stringify(bob.rejected)} lacks ${REFUSED}`);
		}
		if (carol) {
			if (carol.status !== 'failed' || carol.code !== 'EIDENTITY') f1.push(`item 2 (unverified identity): ${JSON.stringify(carol).slice(0, 200)}, expected an EIDENTITY error item`);
			if (!String(carol.error || '').includes(UNVERIFIED)) f1.push(`item 2: error does not name ${UNVERIFIED}`);
		}
		record('MSC channel in real n8n: sent, partial (refused recipient) and unverified-identity items', f1, [
			`n8n execute took ${sendSecs} s`,
			alice ? `item 0: status=${alice.status} from=${alice.from} via=${alice.via} mscMessageId=${alice.mscMessageId}` : 'no output',
		]);

		// --- 2: what the upstream received ---------------------------------------------------------
		const f2 = [];
		const received = upstream.received.slice();
		if (received.length !== 2) f2.push(`the upstream received ${received.length} messages, expected exactly 2`);
		for (const [item, rcpts] of [[alice, [BOUNCED]], [bob, ['bob@example.net']]]) {
			if (!item) continue;
			const m = received.find((r) => r.headers['message-id'] === item.messageId);
			if (!m) {
				f2.push(`no relayed message carries ${item.messageId}`);
				continue;
			}
			if (m.from !== item.envelopeFrom || !new RegExp(`^bounce\\+msg_[0-9a-f]+@${domain.replace(/\./g, '\\.')}$`).test(m.from)) f2.push(`envelope sender ${m.from}, expected the bounce address ${item.envelopeFrom}`);
			if (!String(m.headers.sender || '').includes(`@${domain}>`)) f2.push(`Sender header ${JSON.stringify(m.headers.sender)} is not on ${domain}`);
			if (!String(m.headers.from || '').includes(VERIFIED)) f2.push(`From header ${JSON.stringify(m.headers.from)} is not the identity`);
			if (JSON.stringify(m.to) !== JSON.stringify(rcpts)) f2.push(`delivered to ${JSON.stringify(m.to)}, expected ${JSON.stringify(rcpts)}`);
		}
		record('MSC sandbox relayed exactly 2 messages with the bounce address as envelope sender and a Sender header', f2, [
			`received: ${received.map((m) => `${m.from} -> ${m.to.join('+')}`).join('; ') || 'nothing'}`,
		]);

		// --- 3: bounce report, then Failed Deliveries ----------------------------------------------
		const f3 = [];
		if (alice && alice.envelopeFrom) await deliverBounce(sandbox, alice.envelopeFrom, BOUNCED, alice.messageId);
		else f3.push('no envelopeFrom on item 0: cannot deliver its bounce');
		t = Date.now();
		const { run: failRun } = await n8n.execute(failWf.id);
		const failSecs = ((Date.now() - t) / 1000).toFixed(1);
		const failures = nodeItems(failRun, EMAIL_NODE).map((item) => item.json || {});
		if (runError(failRun)) f3.push(`execution failed: ${runError(failRun)}`);
		if (failures.length !== 2) f3.push(`Failed Deliveries output ${failures.length} items, expected 2`);
		const bounced = failures.find((f) => f.recipient === BOUNCED);
		const refused = failures.find((f) => f.recipient === REFUSED);
		if (!bounced) f3.push(`no failed delivery for ${BOUNCED}`);
		else {
			if (bounced.reason !== 'mailboxfull' || bounced.hard !== false || bounced.status !== '5.2.2') f3.push(`${BOUNCED}: reason ${bounced.reason} hard ${bounced.hard} status ${bounced.status}, expected mailboxfull / false / 5.2.2`);
			if (!bounced.link || bounced.link.method !== 'bounce-address' || bounced.link.confidence !== 'high') f3.push(`${BOUNCED}: link ${JSON.stringify(bounced.link)}, expected bounce-address / high`);
			if (!bounced.message || bounced.message.id !== alice.mscMessageId) f3.push(`${BOUNCED}: linked to ${JSON.stringify(bounced.message && bounced.message.id)}, expected ${alice.mscMessageId}`);
		}
		if (!refused) f3.push(`no failed delivery for ${REFUSED}`);
		else {
			if (refused.reason !== 'userunknown' || refused.hard !== true) f3.push(`${REFUSED}: reason ${refused.reason} hard ${refused.hard}, expected userunknown / true`);
			if (!refused.link || refused.link.method !== 'relay-session') f3.push(`${REFUSED}: link ${JSON.stringify(refused.link)}, expected relay-session`);
			if (!refused.message || refused.message.id !== (bob && bob.mscMessageId)) f3.push(`${REFUSED}: linked to ${JSON.stringify(refused.message && refused.message.id)}, expected ${bob && bob.mscMessageId}`);
		}
		record('MSC Failed Deliveries in real n8n: the refused recipient and the bounced one, with reason and link', f3, [
			`n8n execute took ${failSecs} s; ${failures.map((f) => `${f.recipient}: ${f.reason} via ${f.link && f.link.method}`).join('; ')}`,
		]);

		// --- 4: error output, and a rejected API key ------------------------------------------------
		const upstreamBefore = upstream.received.length;
		t = Date.now();
		const { run: onErrorRun } = await n8n.execute(onErrorWf.id);
		const onErrorSecs = ((Date.now() - t) / 1000).toFixed(1);
		const c4 = checkOnError(onErrorRun, upstream.received, upstreamBefore);
		record('MSC in real n8n: error output (sent lead on output 0, unverified identity on output 1 with details and the lead), a rejected API key fails clearly', c4.failures, [
			`n8n execute took ${onErrorSecs} s`,
			`rejected key, item: ${short(c4.keyError)}`,
			`rejected key, node error: ${short(c4.nodeError)}`,
		]);
	} finally {
		if (secrets) secrets.texts.push({ where: 'messages the MSC upstream received (headers and envelope)', text: JSON.stringify(upstream.received) });
		await sandbox.close();
		await upstream.close();
	}
}

module.exports = { run, CHECKS };

if (require.main === module) {
	(async () => {
		const paths = await n8nLib.installN8n();
		if (process.env.E2E_SKIP_BUILD !== '1') await n8nLib.buildPackage();
		const tmp = n8nLib.makeTempDir('delivery-channel-e2e-msc-');
		const results = [];
		await run({
			paths,
			tmp,
			record: (name, failures, details) => {
				results.push(failures.length === 0);
				defaultRecord(name, failures, details);
			},
		});
		const passed = results.filter(Boolean).length;
		console.log(`${passed} passed, ${results.length - passed} failed`);
		process.exitCode = passed === CHECKS && results.length === CHECKS ? 0 : 1;
	})().catch((error) => {
		console.log(`FAIL MSC e2e: ${error && error.stack ? error.stack : error}`);
		process.exit(1);
	});
}
