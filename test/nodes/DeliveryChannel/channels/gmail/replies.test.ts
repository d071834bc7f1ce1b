/**
 * Replies and auto-replies on Gmail: the node sends through the fake, the leads' answers land in the
 * inbox (written for this test: an out-of-office, a moved notice, a ticket acknowledgement, a reply),
 * and Failed Deliveries lists them only with Include Replies and Auto-Replies, linked to Sent.
 * An inbox message that answers none of our messages is never downloaded.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { startFakeGmail, type FakeGmail } from '../../../../fakes/gmail';
import {
	humanReply,
	movedNotice,
	outOfOffice,
	ticketAcknowledgement,
} from '../../../../support/answers';
import { failedParameters, gmailCredential, NODE, runGmail, sendParameters } from './harness';

let fake: FakeGmail;
let sent: IDataObject[];
const ME = 'jane@acme.example';

beforeAll(async () => {
	fake = await startFakeGmail({ account: { email: ME, displayName: 'Jane Doe' } });
	const items = ['ann', 'bob', 'cid', 'dee'].map((name) => ({
		from: ME,
		to: `${name}@client.example`,
		subject: `Offer for ${name}`,
		text: 'Hello',
	}));
	const run = await runGmail({
		items,
		parameters: sendParameters(),
		credential: gmailCredential(fake),
	});
	sent = run.output(NODE).map((item) => item.json);
	expect(sent.map((item) => item.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
	const at = Date.now() - 5 * 60_000;
	const answer = (index: number) => ({
		inReplyTo: String(sent[index].messageId),
		from: String(items[index].to),
		to: ME,
		subject: items[index].subject,
	});
	fake.addMessage(outOfOffice(answer(0)), ['INBOX'], at);
	fake.addMessage(
		movedNotice({ ...answer(1), newAddress: 'bea@client.example' }),
		['INBOX'],
		at + 1000,
	);
	fake.addMessage(ticketAcknowledgement(answer(2)), ['INBOX'], at + 2000);
	fake.addMessage(humanReply(answer(3)), ['INBOX'], at + 3000);
	// A reply to a message we did not send: listed by the search, screened out by its headers.
	fake.addMessage(
		humanReply({ inReplyTo: '<thread-9@elsewhere.example>', from: 'eve@client.example', to: ME }),
		['INBOX'],
		at + 4000,
	);
});

afterAll(async () => {
	await fake.close();
});

async function list(filters: INodeParameters = {}) {
	const run = await runGmail({
		items: [{}],
		parameters: failedParameters({ filters }),
		credential: gmailCredential(fake),
	});
	return run.output(NODE).map((item) => item.json);
}

test('without the option, no reply or auto-reply is listed (they are never failures)', async () => {
	expect(await list()).toEqual([]);
	expect(await list({ includeComplaints: true, includeDelays: true })).toEqual([]);
});

test('with Include Replies and Auto-Replies: each answer once, its kind, linked to the message in Sent', async () => {
	const before = fake.state.requests.length;
	const found = await list({ includeReplies: true });
	const byFrom = Object.fromEntries(found.map((item) => [item.from, item]));
	expect(Object.keys(byFrom).sort()).toEqual([
		'ann@client.example',
		'bob@client.example',
		'cid@client.example',
		'dee@client.example',
	]);
	expect(byFrom['ann@client.example']).toMatchObject({
		channel: 'gmail',
		kind: 'autoreply',
		autoReplyKind: 'out-of-office',
		recipient: 'ann@client.example',
		subject: 'Out of Office: Offer for ann',
		link: { method: 'in-reply-to', confidence: 'high' },
		message: {
			messageId: sent[0].messageId,
			gmailMessageId: sent[0].gmailMessageId,
			subject: 'Offer for ann',
		},
	});
	expect(byFrom['bob@client.example']).toMatchObject({
		kind: 'autoreply',
		autoReplyKind: 'moved',
		newAddress: 'bea@client.example',
	});
	expect(byFrom['cid@client.example']).toMatchObject({
		kind: 'autoreply',
		autoReplyKind: 'auto-acknowledgement',
	});
	const reply = byFrom['dee@client.example'];
	expect(reply).toMatchObject({
		kind: 'reply',
		message: { gmailMessageId: sent[3].gmailMessageId },
	});
	expect(reply.excerpt).toMatch(/price list for 50 seats/);
	expect(reply).not.toHaveProperty('autoReplyKind');
	for (const item of found) {
		expect(item).not.toHaveProperty('hard');
		expect(item).not.toHaveProperty('reason');
		expect(Date.parse(String(item.receivedAt))).toBeGreaterThan(Date.now() - 3_600_000);
	}
	// Five inbox messages were listed; the unrelated reply was screened by its headers (format=metadata)
	// and never downloaded: four raw downloads, one per answer.
	const raw = fake.state.requests
		.slice(before)
		.filter((request) => request.method === 'get' && request.query.format === 'raw');
	expect(raw).toHaveLength(4);
});

test('the recipient and limit filters apply to replies too', async () => {
	const onlyBob = await list({ includeReplies: true, recipient: 'bob@client.example' });
	expect(onlyBob.map((item) => item.from)).toEqual(['bob@client.example']);
	const run = await runGmail({
		items: [{}],
		parameters: {
			operation: 'getFailedDeliveries',
			returnAll: false,
			limit: 2,
			filters: { includeReplies: true },
		},
		credential: gmailCredential(fake),
	});
	// Newest first: the reply (dee) and the ticket acknowledgement (cid).
	expect(run.output(NODE).map((item) => item.json.from)).toEqual([
		'dee@client.example',
		'cid@client.example',
	]);
});
