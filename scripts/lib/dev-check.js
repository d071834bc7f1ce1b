'use strict';
// `npm run dev -- --check`: runs the example workflow headless and checks the mail arrived (through
// Custom SMTP, and through the MSC sandbox relaying to the catcher), then checks the editor: its
// page, the owner's sign-in without a setup screen, the node type, and the imported workflow.

const http = require('node:http');
const n8nLib = require('./n8n');
const { CREDENTIAL } = require('./dev-n8n');
const { say } = require('./dev-folder');

const { nodeItems, runError } = n8nLib;
const MSC_SUBJECT = 'Hello from n8n via the MSC sandbox';

/** Prints PASS/FAIL lines and counts them; summary() prints the totals and returns the exit code. */
function createChecks() {
	let passed = 0;
	let failed = 0;
	return {
		/**
		 * @param {boolean} ok
		 * @param {string} what
		 */
		check(ok, what) {
			console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
			if (ok) passed++;
			else failed++;
		},
		summary() {
			console.log(`${passed} passed, ${failed} failed`);
			return failed ? 1 : 0;
		},
	};
}

/** @typedef {ReturnType<typeof createChecks>} Checks */

/**
 * Executes the example workflow (n8n execute) and checks both messages reached the catcher.
 * @param {Checks} checks
 */
async function checkExampleRun(checks, n8n, workflow, catcher) {
	say('--check: executing the example workflow headless (n8n execute) ...');
	const before = catcher.messages.length;
	const { run } = await n8n.execute(workflow.id);
	const items = nodeItems(run, 'Send email');
	const viaMsc = nodeItems(run, 'Send via MSC sandbox');
	const got = await catcher.waitFor(before + 2, 5000).catch(() => catcher.messages);
	const fresh = got.slice(before);
	const first = items[0] && items[0].json;
	const m = first && fresh.find((message) => message.messageId === first.messageId);
	const outcome =
		runError(run) || (first ? `status ${first.status}, messageId ${first.messageId}` : 'no output');
	checks.check(
		!runError(run) && items.length === 1 && first.status === 'sent',
		`example workflow ran: ${outcome}`,
	);
	checks.check(
		!!m,
		`mail catcher received it: ${m ? `"${m.subject}" for ${m.envelope.to.join(', ')}` : 'nothing'}`,
	);
	const relayed = fresh.find((message) => message.subject === MSC_SUBJECT);
	const msc = viaMsc[0] && viaMsc[0].json;
	checks.check(
		viaMsc.length === 1 && msc.status === 'sent' && !!relayed,
		'default channel (MSC sandbox) sent and relayed to the catcher: ' +
			`${msc ? `status ${msc.status} ${msc.error || ''}` : 'no output'}${relayed ? '' : ', nothing relayed'}`,
	);
}

/** POSTs JSON; resolves with the status and the cookies set (status 0 when it could not connect). */
function postJson(url, body) {
	return new Promise((resolve) => {
		const data = Buffer.from(JSON.stringify(body));
		const headers = { 'content-type': 'application/json', 'content-length': data.length };
		const req = http.request(url, { method: 'POST', headers, timeout: 10000 }, (res) => {
			res.resume();
			res.on('end', () =>
				resolve({ status: res.statusCode, cookies: res.headers['set-cookie'] || [] }),
			);
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', (e) => resolve({ status: 0, error: e.message, cookies: [] }));
		req.end(data);
	});
}

/** Whether the workflow from the REST API has our node with the catcher's credential. */
function usesDemoCredential(body, nodeType) {
	try {
		const parsed = JSON.parse(body);
		const nodes = (parsed.data || parsed).nodes || [];
		return nodes.some(
			(n) => n.type === nodeType && n.credentials?.deliveryChannelSmtpApi?.id === CREDENTIAL.id,
		);
	} catch {
		return false;
	}
}

/** Whether n8n lists our node among the Custom SMTP credential's supported nodes. */
function testedInEditor(body, nodeType) {
	try {
		const types = JSON.parse(body);
		const smtp = (Array.isArray(types) ? types : []).find(
			(t) => t.name === 'deliveryChannelSmtpApi',
		);
		return Array.isArray(smtp?.supportedNodes) && smtp.supportedNodes.includes(nodeType);
	} catch {
		return false;
	}
}

/**
 * Checks the running editor: its page, the owner's sign-in, the node type and the example workflow.
 * @param {Checks} checks
 * @param {{ url: string }} server
 * @param {{ email: string, password: string }} owner
 * @param {{ id: string }} workflow
 * @param {string} nodeType  the type the dev n8n knows the node by (installed package or custom extension)
 */
async function checkEditor(checks, server, owner, workflow, nodeType) {
	const editor = await n8nLib.httpGet(`${server.url}/`);
	checks.check(
		editor.status === 200 && /<html/i.test(editor.body),
		`editor page served (HTTP ${editor.status})`,
	);
	const login = await postJson(`${server.url}/rest/login`, {
		emailOrLdapLoginId: owner.email,
		password: owner.password,
	});
	checks.check(
		login.status === 200,
		`owner signs in without a setup screen (POST /rest/login: HTTP ${login.status})`,
	);
	const cookie = login.cookies.map((c) => c.split(';')[0]).join('; ');
	const get = (p) =>
		n8nLib
			.httpGet(`${server.url}${p}`, 15000, { cookie })
			.catch((e) => ({ status: 0, body: String(e) }));
	const types = await get('/types/nodes.json');
	checks.check(
		types.status === 200 && types.body.includes(`"${nodeType}"`),
		`editor lists the node type ${nodeType} (/types/nodes.json: HTTP ${types.status})`,
	);
	// The editor runs a credential's test only when the credential type names the nodes it serves
	// (n8n gives them to installed packages, not to custom extensions).
	const credentialTypes = await get('/types/credentials.json');
	const tested = credentialTypes.status === 200 && testedInEditor(credentialTypes.body, nodeType);
	if (nodeType.startsWith('CUSTOM.'))
		console.log(
			`NOTE --custom-extensions: the editor runs credential tests: ${tested ? 'yes' : 'no'}`,
		);
	else
		checks.check(
			tested,
			`the Custom SMTP credential names ${nodeType} among its supported nodes, so the editor runs its test ` +
				`(/types/credentials.json: HTTP ${credentialTypes.status})`,
		);
	const wf = await get(`/rest/workflows/${workflow.id}`);
	checks.check(
		wf.status === 200 && usesDemoCredential(wf.body, nodeType),
		`example workflow and its credential are in the editor (GET /rest/workflows/${workflow.id}: HTTP ${wf.status})`,
	);
}

module.exports = { createChecks, checkExampleRun, checkEditor };
