/**
 * The recipient blocks of a plain-text report: a line that names a recipient address (an anchor:
 * the address alone, "<addr>: reason", "delivery to addr failed", ...) and the lines after it, up
 * to the next anchor. text.ts reads each block's reason.
 */
import { MAX_LINE, cleanAddress, splitLines } from './util';

/** Lines of a notification read at most. */
export const MAX_LINES = 1500;
const MAX_BLOCK_LINES = 40;
const MAX_BLOCKS = 60;

/** Latin letters beyond ASCII (À-Ö, Ø-ö, ø-ɏ), as a character class range. */
const LATIN = '\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u024F';
/** What the part before the @ may hold besides letters and digits (RFC 5322 atext and the dot). */
const LOCAL_PUNCTUATION = "_.!#$%&'*+/=?^`{|}~-";

// The domain may hold an underscore: not a valid host name, but reports name such addresses
// ("Illegal host/domain name found"). Internationalised addresses (RFC 6531) may hold Latin
// letters beyond ASCII ("jörg@bücher.example"); other scripts are left out so that words written
// next to an address in Japanese or Russian text never become part of it.
export const ADDR = `[A-Za-z0-9${LATIN}${LOCAL_PUNCTUATION}]{1,64}@[A-Za-z0-9${LATIN}][A-Za-z0-9${LATIN}_.-]{0,252}`;

/** Words that label a problem ("Unknown user: addr"). */
const ERROR_WORDS = [
	'unknown',
	'invalid',
	'failed',
	'failure',
	'rejected',
	'undeliverable',
	'undelivered',
	'error',
	'bad',
	'not found',
	'non-?existent',
	'unreachable',
	'exceeds?',
	'exceeded',
	'full',
	'over ?quota',
	'denied',
	'refused',
	'disabled',
	'too (?:large|big)',
].join('|');
const ERROR_LABEL = `(?:${ERROR_WORDS})`;

/** What comes before "deliver... to addr" in Google's, Microsoft 365's and ESPs' wording. */
const NOT_DELIVERED = [
	"wasn'?t",
	'was not',
	"couldn'?t be",
	'could not be',
	'cannot be',
	"can't be",
	'problem',
	'error',
	'unable to',
	'failed to',
].join('|');

/** Labels that name the recipient, in English and the languages servers are set up in. */
const RECIPIENT_LABELS = [
	'could not be delivered to',
	'not delivered to',
	'failed to deliver to',
	'delivery to',
	'recipient address',
	'recipient',
	'rcpt to',
	'original-recipient',
	'final-recipient',
	'destinataire',
	'empfänger',
	'destinatario',
	'destinatário',
	'ontvanger',
	'адресат',
	'получатель',
	'宛先',
].join('|');

