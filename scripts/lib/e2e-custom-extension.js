'use strict';
// The custom-extension part of the real-n8n end-to-end test: the built package in
// N8N_CUSTOM_EXTENSIONS, the Custom SMTP channel against the local mail catcher:
//  1. three emails: the node's output for the 3 items;
//  2. what the SMTP server received (recipients incl. Bcc, subject, From, Reply-To, Message-ID);
//  3. On Error = Continue (regular output): a malformed and a refused address become flat error
//     items on the one output, the other two items are still sent.
// Its setup (setupCustomExtension) is the n8n the On Error part (scripts/lib/e2e-onerror.js) runs on too.

const { NODE_TYPE_CUSTOM, nodeItems, nodeRuns, runError } = require('./n8n');
const {
	EMAIL_NODE,
	createN8n,
	readFixture,
	withNodeType,
	pairedIndex,
	secs,
	settle,
} = require('./e2e-common');
const { IDENTITY, credentialsFor, checkSentItem, checkReceived } = require('./e2e-smtp');

/**
 * @typedef {import('./e2e-common').Check} Check
 * @typedef {import('./e2e-run').E2eRun} E2eRun
 * @typedef {import('./e2e-smtp').Smtp} Smtp
 */

/**
 * The shared setup of the custom-extension n8n: a user folder with the built package in
 * N8N_CUSTOM_EXTENSIONS, the SMTP credential and the send and continue-on-fail workflows imported.
 * @param {{ run: E2eRun, smtp: Smtp }} options
 */
async function setupCustomExtension({ run, smtp }) {
	const n8n = await createN8n(run, 'custom-extensions');
	const sendWf = withNodeType(readFixture('send.workflow.json'), NODE_TYPE_CUSTOM);
	const contWf = withNodeType(readFixture('continue-on-fail.workflow.json'), NODE_TYPE_CUSTOM);
	const t = Date.now();
	await n8n.importCredentials(credentialsFor(smtp));
	await n8n.importWorkflow([sendWf, contWf]);
	const note = `n8n ${run.n8n.version}: user folder prepared, credentials and workflows imported in ${secs(t)} s`;
	return { n8n, smtp, sendWf, contWf, note };
}
/** @typedef {Awaited<ReturnType<typeof setupCustomExtension>>} CustomExtension */

const THREE = [
	{ email: 'alice@example.net', subject: 'E2E hello Alice', name: 'Alice' },
	{ email: 'bob@example.net', subject: 'E2E hello Bob', name: 'Bob' },
	{ email: 'carol@example.net', subject: 'E2E hello Carol', name: 'Carol' },
];

/**
 * Executes the send workflow (three leads) and waits for the messages.
 * @param {CustomExtension} ext
 */
async function sendThree(ext) {
	ext.smtp.catcher.clear();
	const t = Date.now();
	const { run, exitCode } = await ext.n8n.execute(ext.sendWf.id);
	const took = secs(t);
	const received = await settle(ext.smtp.catcher, 3);
	return { run, exitCode, took, received, items: nodeItems(run, EMAIL_NODE) };
}
/** @typedef {Awaited<ReturnType<typeof sendThree>>} ThreeSent */

/**
 * Check 1: the node's output for the three items.
 * @param {ThreeSent} sent
 * @returns {Check}
 */
function checkThreeOutput({ run, exitCode, took, items }) {
	const f = [];
	if (runError(run)) f.push(`execution failed: ${runError(run)}`);
	if (exitCode !== 0) f.push(`n8n execute exited with ${exitCode}`);
	if (run.status !== 'success') f.push(`execution status ${run.status}`);
	if (items.length !== 3) f.push(`the node output ${items.length} items, expected 3`);
	items.forEach((item, i) => {
		if (THREE[i]) f.push(...checkSentItem(item, i, [THREE[i].email, 'audit@example.com']));
	});
	const first = items[0] && items[0].json;
	const nodeRun = nodeRuns(run, EMAIL_NODE)[0];
	const details = [
		`n8n execute took ${took} s; node executionTime ${nodeRun ? nodeRun.executionTime : '?'} ms`,
		first
			? `first item: status=${first.status} messageId=${first.messageId} accepted=${JSON.stringify(first.accepted)} ` +
				`identity=${JSON.stringify(first.identity)}`
			: 'no output item',
	];
	return { failures: f, details };
}

