'use strict';
// The node's On Error settings in a real n8n, on the Custom SMTP channel, as users set them in the
// editor (the node's `onError` in the workflow JSON), against the e2e mail catcher, which refuses
// refused@example.net at RCPT TO:
//  1. Continue (using error output): the sent and the partial lead leave on output 0 and reach the
//     node connected there; the bad-input lead and the refused one leave on output 1 and reach the
//     node connected there, as { error, details: { status, code, field, ... } } with the lead's own
//     fields (crmId) merged back by n8n;
//  2. Stop Workflow, one bad input among three: the execution fails with a node error naming the item,
//     and the SMTP server received nothing;
//  3. Stop Workflow, the server refuses the second lead: the node error names every item the server
//     received, by Message-ID without angle brackets;
//  4. a wrong SMTP password: an EAUTH item under Continue (regular output), then a node error under
//     Stop, and nothing sent. (The seeded-secret check reads both for the password.)
// Continue (regular output) is check 3 of scripts/e2e.js (continue-on-fail.workflow.json).
//
//   const onError = require('./lib/e2e-onerror');
//   await onError.run({ n8n, catcher, record, smtpCredential, wrongPassword, decoy });

const fs = require('node:fs');
const path = require('node:path');
const n8nLib = require('./n8n');

const { REPO_ROOT, nodeItems, nodeRuns, runError } = n8nLib;
const FIXTURES = path.join(REPO_ROOT, 'test', 'e2e');
const REFUSED = 'refused@example.net';
const WRONG_PASSWORD_CREDENTIAL = { id: 'dcE2eSmtpCred002', name: 'E2E local SMTP, wrong password' };
const CHECKS = 4;

function readFixture(name) {
	return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
}

const bareId = (id) => String(id || '').trim().replace(/^<|>$/g, '');
const pairedIndex = (item) => {
	const paired = Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem;
	return paired ? paired.item : undefined;
};
const short = (value) => JSON.stringify(value).slice(0, 240);

async function settle(catcher, count, timeoutMs = 3000) {
	await catcher.waitFor(count, timeoutMs).catch(() => undefined);
	await new Promise((r) => setTimeout(r, 300));
	return catcher.messages.slice();
}

/** The node error of a failed execution: { message, description, node }. */
function nodeError(run) {
	const e = run && run.data && run.data.resultData.error;
	return e ? { message: String(e.message || ''), description: String(e.description || ''), node: e.node && e.node.name } : null;
}

