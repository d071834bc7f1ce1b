'use strict';
// The seeded-secret check, the last part of the end-to-end run (test/e2e/seeded-secrets.e2e.ts). Each
// secret field of each credential the run used held a marker made for this run
// (scripts/lib/secret-scan.js); every part handed its markers, the texts its servers received and the
// output of its n8n commands to the run's journal (scripts/lib/e2e-run.js). None may appear in:
//   - what every n8n command printed at log level debug: the run data of `n8n execute --rawOutput`
//     (every output item and error of every execution), log lines, the server's lines;
//   - the exports: `n8n export:workflow --all` and `n8n export:credentials --all` (stored, not
//     decrypted) of every n8n user folder. (`export:entities` writes its files encrypted, so the
//     execution records are read from the database instead:)
//   - every row of every table of every SQLite database of the run (n8n's execution records, workflows
//     with their static data, stored credentials; the MSC sandbox's database), and the raw database
//     files with their write-ahead logs: credentials are stored encrypted, so a marker there leaked;
//   - every file under the run's folder (the n8n user folders, the installed community package, the
//     sandbox, the copy of the Postfix mailbox), every file of the repository and of n8n's own
//     folders in the system's temporary folder written during the run;
//   - every message the SMTP servers and the fake Google received.
// The self-check proves the scan can fail: markers planted in files (plain, as AUTH PLAIN base64, in
// a long SQLite row) and the decoy a workflow carried in a lead's field must be found where they are.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { REPO_ROOT, N8n, transcript: ownTranscript } = require('./n8n');
const { SecretSet, formatHits } = require('./secret-scan');
const { loadJournal } = require('./e2e-run');
const { secs } = require('./e2e-common');

/**
 * @typedef {import('./e2e-common').Check} Check
 * @typedef {import('./secret-scan').Hit} Hit
 */
const SELF_CHECK_DIR = 'scanner-self-check';
/** The folders n8n 2.40 makes in the system's temporary folder (read in its code: os.tmpdir() callers). */
const N8N_TMP_FOLDERS = /^(n8nDataTableUploads|n8n-promotions-|n8n-instance-ai-browser)/;

/**
 * Runs `task` over `list` with at most `limit` at once.
 * @template T
 * @param {T[]} list
 * @param {number} limit
 * @param {(item: T) => Promise<void>} task
 */
async function eachLimited(list, limit, task) {
	let next = 0;
	const worker = async () => {
		while (next < list.length) await task(list[next++]);
	};
	await Promise.all(Array.from({ length: Math.min(limit, list.length) }, worker));
}

/**
 * `n8n export:workflow --all` and `export:credentials --all` into <user folder>/e2e-exports.
 * @param {N8n[]} instances
 */
async function exportAll(instances) {
	/** @type {string[]} */
	const failures = [];
	/** @type {Array<[N8n, string[]]>} */
	const jobs = [];
	for (const n8n of instances) {
		const dir = path.join(n8n.userFolder, 'e2e-exports');
		fs.mkdirSync(dir, { recursive: true });
		jobs.push([n8n, ['export:workflow', '--all', `--output=${path.join(dir, 'workflows.json')}`]]);
		jobs.push([
			n8n,
			['export:credentials', '--all', `--output=${path.join(dir, 'credentials.json')}`],
		]);
	}
	await eachLimited(jobs, 2, async ([n8n, args]) => {
		const r = await n8n.cli(args, { allowFailure: true });
		const file = args[2].slice('--output='.length);
		// n8n refuses to export an empty list; that is no failure here.
		if (r.code !== 0 && !/No (workflows|credentials) found/i.test(r.stdout + r.stderr))
			failures.push(`n8n ${args[0]} in ${n8n.userFolder} failed (exit ${r.code})`);
		else if (r.code === 0 && !fs.existsSync(file)) failures.push(`n8n ${args[0]} wrote no ${file}`);
	});
	return { failures, count: jobs.length };
}

/**
 * Plants markers where the scan must find them; returns the planted files and what each must show.
 * @param {SecretSet} secrets
 * @param {string} tmp
 */
