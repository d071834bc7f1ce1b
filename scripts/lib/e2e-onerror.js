'use strict';
// The node's On Error settings in a real n8n, on the Custom SMTP channel, as users set them in the
// editor (the node's `onError` in the workflow JSON), against the e2e mail catcher, which refuses
// refused@example.net at RCPT TO; on the custom-extension n8n of scripts/lib/e2e-smtp.js:
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
// Continue (regular output) is the third check of scripts/lib/e2e-smtp.js (continue-on-fail.workflow.json).
// A lead of check 1 carries the decoy of the seeded-secret check's self-check in a field of its own.

const { readFixture, bareId, pairedIndex, short, settle, nodeError } = require('./e2e-common');
const { REFUSED, credentialsFor } = require('./e2e-smtp');
const { nodeItems, nodeRuns, runError } = require('./n8n');

const WRONG_PASSWORD_CREDENTIAL = {
	id: 'dcE2eSmtpCred002',
	name: 'E2E local SMTP, wrong password',
};

/**
 * @typedef {import('./e2e-common').Check} Check
 * @typedef {import('./n8n-run-data').N8nRun} N8nRun
 * @typedef {import('./e2e-custom-extension').CustomExtension} CustomExtension
 */

/**
 * @param {N8nRun} run
 * @param {any[]} received
 * @param {string} decoy
 * @returns {string[]}
 */
function checkErrorOutput(run, received, decoy) {
	const f = [];
	if (runError(run)) f.push(`execution failed: ${runError(run)}`);
	const main = (nodeRuns(run, 'Delivery Channel')[0] || {}).data;
	const outputs = main && main.main ? main.main.length : 0;
	if (outputs !== 2)
		f.push(`the node has ${outputs} outputs in the run, expected 2 (success and error)`);
	const success = nodeItems(run, 'Delivery Channel', 0);
	const errors = nodeItems(run, 'Delivery Channel', 1);
	const contacted = nodeItems(run, 'Mark Contacted');
	const failed = nodeItems(run, 'Update CRM Failure');

	// Output 0: lead 0 sent, lead 3 partial (one of its two recipients refused).
	const successIndexes = success.map(pairedIndex);
	if (JSON.stringify(successIndexes) !== '[0,3]')
		f.push(`output 0 holds items of leads ${JSON.stringify(successIndexes)}, expected [0,3]`);
	if (contacted.length !== success.length || contacted.length !== 2)
		f.push(`"Mark Contacted" (on output 0) got ${contacted.length} items, expected 2`);
	const sent = success.find((item) => pairedIndex(item) === 0);
	const partial = success.find((item) => pairedIndex(item) === 3);
	if (sent && sent.json.status !== 'sent')
		f.push(`lead 0 on output 0: status ${JSON.stringify(sent.json.status)}, expected "sent"`);
	if (partial) {
		if (partial.json.status !== 'partial')
			f.push(
				`lead 3 on output 0: status ${JSON.stringify(partial.json.status)}, expected "partial"`,
			);
		if (
			!(partial.json.rejected || []).some((r) => String(r.address || r).toLowerCase() === REFUSED)
		)
			f.push(`lead 3: rejected ${short(partial.json.rejected)} lacks ${REFUSED}`);
	}

	// Output 1: lead 1 (bad input) and lead 2 (refused), in n8n's error-output shape with the lead merged back.
	const errorIndexes = errors.map(pairedIndex);
	if (JSON.stringify(errorIndexes) !== '[1,2]')
		f.push(`output 1 holds items of leads ${JSON.stringify(errorIndexes)}, expected [1,2]`);
	if (failed.length !== errors.length || failed.length !== 2)
		f.push(`"Update CRM Failure" (on output 1) got ${failed.length} items, expected 2`);
	const expected = [
		{
			crmId: 'CRM-102',
			email: 'gina at example dot net',
			status: 'failed',
			code: 'EINPUT',
			field: 'to',
			errorIncludes: 'gina at example dot net',
		},
		{
			crmId: 'CRM-103',
			email: REFUSED,
			status: 'failed',
			code: 'EENVELOPE',
			recipients: [REFUSED],
			responseCode: 550,
			errorIncludes: REFUSED,
		},
	];
	for (const exp of expected) {
		const item = failed.find((entry) => entry.json.crmId === exp.crmId);
		if (!item) {
			f.push(
				`no item with crmId ${exp.crmId} reached "Update CRM Failure": the lead's fields were not merged back ` +
					`(items: ${short(failed.map((entry) => entry.json))})`,
			);
			continue;
		}
		const j = item.json;
		const d = j.details || {};
		const tag = `error item ${exp.crmId}`;
		if (typeof j.error !== 'string' || !j.error.includes(exp.errorIncludes))
			f.push(`${tag}: error ${short(j.error)} does not name ${exp.errorIncludes}`);
		if (j.email !== exp.email)
			f.push(`${tag}: the lead's email field is ${short(j.email)}, expected it merged back`);
		if (d.status !== exp.status)
			f.push(`${tag}: details.status ${short(d.status)}, expected ${exp.status}`);
		if (d.code !== exp.code) f.push(`${tag}: details.code ${short(d.code)}, expected ${exp.code}`);
		if (d.channel !== 'smtp') f.push(`${tag}: details.channel ${short(d.channel)}`);
		if (typeof d.retryable !== 'boolean') f.push(`${tag}: details.retryable missing`);
		if (exp.field && d.field !== exp.field)
			f.push(`${tag}: details.field ${short(d.field)}, expected ${exp.field}`);
		if (
			exp.recipients &&
			JSON.stringify((d.recipients || []).map((r) => String(r).toLowerCase())) !==
				JSON.stringify(exp.recipients)
		)
			f.push(
				`${tag}: details.recipients ${short(d.recipients)}, expected ${short(exp.recipients)}`,
			);
		if (exp.responseCode && d.responseCode !== exp.responseCode)
			f.push(`${tag}: details.responseCode ${short(d.responseCode)}, expected ${exp.responseCode}`);
		if (j.status !== undefined)
			f.push(
				`${tag}: a top-level status ${short(j.status)} (n8n would not have routed it to the error output)`,
			);
	}
	const bad = failed.find((entry) => entry.json.crmId === 'CRM-102');
	if (bad && bad.json.note !== decoy)
		f.push("error item CRM-102: the lead's note field was not merged back");

	// The server: exactly the sent message and the partial one (to hank only).
	const subjects = received.map((m) => m.subject).sort();
	if (
		JSON.stringify(subjects) !==
		JSON.stringify(['E2E error output 1', 'E2E error output 4 (partial)'])
	)
		f.push(
			`the SMTP server received ${JSON.stringify(subjects)}, expected the messages of leads 0 and 3 only`,
		);
	for (const item of [sent, partial]) {
		if (item && !received.some((m) => bareId(m.messageId) === bareId(item.json.messageId)))
			f.push(
				`lead ${pairedIndex(item)}: no received message carries its Message-ID ${item.json.messageId}`,
			);
	}
	if (received.some((m) => m.envelope.to.includes(REFUSED)))
		f.push(`a message was delivered to ${REFUSED}`);
	return f;
}

