'use strict';
// Memory of a running process and its descendants (n8n and its task runner), read from /proc every
// ~100 ms: VmRSS (now) and VmHWM (the kernel's own peak) of each, and the process's CPU time, with
// the time of each sample, so a caller can also ask what happened inside a time window (one node's
// run). CPU seconds hold up better than wall seconds on a machine shared with other work.

const fs = require('node:fs');

const KB = 1024;

/**
 * VmRSS and VmHWM of one process in bytes, or null once it is gone.
 * @param {number} pid
 * @returns {{ rss: number, hwm: number } | null}
 */
function readStatus(pid) {
	let text;
	try {
		text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	} catch {
		return null;
	}
	const field = (name) => {
		const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
		return m ? Number(m[1]) * KB : 0;
	};
	return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) a process has used so far, or null once it is gone.
 * @param {number} pid
 */
function readCpuSeconds(pid) {
	let text;
	try {
		text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	} catch {
		return null;
	}
	// The fields after the command name (which may hold spaces) in parentheses: utime is the 12th.
	const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
	return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * The pids of a process's children (from every thread's children list).
 * @param {number} pid
 * @returns {number[]}
 */
function childrenOf(pid) {
	let tasks = [];
	try {
		tasks = fs.readdirSync(`/proc/${pid}/task`);
	} catch {
		return [];
	}
	const pids = new Set();
	for (const task of tasks) {
		try {
			const list = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
			for (const child of list ? list.split(/\s+/) : []) pids.add(Number(child));
		} catch {
			// the thread ended
		}
	}
	return [...pids];
}

/**
 * Every descendant of a process (children, their children, ...).
 * @param {number} pid
 */
function descendantsOf(pid) {
	const found = [];
	const queue = childrenOf(pid);
	while (queue.length) {
		const next = queue.shift();
		if (found.includes(next)) continue;
		found.push(next);
		queue.push(...childrenOf(next));
	}
	return found;
}

/**
 * @typedef {{ t: number, main: number, children: number, cpu: number }} Sample  resident bytes and
 *   the process's CPU seconds so far, at time t (ms)
 * @typedef {object} MemoryReport
 * @property {number} mainHwm  VmHWM of the process: its peak resident size over its whole life
 * @property {number} childrenHwm  the sum of each descendant's VmHWM (peaks that may not coincide)
 * @property {number} peakTotal  the highest sampled VmRSS of the process plus its descendants
 * @property {number} childCount  descendants seen
 * @property {Sample[]} samples
 */

/**
 * Samples a process and its descendants every `intervalMs` until stop() is called.
 * @param {number} pid
 * @returns {{ stop: () => MemoryReport }}
 */
function sampleMemory(pid, intervalMs = 100) {
	/** @type {Sample[]} */
	const samples = [];
	let mainHwm = 0;
	/** @type {Map<number, number>} the last VmHWM read of each descendant */
	const childHwm = new Map();
	const tick = () => {
		const main = readStatus(pid);
		if (!main) return;
		mainHwm = Math.max(mainHwm, main.hwm);
		let children = 0;
		for (const child of descendantsOf(pid)) {
			const status = readStatus(child);
			if (!status) continue;
			children += status.rss;
			childHwm.set(child, Math.max(childHwm.get(child) || 0, status.hwm));
		}
		samples.push({ t: Date.now(), main: main.rss, children, cpu: readCpuSeconds(pid) ?? NaN });
	};
	tick();
	const timer = setInterval(tick, intervalMs);
	return {
		stop() {
			clearInterval(timer);
			tick();
			let childrenHwm = 0;
			for (const hwm of childHwm.values()) childrenHwm += hwm;
			const peakTotal = Math.max(0, ...samples.map((s) => s.main + s.children));
			return { mainHwm, childrenHwm, peakTotal, childCount: childHwm.size, samples };
		},
	};
}

/**
 * The process's resident size when a window began (the last sample before it), its highest sample
 * inside it, and the CPU seconds it used from that sample to the first one after the window.
 * @param {Sample[]} samples
 * @param {number} from  ms
 * @param {number} to  ms
 */
function windowOf(samples, from, to) {
	let start = null;
	let end = null;
	let peak = 0;
	for (const s of samples) {
		if (s.t <= from) start = s;
		else if (s.t <= to) peak = Math.max(peak, s.main);
		else if (!end) end = s;
	}
	const atStart = start ? start.main : null;
	const cpu = start && end ? end.cpu - start.cpu : null;
	return { atStart, peak: Math.max(peak, atStart || 0), cpu };
}

module.exports = { sampleMemory, windowOf, readStatus, readCpuSeconds, descendantsOf };
