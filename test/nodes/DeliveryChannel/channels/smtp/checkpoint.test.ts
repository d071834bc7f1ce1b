/**
 * Failed Deliveries for Custom SMTP with a checkpoint (what the trigger passes from poll to poll),
 * against a real Dovecot whose Maildir the test fills directly, through a TCP proxy that counts
 * every byte and command of the IMAP conversation:
 *  - a poll's cost grows with new mail, not with the mailbox (10,000 old reports, 1 new);
 *  - reports are read oldest first, each once, and a burst larger than the per-call cap comes over
 *    several polls without a loss (the checkpoint never passes an unread report, the listing says
 *    it was cut short);
 *  - a folder the server renumbered (UIDVALIDITY) is read again by date, and the user is told;
 *  - without a checkpoint the newest reports come first, and a cap still says so;
 *  - reports the query does not want never cost a search in the Sent folder.
 */
import { ImapFlow } from 'imapflow';
import type { IDataObject } from 'n8n-workflow';

import { smtpChannel } from '../../../../../nodes/DeliveryChannel/channels/smtp';
import type {
	ChannelContext,
	FailedDeliveryList,
	FailedDeliveryQuery,
} from '../../../../../nodes/DeliveryChannel/channels/types';
import { startTcpProxy, type TcpProxy } from '../../../../helpers/tcp-proxy';
import { describeWithMailSystem } from '../../../../support/mailsystem';
import {
	bounceReport,
	ensureFolder,
	startDovecot,
	writeMessages,
	type Dovecot,
} from './support/maildir';

jest.setTimeout(120_000);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let dovecot: Dovecot;
let wire: TcpProxy;
const warnings: string[] = [];

beforeAll(async () => {
	dovecot = await startDovecot();
	wire = await startTcpProxy({ target: { host: dovecot.host, port: dovecot.imapPort } });
}, 240_000);

// Removing a mailbox of 10,000 messages takes a while on a loaded machine.
afterAll(async () => {
	await wire?.close();
	await dovecot?.stop();
}, 180_000);

/** One listing through the channel, as the trigger or the operation makes it, on the given folders. */
async function list(
	folders: string,
	query: Partial<FailedDeliveryQuery> = {},
): Promise<FailedDeliveryList> {
	const credentials = dovecot.smtpCredential({
		imapHost: wire.host,
		imapPort: wire.port,
		imapFolders: folders,
	});
	const context = {
		getCredentials: async () => credentials,
		logger: { warn: (message: string) => warnings.push(message) },
	} as unknown as ChannelContext;
	const session = await smtpChannel.open(context);
	try {
		return await session.listFailedDeliveries!({
			verdict: 'all',
			includeDelays: false,
			includeComplaints: false,
			...query,
		});
	} finally {
		await session.close();
	}
}

/** Polls as the trigger does: the window of the last hour, and the previous poll's checkpoint. */
async function poll(folders: string, checkpoint: IDataObject | undefined) {
	return await list(folders, { receivedSince: new Date(Date.now() - HOUR), checkpoint });
}

function reports(count: number, receivedAt: (index: number) => Date, tag: string) {
	return Array.from({ length: count }, (_, index) => ({
		raw: bounceReport({ recipient: `${tag}-${index}@example.net` }),
		receivedAt: receivedAt(index),
	}));
}

/** Messages whose envelope the server sent: one "* n FETCH" line each. */
function fetchedMessages(): number {
	return (
		wire
			.serverData()
			.toString('latin1')
			.match(/^\* \d+ FETCH /gm) ?? []
	).length;
}

describeWithMailSystem('a poll with a checkpoint costs what the new mail costs', () => {
	it('10,000 old reports and 1 new: one message fetched, the same bytes as with 10 old ones', async () => {
		const now = Date.now();
		// Old reports from three hours ago: before the last poll, but within the day that a
		// day-granular SEARCH SINCE would take in.
		writeMessages(
			dovecot,
			'Big',
			reports(10_000, (index) => new Date(now - 3 * HOUR + index), 'old-big'),
		);
		writeMessages(
			dovecot,
			'Small',
			reports(10, (index) => new Date(now - 3 * HOUR + index), 'old-small'),
		);

		const measured: Record<string, { bytes: number; fetched: number; failures: string[] }> = {};
		for (const folder of ['Big', 'Small']) {
			const first = await poll(folder, undefined);
			writeMessages(dovecot, folder, [
				{ raw: bounceReport({ recipient: `new-${folder}@example.net` }), receivedAt: new Date() },
			]);
			wire.reset();
			const next = await poll(folder, first.checkpoint);
			measured[folder] = {
				bytes: wire.clientBytes + wire.serverBytes,
				fetched: fetchedMessages(),
				failures: next.failures.map((failure) => failure.recipient),
			};
		}
		// eslint-disable-next-line no-console
		console.log(
			`poll with a checkpoint: 10,000 old + 1 new: ${measured.Big.bytes} bytes, ${measured.Big.fetched} FETCH responses; 10 old + 1 new: ${measured.Small.bytes} bytes, ${measured.Small.fetched}`,
		);
		expect(measured.Big.failures).toEqual(['new-Big@example.net']);
		expect(measured.Small.failures).toEqual(['new-Small@example.net']);
		// Headers of the one new message, then the message itself: the 10,000 are never fetched.
		expect(measured.Big.fetched).toBe(measured.Small.fetched);
		expect(measured.Big.fetched).toBeLessThanOrEqual(2);
		// A few more digits in UIDs, nothing proportional to the mailbox.
		expect(measured.Big.bytes).toBeLessThan(measured.Small.bytes + 200);
	});
});

