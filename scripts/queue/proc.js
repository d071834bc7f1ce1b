'use strict';
// The long-running children of the queue-mode harness (the services, n8n main and workers), on top of
// ../lib/proc.js: each writes its output to a log file and keeps its last lines; on Ctrl-C (or any
// failure of the run) they are stopped in reverse start order, n8n before the services it uses.
// One-off commands use ../lib/proc.js's `run` directly.

const { start, stop, onSignal } = require('../lib/proc');

/** @typedef {import('../lib/proc').Started & { name: string, log: string, recent: string[] }} Child */

/** @type {Set<Child>} children started here that are still running, in start order */
const live = new Set();

/**
 * Starts a long-running child. Output goes to `log` (appended) and the last lines stay in `recent`;
 * onLine sees each line.
 * @param {string} name
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string, uid?: number, gid?: number, log: string,
 *   onLine?: (line: string) => void }} options
 * @returns {Child}
 */
function startChild(name, cmd, args, options) {
	/** @type {string[]} */
	const recent = [];
	const started = start(cmd, args, {
		cwd: options.cwd,
		env: options.env,
		uid: options.uid,
		gid: options.gid,
		log: options.log,
		keep: false,
		timeoutMs: Infinity,
		onLine: (line) => {
			recent.push(line);
			if (recent.length > 60) recent.shift();
			if (options.onLine) options.onLine(line);
		},
	});
	const handle = { ...started, name, log: options.log, recent };
	live.add(handle);
	started.child.on('error', (error) => recent.push(`spawn error: ${error.message}`));
	started.done.then(() => live.delete(handle));
	return handle;
}

/**
 * Stops a child: `signal` to its group, SIGKILL after graceMs.
 * @param {Child} handle
 * @param {{ signal?: NodeJS.Signals, graceMs?: number }} [options]
 */
async function stopChild(handle, { signal = 'SIGTERM', graceMs = 15_000 } = {}) {
	if (!handle) return null;
	return stop(handle, graceMs, signal);
}

/** Stops every child still running, in reverse start order (n8n before the services it uses). */
async function stopAll() {
	for (const handle of [...live].reverse()) await stopChild(handle, { graceMs: 10_000 });
}

onSignal(stopAll);

module.exports = { startChild, stopChild, stopAll };
