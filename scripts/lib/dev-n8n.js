'use strict';
// The n8n side of `npm run dev`: the cached n8n and the build, the demo credentials and example
// workflow, the owner account made from environment variables (no setup screen; its password stays
// in <dev folder>/owner-login.txt), and the editor.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const n8nLib = require('./n8n');
const {
	userFolder,
	devDirName,
	say,
	devSecret,
	readDevFile,
	writeDevFile,
} = require('./dev-folder');

const { REPO_ROOT, N8n, NODE_TYPE_CUSTOM, NODE_TYPE_PACKAGE } = n8nLib;
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'send-first-email.json');
const CREDENTIAL = { id: 'dcDevMailCatch01', name: 'Local mail catcher (SMTP)' };
const MSC_CREDENTIAL = { id: 'dcDevMscSandbox1', name: 'MSC sandbox (local)' };
const OWNER_EMAIL = 'dev@example.com';

/**
 * Installs n8n when needed (cached), builds the package, and configures n8n on <dev folder>/n8n with
 * the package installed as users install it: packed and `npm install`ed into <user folder>/.n8n/nodes
 * (n8n runs credential tests only for such packages). With `customExtensions`, dist/ is loaded through
 * N8N_CUSTOM_EXTENSIONS instead. Returns the node type the editor knows the node by.
 * @param {{ customExtensions?: boolean }} [options]
 */
async function prepareN8n({ customExtensions = false } = {}) {
	say('checking the n8n install (first run: a few minutes) ...');
	const paths = await n8nLib.installN8n();
	say(`n8n ${paths.version} at ${paths.dir}`);
	say('building the package (npm run build) ...');
	const dist = await n8nLib.buildPackage();
	const encryptionKey = devSecret('encryption-key', () => crypto.randomBytes(24).toString('hex'));
	const folder = userFolder();
	if (!customExtensions) {
		say('installing the packed package into the dev n8n (as a community package) ...');
		fs.rmSync(path.join(folder, '.n8n', 'nodes'), { recursive: true, force: true });
		const packed = await n8nLib.packPackage(REPO_ROOT, path.join(folder, 'pack'));
		await n8nLib.installCommunityPackage(folder, packed.file);
		fs.rmSync(path.join(folder, 'pack'), { recursive: true, force: true });
	}
	const n8n = await N8n.create(paths, {
		userFolder: folder,
		encryptionKey,
		...(customExtensions ? { customExtensions: dist } : {}),
	});
	return { paths, dist, n8n, nodeType: customExtensions ? NODE_TYPE_CUSTOM : NODE_TYPE_PACKAGE };
}

/** examples/send-first-email.json, its node under the type this dev n8n knows it by. */
function exampleWorkflow(nodeType) {
	const wf = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
	for (const n of wf.nodes) if (n.type === NODE_TYPE_PACKAGE) n.type = nodeType;
	return wf;
}

/**
 * The SMTP credential of the catcher and the MSC credential of the sandbox, at their current ports.
 * @param {{ catcher: { port: number }, msc: { apiUrl: string }, mscApiKey: string }} services
 */
function demoCredentials(services) {
	const smtp = {
		host: '127.0.0.1',
		port: services.catcher.port,
		security: 'none',
		user: '',
		password: '',
		clientHostname: 'n8n-dev.localhost',
		allowSelfSigned: false,
	};
	return [
		{ ...CREDENTIAL, type: 'deliveryChannelSmtpApi', data: smtp },
		{
			...MSC_CREDENTIAL,
			type: 'deliveryChannelMscApi',
			data: { baseUrl: services.msc.apiUrl, apiKey: services.mscApiKey },
		},
	];
}

/**
 * Imports the demo credentials and the example workflow when they are new or changed (so edits made
 * in the editor survive restarts); the credentials always point at the current ports. Returns the
 * workflow.
 */
async function importDemo(n8n, services, nodeType) {
	const credentials = demoCredentials(services);
	const workflow = exampleWorkflow(nodeType);
	const stamp = crypto
		.createHash('sha256')
		.update(JSON.stringify({ credentials, workflow }))
		.digest('hex');
	if (readDevFile('imported.sha256') !== stamp) {
		say(`importing credential "${CREDENTIAL.name}" and workflow "${workflow.name}" ...`);
		await n8n.importCredentials(credentials, 'dev-credentials.json');
		await n8n.importWorkflow(workflow, 'dev-workflow.json');
		writeDevFile('imported.sha256', stamp);
	} else {
		say('credential and example workflow already imported (unchanged)');
	}
	return workflow;
}

/**
 * The owner's password (made once, kept in the dev folder) and its bcrypt hash for n8n; writes
 * <dev folder>/owner-login.txt. Nothing of it is printed.
 */
function ownerLogin(paths) {
	const password = devSecret(
		'owner-password',
		() => `Dev-${crypto.randomBytes(9).toString('base64url')}1`,
	);
	const bcrypt = n8nLib.bcryptFromN8n(paths);
	let hash = readDevFile('owner-password.bcrypt');
	if (!hash || !bcrypt.compareSync(password, hash)) {
		hash = bcrypt.hashSync(password, 10);
		writeDevFile('owner-password.bcrypt', hash, 0o600);
	}
	writeDevFile(
		'owner-login.txt',
		`n8n editor (npm run dev)\nemail: ${OWNER_EMAIL}\npassword: ${password}\n`,
		0o600,
	);
	return { email: OWNER_EMAIL, password, hash };
}

/**
 * `n8n start` on 127.0.0.1:port with the owner from the environment; resolves once it is ready.
 * @param {InstanceType<typeof N8n>} n8n
 * @param {{ email: string, hash: string }} owner
 * @param {number} port
 */
async function startEditor(n8n, owner, port) {
	say(`starting the n8n editor on 127.0.0.1:${port} ...`);
	const extraEnv = {
		N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
		N8N_INSTANCE_OWNER_EMAIL: owner.email,
		N8N_INSTANCE_OWNER_FIRST_NAME: 'Dev',
		N8N_INSTANCE_OWNER_LAST_NAME: 'User',
		N8N_INSTANCE_OWNER_PASSWORD_HASH: owner.hash,
		N8N_EDITOR_BASE_URL: `http://127.0.0.1:${port}`,
		N8N_DEV_RELOAD: 'true', // n8n reloads the node when dist/ changes (run `npm run build` or `tsc --watch`)
		N8N_DISABLED_MODULES: 'mcp-registry', // it polls api.n8n.io every start; this machine may be offline
	};
	const onLine = (line) => {
		if (line.trim()) console.log(`[n8n] ${line}`);
	};
	return n8n.startServer({ port, timeoutMs: 180000, extraEnv, onLine });
}

/** Where everything is, once the editor answers. */
function printWelcome(server, workflow, services) {
	console.log('');
	say(`editor:           ${server.url}/`);
	say(`example workflow: ${server.url}/workflow/${workflow.id}`);
	say(`sign in as ${OWNER_EMAIL}; the password is in ${devDirName()}owner-login.txt`);
	if (services.pageUrl) say(`caught mail:      ${services.pageUrl}`);
	say(`mail catcher:     SMTP on 127.0.0.1:${services.catcher.port}`);
	say(
		`MSC sandbox:      API on ${services.msc.apiUrl}, reports by SMTP on 127.0.0.1:${services.msc.smtpPort}`,
	);
	say('Ctrl-C stops n8n, the mail catcher and the MSC sandbox.');
}

module.exports = { CREDENTIAL, prepareN8n, importDemo, ownerLogin, startEditor, printWelcome };
