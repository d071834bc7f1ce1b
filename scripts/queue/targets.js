'use strict';
// The servers the workers send to, each a child process of the run with a JSON control endpoint
// (GET /stats, GET /messages, POST /reset): the limited SMTP server (scripts/lib/limited-smtp.js)
// and the fake Google (scripts/queue/fake-gmail.js). Started only when a scenario needs them.

const path = require('node:path');
const proc = require('./proc');
const { request } = require('./load');

/**
 * A server program as a child; resolves with the ports it printed as its first JSON line.
 * @param {string} name
 * @param {string} script
 * @param {string[]} args
 * @param {{ dir: string, env?: NodeJS.ProcessEnv }} o
 */
async function startServer(name, script, args, o) {
	let ready;
	const listening = new Promise((resolve) => (ready = resolve));
	const handle = proc.startChild(name, process.execPath, [script, ...args], {
		env: o.env || process.env,
		log: path.join(o.dir, `${name}.log`),
		onLine: (line) => {
			if (line.startsWith('{')) ready(JSON.parse(line));
		},
	});
	const ports = await Promise.race([
		listening,
		handle.done.then(() =>
			Promise.reject(new Error(`${name} exited:\n${handle.recent.join('\n')}`)),
		),
	]);
	return { ...ports, handle };
}

/** The control endpoint of a server on `httpPort`. */
function control(httpPort, name) {
	const base = `http://127.0.0.1:${httpPort}`;
	const json = async (method, p, body) => {
		const r = await request(method, `${base}${p}`, body);
		if (r.status !== 200) throw new Error(`${name} ${method} ${p}: HTTP ${r.status} ${r.body}`);
		return JSON.parse(r.body);
	};
	return {
		stats: () => json('GET', '/stats'),
		messages: () => json('GET', '/messages'),
		reset: (limits) => json('POST', '/reset', limits),
		get: (p) => json('GET', p),
	};
}

/** The limited SMTP server; its login is `auth`. */
async function startSmtpTarget(dir, auth) {
	const script = path.join(__dirname, '..', 'lib', 'limited-smtp.js');
	const server = await startServer('limited-smtp', script, [`--user=${auth.user}`], {
		dir,
		env: { ...process.env, LIMITED_SMTP_PASSWORD: auth.pass },
	});
	return {
		kind: 'smtp',
		handle: server.handle,
		where: `limited SMTP on 127.0.0.1:${server.smtpPort} (control :${server.httpPort})`,
		smtp: { port: server.smtpPort, user: auth.user, password: auth.pass },
		...control(server.httpPort, 'limited SMTP'),
	};
}

/**
 * The fake Google, its quota bucket full from the start; `credential` is the data of a Gmail
 * credential connected to it.
 * @param {string} dir
 * @param {{ units?: number, windowMs?: number }} quota
 */
async function startGmailTarget(dir, quota) {
	const args = [`--units=${quota.units || 0}`, `--window-ms=${quota.windowMs || 60_000}`];
	const server = await startServer('fake-gmail', path.join(__dirname, 'fake-gmail.js'), args, {
		dir,
	});
	const c = control(server.httpPort, 'fake Gmail');
	return {
		kind: 'gmail',
		handle: server.handle,
		where: `fake Gmail on 127.0.0.1:${server.apiPort} (control :${server.httpPort})`,
		credential: await c.get('/credential'),
		...c,
	};
}

module.exports = { startSmtpTarget, startGmailTarget };