function plant(secrets, tmp) {
	const { DatabaseSync } = require('node:sqlite');
	const dir = path.join(tmp, SELF_CHECK_DIR);
	fs.mkdirSync(dir, { recursive: true });
	const real = secrets.secrets.filter((s) => !s.decoy);
	// The decoy comes from the On Error part; without it, plant one: the self-check then says it was
	// not found in the run output.
	const decoy = secrets.secrets.find((s) => s.decoy) || secrets.secrets[secrets.secrets.length - 1];
	const files = {
		plain: path.join(dir, 'planted-plain.txt'),
		authPlain: path.join(dir, 'planted-auth-plain.txt'),
		sqlite: path.join(dir, 'planted.sqlite'),
	};
	fs.writeFileSync(files.plain, real.map((s) => `${s.label}: ${s.value}`).join('\n'));
	fs.writeFileSync(
		files.authPlain,
		`C: AUTH PLAIN ${Buffer.from(`\u0000e2e-user\u0000${real[0].value}`).toString('base64')}\r\n`,
	);
	const db = new DatabaseSync(files.sqlite);
	db.exec('CREATE TABLE planted (id INTEGER PRIMARY KEY, data TEXT)');
	// Longer than a database page: the value is split across overflow pages, where only SQL sees it whole.
	db.prepare('INSERT INTO planted (data) VALUES (?)').run(
		`${'x'.repeat(9000)}${decoy.value}${'y'.repeat(9000)}`,
	);
	db.close();
	return { files, real, decoy };
}

/**
 * Exports every n8n user folder of the run, plants the self-check's markers, and scans everything.
 * Returns the two checks: the self-check and "no secret anywhere".
 * @param {import('./e2e-run').E2eRun} run
 * @returns {Promise<{ selfCheck: Check, noSecret: Check }>}
 */