/**
 * Imports the On Error workflows and a credential with a wrong password (a marker) into the
 * custom-extension n8n; the decoy (a marker too) rides in a lead's own field.
 * @param {{ ext: CustomExtension, secrets: import('./secret-scan').SecretSet }} options
 */
async function setupOnError({ ext, secrets }) {
	const wrongPassword = secrets.marker('Custom SMTP password that the server refuses');
	const decoy = secrets.decoy('decoy in a lead field (scanner self-check)');
	const errorOutputWf = readFixture('on-error-output.workflow.json');
	// The seeded-secret check must find the decoy wherever n8n keeps run data. The Code node joins it
	// from two parts, so only run data holds it whole, not the workflow.
	const decoyCode = `${JSON.stringify(decoy.slice(0, 8))} + ${JSON.stringify(decoy.slice(8))}`;
	for (const node of errorOutputWf.nodes) {
		if (node.parameters.jsCode)
			node.parameters.jsCode = node.parameters.jsCode.replace("'__SCANNER_DECOY__'", decoyCode);
	}
	const [stopInputWf, stopSendingWf] = readFixture('on-error-stop.workflow.json');
	const wrongPasswordWf = readFixture('smtp-wrong-password.workflow.json');
	const smtpCredential = credentialsFor(ext.smtp)[0].data;
	const wrong = {
		...WRONG_PASSWORD_CREDENTIAL,
		type: 'deliveryChannelSmtpApi',
		data: { ...smtpCredential, password: wrongPassword },
	};
	await ext.n8n.importCredentials([wrong], 'wrong-password-credentials.json');
	const workflows = [errorOutputWf, stopInputWf, stopSendingWf, wrongPasswordWf];
	await ext.n8n.importWorkflow(workflows, 'on-error-workflows.json');
	return { ext, decoy, errorOutputWf, stopInputWf, stopSendingWf, wrongPasswordWf };
}
/** @typedef {Awaited<ReturnType<typeof setupOnError>>} OnError */

/**
 * Check 1: Continue (using error output).
 * @param {OnError} ctx
 * @returns {Promise<Check>}
 */
async function checkContinueErrorOutput({ ext, decoy, errorOutputWf }) {
	ext.smtp.catcher.clear();
	const t = Date.now();
	const { run } = await ext.n8n.execute(errorOutputWf.id);
	const took = ((Date.now() - t) / 1000).toFixed(1);
	const failures = checkErrorOutput(run, await settle(ext.smtp.catcher, 2), decoy);
	const firstError = nodeItems(run, 'Update CRM Failure')[0];
	return {
		failures,
		details: [
			`n8n execute took ${took} s`,
			firstError ? `error item: ${short(firstError.json)}` : 'no error item',
		],
	};
}

/**
 * Check 2: Stop Workflow, one bad input among three.
 * @param {OnError} ctx
 * @returns {Promise<Check>}
 */
