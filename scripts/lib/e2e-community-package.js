'use strict';
// The community-package part of the real-n8n end-to-end test: the packed tarball (or E2E_TARBALL)
// installed under <user folder>/.n8n/nodes the way n8n installs a community package, then, without
// N8N_CUSTOM_EXTENSIONS, one email sent through the local mail catcher.

const fs = require('node:fs');
const path = require('node:path');
const {
	NODE_TYPE_PACKAGE,
	PACKAGE_NAME,
	installCommunityPackage,
	nodeItems,
	runError,
} = require('./n8n');
const { EMAIL_NODE, createN8n, readFixture, secs, settle } = require('./e2e-common');
const { IDENTITY, credentialsFor, checkSentItem, checkReceived } = require('./e2e-smtp');

/**
 * @typedef {import('./e2e-common').Check} Check
 * @typedef {import('./e2e-run').E2eRun} E2eRun
 * @typedef {import('./e2e-smtp').Smtp} Smtp
 */

/**
 * The community package: the tarball installed into <user folder>/.n8n/nodes as n8n installs one,
 * then the package workflow executed without N8N_CUSTOM_EXTENSIONS.
 * @param {{ run: E2eRun, smtp: Smtp }} options
 */
async function runCommunityPackage({ run, smtp }) {
	const f = [];
	const tarball = run.tarball;
	const details = [
		tarball.entryCount === undefined
			? `tarball ${tarball.file} (from E2E_TARBALL): ${(tarball.size / 1024).toFixed(0)} KiB`
			: `packed ${path.basename(tarball.file)}: ${tarball.entryCount} files, ${(tarball.size / 1024).toFixed(0)} KiB`,
	];
	const userFolder = path.join(run.work, 'community-package');
	const t = Date.now();
	const { nodesDir } = await installCommunityPackage(userFolder, tarball.file);
	details.push(`npm install <tgz> into .n8n/nodes took ${secs(t)} s`);
	const nm = path.join(nodesDir, 'node_modules');
	for (const forbidden of ['n8n-workflow', 'n8n-core']) {
		if (fs.existsSync(path.join(nm, forbidden))) {
			f.push(
				`${forbidden} was installed inside .n8n/nodes/node_modules (must come from n8n itself)`,
			);
		}
	}
	if (
		!fs.existsSync(
			path.join(nm, PACKAGE_NAME, 'dist', 'nodes', 'DeliveryChannel', 'DeliveryChannel.node.js'),
		)
	) {
		f.push('the installed package lacks dist/nodes/DeliveryChannel/DeliveryChannel.node.js');
	}

	const n8n = await createN8n(run, 'community-package', { customExtensions: false });
	if ('N8N_CUSTOM_EXTENSIONS' in n8n.env)
		throw new Error('internal: N8N_CUSTOM_EXTENSIONS must not be set for the package test');
	const wf = readFixture('package.workflow.json');
	const type = wf.nodes.find((/** @type {{ name: string }} */ n) => n.name === EMAIL_NODE).type;
	if (type !== NODE_TYPE_PACKAGE)
		throw new Error(`package.workflow.json must use ${NODE_TYPE_PACKAGE}`);
	await n8n.importCredentials(credentialsFor(smtp));
	await n8n.importWorkflow(wf);
	smtp.catcher.clear();
	const { run: pkgRun, raw } = await n8n.execute(wf.id);
	const received = await settle(smtp.catcher, 1);
	return { failures: f, details, run: pkgRun, output: raw.stdout + raw.stderr, received };
}

/**
 * The community package's one check.
 * @param {Awaited<ReturnType<typeof runCommunityPackage>>} result
 * @returns {Check}
 */
function checkCommunityPackage({ failures, details, run, output, received }) {
	const f = [...failures];
	const items = nodeItems(run, EMAIL_NODE);
	if (runError(run)) f.push(`execution failed: ${runError(run)}`);
	if (/Unrecognized node type/i.test(output))
		f.push('n8n did not recognise the node type (package not loaded)');
	if (items.length !== 1) f.push(`the node output ${items.length} items, expected 1`);
	if (received.length !== 1)
		f.push(`the SMTP server received ${received.length} messages, expected exactly 1`);
	if (items[0]) {
		const expected = {
			subject: 'E2E community package install',
			from: IDENTITY,
			headerTo: ['frank@example.net'],
			envelopeTo: ['frank@example.net'],
			bodyIncludes: 'Sent by the node installed under ~/.n8n/nodes.',
			htmlIncludes: '<code>~/.n8n/nodes</code>',
		};
		f.push(
			...checkSentItem(items[0], 0, expected.envelopeTo),
			...checkReceived(items[0], 0, expected, received),
		);
	}
	return { failures: f, details };
}

module.exports = { runCommunityPackage, checkCommunityPackage };
