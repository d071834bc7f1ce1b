/**
 * The classify stage: each recipient entry a reader found gets its codes settled (the remote
 * server's own reply beats the reporting MTA's summary), a reason and whether it is hard.
 */
import { classify, isHard } from './classify';
import type { ClassifyInput } from './classify';
import type { MailView } from './mime';
import type { BounceRecipient, RawRecipient, ReportKind } from './types';
import { findReplyCode, findStatus, squash } from './util';

/** A reply that opens with its code and enhanced status: "550 5.7.1 ...", "450-4.2.0 ...". */
const LEADING_REPLY = /^\s{0,4}[245][0-5]\d[ -]([245]\.\d{1,3}\.\d{1,3})(?![\d.])/;
/** A failing reply with its enhanced status anywhere in a text (a session transcript). */
const FAILING_REPLY = /(?<![\d.])([45][0-5]\d)[ -]([45]\.\d{1,3}\.\d{1,3})(?![\d.])/;
const GENERIC_STATUS = /^\d\.0\.0$/;

/**
 * Content-filtering gateways (appliances and services in front of a mailbox server) identify
 * themselves in the report's own headers.
 */
const FILTER_GATEWAY = /surfcontrol|\bmcafee\b|mxlogic/i;

export function writtenByFilterGateway(view: MailView): boolean {
	const h = view.headers;
	const own = [
		h.get('x-mailer'),
		h.get('x-nai-header'),
		h.get('message-id'),
		h.getAll('received')[0],
	];
	return own.some((value) => value !== undefined && FILTER_GATEWAY.test(value.slice(0, 500)));
}

/** The status and reply code that describe an entry's failure. */
function settleCodes(
	raw: RawRecipient,
	diagnostic: string,
	fallbackDiag: string,
): { status: string; replyCode: string } {
	let replyCode = raw.replyCode || findReplyCode(diagnostic) || findReplyCode(fallbackDiag);
	let status = raw.status || findStatus(diagnostic);
	const diagStatus = findStatus(diagnostic);
	// A generic DSN status (x.0.0) is refined by a specific code in the server's reply.
	if (diagStatus && GENERIC_STATUS.test(status) && diagStatus[0] === status[0]) status = diagStatus;
	// The remote server's own reply ("550 5.7.1 ...") beats the reporting MTA's Status field,
	// unless the reply's code is the generic x.0.0 and the field is more specific.
	const lead = LEADING_REPLY.exec(diagnostic);
	if (lead && raw.action !== 'delivered') {
		const replied = findStatus(lead[1]);
		if (!status || !GENERIC_STATUS.test(replied)) status = replied;
	}
	// A transcript holds successful replies too; a failure is described by its failing reply.
	if (raw.action !== 'delivered' && (status.startsWith('2') || replyCode.startsWith('2'))) {
		const failing = FAILING_REPLY.exec(diagnostic);
		if (failing) {
			status = findStatus(failing[2]);
			replyCode = failing[1];
		}
	}
	if (!status && fallbackDiag) status = findStatus(fallbackDiag);
	// A success code (2.x.x) on an entry that failed or is delayed (so its reader or its Action
	// field says) is not what happened to it: a version or a success reply read from the text.
	if (status.startsWith('2') && (raw.action === 'failed' || raw.action === 'delayed')) status = '';
	return { status, replyCode };
}

/**
 * Classification of one report's entries, remembered by input: a report naming hundreds of
 * recipients with the same text classifies that text once.
 */
export type ReasonCache = Map<string, ReturnType<typeof classify>>;

function classifyOnce(input: ClassifyInput, cache: ReasonCache): ReturnType<typeof classify> {
	const key = JSON.stringify(input);
	let reason = cache.get(key);
	if (reason === undefined) {
		reason = classify(input);
		cache.set(key, reason);
	}
	return reason;
}

export interface EntryContext {
	/** The notification's text, for a report naming one recipient without its own diagnostic. */
	fallbackDiag: string;
	fromFilterGateway: boolean;
	reasons: ReasonCache;
}

/** One recipient entry, classified. */
export function finish(raw: RawRecipient, context: EntryContext): BounceRecipient {
	const { fallbackDiag } = context;
	const diagnostic = raw.diagnostic || '';
	const { status, replyCode } = settleCodes(raw, diagnostic, fallbackDiag);
	const input: ClassifyInput = {
		status,
		replyCode,
		diagnostic: diagnostic || fallbackDiag,
		diagnosticType: raw.diagnosticType,
		action: raw.action,
		command: raw.command,
		statusText: raw.statusText,
		fromFilterGateway: context.fromFilterGateway,
	};
	const reason = classifyOnce(input, context.reasons);
	const out: BounceRecipient = {
		recipient: raw.recipient,
		action:
			reason === 'delivered'
				? 'delivered'
				: (raw.action ?? (status.startsWith('4') ? 'delayed' : 'failed')),
		status,
		replyCode,
		reason,
		hard: isHard(reason, status, replyCode),
		diagnostic: squash(diagnostic || squash(fallbackDiag, 500), 1000),
	};
	if (raw.remoteMta) out.remoteMta = raw.remoteMta;
	if (raw.reportingMta) out.reportingMta = raw.reportingMta;
	if (raw.failedAt) out.failedAt = raw.failedAt;
	return out;
}

export function kindOf(failures: BounceRecipient[]): ReportKind {
	if (failures.some((f) => f.action === 'failed')) return 'failure';
	if (failures.some((f) => f.action === 'delayed')) return 'delay';
	if (failures.some((f) => f.action === 'delivered')) return 'delivered';
	return failures.length ? 'failure' : 'not-a-report';
}

/** Only failures and delays count; delivery confirmations only when nothing failed. */
export function select(failures: BounceRecipient[]): BounceRecipient[] {
	const bad = failures.filter((f) => f.action === 'failed' || f.action === 'delayed');
	if (bad.length) return bad;
	return failures.filter((f) => f.action === 'delivered');
}
