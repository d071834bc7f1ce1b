#!/usr/bin/env node
'use strict';
// End-to-end test in a real n8n (the pinned install from scripts/install-n8n.sh):
//  1. the node loaded via N8N_CUSTOM_EXTENSIONS sends three emails over SMTP (output items);
//  2. a local SMTP server received exactly those messages (recipients, subject, From, Message-ID);
//  3. with "continue on fail", a malformed address becomes an error item and the others still go out;
//  4. the packed package installed under <user folder>/.n8n/nodes (the community-package path) works
//     without N8N_CUSTOM_EXTENSIONS;
//  5. the MSC channel against the MSC sandbox (scripts/lib/e2e-msc.js);
//  6. the Gmail channel against the fake Google server under test/fakes (scripts/lib/e2e-gmail.js);
//  7. Custom SMTP Failed Deliveries and the trigger against a real Postfix + Dovecot
//     (scripts/lib/e2e-mailsystem.js);
//  8. the On Error settings (error output, stop) and a wrong password (scripts/lib/e2e-onerror.js);
//  9. the seeded-secret check: every secret of every credential above is a marker made for this run;
//     none may appear in what n8n printed, stored or wrote (scripts/lib/e2e-secrets.js).
// Every n8n command runs at log level debug, so its log lines are part of the check.
// Usage: npm run test:e2e            (KEEP_TMP=1 keeps the temporary folders;
//        E2E_ONLY="On Error,secret" runs only the parts whose names contain one of these words, while
//        working on them: the custom-extension part always runs, the others need it)

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { run, tail } = require('./lib/proc');
const { startMailCatcher, formatAddress } = require('./lib/mail-catcher');
const n8nLib = require('./lib/n8n');
const gmail = require('./lib/e2e-gmail');
const msc = require('./lib/e2e-msc');
const { runMailSystemE2E, MAILSYSTEM_CHECKS } = require('./lib/e2e-mailsystem');
const onError = require('./lib/e2e-onerror');
const seeded = require('./lib/e2e-secrets');
const { SecretSet } = require('./lib/secret-scan');

const { REPO_ROOT, N8n, NODE_TYPE_CUSTOM, NODE_TYPE_PACKAGE, PACKAGE_NAME, nodeItems, nodeRuns, runError } = n8nLib;
const FIXTURES = path.join(REPO_ROOT, 'test', 'e2e');
const LOG_LEVEL = 'debug';
const secrets = new SecretSet();
const SMTP_AUTH = { user: 'e2e-user', pass: secrets.marker('Custom SMTP password (local SMTP server)') };
const WRONG_SMTP_PASSWORD = secrets.marker('Custom SMTP password that the server refuses');
const DECOY = secrets.decoy('decoy in a lead field (scanner self-check)');
const IDENTITY = 'Jane Doe <jane@example.com>';
const EMAIL_NODE = 'Delivery Channel';

const results = [];
function record(name, failures, details = []) {
	const ok = failures.length === 0;
	results.push({ name, ok });
	console.log(`${ok ? 'PASS' : 'FAIL'} ${name}`);
	for (const d of details) console.log(`     ${d}`);
	for (const f of failures) console.log(`     - ${f}`);
}

function readFixture(name) {
	return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
}

function credentialsFor(catcher) {
	const creds = readFixture('credentials.json');
	for (const c of creds) {
		c.data.host = catcher.host;
		c.data.port = catcher.port;
		c.data.password = SMTP_AUTH.pass;
	}
	return creds;
}

function withNodeType(workflow, type) {
	const wf = JSON.parse(JSON.stringify(workflow));
	for (const n of wf.nodes) if (n.name === EMAIL_NODE) n.type = type;
	return wf;
}

const bareId = (id) => String(id || '').trim().replace(/^<|>$/g, '');
const sameSet = (a, b) => JSON.stringify([...a].map((s) => s.toLowerCase()).sort()) === JSON.stringify([...b].map((s) => s.toLowerCase()).sort());