function checkErrorOutput(run, received, decoy) {
	const f = [];
	if (runError(run)) f.push(`execution failed: ${runError(run)}`);
	const main = (nodeRuns(run, 'Delivery Channel')[0] || {}).data;
	const outputs = main && main.main ? main.main.length : 0;
	if (outputs !== 2) f.push(`the node has ${outputs} outputs in the run, expected 2 (success and error)`);
	const success = nodeItems(run, 'Delivery Channel', 0);
	const errors = nodeItems(run, 'Delivery Channel', 1);
	const contacted = nodeItems(run, 'Mark Contacted');
	const failed = nodeItems(run, 'Update CRM Failure');

	// Output 0: lead 0 sent, lead 3 partial (one of its two recipients refused).
	const successIndexes = success.map(pairedIndex);
	if (JSON.stringify(successIndexes) !== '[0,3]') f.push(`output 0 holds items of leads ${JSON.stringify(successIndexes)}, expected [0,3]`);
	if (contacted.length !== success.length || contacted.length !== 2) f.push(`"Mark Contacted" (on output 0) got ${contacted.length} items, expected 2`);
	const sent = success.find((item) => pairedIndex(item) === 0);
	const partial = success.find((item) => pairedIndex(item) === 3);
	if (sent && sent.json.status !== 'sent') f.push(`lead 0 on output 0: status ${JSON.stringify(sent.json.status)}, expected "sent"`);
	if (partial) {
		if (partial.json.status !== 'partial') f.push(`lead 3 on output 0: status ${JSON.stringify(partial.json.status)}, expected "partial"`);
		if (!(partial.json.rejected || []).some((r) => String(r.address || r).toLowerCase() === REFUSED)) f.push(`lead 3: rejected ${short(partial.json.rejected)} lacks ${REFUSED}`);
	}

	// Output 1: lead 1 (bad input) and lead 2 (refused), in n8n's error-output shape with the lead merged back.
	const errorIndexes = errors.map(pairedIndex);
	if (JSON.stringify(errorIndexes) !== '[1,2]') f.push(`output 1 holds items of leads ${JSON.stringify(errorIndexes)}, expected [1,2]`);
	if (failed.length !== errors.length || failed.length !== 2) f.push(`"Update CRM Failure" (on output 1) got ${failed.length} items, expected 2`);
	const expected = [
		{ crmId: 'CRM-102', email: 'gina at example dot net', status: 'failed', code: 'EINPUT', field: 'to', errorIncludes: 'gina at example dot net' },
		{ crmId: 'CRM-103', email: REFUSED, status: 'failed', code: 'EENVELOPE', recipients: [REFUSED], responseCode: 550, errorIncludes: REFUSED },
	];
	for (const exp of expected) {
		const item = failed.find((entry) => entry.json.crmId === exp.crmId);
		if (!item) {
			f.push(`no item with crmId ${exp.crmId} reached "Update CRM Failure": the lead's fields were not merged back (items: ${short(failed.map((entry) => entry.json))})`);
			continue;
		}
		const j = item.json;
		const d = j.details || {};
		const tag = `error item ${exp.crmId}`;
		if (typeof j.error !== 'string' || !j.error.includes(exp.errorIncludes)) f.push(`${tag}: error ${short(j.error)} does not name ${exp.errorIncludes}`);
		if (j.email !== exp.email) f.push(`${tag}: the lead's email field is ${short(j.email)}, expected it merged back`);
		if (d.status !== exp.status) f.push(`${tag}: details.status ${short(d.status)}, expected ${exp.status}`);
		if (d.code !== exp.code) f.push(`${tag}: details.code ${short(d.code)}, expected ${exp.code}`);
		if (d.channel !== 'smtp') f.push(`${tag}: details.channel ${short(d.channel)}`);
		if (typeof d.retryable !== 'boolean') f.push(`${tag}: details.retryable missing`);
		if (exp.field && d.field !== exp.field) f.push(`${tag}: details.field ${short(d.field)}, expected ${exp.field}`);
		if (exp.recipients && JSON.stringify((d.recipients || []).map((r) => String(r).toLowerCase())) !== JSON.stringify(exp.recipients)) f.push(`${tag}: details.recipients ${short(d.recipients)}, expected ${short(exp.recipients)}`);
		if (exp.responseCode && d.responseCode !== exp.responseCode) f.push(`${tag}: details.responseCode ${short(d.responseCode)}, expected ${exp.responseCode}`);
		if (j.status !== undefined) f.push(`${tag}: a top-level status ${short(j.status)} (n8n would not have routed it to the error output)`);
	}
	const bad = failed.find((entry) => entry.json.crmId === 'CRM-102');
	if (bad && bad.json.note !== decoy) f.push('error item CRM-102: the lead\'s note field was not merged back');

	// The server: exactly the sent message and the partial one (to hank only).
	const subjects = received.map((m) => m.subject).sort();
	if (JSON.stringify(subjects) !== JSON.stringify(['E2E error output 1', 'E2E error output 4 (partial)'])) f.push(`the SMTP server received ${JSON.stringify(subjects)}, expected the messages of leads 0 and 3 only`);
	for (const item of [sent, partial]) {
		if (item && !received.some((m) => bareId(m.messageId) === bareId(item.json.messageId))) f.push(`lead ${pairedIndex(item)}: no received message carries its Message-ID ${item.json.messageId}`);
	}
	if (received.some((m) => m.envelope.to.includes(REFUSED))) f.push(`a message was delivered to ${REFUSED}`);
	return f;
}

