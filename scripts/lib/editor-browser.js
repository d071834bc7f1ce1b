'use strict';
// The editor browser test (`npm run test:editor`, test/editor): a real n8n with the packed package
// installed under <user folder>/.n8n/nodes as users install it, its owner account made through
// n8n's REST API, and Debian's Chromium driven by playwright-core.

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { N8n, installCommunityPackage, REPO_ROOT } = require('./n8n');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCREENSHOTS = path.join(REPO_ROOT, 'docs', 'images');
const OWNER = { email: 'owner@example.com', firstName: 'Editor', lastName: 'Test' };

/**
 * Installs the run's tarball as a community package, starts `n8n start` and makes the owner account.
 * `prepare` runs before the start (imports: the n8n CLI while no server holds the database).
 * @param {import('./e2e-run').E2eRun} run
 * @param {{ name?: string, prepare?: (n8n: import('./n8n-instance').N8n) => Promise<void> }} [options]
 */
async function startEditorN8n(run, { name = 'editor', prepare } = {}) {
	const userFolder = path.join(run.work, name);
	await installCommunityPackage(userFolder, run.tarball.file);
	const n8n = await N8n.create(run.n8n, {
		userFolder,
		encryptionKey: crypto.randomBytes(24).toString('hex'),
		logLevel: 'info',
	});
	if (prepare) await prepare(n8n);
	const server = await n8n.startServer({
		timeoutMs: 180000,
		extraEnv: { N8N_DISABLED_MODULES: 'mcp-registry' }, // it polls api.n8n.io at start
	});
	const owner = { ...OWNER, password: `Ed-${crypto.randomBytes(9).toString('base64url')}1` };
	const res = await fetch(`${server.url}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(owner),
	});
	if (res.status !== 200) throw new Error(`owner setup answered ${res.status}`);
	return { n8n, server, owner };
}

/** Chromium (Debian's package) through playwright-core, one page of 1440 × 900. */
async function openBrowser() {
	if (!fs.existsSync(CHROMIUM))
		throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set CHROMIUM_PATH)`);
	const { chromium } = require('playwright-core');
	const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
	const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
	page.setDefaultTimeout(20000);
	return { browser, page };
}

/**
 * Signs in on n8n's sign-in screen.
 * @param {import('playwright-core').Page} page
 * @param {string} url
 * @param {{ email: string, password: string }} owner
 */
async function signIn(page, url, owner) {
	await page.goto(`${url}/signin`);
	await page.locator('#emailOrLdapLoginId').fill(owner.email);
	await page.locator('#password').fill(owner.password);
	await page.getByRole('button', { name: /sign in/i }).click();
	await page.waitForURL(/\/home\//);
}

/**
 * Saves a screenshot to docs/images/<name>.png (EDITOR_SCREENSHOTS names another folder).
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
async function screenshot(page, name) {
	const dir = process.env.EDITOR_SCREENSHOTS || SCREENSHOTS;
	fs.mkdirSync(dir, { recursive: true });
	const file = path.join(dir, `${name}.png`);
	await page.screenshot({ path: file });
	return file;
}

module.exports = { startEditorN8n, openBrowser, signIn, screenshot };
