'use strict';
// Small helpers the parts of the real-n8n end-to-end test share (test/e2e/*.e2e.ts, scripts/lib/e2e-*.js).
//
// Every check of a part is a function that returns a Check: `failures` names each mismatch in plain
// words (empty when the check passes), `details` says what was seen (timings, ids). The jest tests
// assert `expect(check).toPass()`, which shows both when it fails.

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { N8n, REPO_ROOT } = require('./n8n');

/** @typedef {{ failures: string[], details: string[] }} Check */

const FIXTURES = path.join(REPO_ROOT, 'test', 'e2e');
/** The Delivery Channel node's name in the workflows of test/e2e. */
const EMAIL_NODE = 'Delivery Channel';

/**
 * A JSON file of test/e2e.
 * @param {string} name
 * @returns {any}
 */
function readFixture(name) {
	return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
}

/**
 * A part's own n8n: the user folder <run.work>/<name> (made here), a fresh encryption key, the run's
 * log level, and the built package in N8N_CUSTOM_EXTENSIONS unless `customExtensions` is false.
 * @param {import('./e2e-run').E2eRun} run
 * @param {string} name
 */
async function createN8n(run, name, { customExtensions = true } = {}) {
	const userFolder = path.join(run.work, name);
	fs.mkdirSync(userFolder, { recursive: true });
	return N8n.create(run.n8n, {
		userFolder,
		encryptionKey: crypto.randomBytes(24).toString('hex'),
		...(customExtensions ? { customExtensions: run.dist } : {}),
		logLevel: run.logLevel,
	});
}

/**
 * A copy of a workflow whose Delivery Channel node has the given type.
 * @param {any} workflow
 * @param {string} type
 */
function withNodeType(workflow, type) {
	const wf = JSON.parse(JSON.stringify(workflow));
	for (const n of wf.nodes) if (n.name === EMAIL_NODE) n.type = type;
	return wf;
}

/** @param {unknown} id  a Message-ID with or without angle brackets */
const bareId = (id) =>
	String(id || '')
		.trim()
		.replace(/^<|>$/g, '');

/**
 * The index of the input item an output item came from.
 * @param {{ pairedItem?: any }} item
 * @returns {number | undefined}
 */
const pairedIndex = (item) => {
	const paired = Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem;
	return paired ? paired.item : undefined;
};

/** @param {unknown} value  at most 240 characters of its JSON */
const short = (value) => String(JSON.stringify(value)).slice(0, 240);

/** @param {number} since  Date.now() at the start */
const secs = (since) => ((Date.now() - since) / 1000).toFixed(1);

/**
 * Waits until the mail catcher has `count` messages (or timeout), then a little longer to catch extras.
 * @param {{ waitFor: (count: number, timeoutMs: number) => Promise<unknown>, messages: any[] }} catcher
 * @param {number} count
 * @returns {Promise<any[]>}
 */
async function settle(catcher, count, timeoutMs = 5000) {
	await catcher.waitFor(count, timeoutMs).catch(() => undefined);
	await new Promise((r) => setTimeout(r, 300));
	return catcher.messages.slice();
}

/**
 * Waits until `condition()` holds or `timeoutMs` passed; returns whether it holds.
 * @param {() => boolean} condition
 * @param {number} timeoutMs
 */
async function waitUntil(condition, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	while (!condition() && Date.now() < deadline)
		await new Promise((resolve) => setTimeout(resolve, 500));
	return condition();
}

/**
 * The node error of a failed execution: { message, description, node }, or null.
 * @param {import('./n8n-run-data').N8nRun} run
 */
function nodeError(run) {
	const e = run && run.data && run.data.resultData.error;
	if (!e) return null;
	return {
		message: String(e.message || ''),
		description: String(e.description || ''),
		node: e.node && e.node.name,
	};
}

module.exports = {
	FIXTURES,
	nodeError,
	EMAIL_NODE,
	readFixture,
	createN8n,
	withNodeType,
	bareId,
	pairedIndex,
	short,
	secs,
	settle,
	waitUntil,
};
