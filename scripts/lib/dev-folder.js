'use strict';
// `npm run dev` keeps everything in .dev/ (git-ignored): the n8n user folder, the MSC sandbox's
// database, and the secrets made on the first run (mode 0600, never printed).

const fs = require('node:fs');
const path = require('node:path');
const { REPO_ROOT } = require('./n8n');

const DEV_DIR = path.join(REPO_ROOT, '.dev');
const USER_FOLDER = path.join(DEV_DIR, 'n8n');

/** @param {string} msg */
const say = (msg) => console.log(`[dev] ${msg}`);

/** Creates .dev/ (deleting it first on --reset). */
function prepareDevFolder(reset) {
	if (reset && fs.existsSync(DEV_DIR)) {
		say('--reset: deleting .dev/');
		fs.rmSync(DEV_DIR, { recursive: true, force: true });
	}
	fs.mkdirSync(USER_FOLDER, { recursive: true });
}

/**
 * A secret kept in .dev/ (created once, mode 0600).
 * @param {string} file
 * @param {() => string} make
 */
function devSecret(file, make) {
	const p = path.join(DEV_DIR, file);
	if (!fs.existsSync(p)) fs.writeFileSync(p, make(), { mode: 0o600 });
	return fs.readFileSync(p, 'utf8').trim();
}

/** The trimmed content of a file in .dev/, '' when it does not exist. */
function readDevFile(file) {
	const p = path.join(DEV_DIR, file);
	return fs.existsSync(p) ? fs.readFileSync(p, 'utf8').trim() : '';
}

/**
 * @param {string} file
 * @param {string} content
 * @param {number} [mode]
 */
function writeDevFile(file, content, mode) {
	fs.writeFileSync(path.join(DEV_DIR, file), content, mode === undefined ? undefined : { mode });
}

module.exports = {
	DEV_DIR,
	USER_FOLDER,
	say,
	prepareDevFolder,
	devSecret,
	readDevFile,
	writeDevFile,
};