const ANCHORS: RegExp[] = [
	// Address alone (maybe bulleted, in <>, with a trailing colon or a short parenthesised note).
	new RegExp(
		`^\\s{0,20}(?:[*\\-•]\\s{1,4})?(?:\\d{3}[ -])?["<]?(${ADDR})[">]?\\s{0,4}(?:\\([^)]{0,200}\\))?\\s{0,4}:?\\s{0,4}$`,
	),
	// Postfix style: <addr> (expanded from <x>): text ; OpenSMTPD: addr: 550 ...
	new RegExp(
		`^\\s{0,20}<?(${ADDR})>?\\s{0,4}(?:\\(expanded from[^)]{0,200}\\))?\\s{0,4}:\\s{0,4}\\S`,
	),
	// Exchange 2003: addr on <date>
	new RegExp(`^\\s{0,20}<?(${ADDR})>?\\s{1,4}on\\s{1,4}\\S`),
	// Sendmail transcript: [550 ]<addr>... text
	new RegExp(`^\\s{0,20}(?:[245]\\d\\d[ -](?:[245]\\.\\d{1,3}\\.\\d{1,3}\\s)?)?<(${ADDR})>\\.{3}`),
	// Phrases naming the recipient of the failed delivery.
	new RegExp(
		`(?:delivered|deliver|delivering|delivery|sent|send|sending|reach|addressed|forward(?:ed)?)\\b[^<>@]{0,60}?\\bto:?\\s{0,4}<(${ADDR})>`,
		'i',
	),
	new RegExp(
		`(?:undeliverable|not (?:be )?delivered|failed|could not deliver|unable to deliver)\\b[^<>@]{0,30}?\\bto:?\\s{0,4}<?(${ADDR})`,
		'i',
	),
	// Google, Microsoft 365 and ESP wording, address without brackets: "Your message wasn't
	// delivered to a@b because ...", "a problem delivering your message to a@b.", "unable to
	// deliver your message to the following recipient: a@b".
	new RegExp(
		`(?:${NOT_DELIVERED}) deliver(?:ed|ing)? (?:(?:your|the|this) (?:message|e-?mail) )?to` +
			`(?: the following (?:recipients?|address(?:es)?))?:?\\s{0,4}<?(${ADDR})`,
		'i',
	),
	// An automatic answer that refuses the address: "You sent mail to a@b. That's not a valid user here."
	new RegExp(
		`^\\s{0,20}you sent (?:mail|a message|an e-?mail|e-?mail) to <?(${ADDR})>?[.,:;]?\\s{1,4}` +
			'[^\\n]{0,80}\\bnot (?:a )?(?:valid|known|existing)\\b',
		'i',
	),
	// "Your message to a@b couldn't be delivered." / "... has been blocked."
	new RegExp(
		`^\\s{0,20}your (?:message|e-?mail) to <?(${ADDR})>? ` +
			"(?:(?:couldn'?t|could not|can ?not|can't|wasn'?t|was not) be delivered" +
			'|(?:has been|was) (?:blocked|rejected|returned|refused|not delivered))',
		'i',
	),
	new RegExp(
		`(?:${RECIPIENT_LABELS})\\s{0,4}:?\\s{0,4}<?(?:rfc822;\\s{0,4})?<?(${ADDR})>?(?:[\\s:,.)]|$)`,
		'i',
	),
	// A label naming the problem: "Unknown user: addr"
	new RegExp(
		`^\\s{0,20}[^:@]{0,40}\\b${ERROR_LABEL}\\b[^:@]{0,40}:\\s{0,4}<?(${ADDR})>?\\s{0,4}$`,
		'i',
	),
	// A line that starts with the address, followed by the explanation.
	new RegExp(`^\\s{0,20}<?(${ADDR})>?[\\s,]{1,4}[\\[(<A-Za-z0-9]`),
];

/** Recipient-like addresses that are never the failed recipient. */
const SYSTEM_LOCAL =
	/^(?:mailer-daemon|postmaster|mail-daemon|maildaemon|bounce|bounces|noreply|no-reply|root|daemon)$/i;

/**
 * Help text around an address: where to write for help, or an example of what an address looks
 * like. Such an address on the anchor line (before it) or on the line above is no recipient.
 */
const HELP_BEFORE = [
	'forward (?:this|the) (?:message|report|notice|e-?mail|mail)(?: along| back)? to',
	'write (?:to|us at)',
	'contact(?: us| the (?:postmaster|administrator|help ?desk|support))?(?: at| via)?',
	'e\\.g\\.',
	'for (?:example|instance)',
	'such as',
	'(?:help|support|assistance) (?:is available )?(?:at|via|from)',
].join('|');
const HELP_LINE_END = new RegExp(`\\b(?:${HELP_BEFORE})\\s{0,4}[:,]?\\s{0,4}<?$`, 'i');

function isHelpAddress(lines: string[], at: number, address: string): boolean {
	const line = lines[at];
	const i = line.toLowerCase().indexOf(address.toLowerCase());
	if (i > 0 && HELP_LINE_END.test(line.slice(Math.max(0, i - 120), i))) return true;
	if (i > 0 && line.slice(0, i).trim()) return false;
	for (let j = at - 1; j >= 0 && j >= at - 2; j--) {
		const above = lines[j].trim();
		if (!above) continue;
		return HELP_LINE_END.test(above.slice(-160));
	}
	return false;
}

export interface TextRecipientBlock {
	recipient: string;
	lines: string[];
	line: number;
	weak?: boolean;
}

/**
 * Exchange's proxy form of an address, "[SMTP:jane@example.jp]" or "smtp:jane@example.jp", and the
 * X.400 "dda:SMTP=jane@example.jp": the address is what follows the transport's name.
 */
const PROXY_BRACKETED = /\[(?:[a-z]{1,8}:)?smtp[:=]([^\]\s]{1,320})\]/gi;
const PROXY_PREFIX = /(?:\b[a-z]{1,8}:)?\bsmtp[:=](?=[^\s@]{1,64}@)/gi;