async function scanRun(run) {
	const journal = loadJournal(run);
	if (!journal.parts.length) {
		throw new Error(
			`no part of the run handed over its secrets (${run.journal}): the scan needs the other parts to run first`,
		);
	}
	const secrets = new SecretSet();
	for (const s of journal.secrets) secrets.add(s.label, s.value, { decoy: s.decoy });
	if (!secrets.secrets.some((s) => s.decoy))
		secrets.decoy('decoy planted by the self-check (the On Error part did not run)');
	let t = Date.now();
	const instances = await Promise.all(journal.instances.map((i) => N8n.create(run.n8n, i.options)));
	const exports = await exportAll(instances);
	const exportTook = secs(t);
	t = Date.now();
	const planted = plant(secrets, run.work);
	const plantedFiles = new Set(Object.values(planted.files));

	// --- texts: every n8n command's output, the messages servers received -------------------------
	const texts = [];
	for (const entry of [...journal.transcript, ...ownTranscript]) {
		const folder = path.relative(run.work, entry.folder) || entry.folder;
		texts.push({ where: `${entry.command} [${folder}] stdout`, text: entry.stdout, n8n: true });
		texts.push({ where: `${entry.command} [${folder}] stderr`, text: entry.stderr, n8n: true });
	}
	texts.push(...journal.texts.map((entry) => ({ ...entry, n8n: false })));
	const textHits = texts.flatMap(({ where, text }) => secrets.scanText(where, text));
	const textBytes = texts.reduce((sum, { text }) => sum + Buffer.byteLength(String(text ?? '')), 0);

	// --- files and databases ----------------------------------------------------------------------
	const since = run.startedAt;
	const tmpScan = secrets.scanTree(run.work);
	const repoScan = secrets.scanTree(REPO_ROOT, { since, skipDirs: ['node_modules', '.git'] });
	const n8nTmpScans = fs
		.readdirSync(os.tmpdir(), { withFileTypes: true })
		.filter((entry) => entry.isDirectory() && N8N_TMP_FOLDERS.test(entry.name))
		.map((entry) => secrets.scanTree(path.join(os.tmpdir(), entry.name), { since }));
	const dbResults = tmpScan.sqlite.map((file) => ({ file, ...secrets.scanSqlite(file) }));
	const dbHits = dbResults.flatMap((r) => r.hits);
	const scanTook = secs(t);
	const allHits = [
		...textHits,
		...tmpScan.hits,
		...repoScan.hits,
		...n8nTmpScans.flatMap((s) => s.hits),
		...dbHits,
	];

	const selfCheck = checkSelf({ planted, allHits, dbHits });
	const leaks = allHits.filter(
		(hit) => !hit.decoy && !plantedFiles.has(hit.where.replace(/ \[table .*$/, '')),
	);
	const f = [...exports.failures];
	if (leaks.length)
		f.push(`${leaks.length} places hold a secret:\n       ${formatHits(leaks).join('\n       ')}`);
	const n8nTexts = texts.filter((entry) => entry.n8n);
	const tables = dbResults.reduce((sum, r) => sum + r.tables, 0);
	const rows = dbResults.reduce((sum, r) => sum + r.rows, 0);
	const levels = [...new Set(instances.map((n8n) => n8n.env.N8N_LOG_LEVEL))].join('/');
	const n8nTmpFiles = n8nTmpScans.reduce((sum, r) => sum + r.files, 0);
	const details = [
		`${planted.real.length} secrets (${planted.real.map((s) => s.label).join('; ')}), ` +
			'each searched plain, URL-encoded, base64 in 3 alignments and by its first part',
		`${n8nTexts.length / 2} n8n commands' stdout and stderr at log level ${levels} ` +
			`(${(textBytes / 1e6).toFixed(1)} MB with ${texts.length - n8nTexts.length} received messages); ${exports.count} exports`,
		`${tmpScan.files} files (${(tmpScan.bytes / 1e6).toFixed(1)} MB) under the run's folder, ${repoScan.files} repository files ` +
			`and ${n8nTmpFiles} files of n8n's folders in ${os.tmpdir()} written during the run`,
		`${dbResults.length} SQLite databases read through SQL: ${tables} tables, ${rows} rows`,
		`${journal.parts.length} parts handed over their secrets: ${journal.parts.join(', ')}`,
		`exports took ${exportTook} s, the scan ${scanTook} s`,
	];
	return { selfCheck, noSecret: { failures: f, details } };
}

/**
 * The self-check: the planted markers and the decoy a lead carried are found where they are.
 * @param {{ planted: ReturnType<typeof plant>, allHits: Hit[], dbHits: Hit[] }} scan
 * @returns {Check}
 */
function checkSelf({ planted, allHits, dbHits }) {
	const f = [];
	const plantedFiles = new Set(Object.values(planted.files));
	const inFile = (/** @type {string} */ file) =>
		allHits.filter((hit) => hit.where === file || hit.where.startsWith(`${file} [table`));
	for (const s of planted.real) {
		if (!inFile(planted.files.plain).some((hit) => hit.label === s.label && hit.form === 'plain')) {
			f.push(`the marker of "${s.label}" planted in ${planted.files.plain} was not found`);
		}
	}
	if (
		!inFile(planted.files.authPlain).some(
			(hit) => hit.label === planted.real[0].label && /^base64/.test(hit.form),
		)
	) {
		f.push(`the AUTH PLAIN (base64) form planted in ${planted.files.authPlain} was not found`);
	}
	if (
		!dbHits.some(
			(hit) => hit.where.startsWith(`${planted.files.sqlite} [table planted`) && hit.decoy,
		)
	) {
		f.push(`the decoy in a long row of ${planted.files.sqlite} was not found through SQL`);
	}
	const decoyHits = allHits.filter(
		(hit) => hit.decoy && !plantedFiles.has(hit.where.replace(/ \[table .*$/, '')),
	);
	const decoyInRunOutput = decoyHits.filter((hit) => /^n8n execute .* stdout$/.test(hit.where));
	const decoyInExecutions = decoyHits.filter((hit) =>
		/database\.sqlite \[table execution_data, column data\]$/.test(hit.where),
	);
	if (!decoyInRunOutput.length) {
		f.push(
			'the decoy a lead carried was not found in any `n8n execute` output: the scan does not reach the run data',
		);
	}
	if (!decoyInExecutions.length) {
		f.push(
			'the decoy a lead carried was not found in any execution record (execution_data): the scan does not reach the database',
		);
	}
	const outputs = new Set(decoyInRunOutput.map((hit) => hit.where)).size;
	const places = [...new Set(decoyHits.map((hit) => path.basename(hit.where)))].join('; ');
	const found = `${outputs} n8n execute output(s), ${decoyInExecutions.length} execution record(s), ${decoyHits.length} places in all`;
	return { failures: f, details: [`decoy found in ${found}: ${places}`] };
}

module.exports = { scanRun };
