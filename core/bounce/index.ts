/**
 * Bounce engine: `parseBounce(raw)` reads a delivery report, complaint or auto-reply and
 * returns one entry per affected recipient plus what identifies the original message.
 * Pure TypeScript, no n8n import; never throws, never hangs on hostile input.
 * Anyone can mail the mailbox it reads, so every step costs time in proportion to the input
 * (test/core/bounce/adversarial.test.ts, `npm run bench:bounce`), the input is
 * capped (MAX_REPORT_BYTES here, the per-mail and per-part caps in mime.ts; a cut report says
 * `truncated`), and the event loop gets a turn between the steps of a mail and between the mails
 * of a mailbox file, so n8n's main thread stays responsive while a mailbox is read.
 */
import { arfFailures, isArf, isUnsubscribeRequest, parseArf } from './arf';
import { hasBounceHeaders, isAutoReply, isBounceLike, isHumanReply } from './autoreply';
import { classify, isHard, smtpCommandOf } from './classify';
import type { ClassifyInput } from './classify';
import { looksLikeDsn, parseDsn } from './dsn';
import type { DsnResult } from './dsn';
import { extractOriginal } from './link';
import { MAX_MBOX_MESSAGES, splitMbox } from './mbox';
import { readMail, yieldToEventLoop } from './mime';
import type { MailView } from './mime';
import { parseSes } from './ses';
import { parseText, splitNotification, unquote } from './text';
import type { BounceRecipient, BounceReport, RawRecipient, ReportKind } from './types';
import { findAddresses, findReplyCode, findStatus, firstAddress, parseHeaderText, squash } from './util';

export * from './types';
export { classify, isHard, REASONS } from './classify';

/** Phrases of a failure notice, in English and in the languages common servers are set up in. */
const BOUNCE_TEXT =
	/could not be delivered|couldn't be delivered|undeliverable|undelivered|delivery (?:has )?failed|delivery to the following|failed permanently|permanent (?:error|failure)|not be delivered|unable to deliver|wasn't able to deliver|was not delivered|delivery failure|returned to sender|mail delivery failed|following address(?:es)? (?:had|failed)|did not reach|delivery problem|there was an error delivering|could not deliver|giving up|delivery status notification|konnte nicht (?:an \S{1,80} )?zugestellt werden|fehler bei der zustellung|n'a pas pu (?:être|etre) (?:remis|distribu)|no se pudo entregar|non (?:è|e') stato possibile (?:recapitare|consegnare)|kon niet worden bezorgd|n[ãa]o foi poss[íi]vel entregar|il messaggio non [èe] stato recapitato|не (?:было |может быть )?доставлено|(?:配送|配信)(?:に|が)?(?:失敗|できませんでした)/i;

/** Subject of a forwarded mail, in the prefixes common mail clients write. */
const FORWARD_SUBJECT = /^\s{0,4}(?:fwd?|wg|tr|rv|enc|doorst)\s{0,2}:/i;

/** An SMTP failure reply or a delivery-failure phrase in the notification. */
const FAILURE_SIGNAL = /(?:^|\n)\s{0,8}[45][0-5]\d[ -]\S|deferred:|\bfailed\b|could not be delivered|undeliverable|unable to deliver/i;

/**
 * A newsletter or mailing-list post (RFC 2369 List-* headers) written by a person or a list
 * server: no delivery report carries those headers itself, they belong to the returned original.
 */
function isListMail(view: MailView, from: string): boolean {
	const h = view.headers;
	if (!h.has('list-unsubscribe') && !h.has('list-id')) return false;
	if (view.reportType || view.deliveryStatus.length > 0 || view.contentType === 'multipart/report') return false;
	if (h.has('x-failed-recipients')) return false;
	const local = from.slice(0, from.indexOf('@') >>> 0);
	return !/^(?:mailer-daemon|post_?master|mail-daemon|maildaemon)$/i.test(local);
}

function emptyReport(problems: string[]): BounceReport {
	return { kind: 'not-a-report', failures: [], original: { recipients: [], links: [] }, problems };
}