/**
 * Check 2: the SMTP server received exactly the three messages.
 * @param {ThreeSent} sent
 * @returns {Check}
 */
function checkThreeReceived({ received, items }) {
	const f = [];
	if (received.length !== 3)
		f.push(`the SMTP server received ${received.length} messages, expected exactly 3`);
	items.forEach((item, i) => {
		const exp = THREE[i];
		if (!exp) return;
		const expected = {
			subject: exp.subject,
			from: IDENTITY,
			headerTo: [exp.email],
			envelopeTo: [exp.email, 'audit@example.com'],
			bodyIncludes: `Hi ${exp.name},`,
			replyTo: 'sales@example.com',
		};
		f.push(...checkReceived(item, i, expected, received));
	});
	const list = received.map((m) => `${m.envelope.to.join('+')} "${m.subject}"`).join('; ');
	return { failures: f, details: [`received: ${list || 'nothing'}`] };
}

/**
 * Check 3: On Error = Continue (regular output): a malformed and a refused address become flat error
 * items on the one output, the other two items are still sent.
 * @param {CustomExtension} ext
 * @returns {Promise<Check>}
 */
async function checkContinueRegularOutput(ext) {
	ext.smtp.catcher.clear();
	const { run } = await ext.n8n.execute(ext.contWf.id);
	const received = await settle(ext.smtp.catcher, 2);
	const items = nodeItems(run, EMAIL_NODE);
	const f = [];
	if (runError(run))
		f.push(`execution failed although the node continues on fail: ${runError(run)}`);
	if (items.length !== 4) f.push(`the node output ${items.length} items, expected 4`);
	const outputs = ((nodeRuns(run, EMAIL_NODE)[0] || {}).data || {}).main || [];
	if (outputs.length !== 1) f.push(`the node has ${outputs.length} outputs in the run, expected 1`);
	const after = nodeItems(run, 'After Send');
	if (after.length !== 4)
		f.push(`"After Send" (the only output) got ${after.length} items, expected all 4`);
	const good = /** @type {const} */ ([
		[0, 'dave@example.net', 'E2E continue 1'],
		[2, 'erin@example.net', 'E2E continue 3'],
	]);
	for (const [i, email, subject] of good) {
		if (!items[i]) continue;
		f.push(...checkSentItem(items[i], i, [email]));
		f.push(
			...checkReceived(
				items[i],
				i,
				{ subject, from: IDENTITY, headerTo: [email], envelopeTo: [email] },
				received,
			),
		);
	}
	const failedFlat = /** @type {const} */ ([
		[1, 'EINPUT', 'malformed address'],
		[3, 'EENVELOPE', 'refused recipient'],
	]);
	const details = [];
	for (const [i, code, what] of failedFlat) {
		const bad = items[i] && items[i].json;
		if (!bad) continue;
		const shown = JSON.stringify(bad).slice(0, 300);
		details.push(`error item: ${shown}`);
		if (!bad.error || bad.status !== 'failed' || bad.code !== code) {
			f.push(
				`item ${i} (${what}) is not a flat error item with status "failed" and code ${code}: ${shown}`,
			);
		}
		if ('details' in bad)
			f.push(`item ${i} (${what}) is in the error-output shape although the node has one output`);
		if (pairedIndex(items[i]) !== i)
			f.push(
				`item ${i}: pairedItem is ${JSON.stringify(items[i].pairedItem)}, expected {"item":${i}}`,
			);
	}
	if (received.length !== 2)
		f.push(`the SMTP server received ${received.length} messages, expected exactly 2`);
	const badSent = received.some(
		(m) =>
			m.envelope.to.some((/** @type {string} */ a) => /not an address/.test(a)) ||
			m.subject === 'E2E continue 2 (bad)',
	);
	if (badSent) f.push('the malformed item was sent anyway');
	return { failures: f, details };
}

module.exports = {
	setupCustomExtension,
	sendThree,
	checkThreeOutput,
	checkThreeReceived,
	checkContinueRegularOutput,
};