describeWithMailSystem('reading with a checkpoint', () => {
	it('reads what arrived after it, oldest first, each report once', async () => {
		ensureFolder(dovecot, 'Flow');
		const empty = await poll('Flow', undefined);
		expect(empty.failures).toEqual([]);
		const now = Date.now();
		writeMessages(dovecot, 'Flow', [
			{
				raw: bounceReport({ recipient: 'first@example.net' }),
				receivedAt: new Date(now - 3 * MINUTE),
			},
			{
				raw: bounceReport({ recipient: 'second@example.net' }),
				receivedAt: new Date(now - 2 * MINUTE),
			},
			{ raw: bounceReport({ recipient: 'third@example.net' }), receivedAt: new Date(now - MINUTE) },
		]);
		const next = await poll('Flow', empty.checkpoint);
		expect(next.failures.map((failure) => failure.recipient)).toEqual([
			'first@example.net',
			'second@example.net',
			'third@example.net',
		]);
		expect(next.checkpoint).toMatchObject({
			folders: { Flow: { lastUid: 3, uidValidity: expect.stringMatching(/^\d+$/) } },
		});
		// JSON-safe: the trigger keeps it in static data as it is.
		expect(JSON.parse(JSON.stringify(next.checkpoint))).toEqual(next.checkpoint);

		const again = await poll('Flow', next.checkpoint);
		expect(again).toMatchObject({ failures: [], truncated: false });

		writeMessages(dovecot, 'Flow', [
			{ raw: bounceReport({ recipient: 'fourth@example.net' }), receivedAt: new Date() },
		]);
		const last = await poll('Flow', again.checkpoint);
		expect(last.failures.map((failure) => failure.recipient)).toEqual(['fourth@example.net']);
	});

	it('a burst larger than the per-call cap comes over several polls: nothing lost, nothing twice, each cut said', async () => {
		ensureFolder(dovecot, 'Burst');
		let checkpoint = (await poll('Burst', undefined)).checkpoint;
		const now = Date.now();
		writeMessages(
			dovecot,
			'Burst',
			reports(1_100, (index) => new Date(now - 20 * MINUTE + index * 1000), 'burst'),
		);
		const seen: string[] = [];
		const polls: FailedDeliveryList[] = [];
		for (let round = 0; round < 5; round++) {
			const result = await poll('Burst', checkpoint);
			polls.push(result);
			seen.push(...result.failures.map((failure) => failure.recipient));
			checkpoint = result.checkpoint;
			if (!result.truncated) break;
		}
		expect(polls.map((result) => [result.failures.length, result.truncated])).toEqual([
			[500, true],
			[500, true],
			[100, false],
		]);
		expect(polls[0].truncatedReason).toMatch(
			/600 likely bounce reports not read yet .*the next poll goes on from there/,
		);
		expect(seen).toEqual(Array.from({ length: 1_100 }, (_, index) => `burst-${index}@example.net`));
	});

	it('a folder the server renumbered (UIDVALIDITY) is read again by date, and the user is told', async () => {
		ensureFolder(dovecot, 'Renumbered');
		writeMessages(dovecot, 'Renumbered', [
			{
				raw: bounceReport({ recipient: 'before@example.net' }),
				receivedAt: new Date(Date.now() - 2 * MINUTE),
			},
		]);
		const before = await poll('Renumbered', undefined);
		expect(before.failures.map((failure) => failure.recipient)).toEqual(['before@example.net']);
		const oldValidity = (before.checkpoint!.folders as IDataObject).Renumbered as IDataObject;

		// The folder is deleted and made again (a restore, a migration): same name, new UIDVALIDITY.
		const client = new ImapFlow(dovecot.imapOptions() as never);
		await client.connect();
		await client.mailboxDelete('Renumbered');
		await client.mailboxCreate('Renumbered');
		await client.logout();
		writeMessages(dovecot, 'Renumbered', [
			{
				raw: bounceReport({ recipient: 'long-ago@example.net' }),
				receivedAt: new Date(Date.now() - 5 * HOUR),
			},
			{
				raw: bounceReport({ recipient: 'recent@example.net' }),
				receivedAt: new Date(Date.now() - MINUTE),
			},
		]);
		warnings.length = 0;
		const after = await poll('Renumbered', before.checkpoint);
		expect(after.failures.map((failure) => failure.recipient)).toEqual(['recent@example.net']);
		expect(warnings).toEqual([
			expect.stringMatching(
				/renumbered the folder "Renumbered" \(its UIDVALIDITY changed\), so it was read again by date from /,
			),
		]);
		const newValidity = (after.checkpoint!.folders as IDataObject).Renumbered as IDataObject;
		expect(newValidity.uidValidity).not.toBe(oldValidity.uidValidity);
		expect(newValidity.lastUid).toBe(2);
	});
});