/** A reply that opens with its code and enhanced status: "550 5.7.1 ...", "450-4.2.0 ...". */
const LEADING_REPLY = /^\s{0,4}[245][0-5]\d[ -]([245]\.\d{1,3}\.\d{1,3})(?![\d.])/;
/** A failing reply with its enhanced status anywhere in a text (a session transcript). */
const FAILING_REPLY = /(?<![\d.])([45][0-5]\d)[ -]([45]\.\d{1,3}\.\d{1,3})(?![\d.])/;

/**
 * Content-filtering gateways (appliances and services in front of a mailbox server) identify
 * themselves in the report's own headers.
 */
const FILTER_GATEWAY = /surfcontrol|\bmcafee\b|mxlogic/i;

function writtenByFilterGateway(view: MailView): boolean {
	const own = [view.headers.get('x-mailer'), view.headers.get('x-nai-header'), view.headers.get('message-id'), view.headers.getAll('received')[0]];
	return own.some((value) => value !== undefined && FILTER_GATEWAY.test(value.slice(0, 500)));
}

/**
 * Classification of one report's entries, remembered by input: a report naming hundreds of
 * recipients with the same text classifies that text once.
 */
type ReasonCache = Map<string, ReturnType<typeof classify>>;

function classifyOnce(input: ClassifyInput, cache: ReasonCache): ReturnType<typeof classify> {
	const key = JSON.stringify(input);
	let reason = cache.get(key);
	if (reason === undefined) {
		reason = classify(input);
		cache.set(key, reason);
	}
	return reason;
}

