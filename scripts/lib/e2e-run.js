'use strict';
// The run of the real-n8n end-to-end test (jest.e2e.config.js). Its global setup prepares the run
// once: installs the pinned n8n, builds the package (a copy of the build the run cannot lose to
// another build of the same checkout), packs it, or takes the tarball E2E_TARBALL names. Every test
// file (one part: test/e2e/*.e2e.ts) opens the run, works in its folder, and hands over what the
// seeded-secret check needs (jest runs each file with modules of its own, so nothing is shared in
// memory): its markers, the texts its servers received, its n8n instances and what they printed.
//
//   <run>/work/      what the parts write: the build's copy, the tarball, n8n user folders, the
//                    sandbox, a copy of the Postfix mailbox (the seeded-secret check scans it all)
//   <run>/journal/   run.json (the setup), parts/<part>.json (what each part hands over); never
//                    scanned: it holds the markers themselves
//   <run>/children/  one file per running child process (PROC_CHILD_REGISTRY of scripts/lib/proc.js),
//                    killed when the run ends or is interrupted
//
// KEEP_TMP=1 keeps the run's folder, with what every n8n command printed in <run>/n8n-output.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { killRegistered } = require('./proc');
const { installN8n, buildSnapshot, packPackage, log } = require('./n8n');

const RUN_VAR = 'E2E_RUN_DIR';
const LOG_LEVEL = 'debug';

/**
 * @typedef {object} E2eRun
 * @property {string} root
 * @property {string} work  the folder the parts write in (scanned)
 * @property {string} journal  what the parts hand over (not scanned)
 * @property {string} children  PROC_CHILD_REGISTRY
 * @property {number} startedAt  Date.now() when the setup started (files written since are scanned)
 * @property {import('./n8n-instance').N8nPaths} n8n
 * @property {string} packageRoot  the copy of the build (package.json, dist/)
 * @property {string} dist  N8N_CUSTOM_EXTENSIONS and the MSC sandbox
 * @property {{ file: string, size: number, entryCount?: number }} tarball  entryCount when packed here
 * @property {string} logLevel  every n8n command's N8N_LOG_LEVEL: its log lines are scanned too
 */
/**
 * What one part hands over.
 * @typedef {object} PartRecord
 * @property {Array<{ label: string, value: string, decoy: boolean }>} secrets
 * @property {Array<{ where: string, text: string }>} texts
 * @property {Array<{ userFolder: string, options: import('./n8n-instance').N8nOptions }>} instances
 * @property {import('./n8n-instance').TranscriptEntry[]} transcript
 */

/**
 * The global setup: makes the run's folder (E2E_RUN_DIR for the test files), installs n8n, builds,
 * packs (or takes E2E_TARBALL). Interrupting the run (Ctrl-C) stops every child and removes the folder.
 * @returns {Promise<E2eRun>}
 */
async function prepareRun() {
	const startedAt = Date.now();
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-channel-e2e-'));
	const dirs = {
		work: path.join(root, 'work'),
		journal: path.join(root, 'journal'),
		children: path.join(root, 'children'),
	};
	for (const dir of Object.values(dirs))
		fs.mkdirSync(path.join(dir, dir === dirs.journal ? 'parts' : ''), { recursive: true });
	process.env[RUN_VAR] = root;
	process.env.PROC_CHILD_REGISTRY = dirs.children;
	guardExit(root, dirs.children);
	const n8n = await installN8n();
	log(`\ne2e: n8n ${n8n.version} at ${n8n.dir}`);
	const pkg = await buildSnapshot(path.join(dirs.work, 'package'));
	log(`e2e: npm run build: ok (the run uses its copy in ${pkg.root})`);
	const tarball = await tarballFor(pkg.root, path.join(dirs.work, 'pack'));
	log(`e2e: tarball ${tarball.file}${tarball.entryCount === undefined ? ' (E2E_TARBALL)' : ''}`);
	/** @type {E2eRun} */
	const run = {
		root,
		...dirs,
		startedAt,
		n8n,
		packageRoot: pkg.root,
		dist: pkg.dist,
		tarball,
		logLevel: LOG_LEVEL,
	};
	fs.writeFileSync(path.join(dirs.journal, 'run.json'), JSON.stringify(run, null, 2));
	return run;
}

/**
 * The tarball E2E_TARBALL names (relative to where npm was started), or `npm pack` of the build's copy.
 * @param {string} packageRoot
 * @param {string} dest
 * @returns {Promise<E2eRun['tarball']>}
 */
async function tarballFor(packageRoot, dest) {
	const given = process.env.E2E_TARBALL;
	if (!given) return await packPackage(packageRoot, dest);
	const file = path.resolve(process.env.INIT_CWD || process.cwd(), given);
	if (!fs.existsSync(file) || !file.endsWith('.tgz'))
		throw new Error(`E2E_TARBALL: ${file} is not a .tgz file`);
	return { file, size: fs.statSync(file).size };
}

