'use strict';
// Child-process helpers shared by the e2e test, the benchmark and the dev script.
// Every child gets a timeout, runs in its own process group, and is killed when this process exits.
// With PROC_CHILD_REGISTRY set to a folder, every running child is also listed there (one empty
// file named by its pid): a process that cannot see this one's exit (jest runs test files in
// sandboxes whose `process` events never fire) kills what is left with killRegistered().

const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

/** @type {Set<import('node:child_process').ChildProcess>} */
const live = new Set();

/**
 * @param {import('node:child_process').ChildProcess} child
 * @param {NodeJS.Signals} signal
 */
function killGroup(child, signal) {
	if (!child || child.exitCode !== null || child.signalCode !== null) return;
	try {
		process.kill(-child.pid, signal);
	} catch {
		try {
			child.kill(signal);
		} catch {
			// already gone
		}
	}
}

/** @param {NodeJS.Signals} [signal] */
function killAll(signal = 'SIGKILL') {
	for (const child of live) killGroup(child, signal);
}

/**
 * Signals the process group of every child listed in a PROC_CHILD_REGISTRY folder (children that
 * are still running: each one's file goes when it ends). Returns how many were signalled.
 * @param {string} registry
 * @param {NodeJS.Signals} [signal]
 */
function killRegistered(registry, signal = 'SIGKILL') {
	let count = 0;
	let names = [];
	try {
		names = fs.readdirSync(registry);
	} catch {
		return 0;
	}
	for (const name of names) {
		const pid = Number(name);
		if (!Number.isInteger(pid) || pid <= 1) continue;
		try {
			process.kill(-pid, signal);
			count += 1;
		} catch {
			fs.rmSync(path.join(registry, name), { force: true }); // already gone
		}
	}
	return count;
}

let handlersInstalled = false;
/** @type {Array<() => void>} */
const exitHooks = [];
/** @type {(() => Promise<unknown>) | null} */
let signalStop = null;
/**
 * Registers a synchronous function to run when the process exits (after children are killed).
 * @param {() => void} fn
 */
function onExit(fn) {
	exitHooks.push(fn);
	installHandlers();
}

/**
 * Makes `fn` what a SIGINT, SIGTERM or SIGHUP does before the process exits with 130, in place of
 * SIGTERM to every child at once (e.g. to stop them in an order); the exit then kills what is left.
 * @param {() => Promise<unknown>} fn
 */
function onSignal(fn) {
	signalStop = fn;
	installHandlers();
}

function installHandlers() {
	if (handlersInstalled) return;
	handlersInstalled = true;
	process.on('exit', () => {
		killAll('SIGKILL');
		for (const fn of exitHooks.splice(0)) {
			try {
				fn();
			} catch {
				// best effort
			}
		}
	});
	for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
		process.on(sig, () => {
			process.stderr.write(`\nReceived ${sig}, stopping child processes...\n`);
			if (signalStop) {
				signalStop().finally(() => process.exit(130));
				return;
			}
			killAll('SIGTERM');
			// give children (n8n shuts down gracefully on SIGTERM) up to 10 s, then SIGKILL on exit
			const t0 = Date.now();
			const poll = setInterval(() => {
				if (live.size === 0 || Date.now() - t0 > 10000) {
					clearInterval(poll);
					process.exit(130);
				}
			}, 100);
		});
	}
}

/**
 * @typedef {object} StartOptions
 * @property {string} [cwd]
 * @property {NodeJS.ProcessEnv} [env]
 * @property {number} [uid]
 * @property {number} [gid]
 * @property {number} [timeoutMs]  default 10 min; Infinity: none
 * @property {string} [input]  written to stdin
 * @property {boolean} [echo]  copy output to our stderr as it arrives
 * @property {(line: string, stream: 'stdout' | 'stderr') => void} [onLine]
 * @property {boolean} [keep]  false: do not buffer output, for long-running servers
 * @property {string} [log]  a file every chunk of output (stdout and stderr) is appended to
 */
/**
 * @typedef {object} RunResult
 * @property {number | null} code
 * @property {NodeJS.Signals | null} signal
 * @property {string} stdout
 * @property {string} stderr
 * @property {boolean} timedOut
 * @property {number} ms
 * @typedef {{ child: import('node:child_process').ChildProcess, done: Promise<RunResult> }} Started
 */

