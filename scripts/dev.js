#!/usr/bin/env node
'use strict';
// `npm run dev`: one command to try the node in a real n8n editor.
//  - installs the pinned n8n if needed (scripts/install-n8n.sh, cached) and builds this package;
//  - starts a local mail catcher: SMTP on 127.0.0.1:1025 (prints one line per message) and a small
//    page listing the messages on http://127.0.0.1:1080;
//  - imports the credential "Local mail catcher (SMTP)" and examples/send-first-email.json;
//  - starts `n8n start` on http://127.0.0.1:5678 with this package loaded via N8N_CUSTOM_EXTENSIONS,
//    everything kept in .dev/ (git-ignored). The owner account is created from environment
//    variables (N8N_INSTANCE_OWNER_MANAGED_BY_ENV), so there is no setup screen; its password is
//    written to .dev/owner-login.txt (never printed).
// Options: --check       execute the example workflow headless, check the catcher got the mail, start
//                        the editor, check it answers and the owner can sign in, then stop.
//          --reset       delete .dev/ first.
//          --port N, --smtp-port N, --http-port N, --no-http

const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const crypto = require('node:crypto');
const { startMailCatcher, formatAddress } = require('./lib/mail-catcher');
const n8nLib = require('./lib/n8n');

const { REPO_ROOT, N8n, NODE_TYPE_CUSTOM, NODE_TYPE_PACKAGE, nodeItems, runError } = n8nLib;
const DEV_DIR = path.join(REPO_ROOT, '.dev');
const USER_FOLDER = path.join(DEV_DIR, 'n8n');
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'send-first-email.json');
const CREDENTIAL = { id: 'dcDevMailCatch01', name: 'Local mail catcher (SMTP)' };
const MSC_CREDENTIAL = { id: 'dcDevMscSandbox1', name: 'MSC sandbox (local)' };
const OWNER_EMAIL = 'dev@example.com';

function parseArgs(argv) {
	const a = { check: false, reset: false, port: 5678, smtpPort: 1025, httpPort: 1080, http: true };
	for (let i = 0; i < argv.length; i++) {
		const k = argv[i];
		const num = () => {
			const n = Number(argv[++i]);
			if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${k} needs a port number`);
			return n;
		};
		if (k === '--check') a.check = true;
		else if (k === '--reset') a.reset = true;
		else if (k === '--port') a.port = num();
		else if (k === '--smtp-port') a.smtpPort = num();
		else if (k === '--http-port') a.httpPort = num();
		else if (k === '--no-http') a.http = false;
		else if (k === '--help' || k === '-h') {
			console.log('Usage: npm run dev [-- --check] [--reset] [--port 5678] [--smtp-port 1025] [--http-port 1080] [--no-http]');
			process.exit(0);
		} else throw new Error(`unknown argument ${k}`);
	}
	return a;
}

const say = (msg) => console.log(`[dev] ${msg}`);

/** A secret kept in .dev/ (created once, mode 0600). */
function devSecret(file, make) {
	const p = path.join(DEV_DIR, file);
	if (!fs.existsSync(p)) fs.writeFileSync(p, make(), { mode: 0o600 });
	return fs.readFileSync(p, 'utf8').trim();
}

function escapeHtml(s) {
	return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function startMailPage(catcher, port) {
	const server = http.createServer((req, res) => {
		const url = new URL(req.url, 'http://127.0.0.1');
		if (url.pathname === '/messages.json') {
			res.writeHead(200, { 'content-type': 'application/json' });
			return res.end(JSON.stringify(catcher.messages.map(({ raw, ...m }) => m), null, 2));
		}
		const raw = url.pathname.match(/^\/messages\/(\d+)\.eml$/);
		if (raw) {
			const m = catcher.messages.find((x) => x.seq === Number(raw[1]));
			if (!m) {
				res.writeHead(404);
				return res.end('not found');
			}
			res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
			return res.end(m.raw);
		}
		if (url.pathname !== '/') {
			res.writeHead(404);
			return res.end('not found');
		}
		const rows = catcher.messages
			.slice()
			.reverse()
			.map(
				(m) => `<tr><td>${m.seq}</td><td>${escapeHtml(m.receivedAt.slice(11, 19))}</td><td>${escapeHtml(formatAddress(m.from))}</td>` +
					`<td>${escapeHtml(m.envelope.to.join(', '))}</td><td>${escapeHtml(m.subject)}</td>` +
					`<td><code>${escapeHtml(m.messageId)}</code></td><td><a href="/messages/${m.seq}.eml">raw</a></td></tr>` +
					`<tr><td></td><td colspan="6"><pre>${escapeHtml((m.text || '').slice(0, 2000))}</pre></td></tr>`,
			)
			.join('\n');
		res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
		res.end(`<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Mail catcher</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}pre{margin:0;color:#555;white-space:pre-wrap}</style>
<h1>Mail catcher</h1><p>SMTP 127.0.0.1:${catcher.port} &middot; ${catcher.messages.length} message(s) &middot; <a href="/messages.json">JSON</a> &middot; refreshes every 5 s</p>
<table><tr><th>#</th><th>time</th><th>From</th><th>envelope To</th><th>Subject</th><th>Message-ID</th><th></th></tr>${rows || '<tr><td colspan="7">No messages yet.</td></tr>'}</table>`);
	});
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', () => resolve(server));
	});
}

