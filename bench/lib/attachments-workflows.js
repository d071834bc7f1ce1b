'use strict';
// The n8n side of the attachment benchmark: one file of random (incompressible) bytes, and per row
// the workflow Manual Trigger → Code node (N plain items) → Read/Write Files from Disk (the same
// file for every item, so each item carries its own copy as binary data, streamed into n8n's binary
// data store) → the email node attaching that binary. One n8n user folder; each binary data mode
// runs it with its own environment.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const n8nLib = require('../../scripts/lib/n8n');
const { sinkCredentials } = require('./throughput-workflows');

const { REPO_ROOT, N8n, NODE_TYPE_CUSTOM } = n8nLib;
const OURS_CREDENTIAL = { id: 'benchAttOursCr01', name: 'Bench attachments (Delivery Channel)' };
const BUILTIN_CREDENTIAL = { id: 'benchAttBuiltin1', name: 'Bench attachments (built-in)' };
const FILE_NAME = 'attachment.bin';

/** Per item, from the item's index only: the file-reading node replaces each item's json. */
const TO = "={{ 'rcpt' + $itemIndex + '@example.net' }}";
const SUBJECT = "={{ 'Attachment ' + $itemIndex }}";
const TEXT = 'Hello,\n\nthe file is attached.\n';

/**
 * @param {{ id: string, name: string, emailNode: object, items: number, file: string }} spec
 */
function workflow({ id, name, emailNode, items, file }) {
	const nodes = [
		{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} },
		{
			name: 'Make items',
			type: 'n8n-nodes-base.code',
			typeVersion: 2,
			parameters: {
				jsCode: `return Array.from({ length: ${items} }, (_, i) => ({ json: { i } }));`,
			},
		},
		{
			name: 'Read file',
			type: 'n8n-nodes-base.readWriteFile',
			typeVersion: 1.1,
			parameters: { operation: 'read', fileSelector: file, options: {} },
		},
		{ ...emailNode, name: 'Email' },
	];
	const chain = nodes.map((n) => n.name);
	/** @type {Record<string, object>} */
	const connections = {};
	for (let i = 0; i + 1 < chain.length; i++)
		connections[chain[i]] = { main: [[{ node: chain[i + 1], type: 'main', index: 0 }]] };
	return {
		id,
		name,
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: nodes.map((n, i) => ({ id: crypto.randomUUID(), position: [i * 220, 0], ...n })),
		connections,
	};
}

/** Both workflows, by row key; the same input, the same three per-item values. */
function attachmentWorkflows(items, file) {
	const ours = {
		type: NODE_TYPE_CUSTOM,
		typeVersion: 1,
		parameters: {
			operation: 'send',
			channel: 'smtp',
			identity: { __rl: true, mode: 'address', value: 'Bench Sender <bench@example.com>' },
			to: TO,
			subject: SUBJECT,
			emailFormat: 'text',
			text: TEXT,
			options: { attachments: { attachment: [{ binaryPropertyName: 'data' }] } },
		},
		credentials: { deliveryChannelSmtpApi: OURS_CREDENTIAL },
	};
	const builtin = {
		type: 'n8n-nodes-base.emailSend',
		typeVersion: 2.1,
		webhookId: crypto.randomUUID(),
		parameters: {
			operation: 'send',
			fromEmail: 'Bench Sender <bench@example.com>',
			toEmail: TO,
			subject: SUBJECT,
			emailFormat: 'text',
			text: TEXT,
			options: { fileAttachments: 'data' },
		},
		credentials: { smtp: BUILTIN_CREDENTIAL },
	};
	const name = (who) => `Bench: ${who}, ${items} emails with an attachment`;
	return {
		ours: workflow({
			id: 'benchAttOursWf01',
			name: name('Delivery Channel'),
			emailNode: ours,
			items,
			file,
		}),
		builtin: workflow({
			id: 'benchAttBuiltWf1',
			name: name('built-in Send Email'),
			emailNode: builtin,
			items,
			file,
		}),
	};
}

/** Writes `mb` MiB of random bytes into a folder of its own; returns the file's path. */
function writeAttachment(folder, mb) {
	const dir = path.join(folder, 'files');
	fs.mkdirSync(dir, { recursive: true });
	const file = path.join(dir, FILE_NAME);
	fs.writeFileSync(file, crypto.randomBytes(Math.round(mb * 1024 * 1024)));
	return file;
}

/**
 * One n8n user folder with the credentials, the attached file and the workflows of `which`; an N8n
 * per binary data mode (`filesystem`, n8n 2.40's default in regular mode, runs without the variable).
 * @param {{ items: number, mb: number, connections: number, modes: string[] }} args
 * @param {string[]} which
 */
async function attachmentN8n(paths, sinkPort, args, which) {
	const userFolder = n8nLib.makeTempDir('delivery-channel-bench-attachments-');
	const file = writeAttachment(userFolder, args.mb);
	const base = {
		userFolder,
		encryptionKey: crypto.randomBytes(24).toString('hex'),
		customExtensions: path.join(REPO_ROOT, 'dist'),
	};
	const files = { N8N_RESTRICT_FILE_ACCESS_TO: path.dirname(file) };
	/** @type {Record<string, import('../../scripts/lib/n8n-instance').N8n>} */
	const byMode = {};
	for (const mode of args.modes) {
		const extra = mode === 'filesystem' ? files : { ...files, N8N_DEFAULT_BINARY_DATA_MODE: mode };
		byMode[mode] = await N8n.create(paths, { ...base, extra });
	}
	const first = byMode[args.modes[0]];
	await first.importCredentials(
		sinkCredentials(sinkPort, args.connections, {
			ours: OURS_CREDENTIAL,
			builtin: BUILTIN_CREDENTIAL,
		}),
	);
	const wfs = attachmentWorkflows(args.items, file);
	await first.importWorkflow(which.map((key) => wfs[key]));
	return { byMode, wfs, file };
}

module.exports = { attachmentN8n };
