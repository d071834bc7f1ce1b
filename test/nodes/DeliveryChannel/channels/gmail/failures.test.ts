/**
 * Failed Deliveries on Gmail end to end: the node sends through the fake, the fake delivers Gmail
 * bounce reports to the inbox, and the node finds, parses and links them.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { gmailBounce } from '../../../../fakes/gmail/bounce';
import { startFakeGmail, type FakeGmail } from '../../../../fakes/gmail';
import { failedParameters, gmailCredential, NODE, runGmail, sendParameters } from './harness';

let fake: FakeGmail;
let sent: IDataObject[];
const start = new Date(Date.now() - 60_000);

beforeAll(async () => {
	fake = await startFakeGmail({ account: { email: 'jane@acme.example', displayName: 'Jane Doe' } });
	const items = [
		{
			from: 'jane@acme.example',
			to: 'nosuchuser@example.net',
			subject: 'Proposal for Example',
			text: 'a',
		},
		{ from: 'jane@acme.example', to: 'mailboxfull@example.org', subject: 'Follow-up', text: 'b' },
		{ from: 'jane@acme.example', to: 'delayed.buyer@example.com', subject: 'Slow one', text: 'c' },
		{ from: 'jane@acme.example', to: 'happy@example.com', subject: 'Fine', text: 'd' },
	];
	const run = await runGmail({
		items,
		parameters: sendParameters(),
		credential: gmailCredential(fake),
	});
	sent = run.output(NODE).map((item) => item.json);
	expect(sent.map((item) => item.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
});

afterAll(async () => {
	await fake.close();
});

async function failures(parameters: INodeParameters = {}, credential = gmailCredential(fake)) {
	const run = await runGmail({ items: [{}], parameters: failedParameters(parameters), credential });
	return run.output(NODE).map((item) => item.json);
}

test('finds the bounce reports, one item per failed recipient, linked to the message in Sent', async () => {
	const found = await failures();
	expect(found.map((item) => item.recipient).sort()).toEqual([
		'mailboxfull@example.org',
		'nosuchuser@example.net',
	]);
	const unknown = found.find((item) => item.recipient === 'nosuchuser@example.net')!;
	expect(unknown).toMatchObject({
		channel: 'gmail',
		action: 'failed',
		kind: 'failure',
		hard: true,
		status: '5.1.1',
		replyCode: '550',
		reason: 'userunknown',
	});
	expect(unknown.link).toEqual({ method: 'message-id', confidence: 'high' });
	expect(unknown.message).toMatchObject({
		messageId: sent[0].messageId,
		subject: 'Proposal for Example',
		gmailMessageId: sent[0].gmailMessageId,
		gmailThreadId: sent[0].gmailThreadId,
	});
	expect(Date.parse((unknown.message as IDataObject).sentAt as string)).toBeGreaterThan(
		start.getTime(),
	);
	const full = found.find((item) => item.recipient === 'mailboxfull@example.org')!;
	expect(full).toMatchObject({ hard: false, status: '5.2.2' });
	expect((full.message as IDataObject).gmailMessageId).toBe(sent[1].gmailMessageId);
});

test('filters: delays, hard/soft, recipient, time window, limit', async () => {
	expect(
		(await failures({ filters: { includeDelays: true } })).map((item) => item.recipient).sort(),
	).toEqual(['delayed.buyer@example.com', 'mailboxfull@example.org', 'nosuchuser@example.net']);
	expect((await failures({ filters: { verdict: 'hard' } })).map((item) => item.recipient)).toEqual([
		'nosuchuser@example.net',
	]);
	expect((await failures({ filters: { verdict: 'soft' } })).map((item) => item.recipient)).toEqual([
		'mailboxfull@example.org',
	]);
	expect(
		(await failures({ filters: { recipient: 'MailboxFull@example.org' } })).map(
			(item) => item.recipient,
		),
	).toEqual(['mailboxfull@example.org']);
	expect(
		await failures({ filters: { since: new Date(Date.now() + 3_600_000).toISOString() } }),
	).toEqual([]);
	expect(await failures({ filters: { until: start.toISOString() } })).toEqual([]);
	expect(await failures({ returnAll: false, limit: 1 })).toHaveLength(1);
	const q = fake.state.requests
		.filter((r) => r.method === 'list' && /mailer-daemon/.test(r.query.q ?? ''))
		.map((r) => r.query.q);
	expect(q.some((value) => /after:\d+/.test(value) && /mailer-daemon/.test(value))).toBe(true);
});

test('pages through more reports than one page holds', async () => {
	const local = await startFakeGmail();
	try {
		const base = Date.now() - 30_000;
		for (let i = 0; i < 130; i++) {
			const original = `From: jane@acme.example\r\nTo: nosuchuser${i}@example.net\r\nSubject: Batch ${i}\r\nMessage-ID: <batch-${i}@acme.example>\r\n\r\nhello`;
			local.addMessage(
				gmailBounce({
					sender: 'jane@acme.example',
					recipient: `nosuchuser${i}@example.net`,
					kind: 'unknown',
					original,
					originalMessageId: `<batch-${i}@acme.example>`,
					date: new Date(base + i),
				}),
				['INBOX'],
				base + i,
			);
		}
		local.addMessage(
			'From: bob@example.net\r\nTo: jane@acme.example\r\nSubject: Not a bounce\r\n\r\nhi',
			['INBOX'],
		);
		const run = await runGmail({
			items: [{}],
			parameters: failedParameters(),
			credential: gmailCredential(local),
		});
		const found = run.output(NODE).map((item) => item.json);
		expect(found).toHaveLength(130);
		expect(new Set(found.map((item) => item.recipient)).size).toBe(130);
		// Nothing in Sent: the link says so, and keeps what the report says about the original.
		expect(found[0].link).toEqual({ method: 'none', confidence: 'none' });
		expect((found[0].message as IDataObject).messageId).toMatch(/^<batch-\d+@acme\.example>$/);
		const pages = local.state.requests.filter(
			(r) => r.method === 'list' && /mailer-daemon/.test(r.query.q ?? ''),
		);
		expect(pages.map((r) => r.query.pageToken)).toEqual([undefined, '100']);
	} finally {
		await local.close();
	}
});

test('without the read scope the operation fails with a hint to turn on Read Mailbox', async () => {
	const tokens = fake.issueTokens([fake.SCOPE.send, fake.SCOPE.settingsBasic]);
	const [item] = await failures({}, gmailCredential(fake, tokens));
	expect(item).toMatchObject({ status: 'failed', code: 'EAUTH' });
	expect(item.hint).toMatch(/Read Mailbox for Failed Deliveries/);
});

test("when the token does not list its scopes, Google's 403 gives the same hint", async () => {
	const { scope: _scope, ...tokens } = fake.issueTokens([
		fake.SCOPE.send,
		fake.SCOPE.settingsBasic,
	]);
	const [item] = await failures({}, gmailCredential(fake, tokens));
	expect(item).toMatchObject({ status: 'failed', code: 'EAUTH', responseCode: 403 });
	expect(item.hint).toMatch(/Read Mailbox for Failed Deliveries/);
});
