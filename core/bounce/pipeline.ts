/**
 * The path of one mail, top down: read the mail → decide its kind and extract its entries (the
 * first format reader of READERS that knows it) → classify the entries → link the original.
 */
import { readAnswer } from './answer';
import { isBounceLike } from './autoreply';
import { finish, kindOf, select, writtenByFilterGateway } from './entries';
import type { EntryContext } from './entries';
import { readLetter } from './letter';
import type { Letter } from './letter';
import { extractOriginal } from './link';
import { readMail, yieldToEventLoop } from './mime';
import { READERS } from './readers';
import type { Extracted, Found } from './readers';
import { withoutNumberFields } from './text';
import type { BounceRecipient, BounceReport, OriginalMessage, ReportKind } from './types';
import { squash } from './util';

/** One mail (not a mailbox file) read into a report. */
export async function parseMail(
	raw: Buffer | Uint8Array | string,
	depth = 0,
): Promise<BounceReport> {
	const view = await readMail(raw);
	await yieldToEventLoop();
	const letter = readLetter(view, depth);
	await yieldToEventLoop();
	const found = await extract(letter);
	const report = isWhole(found) ? found.report : assemble(letter, found);
	if (view.truncated) report.truncated = true;
	if (!isWhole(found)) {
		const answer = readAnswer(letter, report);
		if (answer) report.answer = answer;
	}
	return report;
}

/** A reader that read a whole report (a forwarded bounce) leaves nothing to classify. */
function isWhole(found: Found | undefined): found is { report: BounceReport } {
	return found !== undefined && 'report' in found;
}

/** Decide the kind: the first reader that knows the mail extracts its entries. */
async function extract(letter: Letter): Promise<Found | undefined> {
	for (const reader of READERS) {
		const found = await reader.read(letter, parseMail);
		if (found) return found;
	}
	return undefined;
}

/** Classify entries found by a reader; entries that need none pass as they are. */
function classified(
	letter: Letter,
	found: Extracted,
): { kind: ReportKind; failures: BounceRecipient[] } {
	if ('kind' in found) return found;
	const context: EntryContext = {
		fallbackDiag:
			found.entries.length === 1 ? squash(withoutNumberFields(letter.notice), 3000) : '',
		fromFilterGateway: writtenByFilterGateway(letter.view),
		reasons: new Map(),
	};
	const failures = select(found.entries.map((r) => finish(r, context)));
	return { kind: kindOf(failures), failures };
}

/** What identifies the original message, with the link keys a sender can find it by. */
function link(letter: Letter, found: Extracted, kind: ReportKind): OriginalMessage {
	const { view, notice, originalText, dsn } = letter;
	const recipients =
		'entries' in found
			? found.entries.map((r) => r.originalRecipient || r.recipient)
			: found.linkTo;
	const envelopeId = 'own' in found ? undefined : dsn?.envelopeId;
	const original = extractOriginal({
		view,
		envelopeId,
		originalText,
		notice,
		recipients,
		isReply: kind === 'autoreply',
	});
	if (found.ses?.messageId && !original.messageId) {
		const id = found.ses.messageId;
		original.messageId = id.includes('<') ? id : `<${id}>`;
		original.links.unshift({ method: 'message-id', value: original.messageId, confidence: 'high' });
	}
	if (found.ses?.subject && !original.subject) original.subject = found.ses.subject;
	return original;
}

/** The report of a mail whose entries a reader extracted, or of one no reader knows. */
function assemble(letter: Letter, extracted: Extracted | undefined): BounceReport {
	const found: Extracted = extracted ?? { kind: 'not-a-report', failures: [], linkTo: [] };
	const { kind, failures } = classified(letter, found);
	const problems = letter.view.problems;
	if (!extracted && isBounceLike(letter.view, letter.from))
		problems.push('looks like a bounce, but no recipient could be found');
	const report: BounceReport = { kind, failures, original: link(letter, found, kind) };
	const fields = 'own' in found ? found.own : letter.dsn;
	if (fields?.reportingMta) report.reportingMta = fields.reportingMta;
	if (fields?.arrivalDate) report.arrivalDate = fields.arrivalDate;
	if (problems.length) report.problems = problems;
	return report;
}
