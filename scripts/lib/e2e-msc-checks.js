'use strict';
// The checks of the MSC part of the real-n8n end-to-end test (scripts/lib/e2e-msc.js runs the setup).

const { nodeItems, runError } = require('./n8n');
const { EMAIL_NODE, pairedIndex, short, secs } = require('./e2e-common');
const { REFUSED, BOUNCED, VERIFIED, UNVERIFIED, deliverBounce } = require('./e2e-msc');

/**
 * @typedef {import('./e2e-common').Check} Check
 * @typedef {import('./n8n-run-data').N8nRun} N8nRun
 * @typedef {import('./e2e-msc').Relayed} Relayed
 * @typedef {import('./e2e-msc').Msc} Msc
 */

/**
 * Check 1: sent, partial and unverified-identity items.
 * @param {Msc} ctx
 * @returns {Check}
 */
function checkSend({ sendRun, sendTook, items, domain }) {
	const f = [];
	if (runError(sendRun)) f.push(`execution failed: ${runError(sendRun)}`);
	if (items.length !== 3) f.push(`the node output ${items.length} items, expected 3`);
	const [alice, bob, carol] = items;
	if (alice) {
		const warnings = alice.warnings || [];
		if (alice.status !== 'sent')
			f.push(
				`item 0: status ${JSON.stringify(alice.status)}, expected "sent" (${alice.error || ''})`,
			);
		if (alice.channel !== 'msc') f.push(`item 0: channel ${JSON.stringify(alice.channel)}`);
		if (!alice.identity || !String(alice.identity.used).includes(VERIFIED)) {
			f.push(`item 0: identity ${JSON.stringify(alice.identity)} does not name ${VERIFIED}`);
		}
		if (!warnings.some((/** @type {string} */ w) => w.includes(`via ${domain}`))) {
			f.push(`item 0: no "via ${domain}" warning in ${JSON.stringify(alice.warnings)}`);
		}
		if (!warnings.some((/** @type {string} */ w) => /DMARC/.test(w)))
			f.push('item 0: no DMARC warning');
	}
	if (bob) {
		if (bob.status !== 'partial')
			f.push(`item 1: status ${JSON.stringify(bob.status)}, expected "partial"`);
		if (
			!(bob.rejected || []).some((/** @type {{ address: string }} */ r) => r.address === REFUSED)
		) {
			f.push(`item 1: rejected ${JSON.stringify(bob.rejected)} lacks ${REFUSED}`);
		}
	}
	if (carol) {
		if (carol.status !== 'failed' || carol.code !== 'EIDENTITY') {
			f.push(
				`item 2 (unverified identity): ${JSON.stringify(carol).slice(0, 200)}, expected an EIDENTITY error item`,
			);
		}
		if (!String(carol.error || '').includes(UNVERIFIED))
			f.push(`item 2: error does not name ${UNVERIFIED}`);
	}
	const details = [
		`n8n execute took ${sendTook} s`,
		alice
			? `item 0: status=${alice.status} from=${alice.from} via=${alice.via} mscMessageId=${alice.mscMessageId}`
			: 'no output',
	];
	return { failures: f, details };
}

/**
 * Check 2: what the upstream received.
 * @param {Msc} ctx
 * @returns {Check}
 */
function checkRelayed({ upstream, items, domain }) {
	const f = [];
	const received = upstream.received.slice();
	const [alice, bob] = items;
	if (received.length !== 2)
		f.push(`the upstream received ${received.length} messages, expected exactly 2`);
	const bounceAddress = new RegExp(`^bounce\\+msg_[0-9a-f]+@${domain.replace(/\./g, '\\.')}$`);
	for (const [item, rcpts] of /** @type {const} */ ([
		[alice, [BOUNCED]],
		[bob, ['bob@example.net']],
	])) {
		if (!item) continue;
		const m = received.find((r) => r.headers['message-id'] === item.messageId);
		if (!m) {
			f.push(`no relayed message carries ${item.messageId}`);
			continue;
		}
		if (m.from !== item.envelopeFrom || !bounceAddress.test(m.from)) {
			f.push(`envelope sender ${m.from}, expected the bounce address ${item.envelopeFrom}`);
		}
		if (!String(m.headers.sender || '').includes(`@${domain}>`))
			f.push(`Sender header ${JSON.stringify(m.headers.sender)} is not on ${domain}`);
		if (!String(m.headers.from || '').includes(VERIFIED))
			f.push(`From header ${JSON.stringify(m.headers.from)} is not the identity`);
		if (JSON.stringify(m.to) !== JSON.stringify(rcpts))
			f.push(`delivered to ${JSON.stringify(m.to)}, expected ${JSON.stringify(rcpts)}`);
	}
	return {
		failures: f,
		details: [
			`received: ${received.map((m) => `${m.from} -> ${m.to.join('+')}`).join('; ') || 'nothing'}`,
		],
	};
}