async function checkStopBadInput({ ext, stopInputWf }) {
	const { catcher } = ext.smtp;
	catcher.clear();
	const { run, exitCode } = await ext.n8n.execute(stopInputWf.id);
	const received = await settle(catcher, 1, 1500);
	const f = [];
	const e = nodeError(run);
	if (run.status === 'success' || !e) f.push(`the execution did not fail (status ${run.status})`);
	else {
		if (e.node !== 'Delivery Channel')
			f.push(`the error came from ${JSON.stringify(e.node)}, expected the Delivery Channel node`);
		if (!e.message.includes('[item 1]'))
			f.push(`the node error does not name item 1: ${short(e.message)}`);
		if (!e.message.includes('ivy at example dot net'))
			f.push(`the node error does not name the bad value: ${short(e.message)}`);
		if (!/Nothing was sent/.test(e.description))
			f.push(`the description does not say that nothing was sent: ${short(e.description)}`);
	}
	if (nodeItems(run, 'Delivery Channel').length) f.push('the failed node still output items');
	if (received.length) {
		f.push(
			`the SMTP server received ${received.length} messages, expected none: ${received.map((m) => m.subject).join(', ')}`,
		);
	}
	return {
		failures: f,
		details: [`n8n execute exit code ${exitCode}; error: ${e ? short(e.message) : 'none'}`],
	};
}

/**
 * Check 3: Stop Workflow, the server refuses a lead while sending.
 * @param {OnError} ctx
 * @returns {Promise<Check>}
 */
async function checkStopWhileSending({ ext, stopSendingWf }) {
	const { catcher } = ext.smtp;
	catcher.clear();
	const { run } = await ext.n8n.execute(stopSendingWf.id);
	const received = await settle(catcher, 2);
	const f = [];
	const e = nodeError(run);
	if (run.status === 'success' || !e) f.push(`the execution did not fail (status ${run.status})`);
	else {
		if (!e.message.includes('[item 1]'))
			f.push(`the node error does not name item 1: ${short(e.message)}`);
		if (!received.length)
			f.push('the server received nothing: the test cannot show the sent items are named');
		for (const m of received) {
			const id = bareId(m.messageId);
			const index =
				m.subject === 'E2E stop while sending 1'
					? 0
					: m.subject === 'E2E stop while sending 3'
						? 2
						: -1;
			if (!e.description.includes(`item ${index} (Message-ID ${id})`)) {
				f.push(
					`the description does not name the sent item ${index} with its Message-ID ${id}: ${short(e.description)}`,
				);
			}
			if (e.description.includes(`<${id}>`)) {
				f.push(
					'the description shows a Message-ID in angle brackets (n8n renders it as HTML: it vanishes)',
				);
			}
		}
		if (received.length && !/do not send again/i.test(e.description)) {
			f.push(`the description does not warn against sending again: ${short(e.description)}`);
		}
	}
	if (received.some((m) => m.envelope.to.includes(REFUSED)))
		f.push(`a message was delivered to ${REFUSED}`);
	const details = [
		`received: ${received.map((m) => m.subject).join('; ') || 'nothing'}`,
		e ? `description: ${short(e.description)}` : 'no node error',
	];
	return { failures: f, details };
}

/**
 * Check 4: a wrong SMTP password.
 * @param {OnError} ctx
 * @returns {Promise<Check>}
 */
async function checkWrongPassword({ ext, wrongPasswordWf }) {
	const { catcher } = ext.smtp;
	catcher.clear();
	const { run } = await ext.n8n.execute(wrongPasswordWf.id);
	const received = await settle(catcher, 1, 1500);
	const f = [];
	const itemError = (nodeItems(run, 'Wrong Password (Continue)')[0] || {}).json || {};
	if (itemError.status !== 'failed' || itemError.code !== 'EAUTH') {
		f.push(
			`under Continue (regular output) the item is ${short(itemError)}, expected status "failed" with code EAUTH`,
		);
	}
	if (!/login|auth|password/i.test(String(itemError.error || ''))) {
		f.push(`the item error does not say the login was refused: ${short(itemError.error)}`);
	}
	const e = nodeError(run);
	if (!e) f.push(`under Stop Workflow the execution did not fail (status ${run.status})`);
	else {
		if (e.node !== 'Wrong Password (Stop)')
			f.push(`the error came from ${JSON.stringify(e.node)}, expected "Wrong Password (Stop)"`);
		if (!/login|auth|password/i.test(e.message))
			f.push(`the node error does not say the login was refused: ${short(e.message)}`);
	}
	if (catcher.authFailures.length < 2)
		f.push(
			`the SMTP server saw ${catcher.authFailures.length} failed logins, expected one per node`,
		);
	if (received.length)
		f.push(`the SMTP server received ${received.length} messages with a wrong password`);
	const details = [
		`item: ${short(itemError.error)}`,
		`node error: ${e ? short(`${e.message} | ${e.description}`) : 'none'}`,
	];
	return { failures: f, details };
}

module.exports = {
	setupOnError,
	checkContinueErrorOutput,
	checkStopBadInput,
	checkStopWhileSending,
	checkWrongPassword,
};
