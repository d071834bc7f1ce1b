'use strict';
// Child-process helpers shared by the e2e test, the benchmark and the dev script.
// Every child gets a timeout, runs in its own process group, and is killed when this process exits.

const { spawn } = require('node:child_process');

const live = new Set();

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

function killAll(signal = 'SIGKILL') {
	for (const child of live) killGroup(child, signal);
}

let handlersInstalled = false;
const exitHooks = [];
/** Registers a synchronous function to run when the process exits (after children are killed). */
function onExit(fn) {
	exitHooks.push(fn);
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
 * Starts a command. Returns { child, done } where done resolves to
 * { code, signal, stdout, stderr, timedOut, ms } (it never rejects for a non-zero exit).
 * options: cwd, env, timeoutMs (required, default 10 min), input (string for stdin),
 * echo (true: copy output to our stderr as it arrives), onLine(line, stream),
 * keep (false: do not buffer output, for long-running servers).
 */
function start(cmd, args, options = {}) {
	installHandlers();
	const timeoutMs = options.timeoutMs ?? 10 * 60 * 1000;
	const t0 = Date.now();
	const child = spawn(cmd, args, {
		cwd: options.cwd,
		env: options.env ?? process.env,
		stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
		detached: true, // own process group, so the whole tree can be killed
	});
	live.add(child);
	let stdout = '';
	let stderr = '';
	let timedOut = false;
	const keep = options.keep !== false;
	const lineBuf = { stdout: '', stderr: '' };
	const handle = (name) => (chunk) => {
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
	const timer = setTimeout(() => {
		timedOut = true;
		killGroup(child, 'SIGTERM');
		setTimeout(() => killGroup(child, 'SIGKILL'), 5000).unref();
	}, timeoutMs);
	timer.unref();
	const done = new Promise((resolve) => {
		child.on('error', (err) => {
			stderr += `\n${err.message}`;
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			// A last line without a newline still reaches the listener.
			for (const name of ['stdout', 'stderr']) {
				if (!options.onLine || !lineBuf[name]) continue;
				try {
					options.onLine(lineBuf[name], name);
				} catch {
					// a listener error must not break the pipe
				}
				lineBuf[name] = '';
			}
			live.delete(child);
			resolve({ code, signal, stdout, stderr, timedOut, ms: Date.now() - t0 });
		});
	});
	return { child, done };
}

/** Runs a command to completion (see start). */
function run(cmd, args, options = {}) {
	return start(cmd, args, options).done;
}

/** Stops a started child: SIGTERM to its group, then SIGKILL after graceMs. */
async function stop(handle, graceMs = 5000) {
	const { child, done } = handle;
	if (child.exitCode !== null || child.signalCode !== null) return done;
	killGroup(child, 'SIGTERM');
	const t = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
	const r = await done;
	clearTimeout(t);
	return r;
}

function tail(text, lines = 40) {
	return String(text || '').split('\n').slice(-lines).join('\n');
}

module.exports = { start, run, stop, killAll, onExit, tail };
