'use strict';
// The checks of the mail-system part of the real-n8n end-to-end test (scripts/lib/e2e-mailsystem.js
// runs the setup).

const { nodeItems, runError } = require('./n8n');
const { secs, waitUntil } = require('./e2e-common');

/**
 * @typedef {import('./e2e-common').Check} Check
 * @typedef {import('./e2e-mailsystem').ExpectedFailure} ExpectedFailure
 * @typedef {import('./e2e-mailsystem').MailSystemPart} MailSystemPart
 */

/**
 * Checks one Failed Deliveries item against what was sent.
 * @param {any[]} items
 * @param {ExpectedFailure} expected
 * @param {any[]} sentItems
 * @param {string[]} failures
 */
function checkFailure(items, expected, sentItems, failures) {
	const found = items.filter(
		(item) =>
			String(item.recipient).toLowerCase() === expected.recipient && item.kind === expected.kind,
	);
	if (found.length !== 1) {
		failures.push(`${found.length} items for ${expected.recipient} (${expected.kind}), expected 1`);
		return;
	}
	const item = found[0];
	for (const key of ['action', 'hard', 'reason', 'status']) {
		if (expected[key] !== undefined && item[key] !== expected[key])
			failures.push(
				`${expected.recipient}: ${key} is ${JSON.stringify(item[key])}, expected ${JSON.stringify(expected[key])}`,
			);
	}
	const original = sentItems.find((sent) => (sent.accepted || []).includes(expected.recipient));
	const message = item.message || {};
	if (!original) failures.push(`${expected.recipient}: no sent item to compare with`);
	else {
		if (message.deliveryId !== original.deliveryId)
			failures.push(
				`${expected.recipient}: linked to deliveryId ${JSON.stringify(message.deliveryId)}, sent as ${original.deliveryId}`,
			);
		if (message.messageId !== original.messageId)
			failures.push(
				`${expected.recipient}: messageId ${JSON.stringify(message.messageId)}, sent as ${original.messageId}`,
			);
	}
	if (!item.link || item.link.method !== 'envelope-id' || item.link.confidence !== 'high')
		failures.push(
			`${expected.recipient}: link ${JSON.stringify(item.link)}, expected envelope-id / high`,
		);
	if (message.sentFolder !== 'Sent')
		failures.push(
			`${expected.recipient}: the sent copy was not found in Sent (message: ${JSON.stringify(message)})`,
		);
}

/** @param {import('./n8n-run-data').N8nRun} run */
const sentItemsOf = (run) => nodeItems(run, 'Send').map((item) => item.json || {});

/**
 * Check 1: Failed Deliveries returns the MTA's own reports.
 * @param {MailSystemPart} ctx
 * @returns {Check}
 */
function checkFailedDeliveries({ sendRun, reportError, listRun, expected, timings }) {
	const f = [];
	const sentItems = sentItemsOf(sendRun);
	if (runError(sendRun)) f.push(`execution failed: ${runError(sendRun)}`);
	if (sentItems.length !== 3 || sentItems.some((item) => item.status !== 'sent')) {
		f.push(
			`send output: ${JSON.stringify(sentItems.map((item) => item.status || item.error))}, expected 3 x "sent"`,
		);
	}
	if (sentItems.some((item) => item.dsnRequested !== true))
		f.push('DSN was not requested on every message');
	if (reportError) f.push(reportError);
	const listed = nodeItems(listRun, 'Failed Deliveries').map((item) => item.json || {});
	if (runError(listRun)) f.push(`Failed Deliveries execution failed: ${runError(listRun)}`);
	if (listed.length !== expected.length) {
		const got = JSON.stringify(listed.map((item) => `${item.recipient} ${item.kind}`));
		f.push(
			`Failed Deliveries returned ${listed.length} items, expected ${expected.length}: ${got}`,
		);
	}
	for (const entry of expected) checkFailure(listed, entry, sentItems, f);
	const [sendTook, reportTook, listTook] = timings;
	const items = listed.map(
		(item) =>
			`${item.recipient} ${item.kind} ${item.reason} ${item.hard ? 'hard' : 'soft'} via ${item.link && item.link.method}`,
	);
	const details = [
		`n8n execute (send 3) ${sendTook} s; all 4 reports in the mailbox ${reportTook} s later; n8n execute (Failed Deliveries) ${listTook} s`,
		`items: ${items.join('; ')}`,
	];
	return { failures: f, details };
}

/**
 * Check 2: the active trigger emits each failure once across polls.
 * @param {MailSystemPart} ctx
 * @returns {Promise<Check>}
 */
