/**
 * Mailbox-reader fault scenarios (area 'imap'): the real Delivery Channel Trigger, polled as an
 * active workflow polls it (n8n-core's PollContext, static data carried from poll to poll), on the
 * Custom SMTP channel against a real Dovecot whose Maildir the scenario fills, through a TCP proxy
 * that counts the IMAP conversation and can break it.
 *
 * Rows are built by hand: items in = bounce reports that arrived while the trigger watched, sent =
 * failures emitted, duplicates = failures emitted more than once, lost = reports never emitted.
 */
import { ImapFlow } from 'imapflow';
import type { IDataObject } from 'n8n-workflow';

import { DeliveryChannelSmtpApi } from '../../../credentials/DeliveryChannelSmtpApi.credentials';
import { DeliveryChannelTrigger } from '../../../nodes/DeliveryChannelTrigger/DeliveryChannelTrigger.node';
import { node } from '../../helpers/n8n';
import { startTcpProxy, type ChunkAction, type ChunkInfo } from '../../helpers/tcp-proxy';
import {
	bounceReport,
	ensureFolder,
	startDovecot,
	writeMessages,
	type Dovecot,
} from '../../nodes/DeliveryChannel/channels/smtp/support/maildir';
import { pollOnce } from '../../support/poll';
import type { FaultRow, FaultScenario } from '../types';

const AREA = 'imap';
const CREDENTIAL = 'deliveryChannelSmtpApi';
const TRIGGER_TYPE = 'CUSTOM.deliveryChannelTrigger';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/* One Dovecot for the scenarios of this file, each in its own folders; stopped after the last one
 * (and, should a filter leave some out, by the mail system's own exit handler). */
let shared: Promise<Dovecot> | undefined;
const pending = new Set<string>();

async function dovecot(): Promise<Dovecot> {
	shared ??= startDovecot();
	return await shared;
}

async function done(name: string): Promise<void> {
	pending.delete(name);
	if (pending.size || !shared) return;
	const running = shared;
	shared = undefined;
	await (await running).stop();
}

/** The trigger, watching some folders through a proxy whose server side the scenario may break. */
async function watch(
	folders: string,
	fromServer?: (chunk: Buffer, info: ChunkInfo) => ChunkAction,
	fromClient?: (chunk: Buffer, info: ChunkInfo) => ChunkAction,
) {
	const server = await dovecot();
	const wire = await startTcpProxy({
		target: { host: server.host, port: server.imapPort },
		fromServer,
		fromClient,
	});
	const trigger = node(
		'Failed Delivery',
		TRIGGER_TYPE,
		{ channel: 'smtp', event: 'failedDelivery', filters: {} },
		{ credentials: [CREDENTIAL] },
	);
	const credentials = {
		[CREDENTIAL]: server.smtpCredential({
			imapHost: wire.host,
			imapPort: wire.port,
			imapFolders: folders,
		}),
	};
	let staticData: IDataObject = {};
	const emitted: string[] = [];
	const errors: string[] = [];
	return {
		server,
		wire,
		emitted,
		errors,
		/** One poll; returns what it emitted (a failed poll emits nothing and keeps the state, as in n8n). */
		async poll(): Promise<string[]> {
			try {
				const result = await pollOnce({
					node: trigger,
					nodeType: new DeliveryChannelTrigger(),
					credentials,
					credentialTypes: { [CREDENTIAL]: new DeliveryChannelSmtpApi() },
					staticData,
				});
				staticData = result.staticData;
				const recipients = result.items.map((item) => String((item.json as IDataObject).recipient));
				emitted.push(...recipients);
				return recipients;
			} catch (error) {
				errors.push((error as Error).message);
				return [];
			}
		},
		close: () => wire.close(),
	};
}

function mailboxRow(
	scenario: string,
	reports: string[],
	emitted: string[],
	problems: string[],
	note: string,
): FaultRow {
	const counts = new Map<string, number>();
	for (const recipient of emitted) counts.set(recipient, (counts.get(recipient) ?? 0) + 1);
	const known = new Set(reports);
	return {
		scenario,
		area: AREA,
		itemsIn: reports.length,
		outcomes: { sent: emitted.length, partial: 0, failed: 0, 'not sent': 0, EUNKNOWN: 0 },
		serverReceived: reports.length,
		duplicates: [...counts.values()].filter((count) => count > 1).length,
		lost: reports.filter((recipient) => !counts.has(recipient)).length,
		unconfirmed: emitted.filter((recipient) => !known.has(recipient)).length,
		problems,
		note,
	};
}

function reports(tag: string, count: number, receivedAt: (index: number) => Date) {
	const recipients = Array.from({ length: count }, (_, index) => `${tag}-${index}@example.net`);
	const messages = recipients.map((recipient, index) => ({
		raw: bounceReport({ recipient, messageId: `<${tag}-${index}@example.test>` }),
		receivedAt: receivedAt(index),
	}));
	return { recipients, messages };
}

function scenario(name: string, run: () => Promise<FaultRow>): FaultScenario {
	pending.add(name);
	return {
		name,
		area: AREA,
		async run() {
			try {
				return await run();
			} finally {
				await done(name);
			}
		},
	};
}