function finish(raw: RawRecipient, fallbackDiag: string, fromFilterGateway: boolean, reasons: ReasonCache): BounceRecipient {
	let diagnostic = raw.diagnostic || '';
	let replyCode = raw.replyCode || findReplyCode(diagnostic) || findReplyCode(fallbackDiag);
	let status = raw.status || findStatus(diagnostic);
	const diagStatus = findStatus(diagnostic);
	// A generic DSN status (x.0.0) is refined by a specific code in the server's reply.
	if (diagStatus && /^\d\.0\.0$/.test(status) && diagStatus[0] === status[0]) status = diagStatus;
	// The remote server's own reply ("550 5.7.1 ...") beats the reporting MTA's Status field,
	// unless the reply's code is the generic x.0.0 and the field is more specific.
	const lead = LEADING_REPLY.exec(diagnostic);
	if (lead && raw.action !== 'delivered') {
		const replied = findStatus(lead[1]);
		if (!status || !/^\d\.0\.0$/.test(replied)) status = replied;
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
	const context = diagnostic || fallbackDiag;
	const reason = classifyOnce(
		{
			status,
			replyCode,
			diagnostic: context,
			diagnosticType: raw.diagnosticType,
			action: raw.action,
			command: raw.command,
			statusText: raw.statusText,
			fromFilterGateway,
		},
		reasons,
	);
	if (!diagnostic) diagnostic = squash(fallbackDiag, 500);
	const out: BounceRecipient = {
		recipient: raw.recipient,
		action: raw.action ?? (status.startsWith('4') ? 'delayed' : 'failed'),
		status,
		replyCode,
		reason,
		hard: isHard(reason, status, replyCode),
		diagnostic: squash(diagnostic, 1000),
	};
	if (reason === 'delivered') out.action = 'delivered';
	if (raw.remoteMta) out.remoteMta = raw.remoteMta;
	if (raw.reportingMta) out.reportingMta = raw.reportingMta;
	if (raw.failedAt) out.failedAt = raw.failedAt;
	return out;
}

function kindOf(failures: BounceRecipient[]): ReportKind {
	if (failures.some((f) => f.action === 'failed')) return 'failure';
	if (failures.some((f) => f.action === 'delayed')) return 'delay';
	if (failures.some((f) => f.action === 'delivered')) return 'delivered';
	return failures.length ? 'failure' : 'not-a-report';
}

/** Only failures and delays count; delivery confirmations only when nothing failed. */
function select(failures: BounceRecipient[]): BounceRecipient[] {
	const bad = failures.filter((f) => f.action === 'failed' || f.action === 'delayed');
	if (bad.length) return bad;
	return failures.filter((f) => f.action === 'delivered');
}

function dsnSource(view: MailView): string {
	if (view.deliveryStatus.length) return view.deliveryStatus.join('\n\n');
	for (const t of [view.text, ...view.otherText, ...view.originals.slice(0, 1)]) {
		if (t && looksLikeDsn(t)) {
			const i = t.search(/^(?:Reporting-MTA|Original-Envelope-Id|Final-Recipient|Original-Recipient)\s{0,5}:/im);
			return i >= 0 ? t.slice(i) : t;
		}
	}
	return '';
}

async function parse(raw: Buffer | Uint8Array | string, depth = 0): Promise<BounceReport> {
	const view = await readMail(raw);
	await yieldToEventLoop();
	const report = await readReport(view, depth);
	if (view.truncated) report.truncated = true;
	return report;
}

async function readReport(view: MailView, depth: number): Promise<BounceReport> {
	const problems = view.problems;
	const from = firstAddress(view.headers.get('from'));
	const to = firstAddress(view.headers.get('to'));
	const exclude = new Set<string>();
	if (from) exclude.add(from.toLowerCase());
	if (to) exclude.add(to.toLowerCase());
	const allText = [view.text, ...view.otherText].join('\n');
	let split = splitNotification(unquote(allText));
	// A bounce forwarded inline by a person ("Fwd: Undeliverable: ..."): the notification is the
	// forwarded text, not the few words written above it.
	if (
		FORWARD_SUBJECT.test(view.subject) &&
		split.original &&
		!BOUNCE_TEXT.test(split.notice.slice(0, 20000)) &&
		BOUNCE_TEXT.test(split.original.slice(0, 20000))
	) {
		split = splitNotification(split.original);
	}
	const { notice, original: originalText } = split;

	// A bounce forwarded by a person as an attachment ("FW: Mail delivery failed"): the attached
	// message is the report. Read once, never deeper.
	if (
		depth === 0 &&
		FORWARD_SUBJECT.test(view.subject) &&
		!view.reportType &&
		view.deliveryStatus.length === 0 &&
		view.feedbackReports.length === 0 &&
		view.originals.length === 1 &&
		!BOUNCE_TEXT.test(notice.slice(0, 20000))
	) {
		const inner = parseHeaderText(view.originals[0]);
		if (hasBounceHeaders(inner.get('from') ?? '', inner.get('subject') ?? '')) {
			const report = await parse(view.originals[0], 1);
			if (report.failures.length && (report.kind === 'failure' || report.kind === 'delay')) return report;
		}
	}

	// Complaints.
	if (isArf(view) || isUnsubscribeRequest(view)) {
		const feedbackReport = isArf(view);
		const arf = feedbackReport
			? parseArf(view)
			: { feedbackType: 'opt-out', recipients: from ? [from] : [], arrivalDate: undefined };
		const failures = arfFailures(arf, '', feedbackReport);
		const original = extractOriginal({
			view,
			originalText,
			notice,
			recipients: failures.map((f) => f.recipient),
			isReply: false,
		});
		return {
			kind: failures.length ? 'complaint' : 'not-a-report',
			failures,
			original,
			reportingMta: 'reportingMta' in arf ? arf.reportingMta : undefined,
			arrivalDate: arf.arrivalDate,
			problems: problems.length ? problems : undefined,
		};
	}

	// RFC 3464 delivery status.
	let dsn: DsnResult | undefined;
	const source = dsnSource(view);
	if (source) dsn = parseDsn(source);
	let raws: RawRecipient[] = dsn?.recipients ?? [];
	const envelopeId = dsn?.envelopeId;
	let kindHint: ReportKind | undefined;
	let sesMessageId: string | undefined;
	let sesSubject: string | undefined;
	let feedbackType: string | undefined;

	const failedHeader = findAddresses(view.headers.get('x-failed-recipients') ?? '', 100);
	const textResult = parseText(allText, exclude, failedHeader, split);
	await yieldToEventLoop();
	if (raws.length) {
		const noticeDiagnostic = squash(notice, 1500);
		const noticeCommand = raws.length === 1 ? smtpCommandOf(notice) : '';
		// Enrich DSN entries without a diagnostic from the human-readable part.
		for (const r of raws) {
			const t = textResult.recipients.find(
				(x) =>
					x.recipient.toLowerCase() === r.recipient.toLowerCase() ||
					(r.originalRecipient && x.recipient.toLowerCase() === r.originalRecipient.toLowerCase()),
			);
			if (!r.diagnostic && t) {
				r.diagnostic = t.diagnostic;
				r.replyCode ||= t.replyCode;
			}
			if (!r.diagnostic && textResult.recipients.length === 0) r.diagnostic = noticeDiagnostic;
			// The SMTP command the error answered is often only in the readable part (a transcript).
			r.command ||=
				smtpCommandOf(r.diagnostic) || (t ? smtpCommandOf(t.diagnostic) : '') || noticeCommand;
		}
	} else {
		const humanReply = isHumanReply(view, from);
		const ses = parseSes(allText);
		if (ses && ses.recipients.length) {
			raws = ses.recipients;
			sesMessageId = ses.messageId;
			sesSubject = ses.subject;
			if (ses.type === 'complaint') {
				kindHint = 'complaint';
				feedbackType = ses.feedbackType;
			}
		} else if (humanReply || isListMail(view, from)) {
			// A person answering (maybe quoting a bounce) is not a report, nor is a newsletter or list
			// post that talks about undeliverable mail.
		} else if (
			textResult.recipients.length &&
			(isBounceLike(view, from) || BOUNCE_TEXT.test(notice.slice(0, 20000)) || failedHeader.length > 0)
		) {
			raws = textResult.recipients;
			// A DSN block without an address (delivery to a file or pipe) describes the one recipient
			// the readable part names.
			const unnamed = dsn?.unnamed ?? [];
			if (raws.length === 1 && unnamed.length === 1) {
				const u = unnamed[0];
				raws[0].status ||= u.status;
				if (u.action) raws[0].action = u.action;
				if (u.diagnostic && !raws[0].replyCode) raws[0].diagnostic = `${u.diagnostic} ${raws[0].diagnostic}`.trim();
			}
		} else if (!textResult.recipients.length && isBounceLike(view, from) && FAILURE_SIGNAL.test(notice.slice(0, 20000))) {
			// A bounce that names no recipient (old Sendmail: "421 host (smtp)... Deferred: ..."):
			// the returned message's only recipient is the one that failed.
			const returned = extractOriginal({ view, originalText: textResult.original || originalText, notice, recipients: [], isReply: false });
			const candidates = returned.recipients.filter((a) => !exclude.has(a.toLowerCase()));
			if (candidates.length === 1) raws = [{ recipient: candidates[0], diagnostic: '' }];
		}
	}

	let failures: BounceRecipient[];
	let kind: ReportKind;
	if (kindHint === 'complaint') {
		failures = arfFailures({ feedbackType: feedbackType ?? 'abuse', recipients: raws.map((r) => r.recipient) }, '');
		kind = 'complaint';
	} else if (raws.length) {
		const fallback = raws.length === 1 ? squash(notice, 3000) : '';
		const gateway = writtenByFilterGateway(view);
		const reasons: ReasonCache = new Map();
		failures = select(raws.map((r) => finish(r, fallback, gateway, reasons)));
		kind = kindOf(failures);
	} else if (isAutoReply(view, from)) {
		failures = from
			? [
					{
						recipient: from,
						action: 'autoreply',
						status: '',
						replyCode: '',
						reason: 'vacation',
						hard: false,
						diagnostic: squash(view.subject, 300),
					},
				]
			: [];
		kind = failures.length ? 'autoreply' : 'not-a-report';
	} else {
		failures = [];
		kind = 'not-a-report';
		if (isBounceLike(view, from)) problems.push('looks like a bounce, but no recipient could be found');
	}

	const original = extractOriginal({
		view,
		envelopeId,
		originalText: textResult.original || originalText,
		notice,
		recipients: raws.length
			? raws.map((r) => r.originalRecipient || r.recipient)
			: kind === 'autoreply' && from
				? [from]
				: [],
		isReply: kind === 'autoreply',
	});
	if (sesMessageId && !original.messageId) {
		original.messageId = sesMessageId.includes('<') ? sesMessageId : `<${sesMessageId}>`;
		original.links.unshift({ method: 'message-id', value: original.messageId, confidence: 'high' });
	}
	if (sesSubject && !original.subject) original.subject = sesSubject;
	const report: BounceReport = { kind, failures, original };
	if (dsn?.reportingMta) report.reportingMta = dsn.reportingMta;
	if (dsn?.arrivalDate) report.arrivalDate = dsn.arrivalDate;
	if (problems.length) report.problems = problems;
	return report;
}

/**
 * Bytes read of one input at most: one mail, or a mailbox file of several. Past it the input is
 * cut and the report marked `truncated`, so no caller can make the engine read without bound.
 */
export const MAX_REPORT_BYTES = 1024 * 1024;

/** Report kinds from the most to the least telling, to sum up a mailbox file of several. */
const KIND_RANK: ReportKind[] = ['failure', 'delay', 'complaint', 'autoreply', 'delivered', 'not-a-report'];

/** One report for a mailbox file: every message's entries in file order. */
function mergeReports(reports: BounceReport[], truncated: boolean): BounceReport {
	const kind = KIND_RANK.find((k) => reports.some((r) => r.kind === k)) ?? 'not-a-report';
	const lead = reports.find((r) => r.kind === kind) ?? reports[0];
	const problems = reports.flatMap((r) => r.problems ?? []).slice(0, 50);
	if (truncated) problems.push(`mailbox file: only the first ${MAX_MBOX_MESSAGES} messages were read`);
	const merged: BounceReport = {
		kind,
		failures: reports.flatMap((r) => r.failures),
		original: lead.original,
		reportingMta: lead.reportingMta,
		arrivalDate: lead.arrivalDate,
		problems: problems.length ? problems : undefined,
	};
	if (truncated || reports.some((r) => r.truncated)) merged.truncated = true;
	return merged;
}

/** The input as bytes, cut to MAX_REPORT_BYTES (a string is cut before it is encoded). */
function inputBytes(raw: Buffer | Uint8Array | string): { bytes: Buffer; truncated: boolean } {
	let bytes: Buffer;
	let truncated = false;
	if (typeof raw === 'string') {
		truncated = raw.length > MAX_REPORT_BYTES;
		bytes = Buffer.from(truncated ? raw.slice(0, MAX_REPORT_BYTES) : raw, 'utf8');
	} else if (raw instanceof Uint8Array) {
		bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
	} else {
		bytes = Buffer.alloc(0);
	}
	if (bytes.length > MAX_REPORT_BYTES) {
		truncated = true;
		bytes = bytes.subarray(0, MAX_REPORT_BYTES);
	}
	return { bytes, truncated };
}

async function parseInput(bytes: Buffer): Promise<BounceReport> {
	if (bytes.length > 5 && bytes.toString('latin1', 0, 5) === 'From ') {
		const { messages, truncated } = splitMbox(bytes);
		if (messages.length > 1) {
			const reports: BounceReport[] = [];
			for (const message of messages) {
				// Each message is a report of its own: let other work run between them.
				await yieldToEventLoop();
				reports.push(await parse(message));
			}
			// A From line also opens the returned original that some servers quote in a bounce:
			// the file is several messages only when more than one of them is a report.
			if (reports.filter((r) => r.kind !== 'not-a-report').length > 1) return mergeReports(reports, truncated);
			await yieldToEventLoop();
		}
	}
	return await parse(bytes);
}

/**
 * Read one raw email. A mailbox file (mbox) holding several reports is read message by message
 * and summed up in one report whose entries keep the file's order. Never rejects: bad input gives
 * kind 'not-a-report' with `problems`. The work is split into steps that give the event loop a
 * turn in between, so n8n stays responsive while a mailbox is read.
 */
export async function parseBounce(raw: Buffer | Uint8Array | string): Promise<BounceReport> {
	try {
		const { bytes, truncated } = inputBytes(raw);
		const report = await parseInput(bytes);
		if (truncated) {
			report.truncated = true;
			report.problems = [...(report.problems ?? []), `input cut to ${MAX_REPORT_BYTES} bytes`];
		}
		return report;
	} catch (error) {
		return emptyReport([`internal error: ${String((error as Error)?.message ?? error)}`.slice(0, 300)]);
	}
}
