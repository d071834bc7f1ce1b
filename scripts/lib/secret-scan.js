'use strict';
// The seeded-secret check of the end-to-end run. Every secret field of every credential the run uses
// holds a value that exists nowhere else (SEED-<hex>, or a token the fake Google made for this run).
// After the run, every place n8n or the package may have put it is searched:
//   - texts: what every n8n command printed (run data of `n8n execute --rawOutput`, log lines at
//     level debug, the server's lines), the messages the SMTP servers received;
//   - files: every file under the scanned folders (n8n user folders with their SQLite database and
//     its WAL, event logs, exports; files of the repository written during the run);
//   - databases: every row of every table of every SQLite file found (execution records, workflows
//     with their static data, credentials as stored), read through SQL, so a value split across
//     database pages is still found.
// A secret counts as found in its plain form and as URL-encoded or base64-encoded text (AUTH PLAIN,
// AUTH LOGIN and HTTP Basic carry it that way), and by its first part alone (a secret cut short).
// A report names the place and shows at most 20 characters on each side, with every secret masked.
//
//   const secrets = new SecretSet();
//   const password = secrets.marker('Custom SMTP password');   // SEED-...
//   secrets.add('Gmail refresh token', token);                 // a value made elsewhere
//   const hits = secrets.scanText('n8n execute ...', text);
//   const { hits, files, bytes } = secrets.scanTree(folder);
//   const hits = secrets.scanSqlite(file);

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const CONTEXT_CHARS = 20;
const MIN_HEAD = 16;

/**
 * @typedef {{ label: string, value: string, decoy: boolean }} Secret
 * @typedef {{ secret: Secret, form: string, text: string, bytes: Buffer }} Needle
 * @typedef {{ where: string, label: string, decoy: boolean, form: string, offset: number, context: string }} Hit
 * @typedef {{ hits: Hit[], files: number, bytes: number, sqlite: string[] }} TreeScan
 */

/**
 * The parts of `secret`'s base64 encoding that do not depend on the bytes around it, for each of the
 * 3 alignments.
 * @param {string} secret
 */
function base64Cores(secret) {
	const cores = [];
	const bytes = Buffer.from(secret, 'utf8');
	for (let shift = 0; shift < 3; shift++) {
		const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
		// The first group mixes in the bytes before the secret (unless it starts a group), the last
		// one the bytes after it.
		const core = encoded.slice(shift ? 4 : 0, Math.floor((shift + bytes.length) / 3) * 4);
		if (core.length >= 12) cores.push(core);
	}
	return cores;
}

class SecretSet {
	constructor() {
		/** @type {Secret[]} */
		this.secrets = [];
		/** @type {Needle[]} */
		this.needles = [];
		/** @type {Array<{ where: string, text: string }>} Texts a part hands over for the final scan (what its servers received). */
		this.texts = [];
	}

	/**
	 * A new marker, unique to this run, registered under `label`.
	 * @param {string} label
	 */
	marker(label, prefix = '') {
		const value = `${prefix}SEED-${crypto.randomBytes(12).toString('hex')}`;
		this.add(label, value);
		return value;
	}

	/**
	 * A marker the test itself puts into workflow data, to prove the scan reaches where that data goes.
	 * @param {string} label
	 */
	decoy(label) {
		const value = `SEED-decoy-${crypto.randomBytes(12).toString('hex')}`;
		this.add(label, value, { decoy: true });
		return value;
	}

	/**
	 * Registers a secret. A decoy is a marker the test puts where it must be found (the scanner's
	 * self-check); its hits prove the scan reaches that place and never fail the check.
	 * @param {string} label
	 * @param {unknown} value
	 * @param {{ decoy?: boolean }} [options]
	 */
	add(label, value, { decoy = false } = {}) {
		const text = String(value);
		if (text.length < MIN_HEAD)
			throw new Error(`internal: the secret "${label}" is too short to be a marker`);
		if (this.secrets.some((s) => s.value === text)) return;
		const secret = { label, value: text, decoy };
		this.secrets.push(secret);
		// The head finds the whole secret too, and a secret cut short after its head.
		const head = text.slice(0, Math.max(MIN_HEAD, Math.ceil(text.length * 0.6)));
		const forms = new Map([
			['plain', head],
			['URL-encoded', encodeURIComponent(head)],
		]);
		for (const [i, core] of base64Cores(text).entries()) forms.set(`base64 (alignment ${i})`, core);
		for (const [form, needle] of forms) {
			if (this.needles.some((n) => n.secret === secret && n.text === needle)) continue;
			this.needles.push({ secret, form, text: needle, bytes: Buffer.from(needle, 'utf8') });
		}
	}

	get labels() {
		return this.secrets.map((s) => s.label);
	}

	/**
	 * The hits of every secret in `buffer`; `where` names the place.
	 * @param {string} where
	 * @param {Buffer} buffer
	 * @returns {Hit[]}
	 */
	scanBuffer(where, buffer) {
		const hits = [];
		for (const needle of this.needles) {
			let at = buffer.indexOf(needle.bytes);
			while (at !== -1) {
				const { label, decoy } = needle.secret;
				const context = this.context(buffer, at, needle.bytes.length);
				hits.push({ where, label, decoy, form: needle.form, offset: at, context });
				at = buffer.indexOf(needle.bytes, at + needle.bytes.length);
			}
		}
		return hits;
	}