/** Checks one "sent" output item against the message the SMTP server received for it. */
function checkSent(item, index, expected, received, failures) {
	const j = item.json || {};
	const tag = `item ${index}`;
	if (j.status !== 'sent') failures.push(`${tag}: status is ${JSON.stringify(j.status)}, expected "sent"${j.error ? ` (error: ${JSON.stringify(j.error)})` : ''}`);
	if (!j.messageId) failures.push(`${tag}: no messageId in the output`);
	const paired = Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem;
	if (!paired || paired.item !== index) failures.push(`${tag}: pairedItem is ${JSON.stringify(item.pairedItem)}, expected {"item":${index}}`);
	if (j.channel !== undefined && j.channel !== 'smtp') failures.push(`${tag}: channel is ${JSON.stringify(j.channel)}, expected "smtp"`);
	if (Array.isArray(j.accepted)) {
		for (const rcpt of expected.envelopeTo) {
			if (!j.accepted.map((a) => String(a).toLowerCase()).includes(rcpt)) failures.push(`${tag}: accepted ${JSON.stringify(j.accepted)} lacks ${rcpt}`);
		}
	} else failures.push(`${tag}: output has no accepted[] list`);
	if (Array.isArray(j.rejected) && j.rejected.length) failures.push(`${tag}: rejected is ${JSON.stringify(j.rejected)}`);

	const matches = received.filter((m) => bareId(m.messageId) === bareId(j.messageId) && j.messageId);
	if (matches.length !== 1) {
		failures.push(`${tag}: ${matches.length} received messages carry the output's Message-ID ${j.messageId}`);
		return;
	}
	const m = matches[0];
	if (m.subject !== expected.subject) failures.push(`${tag}: received subject ${JSON.stringify(m.subject)}, expected ${JSON.stringify(expected.subject)}`);
	if (formatAddress(m.from) !== expected.from) failures.push(`${tag}: received From ${JSON.stringify(formatAddress(m.from))}, expected ${JSON.stringify(expected.from)}`);
	const headerTo = m.to.map((a) => a.address);
	if (!sameSet(headerTo, expected.headerTo)) failures.push(`${tag}: To header ${JSON.stringify(headerTo)}, expected ${JSON.stringify(expected.headerTo)}`);
	if (!sameSet(m.envelope.to, expected.envelopeTo)) failures.push(`${tag}: envelope recipients ${JSON.stringify(m.envelope.to)}, expected ${JSON.stringify(expected.envelopeTo)}`);
	if (expected.bodyIncludes && !(m.text || '').includes(expected.bodyIncludes)) failures.push(`${tag}: text body lacks ${JSON.stringify(expected.bodyIncludes)}`);
	if (expected.htmlIncludes && !(m.html || '').includes(expected.htmlIncludes)) failures.push(`${tag}: HTML body lacks ${JSON.stringify(expected.htmlIncludes)}`);
	if (expected.replyTo && !(m.replyTo || []).some((a) => a.address === expected.replyTo)) failures.push(`${tag}: Reply-To is ${JSON.stringify((m.replyTo || []).map(formatAddress))}, expected ${expected.replyTo}`);
	if (m.headers.bcc) failures.push(`${tag}: a Bcc header leaked into the message: ${m.headers.bcc}`);
	if (m.authUser !== SMTP_AUTH.user) failures.push(`${tag}: SMTP AUTH user was ${JSON.stringify(m.authUser)}, expected ${SMTP_AUTH.user}`);
}

/** Waits until the catcher has `count` messages (or timeout), then a little longer to catch extras. */
async function settle(catcher, count, timeoutMs = 5000) {
	await catcher.waitFor(count, timeoutMs).catch(() => undefined);
	await new Promise((r) => setTimeout(r, 300));
	return catcher.messages.slice();
}