/**
 * Check 3: a bounce report arrives, then Failed Deliveries lists it and the refused recipient.
 * @param {Msc} ctx
 * @returns {Promise<Check>}
 */
async function checkFailedDeliveries({ sandbox, n8n, failWf, items }) {
	const f = [];
	const [alice, bob] = items;
	if (alice && alice.envelopeFrom)
		await deliverBounce(sandbox, alice.envelopeFrom, BOUNCED, alice.messageId);
	else f.push('no envelopeFrom on item 0: cannot deliver its bounce');
	const t = Date.now();
	const { run } = await n8n.execute(failWf.id);
	const took = secs(t);
	const failures = nodeItems(run, EMAIL_NODE).map((item) => item.json || {});
	if (runError(run)) f.push(`execution failed: ${runError(run)}`);
	if (failures.length !== 2)
		f.push(`Failed Deliveries output ${failures.length} items, expected 2`);
	const bounced = failures.find((x) => x.recipient === BOUNCED);
	const refused = failures.find((x) => x.recipient === REFUSED);
	if (!bounced) f.push(`no failed delivery for ${BOUNCED}`);
	else {
		if (bounced.reason !== 'mailboxfull' || bounced.hard !== false || bounced.status !== '5.2.2') {
			f.push(
				`${BOUNCED}: reason ${bounced.reason} hard ${bounced.hard} status ${bounced.status}, expected mailboxfull / false / 5.2.2`,
			);
		}
		if (
			!bounced.link ||
			bounced.link.method !== 'bounce-address' ||
			bounced.link.confidence !== 'high'
		) {
			f.push(`${BOUNCED}: link ${JSON.stringify(bounced.link)}, expected bounce-address / high`);
		}
		if (!bounced.message || bounced.message.id !== (alice && alice.mscMessageId)) {
			f.push(
				`${BOUNCED}: linked to ${JSON.stringify(bounced.message && bounced.message.id)}, expected ${alice && alice.mscMessageId}`,
			);
		}
	}
	if (!refused) f.push(`no failed delivery for ${REFUSED}`);
	else {
		if (refused.reason !== 'userunknown' || refused.hard !== true) {
			f.push(
				`${REFUSED}: reason ${refused.reason} hard ${refused.hard}, expected userunknown / true`,
			);
		}
		if (!refused.link || refused.link.method !== 'relay-session')
			f.push(`${REFUSED}: link ${JSON.stringify(refused.link)}, expected relay-session`);
		if (!refused.message || refused.message.id !== (bob && bob.mscMessageId)) {
			f.push(
				`${REFUSED}: linked to ${JSON.stringify(refused.message && refused.message.id)}, expected ${bob && bob.mscMessageId}`,
			);
		}
	}
	const listed = failures
		.map((x) => `${x.recipient}: ${x.reason} via ${x.link && x.link.method}`)
		.join('; ');
	return { failures: f, details: [`n8n execute took ${took} s; ${listed}`] };
}

/**
 * Check 4: the error output, and a rejected API key.
 * @param {Msc} ctx
 * @returns {Promise<Check>}
 */
async function checkErrorOutputAndRejectedKey({ upstream, n8n, onErrorWf }) {
	const upstreamBefore = upstream.received.length;
	const t = Date.now();
	const { run } = await n8n.execute(onErrorWf.id);
	const took = secs(t);
	const c = checkOnError(run, upstream.received, upstreamBefore);
	const details = [
		`n8n execute took ${took} s`,
		`rejected key, item: ${short(c.keyError)}`,
		`rejected key, node error: ${short(c.nodeError)}`,
	];
	return { failures: c.failures, details };
}

/**
 * Check 4: the error output and a rejected API key, in one execution.
 * @param {N8nRun} run
 * @param {Relayed[]} received
 * @param {number} upstreamBefore  how many the upstream had received before
 */
