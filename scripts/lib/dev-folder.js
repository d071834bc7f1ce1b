'use strict';
// `npm run dev` keeps everything in its dev folder (git-ignored): the n8n user folder, the MSC
// sandbox's database, and the secrets made on the first run (mode 0600, never printed). The editor on
// the default port 5678 uses .dev/, one on another --port uses .dev-<port>/, so two `npm run dev`
// side by side have their own n8n, database and credentials.

const fs = require('node:fs');
const path = require('node:path');
const { REPO_ROOT } = require('./n8n');

const DEFAULT_EDITOR_PORT = 5678;
let folder = path.join(REPO_ROOT, '.dev');

/**
 * Picks the dev folder for the editor's port (call before anything else of this module).
 * @param {number} editorPort
 */
function chooseDevFolder(editorPort) {
	folder = path.join(REPO_ROOT, editorPort === DEFAULT_EDITOR_PORT ? '.dev' : `.dev-${editorPort}`);
}

/** The dev folder (absolute). */
const devDir = () => folder;
/** The dev folder as shown to the user (relative to the repository). */
const devDirName = () => `${path.relative(REPO_ROOT, folder)}/`;
/** n8n's user folder inside it. */
const userFolder = () => path.join(folder, 'n8n');

/** @param {string} msg */
const say = (msg) => console.log(`[dev] ${msg}`);

/** Creates the dev folder (deleting it first on --reset). */
function prepareDevFolder(reset) {
	if (reset && fs.existsSync(folder)) {
		say(`--reset: deleting ${devDirName()}`);
		fs.rmSync(folder, { recursive: true, force: true });
	}
	fs.mkdirSync(userFolder(), { recursive: true });
	say(`dev folder: ${devDirName()}`);
}

/**
 * A secret kept in the dev folder (created once, mode 0600).
 * @param {string} file
 * @param {() => string} make
 */
function devSecret(file, make) {
	const p = path.join(folder, file);
	if (!fs.existsSync(p)) fs.writeFileSync(p, make(), { mode: 0o600 });
	return fs.readFileSync(p, 'utf8').trim();
}

/** The trimmed content of a file in the dev folder, '' when it does not exist. */
function readDevFile(file) {
	const p = path.join(folder, file);
	return fs.existsSync(p) ? fs.readFileSync(p, 'utf8').trim() : '';
}

/**
 * @param {string} file
 * @param {string} content
 * @param {number} [mode]
 */
function writeDevFile(file, content, mode) {
	fs.writeFileSync(path.join(folder, file), content, mode === undefined ? undefined : { mode });
}

module.exports = {
	chooseDevFolder,
	devDir,
	devDirName,
	userFolder,
	say,
	prepareDevFolder,
	devSecret,
	readDevFile,
	writeDevFile,
};