/**
 * Starts a command. Returns { child, done } where done resolves to
 * { code, signal, stdout, stderr, timedOut, ms } (it never rejects for a non-zero exit).
 * @param {string} cmd
 * @param {string[]} args
 * @param {StartOptions} [options]
 * @returns {Started}
 */
function start(cmd, args, options = {}) {
	installHandlers();
	const timeoutMs = options.timeoutMs ?? 10 * 60 * 1000;
	const t0 = Date.now();
	const logFd = options.log ? fs.openSync(options.log, 'a') : undefined;
	const child = spawn(cmd, args, {
		cwd: options.cwd,
		env: options.env ?? process.env,
		uid: options.uid,
		gid: options.gid,
		stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
		detached: true, // own process group, so the whole tree can be killed
	});
	live.add(child);
	const registry = process.env.PROC_CHILD_REGISTRY;
	const listed = registry && child.pid ? path.join(registry, String(child.pid)) : '';
	if (listed) fs.writeFileSync(listed, '');
	let stdout = '';
	let stderr = '';
	let timedOut = false;
	const keep = options.keep !== false;
	const lineBuf = { stdout: '', stderr: '' };
	/** @param {'stdout' | 'stderr'} name */
	const handle = (name) => (/** @type {Buffer} */ chunk) => {
		if (logFd !== undefined) fs.writeSync(logFd, chunk);
		const s = chunk.toString('utf8');
		if (keep) {
			if (name === 'stdout') stdout += s;
			else stderr += s;
		}
		if (options.echo) process.stderr.write(s);
		if (options.onLine) {
			lineBuf[name] += s;
			let i;
			while ((i = lineBuf[name].indexOf('\n')) >= 0) {
				const line = lineBuf[name].slice(0, i);
				lineBuf[name] = lineBuf[name].slice(i + 1);
				try {
					options.onLine(line, name);
				} catch {
					// a listener error must not break the pipe
				}
			}
		}
	};
	child.stdout.on('data', handle('stdout'));
	child.stderr.on('data', handle('stderr'));
	if (options.input !== undefined) child.stdin.end(options.input);
	const timer = Number.isFinite(timeoutMs)
		? setTimeout(() => {
				timedOut = true;
				killGroup(child, 'SIGTERM');
				setTimeout(() => killGroup(child, 'SIGKILL'), 5000).unref();
			}, timeoutMs)
		: undefined;
	timer?.unref();
	const done = new Promise((resolve) => {
		child.on('error', (err) => {
			stderr += `\n${err.message}`;
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			// A last line without a newline still reaches the listener.
			for (const name of /** @type {const} */ (['stdout', 'stderr'])) {
				if (!options.onLine || !lineBuf[name]) continue;
				try {
					options.onLine(lineBuf[name], name);
				} catch {
					// a listener error must not break the pipe
				}
				lineBuf[name] = '';
			}
			live.delete(child);
			if (logFd !== undefined) fs.closeSync(logFd);
			if (listed) fs.rmSync(listed, { force: true });
			resolve({ code, signal, stdout, stderr, timedOut, ms: Date.now() - t0 });
		});
	});
	return { child, done };
}

/**
 * Runs a command to completion (see start).
 * @param {string} cmd
 * @param {string[]} args
 * @param {StartOptions} [options]
 */
function run(cmd, args, options = {}) {
	return start(cmd, args, options).done;
}

/**
 * Stops a started child: `signal` to its group, then SIGKILL after graceMs.
 * @param {Started} handle
 * @param {NodeJS.Signals} [signal]
 */
async function stop(handle, graceMs = 5000, signal = 'SIGTERM') {
	const { child, done } = handle;
	if (child.exitCode !== null || child.signalCode !== null) return done;
	killGroup(child, signal);
	const t = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
	const r = await done;
	clearTimeout(t);
	return r;
}

/** How many children are still running. */
const running = () => live.size;

/**
 * The last lines of a text.
 * @param {string} text
 */
function tail(text, lines = 40) {
	return String(text || '')
		.split('\n')
		.slice(-lines)
		.join('\n');
}

module.exports = { start, run, stop, killAll, killRegistered, onExit, onSignal, running, tail };
