/**
 * Bounce engine: `parseBounce(raw)` reads a delivery report, complaint or auto-reply and
 * returns one entry per affected recipient plus what identifies the original message.
 * Pure TypeScript, no n8n import; never throws, never hangs on hostile input.
 * Anyone can mail the mailbox it reads, so every step costs time in proportion to the input
 * (test/core/bounce/adversarial.test.ts, `npm run bench:bounce`), the input is
 * capped (MAX_REPORT_BYTES here, the per-mail and per-part caps in mime.ts; a cut report says
 * `truncated`), and the event loop gets a turn between the steps of a mail and between the mails
 * of a mailbox file, so n8n's main thread stays responsive while a mailbox is read.
 * One mail's path is pipeline.ts: read (letter.ts) → kind and entries (readers.ts) → classify
 * (entries.ts, classify.ts, reasons/) → link (link.ts).
 */
import { MAX_MBOX_MESSAGES, splitMbox } from './mbox';
import { yieldToEventLoop } from './mime';
import { parseMail } from './pipeline';
import type { BounceReport, ReportKind } from './types';

export * from './types';
export { classify, isHard, REASONS } from './classify';

function emptyReport(problems: string[]): BounceReport {
	return { kind: 'not-a-report', failures: [], original: { recipients: [], links: [] }, problems };
}

/**
 * Bytes read of one input at most: one mail, or a mailbox file of several. Past it the input is
 * cut and the report marked `truncated`, so no caller can make the engine read without bound.
 */
export const MAX_REPORT_BYTES = 1024 * 1024;

/** Report kinds from the most to the least telling, to sum up a mailbox file of several. */
const KIND_RANK: ReportKind[] = [
	'failure',
	'delay',
	'complaint',
	'autoreply',
	'delivered',
	'not-a-report',
];

/** One report for a mailbox file: every message's entries in file order. */
function mergeReports(reports: BounceReport[], truncated: boolean): BounceReport {
	const kind = KIND_RANK.find((k) => reports.some((r) => r.kind === k)) ?? 'not-a-report';
	const lead = reports.find((r) => r.kind === kind) ?? reports[0];
	const problems = reports.flatMap((r) => r.problems ?? []).slice(0, 50);
	if (truncated)
		problems.push(`mailbox file: only the first ${MAX_MBOX_MESSAGES} messages were read`);
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
				reports.push(await parseMail(message));
			}
			// A From line also opens the returned original that some servers quote in a bounce:
			// the file is several messages only when more than one of them is a report.
			if (reports.filter((r) => r.kind !== 'not-a-report').length > 1)
				return mergeReports(reports, truncated);
			await yieldToEventLoop();
		}
	}
	return await parseMail(bytes);
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
		return emptyReport([
			`internal error: ${String((error as Error)?.message ?? error)}`.slice(0, 300),
		]);
	}
}