async function testCustomExtension(paths, catcher, tmp, dist) {
	const userFolder = path.join(tmp, 'custom-extensions');
	fs.mkdirSync(userFolder);
	const n8n = await N8n.create(paths, {
		userFolder,
		encryptionKey: crypto.randomBytes(24).toString('hex'),
		customExtensions: dist,
		logLevel: LOG_LEVEL,
	});
	const sendWf = withNodeType(readFixture('send.workflow.json'), NODE_TYPE_CUSTOM);
	const contWf = withNodeType(readFixture('continue-on-fail.workflow.json'), NODE_TYPE_CUSTOM);
	let t = Date.now();
	await n8n.importCredentials(credentialsFor(catcher));
	await n8n.importWorkflow([sendWf, contWf]);
	console.log(`     (n8n ${paths.version}: user folder prepared, credentials and workflows imported in ${((Date.now() - t) / 1000).toFixed(1)} s)`);

	// --- 1 + 2: three emails -------------------------------------------------------------------
	catcher.clear();
	t = Date.now();
	const { run: sendRun, exitCode } = await n8n.execute(sendWf.id);
	const sendSecs = ((Date.now() - t) / 1000).toFixed(1);
	const received = await settle(catcher, 3);
	const items = nodeItems(sendRun, EMAIL_NODE);
	const recipients = [
		{ email: 'alice@example.net', subject: 'E2E hello Alice', name: 'Alice' },
		{ email: 'bob@example.net', subject: 'E2E hello Bob', name: 'Bob' },
		{ email: 'carol@example.net', subject: 'E2E hello Carol', name: 'Carol' },
	];
	const f1 = [];
	if (runError(sendRun)) f1.push(`execution failed: ${runError(sendRun)}`);
	if (exitCode !== 0) f1.push(`n8n execute exited with ${exitCode}`);
	if (sendRun.status !== 'success') f1.push(`execution status ${sendRun.status}`);
	if (items.length !== 3) f1.push(`the node output ${items.length} items, expected 3`);
	const f2 = [];
	if (received.length !== 3) f2.push(`the SMTP server received ${received.length} messages, expected exactly 3`);
	items.forEach((item, i) => {
		const exp = recipients[i];
		if (!exp) return;
		const itemFailures = [];
		checkSent(item, i, {
			subject: exp.subject,
			from: IDENTITY,
			headerTo: [exp.email],
			envelopeTo: [exp.email, 'audit@example.com'],
			bodyIncludes: `Hi ${exp.name},`,
			replyTo: 'sales@example.com',
		}, received, itemFailures);
		// output-shape problems belong to check 1, what the server saw to check 2
		for (const f of itemFailures) (/received|header|envelope|body|Reply-To|Bcc|AUTH|Message-ID/.test(f) ? f2 : f1).push(f);
	});
	const first = items[0] && items[0].json;
	const nodeRun = nodeRuns(sendRun, EMAIL_NODE)[0];
	record(`custom extension (${NODE_TYPE_CUSTOM}): node output for 3 items`, f1, [
		`n8n execute took ${sendSecs} s; node executionTime ${nodeRun ? nodeRun.executionTime : '?'} ms`,
		first ? `first item: status=${first.status} messageId=${first.messageId} accepted=${JSON.stringify(first.accepted)} identity=${JSON.stringify(first.identity)}` : 'no output item',
	]);
	record('SMTP server received exactly the 3 expected messages (recipients incl. Bcc, subject, From, Reply-To, Message-ID)', f2, [
		`received: ${received.map((m) => `${m.envelope.to.join('+')} "${m.subject}"`).join('; ') || 'nothing'}`,
	]);

	// --- 3: On Error = Continue (regular output) --------------------------------------------------
	catcher.clear();
	const { run: contRun } = await n8n.execute(contWf.id);
	const received3 = await settle(catcher, 2);
	const items3 = nodeItems(contRun, EMAIL_NODE);
	const f3 = [];
	if (runError(contRun)) f3.push(`execution failed although the node continues on fail: ${runError(contRun)}`);
	if (items3.length !== 4) f3.push(`the node output ${items3.length} items, expected 4`);
	const contOutputs = ((nodeRuns(contRun, EMAIL_NODE)[0] || {}).data || {}).main || [];
	if (contOutputs.length !== 1) f3.push(`the node has ${contOutputs.length} outputs in the run, expected 1`);
	const after = nodeItems(contRun, 'After Send');
	if (after.length !== 4) f3.push(`"After Send" (the only output) got ${after.length} items, expected all 4`);
	const good = [
		[0, 'dave@example.net', 'E2E continue 1'],
		[2, 'erin@example.net', 'E2E continue 3'],
	];
	for (const [i, email, subject] of good) {
		if (items3[i]) checkSent(items3[i], i, { subject, from: IDENTITY, headerTo: [email], envelopeTo: [email] }, received3, f3);
	}
	const failedFlat = [
		[1, 'EINPUT', 'malformed address'],
		[3, 'EENVELOPE', 'refused recipient'],
	];
	const descs = [];
	for (const [i, code, what] of failedFlat) {
		const bad = items3[i] && items3[i].json;
		if (!bad) continue;
		descs.push(JSON.stringify(bad).slice(0, 300));
		if (!bad.error || bad.status !== 'failed' || bad.code !== code) f3.push(`item ${i} (${what}) is not a flat error item with status "failed" and code ${code}: ${JSON.stringify(bad).slice(0, 300)}`);
		if ('details' in bad) f3.push(`item ${i} (${what}) is in the error-output shape although the node has one output`);
		const p = Array.isArray(items3[i].pairedItem) ? items3[i].pairedItem[0] : items3[i].pairedItem;
		if (!p || p.item !== i) f3.push(`item ${i}: pairedItem is ${JSON.stringify(items3[i].pairedItem)}, expected {"item":${i}}`);
	}
	if (received3.length !== 2) f3.push(`the SMTP server received ${received3.length} messages, expected exactly 2`);
	if (received3.some((m) => m.envelope.to.some((a) => /not an address/.test(a)) || m.subject === 'E2E continue 2 (bad)')) {
		f3.push('the malformed item was sent anyway');
	}
	record('On Error = Continue (regular output): malformed and refused address -> flat error items on the one output, the other 2 items still sent', f3, descs.map((d) => `error item: ${d}`));
	return n8n;
}