function anchorOf(line: string): string {
	if (!line.includes('@')) return '';
	let l = line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line;
	if (/smtp[:=]/i.test(l)) l = l.replace(PROXY_BRACKETED, '$1').replace(PROXY_PREFIX, '');
	for (const re of ANCHORS) {
		const m = re.exec(l);
		if (m) {
			const a = cleanAddress(m[1]);
			if (a) return a;
		}
	}
	return '';
}

/** Find recipient blocks in a notification text. */
export function findBlocks(notice: string, exclude: Set<string>): TextRecipientBlock[] {
	const lines = splitLines(notice, MAX_LINES);
	const blocks: TextRecipientBlock[] = [];
	let current: TextRecipientBlock | null = null;
	for (let i = 0; i < lines.length; i++) {
		const line = lines[i];
		const a = anchorOf(line);
		if (a) {
			const existing = blocks.find((b) => b.recipient.toLowerCase() === a.toLowerCase());
			if (existing) {
				current = existing;
				if (current.lines.length < MAX_BLOCK_LINES) current.lines.push(line);
				continue;
			}
			current = {
				recipient: a,
				lines: [line],
				line: i,
				weak:
					exclude.has(a.toLowerCase()) ||
					SYSTEM_LOCAL.test(a.slice(0, a.indexOf('@'))) ||
					isHelpAddress(lines, i, a),
			};
			blocks.push(current);
			if (blocks.length >= MAX_BLOCKS) break;
			continue;
		}
		if (current && current.lines.length < MAX_BLOCK_LINES) current.lines.push(line);
	}
	// The report's own sender / recipient and system mailboxes count only when nothing else does.
	const strong = blocks.filter((b) => !b.weak);
	return strong.length ? strong : blocks;
}

/** A heading that lists the failed recipients below it ("... to the following recipients ...:"). */
const LIST_HEADING =
	/\b(?:following|these) (?:recipients?|addresses|address\(es\)|address|users?|mailboxes)\b[^\n]{0,200}(?::|-{3,})\s{0,4}$/i;
/** A local part alone on its line, indented or in angle brackets, as a list under such a heading writes it. */
const BARE_LOCAL = /^(?:\s{1,20}<?|\s{0,20}<)([A-Za-z0-9][A-Za-z0-9._+-]{0,63})>?\s{0,4}$/;
/** Sendmail's line for a local recipient: "<jane>... User unknown" (not "host... Deferred"). */
const SENDMAIL_LOCAL = new RegExp(
	'^\\s{0,20}(?:[245]\\d\\d[ -](?:[245]\\.\\d{1,3}\\.\\d{1,3}\\s)?)?<?([A-Za-z0-9][A-Za-z0-9._+-]{0,63})>?' +
		'\\.{3}\\s{1,4}(?:user unknown|unknown user|no such user|mailbox)',
	'i',
);

/**
 * Recipients named by their local part alone (a provider writing its own users' names, Sendmail
 * for a local mailbox): completed with `domain`, the domain of the server that wrote the report.
 * Read only when no address names a recipient.
 */
export function bareLocalBlocks(notice: string, domain: string): TextRecipientBlock[] {
	const lines = splitLines(notice, MAX_LINES);
	const blocks: TextRecipientBlock[] = [];
	const add = (local: string, at: number) => {
		const recipient = cleanAddress(`${local}@${domain}`);
		if (!recipient || blocks.some((b) => b.recipient === recipient)) return;
		const own: string[] = [lines[at]];
		for (let j = at + 1; j < lines.length && own.length < MAX_BLOCK_LINES && lines[j].trim(); j++)
			own.push(lines[j]);
		blocks.push({ recipient, lines: own, line: at });
	};
	for (let i = 0; i < lines.length && blocks.length < MAX_BLOCKS; i++) {
		const sendmail = SENDMAIL_LOCAL.exec(lines[i]);
		if (sendmail) add(sendmail[1], i);
		if (!LIST_HEADING.test(lines[i].slice(-300))) continue;
		let j = i + 1;
		if (j < lines.length && !lines[j].trim()) j++;
		for (; j < lines.length && blocks.length < MAX_BLOCKS; j++) {
			const m = BARE_LOCAL.exec(lines[j]);
			if (!m || !lines[j].trim()) break;
			add(m[1], j);
		}
	}
	return blocks;
}