function exampleWorkflow() {
	const wf = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
	for (const n of wf.nodes) if (n.type === NODE_TYPE_PACKAGE) n.type = NODE_TYPE_CUSTOM; // loaded as a custom extension here
	return wf;
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	if (args.reset && fs.existsSync(DEV_DIR)) {
		say('--reset: deleting .dev/');
		fs.rmSync(DEV_DIR, { recursive: true, force: true });
	}
	fs.mkdirSync(USER_FOLDER, { recursive: true });

	say('checking the n8n install (first run: a few minutes) ...');
	const paths = await n8nLib.installN8n();
	say(`n8n ${paths.version} at ${paths.dir}`);
	say('building the package (npm run build) ...');
	const dist = await n8nLib.buildPackage();

	const catcher = await startMailCatcher({
		port: args.smtpPort,
		onMessage: (m) =>
			console.log(`[mail] #${m.seq} ${m.receivedAt.slice(11, 19)} from ${formatAddress(m.from) || m.envelope.from} to ${m.envelope.to.join(', ')} "${m.subject}" ${m.messageId || ''} (${m.size} bytes)`),
	}).catch((err) => {
		throw new Error(`cannot start the mail catcher on 127.0.0.1:${args.smtpPort} (${err.code || err.message}); is another one running? Use --smtp-port.`);
	});
	say(`mail catcher: SMTP on 127.0.0.1:${catcher.port}`);
	let page = null;
	if (args.http) {
		page = await startMailPage(catcher, args.httpPort).catch((err) => {
			say(`warning: mail page not started on 127.0.0.1:${args.httpPort} (${err.code || err.message}); use --http-port`);
			return null;
		});
		if (page) say(`mail catcher page: http://127.0.0.1:${args.httpPort}/`);
	}

	// The default channel works with no account anywhere: the MSC sandbox runs here, relaying to the
	// mail catcher, with a demo account whose key stays in .dev/ (never printed).
	const mscKey = devSecret('msc-api-key', () => `msc_dev_${crypto.randomBytes(18).toString('hex')}`);
	const { startSandbox } = require(path.join(dist, 'sandbox', 'msc', 'server.js'));
	const msc = await startSandbox(
		{
			db: path.join(DEV_DIR, 'msc-sandbox', 'sandbox.sqlite'),
			upstream: { host: '127.0.0.1', port: catcher.port, security: 'none' },
			demo: { apiKey: mscKey },
		},
		(line) => console.log(`[msc] ${line}`),
	);
	say(`MSC sandbox: API on ${msc.apiUrl} (identity sales@demo-company.example)`);

	const encryptionKey = devSecret('encryption-key', () => crypto.randomBytes(24).toString('hex'));
	const n8n = await N8n.create(paths, { userFolder: USER_FOLDER, encryptionKey, customExtensions: dist });

	// Import the demo credential and example workflow when they are new or changed (so edits made
	// in the editor survive restarts). The credential always points at the current catcher port.
	const credentials = [
		{
			...CREDENTIAL,
			type: 'deliveryChannelSmtpApi',
			data: { host: '127.0.0.1', port: catcher.port, security: 'none', user: '', password: '', clientHostname: 'n8n-dev.localhost', allowSelfSigned: false },
		},
		{ ...MSC_CREDENTIAL, type: 'deliveryChannelMscApi', data: { baseUrl: msc.apiUrl, apiKey: mscKey } },
	];
	const workflow = exampleWorkflow();
	const stamp = crypto.createHash('sha256').update(JSON.stringify({ credentials, workflow })).digest('hex');
	const stampFile = path.join(DEV_DIR, 'imported.sha256');
	const previous = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, 'utf8').trim() : '';
	if (previous !== stamp) {
		say(`importing credential "${CREDENTIAL.name}" and workflow "${workflow.name}" ...`);
		await n8n.importCredentials(credentials, 'dev-credentials.json');
		await n8n.importWorkflow(workflow, 'dev-workflow.json');
		fs.writeFileSync(stampFile, stamp);
	} else {
		say('credential and example workflow already imported (unchanged)');
	}

	let checkFailures = 0;
	let checkCount = 0;
	const check = (ok, what) => {
		checkCount++;
		console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
		if (!ok) checkFailures++;
	};
	if (args.check) {
		say('--check: executing the example workflow headless (n8n execute) ...');
		const before = catcher.messages.length;
		const { run } = await n8n.execute(workflow.id);
		const items = nodeItems(run, 'Send email');
		const viaMsc = nodeItems(run, 'Send via MSC sandbox');
		const got = await catcher.waitFor(before + 2, 5000).catch(() => catcher.messages);
		const fresh = got.slice(before);
		const m = items[0] && fresh.find((message) => message.messageId === items[0].json.messageId);
		check(!runError(run) && items.length === 1 && items[0].json.status === 'sent', `example workflow ran: ${runError(run) || (items[0] ? `status ${items[0].json.status}, messageId ${items[0].json.messageId}` : 'no output')}`);
		check(!!m, `mail catcher received it: ${m ? `"${m.subject}" for ${m.envelope.to.join(', ')}` : 'nothing'}`);
		const relayed = fresh.find((message) => message.subject === 'Hello from n8n via the MSC sandbox');
		check(
			viaMsc.length === 1 && viaMsc[0].json.status === 'sent' && !!relayed,
			`default channel (MSC sandbox) sent and relayed to the catcher: ${viaMsc[0] ? `status ${viaMsc[0].json.status} ${viaMsc[0].json.error || ''}` : 'no output'}${relayed ? '' : ', nothing relayed'}`,
		);
	}

	// Owner from env: no setup screen. The password stays in .dev/owner-login.txt.
	const password = devSecret('owner-password', () => `Dev-${crypto.randomBytes(9).toString('base64url')}1`);
	const bcrypt = n8nLib.bcryptFromN8n(paths);
	const hashFile = path.join(DEV_DIR, 'owner-password.bcrypt');
	let hash = fs.existsSync(hashFile) ? fs.readFileSync(hashFile, 'utf8').trim() : '';
	if (!hash || !bcrypt.compareSync(password, hash)) {
		hash = bcrypt.hashSync(password, 10);
		fs.writeFileSync(hashFile, hash, { mode: 0o600 });
	}
	fs.writeFileSync(path.join(DEV_DIR, 'owner-login.txt'), `n8n editor (npm run dev)\nemail: ${OWNER_EMAIL}\npassword: ${password}\n`, { mode: 0o600 });

	say(`starting the n8n editor on 127.0.0.1:${args.port} ...`);
	const server = await n8n.startServer({
		port: args.port,
		timeoutMs: 180000,
		extraEnv: {
			N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
			N8N_INSTANCE_OWNER_EMAIL: OWNER_EMAIL,
			N8N_INSTANCE_OWNER_FIRST_NAME: 'Dev',
			N8N_INSTANCE_OWNER_LAST_NAME: 'User',
			N8N_INSTANCE_OWNER_PASSWORD_HASH: hash,
			N8N_EDITOR_BASE_URL: `http://127.0.0.1:${args.port}`,
			N8N_DEV_RELOAD: 'true', // n8n reloads the node when dist/ changes (run `npm run build` or `tsc --watch`)
			N8N_DISABLED_MODULES: 'mcp-registry', // it polls api.n8n.io every start; this machine may be offline
		},
		onLine: (line) => {
			if (line.trim()) console.log(`[n8n] ${line}`);
		},
	});
	console.log('');
	say(`editor:           ${server.url}/`);
	say(`example workflow: ${server.url}/workflow/${workflow.id}`);
	say(`sign in as ${OWNER_EMAIL}; the password is in .dev/owner-login.txt`);
	if (page) say(`caught mail:      http://127.0.0.1:${args.httpPort}/`);
	say('Ctrl-C stops n8n and the mail catcher.');

	if (args.check) {
		const editor = await n8nLib.httpGet(`${server.url}/`);
		check(editor.status === 200 && /<html/i.test(editor.body), `editor page served (HTTP ${editor.status})`);
		const login = await postJson(`${server.url}/rest/login`, { emailOrLdapLoginId: OWNER_EMAIL, password });
		check(login.status === 200, `owner signs in without a setup screen (POST /rest/login: HTTP ${login.status})`);
		const cookie = (login.cookies || []).map((c) => c.split(';')[0]).join('; ');
		const get = (p) => n8nLib.httpGet(`${server.url}${p}`, 15000, { cookie }).catch((e) => ({ status: 0, body: String(e) }));
		const types = await get('/types/nodes.json');
		check(types.status === 200 && types.body.includes(`"${NODE_TYPE_CUSTOM}"`), `editor lists the node type ${NODE_TYPE_CUSTOM} (/types/nodes.json: HTTP ${types.status})`);
		const wfRes = await get(`/rest/workflows/${workflow.id}`);
		let wfOk = false;
		try {
			const body = JSON.parse(wfRes.body);
			const nodes = (body.data || body).nodes || [];
			wfOk = nodes.some((n) => n.type === NODE_TYPE_CUSTOM && n.credentials && n.credentials.deliveryChannelSmtpApi && n.credentials.deliveryChannelSmtpApi.id === CREDENTIAL.id);
		} catch {
			wfOk = false;
		}
		check(wfRes.status === 200 && wfOk, `example workflow and its credential are in the editor (GET /rest/workflows/${workflow.id}: HTTP ${wfRes.status})`);
		await require('./lib/proc').stop(server.handle, 15000);
		if (page) page.close();
		await msc.close();
		await catcher.close();
		console.log(`${checkCount - checkFailures} passed, ${checkFailures} failed`);
		process.exit(checkFailures ? 1 : 0);
	}
	const result = await server.handle.done;
	say(`n8n exited (code ${result.code}${result.signal ? `, ${result.signal}` : ''})`);
	if (page) page.close();
	await msc.close();
	await catcher.close();
	process.exit(result.code || 0);
}

function postJson(url, body) {
	return new Promise((resolve) => {
		const data = Buffer.from(JSON.stringify(body));
		const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': data.length }, timeout: 10000 }, (res) => {
			res.resume();
			res.on('end', () => resolve({ status: res.statusCode, cookies: res.headers['set-cookie'] || [] }));
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', (e) => resolve({ status: 0, error: e.message }));
		req.end(data);
	});
}

main().catch((err) => {
	console.error(`[dev] failed: ${err && err.message ? err.message : err}`);
	process.exit(1);
});