/**
 * In the jest process itself (the global setup runs there): on Ctrl-C or SIGTERM, stop every child
 * process of the run, then exit; on exit, kill what is left and remove the folder (unless KEEP_TMP).
 * @param {string} root
 * @param {string} children
 */
function guardExit(root, children) {
	process.on('exit', () => {
		killRegistered(children, 'SIGKILL');
		if (!process.env.KEEP_TMP) fs.rmSync(root, { recursive: true, force: true });
	});
	for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
		process.once(signal, () => {
			process.stderr.write(
				`\nReceived ${signal}, stopping the end-to-end run's child processes...\n`,
			);
			killRegistered(children, 'SIGTERM');
			const t0 = Date.now();
			const poll = setInterval(() => {
				if (fs.readdirSync(children).length === 0 || Date.now() - t0 > 10_000) {
					clearInterval(poll);
					process.exit(130);
				}
			}, 100);
		});
	}
}

/**
 * The run the global setup prepared (for a test file).
 * @returns {E2eRun}
 */
function openRun() {
	const root = process.env[RUN_VAR];
	if (!root || !fs.existsSync(path.join(root, 'journal', 'run.json'))) {
		throw new Error(
			`${RUN_VAR} names no prepared run: start the end-to-end test with npm run test:e2e (jest -c jest.e2e.config.js)`,
		);
	}
	return JSON.parse(fs.readFileSync(path.join(root, 'journal', 'run.json'), 'utf8'));
}

/**
 * A part hands over its markers, texts, n8n instances and their output.
 * @param {E2eRun} run
 * @param {string} part  a file name
 * @param {object} state
 * @param {import('./secret-scan').SecretSet} state.secrets
 * @param {import('./n8n-instance').N8n[]} state.instances
 * @param {import('./n8n-instance').TranscriptEntry[]} state.transcript
 */
function savePart(run, part, { secrets, instances, transcript }) {
	/** @type {PartRecord} */
	const record = {
		secrets: secrets.secrets.map(({ label, value, decoy }) => ({ label, value, decoy })),
		texts: secrets.texts.map(({ where, text }) => ({ where, text: String(text ?? '') })),
		instances: instances.map((n8n) => ({ userFolder: n8n.userFolder, options: n8n.options })),
		transcript,
	};
	fs.writeFileSync(path.join(run.journal, 'parts', `${part}.json`), JSON.stringify(record), {
		mode: 0o600,
	});
}

/**
 * Everything the parts handed over, merged.
 * @param {E2eRun} run
 */
function loadJournal(run) {
	const dir = path.join(run.journal, 'parts');
	const parts = fs
		.readdirSync(dir)
		.filter((name) => name.endsWith('.json'))
		.sort();
	/** @type {PartRecord & { parts: string[] }} */
	const all = {
		parts: parts.map((name) => name.replace(/\.json$/, '')),
		secrets: [],
		texts: [],
		instances: [],
		transcript: [],
	};
	for (const name of parts) {
		/** @type {PartRecord} */
		const record = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
		all.secrets.push(...record.secrets);
		all.texts.push(...record.texts);
		all.instances.push(...record.instances);
		all.transcript.push(...record.transcript);
	}
	return all;
}

/**
 * The global teardown: stops what a part left running; with KEEP_TMP=1 writes what every n8n command
 * printed to <run>/n8n-output and keeps the folder, else removes it.
 */
async function finishRun() {
	const root = process.env[RUN_VAR];
	if (!root || !fs.existsSync(root)) return;
	const children = path.join(root, 'children');
	if (killRegistered(children, 'SIGTERM')) {
		log('e2e: stopping child processes a part left running');
		await new Promise((resolve) => setTimeout(resolve, 3000));
		killRegistered(children, 'SIGKILL');
	}
	if (!process.env.KEEP_TMP) {
		fs.rmSync(root, { recursive: true, force: true });
		return;
	}
	const output = path.join(root, 'n8n-output');
	fs.mkdirSync(output, { recursive: true });
	const run = /** @type {E2eRun} */ (
		JSON.parse(fs.readFileSync(path.join(root, 'journal', 'run.json'), 'utf8'))
	);
	loadJournal(run).transcript.forEach((entry, i) => {
		const command = entry.command
			.replace(/^n8n /, '')
			.replace(/[^\w.=-]+/g, '_')
			.slice(0, 60);
		const name = `${String(i + 1).padStart(3, '0')}-${path.basename(entry.folder)}-${command}.log`;
		fs.writeFileSync(
			path.join(output, name),
			`$ ${entry.command}\n--- stdout\n${entry.stdout}\n--- stderr\n${entry.stderr}`,
		);
	});
	log(`e2e: KEEP_TMP: the run's folder is ${root}; what every n8n command printed is in ${output}`);
}

module.exports = { prepareRun, openRun, savePart, loadJournal, finishRun, LOG_LEVEL };
