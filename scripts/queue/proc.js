'use strict';
// Child processes of the queue-mode harness. Each runs in its own process group and writes its
// output to a log file; all of them are stopped when this process ends, however it ends.

const fs = require('node:fs');
const { spawn } = require('node:child_process');

/** @typedef {{ name: string, child: import('node:child_process').ChildProcess, done: Promise<{ code: number, signal: string }>,
 *   log: string, recent: string[] }} Child */

/** @type {Set<Child>} */
const live = new Set();
const exitHooks = [];
let installed = false;

function signalGroup(child, signal) {
	if (!child || child.exitCode !== null || child.signalCode !== null) return;
	try {
		process.kill(-child.pid, signal);
	} catch {
		try {
			child.kill(signal);
		} catch {}
	}
}

function install() {
	if (installed) return;
	installed = true;
	process.on('exit', () => {
		for (const c of live) signalGroup(c.child, 'SIGKILL');
		for (const fn of exitHooks.splice(0).reverse()) {
			try {
				fn();
			} catch {}
		}
	});
	for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
		process.once(sig, () => {
			process.stderr.write(`\nReceived ${sig}: stopping everything this run started...\n`);
			stopAll().finally(() => process.exit(130));
		});
	}
}

/** Runs fn (synchronous) when the process exits, after the children were killed; last registered first. */
function onExit(fn) {
	install();
	exitHooks.push(fn);
}

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
	install();
	const out = fs.openSync(options.log, 'a');
	const child = spawn(cmd, args, {
		cwd: options.cwd,
		env: options.env || process.env,
		uid: options.uid,
		gid: options.gid,
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true,
	});
	const recent = [];
	const handle = { name, child, log: options.log, recent, done: null };
	live.add(handle);
	let partial = '';
	const onData = (chunk) => {
		fs.writeSync(out, chunk);
		const text = partial + chunk.toString('utf8');
		const lines = text.split('\n');
		partial = lines.pop();
		for (const line of lines) {
			recent.push(line);
			if (recent.length > 60) recent.shift();
			if (options.onLine) options.onLine(line);
		}
	};
	child.stdout.on('data', onData);
	child.stderr.on('data', onData);
	handle.done = new Promise((resolve) => {
		child.on('error', (error) => recent.push(`spawn error: ${error.message}`));
		child.on('close', (code, signal) => {
			live.delete(handle);
			fs.closeSync(out);
			resolve({ code, signal });
		});
	});
	return handle;
}

/**
 * Runs a command to its end: { code, stdout, stderr, ms, timedOut }. Never rejects for a non-zero exit.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string, uid?: number, gid?: number, timeoutMs?: number, input?: string }} [options]
 */
function runCommand(cmd, args, { env, cwd, uid, gid, timeoutMs = 10 * 60 * 1000, input } = {}) {
	install();
	const t0 = Date.now();
	const child = spawn(cmd, args, {
		cwd,
		env: env || process.env,
		uid,
		gid,
		stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
		detached: true,
	});
	const handle = { name: cmd, child, log: '', recent: [], done: null };
	live.add(handle);
	let stdout = '';
	let stderr = '';
	let timedOut = false;
	child.stdout.on('data', (c) => (stdout += c));
	child.stderr.on('data', (c) => (stderr += c));
	if (input !== undefined) child.stdin.end(input);
	const timer = setTimeout(() => {
		timedOut = true;
		signalGroup(child, 'SIGKILL');
	}, timeoutMs);
	return new Promise((resolve) => {
		child.on('error', (error) => (stderr += `\n${error.message}`));
		child.on('close', (code) => {
			clearTimeout(timer);
			live.delete(handle);
			resolve({ code, stdout, stderr, ms: Date.now() - t0, timedOut });
		});
	});
}

/** Stops a child: `signal` to its group, SIGKILL after graceMs. */
async function stopChild(handle, { signal = 'SIGTERM', graceMs = 15_000 } = {}) {
	if (!handle) return null;
	signalGroup(handle.child, signal);
	const timer = setTimeout(() => signalGroup(handle.child, 'SIGKILL'), graceMs);
	const result = await handle.done;
	clearTimeout(timer);
	return result;
}

/** Stops every child still running, in reverse start order (n8n before the services it uses). */
async function stopAll() {
	for (const handle of [...live].reverse()) await stopChild(handle, { graceMs: 10_000 });
}

function tail(text, lines = 30) {
	return String(text || '')
		.split('\n')
		.slice(-lines)
		.join('\n');
}

module.exports = { startChild, runCommand, stopChild, stopAll, onExit, tail, live };
