'use strict';
// The seeded-secret check, run after every other part of scripts/e2e.js. Each secret field of each
// credential the run used held a marker made for this run (scripts/lib/secret-scan.js); none may
// appear in:
//   - what every n8n command printed at log level debug: the run data of `n8n execute --rawOutput`
//     (every output item and error of every execution), log lines, the server's lines;
//   - the exports: `n8n export:workflow --all` and `n8n export:credentials --all` (stored, not
//     decrypted) of every n8n user folder. (`export:entities` writes its files encrypted, so the
//     execution records are read from the database instead:)
//   - every row of every table of every SQLite database of the run (n8n's execution records, workflows
//     with their static data, stored credentials; the MSC sandbox's database), and the raw database
//     files with their write-ahead logs: credentials are stored encrypted, so a marker there leaked;
//   - every file under the run's temporary folder (the n8n user folders, the installed community
//     package, the sandbox), every file of the repository and of n8n's own folders in the system's
//     temporary folder written during the run;
//   - every message the SMTP servers and the fake Google received.
// Check 1 proves the scan can fail: markers planted in files (plain, as AUTH PLAIN base64, in a long
// SQLite row) and the decoy a workflow carried in a lead's field must be found where they are.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const n8nLib = require('./n8n');
const { formatHits } = require('./secret-scan');

const { REPO_ROOT } = n8nLib;
const CHECKS = 2;
const SELF_CHECK_DIR = 'scanner-self-check';
/** The folders n8n 2.40 makes in the system's temporary folder (read in its code: os.tmpdir() callers). */
const N8N_TMP_FOLDERS = /^(n8nDataTableUploads|n8n-promotions-|n8n-instance-ai-browser)/;

/** Runs `task` over `list` with at most `limit` at once. */
async function eachLimited(list, limit, task) {
	let next = 0;
	const worker = async () => {
		while (next < list.length) await task(list[next++]);
	};
	await Promise.all(Array.from({ length: Math.min(limit, list.length) }, worker));
}

/** `n8n export:workflow --all` and `export:credentials --all` into <user folder>/e2e-exports. */
async function exportAll(instances) {
	const failures = [];
	const jobs = [];
	for (const n8n of instances) {
		const dir = path.join(n8n.userFolder, 'e2e-exports');
		fs.mkdirSync(dir, { recursive: true });
		jobs.push([n8n, ['export:workflow', '--all', `--output=${path.join(dir, 'workflows.json')}`]]);
		jobs.push([n8n, ['export:credentials', '--all', `--output=${path.join(dir, 'credentials.json')}`]]);
	}
	await eachLimited(jobs, 2, async ([n8n, args]) => {
		const r = await n8n.cli(args, { allowFailure: true });
		const file = args[2].slice('--output='.length);
		// n8n refuses to export an empty list; that is no failure here.
		if (r.code !== 0 && !/No (workflows|credentials) found/i.test(r.stdout + r.stderr)) failures.push(`n8n ${args[0]} in ${n8n.userFolder} failed (exit ${r.code})`);
		else if (r.code === 0 && !fs.existsSync(file)) failures.push(`n8n ${args[0]} wrote no ${file}`);
	});
	return { failures, count: jobs.length };
}

/** Plants markers where the scan must find them; returns the planted files and what each must show. */
function plant(secrets, tmp) {
	const { DatabaseSync } = require('node:sqlite');
	const dir = path.join(tmp, SELF_CHECK_DIR);
	fs.mkdirSync(dir, { recursive: true });
	const real = secrets.secrets.filter((s) => !s.decoy);
	const decoy = secrets.secrets.find((s) => s.decoy);
	const files = {
		plain: path.join(dir, 'planted-plain.txt'),
		authPlain: path.join(dir, 'planted-auth-plain.txt'),
		sqlite: path.join(dir, 'planted.sqlite'),
	};
	fs.writeFileSync(files.plain, real.map((s) => `${s.label}: ${s.value}`).join('\n'));
	fs.writeFileSync(files.authPlain, `C: AUTH PLAIN ${Buffer.from(`\u0000e2e-user\u0000${real[0].value}`).toString('base64')}\r\n`);
	const db = new DatabaseSync(files.sqlite);
	db.exec('CREATE TABLE planted (id INTEGER PRIMARY KEY, data TEXT)');
	// Longer than a database page: the value is split across overflow pages, where only SQL sees it whole.
	db.prepare('INSERT INTO planted (data) VALUES (?)').run(`${'x'.repeat(9000)}${decoy.value}${'y'.repeat(9000)}`);
	db.close();
	return { files, real, decoy };
}