function checkOnError(run, received, upstreamBefore) {
	const f = [];
	const contacted = nodeItems(run, 'Mark Contacted');
	const failed = nodeItems(run, 'Update CRM Failure');
	const sentOut = nodeItems(run, 'Send via MSC', 0);
	const errorOut = nodeItems(run, 'Send via MSC', 1);
	const leads = (/** @type {import('./n8n-run-data').N8nItem[]} */ items) =>
		JSON.stringify(items.map(pairedIndex));
	if (leads(sentOut) !== '[0]' || contacted.length !== 1)
		f.push(
			`output 0 holds leads ${leads(sentOut)} and "Mark Contacted" got ${contacted.length} items, expected lead 0 only`,
		);
	else if (contacted[0].json.status !== 'sent' || contacted[0].json.channel !== 'msc')
		f.push(`the item on output 0 is ${short(contacted[0].json)}, expected a sent MSC item`);
	if (leads(errorOut) !== '[1]' || failed.length !== 1)
		f.push(
			`output 1 holds leads ${leads(errorOut)} and "Update CRM Failure" got ${failed.length} items, expected lead 1 only`,
		);
	else {
		const j = failed[0].json;
		const d = j.details || {};
		if (j.crmId !== 'CRM-302' || j.email !== 'pete@example.net')
			f.push(`the error item lacks the lead's own fields: ${short(j)}`);
		if (d.status !== 'failed' || d.code !== 'EIDENTITY' || d.channel !== 'msc')
			f.push(
				`the error item's details are ${short(d)}, expected status failed, code EIDENTITY, channel msc`,
			);
		if (!String(j.error || '').includes(UNVERIFIED))
			f.push(`the error item's error does not name ${UNVERIFIED}: ${short(j.error)}`);
		if (j.status !== undefined)
			f.push('the error item has a top-level status: not the shape n8n routes to the error output');
	}
	const keyItem = (nodeItems(run, 'Rejected Key (Continue)')[0] || {}).json || {};
	if (keyItem.status !== 'failed' || keyItem.code !== 'EAUTH')
		f.push(
			`with a rejected API key under Continue the item is ${short(keyItem)}, expected status failed with code EAUTH`,
		);
	const e = run.data && run.data.resultData.error;
	if (!e || !e.node || e.node.name !== 'Rejected Key (Stop)')
		f.push(`the execution did not stop at "Rejected Key (Stop)" (error: ${short(e && e.message)})`);
	const relayed = received.slice(upstreamBefore);
	if (relayed.length !== 1 || JSON.stringify(relayed[0].to) !== '["olga@example.net"]')
		f.push(
			`the upstream received ${short(relayed.map((m) => m.to))}, expected one message to olga@example.net`,
		);
	return {
		failures: f,
		keyError: keyItem.error,
		nodeError: e ? `${e.message} | ${e.description || ''}` : 'none',
	};
}

/**
 * Check 5: the hard failure Failed Deliveries listed (check 3) is on the suppression list, so the
 * send workflow run again leaves that recipient out: Bob's message goes to Bob alone, its item names
 * the suppressed address, and the upstream is never offered it. The soft bounce is still sent to.
 * @param {Msc} ctx
 * @returns {Promise<Check>}
 */
async function checkSuppression({ upstream, n8n, sendWf }) {
	const f = [];
	const before = upstream.received.length;
	const { run } = await n8n.execute(sendWf.id);
	const [alice, bob] = nodeItems(run, EMAIL_NODE).map((item) => item.json || {});
	if (!alice || alice.status !== 'sent')
		f.push(`item 0: ${short(alice)}, expected sent (a soft bounce)`);
	const suppressed = (bob && bob.suppressed) || [];
	if (!bob || bob.status !== 'sent' || (bob.rejected || []).length)
		f.push(`item 1: ${short(bob)}, expected sent with nobody rejected`);
	if (
		suppressed.length !== 1 ||
		suppressed[0].address !== REFUSED ||
		suppressed[0].reason !== 'hard-bounce'
	)
		f.push(`item 1: suppressed ${short(suppressed)}, expected ${REFUSED} as hard-bounce`);
	else if (!String(suppressed[0].source).startsWith('Failed Deliveries (msc:'))
		f.push(`item 1: suppression source ${short(suppressed[0].source)}`);
	const relayed = upstream.received.slice(before);
	const offered = relayed.flatMap((m) => m.to);
	if (offered.includes(REFUSED)) f.push(`the upstream was offered ${REFUSED} again`);
	if (relayed.length !== 2) f.push(`the upstream received ${relayed.length} messages, expected 2`);
	return {
		failures: f,
		details: [`relayed to ${offered.join(', ')}; suppressed ${short(suppressed)}`],
	};
}

module.exports = {
	checkSend,
	checkRelayed,
	checkFailedDeliveries,
	checkErrorOutputAndRejectedKey,
	checkSuppression,
};