export const scenarios: FaultScenario[] = [
	scenario('IMAP connection dropped mid-fetch, next poll recovers', async () => {
		const name = 'IMAP connection dropped mid-fetch, next poll recovers';
		const state = { armed: false, cutting: false };
		const watcher = await watch(
			'DropMidFetch',
			(chunk) => {
				if (!state.cutting) return chunk;
				state.cutting = false;
				// Half of the first answer to the download, then the connection breaks.
				return { send: chunk.subarray(0, Math.floor(chunk.length / 2)), thenCut: true };
			},
			(chunk) => {
				if (state.armed && /BODY\.PEEK\[\]</.test(chunk.toString('latin1'))) {
					state.armed = false;
					state.cutting = true;
				}
				return chunk;
			},
		);
		try {
			ensureFolder(watcher.server, 'DropMidFetch');
			const problems: string[] = [];
			await watcher.poll();
			const now = Date.now();
			const { recipients, messages } = reports(
				'drop',
				30,
				(index) => new Date(now - 10 * MINUTE + index * 1000),
			);
			writeMessages(watcher.server, 'DropMidFetch', messages);
			state.armed = true;
			const broken = await watcher.poll();
			if (!watcher.errors.length) problems.push('the poll with the broken connection did not fail');
			if (broken.length) problems.push(`the broken poll emitted ${broken.length}`);
			const recovered = await watcher.poll();
			const after = await watcher.poll();
			return mailboxRow(
				name,
				recipients,
				watcher.emitted,
				problems,
				`poll failed (${watcher.errors[0]?.slice(0, 60) ?? 'no error'}); next poll emitted ${recovered.length}, the one after ${after.length}`,
			);
		} finally {
			await watcher.close();
		}
	}),

	scenario('UIDVALIDITY change (folder re-created with the old reports and new ones)', async () => {
		const name = 'UIDVALIDITY change (folder re-created with the old reports and new ones)';
		const watcher = await watch('INBOX, Renumbered');
		try {
			ensureFolder(watcher.server, 'Renumbered');
			await watcher.poll();
			const now = Date.now();
			const before = reports('renumber', 5, (index) => new Date(now - 10 * MINUTE + index * 1000));
			writeMessages(watcher.server, 'Renumbered', before.messages.slice(0, 3));
			const first = await watcher.poll();
			// A restore or a migration: the folder is made again, the old reports come back with new
			// UIDs under a new UIDVALIDITY, and new ones arrive.
			const client = new ImapFlow(watcher.server.imapOptions() as never);
			client.on('error', () => undefined);
			await client.connect();
			await client.mailboxDelete('Renumbered');
			await client.mailboxCreate('Renumbered');
			await client.logout();
			writeMessages(watcher.server, 'Renumbered', before.messages);
			const second = await watcher.poll();
			const problems = watcher.errors.map((error) => `a poll failed: ${error}`);
			return mailboxRow(
				name,
				before.recipients,
				watcher.emitted,
				problems,
				`emitted ${first.length}, then ${second.length} after the renumbering (read again by date; the trigger keeps the known ones out)`,
			);
		} finally {
			await watcher.close();
		}
	}),

	scenario('10,000 old reports and 1 new: the poll reads the new one only', async () => {
		const name = '10,000 old reports and 1 new: the poll reads the new one only';
		const watcher = await watch('OldAndNew');
		try {
			const now = Date.now();
			// History from before the trigger was activated: not for the trigger to emit.
			writeMessages(
				watcher.server,
				'OldAndNew',
				reports('history', 10_000, (index) => new Date(now - 3 * HOUR + index)).messages,
			);
			const problems: string[] = [];
			const first = await watcher.poll();
			if (first.length)
				problems.push(`the first poll emitted ${first.length} reports from before the activation`);
			const fresh = reports('fresh', 1, () => new Date());
			writeMessages(watcher.server, 'OldAndNew', fresh.messages);
			watcher.wire.reset();
			await watcher.poll();
			const bytes = watcher.wire.clientBytes + watcher.wire.serverBytes;
			const fetched = (
				watcher.wire
					.serverData()
					.toString('latin1')
					.match(/^\* \d+ FETCH /gm) ?? []
			).length;
			if (fetched > 2) problems.push(`the poll fetched ${fetched} messages`);
			if (bytes > 20_000) problems.push(`the poll moved ${bytes} bytes`);
			problems.push(...watcher.errors.map((error) => `a poll failed: ${error}`));
			return mailboxRow(
				name,
				fresh.recipients,
				watcher.emitted,
				problems,
				`the poll after the new one: ${bytes} bytes, ${fetched} FETCH responses; the 10,000 (before activation) are not emitted`,
			);
		} finally {
			await watcher.close();
		}
	}),

	scenario('a burst larger than the per-call cap (1,200 reports)', async () => {
		const name = 'a burst larger than the per-call cap (1,200 reports)';
		const watcher = await watch('Burst');
		try {
			ensureFolder(watcher.server, 'Burst');
			await watcher.poll();
			const now = Date.now();
			const burst = reports('burst', 1_200, (index) => new Date(now - 30 * MINUTE + index * 1000));
			writeMessages(watcher.server, 'Burst', burst.messages);
			const perPoll: number[] = [];
			for (let round = 0; round < 6; round++) {
				const emitted = await watcher.poll();
				perPoll.push(emitted.length);
				if (!emitted.length) break;
			}
			const problems = watcher.errors.map((error) => `a poll failed: ${error}`);
			return mailboxRow(
				name,
				burst.recipients,
				watcher.emitted,
				problems,
				`polls emitted ${perPoll.join(' + ')}`,
			);
		} finally {
			await watcher.close();
		}
	}),
];