	/**
	 * @param {string} where
	 * @param {unknown} text
	 */
	scanText(where, text) {
		return this.scanBuffer(where, Buffer.from(String(text ?? ''), 'utf8'));
	}

	/**
	 * At most CONTEXT_CHARS characters on each side, printable, with every piece of a secret masked.
	 * @param {Buffer} buffer
	 * @param {number} at
	 * @param {number} length
	 */
	context(buffer, at, length) {
		const before = this.mask(
			buffer.subarray(Math.max(0, at - CONTEXT_CHARS * 3), at).toString('latin1'),
		);
		const after = this.mask(
			buffer.subarray(at + length, at + length + CONTEXT_CHARS * 3).toString('latin1'),
		);
		const clean = (/** @type {string} */ text) => text.replace(/[^\x20-\x7e]/g, '.');
		return `${clean(before).slice(-CONTEXT_CHARS)}[secret]${clean(after.replace(/^\[secret\]/, '')).slice(0, CONTEXT_CHARS)}`;
	}

	/**
	 * Replaces every run of 5+ characters that is part of a secret (in any form) by [secret].
	 * @param {string} text
	 */
	mask(text) {
		const forms = this.secrets.flatMap((s) => [
			s.value,
			encodeURIComponent(s.value),
			...base64Cores(s.value),
		]);
		let out = '';
		let i = 0;
		while (i < text.length) {
			let length = 0;
			for (let len = text.length - i; len >= 5 && !length; len--) {
				const piece = text.substr(i, len);
				if (forms.some((form) => form.includes(piece))) length = len;
			}
			if (length) {
				if (!out.endsWith('[secret]')) out += '[secret]';
				i += length;
			} else {
				out += text[i];
				i += 1;
			}
		}
		return out;
	}

	/**
	 * Scans every file under `root` (symbolic links are not followed). `skip(file)` leaves a file out;
	 * `since` (ms) keeps only files modified after it; `skipDirs` are folder names not entered.
	 * @param {string} root
	 * @param {{ skip?: (file: string) => boolean, since?: number, skipDirs?: string[] }} [options]
	 * @returns {TreeScan}
	 */
	scanTree(root, { skip = () => false, since, skipDirs = [] } = {}) {
		/** @type {TreeScan} */
		const result = { hits: [], files: 0, bytes: 0, sqlite: [] };
		const walk = (/** @type {string} */ dir) => {
			let entries;
			try {
				entries = fs.readdirSync(dir, { withFileTypes: true });
			} catch {
				return;
			}
			for (const entry of entries) {
				const full = path.join(dir, entry.name);
				if (entry.isDirectory()) {
					if (!skipDirs.includes(entry.name)) walk(full);
					continue;
				}
				if (!entry.isFile() || skip(full)) continue;
				let buffer;
				try {
					if (since !== undefined && fs.statSync(full).mtimeMs < since) continue;
					buffer = fs.readFileSync(full);
				} catch {
					continue; // gone since the folder was listed (another process's temporary file)
				}
				result.files += 1;
				result.bytes += buffer.length;
				result.hits.push(...this.scanBuffer(full, buffer));
				if (buffer.subarray(0, 16).toString('latin1') === 'SQLite format 3\u0000')
					result.sqlite.push(full);
			}
		};
		walk(root);
		return result;
	}

	/**
	 * Every value of every row of every table of an SQLite file, read through SQL.
	 * @param {string} file
	 */
	scanSqlite(file) {
		const { DatabaseSync } = require('node:sqlite');
		/** @type {{ hits: Hit[], tables: number, rows: number }} */
		const result = { hits: [], tables: 0, rows: 0 };
		const db = new DatabaseSync(file, { readOnly: true });
		try {
			const tableRows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
			const tables = tableRows.map((row) => String(row.name));
			for (const table of tables) {
				result.tables += 1;
				const quoted = `"${table.replace(/"/g, '""')}"`;
				for (const row of db.prepare(`SELECT * FROM ${quoted}`).iterate()) {
					result.rows += 1;
					for (const [column, value] of Object.entries(row)) {
						if (value === null || typeof value === 'number' || typeof value === 'bigint') continue;
						const buffer =
							typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
						result.hits.push(
							...this.scanBuffer(`${file} [table ${table}, column ${column}]`, buffer),
						);
					}
				}
			}
		} finally {
			db.close();
		}
		return result;
	}
}

/**
 * One line per place: where, which secret, in which form, and the masked surroundings.
 * @param {Hit[]} hits
 */
function formatHits(hits, limit = 40) {
	const lines = hits
		.slice(0, limit)
		.map((hit) => `${hit.where} @${hit.offset}: ${hit.label} (${hit.form}): ...${hit.context}...`);
	if (hits.length > limit) lines.push(`and ${hits.length - limit} more`);
	return lines;
}

module.exports = { SecretSet, formatHits, base64Cores };
