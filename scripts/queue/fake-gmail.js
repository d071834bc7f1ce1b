#!/usr/bin/env node
'use strict';
// The fake Google of the tests (test/fakes/gmail) as a process of its own, so every n8n worker of the
// queue-mode run reaches the same mailbox and the same per-user quota, with the counts the limited SMTP
// server keeps (scripts/lib/limited-smtp.js): messages in Sent by Message-ID and lead (X-Lead),
// duplicates, messages in any 60 s, and the quota refusals (429) it answered.
//
// node scripts/queue/fake-gmail.js [--units=6000] [--window-ms=60000] [--latency=150]
//   prints {"apiPort":..,"httpPort":..} when ready. Control on 127.0.0.1 (JSON): GET /stats,
//   GET /messages, GET /credential (the credential's data, for the run's import: never logged),
//   POST /reset {units, windowMs, latencyMs, keepHistory}.

const http = require('node:http');
const { startFakeGmail } = require('../../test/fakes/gmail');
const { fakeGmailCredential } = require('../lib/fake-gmail-credential');
const { maxInWindow, perCalendarMinute } = require('../lib/limited-smtp');

const ACCOUNT = { email: 'jane@acme.example', displayName: 'Jane Doe' };

/** @param {{ units?: number, windowMs?: number, latencyMs?: number }} l */
function normalizeLimits(l = {}) {
	return {
		quotaUnits: Math.max(0, Number(l.units) || 0),
		quotaWindowMs: Math.max(1000, Number(l.windowMs) || 60_000),
		delayMs: Math.max(0, Number(l.latencyMs) || 0),
	};
}

async function startGmailTarget(initial) {
	const fake = await startFakeGmail({ account: ACCOUNT, latencyMs: 0 });
	/** @type {any} */
	const state = fake.state;
	const seenIds = new Set();
	const seenLeads = new Set();
	/** This period: since when, where it starts in Sent and in the request log, what was counted. */
	const newPeriod = () => ({
		since: Date.now(),
		start: fake.sent().length,
		counted: fake.sent().length,
		requests: state.requests.length,
		duplicateMessageIds: 0,
		duplicateLeads: 0,
	});
	let period = newPeriod();
	let limits = normalizeLimits(initial);

	const apply = () => {
		fake.settings.latencyMs = limits.delayMs;
		fake.settings.quota = limits.quotaUnits
			? { units: limits.quotaUnits, windowMs: limits.quotaWindowMs }
			: undefined;
	};
	apply();

	/** Counts the Sent messages not counted yet into the duplicate counts (each once). */
	const count = () => {
		const sent = fake.sent();
		for (const m of sent.slice(period.counted)) {
			const messageId = (fake.header(m.headers, 'message-id') || '').replace(/^<|>$/g, '');
			const lead = fake.header(m.headers, 'x-lead') || '';
			if (messageId && seenIds.has(messageId)) period.duplicateMessageIds += 1;
			if (lead && seenLeads.has(lead)) period.duplicateLeads += 1;
			if (messageId) seenIds.add(messageId);
			if (lead) seenLeads.add(lead);
		}
		period.counted = sent.length;
	};
	const periodMessages = () => fake.sent().slice(period.start);

	return {
		fake,
		stats() {
			count();
			const messages = periodMessages();
			const times = messages.map((m) => m.internalDate);
			const requests = state.requests.slice(period.requests);
			const byMethod = {};
			for (const r of requests) byMethod[r.method] = (byMethod[r.method] || 0) + 1;
			const minutes = perCalendarMinute(times);
			return {
				kind: 'gmail',
				limits: { ...limits },
				since: new Date(period.since).toISOString(),
				messages: messages.length,
				duplicateMessageIds: period.duplicateMessageIds,
				duplicateLeads: period.duplicateLeads,
				distinctLeads: new Set(messages.map((m) => fake.header(m.headers, 'x-lead'))).size,
				requests: byMethod,
				quotaRefused: requests.filter((r) => r.outcome === 'quota').length,
				perMinute: minutes,
				maxCalendarMinute: Math.max(0, ...Object.values(minutes)),
				maxAny60s: maxInWindow(times),
			};
		},
		messages: () =>
			periodMessages().map((m) => ({
				messageId: (fake.header(m.headers, 'message-id') || '').replace(/^<|>$/g, ''),
				lead: fake.header(m.headers, 'x-lead') || '',
				subject: fake.header(m.headers, 'subject') || '',
				at: m.internalDate,
			})),
		credential: () => fakeGmailCredential(fake, fake.issueTokens()),
		reset(next = {}) {
			count();
			if (!next.keepHistory) {
				seenIds.clear();
				seenLeads.clear();
			}
			limits = normalizeLimits(next);
			apply();
			period = newPeriod();
			return this.stats();
		},
	};
}

function serveControl(target) {
	const server = http.createServer((req, res) => {
		const reply = (status, body) => {
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(body));
		};
		let body = '';
		req.on('data', (c) => (body += c));
		req.on('end', () => {
			try {
				if (req.method === 'GET' && req.url === '/stats') return reply(200, target.stats());
				if (req.method === 'GET' && req.url === '/messages') return reply(200, target.messages());
				if (req.method === 'GET' && req.url === '/credential')
					return reply(200, target.credential());
				if (req.method === 'POST' && req.url === '/reset')
					return reply(200, target.reset(body ? JSON.parse(body) : {}));
				return reply(404, { error: 'GET /stats, /messages, /credential or POST /reset' });
			} catch (error) {
				return reply(400, { error: error.message });
			}
		});
	});
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
	const args = {};
	for (const arg of process.argv.slice(2)) {
		const m = /^--([a-z-]+)=(.*)$/.exec(arg);
		if (!m) throw new Error(`unknown argument ${arg}`);
		args[m[1]] = m[2];
	}
	const target = await startGmailTarget({
		units: Number(args.units) || 0,
		windowMs: Number(args['window-ms']) || 60_000,
		latencyMs: Number(args.latency) || 0,
	});
	const control = await serveControl(target);
	const apiPort = Number(new URL(target.fake.apiBaseUrl).port);
	process.stdout.write(`${JSON.stringify({ apiPort, httpPort: control.address().port })}\n`);
	const stop = () => target.fake.close().then(() => process.exit(0));
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
}

if (require.main === module) {
	main().catch((error) => {
		process.stderr.write(`fake-gmail: ${error.message}\n`);
		process.exit(1);
	});
}

module.exports = { startGmailTarget };