async function testCommunityPackage(paths, catcher, tmp, packageRoot) {
	const f = [];
	const details = [];
	const userFolder = path.join(tmp, 'community-package');
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	fs.mkdirSync(nodesDir, { recursive: true });

	// npm pack of the run's copy of the build (--ignore-scripts: prepack would build again)
	const packDir = path.join(tmp, 'pack');
	fs.mkdirSync(packDir);
	const pack = await run('npm', ['pack', '--json', '--ignore-scripts', `--pack-destination=${packDir}`], { cwd: packageRoot, timeoutMs: 120000 });
	if (pack.code !== 0) throw new Error(`npm pack failed:\n${tail(pack.stderr)}`);
	const packInfo = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')))[0];
	const tgz = path.join(packDir, packInfo.filename);
	details.push(`packed ${packInfo.filename}: ${packInfo.entryCount} files, ${(packInfo.size / 1024).toFixed(0)} KiB`);

	// what n8n does for a community package: npm install into <n8n folder>/nodes
	fs.writeFileSync(path.join(nodesDir, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2));
	const t = Date.now();
	const inst = await run(
		'npm',
		['install', tgz, '--ignore-scripts', '--omit=peer', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'],
		{ cwd: nodesDir, timeoutMs: 5 * 60 * 1000 },
	);
	if (inst.code !== 0) throw new Error(`npm install of the tarball failed:\n${tail(inst.stderr)}`);
	details.push(`npm install <tgz> into .n8n/nodes took ${((Date.now() - t) / 1000).toFixed(1)} s`);
	const nm = path.join(nodesDir, 'node_modules');
	for (const forbidden of ['n8n-workflow', 'n8n-core']) {
		if (fs.existsSync(path.join(nm, forbidden))) f.push(`${forbidden} was installed inside .n8n/nodes/node_modules (must come from n8n itself)`);
	}
	if (!fs.existsSync(path.join(nm, PACKAGE_NAME, 'dist', 'nodes', 'DeliveryChannel', 'DeliveryChannel.node.js'))) f.push('the installed package lacks dist/nodes/DeliveryChannel/DeliveryChannel.node.js');

	const n8n = await N8n.create(paths, { userFolder, encryptionKey: crypto.randomBytes(24).toString('hex'), logLevel: LOG_LEVEL });
	if ('N8N_CUSTOM_EXTENSIONS' in n8n.env) throw new Error('internal: N8N_CUSTOM_EXTENSIONS must not be set for the package test');
	const wf = readFixture('package.workflow.json');
	if (wf.nodes.find((n) => n.name === EMAIL_NODE).type !== NODE_TYPE_PACKAGE) throw new Error(`package.workflow.json must use ${NODE_TYPE_PACKAGE}`);
	await n8n.importCredentials(credentialsFor(catcher));
	await n8n.importWorkflow(wf);
	catcher.clear();
	const { run: pkgRun, raw } = await n8n.execute(wf.id);
	const received = await settle(catcher, 1);
	const items = nodeItems(pkgRun, EMAIL_NODE);
	if (runError(pkgRun)) f.push(`execution failed: ${runError(pkgRun)}`);
	if (/Unrecognized node type/i.test(raw.stdout + raw.stderr)) f.push('n8n did not recognise the node type (package not loaded)');
	if (items.length !== 1) f.push(`the node output ${items.length} items, expected 1`);
	if (received.length !== 1) f.push(`the SMTP server received ${received.length} messages, expected exactly 1`);
	if (items[0]) {
		checkSent(items[0], 0, {
			subject: 'E2E community package install',
			from: IDENTITY,
			headerTo: ['frank@example.net'],
			envelopeTo: ['frank@example.net'],
			bodyIncludes: 'Sent by the node installed under ~/.n8n/nodes.',
			htmlIncludes: '<code>~/.n8n/nodes</code>',
		}, received, f);
	}
	record(`community package (${NODE_TYPE_PACKAGE}) installed from npm pack into .n8n/nodes, no N8N_CUSTOM_EXTENSIONS`, f, details);
}

async function main() {
	const t0 = Date.now();
	console.log('Delivery Channel end-to-end test');
	let paths;
	let pkg;
	const tmp = n8nLib.makeTempDir('delivery-channel-e2e-');
	try {
		paths = await n8nLib.installN8n();
		console.log(`     n8n ${paths.version} at ${paths.dir}`);
		pkg = await n8nLib.buildSnapshot(path.join(tmp, 'package'));
		console.log(`     npm run build: ok (the run uses its copy in ${pkg.root})`);
	} catch (err) {
		console.log(`FAIL setup: ${err.message}`);
		console.log('0 passed, 1 failed');
		process.exit(1);
	}
	const catcherMessages = [];
	const catcher = await startMailCatcher({ auth: SMTP_AUTH, refuse: [onError.REFUSED], onMessage: (m) => catcherMessages.push(m) });
	console.log(`     local SMTP server on ${catcher.host}:${catcher.port}`);

	let customN8n;
	const suites = [
		['custom extension', 3, async () => (customN8n = await testCustomExtension(paths, catcher, tmp, pkg.dist))],
		[
			'On Error (Custom SMTP)',
			onError.CHECKS,
			async () => {
				if (!customN8n) throw new Error('the custom-extension n8n did not start');
				const smtpCredential = credentialsFor(catcher)[0].data;
				await onError.run({ n8n: customN8n, catcher, record, smtpCredential, wrongPassword: WRONG_SMTP_PASSWORD, decoy: DECOY });
			},
		],
		['community package', 1, () => testCommunityPackage(paths, catcher, tmp, pkg.root)],
		['MSC channel', msc.CHECKS, () => msc.run({ paths, tmp, record, secrets, logLevel: LOG_LEVEL, dist: pkg.dist })],
		[
			'Gmail channel',
			gmail.CHECKS,
			async () => {
				if (!customN8n) throw new Error('the custom-extension n8n did not start');
				for (const check of await gmail.run({ n8n: customN8n, log: console.log, secrets })) record(check.name, check.failures, check.details);
			},
		],
		['Custom SMTP mailbox (Postfix + Dovecot)', MAILSYSTEM_CHECKS, () => runMailSystemE2E({ paths, tmp, record, secrets, logLevel: LOG_LEVEL, customExtensions: pkg.dist })],
		[
			'seeded-secret check',
			seeded.CHECKS,
			() => seeded.run({ secrets, tmp, since: t0, record, received: () => catcherMessages.map((m) => ({ where: `message received by the local SMTP server: ${m.subject}`, text: m.raw })) }),
		],
	];
	const only = (process.env.E2E_ONLY || '').split(',').map((w) => w.trim().toLowerCase()).filter(Boolean);
	const chosen = suites.filter(([name], i) => i === 0 || !only.length || only.some((w) => name.toLowerCase().includes(w)));
	if (chosen.length < suites.length) console.log(`     E2E_ONLY: running ${chosen.map(([name]) => name).join(', ')}`);
	const expected = chosen.reduce((sum, [, checks]) => sum + checks, 0);
	for (const [name, checks, fn] of chosen) {
		const before = results.length;
		try {
			await fn();
		} catch (err) {
			const missing = checks - (results.length - before);
			for (let i = 0; i < missing; i++) record(`${name}: could not complete`, [String(err && err.message ? err.message : err)]);
		}
	}
	await catcher.close();
	const passed = results.filter((r) => r.ok).length;
	const failed = results.length - passed + Math.max(0, expected - results.length);
	console.log(`     total time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	console.log(`${passed} passed, ${failed} failed`);
	process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
	console.log(`FAIL unexpected error: ${err && err.stack ? err.stack : err}`);
	console.log('0 passed, 1 failed');
	process.exit(1);
});
