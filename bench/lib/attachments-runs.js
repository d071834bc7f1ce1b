'use strict';
// One row of the attachment benchmark: `n8n execute` of one workflow, its memory sampled from /proc
// while it runs, its printed run data read without keeping the binaries it may hold, and the sink's
// count (and dump) checked afterwards.

const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { start, tail } = require('../../scripts/lib/proc');
const { nodeItems, nodeRuns, parseRunOutput, runError } = require('../../scripts/lib/n8n');
const { waitForCount } = require('./smtp-sink');
const { takeDump } = require('./attachments-sink');
const { sampleMemory, windowOf } = require('./attachments-memory');

/** A printed line longer than this has its long JSON strings (base64 binaries) cut out. */
const LONG_LINE = 4096;

/**
 * A line of the printed run with every string value over 1,000 characters replaced by a short one:
 * in the in-memory binary data mode the run data holds every file as base64, which the benchmark
 * does not need and should not hold.
 * @param {string} line
 */
function shorten(line) {
	if (line.length <= LONG_LINE) return line;
	return line.replace(/"[^"\\]{1000,}"/g, (s) => `"[${s.length - 2} characters]"`);
}

/**
 * The printed run, read line by line from the file it went to, with long strings cut.
 * @param {string} file
 */
async function readPrinted(file) {
	const lines = [];
	const input = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1024 * 1024 });
	for await (const line of readline.createInterface({ input, crlfDelay: Infinity }))
		lines.push(shorten(line));
	return lines.join('\n');
}

/**
 * `n8n execute --id=<id> --rawOutput` with its pid known, so its memory can be sampled. Its
 * standard output goes to a file: n8n exits right after printing the run, and what is still queued
 * for a pipe is lost (megabytes of base64 in the in-memory mode), while a file is written at once.
 * @param {import('../../scripts/lib/n8n-instance').N8n} n8n
 * @param {string} id
 */
async function executeSampled(n8n, id, timeoutMs = 30 * 60 * 1000) {
	const out = path.join(n8n.userFolder, `execute-${id}.out`);
	const t = Date.now();
	// `exec` keeps the pid: the shell becomes n8n.
	const script = 'exec "$0" "$@" > "$BENCH_EXECUTE_OUT"';
	const args = [
		'-c',
		script,
		n8n.paths.node,
		n8n.paths.n8nBin,
		'execute',
		`--id=${id}`,
		'--rawOutput',
	];
	const handle = start('bash', args, {
		cwd: n8n.userFolder,
		env: { ...n8n.env, BENCH_EXECUTE_OUT: out },
		timeoutMs,
	});
	const sampler = sampleMemory(handle.child.pid);
	const result = await handle.done;
	const memory = sampler.stop();
	const wallMs = Date.now() - t;
	const stdout = fs.existsSync(out) ? await readPrinted(out) : '';
	fs.rmSync(out, { force: true });
	const run = parseRunOutput(stdout);
	if (!run) {
		throw new Error(
			`n8n execute printed no run data (exit ${result.code}${result.timedOut ? ', timed out' : ''}):\n` +
				`${tail(stdout, 30)}\n${tail(result.stderr, 30)}`,
		);
	}
	return { run, memory, wallMs };
}

/**
 * @typedef {object} AttachmentRow
 * @property {string} key  ours | builtin
 * @property {string} mode  the binary data mode asked for
 * @property {string} stored  how the file-reading node's output held the first binary (its id's prefix, or memory)
 * @property {number} run  1, 2, ...
 * @property {number} items
 * @property {number | null} nodeSeconds  the email node's executionTime
 * @property {number} wallSeconds  the whole `n8n execute`
 * @property {number} ok  items reported sent
 * @property {number} received  messages smtp-sink counted
 * @property {{ messages: number, bytes: number, min: number, max: number, sampleMatches: boolean | null } | null} dump
 * @property {number} mainHwm  n8n's VmHWM (bytes)
 * @property {number} childrenHwm  its descendants' VmHWM summed (bytes)
 * @property {number | null} rssAtStart  n8n's VmRSS when the email node started (bytes)
 * @property {number} peakInNode  n8n's highest sampled VmRSS while the email node ran (bytes)
 * @property {number | null} cpuSeconds  CPU time n8n used while the email node ran (from the samples around it)
 * @property {number | null} firstMessageSeconds  from the email node's start until the sink had the first message
 * @property {string | null} error
 */

/**
 * Runs one workflow and checks it against the sink.
 * @returns {Promise<AttachmentRow>}
 */
async function runAttachmentRow({ n8n, wf, sink, key, mode, run: runNo, items, file }) {
	const before = sink.count();
	const { run, memory, wallMs } = await executeSampled(n8n, wf.id);
	const out = nodeItems(run, 'Email');
	const nodeRun = nodeRuns(run, 'Email')[0];
	const received = (await waitForCount(sink, before + items, 10000)) - before;
	const ok = out.filter(
		(i) => i.json && !i.json.error && (i.json.status === undefined || i.json.status === 'sent'),
	).length;
	const nodeMs =
		nodeRun && typeof nodeRun.executionTime === 'number' ? nodeRun.executionTime : null;
	const started = nodeRun && typeof nodeRun.startTime === 'number' ? nodeRun.startTime : null;
	const window =
		started !== null
			? windowOf(memory.samples, started, started + (nodeMs ?? 0))
			: { atStart: null, peak: 0, cpu: null };
	const firstBinary = nodeItems(run, 'Read file')[0]?.binary?.data;
	const dump = takeDump(sink, file);
	return {
		key,
		mode,
		stored: firstBinary ? (firstBinary.id ? String(firstBinary.id).split(':')[0] : 'memory') : '-',
		run: runNo,
		items,
		nodeSeconds: nodeMs === null ? null : nodeMs / 1000,
		wallSeconds: wallMs / 1000,
		ok,
		received,
		dump,
		mainHwm: memory.mainHwm,
		childrenHwm: memory.childrenHwm,
		rssAtStart: window.atStart,
		peakInNode: window.peak,
		cpuSeconds: window.cpu,
		firstMessageSeconds: dump?.firstAt && started ? (dump.firstAt - started) / 1000 : null,
		error: runError(run),
	};
}

module.exports = { runAttachmentRow, executeSampled, shorten };
