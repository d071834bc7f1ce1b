/**
 * Bounce reports that arrive on the inbound port: parsed by the core's bounce engine, linked to the
 * message they are about (its bounce address first, then what the report quotes), and recorded as
 * failed deliveries of that message's account.
 */
import { parseBounce } from '../../../core/bounce';
import type { OriginalLink } from '../../../core/bounce/types';
import { failuresFromReport } from '../../../core/failures';
import { newId, type Identity, type SandboxStore, type StoredMessage } from '../store';
import { reportFailure } from './failures';
import { messageFacts } from './views';

const VERP = /^bounce\+(msg_[0-9a-f]+)@(.+)$/i;

export interface ReportReceipt {
	reportId: string;
	recorded: number;
	kind: string;
}

/** Parses one report from the inbound port and records its failures. */
export async function receiveReport(
	store: SandboxStore,
	domain: string,
	raw: Buffer,
	envelope: { mailFrom?: string; rcptTo: string[] },
): Promise<ReportReceipt> {
	const reportId = newId('rpt');
	const receivedAt = new Date().toISOString();
	const report = await parseBounce(raw);
	const identityOf = (message: StoredMessage): Identity | undefined =>
		store.identity(message.accountId, message.identityId);

	// The bounce address names the message (VERP): the strongest link there is.
	let verp: StoredMessage | undefined;
	for (const rcpt of envelope.rcptTo) {
		const match = VERP.exec(rcpt);
		if (match && match[2].toLowerCase() === domain.toLowerCase())
			verp = store.message(match[1].toLowerCase()) ?? verp;
	}
	const resolved = new Map<string, StoredMessage>();
	const resolver = async (link: OriginalLink) => {
		const found = findByLink(store, link);
		if (!found) return undefined;
		resolved.set(found.id, found);
		return messageFacts(found, identityOf(found));
	};
	let failures = await failuresFromReport(report, 'msc', { receivedAt, reportId }, resolver);
	if (verp) {
		const facts = messageFacts(verp, identityOf(verp));
		failures = failures.map((failure) => ({
			...failure,
			message: { ...failure.message, ...facts },
			link: { method: 'bounce-address', confidence: 'high' },
		}));
	}

	let recorded = 0;
	for (const failure of failures) {
		const message = verp ?? resolved.get(String(failure.message.id ?? ''));
		const identity = message
			? identityOf(message)
			: store.identityByAddress(report.original.from ?? '');
		const accountId = message?.accountId ?? identity?.accountId;
		if (!accountId) continue; // about nothing this sandbox sent
		store.addFailure(
			accountId,
			identity?.id,
			message?.id,
			reportFailure(failure, { id: reportId, receivedAt }),
		);
		recorded += 1;
	}
	store.addReport({
		id: reportId,
		receivedAt,
		mailFrom: envelope.mailFrom,
		rcptTo: envelope.rcptTo,
		kind: report.kind,
		messageRef: verp?.id ?? [...resolved.keys()][0],
		raw,
		problems: report.problems,
	});
	return { reportId, recorded, kind: report.kind };
}

function findByLink(store: SandboxStore, link: OriginalLink): StoredMessage | undefined {
	switch (link.method) {
		case 'envelope-id':
			return store.messageByDeliveryId(link.value);
		case 'message-id':
		case 'x-original-message-id':
		case 'in-reply-to':
		case 'references':
			return store.messageByHeaderId(link.value);
		case 'subject-recipient': {
			const [recipient, ...subject] = link.value.split('\n');
			return store.messageBySubjectAndRecipient(subject.join('\n'), recipient);
		}
		default:
			return undefined;
	}
}