async function checkTriggerOnce({ mail, sendRun, expected, log, serverStarted, timings }) {
	const f = [];
	const details = [`n8n start ready in ${timings[3]} s`];
	// (the parameter is optional only for the type of waitForMessages' `match`, which infers none)
	const isAlert = (/** @type {any} */ m = {}) => /^E2E alert /.test(m.subject || '');
	let alerts = [];
	try {
		alerts = await mail.waitForMessages('INBOX', expected.length, 150_000, isAlert);
		details.push(
			`${alerts.length} alerts ${secs(serverStarted)} s after n8n start (${log.polls} polls so far)`,
		);
	} catch (error) {
		f.push(`${error.message} (${log.polls} polls seen)`);
	}
	// Let at least one more scheduled poll run: it must not emit anything again.
	const pollsBefore = log.polls;
	if (!(await waitUntil(() => log.polls >= pollsBefore + 1, 130_000))) {
		f.push(
			'no scheduled poll ran after the alerts within 130 s (is the debug log line "Poll trigger initiated" still printed?)',
		);
	}
	await new Promise((resolve) => setTimeout(resolve, 5_000));
	alerts = await mail.waitForMessages('INBOX', 0, 5_000, isAlert);
	details.push(
		`after ${log.polls} polls: ${alerts.length} alerts: ${alerts.map((m) => m.subject.replace(/^E2E alert /, '')).join(' | ')}`,
	);
	const sentItems = sentItemsOf(sendRun);
	for (const entry of expected) {
		const pattern = `E2E alert ${entry.kind} ${entry.recipient} `;
		const matching = alerts.filter((m) => m.subject.startsWith(pattern));
		if (matching.length !== 1)
			f.push(
				`${matching.length} alerts for ${entry.recipient} (${entry.kind}), expected exactly 1`,
			);
		const original = sentItems.find((sent) => (sent.accepted || []).includes(entry.recipient));
		if (matching[0] && original && !matching[0].subject.includes(original.deliveryId)) {
			f.push(
				`the alert for ${entry.recipient} lacks the deliveryId ${original.deliveryId}: ${matching[0].subject}`,
			);
		}
	}
	if (alerts.length !== expected.length)
		f.push(`${alerts.length} alerts in total, expected ${expected.length}`);
	return { failures: f, details };
}

/**
 * Check 3: a wrong IMAP password, in `n8n execute` and in an active trigger.
 * @param {MailSystemPart} ctx
 * @returns {Promise<Check>}
 */
async function checkWrongImapPassword({ imapRun, wfs, log }) {
	const f = [];
	const imapItem = (nodeItems(imapRun, 'Wrong IMAP Password (Continue)')[0] || {}).json || {};
	if (imapItem.status !== 'failed' || imapItem.code !== 'EAUTH') {
		f.push(
			`under Continue the item is ${JSON.stringify(imapItem).slice(0, 240)}, expected status failed with code EAUTH`,
		);
	}
	const e = imapRun.data && imapRun.data.resultData.error;
	if (!e || !e.node || e.node.name !== 'Wrong IMAP Password (Stop)') {
		f.push(
			`the execution did not stop at "Wrong IMAP Password (Stop)" (error: ${JSON.stringify(e && e.message)})`,
		);
	}
	// n8n retries a failing activation for about half a minute before it logs the error.
	if (!(await waitUntil(() => log.wrongImapLines > 0, 90_000))) {
		f.push(
			`n8n start logged no login failure of "${wfs.watchWrongImap.name}": the trigger's failure path did not run`,
		);
	}
	const details = [
		`item: ${JSON.stringify(imapItem.error)}`,
		`node error: ${JSON.stringify(e ? `${e.message} | ${e.description || ''}` : 'none').slice(0, 300)}`,
		`active trigger with the wrong IMAP password: ${log.wrongImapLines} lines of n8n start's log name its login failure`,
	];
	return { failures: f, details };
}

/**
 * Check 4: no delivery agent crashed. (The manual run, "Fetch Test Event", is the jest integration test's part.)
 * @param {MailSystemPart} ctx
 * @returns {Check}
 */
function checkLogsClean({ mail }) {
	const suspicious = /fatal|panic|warning: process .* exit status/i.test(mail.logs(400));
	return {
		failures: suspicious ? [`suspicious lines in the logs:\n${mail.logs(30)}`] : [],
		details: [],
	};
}

module.exports = {
	checkFailedDeliveries,
	checkTriggerOnce,
	checkWrongImapPassword,
	checkLogsClean,
};
