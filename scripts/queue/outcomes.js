'use strict';
// What n8n itself recorded for each lead (PostgreSQL: execution_entity + execution_data, the run data
// in n8n's "flatted" form): the execution's status, the status of the send node's output item, and
// the error of a failed execution. The webhook answers say the same for calls that got an answer;
// this also covers calls that did not (a worker killed under them, a timeout).

/** The lead of an execution: the Webhook node's output, else the start data queued for a worker. */
function leadOf(data) {
	const first = (runs) => runs?.[0]?.data?.main?.[0]?.[0]?.json?.body?.leadId;
	const fromRun = first(data?.resultData?.runData?.Webhook);
	if (fromRun) return fromRun;
	for (const entry of data?.executionData?.nodeExecutionStack || []) {
		const lead = entry?.data?.main?.[0]?.[0]?.json?.body?.leadId;
		if (lead) return lead;
	}
	return undefined;
}

/** A failed execution's error in one line: message, description, and the node error's own fields. */
function errorText(error) {
	if (!error) return '';
	const parts = [error.message, error.description, error.context?.code, error.code];
	return parts
		.filter((p) => typeof p === 'string' && p)
		.join(' | ')
		.replace(/\s+/g, ' ');
}

/**
 * The code a failure names (EUNKNOWN, ENOTSENT, ERATELIMIT...). Under On Error = Stop our node's
 * execution error holds the message, not the code: an unknown outcome is recognised by its words
 * ("never confirmed, so it may have gone out", "May have been delivered"). `stalled`: n8n gave up on a
 * job whose worker died ("failed to be processed too many times").
 */
function codeOf(text) {
	const m = /\b(E[A-Z]{3,12})\b/.exec(text);
	if (m) return m[1];
	const reply = /\b([45]\d\d)[ -][245]\.\d{1,3}\.\d{1,3}\b/.exec(text);
	if (reply) return `SMTP ${reply[1]}`;
	if (/never confirmed|may have gone out|may have been delivered/i.test(text)) return 'EUNKNOWN';
	if (/processed too many times/i.test(text)) return 'stalled';
	return 'error';
}

/** The outcome of a call as the webhook answered it, for a lead n8n's data does not name. */
function answerOutcome(call) {
	if (call.http !== 200) {
		let error = call.body;
		try {
			const body = JSON.parse(call.body);
			error = body.message || body.error || call.body;
		} catch {}
		const text = String(error);
		return {
			lead: call.lead,
			status: call.http ? 'error' : 'no answer',
			code: codeOf(text),
			error: text,
		};
	}
	let json = {};
	try {
		json = JSON.parse(call.body) || {};
	} catch {}
	const item = typeof json.status === 'string' ? json.status : undefined;
	const messageId = typeof json.messageId === 'string' ? json.messageId : undefined;
	return { lead: call.lead, status: 'success', item, code: json.code, messageId };
}

/**
 * One record per execution of `workflowId` above `afterId`:
 * { id, lead, status (n8n's), item (the send node's output status), code, error, messageId }.
 */
async function executionOutcomes(pg, { workflowId, afterId, nodeName, n8nNodeModules }) {
	const { parse } = require(require.resolve('flatted', { paths: [n8nNodeModules] }));
	const r = await pg.query(
		`SELECT e.id, e.status, d.data FROM execution_entity e
		 LEFT JOIN execution_data d ON d."executionId" = e.id
		 WHERE e."workflowId" = $1 AND e.id > $2 ORDER BY e.id`,
		[workflowId, afterId],
	);
	return r.rows.map((row) => {
		/** @type {any} */
		let data;
		try {
			data = row.data ? parse(row.data) : undefined;
		} catch {
			data = undefined;
		}
		const runs = data?.resultData?.runData?.[nodeName];
		const last = runs?.[runs.length - 1];
		const json = last?.data?.main?.[0]?.[0]?.json;
		const error = errorText(last?.error || data?.resultData?.error);
		const item = typeof json?.status === 'string' ? json.status : undefined;
		return {
			id: Number(row.id),
			lead: leadOf(data),
			status: row.status,
			item,
			code: item
				? typeof json.code === 'string'
					? json.code
					: undefined
				: error
					? codeOf(error)
					: undefined,
			error: error || (typeof json?.error === 'string' ? json.error : ''),
			messageId: typeof json?.messageId === 'string' ? json.messageId : undefined,
		};
	});
}

/** Item statuses as n8n recorded them: `sent 290, duplicate 3, failed: EUNKNOWN 7, crashed 2`. */
function itemCounts(outcomes) {
	const counts = {};
	for (const o of outcomes) {
		let key = o.item || (o.status === 'success' ? 'ok' : o.status);
		if (o.code && o.item !== 'sent' && o.item !== 'duplicate') key = `${key}: ${o.code}`;
		counts[key] = (counts[key] || 0) + 1;
	}
	return counts;
}

module.exports = { executionOutcomes, itemCounts, codeOf, answerOutcome };
