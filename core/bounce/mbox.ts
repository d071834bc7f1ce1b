/**
 * Mailbox files (mbox): several messages in one file, each opened by a "From " line with the
 * envelope sender and a ctime date ("From MAILER-DAEMON  Thu Jul  2 12:05:05 2020"). Mail clients
 * and exports (Thunderbird, Google Takeout, Unix spools) write them; a user may hand one over.
 */

/**
 * The "From " line that opens a message in an mbox file: envelope sender, ctime date and year
 * ("From MAILER-DAEMON  Thu Jul  2 12:05:05 2020"). The full date makes it safe to take such a
 * line as a separator even when the writer left out the empty line before it.
 */
const FROM_LINE = new RegExp(
	'^From \\S{1,320} {1,4}(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ' +
		'[ \\d]\\d \\d\\d:\\d\\d(?::\\d\\d)?(?: [A-Z]{1,5}| [+-]\\d{4}){0,2} \\d{4}(?: [+-]\\d{4})?\\r?$',
);

/** At most this many messages are read from one mailbox file. */
export const MAX_MBOX_MESSAGES = 1000;

function messageStarts(text: string): { starts: number[]; truncated: boolean } {
	const starts: number[] = [0];
	for (let at = text.indexOf('\nFrom '); at >= 0; at = text.indexOf('\nFrom ', at + 1)) {
		const start = at + 1;
		const end = text.indexOf('\n', start);
		if (!FROM_LINE.test(text.slice(start, end < 0 ? text.length : Math.min(end, start + 400))))
			continue;
		if (starts.length >= MAX_MBOX_MESSAGES) return { starts, truncated: true };
		starts.push(start);
	}
	return { starts, truncated: false };
}

/**
 * The messages of an mbox file, without their "From " lines and with ">From " unescaped; one
 * element (the input itself) when the input is not a mailbox of several messages. `truncated`
 * says that messages after MAX_MBOX_MESSAGES were left out.
 */
export function splitMbox(input: Buffer): { messages: Buffer[]; truncated: boolean } {
	const single = { messages: [input], truncated: false };
	if (input.length < 6 || input.toString('latin1', 0, 5) !== 'From ') return single;
	// latin1 keeps one character per byte, so string offsets are byte offsets.
	const text = input.toString('latin1');
	const firstEnd = text.indexOf('\n');
	if (firstEnd < 0 || !FROM_LINE.test(text.slice(0, Math.min(firstEnd, 400)))) return single;
	const { starts, truncated } = messageStarts(text);
	if (starts.length === 1) return single;
	const messages: Buffer[] = [];
	for (let i = 0; i < starts.length; i++) {
		const lineEnd = text.indexOf('\n', starts[i]);
		const bodyStart = lineEnd < 0 ? text.length : lineEnd + 1;
		const end = i + 1 < starts.length ? starts[i + 1] : text.length;
		// mboxrd escapes body lines that start with "From " (and ">From ") by one more ">".
		const message = text.slice(bodyStart, end).replace(/^>(>{0,20}From )/gm, '$1');
		messages.push(Buffer.from(message, 'latin1'));
	}
	return { messages, truncated };
}
