'use strict';
// One row of the SMTP throughput benchmark: a workflow run by `n8n execute`, or the raw library
// ceiling (nodemailer pooled, straight from Node), each checked against the sink's counter.

const { REPO_ROOT, nodeItems, nodeRuns, runError } = require('../../scripts/lib/n8n');
const { waitForCount } = require('./smtp-sink');

/**
 * @typedef {object} Row
 * @property {string} [key]  ours | computed | builtin | raw | floor
 * @property {string} method  the label printed
 * @property {number} items
 * @property {number} seconds  the time compared
 * @property {string} timing  what `seconds` is
 * @property {number} ok  items reported sent (the floor row: items out)
 * @property {number} received  messages the sink counted
 * @property {boolean} sends  false for the floor row, which sends nothing
 * @property {number} [wallSeconds]  the whole `n8n execute`
 * @property {string | null} [error]  the run's error
 * @property {string} [version]  nodemailer's version (raw row)
 */

/**
 * Runs one workflow; its time is the email node's own executionTime from the run data.
 * @param {boolean} sends  false: the node sends nothing (the floor row), so the sink is not asked
 * @returns {Promise<Row>}
 */
async function runN8nMethod(n8n, wf, sink, items, label, sends) {
	const before = sink.count();
	const t = Date.now();
	const { run: result } = await n8n.execute(wf.id, { timeoutMs: 20 * 60 * 1000 });
	const wallMs = Date.now() - t;
	const out = nodeItems(result, 'Email');
	const nodeRun = nodeRuns(result, 'Email')[0];
	const received = sends ? (await waitForCount(sink, before + items)) - before : 0;
	const ok = out.filter(
		(i) => i.json && !i.json.error && (i.json.status === undefined || i.json.status === 'sent'),
	).length;
	const nodeMs =
		nodeRun && typeof nodeRun.executionTime === 'number' ? nodeRun.executionTime : null;
	return {
		method: label,
		items,
		seconds: (nodeMs ?? wallMs) / 1000,
		timing: nodeMs !== null ? 'node executionTime' : 'whole n8n execute',
		wallSeconds: wallMs / 1000,
		ok: sends ? ok : out.length,
		received: sends ? received : 0,
		error: runError(result),
		sends,
	};
}

/**
 * The raw ceiling: `items` sendMail calls at once on a pooled nodemailer transport.
 * @returns {Promise<Row>}
 */
async function runRaw(sink, items, connections) {
	const nodemailer = require(require.resolve('nodemailer', { paths: [REPO_ROOT] }));
	const version = require(
		require.resolve('nodemailer/package.json', { paths: [REPO_ROOT] }),
	).version;
	const transport = nodemailer.createTransport({
		host: '127.0.0.1',
		port: sink.port,
		secure: false,
		ignoreTLS: true,
		pool: true,
		maxConnections: connections,
		name: 'bench.localhost',
		connectionTimeout: 10000,
		socketTimeout: 30000,
	});
	const before = sink.count();
	const t = process.hrtime.bigint();
	const results = await Promise.allSettled(
		Array.from({ length: items }, (_, i) =>
			transport.sendMail({
				from: 'Bench Sender <bench@example.com>',
				to: `rcpt${i}@example.net`,
				subject: `Benchmark message ${i}`,
				text: `Hello number ${i},\n\nthis is a benchmark message.\n`,
			}),
		),
	);
	const ms = Number(process.hrtime.bigint() - t) / 1e6;
	transport.close();
	const received = (await waitForCount(sink, before + items)) - before;
	const ok = results.filter((r) => r.status === 'fulfilled').length;
	const method = `raw nodemailer ${version} pooled (${connections})`;
	return {
		method,
		items,
		seconds: ms / 1000,
		timing: 'sendMail calls',
		ok,
		received,
		sends: true,
		version,
	};
}

module.exports = { runN8nMethod, runRaw };
