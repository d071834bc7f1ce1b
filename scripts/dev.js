#!/usr/bin/env node
'use strict';
// `npm run dev`: one command to try the node in a real n8n editor.
//  - installs the pinned n8n if needed (scripts/install-n8n.sh, cached) and builds this package;
//  - starts a local mail catcher: SMTP on 127.0.0.1:1025 (prints one line per message) and a small
//    page listing the messages on http://127.0.0.1:1080;
//  - starts the MSC sandbox relaying to the catcher: API on 127.0.0.1:8025, inbound reports by SMTP
//    on 127.0.0.1:2526 (each of these four on a free port when its default is taken, e.g. by a second
//    `npm run dev -- --port 5679`; the credentials point at the ports in use);
//  - imports the credentials "Local mail catcher (SMTP)" and "MSC sandbox (local)" and
//    examples/send-first-email.json;
//  - packs the package and installs it into the dev n8n's .n8n/nodes as users install it (so the
//    editor runs credential tests; --custom-extensions loads dist/ through N8N_CUSTOM_EXTENSIONS);
//  - starts `n8n start` on http://127.0.0.1:5678,
//    everything kept in .dev/ (.dev-<port>/ for another --port; git-ignored). The owner account is
//    created from environment variables (N8N_INSTANCE_OWNER_MANAGED_BY_ENV), so there is no setup
//    screen; its password is written to <dev folder>/owner-login.txt (never printed).
// Options (--help): --check, --reset, --port, --smtp-port, --http-port, --no-http, --msc-port, --msc-smtp-port,
// --custom-extensions.
// The steps live in scripts/lib/dev-*.js.

const { stop } = require('./lib/proc');
const { parseArgs } = require('./lib/dev-options');
const { say, chooseDevFolder, prepareDevFolder } = require('./lib/dev-folder');
const { checkEditorPort } = require('./lib/dev-ports');
const { startMailServices } = require('./lib/dev-services');
const { prepareN8n, importDemo, ownerLogin, startEditor, printWelcome } = require('./lib/dev-n8n');
const { createChecks, checkExampleRun, checkEditor } = require('./lib/dev-check');

async function main() {
	const args = parseArgs(process.argv.slice(2));
	await checkEditorPort(args.port);
	chooseDevFolder(args.port);
	prepareDevFolder(args.reset);
	const { paths, dist, n8n, nodeType } = await prepareN8n(args);
	const services = await startMailServices(args, dist);
	const workflow = await importDemo(n8n, services, nodeType);
	const checks = args.check ? createChecks() : null;
	if (checks) await checkExampleRun(checks, n8n, workflow, services.catcher);
	const owner = ownerLogin(paths);
	const server = await startEditor(n8n, owner, args.port);
	printWelcome(server, workflow, services);

	if (checks) {
		await checkEditor(checks, server, owner, workflow, nodeType);
		await stop(server.handle, 15000);
		await services.close();
		process.exit(checks.summary());
	}
	const result = await server.handle.done;
	say(`n8n exited (code ${result.code}${result.signal ? `, ${result.signal}` : ''})`);
	await services.close();
	process.exit(result.code || 0);
}

main().catch((err) => {
	console.error(`[dev] failed: ${err && err.message ? err.message : err}`);
	process.exit(1);
});