async function run({ n8n, catcher, record, smtpCredential, wrongPassword, decoy }) {
	const errorOutputWf = readFixture('on-error-output.workflow.json');
	// The decoy rides in a lead's own field: the seeded-secret check must find it wherever n8n keeps run
	// data. The Code node joins it from two parts, so only run data holds it whole, not the workflow.
	const decoyCode = `${JSON.stringify(decoy.slice(0, 8))} + ${JSON.stringify(decoy.slice(8))}`;
	for (const node of errorOutputWf.nodes) if (node.parameters.jsCode) node.parameters.jsCode = node.parameters.jsCode.replace("'__SCANNER_DECOY__'", decoyCode);
	const [stopInputWf, stopSendingWf] = readFixture('on-error-stop.workflow.json');
	const wrongPasswordWf = readFixture('smtp-wrong-password.workflow.json');
	await n8n.importCredentials([{ ...WRONG_PASSWORD_CREDENTIAL, type: 'deliveryChannelSmtpApi', data: { ...smtpCredential, password: wrongPassword } }], 'wrong-password-credentials.json');
	await n8n.importWorkflow([errorOutputWf, stopInputWf, stopSendingWf, wrongPasswordWf], 'on-error-workflows.json');

	// --- 1: Continue (using error output) ------------------------------------------------------------
	catcher.clear();
	let t = Date.now();
	const { run: outRun } = await n8n.execute(errorOutputWf.id);
	const outSecs = ((Date.now() - t) / 1000).toFixed(1);
	const f1 = checkErrorOutput(outRun, await settle(catcher, 2), decoy);
	const firstError = nodeItems(outRun, 'Update CRM Failure')[0];
	record('On Error = Continue (using error output): sent + partial on output 0, bad input + refused on output 1 with details and the lead merged back', f1, [
		`n8n execute took ${outSecs} s`,
		firstError ? `error item: ${short(firstError.json)}` : 'no error item',
	]);

	// --- 2: Stop Workflow, one bad input -------------------------------------------------------------
	catcher.clear();
	const { run: stopRun, exitCode: stopExit } = await n8n.execute(stopInputWf.id);
	const received2 = await settle(catcher, 1, 1500);
	const f2 = [];
	const e2 = nodeError(stopRun);
	if (stopRun.status === 'success' || !e2) f2.push(`the execution did not fail (status ${stopRun.status})`);
	else {
		if (e2.node !== 'Delivery Channel') f2.push(`the error came from ${JSON.stringify(e2.node)}, expected the Delivery Channel node`);
		if (!e2.message.includes('[item 1]')) f2.push(`the node error does not name item 1: ${short(e2.message)}`);
		if (!e2.message.includes('ivy at example dot net')) f2.push(`the node error does not name the bad value: ${short(e2.message)}`);
		if (!/Nothing was sent/.test(e2.description)) f2.push(`the description does not say that nothing was sent: ${short(e2.description)}`);
	}
	if (nodeItems(stopRun, 'Delivery Channel').length) f2.push('the failed node still output items');
	if (received2.length) f2.push(`the SMTP server received ${received2.length} messages, expected none: ${received2.map((m) => m.subject).join(', ')}`);
	record('On Error = Stop Workflow: one bad input among three fails the execution naming item 1, nothing sent', f2, [
		`n8n execute exit code ${stopExit}; error: ${e2 ? short(e2.message) : 'none'}`,
	]);

	// --- 3: Stop Workflow, the server refuses a lead while sending ---------------------------------------
	catcher.clear();
	const { run: sendStopRun } = await n8n.execute(stopSendingWf.id);
	const received3 = await settle(catcher, 2);
	const f3 = [];
	const e3 = nodeError(sendStopRun);
	if (sendStopRun.status === 'success' || !e3) f3.push(`the execution did not fail (status ${sendStopRun.status})`);
	else {
		if (!e3.message.includes('[item 1]')) f3.push(`the node error does not name item 1: ${short(e3.message)}`);
		if (!received3.length) f3.push('the server received nothing: the test cannot show the sent items are named');
		for (const m of received3) {
			const id = bareId(m.messageId);
			const index = m.subject === 'E2E stop while sending 1' ? 0 : m.subject === 'E2E stop while sending 3' ? 2 : -1;
			if (!e3.description.includes(`item ${index} (Message-ID ${id})`)) f3.push(`the description does not name the sent item ${index} with its Message-ID ${id}: ${short(e3.description)}`);
			if (e3.description.includes(`<${id}>`)) f3.push('the description shows a Message-ID in angle brackets (n8n renders it as HTML: it vanishes)');
		}
		if (received3.length && !/do not send again/i.test(e3.description)) f3.push(`the description does not warn against sending again: ${short(e3.description)}`);
	}
	if (received3.some((m) => m.envelope.to.includes(REFUSED))) f3.push(`a message was delivered to ${REFUSED}`);
	record('On Error = Stop Workflow: a refused lead while sending fails the execution naming every item already sent by Message-ID', f3, [
		`received: ${received3.map((m) => m.subject).join('; ') || 'nothing'}`,
		e3 ? `description: ${short(e3.description)}` : 'no node error',
	]);

	// --- 4: a wrong SMTP password ------------------------------------------------------------------------
	catcher.clear();
	const { run: pwRun } = await n8n.execute(wrongPasswordWf.id);
	const received4 = await settle(catcher, 1, 1500);
	const f4 = [];
	const itemError = (nodeItems(pwRun, 'Wrong Password (Continue)')[0] || {}).json || {};
	if (itemError.status !== 'failed' || itemError.code !== 'EAUTH') f4.push(`under Continue (regular output) the item is ${short(itemError)}, expected status "failed" with code EAUTH`);
	if (!/login|auth|password/i.test(String(itemError.error || ''))) f4.push(`the item error does not say the login was refused: ${short(itemError.error)}`);
	const e4 = nodeError(pwRun);
	if (!e4) f4.push(`under Stop Workflow the execution did not fail (status ${pwRun.status})`);
	else {
		if (e4.node !== 'Wrong Password (Stop)') f4.push(`the error came from ${JSON.stringify(e4.node)}, expected "Wrong Password (Stop)"`);
		if (!/login|auth|password/i.test(e4.message)) f4.push(`the node error does not say the login was refused: ${short(e4.message)}`);
	}
	if (catcher.authFailures.length < 2) f4.push(`the SMTP server saw ${catcher.authFailures.length} failed logins, expected one per node`);
	if (received4.length) f4.push(`the SMTP server received ${received4.length} messages with a wrong password`);
	record('Custom SMTP with a wrong password: an EAUTH item under Continue, a node error under Stop, nothing sent', f4, [
		`item: ${short(itemError.error)}`,
		`node error: ${e4 ? short(`${e4.message} | ${e4.description}`) : 'none'}`,
	]);
}

module.exports = { run, CHECKS, REFUSED };