async function run({ secrets, tmp, since, record, received = () => [] }) {
	let t = Date.now();
	const exports = await exportAll(n8nLib.instances);
	const exportSecs = ((Date.now() - t) / 1000).toFixed(1);
	t = Date.now();
	const planted = plant(secrets, tmp);
	const plantedFiles = new Set(Object.values(planted.files));

	// --- texts: every n8n command's output, the messages servers received -------------------------
	const texts = [];
	for (const entry of n8nLib.transcript) {
		const folder = path.relative(tmp, entry.folder) || entry.folder;
		texts.push({ where: `${entry.command} [${folder}] stdout`, text: entry.stdout, n8n: true });
		texts.push({ where: `${entry.command} [${folder}] stderr`, text: entry.stderr, n8n: true });
	}
	texts.push(...received(), ...secrets.texts);
	const textHits = texts.flatMap(({ where, text }) => secrets.scanText(where, text));
	const textBytes = texts.reduce((sum, { text }) => sum + Buffer.byteLength(String(text ?? '')), 0);

	// --- files and databases ----------------------------------------------------------------------
	const tmpScan = secrets.scanTree(tmp);
	const repoScan = secrets.scanTree(REPO_ROOT, { since, skipDirs: ['node_modules', '.git'] });
	const n8nTmpScans = fs
		.readdirSync(os.tmpdir(), { withFileTypes: true })
		.filter((entry) => entry.isDirectory() && N8N_TMP_FOLDERS.test(entry.name))
		.map((entry) => secrets.scanTree(path.join(os.tmpdir(), entry.name), { since }));
	const dbResults = tmpScan.sqlite.map((file) => ({ file, ...secrets.scanSqlite(file) }));
	const dbHits = dbResults.flatMap((r) => r.hits);
	const elapsed = ((Date.now() - t) / 1000).toFixed(1);

	// --- 1: the scan finds what it must ------------------------------------------------------------
	const f1 = [];
	const allHits = [...textHits, ...tmpScan.hits, ...repoScan.hits, ...n8nTmpScans.flatMap((s) => s.hits), ...dbHits, ...secrets.scans.flatMap((s) => s.hits)];
	const inFile = (file, hits = allHits) => hits.filter((hit) => hit.where === file || hit.where.startsWith(`${file} [table`));
	for (const s of planted.real) {
		if (!inFile(planted.files.plain).some((hit) => hit.label === s.label && hit.form === 'plain')) f1.push(`the marker of "${s.label}" planted in ${planted.files.plain} was not found`);
	}
	if (!inFile(planted.files.authPlain).some((hit) => hit.label === planted.real[0].label && /^base64/.test(hit.form))) f1.push(`the AUTH PLAIN (base64) form planted in ${planted.files.authPlain} was not found`);
	if (!dbHits.some((hit) => hit.where.startsWith(`${planted.files.sqlite} [table planted`) && hit.decoy)) f1.push(`the decoy in a long row of ${planted.files.sqlite} was not found through SQL`);
	const decoyHits = allHits.filter((hit) => hit.decoy && !plantedFiles.has(hit.where.replace(/ \[table .*$/, '')));
	const decoyInRunOutput = decoyHits.filter((hit) => /^n8n execute .* stdout$/.test(hit.where));
	const decoyInExecutions = decoyHits.filter((hit) => /database\.sqlite \[table execution_data, column data\]$/.test(hit.where));
	if (!decoyInRunOutput.length) f1.push('the decoy a lead carried was not found in any `n8n execute` output: the scan does not reach the run data');
	if (!decoyInExecutions.length) f1.push('the decoy a lead carried was not found in any execution record (execution_data): the scan does not reach the database');
	record('seeded-secret check, self-check: the scanner finds planted markers (plain, AUTH PLAIN base64, a long SQLite row) and a decoy lead field in n8n\'s run output and execution records', f1, [
		`decoy found in ${new Set(decoyInRunOutput.map((hit) => hit.where)).size} n8n execute output(s), ${decoyInExecutions.length} execution record(s), ${decoyHits.length} places in all: ${[...new Set(decoyHits.map((hit) => path.basename(hit.where)))].join('; ')}`,
	]);

	// --- 2: no secret anywhere ------------------------------------------------------------------------
	const leaks = allHits.filter((hit) => !hit.decoy && !plantedFiles.has(hit.where.replace(/ \[table .*$/, '')));
	const f2 = [...exports.failures];
	if (leaks.length) f2.push(`${leaks.length} places hold a secret:\n       ${formatHits(leaks).join('\n       ')}`);
	const n8nTexts = texts.filter((entry) => entry.n8n);
	const tables = dbResults.reduce((sum, r) => sum + r.tables, 0);
	const rows = dbResults.reduce((sum, r) => sum + r.rows, 0);
	const extraFiles = secrets.scans.reduce((sum, s) => sum + s.files, 0);
	record('seeded-secret check: no secret marker in n8n output items, errors, log lines (debug), execution records, exports or files written during the run', f2, [
		`${planted.real.length} secrets (${planted.real.map((s) => s.label).join('; ')}), each searched plain, URL-encoded, base64 in 3 alignments and by its first part`,
		`${n8nTexts.length / 2} n8n commands' stdout and stderr at log level ${[...new Set(n8nLib.instances.map((n8n) => n8n.env.N8N_LOG_LEVEL))].join('/')} (${(textBytes / 1e6).toFixed(1)} MB with ${texts.length - n8nTexts.length} received messages); ${exports.count} exports`,
		`${tmpScan.files} files (${(tmpScan.bytes / 1e6).toFixed(1)} MB) under the run's temporary folder, ${repoScan.files} repository files and ${n8nTmpScans.reduce((sum, r) => sum + r.files, 0)} files of n8n's folders in ${os.tmpdir()} written during the run, ${extraFiles} files of the mailbox`,
		`${dbResults.length} SQLite databases read through SQL: ${tables} tables, ${rows} rows`,
		`exports took ${exportSecs} s, the scan ${elapsed} s`,
	]);
	if (process.env.KEEP_TMP) keepTranscript(tmp);
}

/** With KEEP_TMP=1: what every n8n command printed, one file each under <tmp>/n8n-output, to read after a failure. */
function keepTranscript(tmp) {
	const dir = path.join(tmp, 'n8n-output');
	fs.mkdirSync(dir, { recursive: true });
	n8nLib.transcript.forEach((entry, i) => {
		const name = `${String(i + 1).padStart(2, '0')}-${path.basename(entry.folder)}-${entry.command.replace(/^n8n /, '').replace(/[^\w.=-]+/g, '_').slice(0, 60)}.log`;
		fs.writeFileSync(path.join(dir, name), `$ ${entry.command}\n--- stdout\n${entry.stdout}\n--- stderr\n${entry.stderr}`);
	});
	console.log(`     n8n output kept in ${dir}`);
}

module.exports = { run, CHECKS };