describeWithMailSystem('without a checkpoint (the Failed Deliveries operation)', () => {
	it('the newest reports come first; a cap says so, a limit does not', async () => {
		const all = await list('Burst');
		expect(all.failures).toHaveLength(500);
		expect(all.failures[0].recipient).toBe('burst-1099@example.net');
		expect(all.truncated).toBe(true);
		expect(all.truncatedReason).toMatch(/narrow the time range/);

		const five = await list('Burst', { limit: 5 });
		expect(five.failures.map((failure) => failure.recipient)).toEqual(
			['burst-1099', 'burst-1098', 'burst-1097', 'burst-1096', 'burst-1095'].map(
				(local) => `${local}@example.net`,
			),
		);
		expect(five.truncated).toBe(false);
	});
});

describeWithMailSystem("n8n's cancel signal", () => {
	it('cuts a listing in flight at once and starts nothing after it', async () => {
		const cancel = new AbortController();
		const credentials = dovecot.smtpCredential({
			imapHost: wire.host,
			imapPort: wire.port,
			imapFolders: 'Burst',
		});
		const context = { getCredentials: async () => credentials } as unknown as ChannelContext;
		const session = await smtpChannel.open(context, { signal: cancel.signal });
		try {
			const listing = session.listFailedDeliveries!({
				verdict: 'all',
				includeDelays: false,
				includeComplaints: false,
			});
			const outcome = listing.then(
				() => 'finished',
				(error: Error) => error.message,
			);
			// Reading 500 of the 1,100 reports takes a while; cut it once the downloads have begun.
			while (!/BODY\.PEEK\[\]</.test(wire.clientData().toString('latin1')))
				await new Promise((resolve) => setTimeout(resolve, 5));
			const cancelledAt = Date.now();
			cancel.abort();
			expect(await outcome).toMatch(/cancelled/);
			expect(Date.now() - cancelledAt).toBeLessThan(500);
			wire.reset();
			await expect(
				session.listFailedDeliveries!({
					verdict: 'all',
					includeDelays: false,
					includeComplaints: false,
				}),
			).rejects.toThrow(/cancelled/);
			expect(wire.connections).toBe(0);
		} finally {
			await session.close();
		}
	});
});

describeWithMailSystem('filter before linking', () => {
	it('reports the query does not want cost no search in the Sent folder', async () => {
		writeMessages(dovecot, 'Soft', [
			{
				raw: bounceReport({
					recipient: 'full1@example.net',
					status: '5.2.2',
					diagnostic: '552 5.2.2 Mailbox full',
					messageId: '<soft-1@example.test>',
				}),
				receivedAt: new Date(Date.now() - MINUTE),
			},
			{
				raw: bounceReport({
					recipient: 'full2@example.net',
					status: '5.2.2',
					diagnostic: '552 5.2.2 Mailbox full',
					messageId: '<soft-2@example.test>',
				}),
				receivedAt: new Date(Date.now() - MINUTE),
			},
		]);
		wire.reset();
		const hardOnly = await list('Soft', { verdict: 'hard' });
		expect(hardOnly.failures).toEqual([]);
		expect(wire.clientData().toString('latin1')).not.toMatch(/EXAMINE "?Sent|SEARCH HEADER/i);

		wire.reset();
		const soft = await list('Soft', { verdict: 'soft' });
		expect(soft.failures.map((failure) => failure.recipient).sort()).toEqual([
			'full1@example.net',
			'full2@example.net',
		]);
		// The wanted ones are looked up in Sent by their Message-ID.
		expect(wire.clientData().toString('latin1')).toMatch(/EXAMINE "?Sent/i);
		expect(wire.clientData().toString('latin1')).toMatch(
			/SEARCH HEADER Message-ID "?soft-1@example.test/i,
		);
	});
});
